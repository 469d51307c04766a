# vm: timeout=120
# A backend connect that fails for a local reason (here the rule's source
# address is not on this host: bind() fails with EADDRNOTAVAIL; local
# port exhaustion fails the same way) is not the backends' fault: the
# connection tries the other backend and fails, but no backend is marked
# down, so one local problem cannot take every backend down and send a
# "backend down" event for each.
. /tests/lib.sh
krelay_load
kr-echo 127.0.0.1:7001 127.0.0.1:7002 2>/tmp/echo.log &
wait_listen 7001
wait_listen 7002
ups() { userctl -j backend list | grep -o '"state": *"up"' | wc -l; }
t_check "rule add with a source address that is not local" \
	userctl rule add 127.0.0.1:9001 to 127.0.0.1:7001 to 127.0.0.1:7002 src 192.0.2.1 holddown 60s
t_eq "both backends up before" "$(ups)" 2
for i in 1 2 3; do
	got=$(kr-oob -t $((5 * TS)) 127.0.0.1:9001 2>/dev/null)
	t_eq "client $i is refused (no backend connection possible)" "$got" ""
done
wait_until $((5 * TS)) sh -c '[ "$(stat_of active)" = 0 ]'
t_eq "every connection failed" "$(stat_of failed)" 3
t_eq "each tried the other backend too" "$(stat_of failovers)" 3
t_eq "no backend marked down by a local error" "$(ups)" 2
userctl backend list
t_check "rule set src none" userctl rule set 127.0.0.1:9001 src none
t_eq "then the relay works" "$(kr-oob -t $((5 * TS)) 127.0.0.1:9001)" helloworld
krelay_unload
