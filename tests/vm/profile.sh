# vm: timeout=600 mem=1536 smp=2 suite=bench
# `make profile`: where the CPU time goes while one iperf3 stream runs
# directly, through krelay (splice with and without the receive fast path,
# and copy) and through haproxy with
# splice both ways.  perf samples every CPU with the cpu-clock software
# event (TCG has no PMU) and call graphs; the reports land in $SHARE:
#   profile-SETUP.txt   perf report, flat, by symbol (top 60)
#   callers-SETUP.txt   perf report with callers of the top entries
#   summary.txt         per setup: Gbit/s, context switches, run time split
#                       (user/system/softirq/idle, from /proc/stat)
# Not a test: it asserts nothing (no t_pass/t_fail) beyond having run.
. /tests/lib.sh
T=${PROFILE_T:-6}
command -v perf >/dev/null || { t_fail "perf in the image"; exit 0; }
echo 0 >/proc/sys/kernel/kptr_restrict
echo -1 >/proc/sys/kernel/perf_event_paranoid
insmod "$KRELAY_KO"
iperf3 -s -D -p 5201
wait_listen 5201
userctl rule add 127.0.0.1:9101 to 127.0.0.1:5201
userctl rule add 127.0.0.1:9201 to 127.0.0.1:5201 mode copy
cat >/tmp/hap.cfg <<CFG
global
    nbthread 1
    pidfile /tmp/hap.pid
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    option splice-request
    option splice-response
listen tput
    bind 127.0.0.1:9601
    server iperf3 127.0.0.1:5201
CFG
haproxy -D -f /tmp/hap.cfg && wait_listen 9601

cpu() { awk '/^cpu / {print $2+$3, $4, $8, $7+$6, $5}' /proc/stat; }   # user sys softirq irq+iowait idle
ctxt() { awk '/^ctxt/ {print $2}' /proc/stat; }
: >"$SHARE/summary.txt"
BHF=/sys/module/krelay/parameters/bh_forward
# krelay-work: the splice rule without the receive fast path (bh_forward=0)
for setup in direct:5201 krelay-splice:9101 krelay-work:9101 krelay-copy:9201 haproxy-splice:9601; do
	name=${setup%%:*} port=${setup#*:}
	if [ "$name" = krelay-work ]; then echo 0; else echo 1; fi >"$BHF"
	iperf3 -c 127.0.0.1 -p "$port" -t 2 >/dev/null 2>&1   # warm up
	c0=$(cpu) x0=$(ctxt)
	perf record -q -e cpu-clock -F 2000 -a -g -o /tmp/perf.data -- \
		iperf3 -c 127.0.0.1 -p "$port" -t "$T" -J >/tmp/ip.json 2>/dev/null
	c1=$(cpu) x1=$(ctxt)
	bps=$(iperf_bps /tmp/ip.json)
	bytes=$(iperf_bytes /tmp/ip.json)
	echo "$name gbps=$(awk -v b="$bps" 'BEGIN {printf "%.3f", b / 1e9}') bytes=${bytes%.*}" \
		"ctxt=$((x1 - x0)) ticks(user sys softirq irq idle)=$(echo "$c0 $c1" |
		awk '{printf "%d %d %d %d %d", $6-$1, $7-$2, $8-$3, $9-$4, $10-$5}')" |
		tee -a "$SHARE/summary.txt"
	perf report -i /tmp/perf.data --no-children --sort symbol --stdio -g none \
		--percent-limit 0.3 2>/dev/null | grep -v '^$' | head -n 60 >"$SHARE/profile-$name.txt"
	perf report -i /tmp/perf.data --no-children --sort symbol --stdio \
		-g caller,0.5,callee --percent-limit 3 2>/dev/null | head -n 400 >"$SHARE/callers-$name.txt"
	log "$name: top symbols"
	sed -n '1,25p' "$SHARE/profile-$name.txt"
done
t_pass "profiles taken"
kill "$(cat /tmp/hap.pid)" 2>/dev/null
userctl rule del 127.0.0.1:9101
userctl rule del 127.0.0.1:9201
rmmod krelay
