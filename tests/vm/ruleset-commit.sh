# vm: timeout=300
# RULESET_SET (userctl apply) has no side effect before it commits: a set
# that the kernel rejects (here: its last listen address is not of this
# host) never accepted a client on the new addresses it listed, even while
# a client kept connecting to one of them during the call; and an address
# can move from 0.0.0.0:p to 127.0.0.1:p (and back) in one apply.
. /tests/lib.sh
krelay_load

kr-echo -m echo 127.0.0.1:7001 2>/dev/null &
wait_listen 7001
# passive_opens: TCP connections this guest accepted (listen side), all sockets
passive_opens() { awk '/^Tcp:/ { if (!n) { for (i = 2; i <= NF; i++) if ($i == "PassiveOpens") c = i; n = 1; next } print $c }' /proc/net/snmp; }
# connect_loop PORT FLAG: connect to 127.0.0.1:PORT and close, again and
# again while FLAG exists; then write "tries successes" to FLAG.out
connect_loop() {
	local t=0 ok=0
	while [ -e "$2" ]; do
		t=$((t + 1))
		if { : <>/dev/tcp/127.0.0.1/"$1"; } 2>/dev/null; then ok=$((ok + 1)); fi
	done
	echo "$t $ok" >"$2.out"
}

# refused HOST PORT: a connect to HOST:PORT fails
refused() { ! { : <>/dev/tcp/"$1"/"$2"; } 2>/dev/null; }

# --- a rejected set accepts nobody ---------------------------------------------
# (300 rules: a set must fit the 64 KiB of one netlink attribute)
N=$((KDBG ? 150 : 300))
{
	echo "127.0.0.1 9100 127.0.0.1 7001"
	for i in $(seq 1 "$N"); do echo "127.0.0.1 $((20000 + i)) 127.0.0.1 7001"; done
	echo "192.0.2.1 9999 127.0.0.1 7001"
} >/tmp/rejected.conf
printf '127.0.0.1 9050 127.0.0.1 7001\n' >/tmp/base.conf
t_check "apply a base set" userctl apply /tmp/base.conf
before=$(rules_norm)
t_check "nothing listens on 127.0.0.1:9100 yet" refused 127.0.0.1 9100
touch /tmp/flag
po0=$(passive_opens)
connect_loop 9100 /tmp/flag &
loop=$!
rej=0 msgs=""
for round in 1 2 3 4 5; do
	out=$(userctl apply /tmp/rejected.conf 2>&1) || rej=$((rej + 1))
	msgs=$out
done
rm -f /tmp/flag
wait $loop
po1=$(passive_opens)
read -r tries ok </tmp/flag.out
log "connect loop: $tries tries, $ok connected; PassiveOpens $po0 -> $po1; last message: $msgs"
t_eq "the kernel rejected the set every time" "$rej" 5
t_match "  ... naming the problem" "$msgs" 'not an address of this host'
t_ge "the client tried during the applies" "$tries" 20
t_eq "no client ever connected to a listener of a rejected set" "$ok" 0
t_eq "  ... no TCP connection was accepted meanwhile (PassiveOpens)" "$po1" "$po0"
t_eq "the rules are as before" "$(rules_norm)" "$before"
t_eq "  ... and relay" "$(echo ping | socat -t 3 -T 5 - TCP:127.0.0.1:9050 2>/dev/null)" "ping"
t_eq "no connection was accepted by krelay" "$(stat_of accepted)" 1

# --- a set that can be applied still listens on its new addresses ------------------
t_check "apply the set without its bad entry" sh -c "grep -v 192.0.2.1 /tmp/rejected.conf >/tmp/ok.conf && userctl apply /tmp/ok.conf"
t_eq "  ... its first rule relays" "$(echo ping | socat -t 3 -T 5 - TCP:127.0.0.1:9100 2>/dev/null)" "ping"
t_eq "  ... and its last" "$(echo ping | socat -t 3 -T 5 - TCP:127.0.0.1:$((20000 + N)) 2>/dev/null)" "ping"
t_check "apply the base set again (deletes $N rules)" userctl apply /tmp/base.conf
t_eq "  ... back to the base rules (a new id)" "$(rules_norm | sed 's/"id":[0-9]*,//')" \
	"$(echo "$before" | sed 's/"id":[0-9]*,//')"

