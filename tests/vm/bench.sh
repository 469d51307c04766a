# vm: timeout=1500 mem=1536 smp=2 suite=bench
# `make bench` (scripts/bench.sh): krelay against direct loopback and the
# userspace relays, all in this one boot, setups interleaved per round.
#
# Setups (each relay listens on its own ports; T = to the iperf3 server
# :5201, R = to the kr-echo server :7000):
#   direct          no relay            T 5201  R 7000
#   krelay-splice   userctl ... splice  T 9101  R 9102
#   krelay-work     the same without the receive fast path (bh_forward=0,
#                   set before each of its runs)  T 9801  R 9802
#   krelay-copy     userctl ... copy    T 9201  R 9202
#   rinetd          rinetd -f           T 9301  R 9302
#   socat           socat fork          T 9401  R 9402
#   haproxy         mode tcp, 1 thread, option splice-auto           T 9501 R 9502
#   haproxy-splice  mode tcp, 1 thread, splice-request+splice-response T 9601 R 9602
#   nginx           stream, 1 worker    T 9701  R 9702
# Tests per setup and round: iperf3 1 and 8 streams, both directions
# (p1 p8 p1r p8r), kr-rr conn-rate (crate: BENCH_CRATE_SIZE-byte request and
# echo per connection, default 100) and latency on one connection (lat:
# BENCH_RR_SIZE bytes, default 1; lat16k: 16 KiB).  Then one
# extra iperf3 -P1 run per setup with krelay_trace.ko loaded (its kprobes
# perturb the timing, so it is kept out of the measured rounds).
#
# Parameters come from /etc/krelay-bench.conf (written by scripts/bench.sh
# into an initramfs overlay): BENCH_REPS BENCH_T BENCH_RR_T BENCH_SETUPS
# BENCH_TESTS BENCH_TRACE BENCH_TRACE_T BENCH_RR_SIZE BENCH_CRATE_P
# BENCH_DEADLINE.
#
# Output in $SHARE: raw.txt (one record a line, "TAG key=value ..."),
# iperf/*.json (iperf3 -J of every run), logs/ (daemon configs and logs).
#   meta  kernel= accel= cpu_model= date= reps= t= rr_t= setups= tests=
#   setup name=S status=ok|FAILED [why=...]
#   run   rep=N setup=S test=T status=ok|FAILED secs= bytes= bps=
#         busy_j= total_j= ctxt= [rr.KEY=VALUE ... from kr-rr] [why=...]
#   trace setup=S status=ok|FAILED bytes= busy_j= ctxt= sendmsg_calls= ...
#         locked_sendmsg_calls= ... switches= wakeups= probe_NAME=ok|skipped ...
#   end   status=complete|deadline
# why= values have blanks replaced by '_'.
# $SHARE/mark holds "REP SETUP TEST" while a run is measured and "idle"
# otherwise: scripts/bench.sh samples the host's CPU use beside it
# (host.txt), so the report can say how much of the host other work used
# during each run and leave contended runs out.
. /tests/lib.sh

[ -f /etc/krelay-bench.conf ] && . /etc/krelay-bench.conf
: "${BENCH_REPS:=3}" "${BENCH_T:=4}" "${BENCH_RR_T:=3}" "${BENCH_RR_SIZE:=1}" "${BENCH_CRATE_SIZE:=100}"
: "${BENCH_CRATE_P:=2}" "${BENCH_TRACE:=1}" "${BENCH_TRACE_T:=$BENCH_T}"
: "${BENCH_SETUPS:=direct krelay-splice krelay-copy rinetd socat haproxy haproxy-splice nginx}"
: "${BENCH_TESTS:=p1 p8 p1r p8r crate lat lat16k}"

RAW=$SHARE/raw.txt
IJ=$SHARE/iperf
LG=$SHARE/logs
mkdir -p "$IJ" "$LG"
: >"$RAW"
raw() { echo "$*" >>"$RAW"; }
clean() { printf '%s' "$*" | tr -s ' \t\n\r=' '_' | cut -c1-200; }

