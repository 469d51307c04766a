# vm: timeout=240
# Every userctl command against the live module: rules with several
# backends and options, list/-j/-s/-h output compared with what was set,
# backend add/del/set, the global ACL, atomic rule set, conn list/kill, stats.
. /tests/lib.sh
krelay_load

# expect_fail NAME CODE REGEX CMD...: CMD exits CODE, stderr matches REGEX
expect_fail() {
	n=$1 code=$2 re=$3
	shift 3
	"$@" >/tmp/out 2>/tmp/err
	rc=$?
	log "$* -> exit $rc: $(cat /tmp/err)"
	if [ $rc -ne "$code" ]; then
		t_fail "$n" "exit $rc, want $code"
	else
		t_match "$n" "$(cat /tmp/err)" "$re"
	fi
}
# jfield JSON KEY: the first value of KEY (number or string) in plain JSON
jfield() { printf '%s' "$1" | grep -o "\"$2\":\"\{0,1\}[^\",}]*" | head -n1 | sed 's/^[^:]*:"\{0,1\}//'; }
# backend_field ADDR KEY: KEY of backend ADDR in userctl -j backend list
backend_field() {
	userctl -j backend list | tr '{' '\n' | grep "\"address\":\"$1\"" | head -n1 |
		grep -o "\"$2\":\"\{0,1\}[^\",}]*" | sed 's/^[^:]*:"\{0,1\}//'
}

kr-echo 127.0.0.1:7001 127.0.0.1:7002 127.0.0.1:7003 2>/dev/null &
wait_listen 7001; wait_listen 7002; wait_listen 7003

# 1. rule add with every option; the listings show exactly that.
t_check "rule add, two backends and every option" \
	userctl rule add 127.0.0.1:9000 to 127.0.0.1:7001 weight 3 to 127.0.0.1:7002 \
	sched wrr holddown 5s mode copy connect-timeout 2s idle-timeout 1m backlog 64 \
	src 127.0.0.1 mark 7 keepalive 30 allow 127.0.0.0/8 deny 10.0.0.0/8
j=$(userctl -j rule list)
log "rule list -j: $j"
t_match "json: backends and weights" "$j" '"backends":\[\{"address":"127\.0\.0\.1:7001","weight":3,"state":"up"[^]]*\},\{"address":"127\.0\.0\.1:7002","weight":1,'
t_eq "json: sched" "$(jfield "$j" sched)" wrr
t_eq "json: holddown" "$(jfield "$j" holddown_ms)" 5000
t_eq "json: mode" "$(jfield "$j" mode)" copy
t_eq "json: connect timeout" "$(jfield "$j" connect_timeout_ms)" 2000
t_eq "json: idle timeout" "$(jfield "$j" idle_timeout_ms)" 60000
t_eq "json: backlog" "$(jfield "$j" backlog)" 64
t_eq "json: src" "$(jfield "$j" src)" 127.0.0.1
t_eq "json: mark" "$(jfield "$j" mark)" 7
t_eq "json: keepalive" "$(jfield "$j" keepalive_s)" 30
t_match "json: acl" "$j" '"acl":\[\{"action":"allow","prefix":"127\.0\.0\.0/8"\},\{"action":"deny","prefix":"10\.0\.0\.0/8"\}\]'
id=$(jfield "$j" id)
txt=$(userctl rule list)
log "rule list:
$txt"
t_match "table: header" "$txt" '^ *ID +LISTEN +BACKENDS +MODE +SCHED +CONNECT_TIMEOUT +IDLE_TIMEOUT +BACKLOG'
t_match "table: row" "$txt" "$id +127\.0\.0\.1:9000 +127\.0\.0\.1:7001\*3,127\.0\.0\.1:7002 +copy +wrr +2s +1m +64"
t_match "table: options line" "$txt" '    holddown 5s src 127\.0\.0\.1 mark 7 keepalive 30 allow 127\.0\.0\.0/8 deny 10\.0\.0\.0/8'
t_match "abbreviated r l lists the same" "$(userctl r l)" "127\.0\.0\.1:7001\*3"

