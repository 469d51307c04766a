# vm: timeout=180
# userctl apply/export with rinetd.conf files: two rules, global and
# per-rule allow/deny, an ignored logfile line; export | apply is a no-op
# that keeps rule ids, counters and live connections; a syntax error names
# FILE:LINE:COLUMN, exits 2 and changes nothing; a file the kernel rejects
# changes nothing either.
. /tests/lib.sh
krelay_load

jfield() { printf '%s' "$1" | grep -o "\"$2\":\"\{0,1\}[^\",}]*" | head -n1 | sed 's/^[^:]*:"\{0,1\}//'; }
rule_json() { userctl -j rule list | tr '\n' ' ' | sed 's/},{"id"/}\n{"id"/g' | grep "\"listen\":\"$1\""; }

kr-echo 127.0.0.1:7001 127.0.0.1:7002 2>/dev/null &
wait_listen 7001; wait_listen 7002

cat >/tmp/r.conf <<'CONF'
# rinetd.conf for the test
logfile /var/log/rinetd.log
allow 127.0.0.*

0.0.0.0 9201 127.0.0.1 7001 [timeout=60,keepalive=on]
127.0.0.1 9202 127.0.0.1 7001 [backend=127.0.0.1:7002/2,sched=wrr,mode=copy]
deny 127.0.0.1
CONF
userctl apply /tmp/r.conf >/tmp/apply.out 2>/tmp/apply.err
t_eq "apply exits 0" $? 0
t_eq "logfile ignored with a warning" "$(cat /tmp/apply.err)" "/tmp/r.conf:2: ignoring unsupported directive 'logfile'"
t_match "apply summary" "$(cat /tmp/apply.out)" "2 rules: 2 added, 0 changed, 0 deleted, 0 unchanged; global ACL changed"
r1=$(rule_json 0.0.0.0:9201) r2=$(rule_json 127.0.0.1:9202)
log "rules: $r1 / $r2"
t_eq "rule 1: idle timeout" "$(jfield "$r1" idle_timeout_ms)" 60000
t_eq "rule 1: keepalive on" "$(jfield "$r1" keepalive_s)" 7200
t_match "rule 2: backends" "$r2" '"backends":\[\{"address":"127\.0\.0\.1:7001","weight":1,.*\{"address":"127\.0\.0\.1:7002","weight":2,'
t_eq "rule 2: sched" "$(jfield "$r2" sched)" wrr
t_eq "rule 2: mode" "$(jfield "$r2" mode)" copy
t_match "rule 2: per-rule deny" "$r2" '"acl":\[\{"action":"deny","prefix":"127\.0\.0\.1"\}\]'
t_eq "global ACL from the allow line" "$(userctl -j acl list)" '[{"action":"allow","prefix":"127.0.0.0/24"}]'
t_check "rule 1 relays (allowed by 127.0.0.*)" kr-xfer -c 127.0.0.1:9201 -n 2 --min 3000 --max 3000 --timeout 60
d0=$(stat_of denied)
printf x | socat -T 5 - TCP:127.0.0.1:9202 >/tmp/denied.out 2>/dev/null
sleep 1
t_eq "rule 2 denies 127.0.0.1 (per-rule deny)" "$(wc -c </tmp/denied.out)" 0
t_eq "denied counted" "$(stat_of denied)" $((d0 + 1))

