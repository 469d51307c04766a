# vm: timeout=240
# rule del --drain: the command returns at once; the rule stops accepting
# and its listen address is free at once (a replacement rule takes it and
# relays new connections); the draining rule is listed as such while its
# live long transfers complete byte-exact, and is gone when they end.  With
# a timeout, what is left is reset when it passes.  Deleting a draining
# rule without drain aborts it; RULE_SET refuses it; apply/export ignore
# it; netns exit and rmmod during a drain abort at once.
. /tests/lib.sh
krelay_load

B1=127.0.0.1:7301 B2=127.0.0.1:7302 R=127.0.0.1:9300
kr-echo $B1 $B2 2>/tmp/echo.log &
PE=$!
wait_listen 7301
wait_listen 7302
nrules() { userctl -j rule list | jq length; }
ndraining() { userctl -j rule list | jq '[.[] | select(.draining)] | length'; }

# --- drain with live transfers ------------------------------------------------
t_check "rule to B1" userctl rule add $R to $B1
id=$(userctl -j rule list | jq '.[0].id')
kr-xfer -q -c $R -n 3 -j 3 --min 16M --max 16M --pause-read 4 >/tmp/long.log 2>&1 &
XL=$!
t_check "three long transfers are live" wait_until $((10 * TS)) \
	sh -c "[ \"\$(userctl -j stats | jq .totals.active)\" = 3 ]"
t_check "rule del --drain 60s" userctl rule del $R --drain 60s
t_check "  ... returned while the transfers still run" kill -0 $XL
t_eq "the rule is listed as draining" "$(ndraining)" 1
t_match "rule list says so, with the time left" "$(userctl rule list)" "draining \(reset in [0-9]"
t_ge "JSON: drain time left" "$(userctl -j rule list | jq '.[0].drain_left_ms')" 1
t_refuse "it accepts no new connection" kr-xfer -q -c $R -n 1 --max 1K --timeout 5
t_refuse "rule set refuses a draining rule" userctl rule set id "$id" sched lc
t_refuse "a second drain is refused" userctl rule del id "$id" --drain 1s
t_check "the listen address is free: a replacement rule to B2" userctl rule add $R to $B2
t_check "new connections go to the replacement" kr-xfer -q -c $R -n 4 --max 64K
t_eq "  ... B2 got them" \
	"$(userctl -j backend list $R | jq '.[] | select(.address == "'$B2'") | .conns')" 4
t_match "export ignores the draining rule" "$(userctl export | grep -c 9300)" '^1$'
wait_end $XL $((120 * TS))
t_eq "the drained transfers completed byte-exact" "$(wait $XL; echo $?)" 0
t_check "the draining rule is gone once they ended" wait_until $((5 * TS)) \
	sh -c "[ \"\$(userctl -j rule list | jq '[.[] | select(.draining)] | length')\" = 0 ]"
t_eq "the replacement stays" "$(nrules)" 1
t_eq "nothing was aborted" "$(stat_of aborted)" 0

# --- drain with a timeout: what is left is reset ------------------------------
kr-xfer -q -c $R --min 16M --max 16M --pause-read 10 --timeout 90 >/tmp/reset.log 2>&1 &
XR=$!
t_check "a transfer that outlives the drain timeout is live" wait_until $((10 * TS)) \
	sh -c "[ \"\$(userctl -j stats | jq .totals.active)\" = 1 ]"
t_check "rule del --drain 2s" userctl rule del $R --drain 2s
t_check "the rule is gone at about the timeout" wait_until $((8 * TS)) \
	sh -c "[ \"\$(userctl -j rule list | jq length)\" = 0 ]"
wait_end $XR $((30 * TS))
wait $XR
t_eq "its client saw the reset (exit status)" $? 1
t_match "  ... and says so" "$(cat /tmp/reset.log)" "FAIL transfer=0 .*(reset|Broken pipe)"

# --- deleting a draining rule without drain aborts it -------------------------
t_check "rule to B1 again" userctl rule add $R to $B1
id=$(userctl -j rule list | jq '.[0].id')
# its client reads again after 8 s: long after the abort, which it reports then
kr-xfer -q -c $R --min 16M --max 16M --pause-read 8 --timeout 90 >/tmp/abort.log 2>&1 &
XA=$!
t_check "a long transfer is live" wait_until $((10 * TS)) \
	sh -c "[ \"\$(userctl -j stats | jq .totals.active)\" = 1 ]"
t_check "rule del --drain 0 (no timeout)" userctl rule del $R --drain 0
t_refuse "  ... the rule is not found by its address any more" userctl rule del $R
t_check "rule del id N of the draining rule" userctl rule del id "$id"
t_eq "the rule is gone at once" "$(nrules)" 0
wait_end $XA $((30 * TS))
wait $XA
t_eq "its transfer was reset (exit status)" $? 1

# --- netns exit during a drain ------------------------------------------------
ip netns add rd
ip netns exec rd ip link set lo up
ip netns exec rd kr-echo 127.0.0.1:7301 2>/dev/null &
NE=$!
ip netns exec rd sh -c "sleep 0.5; userctl rule add $R to $B1"
ip netns exec rd kr-xfer -q -c $R --min 16M --max 16M --pause-read 60 --timeout 90 \
	>/tmp/ns.log 2>&1 &
XN=$!
# (a function: busybox sh -c would run its own ip applet)
ns_active() { [ "$(ip netns exec rd userctl -j stats | jq .totals.active)" = 1 ]; }
t_check "a long transfer in netns rd" wait_until $((10 * TS)) ns_active
t_check "rule del --drain 1h in netns rd" ip netns exec rd userctl rule del $R --drain 1h
kill $NE $XN 2>/dev/null
wait $NE $XN 2>/dev/null
t_check "netns rd deleted while its rule drains" ip netns del rd

# --- rmmod during a drain -----------------------------------------------------
t_check "rule to B1 for rmmod" userctl rule add $R to $B1
kr-xfer -q -c $R --min 16M --max 16M --pause-read 8 --timeout 90 >/tmp/rmmod.log 2>&1 &
XM=$!
t_check "a long transfer is live" wait_until $((10 * TS)) \
	sh -c "[ \"\$(userctl -j stats | jq .totals.active)\" = 1 ]"
t_check "rule del --drain 1h" userctl rule del $R --drain 1h
krelay_unload
wait_end $XM $((30 * TS))
wait $XM
t_eq "rmmod reset the drained transfer (exit status)" $? 1
kill $PE 2>/dev/null
