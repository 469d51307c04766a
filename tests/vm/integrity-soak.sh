# vm: timeout=480 mem=2048 kernels=^6\.1\.0-|-kdbg$
# Data integrity soak: 10,000 SHA-256-checked transfers through the relay,
# both directions, splice and copy rules and one rule whose mode is switched
# back and forth while it carries traffic, while a background loop keeps
# adding and deleting other rules (and so their listeners).  0 bytes lost
# or corrupted, every connection counted closed, byte counters exact.
#
# Sizes (kept so a TCG guest does it in ~3 min): payloads log-uniform in
# [1 B, 256 KiB] (kr-xfer's distribution: as many 1-16 B transfers as
# 16-256 KiB ones), plus 40 transfers log-uniform in [1, 2] MiB; write()
# sizes log-uniform in [1 B, 64 KiB].  Downloads: four sources, each with a
# random size in [1 B, 128 KiB] chosen per run (logged).  ~0.9 GB cross
# the relay in all.  On the debug kernel (~1 MB/s through the relay) every
# worker does a tenth: 1,000 transfers, ~90 MB.
. /tests/lib.sh
TOTAL=10000 div=1
[ "$KDBG" = 1 ] && TOTAL=1000 div=10
seed=${SOAK_SEED:-$((RANDOM * 32768 + RANDOM))}
log "seed $seed (SOAK_SEED=$seed reproduces the sizes)"
RANDOM=$seed

ms() { awk '{printf "%d\n", $1 * 1000}' /proc/uptime; }
rstat() { # PORT FIELD
	userctl -j stats "127.0.0.1:$1" | tr ',{}' '\n\n\n' |
		sed -n "s/^ *\"$2\": *\([0-9]*\).*/\1/p" | head -n1
}
krelay_load

kr-echo -m echo 127.0.0.1:7000 2>/tmp/echo.log &
kr-echo -m sink 127.0.0.1:7001 2>/tmp/sink.log &
declare -A dl_size
for p in 7002 7003 7004 7005; do
	dl_size[$p]=$(((RANDOM * 32768 + RANDOM) % 131072 + 1))
	kr-echo -m source -b "${dl_size[$p]}" --seed $p 127.0.0.1:$p 2>/tmp/src$p.log &
	log "download source $p: ${dl_size[$p]} bytes"
done
for p in 7000 7001 7002 7003 7004 7005; do wait_listen $p; done

# rule port -> backend port, mode
rules="9000:7000:splice 9001:7000:copy 9002:7000:splice
	9003:7001:splice 9004:7001:copy
	9005:7002:splice 9006:7003:copy 9007:7004:splice 9008:7005:copy"
for r in $rules; do
	IFS=: read -r lp bp mode <<<"$r"
	t_check "rule $lp -> $bp ($mode)" userctl rule add 127.0.0.1:$lp to 127.0.0.1:$bp mode $mode
done

# Workers: PORT KR-XFER-ARGS (N = transfers); they add up to TOTAL.
workers=(
	"9000 --mode echo -n 2830 -j 4 --min 1 --max 256K"
	"9001 --mode echo -n 2830 -j 4 --min 1 --max 256K"
	"9002 --mode echo -n 1500 -j 4 --min 1 --max 256K"
	"9000 --mode echo -n 20 -j 2 --min 1M --max 2M"
	"9001 --mode echo -n 20 -j 2 --min 1M --max 2M"
	"9003 --mode upload -n 900 -j 4 --min 1 --max 256K"
	"9004 --mode upload -n 900 -j 4 --min 1 --max 256K"
	"9005 --mode download -n 250 -j 2 -b ${dl_size[7002]} --seed 7002"
	"9006 --mode download -n 250 -j 2 -b ${dl_size[7003]} --seed 7003"
	"9007 --mode download -n 250 -j 2 -b ${dl_size[7004]} --seed 7004"
	"9008 --mode download -n 250 -j 2 -b ${dl_size[7005]} --seed 7005"
)
sum=0
declare -A want_accepted
for i in "${!workers[@]}"; do
	w=${workers[$i]}
	n=$(echo "$w" | sed -n 's/.* -n \([0-9]*\).*/\1/p')
	w=$(echo "$w" | sed "s/ -n $n / -n $((n / div)) /")
	workers[$i]=$w
	n=$((n / div))
	set -- $w
	sum=$((sum + n))
	want_accepted[$1]=$((${want_accepted[$1]:-0} + n))
done
t_eq "workers add up to $TOTAL transfers" $sum $TOTAL

