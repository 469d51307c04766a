# vm: timeout=420 mem=2048 solo
# Fault matrix: every way a peer can misbehave ends in its documented
# outcome (include/uapi/linux/krelay.h, kmod/conn.c header), is counted on
# its rule, and leaves nothing behind (no active connection, no conn object).
#
#   backend refuses            -> client reset, failed + connect_refused
#   backend resets mid-stream  -> client reset, reset
#   backend black-holes SYNs   -> client reset after connect-timeout,
#                                 failed + connect_timeout
#   backend never reads, idle timeout set -> client reset after the idle
#                                 timeout, idle_timeout
#   backend never reads, no idle timeout  -> client writes stall
#                                 (backpressure); the client's own abort
#                                 (RST) ends it as reset
#   client resets mid-transfer -> reset, at most what it sent went on
#   client killed (-9) with unread data -> its kernel sends RST: reset
#   client killed (-9) idle    -> its kernel sends FIN: closed
#   client sends 1 byte / 50 ms -> every byte relayed, byte-exact: closed
#   1,000 clients that never read, backends that never stop sending ->
#                                 relay memory bounded by the socket buffers
#
# Each case has its own rule, so its counters are its own.
. /tests/lib.sh

ms() { awk '{printf "%d\n", $1 * 1000}' /proc/uptime; }
# rstat PORT FIELD: one counter of the rule listening on 127.0.0.1:PORT
rstat() {
	userctl -j stats "127.0.0.1:$1" | tr ',{}' '\n\n\n' | sed -n "s/^ *\"$2\": *\([0-9]*\).*/\1/p" | head -n1
}
# Live krelay_conn objects.  SLUB counts a CPU's current slab as fully in
# use in /proc/slabinfo; shrinking first flushes those, so the count is exact.
SLAB=/sys/kernel/slab/krelay_conn
slab_objs() {
	if [ -d $SLAB ]; then
		echo 1 >$SLAB/shrink 2>/dev/null
		cut -d' ' -f1 $SLAB/objects
	else
		awk '$1 == "krelay_conn" {print $2}' /proc/slabinfo
	fi
}
# wait_stat RULE FIELD MIN SECS: poll until the counter reaches MIN, for at
# most SECS x TS seconds of elapsed time (not a number of polls: on a
# loaded debug kernel one userctl call can take a second).
wait_stat() {
	local end=$((SECONDS + $4 * TS))
	while [ "$(rstat "$1" "$2")" -lt "$3" ] 2>/dev/null; do
		[ $SECONDS -ge $end ] && return 1
		usleep 100000
	done
	return 0
}
# wait_still RULE FIELD SECS: poll until the counter stops moving (1 s),
# for at most SECS x TS seconds
wait_still() {
	local end=$((SECONDS + $3 * TS)) prev=-1 cur
	while cur=$(rstat "$1" "$2") && [ "$cur" != "$prev" ]; do
		[ $SECONDS -ge $end ] && return 1
		prev=$cur
		sleep 1
	done
	return 0
}
# settle CASE: the relay is back to its idle state (polls up to 20 s for
# deferred teardown and RCU frees, then asserts each part)
settle() {
	local i=0
	while [ $i -lt 200 ]; do
		[ "$(stat_of active)" = 0 ] && [ "$(userctl conn count)" = 0 ] &&
			[ "$(slab_objs)" = "$slab_base" ] && break
		usleep 100000
		i=$((i + 1))
	done
	t_eq "$1: no active connection" "$(stat_of active)" 0
	t_eq "$1: conn count 0" "$(userctl conn count)" 0
	t_eq "$1: krelay_conn objects back to baseline" "$(slab_objs)" "$slab_base"
}
# peer_view PORT SECS [DATA]: connect through the relay, send DATA, read
# until the end; prints "eof BYTES", "reset BYTES" or "other BYTES (why)".
peer_view() (
	trap '' PIPE
	# the RST may even beat connect()'s return (the relay refuses at once
	# while the client is still waking up): connect then fails with it
	if ! { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/tmp/pv.cerr; then
		if grep -qi 'reset' /tmp/pv.cerr; then echo "reset 0"; else echo "other 0 (connect failed: $(cat /tmp/pv.cerr))"; fi
		exit
	fi
	# a write may already meet the RST (and consume the error)
	: >/tmp/pv.err
	[ -n "${3:-}" ] && printf '%s' "$3" >&3 2>>/tmp/pv.err
	timeout "$2" cat <&3 >/tmp/pv.out 2>>/tmp/pv.err
	rc=$?
	n=$(wc -c </tmp/pv.out)
	if grep -qi 'reset' /tmp/pv.err; then echo "reset $n"
	elif [ $rc = 0 ]; then echo "eof $n"
	else echo "other $n (exit $rc: $(cat /tmp/pv.err))"
	fi
)

krelay_load
slab_base=$(slab_objs)
log "krelay_conn objects at start: $slab_base"

# --- backend refuses: nobody listens on the backend port ------------------
C="refused"
t_check "$C: rule add" userctl rule add 127.0.0.1:9101 to 127.0.0.1:7101
t0=$(ms)
v=$(peer_view 9101 20 ping)
log "$C: client saw '$v' after $(($(ms) - t0)) ms"
t_eq "$C: client reset, got no data" "$v" "reset 0"
t_eq "$C: accepted" "$(rstat 9101 accepted)" 1
t_eq "$C: counted failed" "$(rstat 9101 failed)" 1
t_eq "$C: counted connect_refused" "$(rstat 9101 connect_refused)" 1
settle "$C"

# --- backend resets mid-transfer (copy rule) -------------------------------
# The backend echoes, the client does not read: the echo backs up, the
# backend stops reading and its receive queue fills.  Killing it then makes
# its kernel answer with an RST (data unread) in the middle of the stream.
C="backend reset"
kr-echo -m echo 127.0.0.1:7102 2>/dev/null &
be=$!
wait_listen 7102
t_check "$C: rule add" userctl rule add 127.0.0.1:9102 to 127.0.0.1:7102 mode copy
kr-xfer -c 127.0.0.1:9102 -n 1 --min 256M --max 256M --pause-read 60 --timeout 90 \
	>/tmp/b.out 2>&1 &
x=$!
wait_stat 9102 bytes_to_backend 1048576 30
wait_still 9102 bytes_to_backend 30
b1=$(rstat 9102 bytes_to_backend)
log "$C: relayed $b1 bytes to the backend before it dies"
kill -9 $be
t0=$(ms)
if wait_end $x 20; then t_pass "$C: client ended"; else t_fail "$C: client ended" "still running after 20 s"; fi
wait $x
rc=$?
log "$C: client ended after $(($(ms) - t0)) ms, exit $rc: $(tail -n2 /tmp/b.out | tr '\n' ' ')"
t_eq "$C: client failed" "$rc" 1
t_match "$C: client saw a reset" "$(grep FAIL /tmp/b.out)" 'reset by peer|Broken pipe'
t_eq "$C: counted reset" "$(rstat 9102 reset)" 1
t_eq "$C: nothing counted closed" "$(rstat 9102 closed)" 0
settle "$C"

# --- backend black-holes SYNs: connect timeout -----------------------------
# backlog 0, never accepts; one queued connection fills the accept queue.
C="blackhole"
kr-echo -m blackhole 127.0.0.1:7103 2>/dev/null &
wait_listen 7103
socat -T 120 TCP:127.0.0.1:7103 - </dev/null >/dev/null 2>&1 &
bh=$!
sleep 1
t_check "$C: rule add, connect-timeout 1500" \
	userctl rule add 127.0.0.1:9103 to 127.0.0.1:7103 connect-timeout 1500
t0=$(ms)
v=$(peer_view 9103 30 ping)
d=$(($(ms) - t0))
log "$C: client saw '$v' after $d ms"
t_eq "$C: client reset, got no data" "$v" "reset 0"
t_ge "$C: not before the 1.5 s timeout" "$d" 1400
t_ge "$C: within 10 s" $((10000 - d)) 0
t_eq "$C: counted failed" "$(rstat 9103 failed)" 1
t_eq "$C: counted connect_timeout" "$(rstat 9103 connect_timeout)" 1
kill $bh 2>/dev/null
settle "$C"

# --- backend accepts but never reads ---------------------------------------
kr-echo -m noread 127.0.0.1:7104 2>/dev/null &
wait_listen 7104
# a) with an idle timeout: once every buffer on the path is full nothing
#    moves, and the idle timer ends it.  --stall 60: the client itself
#    keeps waiting, so whatever ends it is the relay.
C="noread+idle"
t_check "$C: rule add, idle-timeout 2000" \
	userctl rule add 127.0.0.1:9104 to 127.0.0.1:7104 idle-timeout 2000
t0=$(ms)
kr-xfer -c 127.0.0.1:9104 --mode fill --max 1G --stall 60 --timeout 90 >/tmp/d1.out 2>&1
rc=$?
d=$(($(ms) - t0))
log "$C: client ended after $d ms, exit $rc: $(tr '\n' ' ' </tmp/d1.out)"
t_match "$C: client saw a reset while its writes were stalled" \
	"$(cat /tmp/d1.out)" 'FAIL .*Connection reset by peer'
t_ge "$C: not before the 2 s idle timeout" "$d" 2000
t_ge "$C: within 30 s" $((30000 - d)) 0
t_eq "$C: counted idle_timeout" "$(rstat 9104 idle_timeout)" 1
settle "$C"
# b) without: the client's writes stall (bounded buffering), then it aborts
#    (kr-xfer fill closes with SO_LINGER 0) -> reset.
C="noread, no timeout"
t_check "$C: rule add" userctl rule add 127.0.0.1:9105 to 127.0.0.1:7104
kr-xfer -c 127.0.0.1:9105 --mode fill --max 1G --stall 3 --timeout 90 >/tmp/d2.out 2>&1
rc=$?
log "$C: exit $rc: $(tr '\n' ' ' </tmp/d2.out)"
t_eq "$C: client's writes stalled before 1 GiB" "$rc" 0
w=$(sed -n 's/.*fill transfer=0 written=\([0-9]*\).*/\1/p' /tmp/d2.out)
t_ge "$C: client wrote something first" "${w:-0}" 1
t_ge "$C: relay moved no more than the client wrote" $((${w:-0} - $(rstat 9105 bytes_to_backend))) 0
# the relay first tries to deliver what the client sent before its RST;
# the backend never reads, so that ends at the 10 s bound
# (KRELAY_RESET_DRAIN_MS), then the backend side is reset
wait_stat 9105 reset 1 30
t_eq "$C: client's abort counted reset" "$(rstat 9105 reset)" 1
settle "$C"

# --- client resets mid-transfer (copy rule) --------------------------------
kr-echo -m echo 127.0.0.1:7106 2>/dev/null &
wait_listen 7106
C="client reset"
t_check "$C: rule add" userctl rule add 127.0.0.1:9106 to 127.0.0.1:7106 mode copy
t_check "$C: client sends 1 MiB of 8, then RST" \
	kr-xfer -c 127.0.0.1:9106 -n 1 --min 8M --max 8M --rst-after 1M -q
wait_stat 9106 reset 1 10
t_eq "$C: counted reset" "$(rstat 9106 reset)" 1
b=$(rstat 9106 bytes_to_backend)
log "$C: $b bytes reached the backend"
t_ge "$C: no more than the client sent reached the backend" $((1048576 - b)) 0
settle "$C"

# --- client disappears: kill -9 --------------------------------------------
C="client killed, data unread"
t_check "$C: rule add" userctl rule add 127.0.0.1:9107 to 127.0.0.1:7106
kr-xfer -c 127.0.0.1:9107 -n 1 --min 16M --max 16M --pause-read 60 --timeout 90 \
	>/dev/null 2>&1 &
x=$!
wait_stat 9107 bytes_to_client 65536 30
sleep 1
kill -9 $x
t0=$(ms)
wait_stat 9107 reset 1 20
log "$C: relay ended it after $(($(ms) - t0)) ms"
t_eq "$C: its kernel's RST counted reset" "$(rstat 9107 reset)" 1
settle "$C"

C="client killed, idle"
# the subshell becomes sleep, the only holder of the socket
(
	exec 3<>/dev/tcp/127.0.0.1/9107
	printf 'hi' >&3
	head -c 2 <&3 >/tmp/f2.out
	exec sleep 60
) &
x=$!
i=0
while [ "$(cat /tmp/f2.out 2>/dev/null)" != hi ] && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
t_eq "$C: echo came back first" "$(cat /tmp/f2.out)" hi
kill -9 $x
wait_stat 9107 closed 1 20
t_eq "$C: its kernel's FIN ended it as closed" "$(rstat 9107 closed)" 1
t_eq "$C: still only one reset" "$(rstat 9107 reset)" 1
settle "$C"

# --- slow client: one byte every 50 ms, splice and copy at once ------------
C="slow client"
t_check "$C: rule add splice" userctl rule add 127.0.0.1:9108 to 127.0.0.1:7106
t_check "$C: rule add copy" userctl rule add 127.0.0.1:9109 to 127.0.0.1:7106 mode copy
payload=$(head -c 40 /dev/urandom | od -An -tx1 | tr -d ' \n')	# 80 characters
drip() { local i; for ((i = 0; i < ${#payload}; i++)); do printf '%s' "${payload:i:1}"; usleep 50000; done; }
drip | socat -t 10 -T 30 - TCP:127.0.0.1:9108,nodelay >/tmp/g1.out 2>/tmp/g1.err &
s1=$!
drip | socat -t 10 -T 30 - TCP:127.0.0.1:9109,nodelay >/tmp/g2.out 2>/tmp/g2.err &
s2=$!
wait $s1
r1=$?
wait $s2
r2=$?
t_eq "$C: splice: client exit" "$r1" 0
t_eq "$C: copy: client exit" "$r2" 0
t_eq "$C: splice: echo byte-exact" "$(cat /tmp/g1.out)" "$payload"
t_eq "$C: copy: echo byte-exact" "$(cat /tmp/g2.out)" "$payload"
for p in 9108 9109; do
	t_eq "$C: $p: bytes to backend" "$(rstat $p bytes_to_backend)" ${#payload}
	t_eq "$C: $p: bytes to client" "$(rstat $p bytes_to_client)" ${#payload}
	t_eq "$C: $p: closed" "$(rstat $p closed)" 1
done
settle "$C"

# --- 1,000 clients that never read (100 on the debug kernel) ---------------
# Backends send without end (1 GiB each), clients never read: every socket
# on the path fills and the senders stall.  Half the clients go through a
# splice rule, half through a copy rule.
#
# Bound.  Per-socket buffers are fixed at B = 64 KiB (tcp_rmem and tcp_wmem
# default = max = B), and tcp_mem is raised far above what N connections
# can hold, so the per-socket limits are what binds, not global pressure.
# A relayed connection has two relay-side sockets: the backend socket's
# receive queue (<= rcvbuf = B, counted in truesize) and the client
# socket's send queue (<= sndbuf = B); TCP can overshoot either by at most
# one skb (< 64 KiB + overhead on lo).  So the relay holds at most
# 2 x (B + B) = 256 KiB per connection in its sockets, and the whole path
# (client rcv, relay x2, backend snd: four queues) at most 2 x 4 x B =
# 512 KiB.  The copy rule adds one 32 KiB buffer per direction in use
# (kmod/copy.c), outside TCP's accounting: we allow it for everyone.
#   relay sockets (ss skmem of the relay's sockets) <= N x 256 KiB
#   all TCP memory (/proc/net/sockstat "mem", pages) <= N x 512 KiB + base
#   MemAvailable drop <= N x (512 + 64 + 16 (4 sockets' slab)) KiB
# Data moved towards the clients is also bounded by what fits in the relay's
# client socket and the client: <= N x 2 x (B + B).
# The debug kernel moves ~1 MB/s here: filling 1,000 paths (~0.5 GB) would
# take most of its time budget, so it checks the same bounds with 100.
N=1000
[ "$KDBG" = 1 ] && N=100
C="$N idle readers"
B=65536
sysctl -qw net.ipv4.tcp_rmem="4096 $B $B" net.ipv4.tcp_wmem="4096 $B $B"
sysctl -qw net.ipv4.tcp_mem="262144 262144 262144"
sysctl -qw net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=4096
mem_pages() { awk '/^TCP:/ {print $NF}' /proc/net/sockstat; }
avail_kb() { awk '/^MemAvailable:/ {print $2}' /proc/meminfo; }
# relay-side socket bytes: rmem_alloc + wmem_queued of sockets on the
# relay's listen ports (client side) and to the backend port
relay_skmem() {
	ss -tmnH "( sport = :9110 or sport = :9111 or dport = :7110 )" |
		sed -n 's/.*skmem:(r\([0-9]*\),.*,w\([0-9]*\),.*/\1 \2/p' |
		awk '{s += $1 + $2} END {print s + 0}'
}
kr-echo -m source -b 1G 127.0.0.1:7110 2>/tmp/h.echo &
hbe=$!
wait_listen 7110
t_check "$C: rule add splice" userctl rule add 127.0.0.1:9110 to 127.0.0.1:7110 backlog 1024
t_check "$C: rule add copy" userctl rule add 127.0.0.1:9111 to 127.0.0.1:7110 mode copy backlog 1024
mem0=$(mem_pages)
av0=$(avail_kb)
log "$C: baseline TCP mem $mem0 pages, MemAvailable $av0 kB"
rm -f /tmp/h1.ready /tmp/h2.ready
kr-hold -c 127.0.0.1:9110 -n $((N / 2)) --inflight 64 --hold 600 -r /tmp/h1.ready -q >/tmp/h1.out 2>&1 &
h1=$!
kr-hold -c 127.0.0.1:9111 -n $((N / 2)) --inflight 64 --hold 600 -r /tmp/h2.ready -q >/tmp/h2.out 2>&1 &
h2=$!
i=0
while { [ ! -s /tmp/h1.ready ] || [ ! -s /tmp/h2.ready ]; } && [ $i -lt 1200 ]; do usleep 100000; i=$((i + 1)); done
t_eq "$C: all connected (splice)" "$(cat /tmp/h1.ready 2>/dev/null)" $((N / 2))
t_eq "$C: all connected (copy)" "$(cat /tmp/h2.ready 2>/dev/null)" $((N / 2))
wait_stat 9110 active $((N / 2)) 60
wait_stat 9111 active $((N / 2)) 60
t_eq "$C: relay has all connections" "$(stat_of active)" $N
# Wait until the flow stops (every path full), sampling the peaks.
peak_mem=0 peak_relay=0 min_av=$av0 prev=-1 moved=0 i=0
while [ $i -lt 60 ]; do
	m=$(mem_pages); r=$(relay_skmem); a=$(avail_kb)
	moved=$(stat_of bytes_to_client)
	[ "$m" -gt $peak_mem ] && peak_mem=$m
	[ "$r" -gt $peak_relay ] && peak_relay=$r
	[ "$a" -lt $min_av ] && min_av=$a
	log "$C: TCP mem $m pages, relay sockets $r bytes, MemAvailable $a kB, to clients $moved"
	[ "$moved" = "$prev" ] && break
	prev=$moved
	sleep 2
	i=$((i + 1))
done
t_eq "$C: the flow stopped (backpressure on every path)" "$moved" "$prev"
cat /proc/net/sockstat
grep -E '^(krelay|TCP|skbuff)' /proc/slabinfo
t_ge "$C: relay sockets <= N x 4B ($((N * 4 * B)))" $((N * 4 * B - peak_relay)) 0
t_ge "$C: TCP mem pages <= N x 8B / 4096 + base" $((N * 8 * B / 4096 + mem0 - peak_mem)) 0
# KASAN's quarantine keeps freed memory for a while, up to 1/32 of RAM: on
# the debug kernel that is allowed on top.
qslack=0 qnote=
if [ "$KDBG" = 1 ]; then
	qslack=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 32))
	qnote=" + $qslack KiB quarantine"
fi
t_ge "$C: MemAvailable drop <= N x 592 KiB$qnote" \
	$((N * 592 + qslack - (av0 - min_av))) 0
t_ge "$C: data to clients <= N x 4B" $((N * 4 * B - moved)) 0
t_ge "$C: data did flow" "$moved" $((N * 1024))
kill $h1 $h2
wait_end $h1 60
wait_end $h2 60
t_eq "$C: accepted (splice)" "$(rstat 9110 accepted)" $((N / 2))
t_eq "$C: accepted (copy)" "$(rstat 9111 accepted)" $((N / 2))
wait_stat 9110 reset $((N / 2)) 60
wait_stat 9111 reset $((N / 2)) 60
# the clients closed with unread data: RST, all of them
t_eq "$C: all ended as reset (splice)" "$(rstat 9110 reset)" $((N / 2))
t_eq "$C: all ended as reset (copy)" "$(rstat 9111 reset)" $((N / 2))
settle "$C"
# sockstat "mem" is the global counter; each CPU may keep up to 1 MiB
# (256 pages) of TCP's reservation cached besides (SK_MEMORY_PCPU_RESERVE).
slack=$((256 * $(nproc) + 16))
i=0
while [ $(($(mem_pages) - mem0)) -gt $slack ] && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
log "$C: TCP mem after close: $(mem_pages) pages (baseline $mem0)"
t_ge "$C: TCP memory back to baseline (+$slack pages of per-CPU caches)" $((mem0 + slack - $(mem_pages))) 0
kill $hbe

# Rules that saw no faults of their kind were not disturbed: totals add up.
t_eq "every accepted connection ended exactly once" \
	"$(stat_of accepted)" \
	"$(($(stat_of closed) + $(stat_of reset) + $(stat_of failed) + $(stat_of idle_timeout) + $(stat_of aborted)))"
krelay_unload
