# vm: timeout=180
# Half-close through the relay, both ways and in both modes:
#  - the client shuts down writing and still receives the backend's reply
#    (the backend answers only after it has seen EOF);
#  - the backend shuts down writing first and still receives what the
#    client sends afterwards.
. /tests/lib.sh
krelay_load
dd if=/dev/urandom of=/tmp/payload bs=1024 count=3000 2>/dev/null
want=$(sha256sum </tmp/payload | cut -d' ' -f1)
# backend 1: reads until EOF, then replies with the SHA-256 of what it read
socat -t 30 TCP-LISTEN:7001,bind=127.0.0.1,reuseaddr,fork SYSTEM:'sha256sum | head -c 64' &
# backend 2: says hello, closes its write side, keeps reading into a file
socat -t 30 TCP-LISTEN:7002,bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo hello; exec 1>&-; cat >/tmp/got.$$$$; mv /tmp/got.$$$$ /tmp/got.done.$$$$' &
wait_listen 7001
wait_listen 7002
t_check "rule add (client half-close, splice)" userctl rule add 127.0.0.1:9001 to 127.0.0.1:7001
t_check "rule add (client half-close, copy)" userctl rule add 127.0.0.1:9011 to 127.0.0.1:7001 mode copy
t_check "rule add (backend half-close, splice)" userctl rule add 127.0.0.1:9002 to 127.0.0.1:7002
t_check "rule add (backend half-close, copy)" userctl rule add 127.0.0.1:9012 to 127.0.0.1:7002 mode copy

for port in 7001 9001 9011; do
	got=$(socat -t 30 -T 60 - TCP:127.0.0.1:$port </tmp/payload)
	t_eq "client half-close via :$port: reply after EOF" "$got" "$want"
done
for port in 9002 9012; do
	rm -f /tmp/got.done.*
	# the client waits until it has read the backend's FIN, then sends
	out=$( (sleep 2; cat /tmp/payload) | socat -t 30 -T 60 - TCP:127.0.0.1:$port)
	t_eq "backend half-close via :$port: client got the reply" "$out" "hello"
	i=0
	while [ $i -lt 100 ] && ! ls /tmp/got.done.* >/dev/null 2>&1; do usleep 100000; i=$((i + 1)); done
	got=$(cat /tmp/got.done.* 2>/dev/null | sha256sum | cut -d' ' -f1)
	t_eq "backend half-close via :$port: backend got all client data after its FIN" "$got" "$want"
done
t_ge "connections closed by FIN" "$(stat_of closed)" 4
t_eq "no connection reset" "$(stat_of reset)" 0
krelay_unload
