# vm: timeout=240
# maxconn.  A rule at its maxconn stops accepting: the next client waits in
# the listen backlog, unrelayed, and is relayed as soon as a connection
# ends.  Backends at their maxconn are skipped by the scheduler; when every
# backend is at its limit a new client is reset and counted overlimit.
# Both limits show in rule/backend list (JSON), survive backend set's
# read-modify-write and export/apply, and bad values are refused.
. /tests/lib.sh
krelay_load

backend() { greeting_backend "$@"; }
# hold N PORT: a client that connects through PORT, reads into /tmp/hold$N
# and sends nothing (the connection stays open until it is killed)
hold() {
	sleep 600 | socat - TCP:127.0.0.1:"$2" >/tmp/hold"$1" 2>/dev/null &
	eval "hold_$1=$!"
}
rjson() { userctl -j rule list | jq -r --arg l "$1" ".[] | select(.listen == \$l) | $2"; }
bejson() {
	userctl -j backend list "$1" |
		jq -r --arg a "$2" --arg f "$3" '.[] | select(.address == $a) | .[$f]'
}
rstat() { userctl -j stats "$1" | jq -r ".stats.$2"; }

backend b1 7101
backend b2 7102
B1=127.0.0.1:7101 B2=127.0.0.1:7102
# a listener for events all along: every event is built and sent
userctl -j monitor >/tmp/mon.out 2>/tmp/mon.err &
mon=$!
sleep 1

# --- rule maxconn: the third client waits in the backlog ---------------------
t_check "rule add ... maxconn 2" userctl rule add 127.0.0.1:9100 to $B1 maxconn 2
t_eq "rule list shows maxconn (JSON)" "$(rjson 127.0.0.1:9100 .maxconn)" 2
t_match "rule list shows maxconn (text)" "$(userctl rule list)" 'maxconn 2'
hold 1 9100
hold 2 9100
t_check "two clients relayed" wait_until 10 sh -c 'grep -q b1 /tmp/hold1 && grep -q b1 /tmp/hold2'
(echo ping; sleep 600) | socat - TCP:127.0.0.1:9100 >/tmp/third 2>/dev/null &
third=$!
sleep 2
t_eq "third client not relayed while the rule is at maxconn" "$(cat /tmp/third)" ""
t_check "  ... its connection waits (socat still runs)" kill -0 $third
t_eq "  ... not accepted by the relay" "$(rstat 127.0.0.1:9100 accepted)" 2
t_eq "  ... two active" "$(rstat 127.0.0.1:9100 active)" 2
t_eq "  ... nothing counted overlimit" "$(rstat 127.0.0.1:9100 overlimit)" 0
kill $hold_1
t_check "third client relayed once a connection ended" \
	wait_until 10 sh -c 'test "$(cat /tmp/third)" = "$(printf "b1\nping")"'
t_eq "  ... accepted 3" "$(rstat 127.0.0.1:9100 accepted)" 3
# raising the limit lets waiting clients in at once
hold 4 9100
sleep 2
t_eq "fourth client waits (limit 2 again reached)" "$(cat /tmp/hold4)" ""
t_check "rule set maxconn 0 (no limit)" userctl rule set 127.0.0.1:9100 maxconn 0
t_check "fourth client relayed after the limit was lifted" \
	wait_until 10 grep -q b1 /tmp/hold4
kill $hold_2 $third $hold_4 2>/dev/null
t_check "rule del" userctl rule del 127.0.0.1:9100

# --- backend maxconn: skipped when full, overlimit when all are full ---------
t_check "rule add with two backends" userctl rule add 127.0.0.1:9200 to $B1 to $B2
t_check "backend set B1 maxconn 1" userctl backend set 127.0.0.1:9200 $B1 maxconn 1
t_check "backend set B2 weight 2 maxconn 1" \
	userctl backend set 127.0.0.1:9200 $B2 weight 2 maxconn 1
t_eq "backend list shows maxconn" "$(bejson 127.0.0.1:9200 $B1 maxconn)" 1
t_check "backend set weight keeps the other backend's maxconn" \
	userctl backend set 127.0.0.1:9200 $B2 weight 1
