# vm: timeout=480 solo
# The relay's last FIN reaches the client even when TCP sends it only on a
# retransmit timer, after the relay has closed its socket.
#
# Under TCP memory pressure tcp_send_fin() tacks the FIN onto data already
# sent and leaves it to the retransmit timer.  Closing a kernel socket
# stopped those timers for good (tcp_close() on a socket without a netns
# reference), so such a FIN was never sent: the client had all its data
# and waited forever for the end of the stream, and the relay's socket
# stayed in LAST_ACK.  tcp_mem "1 1 N" keeps TCP under memory pressure
# for the whole run (pressure starts above tcp_mem[1] pages and ends below
# tcp_mem[0]).  Without the fix, 27 of the 273 transfers a run of this
# size had started on 6.1 got no EOF.  (solo: tcp_mem is the host's, only
# the initial network namespace has it.)
. /tests/lib.sh
krelay_load
echo_rules

read -r m0 m1 m2 </proc/sys/net/ipv4/tcp_mem
pressures() { tcp_ext TCPMemoryPressures | sed 's/^TCPMemoryPressures=\([0-9]*\).*/\1/'; }
p0=$(pressures)
echo "1 1 $m2" >/proc/sys/net/ipv4/tcp_mem
N=150
[ "$KDBG" = 1 ] && N=40
# ~35 s on an idle host; the deadline leaves room for a loaded one (a lost
# FIN is never sent, however long the client waits)
T=$((240 * TS))
# Megabytes in flight on 32 connections: TCP's global count of memory
# (cached 1 MB per CPU) passes tcp_mem[1] at once.
kr-xfer -c 127.0.0.1:9000 -n $N -j 16 --min 64K --max 8M --wmax 1M \
	--no-digest --seed 11 --timeout $T >/tmp/splice.out 2>&1 &
sp=$!
kr-xfer -c 127.0.0.1:9001 -n $N -j 16 --min 64K --max 8M --wmax 1M \
	--no-digest --seed 12 --timeout $T >/tmp/copy.out 2>&1 &
cp=$!
wait $sp
rs=$?
wait $cp
rc=$?
echo "$m0 $m1 $m2" >/proc/sys/net/ipv4/tcp_mem
head -n 20 /tmp/splice.out /tmp/copy.out
t_ge "TCP was under memory pressure" "$(($(pressures) - p0))" 1
t_eq "$N transfers via splice under memory pressure, each with its EOF" "$rs" 0
t_eq "$N transfers via copy under memory pressure, each with its EOF" "$rc" 0
t_eq "all connections closed by FIN" "$(stat_of closed)" $((2 * N))
# the relay's orphaned sockets finish their close (FIN acknowledged)
orphans() { ss -tanH state last-ack state fin-wait-1 state closing '( sport = :9000 or sport = :9001 or dport = :7000 )' | wc -l; }
no_orphans() { [ "$(orphans)" -eq 0 ]; }
wait_until $((30 * TS)) no_orphans
t_eq "no relay socket left closing" "$(orphans)" 0
krelay_unload
