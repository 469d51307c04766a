# vm: timeout=300 mem=2048
# krelay's generic netlink handlers run without the global genl_mutex
# (parallel_ops): while `rule del` waits for thousands of connections to be
# torn down, other generic netlink requests go on, both krelay's own reads
# and other families' (every userctl call first resolves the family through
# nlctrl, which takes genl_mutex).  kr-nlping asks nlctrl over and over:
# its longest wait for an answer must be a small part of the deletion's
# time (holding genl_mutex made it the whole deletion).  Nor do other
# krelay changes of the same netns wait for it: the deletion waits for the
# teardown after dropping the netns' lock, so adding a rule, even on the
# deleted rule's address, succeeds at once meanwhile.
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
now() { cut -d' ' -f1 /proc/uptime; }
ms_since() { echo "$1 $(now)" | awk '{printf "%d", ($2 - $1) * 1000}'; }
t0=$(now)
(userctl rule del 127.0.0.1:9000; echo $? >/tmp/del.rc) &
deleter=$!
# Other krelay changes of the netns go on while the deletion waits for the
# teardown: the deleted rule is unlinked and its listener closed at once,
# so its address can be taken again right away (until then the add is
# refused: the address is in use).  Holding the netns' lock for the wait
# made these adds wait for the whole teardown.  They run at nice -20, as
# does kr-nlping (the deletion was started before): the teardown's kworkers
# keep both CPUs busy.
renice -n -20 -p $$ $pinger >/dev/null
add() { userctl rule add "$1" to 127.0.0.1:7001 >/dev/null 2>>/tmp/add.err; }
ta=$(now)
add_rc=1
for i in $(seq 100); do
	add 127.0.0.1:9000 && { add_rc=0; break; }
	usleep 100000
done
add_ms=$(ms_since "$ta")
tb=$(now)
# (above the local port range: the relayed connections may use any port in it)
add 127.0.0.1:65001
add2_rc=$?
add2_ms=$(ms_since "$tb")
kill -0 $deleter 2>/dev/null && del_running=yes || del_running=no
wait $deleter
del_ms=$(ms_since "$t0")
touch /tmp/stop
wait $pinger
gap=$(sed -n 's/.*max_gap_ms=\([0-9]*\).*/\1/p' /tmp/ping.out)
log "rule del of $N connections took $del_ms ms; meanwhile rule add took $add_ms ms (same address), $add2_ms ms (another); nlctrl: $(cat /tmp/ping.out); $(cat /tmp/add.err)"
t_ge "rule del took long enough to tell (>= 300 ms)" "$del_ms" 300
t_ge "nlctrl answered through it: longest wait (${gap:-?} ms) under a third of it" \
	"$((del_ms / 3))" "${gap:-999999}"
t_eq "rule del succeeded" "$(cat /tmp/del.rc)" 0
t_eq "rule add on the deleted rule's address during its teardown succeeded" "$add_rc" 0
t_eq "rule add of another rule during the teardown succeeded" "$add2_rc" 0
t_eq "the deletion was still waiting when both were done" "$del_running" yes
t_eq "no connection left" "$(stat_of active)" 0
t_eq "kr-echo answers through the new rule" "$(kr-oob -t $((10 * TS)) 127.0.0.1:9000 2>/dev/null)" helloworld
t_check "rule del (new rules)" sh -c 'userctl rule del 127.0.0.1:9000 && userctl rule del 127.0.0.1:65001'
kill $holder
krelay_unload
