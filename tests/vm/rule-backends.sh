# vm: timeout=420
# Several backends per rule: the schedulers' choices (round-robin, weighted
# round-robin, least connections), failover when a backend refuses or
# black-holes, hold-down and recovery, per-backend counters, and changing
# the backend list of a live rule without disturbing its connections.
#
# Backends are socat servers that greet every connection with their name
# and then echo, so the client learns which backend it reached.
. /tests/lib.sh
krelay_load

backend() { greeting_backend "$@"; }
# which PORT [WAIT]: the name of the backend a new connection through PORT
# reaches; the client waits up to WAIT s (default 3) for it after sending; it ends
# sooner when the backend closes (cat sees the EOF passed on)
which() { echo | socat -t "${2:-3}" -T 5 - TCP:127.0.0.1:"$1" 2>/dev/null | head -n1; }
# tally PORT N: reach PORT N times, print "name count" lines, sorted by name
tally() {
	for _ in $(seq "$2"); do which "$1"; done | sort | uniq -c | awk '{print $2 "=" $1}' |
		tr '\n' ' ' | sed 's/ $//'
}
# bejson RULE ADDR FIELD: a field of one backend from `userctl -j backend list`
bejson() {
	userctl -j backend list "$1" |
		jq -r --arg a "$2" --arg f "$3" '.[] | .backends[]? // . | select(.address == $a) | .[$f]' |
		head -n1
}

backend b1 7101
backend b2 7102
backend b3 7103
B1=127.0.0.1:7101 B2=127.0.0.1:7102 B3=127.0.0.1:7103

# --- round-robin: 30 connections, 10 each ------------------------------------
t_check "rule with three backends (rr)" \
	userctl rule add 127.0.0.1:9100 to $B1 to $B2 to $B3
t_eq "round-robin spreads evenly" "$(tally 9100 30)" "b1=10 b2=10 b3=10"
t_eq "per-backend connection counter" "$(bejson 127.0.0.1:9100 $B2 conns)" 10

# --- weighted round-robin: weights 3:2:1 over 60 connections ------------------
t_check "switch to wrr with weights 3 2 1" \
	userctl rule set 127.0.0.1:9100 to $B1 weight 3 to $B2 weight 2 to $B3 weight 1 sched wrr
t_eq "weighted round-robin follows the weights" "$(tally 9100 60)" "b1=30 b2=20 b3=10"
seq6=$(for _ in 1 2 3 4 5 6; do which 9100; done | tr '\n' ' ')
t_match "weighted round-robin interleaves (no run of 3 b1)" "$seq6" '^(b[123] ){6}$'
t_refuse "  ... and b1 never three times in a row" sh -c "echo '$seq6' | grep -q 'b1 b1 b1'"
t_eq "counters kept across rule set" "$(bejson 127.0.0.1:9100 $B2 conns)" 32

# --- least connections: held connections steer new ones -----------------------
t_check "switch to lc with equal weights" \
	userctl rule set 127.0.0.1:9100 to $B1 to $B2 to $B3 sched lc
for i in 1 2 3; do
	# -u: only read; the connection stays open until socat is killed
	socat -u TCP:127.0.0.1:9100 CREATE:/tmp/held$i 2>/dev/null &
	eval "held_$i=$!"
	sleep 0.5
done
sleep 1
t_eq "lc: three held connections on three backends" \
	"$(for f in /tmp/held1 /tmp/held2 /tmp/held3; do head -n1 $f; done | sort | tr "\n" " ")" "b1 b2 b3 "
# end the connection held on b2: the next connection must go there
for i in 1 2 3; do
	[ "$(head -n1 /tmp/held$i)" = b2 ] && eval "kill \$held_$i"
done
for _ in $(seq 50); do
	[ "$(bejson 127.0.0.1:9100 $B2 active)" = 0 ] && break
	usleep 100000
done
t_eq "lc: b2's active count dropped to 0" "$(bejson 127.0.0.1:9100 $B2 active)" 0
t_eq "lc: the next connection goes to the idle backend" "$(which 9100)" b2
kill "$held_1" "$held_2" "$held_3" 2>/dev/null

