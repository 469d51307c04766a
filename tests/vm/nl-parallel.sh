# vm: timeout=300 mem=2048
# krelay's generic netlink handlers run without the global genl_mutex
# (parallel_ops): while `rule del` waits for thousands of connections to be
# torn down, other generic netlink requests go on, both krelay's own reads
# and other families' (every userctl call first resolves the family through
# nlctrl, which takes genl_mutex).  kr-nlping asks nlctrl over and over:
# its longest wait for an answer must be a small part of the deletion's
# time (holding genl_mutex made it the whole deletion).
. /tests/lib.sh
krelay_load
N=$((KDBG ? 1000 : 6000))
sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
kr-echo 127.0.0.1:7001 2>/tmp/echo.log &
wait_listen 7001
t_check "rule add" userctl rule add 127.0.0.1:9000 to 127.0.0.1:7001 backlog 4096
all_up() { [ "$(stat_of active)" = "$N" ]; }
hold() {
	rm -f /tmp/ready
	kr-hold -c 127.0.0.1:9000 -n "$N" -q --hold 600 --timeout $((120 * TS)) --inflight 64 \
		-r /tmp/ready >/tmp/hold.out 2>&1 &
	holder=$!
	wait_until $((150 * TS)) test -s /tmp/ready && wait_until $((60 * TS)) all_up
}
hold
t_eq "$N connections relayed" "$(stat_of active)" "$N"
# the deletion must take long enough to tell a wait from scheduling noise
rm -f /tmp/stop
kr-nlping -t $((300 * TS)) -s /tmp/stop >/tmp/ping.out &
pinger=$!
usleep 500000
t0=$(cut -d' ' -f1 /proc/uptime)
userctl rule del 127.0.0.1:9000
echo $? >/tmp/del.rc
t1=$(cut -d' ' -f1 /proc/uptime)
touch /tmp/stop
wait $pinger
del_ms=$(echo "$t0 $t1" | awk '{printf "%d", ($2 - $1) * 1000}')
gap=$(sed -n 's/.*max_gap_ms=\([0-9]*\).*/\1/p' /tmp/ping.out)
log "rule del of $N connections took $del_ms ms; nlctrl: $(cat /tmp/ping.out)"
t_ge "rule del took long enough to tell (>= 300 ms)" "$del_ms" 300
t_ge "nlctrl answered through it: longest wait (${gap:-?} ms) under a third of it" \
	"$((del_ms / 3))" "${gap:-999999}"
t_eq "rule del succeeded" "$(cat /tmp/del.rc)" 0
t_eq "no connection left" "$(stat_of active)" 0
kill $holder
krelay_unload
