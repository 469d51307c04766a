# vm: timeout=240
# Client-address transparency (transparent on): three network namespaces,
# client "cli" -- router "rtr" (runs krelay) -- backend "srv", joined by veth
# pairs; srv's default route points at rtr, and rtr delivers the backend's
# replies to the client's address locally with policy routing (the setup
# userctl(8) documents).  The backend reports the peer it sees: the
# client's own address with transparent (IPv4 and IPv6, splice and copy,
# with a PROXY header too), the router's without it; kr-xfer's byte-exact
# traffic through a transparent rule; rule set turning it on and off; and
# without the policy routing the backend's answer never reaches the relay.
. /tests/lib.sh
krelay_load

for n in cli rtr srv; do ip netns add $n; ip -n $n link set lo up; done
ip link add c0 netns cli type veth peer name r0 netns rtr
ip link add s0 netns srv type veth peer name r1 netns rtr
ip -n cli addr add 10.1.0.2/24 dev c0
ip -n cli addr add fd01::2/64 dev c0 nodad
ip -n rtr addr add 10.1.0.1/24 dev r0
ip -n rtr addr add fd01::1/64 dev r0 nodad
ip -n rtr addr add 10.2.0.1/24 dev r1
ip -n rtr addr add fd02::1/64 dev r1 nodad
ip -n srv addr add 10.2.0.2/24 dev s0
ip -n srv addr add fd02::2/64 dev s0 nodad
ip -n cli link set c0 up
ip -n rtr link set r0 up
ip -n rtr link set r1 up
ip -n srv link set s0 up
ip -n srv route add default via 10.2.0.1
ip -n srv -6 route add default via fd02::1
C() { ip netns exec cli "$@"; }
R() { ip netns exec rtr "$@"; }
S() { ip netns exec srv "$@"; }
t_check "client reaches the router" C ping -c1 -W5 10.1.0.1
t_check "router reaches the backend" R ping -c1 -W5 10.2.0.2
t_check "router reaches the backend over IPv6" R ping -c1 -W5 fd02::2

# The return path: the backends' TCP segments (source ports 7400-7401)
# addressed to clients are delivered to local sockets on the router.
policy() { # add|del
	R ip rule "$1" iif r1 ipproto 6 sport 7400-7401 lookup 100 &&
		R ip -6 rule "$1" iif r1 ipproto 6 sport 7400-7401 lookup 100
}
t_check "policy routing rules" policy add
t_check "local route, IPv4" R ip route add local 0.0.0.0/0 dev lo table 100
t_check "local route, IPv6" R ip -6 route add local ::/0 dev lo table 100

# backends on srv: greet with the peer address they see, then echo
S socat TCP4-LISTEN:7400,reuseaddr,fork SYSTEM:'echo "$SOCAT_PEERADDR"; exec cat' 2>/dev/null &
S socat TCP6-LISTEN:7400,ipv6only=1,reuseaddr,fork SYSTEM:'echo "$SOCAT_PEERADDR"; exec cat' 2>/dev/null &
S kr-echo -m echo 10.2.0.2:7401 '[fd02::2]:7401' 2>/dev/null &
wait_until 10 S ss -Htln sport = :7401 | grep -q . || log "kr-echo not listening"
wait_until 10 S ss -Htln sport = :7400 | grep -q . || log "socat not listening"
sleep 1

# peer ADDR:PORT: the address the backend saw (first line it greets with)
peer() { echo x | C socat -T $((10 * TS)) - "TCP:$1" 2>/dev/null | head -n1 | tr -d '[]'; }

t_check "rule: transparent" R userctl rule add 10.1.0.1:9400 to 10.2.0.2:7400 transparent on
t_check "rule: plain" R userctl rule add 10.1.0.1:9401 to 10.2.0.2:7400
t_check "rule: transparent, IPv6" R userctl rule add '[fd01::1]:9402' to '[fd02::2]:7400' transparent on
t_check "rule: transparent, copy mode" R userctl rule add 10.1.0.1:9403 to 10.2.0.2:7400 transparent on mode copy
t_check "rule: transparent and PROXY v1" \
	R userctl rule add 10.1.0.1:9404 to 10.2.0.2:7400 transparent on proxy-protocol v1
t_check "rule: transparent to kr-echo" R userctl rule add 10.1.0.1:9405 to 10.2.0.2:7401 transparent on
t_check "rule: transparent to kr-echo, IPv6" \
	R userctl rule add '[fd01::1]:9406' to '[fd02::2]:7401' transparent on
t_eq "rule list shows it" "$(R userctl rule list | grep -c '^ .*transparent on$')" 6
t_eq "JSON: true" "$(R userctl -j rule list | jq '.[] | select(.listen == "10.1.0.1:9400") | .transparent')" true
t_eq "JSON: false without" "$(R userctl -j rule list | jq '.[] | select(.listen == "10.1.0.1:9401") | .transparent')" false