t_eq "  ... B1 maxconn still 1" "$(bejson 127.0.0.1:9200 $B1 maxconn)" 1
t_eq "  ... B2 maxconn still 1" "$(bejson 127.0.0.1:9200 $B2 maxconn)" 1
t_match "backend list (text) has a MAXCONN column" "$(userctl backend list)" 'MAXCONN'
hold 5 9200
t_check "first client relayed" wait_until 10 grep -q . /tmp/hold5
hold 6 9200
t_check "second client relayed" wait_until 10 grep -q . /tmp/hold6
t_eq "the two went to different backends" "$(cat /tmp/hold5 /tmp/hold6 | sort | tr '\n' ' ')" "b1 b2 "
t_eq "  ... B1 active 1" "$(bejson 127.0.0.1:9200 $B1 active)" 1
t_eq "  ... B2 active 1" "$(bejson 127.0.0.1:9200 $B2 active)" 1
t0=$(cut -d. -f1 /proc/uptime)
out=$(echo ping | socat -T 10 - TCP:127.0.0.1:9200 2>/dev/null)
t1=$(cut -d. -f1 /proc/uptime)
t_eq "third client gets no data (every backend at maxconn)" "$out" ""
if [ $((t1 - t0)) -le $((3 * TS)) ]; then t_pass "  ... and is reset promptly"; else t_fail "  ... and is reset promptly" "$((t1 - t0))s"; fi
t_eq "  ... counted overlimit" "$(rstat 127.0.0.1:9200 overlimit)" 1
t_eq "  ... no backend got a third connection" \
	"$(bejson 127.0.0.1:9200 $B1 conns)+$(bejson 127.0.0.1:9200 $B2 conns)" "1+1"
t_eq "netns total overlimit" "$(stat_of overlimit)" 1
a=$(rstat 127.0.0.1:9200 accepted)
e=$(userctl -j stats 127.0.0.1:9200 | jq '.stats | .active + .closed + .reset + .failed + .idle_timeout + .aborted + .denied + .overlimit')
t_eq "accepted = active + every ending" "$a" "$e"
kill $hold_5
t_check "a backend with room takes the next client" \
	wait_until 10 sh -c 'echo | socat -t 3 -T 5 - TCP:127.0.0.1:9200 2>/dev/null | grep -q b'
kill $hold_6 2>/dev/null
t_check "backend add with maxconn" userctl backend add 127.0.0.1:9200 127.0.0.1:7103 weight 2 maxconn 5
t_eq "  ... reported" "$(bejson 127.0.0.1:9200 127.0.0.1:7103 maxconn)" 5

# --- export / apply carry both limits ------------------------------------------
t_check "rule set maxconn 7" userctl rule set 127.0.0.1:9200 maxconn 7
userctl export >/tmp/exp.conf
log "$(cat /tmp/exp.conf)"
t_match "export has maxconn=7" "$(cat /tmp/exp.conf)" 'maxconn=7'
t_match "export has the first backend's maxconn" "$(cat /tmp/exp.conf)" 'backend-maxconn=1'
t_match "export has the other backends' maxconn" "$(cat /tmp/exp.conf)" 'backend=127.0.0.1:7102/1/1'
# the configuration without ids (apply creates the rule anew)
conf() { rules_norm | sed 's/"id":[0-9]*,//'; }
before=$(conf)
t_check "rule del + apply the export" sh -c 'userctl rule del 127.0.0.1:9200 && userctl apply /tmp/exp.conf'
t_eq "apply restores the limits" "$(conf)" "$before"
t_match "  ... backend maxconn included" "$before" '"maxconn":5'

t_match "applying it again changes nothing" "$(userctl apply /tmp/exp.conf 2>&1)" '1 unchanged'

# --- events: none lost (a drop needs an allocation failure; see the report) ----
kill $mon
t_ge "the monitor got events" "$(wc -l </tmp/mon.out)" 20
t_eq "events_dropped in the totals: 0" "$(userctl -j stats | jq .totals.events_dropped)" 0
t_match "userctl stats shows events_dropped" "$(userctl stats)" 'events_dropped +0'
t_eq "rules carry no events_dropped" \
	"$(userctl -j stats | jq '[.rules[].stats | has("events_dropped")] | any')" false
t_match "prometheus has it" "$(userctl -o prometheus stats)" 'krelay_events_dropped_total 0'

# --- bad values ------------------------------------------------------------------
out=$(userctl rule set 127.0.0.1:9200 maxconn 99999999 2>&1); rc=$?
t_eq "maxconn too large: usage error" "$rc" 2
t_match "  ... message names the value" "$out" 'invalid maxconn "99999999"'
out=$(userctl backend set 127.0.0.1:9200 $B1 maxconn x 2>&1); rc=$?
t_eq "backend maxconn not a number: usage error" "$rc" 2
t_match "  ... message names the value" "$out" 'invalid maxconn "x"'
printf '127.0.0.1 9300 127.0.0.1 7101 [maxconn=-1]\n' >/tmp/bad.conf
out=$(userctl apply /tmp/bad.conf 2>&1); rc=$?
t_match "apply: bad maxconn names file, line and value" "$out" 'bad.conf:1:.*invalid maxconn "-1"'
krelay_unload