ulimit -n 65536 2>/dev/null || ulimit -n 16384 2>/dev/null
sysctl -qw net.ipv4.tcp_tw_reuse=1 2>/dev/null
sysctl -qw net.core.somaxconn=4096 2>/dev/null
sysctl -qw net.ipv4.tcp_max_syn_backlog=4096 2>/dev/null

# --- environment ------------------------------------------------------------
accel=tcg
dmesg | grep -q 'Hypervisor detected: KVM' && accel=kvm
model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
case "$model" in *TCG*) accel=tcg ;; esac
KRELAY_KO=${KRELAY_KO:-$(find /lib/modules -name krelay.ko 2>/dev/null | head -n1)}
KTRACE_KO=${KTRACE_KO:-$(find /lib/modules -name krelay_trace.ko 2>/dev/null | head -n1)}
raw "meta kernel=$(uname -r) accel=$accel cpus=$(nproc) mem_kb=$(awk '/MemTotal/{print $2}' /proc/meminfo)" \
	"cpu_model=$(clean "$model") date=$(date -u +%Y-%m-%dT%H:%M:%SZ) reps=$BENCH_REPS t=$BENCH_T" \
	"rr_t=$BENCH_RR_T rr_size=$BENCH_RR_SIZE crate_size=$BENCH_CRATE_SIZE crate_p=$BENCH_CRATE_P deadline=${BENCH_DEADLINE:-0}" \
	"trace_t=$BENCH_TRACE_T setups=$(echo $BENCH_SETUPS | tr ' ' ,) tests=$(echo $BENCH_TESTS | tr ' ' ,)" \
	"krelay_ko=${KRELAY_KO:+yes} ktrace_ko=${KTRACE_KO:+yes} kr_rr=$(command -v kr-rr >/dev/null && echo yes)" \
	"haproxy=$(haproxy -v 2>/dev/null | head -n1 | awk '{print $3}') nginx=$(nginx -v 2>&1 | sed 's/.*nginx\///')" \
	"iperf3=$(iperf3 -v 2>/dev/null | head -n1 | awk '{print $2}') socat=$(socat -V 2>/dev/null | sed -n 's/^socat version \([^ ]*\).*/\1/p')"
log "bench: kernel $(uname -r), $accel, reps=$BENCH_REPS t=${BENCH_T}s rr=${BENCH_RR_T}s"

# --- helpers -------------------------------------------------------------------
# cpu_snap: "busy_jiffies total_jiffies ctxt" from /proc/stat
cpu_snap() {
	awk '/^cpu /{b=$2+$3+$4+$7+$8+$9; t=b+$5+$6} /^ctxt /{c=$2} END{print b, t, c}' /proc/stat
}
# delta "B0 T0 C0" "B1 T1 C1": "busy_j=.. total_j=.. ctxt=.."
delta() {
	echo "$1 $2" | awk '{printf "busy_j=%d total_j=%d ctxt=%d", $4-$1, $5-$2, $6-$3}'
}
# hostmark TAG: what the host's sampler attributes its next samples to
hostmark() { echo "$*" >"$SHARE/mark.tmp" && mv "$SHARE/mark.tmp" "$SHARE/mark"; }
hostmark idle
# jget FILE SECTION KEY: a number from iperf3 -J's end.SECTION object
jget() {
	tr -d ' \n\t' <"$1" | sed -n "s/.*\"$2\":{[^}]*\"$3\":\([0-9.eE+-]*\).*/\1/p" | head -n1
}

PORTS_direct="5201 7000"
PORTS_krelay_splice="9101 9102"
PORTS_krelay_copy="9201 9202"
PORTS_krelay_work="9801 9802"
PORTS_rinetd="9301 9302"
PORTS_socat="9401 9402"
PORTS_haproxy="9501 9502"
PORTS_haproxy_splice="9601 9602"
PORTS_nginx="9701 9702"
var() { echo "$1" | tr '-' '_'; }
ports() { eval "echo \${PORTS_$(var "$1"):-}"; }
tport() { set -- $(ports "$1"); echo "$1"; }
rport() { set -- $(ports "$1"); echo "$2"; }
is_ok() { eval "[ \"\${OK_$(var "$1"):-0}\" = 1 ]"; }

