# vm: timeout=240
# Active health checks: the kernel connects to every backend of a rule each
# interval, with no client connection; a backend that stops listening goes
# DOWN after FALL failed checks (a monitor event, backend list, counters),
# gets no new connections while down, and comes back UP after RISE passed
# checks once it listens again.  A black-holed backend fails by the check
# timeout.  Changing the check parameters leaves connections alone;
# turning checks off, deleting the rule, netns exit and rmmod stop them
# cleanly (no check socket left, no TIME_WAIT pile-up, clean kernel log).
. /tests/lib.sh
krelay_load

B1=127.0.0.1:7101 B2=127.0.0.1:7102 B3=127.0.0.1:7103 R=127.0.0.1:9100
kr-echo $B1 2>/tmp/e1.log &
P1=$!
kr-echo $B2 2>/tmp/e2.log &
P2=$!
wait_listen 7101
wait_listen 7102

# bejson ADDR FIELD: a field of backend ADDR of rule $R (userctl -j backend list)
bejson() {
	userctl -j backend list $R |
		jq -r --arg a "$1" --arg f "$2" '.[] | select(.address == $a) | .[$f]' | head -n1
}
# tcp_count PORT STATE: sockets in STATE (hex, e.g. 06 = TIME_WAIT) with PORT at either end
tcp_count() {
	hex=$(printf '%04X' "$1")
	awk -v h=":$hex" -v s="$2" 'NR > 1 && $4 == s &&
		(substr($2, length($2) - 4) == h || substr($3, length($3) - 4) == h)' \
		/proc/net/tcp | wc -l
}
ev() { grep "\"event\":\"$1\"" /tmp/mon.json | grep -- "${2:-}" | head -n1; }

userctl -j monitor backend >>/tmp/mon.json 2>/tmp/mon.err &
MON=$!
sleep 0.5

# --- the kernel validates the check parameters ------------------------------
t_refuse "userctl rejects a check interval below 100ms" \
	userctl rule add $R to $B1 check interval 50ms
t_check "rule with checks: interval 500ms timeout 300ms rise 2 fall 3" \
	userctl rule add $R to $B1 to $B2 check interval 500ms timeout 300ms rise 2 fall 3
t_match "rule list shows the checks" "$(userctl rule list)" \
	"check interval 500ms timeout 300ms rise 2 fall 3"
t_eq "JSON: check interval" "$(userctl -j rule list | jq '.[0].check.interval_ms')" 500
t_eq "health starts up (B1)" "$(bejson $B1 health)" up
t_eq "health starts up (B2)" "$(bejson $B2 health)" up

# --- checks run with no client ---------------------------------------------
t_check "checks pass on both backends" wait_until 10 \
	sh -c "[ \"\$(userctl -j backend list $R | jq '[.[].checks_ok] | min')\" -ge 3 ]"
t_eq "no client connection was made" "$(stat_of accepted)" 0
t_eq "backend B2 has no relayed connection" "$(bejson $B2 conns)" 0
t_eq "no check failed" "$(userctl -j backend list $R | jq '[.[].checks_failed] | add')" 0
t_eq "checks close with RST: no TIME_WAIT at B1" "$(tcp_count 7101 06)" 0
t_eq "  ... nor at B2" "$(tcp_count 7102 06)" 0

# --- B2 stops listening: DOWN within fall x interval, no client involved -----
kill $P2
wait $P2 2>/dev/null
t0=$(cut -d. -f1 /proc/uptime)
t_check "B2 goes down (3 x 500ms + slack)" wait_until $((4 * TS)) \
	sh -c "[ \"\$(userctl -j backend list $R | jq -r '.[] | select(.address == \"$B2\") | .health')\" = down ]"
log "B2 down after ~$(($(cut -d. -f1 /proc/uptime) - t0)) s"
t_ge "B2: checks_failed counted" "$(bejson $B2 checks_failed)" 3
t_eq "still no client connection" "$(stat_of accepted)" 0
t_eq "B2: no relayed connect failed (passive state untouched)" "$(bejson $B2 failed)" 0
t_eq "B2: hold-down state stays up" "$(bejson $B2 state)" up
t_eq "B1 stays up" "$(bejson $B1 health)" up
t_match "backend list shows B2's health down" "$(userctl backend list $R)" \
	"127\.0\.0\.1:7102 .* down +[0-9]+/[0-9]+"
