#!/usr/bin/env bash
# `make bench`: benchmark krelay against direct loopback and userspace relays
# (rinetd, socat, haproxy, nginx stream) in one test VM boot per kernel.
#
#   scripts/bench.sh            full run (3 rounds, 5 s iperf3 runs; ~15 min per kernel on 2 cores)
#   QUICK=1 scripts/bench.sh    quick run (< 5 min; fewer rounds, shorter runs)
#
# Environment:
#   QUICK=1               quick mode
#   KVER=REL              one kernel (default: every one of scripts/kernels.sh --images)
#   BENCH_KERNELS="a b"   one boot per kernel (overrides KVER)
#   BENCH_REPS, BENCH_T, BENCH_RR_T, BENCH_SETUPS, BENCH_TESTS, BENCH_TRACE, BENCH_TRACE_T,
#   BENCH_DEADLINE        override the guest parameters (see tests/vm/bench.sh)
#   BENCH_OUT=DIR         results directory (default bench/results)
#   BENCH_NO_BUILD=1      do not run make (use what is built)
#   BENCH_RETRY=0         no second boot without krelay when the first one dies
#   BENCH_MAX_OTHER=PCT   a run during which other work used more than PCT %
#                         of the host's CPUs is contended: reported, but left
#                         out of the medians (default 10)
#
# Per kernel: build (make modules userctl tools), an initramfs
# (scripts/initramfs.sh plus a bench overlay), one VM running
# tests/vm/bench.sh, then scripts/bench-report.sh.  Results:
#   bench/results/STAMP-KVER/      raw.txt, iperf.tar.xz, logs/, serial.log, ...
#   bench/results/STAMP-KVER.md    the report (printed at the end)
#   bench/results/STAMP-KVER.png   the chart
# Parts that are missing or broken (krelay.ko not built, a relay that does
# not start, kr-rr absent) show up as FAILED in the report; the run goes on.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
QUICK=${QUICK:-0}
[ "$QUICK" = 0 ] || [ "$QUICK" = 1 ] || QUICK=1
RESULTS=${BENCH_OUT:-$TOP/bench/results}
t_start=$(date +%s)

say() { echo "bench: $*"; }
die() { echo "bench: $*" >&2; exit 1; }

if [ -n "${BENCH_KERNELS:-}" ]; then
	kernels=$BENCH_KERNELS
else
	# every supported kernel installed, one boot each (KVER= picks one)
	kernels=${KVER:-$(scripts/kernels.sh --images | xargs)}
fi
[ -n "$kernels" ] || die "no supported kernel installed (scripts/kernels.sh --images is empty; run 'make deps')"

# BENCH_DEADLINE: the guest stops measuring after this many seconds (keeps
# the time budget when something hangs; what ran is still reported).
if [ "$QUICK" = 1 ]; then
	: "${BENCH_REPS:=1}" "${BENCH_T:=2}" "${BENCH_RR_T:=1}" "${BENCH_TRACE_T:=1}" "${BENCH_DEADLINE:=240}"
else
	: "${BENCH_REPS:=3}" "${BENCH_T:=5}" "${BENCH_RR_T:=3}" "${BENCH_DEADLINE:=1080}"
fi
: "${BENCH_SETUPS:=direct krelay-splice krelay-work krelay-copy rinetd socat haproxy haproxy-splice nginx}"
: "${BENCH_TESTS:=p1 p8 p1r p8r crate lat lat16k}"
: "${BENCH_TRACE:=1}"

