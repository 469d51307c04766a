# vm: timeout=240
# Per-rule options seen from outside: the source address of backend
# connections, the firewall mark (ss -e), TCP keepalive on both sides
# (ss -o), the listen backlog (ss -l) also when changed live, and that
# `rule set` is all or nothing.
. /tests/lib.sh
krelay_load

# a backend that tells each client its peer address
socat TCP-LISTEN:7501,bind=0.0.0.0,reuseaddr,fork SYSTEM:'echo $SOCAT_PEERADDR; exec cat' 2>/dev/null &
wait_listen 7501
peer() { echo | socat -T $((5 * TS)) - TCP:127.0.0.1:"$1" 2>/dev/null | head -n1; }

t_check "rule with source address 127.0.0.5" \
	userctl rule add 127.0.0.1:9501 to 127.0.0.1:7501 src 127.0.0.5
t_eq "backend sees the source address" "$(peer 9501)" 127.0.0.5
t_check "rule set src 127.0.0.6" userctl rule set 127.0.0.1:9501 src 127.0.0.6
t_eq "backend sees the new source address" "$(peer 9501)" 127.0.0.6
t_check "rule set src none" userctl rule set 127.0.0.1:9501 src none
t_eq "without a source address the kernel picks one" "$(peer 9501)" 127.0.0.1
t_refuse "src not of the backends' family is rejected" userctl rule set 127.0.0.1:9501 src ::1

# mark and keepalive, on a held connection
kr-echo -m echo 127.0.0.1:7502 2>/dev/null &
wait_listen 7502
t_check "rule with mark 0x2a and keepalive 7s" \
	userctl rule add 127.0.0.1:9502 to 127.0.0.1:7502 mark 0x2a keepalive 7s
socat -u TCP:127.0.0.1:9502 - >/dev/null 2>&1 &
held=$!
both_up() {
	bk=$(ss -Htnoe state established "( dport = :7502 )")
	cl=$(ss -Htnoe state established "( sport = :9502 )")
	[ -n "$bk" ] && [ -n "$cl" ]
}
wait_until $((2 * TS)) both_up
echo "backend side: $bk"
echo "client side: $cl"
t_match "backend socket carries the mark" "$bk" 'fwmark:0x2a'
t_match "backend socket has keepalive" "$bk" 'timer:\(keepalive'
t_match "client socket has keepalive" "$cl" 'timer:\(keepalive'
t_refuse "client socket carries no mark" sh -c "echo '$cl' | grep -q fwmark"
kill $held

t_eq "options listed" \
	"$(userctl -j rule list | jq -c '.[] | select(.listen == "127.0.0.1:9502") | [.mark, .keepalive_s]')" "[42,7]"

# backlog: ss shows a listener's backlog in Send-Q
t_check "rule with backlog 64" userctl rule add 127.0.0.1:9503 to 127.0.0.1:7502 backlog 64
t_eq "listener backlog 64" "$(ss -Htln '( sport = :9503 )' | awk '{print $3}')" 64
t_check "rule set backlog 200" userctl rule set 127.0.0.1:9503 backlog 200
t_eq "listener backlog changed live" "$(ss -Htln '( sport = :9503 )' | awk '{print $3}')" 200

# all or nothing: a valid change next to an invalid one (a backend that is
# the rule's own listener, which only the kernel can tell) changes nothing
before=$(userctl -j rule list)
t_refuse "rule set with one bad part" \
	userctl rule set 127.0.0.1:9503 mode copy idle-timeout 5s to 127.0.0.1:9503
t_eq "rule unchanged after the failed set" "$(userctl -j rule list)" "$before"

t_eq "nothing left open" "$(userctl -j stats | jq .totals.active)" 0
for r in 9501 9502 9503; do userctl rule del 127.0.0.1:$r; done
krelay_unload
