# vm: timeout=120
# A backend that refuses: the client is closed promptly and the failure is
# counted; the rule keeps working once the backend appears.
. /tests/lib.sh
krelay_load
t_check "rule add to a closed port" userctl rule add 127.0.0.1:9000 to 127.0.0.1:7999
t0=$(cut -d. -f1 /proc/uptime)
# The relay resets the client: socat may report that on stderr (whether its
# write or its read sees the RST is a race); no data may arrive.
out=$(echo ping | socat -T $((10 * TS)) - TCP:127.0.0.1:9000 2>/dev/null)
t1=$(cut -d. -f1 /proc/uptime)
t_eq "client got no data" "$out" ""
if [ $((t1 - t0)) -le $((3 * TS)) ]; then t_pass "client closed promptly"; else t_fail "client closed promptly" "$((t1 - t0))s"; fi
sleep 1
t_eq "failure counted" "$(stat_of failed)" 1
t_eq "refusal counted" "$(stat_of connect_refused)" 1
t_eq "nothing active" "$(stat_of active)" 0
socat TCP-LISTEN:7999,bind=127.0.0.1,reuseaddr,fork EXEC:cat &
wait_listen 7999
out=$(echo ping | socat -t 5 -T 10 - TCP:127.0.0.1:9000 2>&1)
t_eq "relays once the backend is up" "$out" "ping"
krelay_unload
