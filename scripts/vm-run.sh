#!/usr/bin/env bash
# Boot a krelay test VM (QEMU; TCG, or KVM where scripts/accel.sh proved it) and run
# one scenario of tests/vm/ in it.
#
#   scripts/vm-run.sh [-i INITRAMFS] [-o OUTDIR] KVER SCENARIO
#   scripts/vm-run.sh [-i INITRAMFS] -b KVER SCENARIO,SCENARIO...
#
# -b boots once for a batch of scenarios (tests/vm/init runs them one
# after the other, each in namespaces of its own); each one's results go
# to out/KVER/SCENARIO as if it had booted alone, the console log of the
# boot to each one's serial.log.  The batch shares the first scenario's
# mem and smp; its deadline is the sum of theirs.
#
# KVER is a kernel release with /boot/vmlinuz-KVER (scripts/kernels.sh
# --images lists them).  Without -i, an initramfs is built for KVER from
# build/KVER (see scripts/initramfs.sh).  OUTDIR (default out/KVER/SCENARIO)
# is the guest's /share and receives:
#   results      PASS/FAIL lines written by the scenario
#   scenario.log the scenario's output
#   dmesg.txt    the guest kernel log at the end
#   serial.log   everything the guest printed on its console
#   verdict      the host's verdict lines (scenario results, host checks of
#                tests/vm/SCENARIO.host if any, kernel log check)
# The scenario header line "# vm: timeout=S mem=MIB smp=N" sets limits.
# Prints the verdict lines; exits 0 iff every check passed.
set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
initrd= out= batch=
while getopts bi:o: opt; do
	case $opt in
	b) batch=1 ;;
	i) initrd=$OPTARG ;;
	o) out=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 2 ] || { sed -n '2,20p' "$0" >&2; exit 2; }
KVER=$1 SCEN=$2
scens=$(echo "$SCEN" | tr , ' ')
for s in $scens; do
	[ -f "$TOP/tests/vm/$s.sh" ] || { echo "vm-run: no scenario tests/vm/$s.sh" >&2; exit 2; }
done
[ -n "$batch" ] || [ "$scens" = "$SCEN" ] || { echo "vm-run: several scenarios need -b" >&2; exit 2; }
script="$TOP/tests/vm/${scens%% *}.sh"
# the debug kernel (scripts/debug-kernel.sh) lives under its cache root
kroot=$("$TOP/scripts/debug-kernel.sh" kroot "$KVER") || exit 2
[ -f "$kroot/boot/vmlinuz-$KVER" ] || { echo "vm-run: no kernel $kroot/boot/vmlinuz-$KVER" >&2; exit 2; }

# hdr_get SCENARIO KEY DEFAULT: a value of the "# vm:" header line
hdr_get() {
	local v
	v=$(sed -n 's/^# vm: //p' "$TOP/tests/vm/$1.sh" | head -n1 | tr ' ' '\n' | sed -n "s/^$2=//p")
	echo "${v:-$3}"
}
mem=$(hdr_get "${scens%% *}" mem 2048) smp=$(hdr_get "${scens%% *}" smp 2)
timeout=0 tlist=
for s in $scens; do
	t=$(hdr_get "$s" timeout 300)
	timeout=$((timeout + t + 5)) tlist=${tlist:+$tlist,}$t
done

# KASAN/lockdep/kmemleak make the debug kernel several times slower (and
# its boot and the kmemleak scans take a minute or two)
[ -n "$kroot" ] && timeout=$((timeout * ${KRELAY_DEBUG_TIMEOUT_MULT:-3} + 120))

if [ -n "$batch" ]; then
	out=$TOP/out/$KVER/.batch-${scens%% *}
else
	out=${out:-$TOP/out/$KVER/$SCEN}
fi
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ -z "$initrd" ]; then
	# built aside and renamed: runs started side by side must not share a
	# half-written image
	initrd="$TOP/out/$KVER/initramfs.cpio"
	"$TOP/scripts/initramfs.sh" "$KVER" "$initrd.$$" >/dev/null || exit 1
	mv -f "$initrd.$$" "$initrd"
fi

