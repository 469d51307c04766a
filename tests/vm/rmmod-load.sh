# vm: timeout=240
# Tear-down with live traffic: rule delete and rmmod while iperf3 runs.
# The clients end (no hang), the module unloads, nothing is left behind and
# the module loads again and works.
. /tests/lib.sh
iperf3 -s -D -p 5201 --logfile /tmp/iperf3-s.log
iperf3 -s -D -p 5202 --logfile /tmp/iperf3-s2.log
wait_listen 5201
wait_listen 5202
for round in 1 2 3; do
	krelay_load
	t_check "round $round: rule add splice" userctl rule add 127.0.0.1:9000 to 127.0.0.1:5201
	t_check "round $round: rule add copy" userctl rule add 127.0.0.1:9001 to 127.0.0.1:5202 mode copy
	iperf3 -c 127.0.0.1 -p 9000 -t 30 -P 4 >/tmp/c1.log 2>&1 &
	c1=$!
	iperf3 -c 127.0.0.1 -p 9001 -t 30 -P 4 >/tmp/c2.log 2>&1 &
	c2=$!
	sleep 3
	t_ge "round $round: connections active" "$(stat_of active)" 4
	if [ $round = 2 ]; then
		t_check "round $round: rule del under load" userctl rule del 127.0.0.1:9000
	fi
	t_check "round $round: rmmod under load" rmmod krelay
	# Both clients must end by themselves within seconds (their sockets were
	# closed), not run to their 30 s end.
	i=0
	while [ $i -lt 100 ] && { kill -0 $c1 2>/dev/null || kill -0 $c2 2>/dev/null; }; do
		usleep 100000
		i=$((i + 1))
	done
	if kill -0 $c1 2>/dev/null || kill -0 $c2 2>/dev/null; then
		t_fail "round $round: clients ended after rmmod"
		kill $c1 $c2 2>/dev/null
	else
		t_pass "round $round: clients ended after rmmod"
	fi
	wait
	t_refuse "round $round: module gone" grep -q '^krelay ' /proc/modules
done
krelay_load
t_check "iperf3 server still up" iperf3 -c 127.0.0.1 -p 5201 -t 1
t_check "rule add after reloads" userctl rule add 127.0.0.1:9000 to 127.0.0.1:5201
t_check "iperf3 after reloads" iperf3 -c 127.0.0.1 -p 9000 -t 2
krelay_unload
