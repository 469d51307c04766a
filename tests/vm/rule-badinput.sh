# vm: timeout=150
# Bad input reaches the kernel as raw netlink (kr-nlprobe builds requests
# userctl never would): every attribute out of range, unknown, malformed or
# missing is rejected with its errno and a specific extended-ack message, and
# nothing changes: the rule set, the listeners and the relay are as before.
. /tests/lib.sh
krelay_load

kr-echo -m echo 127.0.0.1:9501 2>/dev/null &
wait_listen 9501
t_check "baseline rule" userctl rule add 127.0.0.1:9500 to 127.0.0.1:9501 mode copy
before=$(userctl -j rule list)
listeners_before=$(ss -Htln | sort)

kr-nlprobe -l 9500 -b 9501 >/tmp/probe.out 2>&1
rc=$?
cat /tmp/probe.out
while read -r verdict rest; do
	case $verdict in
	PASS) t_pass "$rest" ;;
	FAIL) t_fail "${rest%% (*}" "(${rest#* (}" ;;
	esac
done </tmp/probe.out
t_ge "probe cases run" "$(grep -c '^\(PASS\|FAIL\)' /tmp/probe.out)" 60
t_eq "kr-nlprobe exit status" "$rc" 0

t_eq "rule set unchanged" "$(userctl -j rule list)" "$before"
t_eq "listeners unchanged" "$(ss -Htln | sort)" "$listeners_before"
t_eq "no rule on the port of the failed rule set" \
	"$(userctl -j rule list | jq '[.[] | select(.listen == "127.0.0.1:9502")] | length')" 0
t_eq "relay still works" "$(echo still-here | socat -T $((5 * TS)) - TCP:127.0.0.1:9500)" "still-here"
t_check "rule delete" userctl rule del 127.0.0.1:9500
krelay_unload
