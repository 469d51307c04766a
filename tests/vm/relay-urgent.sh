# vm: timeout=120
# Urgent (MSG_OOB) data from a client: the relay reads like a receiver
# without SO_OOBINLINE and drops the urgent byte from the stream, as a
# direct connection's server sees it, in splice and copy mode.  (Splice
# mode once stalled for good at the urgent mark: tcp_read_sock() does not
# move past it.)  The client sends "hello", "X" with MSG_OOB, "world",
# then EOF; kr-echo echoes and closes on EOF.
. /tests/lib.sh
krelay_load
kr-echo 127.0.0.1:7001 2>/tmp/echo.log &
wait_listen 7001
t_check "rule add (splice)" userctl rule add 127.0.0.1:9001 to 127.0.0.1:7001
t_check "rule add (copy)" userctl rule add 127.0.0.1:9002 to 127.0.0.1:7001 mode copy
for port in 7001 9001 9002; do
	for round in 1 2 3; do
		got=$(kr-oob -t $((5 * TS)) 127.0.0.1:$port)
		rc=$?
		t_eq "urgent byte via :$port (round $round): stream without it" "$got" helloworld
		t_eq "urgent byte via :$port (round $round): EOF follows" "$rc" 0
	done
done
t_eq "no connection left" "$(stat_of active)" 0
t_eq "every relayed connection closed by FIN" "$(stat_of closed)" 6
krelay_unload
