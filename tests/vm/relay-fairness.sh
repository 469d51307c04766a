# vm: timeout=240
# Both directions of one connection busy at once: the client uploads
# 256 MiB while the backend (kr-echo -m source) sends it 8 MiB, in copy and
# in splice mode.  Neither direction may wait for the other to go quiet:
# the download must be complete long before the upload is (kr-xfer --mode
# both reports how much of the upload it had sent by then), and both
# streams arrive byte for byte.
#
# Copy mode moves at most 256 KiB a direction per run of the work, then
# runs again: without that bound a client that keeps its direction
# readable, toward a backend that keeps reading, held the run, and the
# other direction, for as long as it sent.
. /tests/lib.sh
krelay_load
kr-echo -m source -b 8M --seed 5 127.0.0.1:7000 2>/tmp/source.log &
wait_listen 7000
t_check "rule add (copy)" userctl rule add 127.0.0.1:9000 to 127.0.0.1:7000 mode copy
t_check "rule add (splice)" userctl rule add 127.0.0.1:9001 to 127.0.0.1:7000
UP=$((256 * 1024 * 1024))
for pm in 9000,copy 9001,splice; do
	p=${pm%,*} m=${pm#*,}
	out=$(kr-xfer -c 127.0.0.1:$p --mode both -b 8M --seed 5 --min $UP --max $UP \
		--wmax 1M --timeout $((200 * TS)) 2>&1)
	rc=$?
	log "$m: $out"
	t_eq "$m: 256 MiB up and 8 MiB down at once, byte-exact" "$rc" 0
	at=$(echo "$out" | sed -n 's/.*download complete at upload offset \([0-9]*\) of.*/\1/p')
	log "$m: the download was complete at $((${at:-0} / 1048576)) MiB of the upload"
	n="$m: ... the download complete before half of the upload was sent"
	if [ "${at:-$UP}" -le $((UP / 2)) ]; then t_pass "$n"; else t_fail "$n" "at ${at:-?} of $UP bytes"; fi
	userctl stats 127.0.0.1:$p | grep -E 'work_runs|fast_passes|bytes_'
done
t_eq "every connection closed by FIN" "$(stat_of closed)" 2
t_check "rule del (copy)" userctl rule del 127.0.0.1:9000
t_check "rule del (splice)" userctl rule del 127.0.0.1:9001
krelay_unload