iperf_server() {
	[ -f /tmp/iperf3-s.pid ] && kill "$(cat /tmp/iperf3-s.pid)" 2>/dev/null && usleep 300000
	iperf3 -s -D -p 5201 -I /tmp/iperf3-s.pid --logfile "$LG/iperf3-server.log"
	wait_listen 5201 10
}

# echo_check PORT: one line through PORT comes back from kr-echo (stdin
# stays open for a second: rinetd closes both ways on a half-close)
echo_check() {
	r=$( (echo "krelay-bench-ping"; sleep 1) | timeout 10 socat -t 3 - "TCP:127.0.0.1:$1" 2>&1)
	[ "$r" = krelay-bench-ping ] || { echo "echo check on :$1 got '$r'"; return 1; }
}

# --- setups ---------------------------------------------------------------------
start_krelay() { # MODE SETUP
	[ -n "$KRELAY_KO" ] || { echo "krelay.ko is not in the image (not built)"; return 1; }
	command -v userctl >/dev/null || { echo "userctl is not in the image (not built)"; return 1; }
	if ! grep -q '^krelay ' /proc/modules; then
		insmod "$KRELAY_KO" || { echo "insmod krelay.ko failed"; return 1; }
	fi
	set -- "$1" $(ports "$2")
	userctl rule add "127.0.0.1:$2" to 127.0.0.1:5201 mode "$1" || return 1
	userctl rule add "127.0.0.1:$3" to 127.0.0.1:7000 mode "$1" || return 1
}

start_rinetd() {
	cat >/tmp/rinetd.conf <<EOF
127.0.0.1 9301 127.0.0.1 5201
127.0.0.1 9302 127.0.0.1 7000
EOF
	cp /tmp/rinetd.conf "$LG/"
	command -v rinetd >/dev/null || { echo "rinetd is not in the image"; return 1; }
	rinetd -f -c /tmp/rinetd.conf >"$LG/rinetd.log" 2>&1 &
}

start_socat() {
	command -v socat >/dev/null || { echo "socat is not in the image"; return 1; }
	socat TCP-LISTEN:9401,bind=127.0.0.1,reuseaddr,fork,backlog=1024 TCP:127.0.0.1:5201 \
		>"$LG/socat-t.log" 2>&1 &
	socat TCP-LISTEN:9402,bind=127.0.0.1,reuseaddr,fork,backlog=1024 TCP:127.0.0.1:7000 \
		>"$LG/socat-r.log" 2>&1 &
	echo "socat TCP-LISTEN:PORT,bind=127.0.0.1,reuseaddr,fork,backlog=1024 TCP:127.0.0.1:BACKEND" >"$LG/socat.conf"
}

start_haproxy() { # NAME SPLICE-OPTIONS...
	n=$1
	shift
	command -v haproxy >/dev/null || { echo "haproxy is not in the image"; return 1; }
	set -- "$n" $(ports "$n") "$@"
	c=/tmp/$1.cfg
	{
		echo "global"
		echo "    nbthread 1"
		echo "    maxconn 30000"
		echo "    pidfile /tmp/$1.pid"
		echo "defaults"
		echo "    mode tcp"
		echo "    timeout connect 5s"
		echo "    timeout client 60s"
		echo "    timeout server 60s"
		shift 3
		for o in "$@"; do echo "    option $o"; done
		echo "listen tput"
		echo "    bind 127.0.0.1:$(tport "$n")"
		echo "    server iperf3 127.0.0.1:5201"
		echo "listen rr"
		echo "    bind 127.0.0.1:$(rport "$n")"
		echo "    server echo 127.0.0.1:7000"
	} >"$c"
	cp "$c" "$LG/"
	haproxy -c -f "$c" >"$LG/$n.check.log" 2>&1 || { cat "$LG/$n.check.log"; return 1; }
	haproxy -D -f "$c" >"$LG/$n.log" 2>&1 || { cat "$LG/$n.log"; return 1; }
}