# Hard timeout: the guest gets $timeout seconds plus boot time.
#
# A boot that does not reach the scenario (nothing of ours has run yet:
# krelay is loaded by the scenario) is booted again, at most twice, and
# the retry is logged in boot-retries:
#  - the guest died while the kernel booted: QEMU TCG occasionally runs a
#    stale translation across a kernel text patch on SMP guests and the
#    boot dies with "Oops: int3" (seen on 6.12 under host load);
#  - the guest printed no "KRELAY-VM: start" within $boot_limit seconds:
#    TCG boots have stalled under host load, once with a soft lockup in
#    the kernel's own boot-time work (loglevel=7 puts the boot log in
#    serial.log, to show where; /init quiets the console once it runs).
#    Normal boots reach it in 8-30 s, debug-kernel boots in 90-160 s.
boot_limit=${KRELAY_BOOT_LIMIT:-120}
[ -n "$kroot" ] && boot_limit=$((boot_limit * 5))
# the guest's last console line (QEMU's own exit message left out)
last_line() { grep -a -v '^qemu-system' "$out/serial.log" | grep -a . | tail -n1 | cut -c1-100; }
# The accelerator: scripts/accel.sh (KVM only where a probe boot proved it).
# A boot that stalls under KVM marks KVM unusable for this kernel there and
# is retried under TCG, never again under KVM.
acc=$("$TOP/scripts/accel.sh" "$KVER") || exit 2
boot() {
	rc=0 stalled=0 last=
	echo "$acc" >"$out/accel"
	: >"$out/serial.log"
	KRELAY_ACCEL=$acc timeout -k 5 $((timeout + 60)) "$TOP/scripts/qemu.sh" "$KVER" "$initrd" "$out" \
		"$mem" "$smp" loglevel=7 "krelay.run=$SCEN" ${batch:+krelay.batch=$tlist} </dev/null >"$out/serial.log" 2>&1 &
	local pid=$! t=0
	while kill -0 $pid 2>/dev/null && ! grep -q 'KRELAY-VM: start' "$out/serial.log"; do
		if [ $t -ge "$boot_limit" ]; then
			stalled=1
			last=$(last_line)
			kill $pid 2>/dev/null # timeout(1) passes it on to QEMU
			break
		fi
		sleep 1
		t=$((t + 1))
	done
	wait $pid || rc=$?
	# (the hard timeout came first: a scenario with a short one)
	if [ $rc -eq 124 ] && ! grep -q 'KRELAY-VM: start' "$out/serial.log"; then
		stalled=1
		last=$(last_line)
	fi
}
boot
for retry in 1 2; do
	grep -q 'KRELAY-VM: start' "$out/serial.log" && break
	if [ $stalled = 1 ]; then
		what="stalled: no scenario start in time (last line: $last)"
	elif grep -q 'Kernel panic' "$out/serial.log"; then
		what="died before the scenario started: $(grep -m1 -E 'Oops|BUG' "$out/serial.log")"
	else
		break
	fi
	cp "$out/serial.log" "$out/serial-boot-failure-$retry.log"
	if [ "$acc" = kvm ]; then
		"$TOP/scripts/accel.sh" -m "$KVER" "$SCEN: $what"
		what="$what under KVM; booting under TCG from now on"
		acc=tcg
	fi
	echo "boot $retry $what" >>"$out/boot-retries"
	boot
done
[ $rc -eq 124 ] || [ $rc -eq 137 ] && echo TIMEOUT >"$out/timeout"