# Background 1: add and delete other rules, every ~100 ms.
(
	k=0 bad=0
	while [ ! -e /tmp/stop ]; do
		p=$((9100 + k % 50))
		userctl rule add 127.0.0.1:$p to 127.0.0.1:7000 >/dev/null 2>&1 || bad=$((bad + 1))
		[ $k -gt 0 ] && { userctl rule del 127.0.0.1:$((9100 + (k - 1) % 50)) >/dev/null 2>&1 || bad=$((bad + 1)); }
		k=$((k + 1))
		usleep 100000
	done
	userctl rule del 127.0.0.1:$((9100 + (k - 1) % 50)) >/dev/null 2>&1 || bad=$((bad + 1))
	echo "$k $bad" >/tmp/churn.out
) &
churn=$!
# Background 2: switch rule 9002 between splice and copy every ~0.5 s.
(
	k=0 bad=0
	while [ ! -e /tmp/stop ]; do
		m=copy
		[ $((k % 2)) = 1 ] && m=splice
		userctl rule set 127.0.0.1:9002 mode $m >/dev/null 2>&1 || bad=$((bad + 1))
		k=$((k + 1))
		usleep 500000
	done
	echo "$k $bad" >/tmp/switch.out
) &
switch=$!

t0=$(ms)
pids=()
i=0
for w in "${workers[@]}"; do
	set -- $w
	port=$1
	shift
	# (a download worker's own --seed, the source's stream, comes last and wins)
	kr-xfer -c 127.0.0.1:$port --seed $((seed + i)) --wmin 1 --wmax 64K --timeout 400 -q "$@" \
		>/tmp/w$i.out 2>&1 &
	pids+=($!)
	i=$((i + 1))
done
rcs=
for p in "${pids[@]}"; do
	wait "$p"
	rcs="$rcs$?"
done
d=$(($(ms) - t0))
touch /tmp/stop
wait $churn $switch
log "all workers done in $d ms; exit codes $rcs"
for ((i = 0; i < ${#workers[@]}; i++)); do
	log "worker $i (${workers[$i]}): $(tail -n1 /tmp/w$i.out)"
done

t_eq "every worker exited 0" "$rcs" "$(printf '0%.0s' "${pids[@]}")"
summary() { cat /tmp/w*.out | sed -n "s/^kr-xfer: transfers=.* $1=\([0-9]*\).*/\1/p" | awk '{s += $1} END {print s + 0}'; }
t_eq "$TOTAL transfers ok" "$(summary ok)" $TOTAL
t_eq "0 transfers failed" "$(summary failed)" 0
t_eq "0 mismatches" "$(cat /tmp/w*.out | grep -c mismatch)" 0
read -r churned churn_bad </tmp/churn.out
read -r switched switch_bad </tmp/switch.out
log "background: $churned rule add/del rounds ($churn_bad errors), $switched mode switches ($switch_bad errors)"
# (on the debug kernel a userctl call takes seconds: 15 rounds in its
# two-minute soak)
t_ge "other rules were added and deleted meanwhile" "$churned" $((20 / TS))
t_eq "every rule add/del succeeded" "$churn_bad" 0
t_ge "rule 9002 switched modes meanwhile" "$switched" 4
t_eq "every mode switch succeeded" "$switch_bad" 0

# Counters: every connection of a soak rule was accepted and closed, nothing
# else; the bytes each rule moved are exactly what its clients sent/got.
wsum() { # PORT FIELD: kr-xfer FIELD summed over the workers on PORT
	local port=$1 field=$2 i s=0 v
	for ((i = 0; i < ${#workers[@]}; i++)); do
		[ "${workers[$i]%% *}" = "$port" ] || continue
		v=$(sed -n "s/^kr-xfer: transfers=.* $field=\([0-9]*\).*/\1/p" /tmp/w$i.out)
		s=$((s + ${v:-0}))
	done
	echo $s
}
for r in $rules; do
	IFS=: read -r lp bp mode <<<"$r"
	st=$(userctl -j stats 127.0.0.1:$lp)
	get() { printf '%s' "$st" | tr ',{}' '\n\n\n' | sed -n "s/^ *\"$1\": *\([0-9]*\).*/\1/p" | head -n1; }
	t_eq "$lp: accepted = its transfers" "$(get accepted)" "${want_accepted[$lp]}"
	t_eq "$lp: closed = accepted" "$(get closed)" "$(get accepted)"
	t_eq "$lp: reset/failed/aborted/idle 0" "$(get reset)/$(get failed)/$(get aborted)/$(get idle_timeout)" "0/0/0/0"
	t_eq "$lp: active 0" "$(get active)" 0
	t_eq "$lp: bytes to backend = clients' bytes_sent" "$(get bytes_to_backend)" "$(wsum "$lp" bytes_sent)"
	t_eq "$lp: bytes to client = clients' bytes_received" "$(get bytes_to_client)" "$(wsum "$lp" bytes_received)"
	t_eq "$lp: zerocopy + copied = both directions" \
		$(($(get bytes_zerocopy) + $(get bytes_copied))) $(($(get bytes_to_backend) + $(get bytes_to_client)))
	case $lp in
	9002) t_ge "$lp: both data paths used" $(( ($(get bytes_zerocopy) > 0) + ($(get bytes_copied) > 0) )) 2 ;;
	*) if [ $mode = copy ]; then
		t_eq "$lp: copy rule copied everything" "$(get bytes_zerocopy)" 0
	   fi ;;
	esac
done
t_eq "only the soak rules remain" "$(userctl -j stats | sed -n 's/.*"rule_count":\([0-9]*\).*/\1/p')" 9
t_eq "no connection left" "$(userctl conn count)" 0
krelay_unload
