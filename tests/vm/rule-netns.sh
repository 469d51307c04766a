# vm: timeout=300
# Rules live in the network namespace that created them.  Topology: netns
# "relay" and netns "far" joined by a veth pair (10.9.0.1 <-> 10.9.0.2).
# A client in "far" connects to the relay in "relay", which forwards to a
# server back in "far": traffic crosses the veth both ways.  Then the relay
# namespace is destroyed while traffic flows.
. /tests/lib.sh
krelay_load

ip netns add relay
ip netns add far
ip link add veth-r type veth peer name veth-f
ip link set veth-r netns relay
ip link set veth-f netns far
ip -n relay addr add 10.9.0.1/24 dev veth-r
ip -n far addr add 10.9.0.2/24 dev veth-f
for n in relay far; do
	ip -n $n link set lo up
	ip -n $n link set "veth-${n:0:1}" up
done
R() { ip netns exec relay "$@"; }
F() { ip netns exec far "$@"; }
t_check "veth path works" F ping -c1 -W5 10.9.0.1

F kr-echo -m echo 10.9.0.2:7401 2>/dev/null &
F iperf3 -s -B 10.9.0.2 -p 7402 -D
sleep 1

t_check "rule in netns relay" R userctl rule add 10.9.0.1:9401 to 10.9.0.2:7401
t_check "second rule in netns relay" R userctl rule add 10.9.0.1:9402 to 10.9.0.2:7402
t_check "same listen port in the init netns is a different rule" \
	userctl rule add 127.0.0.1:9401 to 127.0.0.1:7499
t_eq "init netns sees only its own rule" "$(userctl -j rule list | jq length)" 1
t_eq "netns far sees no rule" "$(F userctl -j rule list | jq length)" 0
t_eq "netns relay sees its two rules" "$(R userctl -j rule list | jq length)" 2
t_refuse "the init netns cannot delete netns relay's rule" userctl rule del 10.9.0.1:9401
t_refuse "netns far cannot delete it either" F userctl rule del 10.9.0.1:9401

t_check "integrity far -> relay -> far (30 transfers up to 4 MiB)" \
	F kr-xfer -q -c 10.9.0.1:9401 -n 30 -j 3 --max 4M
F iperf3 -c 10.9.0.1 -p 9402 -t $((3 * TS)) -J >/tmp/ns.json 2>&1
t_ge "iperf3 through the relay netns" "$(iperf_bytes /tmp/ns.json | cut -d. -f1)" 1000000
t_eq "traffic counted in netns relay" \
	"$(R userctl -j stats | jq '.totals.bytes_to_backend > 0')" true
t_eq "not in the init netns" "$(userctl -j stats | jq .totals.bytes_to_backend)" 0

# destroy netns relay under load: no process lives in it, so deleting its
# name frees it; krelay's pernet exit must close everything
F iperf3 -c 10.9.0.1 -p 9402 -t 30 -P 4 >/tmp/ns-load.out 2>&1 &
load=$!
F kr-xfer -q -c 10.9.0.1:9401 -n 1000 -j 4 --max 1M --timeout 60 >/tmp/ns-xfer.out 2>&1 &
xfer=$!
sleep 3
t_ge "connections live before teardown" "$(R userctl -j stats | jq .totals.active)" 2
t_check "ip netns del relay under load" ip netns del relay
# the veth goes with the netns: the clients' peer vanished without a word,
# so they would retransmit for minutes; stop them
sleep 5
kill $load $xfer 2>/dev/null
wait $load $xfer 2>/dev/null
t_eq "integrity client saw no corrupted data" "$(grep -c 'mismatch\|corrupt' /tmp/ns-xfer.out)" 0
t_eq "init netns rule untouched" "$(userctl -j rule list | jq -r '.[0].listen')" "127.0.0.1:9401"
t_check "rule delete in the init netns" userctl rule del 127.0.0.1:9401
ip netns del far
# module exit waits for every netns' connections; a leaked connection would
# make kmem_cache_destroy() complain in the kernel log (checked by the host)
t_check "rmmod after the netns teardown (bounded)" timeout 60 rmmod krelay
