# vm: timeout=240 suite=demo
# `make demo`: relay iperf3 through krelay and show what happened.
. /tests/lib.sh
say() { printf '\n\033[1m### %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

say "kernel $(uname -r); loading krelay and the tracer"
run insmod "$KRELAY_KO"
if [ -n "$KTRACE_KO" ]; then
	# Unfiltered: the relay's own sends happen in kworkers, not in iperf3.
	run insmod "$KTRACE_KO" interval_ms=0
fi
run iperf3 -s -D -p 5201
wait_listen 5201 >/dev/null

say "a rule: 0.0.0.0:9000 -> 127.0.0.1:5201 (the iperf3 server)"
run userctl rule add 0.0.0.0:9000 to 127.0.0.1:5201
run userctl rule list

say "iperf3 through the relay (5 s)"
run iperf3 -c 127.0.0.1 -p 9000 -t 5 && t_pass "iperf3 through krelay"

say "what krelay counted"
run userctl -s -h rule list
run userctl stats

if [ -n "$KTRACE_KO" ]; then
	say "the tracer's report (written to dmesg on unload)"
	run rmmod krelay_trace
	run userctl trace || dmesg | grep krelay_trace | tail -n 40
fi
say "kernel log (krelay)"
dmesg | grep -E '\] krelay: ' | tail -n 20
run rmmod krelay