t_match "rule list marks B2 down" "$(userctl rule list)" "127\.0\.0\.1:7102!"
t_check "monitor: backend_down event for B2" wait_until 3 \
	sh -c "grep '\"event\":\"backend_down\"' /tmp/mon.json | grep -q '$B2'"
t_match "  ... carrying health down" "$(ev backend_down 7102)" '"health":"down"'

# --- while down, every new connection goes to B1 -----------------------------
t_check "8 byte-checked transfers while B2 is down" kr-xfer -q -c $R -n 8 --max 64K
t_eq "all 8 went to B1" "$(bejson $B1 conns)" 8
t_eq "none was tried on B2 (no failover)" "$(stat_of failovers)" 0

# --- B2 listens again: UP after rise checks ---------------------------------
kr-echo $B2 2>/tmp/e2.log &
P2=$!
wait_listen 7102
t_check "B2 comes back up (2 x 500ms + slack)" wait_until $((4 * TS)) \
	sh -c "[ \"\$(userctl -j backend list $R | jq -r '.[] | select(.address == \"$B2\") | .health')\" = up ]"
t_check "monitor: backend_up event for B2" wait_until 3 \
	sh -c "grep '\"event\":\"backend_up\"' /tmp/mon.json | grep -q '$B2'"
t_check "8 more transfers" kr-xfer -q -c $R -n 8 --max 64K
t_eq "round-robin uses B2 again" "$(bejson $B2 conns)" 4

# --- a black hole fails by the check timeout ---------------------------------
kr-echo -m blackhole $B3 2>/tmp/e3.log &
P3=$!
wait_listen 7103
t_check "rule set adds the black-holed B3" userctl rule set $R to $B1 to $B2 to $B3
t_eq "B1 keeps its health and counters across rule set" "$(bejson $B1 health)/$(bejson $B1 conns)" up/12
t_check "B3 goes down by check timeouts" wait_until $((8 * TS)) \
	sh -c "[ \"\$(userctl -j backend list $R | jq -r '.[] | select(.address == \"$B3\") | .health')\" = down ]"

# --- new parameters apply without disturbing a live transfer -----------------
kr-xfer -q -c $R --min 8M --max 8M --pause-read 2 >/tmp/x1.log 2>&1 &
X1=$!
sleep 1
t_check "rule set changes the check parameters mid-transfer" \
	userctl rule set $R check interval 200ms fall 2
t_match "new parameters shown, the rest kept" "$(userctl rule list)" \
	"check interval 200ms timeout 300ms rise 2 fall 2"
wait_end $X1 $((60 * TS))
t_eq "the live transfer completed byte-exact" "$(wait $X1; echo $?)" 0
ok1=$(bejson $B1 checks_ok)
sleep 2
t_ge "checks run at the new interval (10 in 2 s, at least 4)" "$(($(bejson $B1 checks_ok) - ok1))" 4

# --- checks off: health unreported, counters stop, B3 usable again -----------
t_check "rule set check off" userctl rule set $R check off
t_eq "no health reported without checks" "$(bejson $B3 health)" null
t_refuse "rule list no longer shows checks" sh -c "userctl rule list | grep -q 'check interval'"
ok1=$(bejson $B1 checks_ok)
sleep 1
t_eq "no check runs any more" "$(bejson $B1 checks_ok)" "$ok1"
t_eq "no check socket left at B3 (SYN_SENT)" "$(tcp_count 7103 02)" 0

# --- teardown with checks in flight: rule delete, netns exit, rmmod ----------
t_check "checks on again, B3 black hole in flight" \
	userctl rule set $R check interval 100ms timeout 5s
sleep 0.5
t_check "rule del with a check connecting" userctl rule del $R
t_eq "no check socket left after rule del" "$(tcp_count 7103 02)" 0

ip netns add hc
ip netns exec hc ip link set lo up
t_check "rule with checks in a netns (nothing listens there)" \
	ip netns exec hc userctl rule add $R to 127.0.0.1:7999 check interval 100ms
sleep 1
t_check "netns exit stops them" ip netns del hc

t_check "rule with checks to the black hole for rmmod" \
	userctl rule add $R to $B1 to $B3 check interval 100ms timeout 5s
sleep 1
kill $MON 2>/dev/null
wait $MON 2>/dev/null
krelay_unload
t_eq "no check socket survives rmmod" "$(awk 'NR > 1 && $4 == "02"' /proc/net/tcp | wc -l)" 0
kill $P1 $P2 $P3 2>/dev/null