start_nginx() {
	command -v nginx >/dev/null || { echo "nginx is not in the image"; return 1; }
	so=/usr/lib/nginx/modules/ngx_stream_module.so
	[ -f $so ] || { echo "nginx stream module $so is not in the image"; return 1; }
	mkdir -p /tmp/nginx /var/lib/nginx /var/log/nginx
	cat >/tmp/nginx.conf <<EOF
load_module $so;
user nobody nogroup;
worker_processes 1;
worker_rlimit_nofile 65536;
pid /tmp/nginx.pid;
error_log $LG/nginx-error.log warn;
events { worker_connections 30000; }
stream {
    server { listen 127.0.0.1:9701; proxy_pass 127.0.0.1:5201; }
    server { listen 127.0.0.1:9702; proxy_pass 127.0.0.1:7000; }
}
EOF
	cp /tmp/nginx.conf "$LG/"
	nginx -t -p /tmp/nginx -e /tmp/nginx/error.log -c /tmp/nginx.conf >"$LG/nginx-test.log" 2>&1 ||
		{ cat "$LG/nginx-test.log"; return 1; }
	nginx -p /tmp/nginx -e /tmp/nginx/error.log -c /tmp/nginx.conf
}

start_setup() { # SETUP: start it, check both ports relay, record the result
	s=$1
	out=/tmp/setup-$s.log
	case $s in
	direct) : >"$out" ;;
	krelay-splice) start_krelay splice "$s" >"$out" 2>&1 ;;
	krelay-copy) start_krelay copy "$s" >"$out" 2>&1 ;;
	krelay-work) start_krelay splice "$s" >"$out" 2>&1 ;;
	rinetd) start_rinetd >"$out" 2>&1 ;;
	socat) start_socat >"$out" 2>&1 ;;
	haproxy) start_haproxy haproxy splice-auto >"$out" 2>&1 ;;
	haproxy-splice) start_haproxy haproxy-splice splice-request splice-response >"$out" 2>&1 ;;
	nginx) start_nginx >"$out" 2>&1 ;;
	*) echo "unknown setup" >"$out"; false ;;
	esac
	rc=$?
	if [ $rc -eq 0 ]; then
		for p in $(ports "$s"); do
			wait_listen "$p" 10 >>"$out" 2>&1 || { rc=1; echo "nothing listens on :$p" >>"$out"; }
		done
	fi
	[ $rc -eq 0 ] && { echo_check "$(rport "$s")" >>"$out" 2>&1 || rc=1; }
	cp "$out" "$LG/setup-$s.log"
	if [ $rc -eq 0 ]; then
		eval "OK_$(var "$s")=1"
		raw "setup name=$s status=ok"
		t_pass "setup $s"
	else
		why=$(clean "$(tail -n 3 "$out")")
		raw "setup name=$s status=FAILED why=${why:-exit_$rc}"
		t_fail "setup $s" "$(tail -n 1 "$out")"
	fi
}

