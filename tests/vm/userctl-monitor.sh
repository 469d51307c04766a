# vm: timeout=180
# userctl monitor: rule added/removed, connection opened/closed (with bytes
# and duration), backend down/up, as one JSON object per line; "count N"
# stops by itself; SIGTERM ends it cleanly.
. /tests/lib.sh
krelay_load

# ev EVENT [TEXT]: the first monitor line of EVENT (containing TEXT)
ev() { grep "\"event\":\"$1\"" /tmp/mon.json | grep -- "${2:-}" | head -n1; }
jfield() { printf '%s' "$1" | grep -o "\"$2\":\"\{0,1\}[^\",}]*" | head -n1 | sed 's/^[^:]*:"\{0,1\}//'; }
# probe_until CMD...: add/del a probe rule until CMD succeeds (the monitor
# has joined the group by then) or 10 s pass
probe_until() {
	n=0
	while ! "$@" && [ $n -lt 50 ]; do
		userctl rule add 127.0.0.1:9999 to 127.0.0.1:7001 >/dev/null 2>&1
		userctl rule del 127.0.0.1:9999 >/dev/null 2>&1
		sleep 0.2
		n=$((n + 1))
	done
}

kr-echo 127.0.0.1:7001 2>/dev/null &
wait_listen 7001

# >> (O_APPEND): the file is truncated below while the monitor writes it.
userctl -j -t monitor >>/tmp/mon.json 2>/tmp/mon.err &
MON=$!
probe_until grep -q '"event":"rule_del".*"listen":"127.0.0.1:9999"' /tmp/mon.json
t_match "monitor sees the probe rule" "$(ev rule_del 9999)" '"rule":\{"id":[0-9]+,"listen":"127\.0\.0\.1:9999"'
t_match "timestamps with -t" "$(ev rule_del 9999)" '"timestamp":"[0-9]{4}-[0-9]{2}-[0-9]{2}T'
: >/tmp/mon.json

# A rule with a dead second backend (7009: refused) and a 1 s hold-down.
t_check "rule add" userctl rule add 127.0.0.1:9100 to 127.0.0.1:7001 to 127.0.0.1:7009 holddown 1s
id=$(jfield "$(userctl -j rule list)" id)
t_check "two 1000-byte echo transfers" kr-xfer -c 127.0.0.1:9100 -n 2 --min 1000 --max 1000 --timeout 60
# 7009 comes back; after the hold-down a connection reaches it again.
kr-echo 127.0.0.1:7009 2>/dev/null &
wait_listen 7009
sleep 2
t_check "two more transfers" kr-xfer -c 127.0.0.1:9100 -n 2 --min 1000 --max 1000 --timeout 60
t_check "rule del" userctl rule del 127.0.0.1:9100
n=0
while ! grep -q '"event":"rule_del"' /tmp/mon.json && [ $n -lt 50 ]; do sleep 0.2; n=$((n + 1)); done
log "monitor output:
$(cat /tmp/mon.json)"

e=$(ev rule_new 9100)
t_match "rule_new: listen and both backends" "$e" "\"id\":$id,\"listen\":\"127\.0\.0\.1:9100\",\"backends\":\[\{\"address\":\"127\.0\.0\.1:7001\".*\{\"address\":\"127\.0\.0\.1:7009\""
t_eq "rule_new: holddown" "$(jfield "$e" holddown_ms)" 1000
t_eq "four conn_open events" "$(grep -c '"event":"conn_open"' /tmp/mon.json)" 4
t_eq "four conn_close events" "$(grep -c '"event":"conn_close"' /tmp/mon.json)" 4
t_eq "every close: 1000 bytes to the backend" \
	"$(grep '"event":"conn_close"' /tmp/mon.json | grep -c '"bytes_to_backend":1000,"bytes_to_client":1000,')" 4
e=$(ev conn_close)
t_match "conn_close: rule, client, backend, state" "$e" "\"rule_id\":$id,\"client\":\"127\.0\.0\.1:[0-9]+\",\"backend\":\"127\.0\.0\.1:70(01|09)\""
t_match "conn_close: duration" "$e" '"duration_ms":[0-9]+'
t_eq "duration = final age" "$(jfield "$e" duration_ms)" "$(jfield "$e" age_ms)"
e=$(ev backend_down)
t_match "backend_down: rule and backend" "$e" "\"rule_id\":$id,\"backend\":\{\"address\":\"127\.0\.0\.1:7009\",\"weight\":1,\"state\":\"down\""
t_ge "backend_down: failed counted" "$(jfield "$e" failed)" 1
t_match "backend_up after it came back" "$(ev backend_up)" "\"rule_id\":$id,\"backend\":\{\"address\":\"127\.0\.0\.1:7009\",\"weight\":1,\"state\":\"up\""
e=$(ev rule_del 9100)
t_match "rule_del with final counters" "$e" '"stats":\{"accepted":4,'
t_eq "events in order: rule_new first, rule_del last" \
	"$(sed -n '1p;$p' /tmp/mon.json | grep -o '"event":"[a-z_]*"' | tr '\n' ' ')" '"event":"rule_new" "event":"rule_del" '

kill -TERM $MON
wait $MON
t_eq "SIGTERM: monitor exits 0" $? 0
t_eq "monitor wrote nothing on stderr" "$(cat /tmp/mon.err)" ""

# Text output and "count N": stops after N events on its own.
userctl monitor rule count 2 >/tmp/mon.txt 2>&1 &
M2=$!
probe_until sh -c "! kill -0 $M2 2>/dev/null"
wait $M2
t_eq "count 2: exits 0 by itself" $? 0
t_eq "count 2: two lines" "$(wc -l </tmp/mon.txt)" 2
# (it may have joined between a probe's add and del: any order)
t_match "text: rule added line" "$(grep '^rule added' /tmp/mon.txt)" '^rule added [0-9]+: 127\.0\.0\.1:9999 -> 127\.0\.0\.1:7001 mode splice sched rr$'
t_match "text: rule deleted line" "$(grep '^rule deleted' /tmp/mon.txt)" '^rule deleted [0-9]+: 127\.0\.0\.1:9999 -> 127\.0\.0\.1:7001 .*accepted 0$'

# Text conn lines: bytes and duration.
t_check "rule add" userctl rule add 127.0.0.1:9101 to 127.0.0.1:7001
userctl monitor conn >/tmp/mon.txt 2>&1 &
M3=$!
probe_until sh -c "kr-xfer -c 127.0.0.1:9101 -n 1 --min 500 --max 500 --timeout 20 >/dev/null 2>&1; grep -q 'conn closed' /tmp/mon.txt"
kill -INT $M3
wait $M3
t_eq "SIGINT: monitor exits 0" $? 0
t_match "text: conn closed line" "$(grep 'conn closed' /tmp/mon.txt | head -n1)" \
	'^conn closed [0-9]+ rule [0-9]+: 127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:7001 to_backend 500 to_client 500 duration [0-9.]+m?s$'
t_eq "conn filter: no rule lines" "$(grep -c '^rule' /tmp/mon.txt)" 0
kill %1 %2 2>/dev/null
krelay_unload
