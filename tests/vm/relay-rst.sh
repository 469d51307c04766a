# vm: timeout=240
# One side resets after sending data: what the relay already received (and
# acknowledged) still reaches the other side, then that side is reset too,
# as with a direct connection.  Both ways, in splice mode with and without
# the receive fast path and in copy mode:
#  - the backend answers, then closes with the request unread (its kernel
#    sends an RST); the client, slow to read, must still get the whole
#    answer, byte for byte, then the RST;
#  - the client sends, then resets; the backend, slow to read, must still
#    get everything the client sent, then the RST.
# The peers' small receive buffers leave most of the data in the relay
# when the RST comes.  Every connection counts as reset.  A peer that does
# not read at all is reset after the drain deadline (10 s) with the data
# it did not take.
. /tests/lib.sh
krelay_load
B=2M
none_active() { [ "$(stat_of active)" = 0 ]; }
BYTES=$((2 * 1024 * 1024))
round=0
for setup in splice splice-nofast copy; do
	mode=${setup%-nofast}
	if [ "$setup" = splice-nofast ]; then fast=0; else fast=1; fi
	echo $fast >/sys/module/krelay/parameters/bh_forward
	port=$((9100 + round * 2))
	kr-rst reply -l 127.0.0.1:7100 -b $B >/tmp/reply.out 2>&1 &
	srv=$!
	kr-rst take -l 127.0.0.1:7101 -b $B --pause 1 --rcvbuf 32K >/tmp/take.out 2>&1 &
	tk=$!
	wait_listen 7100
	wait_listen 7101
	t_check "$setup: rule add" userctl rule add 127.0.0.1:$port to 127.0.0.1:7100 mode "$mode"
	t_check "$setup: rule add (mirror)" userctl rule add 127.0.0.1:$((port + 1)) to 127.0.0.1:7101 mode "$mode"
	wait_listen $port
	wait_listen $((port + 1))

	out=$(kr-rst get -c 127.0.0.1:$port -b $B --pause 1 --rcvbuf 32K 2>&1)
	t_eq "$setup: backend reset after its answer: client got all $BYTES bytes, then the RST" \
		"$out" "kr-rst: received=$BYTES expected=$BYTES end=reset"
	wait_end $srv 20
	t_check "$setup: backend sent its answer and reset" wait $srv
	log "reply: $(cat /tmp/reply.out)"

	t_check "$setup: client sends $BYTES bytes, then resets" kr-rst put -c 127.0.0.1:$((port + 1)) -b $B
	wait_end $tk $((30 * TS))
	t_eq "$setup: client reset after sending: backend got all $BYTES bytes, then the RST" \
		"$(cat /tmp/take.out)" "kr-rst: received=$BYTES expected=$BYTES end=reset"
	wait_until $((15 * TS)) none_active
	t_eq "$setup: no connection failed" "$(stat_of failed)" 0
	t_eq "$setup: both connections ended reset" "$(stat_of reset)" 2
	userctl rule del 127.0.0.1:$port
	userctl rule del 127.0.0.1:$((port + 1))
	round=$((round + 1))
done
echo 1 >/sys/module/krelay/parameters/bh_forward

# the drain is bounded: a client that does not read for longer than the
# deadline gets what had reached it, then the RST
# (the backend resets after 3 s, with what it could send by then)
kr-rst reply -l 127.0.0.1:7100 -b 8M --timeout 3 >/tmp/reply.out 2>&1 &
srv=$!
wait_listen 7100
t_check "rule add (stalled client)" userctl rule add 127.0.0.1:9110 to 127.0.0.1:7100
kr-rst get -c 127.0.0.1:9110 -b 8M --pause 40 --rcvbuf 32K >/tmp/get.out 2>&1 &
getter=$!
wait_end $srv 30
log "reply: $(cat /tmp/reply.out)"
t_check "the relay resets the stalled client after the deadline, before it reads again" \
	wait_until $((20 * TS)) none_active
wait_end $getter 60
t_match "the stalled client got part of the answer, then the RST" \
	"$(cat /tmp/get.out)" "^kr-rst: received=[0-9]+ expected=8388608 end=reset"
t_refuse "... not all of it" grep -q "received=8388608 " /tmp/get.out
t_eq "counted as reset" "$(stat_of reset)" 1
krelay_unload