# export | apply: nothing changes, not even a live connection.
userctl export >/tmp/e1.conf
log "export:
$(cat /tmp/e1.conf)"
t_match "export: global allow" "$(cat /tmp/e1.conf)" '^allow 127\.0\.0\.\*'
t_match "export: rule 2 options" "$(cat /tmp/e1.conf)" '127\.0\.0\.1 9202 127\.0\.0\.1 7001 \[backend=127\.0\.0\.1:7002/2,sched=wrr,mode=copy\]'
kr-xfer -c 127.0.0.1:9201 --pause-read 6 -n 1 --min 200000 --max 200000 --timeout 60 >/tmp/live.out 2>&1 &
XF=$!
n=0
while [ "$(userctl conn count)" != 1 ] && [ $n -lt 50 ]; do sleep 0.2; n=$((n + 1)); done
conn1=$(userctl -j conn list | sed 's/"bytes_to.*//')
ids1=$(userctl -j rule list | grep -o '"id":[0-9]*,"listen":"[^"]*"' | tr '\n' ' ')
acc1=$(stat_of accepted)
userctl apply /tmp/e1.conf >/tmp/apply.out 2>&1
t_eq "apply of the export exits 0" $? 0
t_match "apply of the export: all unchanged" "$(cat /tmp/apply.out)" "2 rules: 0 added, 0 changed, 0 deleted, 2 unchanged; global ACL unchanged"
userctl export >/tmp/e2.conf
t_check "export identical after apply" cmp /tmp/e1.conf /tmp/e2.conf
t_eq "rule ids unchanged" "$(userctl -j rule list | grep -o '"id":[0-9]*,"listen":"[^"]*"' | tr '\n' ' ')" "$ids1"
t_eq "counters unchanged" "$(stat_of accepted)" "$acc1"
t_eq "live connection still listed, same id" "$(userctl -j conn list | sed 's/"bytes_to.*//')" "$conn1"
wait $XF
t_eq "live connection finished its transfer byte-exact" $? 0
log "$(cat /tmp/live.out)"

# A syntax error: FILE:LINE:COLUMN, exit 2, nothing changes.
{ cat /tmp/e1.conf; echo '0.0.0.0 9203 127.0.0.1 7001 [timeout=5,frob=1]'; } >/tmp/bad.conf
line=$(wc -l </tmp/bad.conf)
userctl apply /tmp/bad.conf >/tmp/apply.out 2>/tmp/apply.err
t_eq "syntax error exits 2" $? 2
t_eq "syntax error message" "$(cat /tmp/apply.err)" "/tmp/bad.conf:$line:40: unknown option \"frob\""
userctl export >/tmp/e3.conf
t_check "nothing changed after the syntax error" cmp /tmp/e1.conf /tmp/e3.conf
printf 'allow 10.0.0.?\n0.0.0.0 9203 127.0.0.1 7001\n' >/tmp/bad2.conf
userctl apply /tmp/bad2.conf >/dev/null 2>/tmp/apply.err
t_eq "unconvertible pattern exits 2" $? 2
t_match "pattern error names line and column" "$(cat /tmp/apply.err)" '^/tmp/bad2\.conf:1:14: pattern "10\.0\.0\.\?" cannot be expressed as a CIDR prefix'

# The kernel rejects one entry (a backend on its own listener): all or nothing.
{ grep -v 9202 /tmp/e1.conf; echo '127.0.0.1 9204 127.0.0.1 9204'; } >/tmp/rej.conf
userctl apply /tmp/rej.conf >/dev/null 2>/tmp/apply.err
t_eq "rejected rule set exits 1" $? 1
t_match "kernel's reason shown" "$(cat /tmp/apply.err)" "own listen address"
userctl export >/tmp/e4.conf
t_check "nothing changed after the rejected rule set" cmp /tmp/e1.conf /tmp/e4.conf

# A smaller file: the missing rule goes, the kept one keeps its id.
id1=$(jfield "$(rule_json 0.0.0.0:9201)" id)
printf '0.0.0.0 9201 127.0.0.1 7001 [timeout=60,keepalive=on]\n' >/tmp/one.conf
t_check "apply a one-rule file" userctl apply /tmp/one.conf
t_eq "one rule left" "$(userctl -j rule list | grep -o '"listen"' | wc -l)" 1
t_eq "kept rule kept its id" "$(jfield "$(rule_json 0.0.0.0:9201)" id)" "$id1"
t_eq "global ACL cleared (not in the file)" "$(userctl -j acl list)" "[]"
t_check "dry run" userctl apply --dry-run /tmp/r.conf
t_eq "dry run changed nothing" "$(userctl -j rule list | grep -o '"listen"' | wc -l)" 1
printf '' | userctl apply - >/dev/null
t_eq "empty file from stdin removes every rule" "$(userctl -j rule list)" "[]"
kill %1 2>/dev/null
krelay_unload