# --- measurements ---------------------------------------------------------------
# iperf_run REP SETUP TEST [TRACE]: one iperf3 client run, one raw line
iperf_run() {
	rep=$1 s=$2 t=$3 tag=run
	case $t in
	p1) a="-P 1" ;;
	p8) a="-P 8" ;;
	p1r) a="-P 1 -R" ;;
	p8r) a="-P 8 -R" ;;
	esac
	f=$IJ/$s-$t-$rep.json
	secs_t=$BENCH_T
	[ "$rep" = trace ] && { f=$IJ/$s-trace.json; tag=trace; secs_t=$BENCH_TRACE_T; }
	lim=$((secs_t + 10))
	u0=$(uptime_s)
	hostmark "$rep $s $t"
	s0=$(cpu_snap)
	timeout -k 5 $lim iperf3 -c 127.0.0.1 -p "$(tport "$s")" -t "$secs_t" -i 0 $a -J \
		--connect-timeout 5000 >"$f" 2>"$f.err"
	rc=$?
	s1=$(cpu_snap)
	hostmark idle
	hung=$(( $(uptime_s) - u0 >= lim ))
	d=$(delta "$s0" "$s1")
	bytes=$(jget "$f" sum_received bytes)
	bps=$(jget "$f" sum_received bits_per_second)
	secs=$(jget "$f" sum_received seconds)
	if [ $rc -eq 0 ] && [ "${bytes:-0}" -gt 0 ] 2>/dev/null; then
		line="status=ok secs=$secs bytes=$bytes bps=$bps $d"
	else
		why=$(tr -d '\n' <"$f" | sed -n 's/.*"error":[[:space:]]*"\([^"]*\)".*/\1/p')
		[ -n "$why" ] || why="exit $rc $(head -c 150 "$f.err")"
		[ "$hung" = 1 ] && why="hung: killed after ${lim}s ($why)"
		line="status=FAILED bytes=${bytes:-0} $d why=$(clean "$why")"
		iperf_server >/dev/null 2>&1   # a stuck server would fail the next runs
	fi
	[ -s "$f.err" ] || rm -f "$f.err"
	if [ $tag = trace ]; then
		echo "$line"
	else
		raw "run rep=$rep setup=$s test=$t $line"
		log "  $s $t: $(echo "$line" | cut -c1-120)"
		note_hung "$s" "$hung"
	fi
}

# A setup whose runs hang (killed by the time limit) twice in a row gets no
# more runs: they are recorded FAILED (keeps a broken relay from eating the
# time budget).
uptime_s() { cut -d. -f1 /proc/uptime; }
note_hung() { # SETUP 0|1
	v=HUNG_$(var "$1")
	if [ "$2" = 1 ]; then
		eval "$v=\$(( \${$v:-0} + 1 ))"
	else
		eval "$v=0"
	fi
}
is_broken() { eval "[ \"\${HUNG_$(var "$1"):-0}\" -ge 2 ]"; }

# rr_run REP SETUP TEST: one kr-rr run
rr_run() {
	rep=$1 s=$2 t=$3
	if ! command -v kr-rr >/dev/null; then
		raw "run rep=$rep setup=$s test=$t status=FAILED why=kr-rr_not_in_the_image"
		return
	fi
	case $t in
	crate) a="--mode conn-rate -P $BENCH_CRATE_P -s $BENCH_CRATE_SIZE" ;;
	lat) a="--mode latency -s $BENCH_RR_SIZE" ;;
	lat16k) a="--mode latency -s 16384" ;;
	esac
	o=/tmp/rr.out
	lim=$((BENCH_RR_T + 10))
	u0=$(uptime_s)
	hostmark "$rep $s $t"
	s0=$(cpu_snap)
	timeout -k 5 $lim kr-rr -c "127.0.0.1:$(rport "$s")" $a -d "$BENCH_RR_T" \
		>$o 2>/tmp/rr.err
	rc=$?
	s1=$(cpu_snap)
	hostmark idle
	hung=$(( $(uptime_s) - u0 >= lim ))
	d=$(delta "$s0" "$s1")
	kv=$(grep '=' $o | tail -n 1)
	echo "$s $t $rep rc=$rc: $kv $(head -c 300 /tmp/rr.err)" >>"$LG/kr-rr.log"
	if [ $rc -eq 0 ] && [ -n "$kv" ]; then
		kv=$(echo "$kv" | awk '{for (i = 1; i <= NF; i++) if ($i ~ /=/) printf " rr.%s", $i}')
		line="status=ok $d$kv"
	else
		why="exit $rc $(head -c 150 /tmp/rr.err) $(head -c 100 $o)"
		[ "$hung" = 1 ] && why="hung: killed after ${lim}s ($why)"
		line="status=FAILED $d why=$(clean "$why")"
	fi
	raw "run rep=$rep setup=$s test=$t $line"
	log "  $s $t: $(echo "$line" | cut -c1-120)"
	note_hung "$s" "$hung"
}

