# vm: timeout=300 mem=1024
# Memory per idle connection, everything counted: the relay's slab, all
# slab (the four sockets of each path: client, relay x2, backend), socket
# buffers (sockstat mem) and the rest of what the page allocator gave out
# (the MemFree drop, which holds TCP's page fragments).  Every
# connection first moves a ping both ways, so that each relay socket has
# sent, and then idles.  A relay socket must not keep a page fragment of
# its own after sending: in process context (the work, copy mode) it
# uses the kworker's task fragment, and the receive fast path drops the
# socket's fragment after each pass.  One fragment is 32 KiB, two per
# connection; an idle connection must cost well below that.
. /tests/lib.sh
krelay_load
N=$((KDBG ? 100 : 500))
sysctl -qw net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=4096
kr-echo -m echo 127.0.0.1:7000 2>/tmp/echo.log &
wait_listen 7000
tcp_inuse() { awk '/^TCP:/ {print $3}' /proc/net/sockstat; }
base_inuse=$(tcp_inuse)
settled() { [ "$(tcp_inuse)" -le $((base_inuse + 2)) ]; }

# measure MODE PORT: N pinged idle connections through a MODE rule on PORT
measure() {
	local mode=$1 port=$2 m0 m1 per total
	t_check "$mode: rule add" userctl rule add 127.0.0.1:"$port" to 127.0.0.1:7000 mode "$mode" backlog 1024
	# the sockets of what ran before are gone (and RCU has freed them)
	t_check "$mode: no TCP sockets left from before" wait_until $((60 * TS)) settled
	sleep 1
	sync
	echo 3 >/proc/sys/vm/drop_caches
	m0=$(mem_sample)
	rm -f /tmp/ready
	kr-hold -c 127.0.0.1:"$port" -n "$N" --ping --inflight 64 --hold 600 -r /tmp/ready -q \
		>/tmp/hold.out 2>&1 &
	hold=$!
	wait_until $((120 * TS)) test -s /tmp/ready
	t_eq "$mode: $N connections pinged" "$(cat /tmp/ready 2>/dev/null)" "$N"
	sleep 2
	m1=$(mem_sample)
	per=$(mem_per_conn "$m0" "$m1" "$N")
	log "$mode: per connection: $per (samples: $m0 -> $m1)"
	echo "$mode $per conns=$N" >>"$SHARE/memory.txt"
	grep -E '^(krelay|TCP |sock_inode)' /proc/slabinfo
	userctl stats 127.0.0.1:"$port" | grep -E 'bytes_(copied|zerocopy)|fast_passes|work_runs'
	total=${per##*total=}
	t_ge "$mode: the relay moved the pings" "$(userctl -j stats 127.0.0.1:"$port" | jq '.stats.bytes_to_client')" $((N * 16))
	# 4 sockets with their inodes (~3 KiB each), the relay's 384 B, the
	# peers' few bytes and epoll items: 24 KiB is a generous bound; one fragment per relay
	# socket would add 64 KiB
	t_ge "$mode: an idle connection costs <= 24 KiB in all (${total} B)" $((24576 - total)) 0
	kill $hold
	wait $hold 2>/dev/null
	one_gone() { [ "$(userctl -j stats 127.0.0.1:"$port" | jq '.stats.active')" = 0 ]; }
	t_check "$mode: all closed" wait_until $((60 * TS)) one_gone
	t_check "$mode: rule del" userctl rule del 127.0.0.1:"$port"
}
# splice first: the second measurement reuses slab pages the first freed,
# so only the first one's total includes its slab in full
measure splice 9000
measure copy 9001
log "$(cat "$SHARE/memory.txt")"
krelay_unload