# verdict SCENARIO DIR: the verdict lines of one scenario, from what its run
# left in DIR, to DIR/verdict
verdict() {
	local SCEN=$1 out=$2 hook hrc why hits bad
	local verdict="$out/verdict"
	: >"$verdict"
	[ -f "$out/results" ] && cat "$out/results" >>"$verdict"
	# Checks the guest cannot run (it has no Python, for one): an executable
	# tests/vm/SCENARIO.host gets the share directory and prints PASS/FAIL lines.
	hook="$TOP/tests/vm/$SCEN.host"
	if [ -x "$hook" ] && [ -f "$out/done" ]; then
		"$hook" "$out" >"$out/host-checks" 2>"$out/host-checks.err"
		hrc=$?
		grep -E '^(PASS|FAIL) ' "$out/host-checks" >>"$verdict"
		grep -q '^FAIL ' "$out/host-checks" || [ $hrc -eq 0 ] ||
			echo "FAIL $SCEN: host checks ran ($hook exit $hrc; see $out/host-checks.err)" >>"$verdict"
	fi
	if [ ! -f "$out/done" ] || [ -f "$out/timeout" ]; then
		why="guest did not finish"
		[ -f "$out/timeout" ] && why="timed out after $(hdr_get "$SCEN" timeout 300)s"
		[ $stalled = 1 ] && why="boot stalled 3 times: no scenario start in time"
		grep -q 'Kernel panic' "$out/serial.log" && why="kernel panic"
		echo "FAIL $SCEN: scenario completed ($why; see $out/serial.log)" >>"$verdict"
	fi
	# Debug kernel: the guest's /init ran a kmemleak scan after unloading
	# the modules; any report fails the scenario.
	if [ -f "$out/kmemleak.txt" ]; then
		if [ -s "$out/kmemleak.txt" ]; then
			echo "FAIL $SCEN: kmemleak clean after unload ($(grep -m1 unreferenced "$out/kmemleak.txt"); see $out/kmemleak.txt)" >>"$verdict"
		else
			echo "PASS $SCEN: kmemleak clean after unload" >>"$verdict"
		fi
	elif [ -n "$kroot" ] && [ -f "$out/done" ]; then
		echo "FAIL $SCEN: kmemleak scan ran (no $out/kmemleak.txt)" >>"$verdict"
	fi
	# Any kernel complaint fails the scenario (in a batch, the console's
	# complaints count for the scenario that was running, the one the
	# console log ends in, the kernel log's for the one whose part it is).
	bad='BUG:|WARNING:|Oops|KASAN|UBSAN|refcount_t|list_add corruption|list_del corruption|'
	bad+='possible circular locking|possible recursive locking|inconsistent lock state|'
	bad+='blocked for more than|general protection fault|kernel BUG|'
	bad+='Kernel panic|suspected memory leak|scheduling while atomic|sleeping function called'
	hits=$(cat "$out/dmesg.txt" "$out/serial.log" 2>/dev/null | grep -E "$bad" | sort -u | head -n 5)
	if ! grep -q 'KRELAY-VM: start' "$out/serial.log"; then
		# a boot that never reached the scenario: its log says nothing of krelay
		echo "FAIL $SCEN: kernel log clean (not checked: no boot reached the scenario)" >>"$verdict"
	elif [ -n "$hits" ]; then
		echo "FAIL $SCEN: kernel log clean ($(echo "$hits" | head -n1 | cut -c1-160))" >>"$verdict"
	else
		echo "PASS $SCEN: kernel log clean" >>"$verdict"
	fi
	cat "$verdict"
}
if [ -z "$batch" ]; then
	verdict "$SCEN" "$out"
	! grep -q '^FAIL' "$out/verdict"
	exit
fi
# A batch: each scenario's share subdirectory becomes out/KVER/SCENARIO, with
# the console log up to its end (of the one that did not finish: all of it).
rc=0 prev=0
for s in $scens; do
	d=$TOP/out/$KVER/$s
	rm -rf "$d"
	mkdir -p "$out/$s"
	mv "$out/$s" "$d"
	cp "$out/accel" "$d/accel"
	[ -f "$out/boot-retries" ] && cp "$out/boot-retries" "$d/"
	n=$(grep -a -n "KRELAY-VM: scenario $s exit" "$out/serial.log" | head -n1 | cut -d: -f1)
	if [ -n "$n" ]; then
		sed -n "$((prev + 1)),${n}p" "$out/serial.log" >"$d/serial.log"
		prev=$n
	else
		sed -n "$((prev + 1)),\$p" "$out/serial.log" >"$d/serial.log"
		prev=$(wc -l <"$out/serial.log")
	fi
	# the boot's own lines, for the check that some boot reached the scenarios
	grep -a -q 'KRELAY-VM: start' "$out/serial.log" && ! grep -a -q 'KRELAY-VM: start' "$d/serial.log" &&
		echo "KRELAY-VM: start (batch $SCEN)" >>"$d/serial.log"
	verdict "$s" "$d"
	grep -q '^FAIL' "$d/verdict" && rc=1
done
cp "$out/serial.log" "$TOP/out/$KVER/.batch-${scens%% *}.serial.log"
exit $rc
