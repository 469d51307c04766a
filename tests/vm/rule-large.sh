# vm: timeout=150
# The largest rule there can be (64 IPv6 backends, 256 ACL entries: ~20 KiB
# as a netlink message, more than a dump's first buffer of ~4 KiB) is
# listed, exported, and relays; so is a small rule beside it.
. /tests/lib.sh
krelay_load
kr-echo '[::1]:7001' 2>/tmp/echo.log &
wait_listen 7001
args="to [::1]:7001"
i=2
while [ $i -le 64 ]; do
	args="$args to [::1]:$((7000 + i))"
	i=$((i + 1))
done
args="$args allow ::1/128"
i=0
while [ $i -lt 255 ]; do
	args="$args deny 2001:db8:$(printf %x $i)::/48"
	i=$((i + 1))
done
# shellcheck disable=SC2086 # word splitting intended
add_large() { userctl rule add '[::1]:9001' $args holddown 60s >/dev/null; }
t_check "rule add: 64 IPv6 backends, 256 ACL entries" add_large
t_check "a small rule beside it" userctl rule add 127.0.0.1:9002 to 127.0.0.1:7002 >/dev/null
userctl -j rule list >/tmp/rules.json 2>/tmp/list.err
t_eq "rule list (JSON) succeeds" "$?" 0
log "$(cat /tmp/list.err)"
t_eq "it lists both rules" "$(grep -o '"listen"' /tmp/rules.json | wc -l)" 2
t_eq "it lists 65 backends" "$(grep -o '"address": *"\[::1\]:70[0-9][0-9]"\|"address": *"127.0.0.1:7002"' /tmp/rules.json | wc -l)" 65
t_eq "it lists 256 ACL entries" "$(grep -o '"prefix"' /tmp/rules.json | wc -l)" 256
t_check "rule list (table) succeeds" userctl rule list >/dev/null
t_check "backend list succeeds" userctl backend list >/dev/null
userctl export >/tmp/export.conf
t_eq "export succeeds" "$?" 0
t_ge "export has the ACL" "$(grep -o 2001:db8: /tmp/export.conf | wc -l)" 255
t_eq "the large rule relays" "$(kr-oob -t $((5 * TS)) '[::1]:9001')" helloworld
krelay_unload