# bh_forward SETUP: krelay's receive fast path off for krelay-work only (the
# module parameter is global)
bh_forward() {
	[ -w /sys/module/krelay/parameters/bh_forward ] || return 0
	if [ "$1" = krelay-work ]; then echo 0; else echo 1; fi >/sys/module/krelay/parameters/bh_forward
}

measure() { # REP SETUP TEST
	bh_forward "$2"
	if ! is_ok "$2"; then
		raw "run rep=$1 setup=$2 test=$3 status=FAILED why=setup_failed"
		return
	fi
	if is_broken "$2"; then
		raw "run rep=$1 setup=$2 test=$3 status=FAILED why=skipped:_two_runs_in_a_row_hung"
		return
	fi
	case $3 in
	p1 | p8 | p1r | p8r) iperf_run "$@" ;;
	crate | lat | lat16k) rr_run "$@" ;;
	esac
}

# trace_run SETUP: iperf3 -P1 without, then with krelay_trace.ko loaded;
# counts from its unload report ("krelay_trace: tcp seq=N sendmsg_calls=..."
# in dmesg), the untraced run's numbers as base_* keys
trace_run() {
	s=$1
	bh_forward "$s"
	if ! is_ok "$s"; then
		raw "trace setup=$s status=FAILED why=setup_failed"
		return
	fi
	if is_broken "$s"; then
		raw "trace setup=$s status=FAILED why=skipped:_two_runs_in_a_row_hung"
		return
	fi
	if [ -z "$KTRACE_KO" ]; then
		raw "trace setup=$s status=FAILED why=krelay_trace.ko_not_in_the_image"
		return
	fi
	# the tracer's own cost: the same run without it just before, same
	# boot and conditions (keys prefixed base_)
	base=$(iperf_run trace "$s" p1)
	case $base in
	status=ok*) base=$(printf '%s' "$base" | sed 's/\([a-z_.]*=\)/base_\1/g') ;;
	*) base="base_status=FAILED" ;;
	esac
	before=$(dmesg | grep -c 'krelay_trace: end seq=')
	if ! insmod "$KTRACE_KO" interval_ms=0 >/tmp/kt.err 2>&1; then
		raw "trace setup=$s status=FAILED why=$(clean "insmod: $(cat /tmp/kt.err)")"
		return
	fi
	line=$(iperf_run trace "$s" p1)
	rmmod krelay_trace
	usleep 200000
	after=$(dmesg | grep -c 'krelay_trace: end seq=')
	if [ "$after" -le "$before" ]; then
		raw "trace setup=$s status=FAILED why=no_report_in_the_kernel_log $line"
		return
	fi
	# the last report (from its "report" line on): tcp, tcp_locked, sched
	# and probe lines; tcp_locked keys get a "locked_" prefix
	dmesg | sed -n 's/.*krelay_trace: //p' >/tmp/kt.all
	first=$(grep -n '^report seq=' /tmp/kt.all | tail -n 1 | cut -d: -f1)
	tail -n +"${first:-1}" /tmp/kt.all >/tmp/kt.last
	cp /tmp/kt.last "$LG/trace-$s.txt"
	if ! grep -q '^end seq=' /tmp/kt.last; then
		raw "trace setup=$s status=FAILED why=incomplete_tracer_report $line"
		return
	fi
	tcp=$(sed -n 's/^tcp seq=[0-9]* //p' /tmp/kt.last | head -n 1)
	lck=$(sed -n 's/^tcp_locked seq=[0-9]* //p' /tmp/kt.last | head -n 1 | sed 's/\([a-z_]*=\)/locked_\1/g')
	sch=$(sed -n 's/^sched seq=[0-9]* //p' /tmp/kt.last | head -n 1)
	pr=$(sed -n 's/^probe seq=[0-9]* name=\([a-z_]*\) .*status=\([a-z]*\).*/probe_\1=\2/p' /tmp/kt.last |
		tr '\n' ' ')
	tcp="$tcp $lck"
	case $line in
	status=ok*) raw "trace setup=$s $line tracer=ok $tcp $sch $pr $base" ;;
	*) raw "trace setup=$s $line" ;;
	esac
}

