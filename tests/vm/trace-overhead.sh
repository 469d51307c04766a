# vm: timeout=900 suite=bench
# Benchmark, not a test (suite=bench: `make check` skips it; run it with
#   scripts/vm-run.sh KVER trace-overhead):
# iperf3 loopback throughput with krelay_trace loaded (all probes, no
# filter) against without it, in one boot, interleaved ABBA per round so
# that drift cancels.  Writes $SHARE/trace-overhead.txt:
#   run  round=N setup=off|on bps=N
#   summary setup=off|on runs=N median_bps=N
#   overhead loss_pct=X paired_loss_pct=Y
# loss_pct compares the medians; paired_loss_pct is 1 - the median of the
# per-round on/off ratios (less sensitive to drift of a shared host).
. /tests/lib.sh

ROUNDS=${TRACE_BENCH_ROUNDS:-10}
T=${TRACE_BENCH_T:-4}
OUT=$SHARE/trace-overhead.txt
: >"$OUT"

iperf3 -s -p 5321 >/tmp/iperf3-s.log 2>&1 &
srv=$!
wait_listen 5321
iperf3 -c 127.0.0.1 -p 5321 -t 1 >/dev/null 2>&1 # warm-up

run() { # ROUND SETUP
	if [ "$2" = on ]; then
		insmod "$KTRACE_KO" || { t_fail "insmod round $1"; return; }
	fi
	iperf3 -c 127.0.0.1 -p 5321 -t "$T" -J >/tmp/o.json 2>&1
	[ "$2" = on ] && rmmod krelay_trace
	bps=$(awk '/"sum_sent"/ { f = 1 }
		f && /"bits_per_second"/ { gsub(/[^0-9.e+]/, "", $2); printf "%.0f\n", $2; exit }' /tmp/o.json)
	echo "run round=$1 setup=$2 bps=${bps:-0}" >>"$OUT"
	log "round $1 $2: $bps bit/s"
}

r=1
while [ $r -le "$ROUNDS" ]; do
	if [ $((r % 2)) = 1 ]; then
		run $r off
		run $r on
	else
		run $r on
		run $r off
	fi
	r=$((r + 1))
done
kill $srv

median() { # reads numbers, prints their median
	sort -n | awk '{ v[NR] = $1 }
		END { printf "%.6f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
bps_of() { # SETUP [ROUND]
	grep "^run round=${2:-[0-9]*} setup=$1 " "$OUT" | sed 's/.*bps=//'
}
off=$(bps_of off | median)
on=$(bps_of on | median)
# paired: on/off of each round (same conditions), then the median ratio
r=1
while [ $r -le "$ROUNDS" ]; do
	awk -v a="$(bps_of off $r)" -v b="$(bps_of on $r)" 'BEGIN { if (a > 0) print b / a }'
	r=$((r + 1))
done | median >/tmp/ratio
ratio=$(cat /tmp/ratio)
{
	echo "summary setup=off runs=$ROUNDS median_bps=$off"
	echo "summary setup=on runs=$ROUNDS median_bps=$on"
	awk -v a="$off" -v b="$on" -v r="$ratio" 'BEGIN {
		printf "overhead loss_pct=%.2f paired_loss_pct=%.2f\n",
			(a > 0) ? (a - b) * 100 / a : 0, (1 - r) * 100
	}'
} >>"$OUT"
cat "$OUT"
t_ge "throughput measured without the tracer" "${off%.*}" 1
t_ge "throughput measured with the tracer" "${on%.*}" 1
