# vm: timeout=240
# Backend drain: a draining backend gets no new connection while its
# established ones go on to the end (long transfers through a slow reader
# complete byte-exact); "backend list" shows it draining with the
# connections left; weight W / undrain end the drain; backend add/del keep
# it (read-modify-write); with a timeout, what is left is reset (ABORTED)
# when it passes; rmmod during a drain aborts at once.
. /tests/lib.sh
krelay_load

B1=127.0.0.1:7201 B2=127.0.0.1:7202 B3=127.0.0.1:7203 R=127.0.0.1:9200
kr-echo $B1 $B2 $B3 2>/tmp/echo.log &
PE=$!
wait_listen 7201
wait_listen 7202
wait_listen 7203

bejson() {
	userctl -j backend list $R |
		jq -r --arg a "$1" --arg f "$2" '.[] | select(.address == $a) | .[$f]' | head -n1
}
active_is() { [ "$(stat_of active)" = "$1" ]; }

t_check "rule with two backends (rr)" userctl rule add $R to $B1 to $B2

# --- drain under live long transfers ---------------------------------------
# four 16 MiB echo transfers whose client reads nothing for 4 s: two per backend
kr-xfer -q -c $R -n 4 -j 4 --min 16M --max 16M --pause-read 4 >/tmp/long.log 2>&1 &
XL=$!
t_check "four long transfers are live" wait_until $((10 * TS)) active_is 4
t_eq "two of them on B2" "$(bejson $B2 active)" 2
t_check "backend set B2 drain" userctl backend set $R $B2 drain
t_eq "JSON: B2 drains" "$(bejson $B2 drain)" true
t_eq "JSON: B1 does not" "$(bejson $B1 drain)" false
t_match "backend list shows B2 draining with its 2 connections left" \
	"$(userctl backend list $R)" "127\.0\.0\.1:7202 +1 +- +up +- +2 +0 +2 .* draining"
t_check "6 new transfers during the drain" kr-xfer -q -c $R -n 6 --max 64K
t_eq "all of them went to B1" "$(bejson $B1 conns)" 8
t_eq "none to B2" "$(bejson $B2 conns)" 2
wait_end $XL $((120 * TS))
t_eq "the long transfers completed byte-exact (B2's too)" "$(wait $XL; echo $?)" 0
cat /tmp/long.log
t_eq "B2 has no connection left" "$(bejson $B2 active)" 0
t_eq "nothing was aborted" "$(stat_of aborted)" 0
t_eq "B2 still drains (no timeout: until undrained)" "$(bejson $B2 drain)" true

# --- backend add/del carry the drain; weight W ends it -----------------------
t_check "backend add B3" userctl backend add $R $B3
t_eq "B2 still drains after backend add" "$(bejson $B2 drain)" true
t_check "backend del B3" userctl backend del $R $B3
t_eq "  ... and after backend del" "$(bejson $B2 drain)" true
t_check "backend set B2 weight 1 ends the drain" userctl backend set $R $B2 weight 1
t_eq "B2 no longer drains" "$(bejson $B2 drain)" false
t_check "4 more transfers" kr-xfer -q -c $R -n 4 --max 64K
t_eq "B2 gets its share again" "$(bejson $B2 conns)" 4
t_check "weight 0 drains" userctl backend set $R $B2 weight 0
t_eq "B2 drains" "$(bejson $B2 drain)" true
t_check "undrain" userctl backend set $R $B2 undrain
t_eq "B2 no longer drains" "$(bejson $B2 drain)" false
t_check "rule set keeps the list's drains: drain B1, then change sched" \
	sh -c "userctl backend set $R $B1 drain && userctl rule set $R sched lc"
t_eq "B1 still drains after rule set" "$(bejson $B1 drain)" true

# --- drain with a timeout: what is left is reset when it passes -------------
# B1 drains: this transfer goes to B2 and stays live (its client reads
# nothing for 10 s, long after the drain timeout; the reset shows when it
# reads again)
kr-xfer -q -c $R --min 16M --max 16M --pause-read 10 --timeout 90 >/tmp/reset.log 2>&1 &
XR=$!
t_check "transfer to be reset is live on B2" wait_until $((10 * TS)) \
	sh -c "[ \"\$(userctl -j backend list $R | jq -r '.[] | select(.address == \"$B2\") | .active')\" = 1 ]"
t_check "B1 undrained, B2 drains with timeout 3s" \
	sh -c "userctl backend set $R $B1 weight 1 && userctl backend set $R $B2 drain timeout 3s"
kr-xfer -q -c $R --min 8M --max 8M --pause-read 2 >/tmp/keep.log 2>&1 &
XK=$!
left=$(bejson $B2 drain_left_ms)
t_ge "drain time left reported" "$left" 1
t_ge "  ... at most the timeout" 3000 "$left"
t_match "backend list shows the time left" "$(userctl backend list $R)" \
	"127\.0\.0\.1:7202 .* draining,[0-9]"
t_check "B2's connection is reset once the timeout passes" \
	wait_until $((10 * TS)) sh -c "[ \"\$(userctl -j stats | jq .totals.aborted)\" = 1 ]"
t_eq "B2 has no connection left" "$(bejson $B2 active)" 0
t_eq "drain time left is 0" "$(bejson $B2 drain_left_ms)" 0
wait_end $XR $((30 * TS))
wait $XR
t_eq "the reset transfer failed (exit status)" $? 1
t_match "  ... its client saw the reset" "$(cat /tmp/reset.log)" "FAIL transfer=0 .*(reset|Broken pipe)"
wait_end $XK $((60 * TS))
t_eq "the transfer on B1 completed byte-exact meanwhile" "$(wait $XK; echo $?)" 0
t_eq "only B2's connection was aborted" "$(stat_of aborted)" 1

# --- rmmod during a drain aborts at once ------------------------------------
t_check "B2 undrained" userctl backend set $R $B2 undrain
kr-xfer -q -c $R -n 2 -j 2 --min 16M --max 16M --pause-read 8 --timeout 90 \
	>/tmp/rmmod.log 2>&1 &
XM=$!
t_check "two long transfers live" wait_until $((10 * TS)) active_is 2
t_check "drain both backends, long timeout" \
	sh -c "userctl backend set $R $B1 drain timeout 1h && userctl backend set $R $B2 drain"
t_refuse "every backend drains: a new connection is refused" \
	kr-xfer -q -c $R -n 1 --max 1K --timeout 10
krelay_unload
# (their clients read again after 8 s and report the reset then)
wait_end $XM $((30 * TS))
wait $XM
t_eq "rmmod reset the drained transfers (exit status)" $? 1
kill $PE 2>/dev/null