t_eq "transparent: the backend sees the client" "$(peer 10.1.0.1:9400)" 10.1.0.2
t_eq "plain: the backend sees the router" "$(peer 10.1.0.1:9401)" 10.2.0.1
t_eq "transparent, IPv6: the backend sees the client" "$(peer '[fd01::1]:9402')" fd01:0000:0000:0000:0000:0000:0000:0002  # socat writes it in full
t_eq "transparent, copy mode: the backend sees the client" "$(peer 10.1.0.1:9403)" 10.1.0.2
got=$(echo x | C socat -T $((10 * TS)) - TCP:10.1.0.1:9404,sourceport=40404 2>/dev/null | tr -d '\r')
t_eq "transparent + PROXY: backend sees the client and the header names it" "$got" \
	"$(printf '10.1.0.2\nPROXY TCP4 10.1.0.2 10.1.0.1 40404 9404\nx')"

t_check "transparent: integrity (20 transfers up to 2 MiB)" \
	C kr-xfer -q -c 10.1.0.1:9405 -n 20 -j 2 --max 2M --timeout 120
t_check "transparent, IPv6: integrity (20 transfers up to 2 MiB)" \
	C kr-xfer -q -c '[fd01::1]:9406' -n 20 -j 2 --max 2M --timeout 120

t_check "rule set transparent on" R userctl rule set 10.1.0.1:9401 transparent on
t_eq "now the backend sees the client" "$(peer 10.1.0.1:9401)" 10.1.0.2
t_check "rule set transparent off" R userctl rule set 10.1.0.1:9401 transparent off
t_eq "and the router again" "$(peer 10.1.0.1:9401)" 10.2.0.1

# rejected combinations, named by the kernel's extack
out=$(R userctl rule add 10.1.0.1:9407 to 10.2.0.2:7400 transparent on src 10.2.0.1 2>&1)
t_match "transparent with src rejected" "$out" "transparent and a source address exclude each other"
out=$(R userctl rule add 10.1.0.1:9407 to '[fd02::2]:7400' transparent on 2>&1)
t_match "transparent IPv4 listener, IPv6 backend rejected" "$out" "transparent: .*differ in address family"
out=$(R userctl rule add '[fd01::1]:9407' to 10.2.0.2:7400 transparent on 2>&1)
t_match "transparent IPv6 listener, IPv4 backend rejected" "$out" "transparent: .*differ in address family"
out=$(R userctl rule set 10.1.0.1:9400 to 10.2.0.2:7400 to '[fd02::2]:7400' 2>&1)
t_match "rule set: an IPv6 backend for a transparent IPv4 rule rejected" "$out" "differ in address family"
out=$(R userctl rule set 10.1.0.1:9400 src 10.2.0.1 2>&1)
t_match "rule set src on a transparent rule rejected" "$out" "exclude each other"

# export / apply round trip keeps the options
R userctl export >/tmp/t.conf
cat /tmp/t.conf
t_match "export writes transparent=on" "$(cat /tmp/t.conf)" "^10\.1\.0\.1 9404 10\.2\.0\.2 7400 \[.*transparent=on"
t_match "export writes proxy-protocol=v1" "$(cat /tmp/t.conf)" "^10\.1\.0\.1 9404 .*proxy-protocol=v1"
t_match "apply of the export changes nothing" "$(R userctl apply /tmp/t.conf 2>&1)" " 0 added, 0 changed, 0 deleted"

# without the policy routing the SYN-ACK to the client's address is not
# ours: the connect times out, the client is reset
t_check "remove the policy routing" policy del
t_check "connect timeout 1s" R userctl rule set 10.1.0.1:9400 connect-timeout 1s
before=$(R userctl -j stats | jq .totals.connect_timeout)
t_eq "no reply path: nothing reaches the client" "$(peer 10.1.0.1:9400)" ""
# (the client's RST goes out just before the outcome is counted)
ctmo() { test "$(R userctl -j stats | jq .totals.connect_timeout)" = $((before + 1)); }
t_check "counted as a connect timeout" wait_until 5 ctmo
t_check "policy routing back" policy add
t_eq "and it works again" "$(peer 10.1.0.1:9400)" 10.1.0.2

t_eq "no connection reset" "$(R userctl -j stats | jq .totals.reset)" 0
kill $(jobs -p) 2>/dev/null
wait 2>/dev/null
t_check "rules deleted with the netns" ip netns del rtr
ip netns del cli
ip netns del srv
t_check "rmmod (bounded)" timeout 60 rmmod krelay