# 2. Traffic: byte-checked transfers; counters agree across listings.
t_check "8 echo transfers through the rule" kr-xfer -c 127.0.0.1:9000 -n 8 --min 2000 --max 3000 --timeout 60
sleep 1
c1=$(backend_field 127.0.0.1:7001 conns) c2=$(backend_field 127.0.0.1:7002 conns)
log "wrr 3:1 -> conns $c1 / $c2"
t_eq "backend conns add up to 8" $((c1 + c2)) 8
t_ge "wrr: weight-3 backend got more" $((c1 - c2 - 1)) 0
t_ge "wrr: weight-1 backend got some" "$c2" 1
b1=$(backend_field 127.0.0.1:7001 bytes_to_backend) b2=$(backend_field 127.0.0.1:7002 bytes_to_backend)
rb=$(stat_of bytes_to_backend)
t_eq "rule bytes = sum of backend bytes" "$rb" $((b1 + b2))
t_ge "at least 16000 bytes relayed" "$rb" 16000
s=$(userctl -s rule list)
log "rule list -s:
$s"
t_match "-s: accepted column" "$s" "ACCEPTED +ACTIVE +FAILED +DENIED +BYTES_IN +BYTES_OUT"
t_match "-s: 8 accepted, bytes" "$s" " 8 +0 +0 +0 +$rb +[0-9]+"
h=$(userctl -s -h rule list)
want=$(awk -v b="$rb" 'BEGIN { printf "%.1fKiB", b / 1024 }')
t_match "-h: bytes in KiB ($want)" "$h" " $want "
t_match "backend list table" "$(userctl backend list)" "127\.0\.0\.1:7001 +3 +- +up +- +$c1 +0 +0 +$b1"

# 3. backend add / set / del keep the rule, its id and the counters.
t_check "backend add" userctl backend add 127.0.0.1:9000 127.0.0.1:7003 weight 2
t_check "backend set weight" userctl backend set id "$id" 127.0.0.1:7001 weight 1
t_check "backend del" userctl backend del 127.0.0.1:9000 127.0.0.1:7002
t_match "backends after add/set/del" "$(userctl rule list)" "$id +127\.0\.0\.1:9000 +127\.0\.0\.1:7001,127\.0\.0\.1:7003\*2 "
t_eq "kept backend kept its counters" "$(backend_field 127.0.0.1:7001 conns)" "$c1"
t_eq "other options untouched" "$(jfield "$(userctl -j rule list)" mark)" 7
expect_fail "backend del of an unknown backend" 1 'has no backend 127\.0\.0\.1:7999' \
	userctl backend del 127.0.0.1:9000 127.0.0.1:7999
expect_fail "backend add twice" 1 'already has backend' userctl backend add 127.0.0.1:9000 127.0.0.1:7003
t_check "backend del 7003" userctl backend del 127.0.0.1:9000 127.0.0.1:7003
expect_fail "last backend cannot go" 1 'last backend' userctl backend del 127.0.0.1:9000 127.0.0.1:7001
expect_fail "weight out of range" 2 'invalid weight "10001"' userctl backend set 127.0.0.1:9000 127.0.0.1:7001 weight 10001

# 4. rule set is one transaction: one bad value changes nothing.
before=$(userctl -j rule list | sed 's/"stats":.*//')
expect_fail "rule set with a backend on its own listener" 1 "own listen address" \
	userctl rule set 127.0.0.1:9000 sched lc mark 9 to 127.0.0.1:7002 to 127.0.0.1:9000
expect_fail "rule set with src of another family" 1 "family" \
	userctl rule set 127.0.0.1:9000 mark 9 src ::1
expect_fail "rule set with a bad prefix" 2 '"10\.0\.0\.1/8".*host bits' \
	userctl rule set 127.0.0.1:9000 mark 9 allow 10.0.0.1/8
t_eq "rejected rule sets changed nothing" "$(userctl -j rule list | sed 's/"stats":.*//')" "$before"
t_check "rule set, everything at once" userctl rule set id "$id" to 127.0.0.1:7002 weight 5 to 127.0.0.1:7003 \
	sched lc holddown off src none mark 0 keepalive off acl flush idle-timeout off