# build_image KVER OUT.cpio.gz LOG: scripts/initramfs.sh, then an overlay with
# the bench parameters and what the base image lacks.  The kernel unpacks
# concatenated cpio archives in order, so the overlay adds/replaces files.
build_image() {
	local k=$1 img=$2 logf=$3 base ov
	base=$(mktemp /tmp/krelay-bench-base.XXXXXX)
	ov=$(mktemp -d /tmp/krelay-bench-ov.XXXXXX)
	local irout irc=0
	irout=$(scripts/initramfs.sh "$k" "$base" 2>&1) || irc=$?
	printf '=== scripts/initramfs.sh %s (exit %s)\n%s\n' "$k" "$irc" "$irout" >>"$logf"
	if [ $irc -ne 0 ]; then
		# krelay.ko or userctl missing: build the image without them so the
		# other setups still run (the krelay setups then report FAILED).
		# (Also tolerates ldd failing on static binaries under pipefail.)
		say "scripts/initramfs.sh failed (exit $irc${irout:+: $(echo "$irout" | tail -n1)}); building the image with a tolerant copy of it"
		local tmp
		tmp=$(mktemp /tmp/krelay-bench-initramfs.XXXXXX)
		sed -e "s#^TOP=.*#TOP=$TOP#" \
			-e 's#^\[ -x "\$TOP/userctl/userctl" \] || die.*#:#' \
			-e 's#^copy_bin "\$TOP/userctl/userctl" /usr/sbin#[ -x "$TOP/userctl/userctl" ] \&\& &#' \
			-e 's#^\t\[ -f "\$b/kmod/krelay.ko" \] || die.*#\t:#' \
			-e 's#^\tcp "\$b/kmod/krelay.ko" #\t[ -f "$b/kmod/krelay.ko" ] \&\& &#' \
			-e 's#^\tldd "\$1" 2>/dev/null |#\t{ ldd "$1" 2>/dev/null || true; } |#' \
			scripts/initramfs.sh >"$tmp"
		if ! bash "$tmp" "$k" "$base" >>"$logf" 2>&1; then
			rm -f "$tmp" "$base"
			rm -rf "$ov"
			return 1
		fi
		rm -f "$tmp"
	fi
	mkdir -p "$ov/etc" "$ov/tests" "$ov/usr/lib/nginx/modules" "$ov/lib/modules/$k/bench"
	cp tests/vm/bench.sh "$ov/tests/"
	# nginx's stream module (libnginx-mod-stream); it needs only libc
	[ -f /usr/lib/nginx/modules/ngx_stream_module.so ] &&
		cp /usr/lib/nginx/modules/ngx_stream_module.so "$ov/usr/lib/nginx/modules/"
	# the tracer alone, when the full module build did not produce it
	[ -n "${KTRACE_EXTRA:-}" ] && cp "$KTRACE_EXTRA" "$ov/lib/modules/$k/bench/"
	{
		echo "BENCH_REPS=$BENCH_REPS"
		echo "BENCH_T=$BENCH_T"
		echo "BENCH_RR_T=$BENCH_RR_T"
		echo "BENCH_SETUPS='$BENCH_SETUPS'"
		echo "BENCH_TESTS='$BENCH_TESTS'"
		echo "BENCH_TRACE=$BENCH_TRACE"
		echo "BENCH_DEADLINE=$BENCH_DEADLINE"
		[ -n "${BENCH_TRACE_T:-}" ] && echo "BENCH_TRACE_T=$BENCH_TRACE_T"
		[ -n "${BENCH_RR_SIZE:-}" ] && echo "BENCH_RR_SIZE=$BENCH_RR_SIZE"
		[ -n "${BENCH_CRATE_SIZE:-}" ] && echo "BENCH_CRATE_SIZE=$BENCH_CRATE_SIZE"
		[ -n "${BENCH_CRATE_P:-}" ] && echo "BENCH_CRATE_P=$BENCH_CRATE_P"
	} >"$ov/etc/krelay-bench.conf"
	(cd "$ov" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$ov.cpio.gz"
	cat "$base" "$ov.cpio.gz" >"$img"
	rm -rf "$base" "$ov" "$ov.cpio.gz"
}

# build_tracer KVER DIR: krelay_trace.ko alone (when `make modules` failed,
# e.g. because kmod/ does not build yet); prints the .ko path
build_tracer() {
	local k=$1 d=$2
	rm -rf "$d"
	mkdir -p "$d"
	cp -a kprobes VERSION include "$d/" 2>/dev/null || return 1
	make -C "/lib/modules/$k/build" M="$d/kprobes" modules >"$d/build.log" 2>&1 || return 1
	[ -f "$d/kprobes/krelay_trace.ko" ] && echo "$d/kprobes/krelay_trace.ko"
}

# run_vm KVER IMAGE OUTDIR: one boot running tests/vm/bench.sh, progress shown
run_vm() {
	local k=$1 img=$2 out=$3 vm vrc
	say "accelerator: $(scripts/accel.sh -v "$k" 2>&1)"
	say "booting the VM (scripts/vm-run.sh $k bench); progress:"
	mkdir -p "$out"
	scripts/vm-run.sh -i "$img" -o "$out" "$k" bench >/dev/null 2>&1 &
	vm=$!
	# the host's CPU use beside the VM, per measured run (host.txt)
	# (its errors beside OUTDIR: vm-run.sh empties OUTDIR as it starts)
	scripts/hostmon.sh "$out" 2>"$out.hostmon.err" &
	hm=$!
	for _ in $(seq 300); do [ -f "$out/scenario.log" ] && break; sleep 0.2; done
	tail -n +1 -F --pid=$vm "$out/scenario.log" 2>/dev/null |
		grep --line-buffered -E 'bench:|round|  [a-z]|FAIL' |
		while IFS= read -r l; do echo "${l:0:110}"; done
	wait $vm
	vrc=$?
	kill "$hm" 2>/dev/null
	wait "$hm" 2>/dev/null
	if [ -s "$out.hostmon.err" ]; then
		mv -f "$out.hostmon.err" "$out/hostmon.err"
		say "host monitor: $(tail -n1 "$out/hostmon.err")"
	else
		rm -f "$out.hostmon.err"
	fi
	[ -f "$out/verdict" ] && grep '^FAIL' "$out/verdict" | sed 's/^/bench: guest: /'
	[ $vrc -eq 0 ] || say "the VM run reported failures (verdict: $out/verdict)"
}

# finish_run OUTDIR NAME: pack the raw outputs, write NAME.md and NAME.png
finish_run() {
	local out=$1 name=$2
	if [ -d "$out/iperf" ]; then
		(cd "$out" && tar -cJf iperf.tar.xz iperf && rm -rf iperf)
	fi
	git -C "$TOP" describe --always --dirty >"$out/git-describe" 2>/dev/null
	echo "QUICK=$QUICK BENCH_REPS=$BENCH_REPS BENCH_T=$BENCH_T BENCH_RR_T=$BENCH_RR_T BENCH_DEADLINE=$BENCH_DEADLINE" >"$out/params"
	echo "missing:$missing" >>"$out/params"
	echo "host: $(nproc) CPUs; load average before: ${load0:-?}; after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/params"
	if BENCH_MAX_OTHER=${BENCH_MAX_OTHER:-10} scripts/bench-report.sh "$out" "$RESULTS/$name.md" "$RESULTS/$name.png"; then
		reports+=("$RESULTS/$name.md")
	else
		say "report generation failed for $out"
		rc=1
	fi
}

stamp=$(date -u +%Y%m%d-%H%M)
reports=()
rc=0
for k in $kernels; do
	[ -f "/boot/vmlinuz-$k" ] || { say "no kernel image /boot/vmlinuz-$k, skipped"; rc=1; continue; }
	name=$stamp-$k
	out=$RESULTS/$name
	rm -rf "$out"
	mkdir -p "$RESULTS"
	blog=$(mktemp /tmp/krelay-bench-build.XXXXXX)
	say "kernel $k, QUICK=$QUICK: reps=$BENCH_REPS iperf3 ${BENCH_T}s kr-rr ${BENCH_RR_T}s"
	say "setups: $BENCH_SETUPS"
	if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
		say "building (make -k modules userctl tools KVER=$k)"
		make -k --no-print-directory modules userctl tools KVER="$k" >>"$blog" 2>&1 ||
			say "build incomplete (see build.log); continuing with what was built"
	fi
	missing=
	[ -f "build/$k/kmod/krelay.ko" ] || missing+=" krelay.ko"
	[ -x userctl/userctl ] || missing+=" userctl"
	[ -x tests/tools/bin/kr-echo ] || missing+=" kr-echo"
	[ -x tests/tools/bin/kr-rr ] || missing+=" kr-rr"
	KTRACE_EXTRA=
	if [ ! -f "build/$k/kprobes/krelay_trace.ko" ]; then
		KTRACE_EXTRA=$(build_tracer "$k" "/tmp/krelay-bench-trace-$k") ||
			{ missing+=" krelay_trace.ko"; KTRACE_EXTRA=; }
	fi
	[ -z "$missing" ] || say "not built:$missing (the measurements that need them will say FAILED)"
	img=$TOP/out/$k/bench-initramfs.cpio.gz
	mkdir -p "$(dirname "$img")"
	say "building the initramfs"
	if ! build_image "$k" "$img" "$blog"; then
		tail -n 20 "$blog" >&2
		say "cannot build an initramfs for $k"
		rc=1
		continue
	fi
	load0=$(cut -d' ' -f1-3 /proc/loadavg)
	run_vm "$k" "$img" "$out"
	mv "$blog" "$out/build.log"
	finish_run "$out" "$name"
	# The guest died before the end without its watchdog noticing (a krelay
	# crash takes the whole VM down): boot once more without the krelay
	# setups so the report on the others is complete (this costs a second
	# run's time).  The first report keeps its FAILED entries.
	if ! grep -qs '^end ' "$out/raw.txt" && [ "${BENCH_RETRY:-1}" = 1 ] &&
		[ "$BENCH_SETUPS" != "$(echo $BENCH_SETUPS | tr ' ' '\n' | grep -v '^krelay' | xargs)" ]; then
		say "the VM did not complete the bench; booting again without the krelay setups"
		saved=$BENCH_SETUPS
		BENCH_SETUPS=$(echo $BENCH_SETUPS | tr ' ' '\n' | grep -v '^krelay' | xargs)
		if build_image "$k" "$img" /dev/null; then
			run_vm "$k" "$img" "$out-nokrelay"
			finish_run "$out-nokrelay" "$name-nokrelay"
		fi
		BENCH_SETUPS=$saved
	fi
done

for r in "${reports[@]}"; do
	echo
	cat "$r"
done
echo
say "done in $(( $(date +%s) - t_start )) s; reports: ${reports[*]:-none}"
exit $rc
