# vm: timeout=150
# userctl -o prometheus stats after real traffic: the exposition carries the
# exact connection and byte counts of the transfers (checked here), and is
# saved to the share with the JSON views of the same moment, where the host
# (tests/vm/userctl-prometheus.host) parses it with prometheus_client and
# promtool and compares every sample with the JSON.
. /tests/lib.sh
krelay_load

# metric NAME LABELS: the value of the sample NAME{LABELS} (LABELS "" for none)
metric() {
	if [ -n "$2" ]; then
		grep -F "$1{$2} " /tmp/prom | head -n1 | sed 's/.* //'
	else
		grep "^$1 " /tmp/prom | head -n1 | sed 's/.* //'
	fi
}

kr-echo 127.0.0.1:7101 127.0.0.1:7102 2>/dev/null &
wait_listen 7101; wait_listen 7102
t_check "rule with two backends" userctl rule add 127.0.0.1:9100 to 127.0.0.1:7101 to 127.0.0.1:7102
# nothing listens on 7199: every connection through :9101 is refused
t_check "rule to a closed port" userctl rule add 127.0.0.1:9101 to 127.0.0.1:7199 holddown off
id=$(userctl -j rule list 127.0.0.1:9100 | jq '.[0].id')
id2=$(userctl -j rule list 127.0.0.1:9101 | jq '.[0].id')

# 6 echo transfers of exactly 1000 bytes: 6000 bytes each way
t_check "6 echo transfers of 1000 bytes" kr-xfer -c 127.0.0.1:9100 -n 6 --min 1000 --max 1000 --timeout 60
printf x | socat -T 5 - TCP:127.0.0.1:9101 >/dev/null 2>&1
sleep 1
# a connection left open: active gauges
sleep 30 | socat - TCP:127.0.0.1:9100 >/dev/null 2>&1 &
wait_until 10 sh -c '[ "$(userctl conn count)" = 1 ]'

userctl -o prometheus stats >/tmp/prom
rc=$?
t_eq "-o prometheus stats exits 0" "$rc" 0
cp /tmp/prom "$SHARE/metrics.prom"
userctl -j stats >"$SHARE/stats.json"
userctl -j backend list >"$SHARE/backends.json"
printf 'rule %s accepted 7 closed 6 bytes 6000\nrule %s failed 1 refused 1\n' "$id" "$id2" >"$SHARE/traffic.txt"
log "exposition:
$(cat /tmp/prom)"

r="rule=\"$id\",listen=\"127.0.0.1:9100\""
r2="rule=\"$id2\",listen=\"127.0.0.1:9101\""
t_eq "rules gauge" "$(metric krelay_rules)" 2
t_eq "netns accepted: 6 + 1 open + 1 refused" "$(metric krelay_connections_accepted_total)" 8
t_eq "netns active: the open one" "$(metric krelay_connections_active)" 1
t_eq "netns ended closed" "$(metric krelay_connections_ended_total 'outcome="closed"')" 6
t_eq "netns ended failed" "$(metric krelay_connections_ended_total 'outcome="failed"')" 1
t_eq "netns connect refused" "$(metric krelay_connect_failures_total 'outcome="refused"')" 1
t_eq "netns connect timeout" "$(metric krelay_connect_failures_total 'outcome="timeout"')" 0
t_eq "netns bytes to backend" "$(metric krelay_to_backend_bytes_total)" 6000
t_eq "netns bytes to client" "$(metric krelay_to_client_bytes_total)" 6000
t_eq "rule accepted" "$(metric krelay_rule_connections_accepted_total "$r")" 7
t_eq "rule active" "$(metric krelay_rule_connections_active "$r")" 1
t_eq "rule ended closed" "$(metric krelay_rule_connections_ended_total "$r,outcome=\"closed\"")" 6
t_eq "rule ended reset" "$(metric krelay_rule_connections_ended_total "$r,outcome=\"reset\"")" 0
t_eq "rule bytes to backend" "$(metric krelay_rule_to_backend_bytes_total "$r")" 6000
t_eq "rule bytes to client" "$(metric krelay_rule_to_client_bytes_total "$r")" 6000
t_eq "refusing rule: failed" "$(metric krelay_rule_connections_ended_total "$r2,outcome=\"failed\"")" 1
t_eq "refusing rule: refused" "$(metric krelay_rule_connect_failures_total "$r2,outcome=\"refused\"")" 1
b1=$(metric krelay_backend_connections_total "$r,backend=\"127.0.0.1:7101\"")
b2=$(metric krelay_backend_connections_total "$r,backend=\"127.0.0.1:7102\"")
t_eq "backend connections add up to 7" $((b1 + b2)) 7
t_ge "rr: both backends used" "$((b1 < b2 ? b1 : b2))" 1
t1=$(metric krelay_backend_to_backend_bytes_total "$r,backend=\"127.0.0.1:7101\"")
t2=$(metric krelay_backend_to_backend_bytes_total "$r,backend=\"127.0.0.1:7102\"")
t_eq "backend bytes add up to 6000" $((t1 + t2)) 6000
t_eq "backend up" "$(metric krelay_backend_up "$r,backend=\"127.0.0.1:7101\"")" 1
t_eq "refused backend failures" "$(metric krelay_backend_connect_failures_total "$r2,backend=\"127.0.0.1:7199\"")" 1
t_eq "backend weight" "$(metric krelay_backend_weight "$r,backend=\"127.0.0.1:7101\"")" 1
t_match "HELP and TYPE of a counter" "$(cat /tmp/prom)" '^# TYPE krelay_rule_to_client_bytes_total counter$'
t_match "a gauge" "$(cat /tmp/prom)" '^# TYPE krelay_connections_active gauge$'

one=$(userctl -o prometheus stats 127.0.0.1:9101)
t_match "one rule: its samples" "$one" "^krelay_rule_connections_accepted_total\{$r2\} 1$"
t_eq "one rule: no other rule, no netns totals" \
	"$(printf '%s\n' "$one" | grep -c -e "listen=\"127.0.0.1:9100\"" -e '^krelay_rules ')" 0
t_eq "JSON unaffected" "$(userctl -j stats | jq '.totals.bytes_to_backend')" 6000
userctl -o prometheus rule list >/dev/null 2>/tmp/err
t_eq "-o prometheus rule list: usage error" "$?" 2
userctl -o prometheus stats id 999 >/dev/null 2>/tmp/err
t_eq "-o prometheus stats of a missing rule: runtime error" "$?" 1
t_match "  ... with the kernel's message" "$(cat /tmp/err)" '^userctl: stats.*999'

kill %2 2>/dev/null
t_check "rule del" userctl rule del id "$id"
t_check "rule del" userctl rule del id "$id2"
kill %1 2>/dev/null
krelay_unload