j=$(userctl -j rule list)
log "after rule set: $j"
t_match "set: backends replaced" "$j" '"backends":\[\{"address":"127\.0\.0\.1:7002","weight":5,[^]]*\},\{"address":"127\.0\.0\.1:7003","weight":1,'
t_eq "set: sched" "$(jfield "$j" sched)" lc
t_eq "set: holddown" "$(jfield "$j" holddown_ms)" 0
t_eq "set: no src" "$(jfield "$j" src)" ""
t_eq "set: mark" "$(jfield "$j" mark)" 0
t_match "set: acl cleared" "$j" '"acl":\[\]'
t_eq "set: mode kept" "$(jfield "$j" mode)" copy
t_eq "set: same rule id" "$(jfield "$j" id)" "$id"
t_check "transfer after rule set" kr-xfer -c 127.0.0.1:9000 -n 2 --min 1000 --max 1000 --timeout 60

# 5. Global ACL: add/del/flush/list, and it really rejects clients.
t_check "acl add allow" userctl acl add allow 192.168.0.0/16
t_check "acl add deny" userctl acl add deny 127.0.0.1
t_eq "acl list" "$(userctl acl list | tr -s ' ' | tr '\n' ';')" "allow 192.168.0.0/16;deny 127.0.0.1;"
t_eq "acl list -j" "$(userctl -j acl list)" '[{"action":"allow","prefix":"192.168.0.0/16"},{"action":"deny","prefix":"127.0.0.1"}]'
expect_fail "acl add twice" 1 'already in the global ACL' userctl acl add deny 127.0.0.1
d0=$(stat_of denied)
printf x | socat -T 5 - TCP:127.0.0.1:9000 >/tmp/denied.out 2>/dev/null
sleep 1
t_eq "denied client got nothing" "$(wc -c </tmp/denied.out)" 0
t_eq "denied client counted" "$(stat_of denied)" $((d0 + 1))
t_check "acl del" userctl acl del deny 127.0.0.1
expect_fail "acl del of a missing entry" 1 'not in the global ACL' userctl acl del deny 127.0.0.1
t_check "acl flush" userctl acl flush
t_eq "acl empty after flush" "$(userctl -j acl list)" "[]"
t_check "relaying again after acl flush" kr-xfer -c 127.0.0.1:9000 -n 1 --min 100 --max 100 --timeout 30

# 6. conn list / kill on a live connection.
sleep 30 | socat - TCP:127.0.0.1:9000 >/dev/null 2>&1 &
n=0
while [ "$(userctl conn count)" != 1 ] && [ $n -lt 50 ]; do sleep 0.2; n=$((n + 1)); done
c=$(userctl -j conn list)
log "conn list -j: $c"
t_match "conn list -j: client and backend" "$c" "\"rule_id\":$id,\"client\":\"127\.0\.0\.1:[0-9]+\",\"backend\":\"127\.0\.0\.1:700[23]\",\"state\":\"established\""
t_match "conn list table" "$(userctl conn list rule 127.0.0.1:9000)" "ID +RULE +CLIENT +BACKEND +STATE +TO_BACKEND +TO_CLIENT +AGE +IDLE"
cid=$(jfield "$c" id)
a0=$(stat_of aborted)
t_check "conn kill" userctl conn kill "$cid"
t_eq "no connection left" "$(userctl conn count)" 0
t_eq "kill counted as aborted" "$(stat_of aborted)" $((a0 + 1))
expect_fail "conn kill of a gone connection" 1 'no connection with (id [0-9]+|this id)' userctl conn kill "$cid"

# 7. stats: totals and the rule, text and JSON, with the new counters.
st=$(userctl stats)
t_match "stats text has denied and failovers" "$st" "denied +[0-9]+"
t_match "stats text has failovers" "$st" "failovers +[0-9]+"
t_match "stats -j has the rule" "$(userctl -j stats)" "\"rules\":\[\{\"id\":$id,"
t_check "rule del" userctl rule del id "$id"
t_eq "no rules left" "$(userctl -j rule list)" "[]"
kill %1 2>/dev/null
krelay_unload