# --- 0.0.0.0:p -> 127.0.0.1:p in one set, and back --------------------------------
ip addr add 127.0.0.2/8 dev lo 2>/dev/null
printf '0.0.0.0 9200 127.0.0.1 7001\n' >/tmp/wild.conf
printf '127.0.0.1 9200 127.0.0.1 7001\n' >/tmp/local.conf
t_check "apply 0.0.0.0:9200" userctl apply /tmp/wild.conf
t_eq "  ... relays on 127.0.0.2:9200" "$(echo ping | socat -t 3 -T 5 - TCP:127.0.0.2:9200 2>/dev/null)" "ping"
# a connection established before the move (kept open) must not stop the move
sleep 600 | socat - TCP:127.0.0.1:9200 >/dev/null 2>&1 &
held=$!
one_active() { [ "$(stat_of active)" = 1 ]; }
t_check "  ... a connection open before the move" wait_until 5 one_active
out=$(userctl apply /tmp/local.conf 2>&1)
t_eq "apply moves 0.0.0.0:9200 to 127.0.0.1:9200 in one set" "$?" 0
log "$out"
t_eq "  ... the rule list has only 127.0.0.1:9200" \
	"$(userctl -j rule list | jq -r '[.[].listen] | join(" ")')" "127.0.0.1:9200"
t_eq "  ... relays on 127.0.0.1:9200" "$(echo ping | socat -t 3 -T 5 - TCP:127.0.0.1:9200 2>/dev/null)" "ping"
t_check "  ... 127.0.0.2:9200 refuses (the wildcard is gone)" refused 127.0.0.2 9200
t_eq "  ... one listener on port 9200" "$(ss -Htln 'sport = :9200' | wc -l)" 1
kill $held 2>/dev/null
t_check "apply moves it back to 0.0.0.0:9200" userctl apply /tmp/wild.conf
t_eq "  ... relays on 127.0.0.2:9200 again" "$(echo ping | socat -t 3 -T 5 - TCP:127.0.0.2:9200 2>/dev/null)" "ping"

# --- what still conflicts is refused, and changes nothing ---------------------------
before=$(rules_norm)
printf '0.0.0.0 9200 127.0.0.1 7001\n127.0.0.1 9200 127.0.0.1 7001\n' >/tmp/both.conf
out=$(userctl apply /tmp/both.conf 2>&1); rc=$?
t_eq "a kept 0.0.0.0:9200 and a new 127.0.0.1:9200: refused" "$rc" 1
t_match "  ... listen address in use" "$out" 'in use'
printf '0.0.0.0 9300 127.0.0.1 7001\n127.0.0.1 9300 127.0.0.1 7001\n' >/tmp/overlap.conf
out=$(userctl apply /tmp/overlap.conf 2>&1); rc=$?
t_eq "two new overlapping listen addresses: refused" "$rc" 1
t_match "  ... named" "$out" 'overlapping'
socat TCP-LISTEN:9400,bind=127.0.0.1,reuseaddr EXEC:cat 2>/dev/null &
sock=$!
wait_listen 9400
printf '0.0.0.0 9400 127.0.0.1 7001\n' >/tmp/taken.conf
out=$(userctl apply /tmp/taken.conf 2>&1); rc=$?
t_eq "a port another program listens on: refused" "$rc" 1
t_match "  ... in use" "$out" 'in use'
kill $sock 2>/dev/null
t_eq "the rules are unchanged" "$(rules_norm)" "$before"
t_eq "  ... and relay" "$(echo ping | socat -t 3 -T 5 - TCP:127.0.0.2:9200 2>/dev/null)" "ping"
krelay_unload