# --- run --------------------------------------------------------------------------
# Watchdog: stop at BENCH_DEADLINE seconds whatever hangs (a stuck relay,
# a stuck rmmod); what was measured so far is in raw.txt already.
if [ "${BENCH_DEADLINE:-0}" -gt 0 ]; then
	(
		sleep "$BENCH_DEADLINE"
		raw "end status=deadline seconds=$BENCH_DEADLINE"
		t_fail "bench finished within ${BENCH_DEADLINE}s"
		ps >"$LG/ps-deadline.txt" 2>&1
		dmesg >"$SHARE/dmesg.txt"
		sync
		poweroff -f
	) &
	WD=$!
fi
iperf_server || t_fail "iperf3 server"
kr-echo -m echo 127.0.0.1:7000 >"$LG/kr-echo.log" 2>&1 &
wait_listen 7000 10 || t_fail "kr-echo server"

for s in $BENCH_SETUPS; do
	start_setup "$s"
done
ps >"$LG/ps.txt" 2>&1
ss -tlnp >"$LG/listeners.txt" 2>&1

# warm-up (not recorded)
iperf3 -c 127.0.0.1 -p 5201 -t 1 >/dev/null 2>&1

set -- $BENCH_SETUPS
n=$#
rep=1
while [ $rep -le "$BENCH_REPS" ]; do
	# rotate the order each round so no setup always runs first
	order=$(echo $BENCH_SETUPS | awk -v r=$((rep - 1)) '{for (i = 0; i < NF; i++) printf "%s ", $(((i + r) % NF) + 1)}')
	log "round $rep/$BENCH_REPS: $order"
	for s in $order; do
		for t in $BENCH_TESTS; do
			measure $rep "$s" "$t"
		done
	done
	rep=$((rep + 1))
done

if [ "$BENCH_TRACE" = 1 ]; then
	log "tracer runs"
	for s in $BENCH_SETUPS; do
		trace_run "$s"
	done
fi

if grep -q '^krelay ' /proc/modules; then
	userctl -s rule list >"$LG/krelay-rules.txt" 2>&1
	userctl -j stats >"$LG/krelay-stats.json" 2>&1
fi
[ -n "${WD:-}" ] && kill "$WD" 2>/dev/null
raw "end status=complete"
t_pass "bench complete"
# Stop the relays so the kernel log check sees a clean teardown too.
for p in /tmp/haproxy.pid /tmp/haproxy-splice.pid /tmp/nginx.pid /tmp/iperf3-s.pid; do
	[ -f $p ] && kill "$(cat $p)" 2>/dev/null
done
killall rinetd socat kr-echo 2>/dev/null
# krelay teardown in the background, bounded: a stuck rule deletion or
# rmmod must not keep the VM up until the host's timeout.
if grep -q '^krelay ' /proc/modules; then
	rm -f /tmp/teardown.rc
	(
		for s in krelay-splice krelay-copy; do
			for p in $(ports $s); do userctl rule del "127.0.0.1:$p"; done
		done
		sleep 1
		rmmod krelay
		echo $? >/tmp/teardown.rc
	) >"$LG/krelay-teardown.log" 2>&1 &
	i=0
	while [ ! -f /tmp/teardown.rc ] && [ $i -lt 30 ]; do sleep 1; i=$((i + 1)); done
	if [ ! -f /tmp/teardown.rc ]; then
		t_fail "krelay teardown" "rule del / rmmod still running after 30s"
	elif [ "$(cat /tmp/teardown.rc)" != 0 ]; then
		t_fail "krelay teardown" "rmmod krelay failed"
	else
		t_pass "krelay teardown"
	fi
fi
exit 0
