# vm: timeout=420 mem=1024 smp=2
# Netlink fuzzing: 100,000 random and mutated generic netlink messages to
# the krelay family as root, 20,000 as an unprivileged user (kr-nlfuzz).
# Afterwards the rule table must be consistent: every listed rule really
# listens, nothing else listens in the fuzzer's port range, stats agree
# with the listing, a rule outside the fuzzer's reach is unchanged and
# relays, a fresh rule relays byte-exact, everything deletes, rmmod works.
# The unprivileged run must not change the rule table at all.
. /tests/lib.sh

PORTS=20000-20099 PLO=20000 PHI=20099
ROOT_N=${NLFUZZ_ROOT_N:-100000}
USER_N=${NLFUZZ_USER_N:-20000}
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"

# One line per rule, counters stripped (they are the only moving part).
# "port hexaddr" of every listening TCP socket (v4 and v6).
listeners() {
	cat /proc/net/tcp /proc/net/tcp6 | awk '$4 == "0A" { print $2 }' |
		while IFS=: read -r a p; do echo "$((16#$p)) $a"; done | sort -n
}
# value of KEY in a kr-nlfuzz summary file
fz() { awk -v k="$2" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' "$1"; }

krelay_load
kr-echo -m echo 127.0.0.1:7000 2>/tmp/echo.log &
ECHO=$!
wait_listen 7000
# idle timeout an hour: the held connections must outlive the unprivileged
# fuzz, which takes minutes on the debug kernel
t_check "protected rule add" userctl rule add 127.0.0.1:9000 to 127.0.0.1:7000 \
	mode copy connect-timeout 4321 idle-timeout 3600000
protected=$(rules_norm)
log "protected: $protected"
# live connections for CONN_GET dumps and CONN_DEL to find
kr-hold -q -c 127.0.0.1:9000 -n 20 --hold 900 -r /tmp/hold.ready >/tmp/hold.log 2>&1 &
HOLD=$!
i=0
while [ ! -s /tmp/hold.ready ] && [ $i -lt 300 ]; do usleep 100000; i=$((i + 1)); done
t_eq "20 live connections during the fuzz" "$(cat /tmp/hold.ready 2>/dev/null)" 20

# --- root --------------------------------------------------------------------
log "root fuzz: $ROOT_N messages"
kr-nlfuzz -s 1 -n "$ROOT_N" -p "$PORTS" -v >/tmp/root.sum 2>/tmp/root.err
t_eq "root fuzzer exit status" $? 0
cat /tmp/root.sum /tmp/root.err
t_ge "root: messages sent" "$(fz /tmp/root.sum sent)" "$ROOT_N"
t_ge "root: rejected with EINVAL" "$(fz /tmp/root.sum err.EINVAL)" 1000
t_ge "root: commands that changed state" "$(fz /tmp/root.sum admin_ok)" 50
t_ge "root: dumps abandoned midway" "$(fz /tmp/root.sum dumps_abandoned)" 100
t_ge "root: dump replies" "$(fz /tmp/root.sum "done")" 100
t_eq "root: no EPERM as root" "$(fz /tmp/root.sum err.EPERM)" 0

# --- consistency ---------------------------------------------------------------
rules_norm >/tmp/rules
nrules=$(wc -l </tmp/rules)
log "$nrules rules after the fuzzer"
t_ge "fuzzer left rules to check" "$nrules" 2
t_eq "stats rule_count = rules listed" \
	"$(userctl -j stats | sed -n 's/.*"rule_count":\([0-9]*\).*/\1/p')" "$nrules"
listeners >/tmp/listen
# "port hexaddr" as /proc/net/tcp* shows it, for every rule's listen address
sed -n 's/.*"listen":"\([^"]*\)".*/\1/p' /tmp/rules | awk '{
	p = $0; sub(/.*:/, "", p); a = $0; sub(/:[0-9]+$/, "", a)
	if (a == "[::1]") h = "00000000000000000000000001000000"
	else if (a == "[::]") h = "00000000000000000000000000000000"
	else if (split(a, o, ".") == 4) h = sprintf("%02X%02X%02X%02X", o[4], o[3], o[2], o[1])
	else h = "v6:" a
	print p, h
}' >/tmp/want
log "$(wc -l </tmp/want) listen addresses, $(grep -c v6: /tmp/want) other IPv6"
bad=$(awk 'NR == FNR { have[$1 " " $2] = 1; if (length($2) == 32) v6[$1] = 1; next }
	substr($2, 1, 3) == "v6:" { if (!v6[$1]) print; next }
	!have[$1 " " $2]' /tmp/listen /tmp/want)
[ -n "$bad" ] && log "not listening: $bad"
bad=$(printf '%s' "$bad" | grep -c .)
inrange=$(awk -v lo=$PLO -v hi=$PHI '$1 >= lo && $1 <= hi' /tmp/want | wc -l)
t_eq "every rule's listen socket is listening" "$bad" 0
t_eq "listeners in the fuzz range = rules there (no leaked socket)" \
	"$(awk -v lo=$PLO -v hi=$PHI '$1 >= lo && $1 <= hi' /tmp/listen | wc -l)" "$inrange"
t_eq "protected rule unchanged" "$(grep '"listen":"127.0.0.1:9000"' /tmp/rules)" "$protected"

# --- unprivileged: nothing may change ---------------------------------------------
# per-netns conn ids start at 1: the fuzzer's CONN_DEL ids (0-1000) hit them
t_ge "root fuzzer killed live connections" "$(stat_of aborted)" 1
kill $HOLD 2>/dev/null
wait $HOLD 2>/dev/null
kr-hold -q -c 127.0.0.1:9000 -n 10 --hold 900 -r /tmp/hold2.ready >/tmp/hold2.log 2>&1 &
HOLD=$!
i=0
while [ ! -s /tmp/hold2.ready ] && [ $i -lt 300 ]; do usleep 100000; i=$((i + 1)); done
i=0
while [ "$(userctl conn count)" != 10 ] && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
conns=$(userctl -j conn list | grep -o '"id":[0-9]*' | sort)
t_eq "10 live connections for the unprivileged run" "$(echo "$conns" | grep -c id)" 10
log "unprivileged fuzz: $USER_N messages"
$NOBODY kr-nlfuzz -s 2 -n "$USER_N" -p "$PORTS" >/tmp/user.sum 2>/tmp/user.err
t_eq "unprivileged fuzzer exit status" $? 0
cat /tmp/user.sum /tmp/user.err
t_ge "unprivileged: messages sent" "$(fz /tmp/user.sum sent)" "$USER_N"
t_ge "unprivileged: refused with EPERM" "$(fz /tmp/user.sum err.EPERM)" 1000
t_eq "unprivileged: no command changed state" "$(fz /tmp/user.sum admin_ok)" 0
t_ge "unprivileged: reads answered" "$(fz /tmp/user.sum "done")" 100
rules_norm >/tmp/rules2
if cmp -s /tmp/rules /tmp/rules2; then
	t_pass "rule table unchanged by the unprivileged fuzzer"
else
	t_fail "rule table unchanged by the unprivileged fuzzer" "$(diff /tmp/rules /tmp/rules2 | head -n 5)"
fi
t_eq "connections unchanged by the unprivileged fuzzer" \
	"$(userctl -j conn list | grep -o '"id":[0-9]*' | sort)" "$conns"
kill $HOLD 2>/dev/null
wait $HOLD 2>/dev/null

# --- the table still works -----------------------------------------------------------
t_check "protected rule relays byte-exact" kr-xfer -q -c 127.0.0.1:9000 -n 8 -j 4 --max 256K --seed 3
t_check "fresh rule add" userctl rule add 127.0.0.1:9001 to 127.0.0.1:7000
wait_listen 9001
t_check "fresh rule relays byte-exact" kr-xfer -q -c 127.0.0.1:9001 -n 8 -j 4 --max 1M --seed 4
ids=$(userctl -j rule list | grep -o '"id":[0-9]*' | cut -d: -f2)
fails=0
for id in $ids; do
	userctl rule del id "$id" || fails=$((fails + 1))
done
t_eq "every rule deletes" "$fails" 0
t_eq "no rule left" "$(rules_norm | wc -l)" 0
t_eq "no listener left in the fuzz range" \
	"$(listeners | awk -v lo=$PLO -v hi=$PHI '$1 >= lo && $1 <= hi' | wc -l)" 0
t_eq "stats rule_count 0" "$(userctl -j stats | sed -n 's/.*"rule_count":\([0-9]*\).*/\1/p')" 0
krelay_unload
kill $ECHO 2>/dev/null
wait $ECHO 2>/dev/null
