# vm: timeout=300
# Backpressure: a client that stops reading must not make the relay hold
# more than the sockets' buffers; when it reads again every byte arrives.
. /tests/lib.sh
krelay_load
kr-echo -m echo 127.0.0.1:7000 2>/tmp/echo.log &
wait_listen 7000
for mode in splice copy; do
	port=9000
	[ $mode = copy ] && port=9001
	t_check "rule add $mode" userctl rule add 127.0.0.1:$port to 127.0.0.1:7000 mode $mode
	base=$(awk '/^TCP:/ {print $NF}' /proc/net/sockstat)
	kr-xfer -c 127.0.0.1:$port -n 1 -j 1 --min 64M --max 64M --pause-read 8 --seed 3 \
		>/tmp/bp.out 2>&1 &
	x=$!
	sleep 6
	# While the client is not reading: TCP memory of all sockets (pages).
	mem=$(awk '/^TCP:/ {print $NF}' /proc/net/sockstat)
	log "$mode: TCP mem pages before=$base while paused=$mem"
	cat /proc/net/sockstat
	ss -tmn | grep -A1 ':9000\|:9001\|:7000' | head -n 40
	wait $x
	rc=$?
	cat /tmp/bp.out
	t_eq "$mode: 64 MiB intact after the reader resumed" "$rc" 0
	# 4 sockets on the path, each bounded by tcp_rmem/tcp_wmem max (6 MiB /
	# 4 MiB by default): well under 64 MiB of pages in flight.
	pages=$(( (mem - base) ))
	t_ge "$mode: relay held less than 32 MiB while the client paused" $((8192 - pages)) 0
	w=$(sed -n 's/.*wrote \([0-9]*\) bytes while not reading.*/\1/p' /tmp/bp.out)
	log "$mode: client wrote ${w:-?} bytes while not reading"
	t_ge "$mode: client was blocked before sending all 64 MiB" $((67108864 - ${w:-67108864})) 1
done
krelay_unload
