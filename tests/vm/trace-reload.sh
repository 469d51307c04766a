# vm: timeout=400 smp=1
# krelay_trace loads and unloads 20 times under iperf3 load (tcp_sendmsg calls
# in flight with kretprobe instances outstanding, periodic reports running),
# each time with a complete unload report, and the kernel log stays clean
# (the host fails the scenario on any warning).
#
# One vCPU: with two TCG vCPUs, one run on 6.12 died with "Oops: int3" at
# try_to_wake_up+0x5 in a softirq on the other vCPU, i.e. it executed the
# int3 of an ftrace call-site transition after text_poke_bp() had finished.
# That looks like QEMU TCG running a stale translation across
# vCPUs (cross-modifying code) rather than a kprobe the module left armed, but
# until it is settled on KVM or hardware the reload test runs on one vCPU.
. /tests/lib.sh


N=20
t_check "krelay_trace.ko present" test -f "$KTRACE_KO"

iperf3 -s -p 5311 >/tmp/iperf3-s.log 2>&1 &
srv=$!
wait_listen 5311
iperf3 -c 127.0.0.1 -p 5311 -t 600 -P 4 >/tmp/iperf3-c.log 2>&1 &
cli=$!
sleep 2

ok_load=0 ok_unload=0 ok_report=0 with_sends=0
i=1
while [ $i -le $N ]; do
	case $((i % 3)) in
	0) args="interval_ms=100" ;;
	1) args="comm=iperf3 interval_ms=250 top_n=3" ;;
	*) args="" ;;
	esac
	# a mark in the kernel log: this cycle's report comes after it
	echo "trace-reload: cycle $i" >/dev/kmsg
	# shellcheck disable=SC2086 # $args is a list of module parameters
	if insmod "$KTRACE_KO" $args; then
		ok_load=$((ok_load + 1))
	else
		log "cycle $i: insmod $args failed"
	fi
	usleep $((100000 + (i % 4) * 150000))
	if rmmod krelay_trace; then
		ok_unload=$((ok_unload + 1))
	else
		log "cycle $i: rmmod failed"
	fi
	R=$(tr_report "trace-reload: cycle $i")
	seq=$(tr_val "$R" report seq)
	reason=$(tr_val "$R" report reason)
	lines=$(tr_val "$R" end lines)
	got=$(printf '%s' "$R" | grep -c .)
	if [ "$reason" = unload ] && [ "$lines" = "$got" ]; then
		ok_report=$((ok_report + 1))
	else
		log "cycle $i: last report seq=$seq reason=$reason lines=$lines (have $got)"
	fi
	sb=$(tr_val "$R" tcp sendmsg_bytes)
	[ "${sb:-0}" -gt 0 ] && with_sends=$((with_sends + 1))
	log "cycle $i ($args): seq=$seq sendmsg_bytes=$sb switches=$(tr_val "$R" sched switches)" \
		"nmissed=$(printf '%s' "$R" | awk '$1 == "probe" { for (i = 2; i <= NF; i++) if ($i ~ /^nmissed=/) s = s " " substr($i, 9) } END { print s }')"
	i=$((i + 1))
done

t_eq "insmod succeeded $N times" "$ok_load" $N
t_eq "rmmod succeeded $N times" "$ok_unload" $N
t_eq "a complete unload report each time" "$ok_report" $N
t_ge "sends counted under load" "$with_sends" $((N * 3 / 4))
t_check "iperf3 client still running" kill -0 $cli
t_refuse "module unloaded" grep -q '^krelay_trace ' /proc/modules

kill -INT $cli 2>/dev/null
wait $cli
# one more load after the storm still works
t_check "insmod after reloads" insmod "$KTRACE_KO"
t_check "iperf3 after reloads" iperf3 -c 127.0.0.1 -p 5311 -t 1
t_check "rmmod after reloads" rmmod krelay_trace
kill $srv 2>/dev/null
wait $srv 2>/dev/null