# --- failover: one backend dies mid-test ------------------------------------
# The hold-down must outlast the 30 connections below and the checks after
# them: seconds here, over a minute on the debug kernel.
HD=8
[ "$KDBG" = 1 ] && HD=120
t_check "back to rr with a ${HD} s hold-down" \
	userctl rule set 127.0.0.1:9100 sched rr holddown ${HD}s
failover_before=$(stat_of failovers)
: >/tmp/fo.out
for i in $(seq 30); do
	[ "$i" = 11 ] && kill "$pid_b2" && sleep 0.5
	which 9100 >>/tmp/fo.out
done
t_eq "every client got a backend while b2 died" "$(grep -c '^b[123]$' /tmp/fo.out)" 30
t_eq "nobody reached b2 after it died" "$(tail -n 19 /tmp/fo.out | grep -c b2)" 0
t_ge "failover counted" "$(( $(stat_of failovers) - failover_before ))" 1
t_eq "b2 marked down" "$(bejson 127.0.0.1:9100 $B2 state)" down
t_ge "b2's failures counted" "$(bejson 127.0.0.1:9100 $B2 failed)" 1
t_eq "no client failed" "$(stat_of failed)" 0

# hold-down over and b2 back: it gets traffic again and is up
backend b2 7102
for _ in $(seq $(((HD + 7) * 10))); do
	[ "$(bejson 127.0.0.1:9100 $B2 state)" = up ] && break
	usleep 100000
done
t_match "b2 back in rotation after the hold-down" "$(tally 9100 6)" "b2=2"
t_eq "b2 up again" "$(bejson 127.0.0.1:9100 $B2 state)" up

# --- failover from a black-holed backend (connect timeout) -------------------
kr-echo -m blackhole 127.0.0.1:7104 2>/dev/null &
wait_listen 7104
socat -T 60 TCP:127.0.0.1:7104 - </dev/null >/dev/null 2>&1 &   # fills its queue
sleep 1
t_check "rule: black hole first, then b1" \
	userctl rule add 127.0.0.1:9101 to 127.0.0.1:7104 to $B1 connect-timeout 1s
t_eq "client reaches b1 after the black hole times out" "$(which 9101 5)" b1
t_ge "black-holed backend's failure counted" "$(bejson 127.0.0.1:9101 127.0.0.1:7104 failed)" 1
t_eq "and it is down" "$(bejson 127.0.0.1:9101 127.0.0.1:7104 state)" down

# --- all backends refuse: the client is reset, counted as failed -------------
t_check "rule whose backends all refuse" \
	userctl rule add 127.0.0.1:9102 to 127.0.0.1:7191 to 127.0.0.1:7192
f0=$(stat_of connect_refused)
out=$(echo hi | socat -T 5 - TCP:127.0.0.1:9102 2>&1)
t_eq "client got nothing" "$(echo "$out" | grep -c '^hi')" 0
t_eq "refusal counted once per connection" "$(( $(stat_of connect_refused) - f0 ))" 1
t_eq "both backends tried" "$(bejson 127.0.0.1:9102 127.0.0.1:7192 failed)" 1

# --- the backend list of a live rule changes under a running transfer -------
kr-echo -m echo 127.0.0.1:7105 2>/dev/null &
wait_listen 7105
t_check "rule to an echo backend" userctl rule add 127.0.0.1:9103 to 127.0.0.1:7105
kr-xfer -q -c 127.0.0.1:9103 --min 24M --max 24M --wmax 4K >/tmp/xfer.out 2>&1 &
xfer=$!
sleep 2
t_check "backend add while a transfer runs" userctl backend add 127.0.0.1:9103 $B3
t_check "backend del of the busy backend" userctl backend del 127.0.0.1:9103 127.0.0.1:7105
t_eq "new connections go to the new list" "$(which 9103)" b3
wait $xfer
t_eq "transfer across the change intact" "$?" 0
t_eq "transfer reported no failure" "$(grep -c FAIL /tmp/xfer.out)" 0

t_eq "nothing left open" "$(userctl conn count 2>/dev/null || userctl -j conn list | jq length)" 0
for r in 9100 9101 9102 9103; do userctl rule del 127.0.0.1:$r; done
krelay_unload
