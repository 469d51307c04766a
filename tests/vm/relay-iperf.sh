# vm: timeout=240
# iperf3 through a krelay rule: 1 and 8 streams, both directions, splice
# and copy mode; the rule's byte counters must cover what iperf3 moved.
. /tests/lib.sh
krelay_load
iperf3 -s -D -p 5201 --logfile /tmp/iperf3-s.log
wait_listen 5201

t_check "rule add splice" userctl rule add 127.0.0.1:9000 to 127.0.0.1:5201
t_check "rule add copy" userctl rule add 127.0.0.1:9001 to 127.0.0.1:5201 mode copy

before=0
for port in 9000 9001; do
	for args in "-P 1" "-P 8" "-P 1 -R"; do
		n="iperf3 $args via :$port"
		if iperf3 -c 127.0.0.1 -p $port -t 3 $args -J >/tmp/ip.json 2>/tmp/ip.err; then
			b=$(iperf_bytes /tmp/ip.json)
			t_ge "$n moved data" "${b:-0}" 1000000
			log "$n: $b bytes, $(iperf_bps /tmp/ip.json) bit/s"
		else
			t_fail "$n" "$(head -c 300 /tmp/ip.err /tmp/ip.json)"
		fi
	done
done
userctl -s rule list
up=$(stat_of bytes_to_backend)
down=$(stat_of bytes_to_client)
t_ge "bytes_to_backend counted" "${up:-0}" 4000000
t_ge "bytes_to_client counted" "${down:-0}" 1000000
t_ge "connections accepted" "$(stat_of accepted)" 12
t_eq "no connection left active" "$(stat_of active)" 0
t_check "rule del" userctl rule del 127.0.0.1:9000
t_check "rule del copy" userctl rule del 127.0.0.1:9001
krelay_unload
