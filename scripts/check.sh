#!/usr/bin/env bash
# krelay's full test suite (`make check`, run by .ci/run).
#
#   1. install dependencies (scripts/deps.sh)
#   2. build: modules for every supported kernel (W=1, warnings fail),
#      userctl, test tools; static analysis (scripts/lint.sh)
#   3. userspace unit tests
#   4. VM scenarios (tests/vm/*.sh) on every supported kernel installed
#
# Every check prints PASS/FAIL; the run ends with "N passed, N failed" and
# exits non-zero when anything failed.
#
# The debug kernel (scripts/debug-kernel.sh: KASAN, KFENCE, lockdep,
# kmemleak, ...) has its own target, `make check-debug` (builds it once,
# ~30-50 min, then runs every scenario on it, 70-90 min): the suite is 3-5x
# slower there and would take `make check` past CI's budget.  KRELAY_DEBUG=1
# adds it to the kernels here when it is already built.  In KERNELS, the
# word "debug" names it.
#
# Environment: KERNELS="kver ..." restricts the kernels, SCENARIOS="a b"
# restricts the VM scenarios, SUITE=scale runs the scenarios marked
# suite=scale instead of the default ones, CHECK_SKIP_LINT=1 skips static
# analysis.  CHECK_JOBS=N runs N VMs at a time (default 2).
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
mkdir -p out
LOG=out/check.log
: >"$LOG"
pass=0 fail=0
failed=()

record() { # PASS|FAIL NAME
	echo "$1 $2"
	if [ "$1" = PASS ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed+=("$2")
	fi
}
step() { # NAME CMD...: one check, output to out/check.log
	local n=$1
	shift
	echo "=== $n: $*" >>"$LOG"
	if "$@" >>"$LOG" 2>&1; then record PASS "$n"; else record FAIL "$n"; return 1; fi
}
finish() {
	echo
	if [ $fail -gt 0 ]; then
		echo "failed checks:"
		printf '  %s\n' "${failed[@]}"
		echo "(build and unit test output: $LOG; VM runs: out/<kernel>/<scenario>/)"
	fi
	echo "$pass passed, $fail failed"
	[ $fail -eq 0 ]
	exit
}

step "dependencies installed" scripts/deps.sh || finish
kernels=${KERNELS:-$(scripts/kernels.sh --images) $([ "${KRELAY_DEBUG:-0}" = 0 ] || scripts/debug-kernel.sh kver 2>/dev/null)}
if [[ " $kernels " = *" debug "* ]]; then
	dk=$(scripts/debug-kernel.sh kver) || { record FAIL "debug kernel built (make debug-kernel)"; finish; }
	kernels=$(echo " $kernels " | sed "s/ debug / $dk /")
	export KERNELS="$kernels" # for scripts/lint.sh
fi
[ -n "$kernels" ] || { record FAIL "a supported kernel is installed"; finish; }
# The VMs' accelerator, once per kernel (scripts/accel.sh: KVM only where a
# probe boot proved it, cached per machine and kernel).  The probes run side
# by side: where /dev/kvm cannot boot a kernel, each waits out its 60 s.
for k in $kernels; do
	echo "accelerator for $k: $(scripts/accel.sh -v "$k" 2>&1)" &
done
wait

# Modules: W=1, and any compiler warning is a failure.
build_modules() {
	local k=$1 o
	o=$(make --no-print-directory modules KVER="$k" W=1 2>&1)
	local rc=$?
	echo "$o"
	[ $rc -eq 0 ] || return 1
	! echo "$o" | grep -E 'warning:|error:' | grep -v 'Skipping BTF'
}
built=()
for k in $kernels; do
	step "build modules for $k (W=1, no warnings)" build_modules "$k" && built+=("$k")
done
step "build userctl (-Wall -Wextra -Werror)" make --no-print-directory userctl || finish
step "build test tools" make --no-print-directory tools || finish
step "make install / uninstall (DESTDIR): userctl, man page, completion" scripts/install-test.sh
step "krelay.service installed, systemd-analyze verify" scripts/service-test.sh
step "make deb; apt-get install: DKMS builds for every kernel; purge leaves nothing" scripts/deb-test.sh
step "YNL spec: the kernel's ynl loads it (schema), numbers match the uapi header" scripts/ynl-spec-test.sh
if [ -z "${CHECK_SKIP_LINT:-}" ] && [ -x scripts/lint.sh ]; then
	while read -r st name; do
		record "$st" "$name"
	done < <(scripts/lint.sh 2>>"$LOG" | grep -E '^(PASS|FAIL) ')
fi

# Unit tests: cmocka reports "[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)".
unit() { # DIR
	local o
	o=$(make --no-print-directory -C "$1" test 2>&1)
	local rc=$?
	echo "$o" >>"$LOG"
	local p f
	p=$(echo "$o" | sed -n 's/.*\[  PASSED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
	f=$(echo "$o" | sed -n 's/.*\[  FAILED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
	if [ $((p + f)) -eq 0 ]; then # not cmocka: one check, by exit code
		if [ $rc -eq 0 ]; then record PASS "unit tests in $1"; else record FAIL "unit tests in $1"; fi
		return
	fi
	echo "unit tests in $1: $p passed, $f failed"
	pass=$((pass + p))
	fail=$((fail + f))
	[ "$f" -gt 0 ] && failed+=("unit tests in $1 (see $LOG)")
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then record FAIL "unit tests in $1 ran (make exit $rc)"; fi
}
unit userctl
[ -f tests/tools/Makefile ] && unit tests/tools
# the traffic tools against their own servers on the host's loopback,
# including that they detect corrupted data (~20 s)
step "test tools: host loopback smoke run (tests/tools/smoke.sh)" \
	make --no-print-directory -C tests/tools smoke

# The VM accelerator choice, with stand-ins for QEMU and /dev/kvm (~75 s:
# three probe boots and two short harness boots under TCG).
if [ ${#built[@]} -gt 0 ]; then
	while read -r st name; do
		record "$st" "$name"
	done < <(tests/host/accel.sh "${built[0]}" 2>>"$LOG" | tee -a "$LOG" | grep -E '^(PASS|FAIL) ')
fi

# VM scenarios.
scen_list() { # KVER
	local s hdr kre suite
	for s in ${SCENARIOS:-$(cd tests/vm && ls ./*.sh | sed 's|^\./||; s|\.sh$||')}; do
		[ "$s" = lib ] && continue
		hdr=$(sed -n 's/^# vm: //p' "tests/vm/$s.sh" | head -n1)
		suite=$(echo "$hdr" | tr ' ' '\n' | sed -n 's/^suite=//p')
		[ "${suite:-check}" = "${SUITE:-check}" ] || continue
		kre=$(echo "$hdr" | tr ' ' '\n' | sed -n 's/^kernels=//p')
		[ -n "$kre" ] && ! echo "$1" | grep -Eq "$kre" && continue
		echo "$s"
	done
}
# Scenarios with "initramfs=dkms" in their header boot the modules that
# `make dkms-install` put under /lib/modules/KVER/updates/dkms/.
#
# VMs run CHECK_JOBS at a time (default 2): many scenarios spend much of
# their time waiting for timeouts, so two guests share the two host cores
# well; those marked "heavy" in their header never run two at a time.  Each kernel's harness scenario runs first, then the rest longest
# first (by the timeout in their header), so the long ones do not trail.
scen_timeout() { sed -n 's/^# vm: //p' "tests/vm/$1.sh" | tr ' ' '\n' | sed -n 's/^timeout=//p' | head -n1; }
# Most scenarios share a boot with others (scripts/vm-run.sh -b; a TCG boot
# costs 10-15 s): up to CHECK_BATCH (default 6) of them per VM, each in
# namespaces of its own (tests/vm/init).  Not batched: harness (it checks
# the boot itself), scenarios with their own VM size, heavy, DKMS or
# "solo" ones (changes that outlive a scenario's namespaces), and every
# scenario on the debug kernel (its kmemleak scan is per boot).
batchable() { # KVER SCENARIO
	local kv
	case $1 in *-kdbg) return 1 ;; esac
	[ "$2" != harness ] && [ "${CHECK_BATCH:-6}" -gt 1 ] || return 1
	for kv in $(sed -n 's/^# vm: //p' "tests/vm/$2.sh" | head -n1); do
		case $kv in
		heavy | solo | initramfs=*) return 1 ;;
		smp=2 | mem=2048) ;;
		smp=* | mem=*) return 1 ;;
		esac
	done
}
jobs=()   # "KVER SCENARIO IMAGE"
dkms_done=
for k in "${built[@]}"; do
	initrd=out/$k/initramfs.cpio
	step "initramfs for $k" scripts/initramfs.sh "$k" "$initrd" || continue
	dkms_img=
	list=$(scen_list "$k")
	echo "$list" | grep -qx harness && jobs+=("$k harness $initrd")
	# the batches, longest scenarios first; each is "a,b,c" in one job
	batches=$(for s in $list; do batchable "$k" "$s" && echo "$(scen_timeout "$s") $s"; done |
		sort -k1,1nr -k2 | awk -v n="${CHECK_BATCH:-6}" '
			{ b = int((NR - 1) / n); t[b] += $1; l[b] = l[b] (l[b] == "" ? "" : ",") $2; m = b }
			END { for (i = 0; i <= m && NR; i++) print t[i], l[i] }')
	for s in $({ echo "$batches"
		for s in $list; do
			[ "$s" = harness ] || batchable "$k" "$s" || echo "$(scen_timeout "$s") $s"
		done; } | grep . | sort -k1,1nr -k2 | awk '{print $2}'); do
		img=$initrd
		if [[ $s != *,* ]] && sed -n 's/^# vm: //p' "tests/vm/$s.sh" | grep -qw 'initramfs=dkms'; then
			# DKMS installs for the system kernels only
			case $k in *-kdbg) continue ;; esac
			if [ -z "$dkms_done" ]; then
				dkms_done=1
				step "make dkms-install (all supported kernels)" make --no-print-directory dkms-install
			fi
			if [ -z "$dkms_img" ]; then
				dkms_img=out/$k/initramfs-dkms.cpio
				step "DKMS initramfs for $k" scripts/initramfs.sh -d "$k" "$dkms_img" ||
					{ dkms_img=; continue; }
			fi
			img=$dkms_img
		fi
		jobs+=("$k $s $img")
	done
done

declare -A running=()   # pid -> "KVER SCENARIO START"
reap() { # wait for one VM job and record its verdict
	local pid k s t0
	wait -n -p pid "${!running[@]}" 2>/dev/null || true
	[ -n "${pid:-}" ] && [ -n "${running[$pid]:-}" ] || return 0
	read -r k s t0 <<<"${running[$pid]}"
	unset "running[$pid]"
	local one
	for one in ${s//,/ }; do
		if [ -f "out/$k/$one/verdict" ]; then
			while read -r st rest; do
				record "$st" "[$k] $rest"
			done <"out/$k/$one/verdict"
		else
			record FAIL "[$k] $one: the VM runner left no verdict"
		fi
	done
	echo "    ($s on $k: $(($(date +%s) - t0))s)"
	one=${s%%,*}
	[ -f "out/$k/$one/boot-retries" ] &&
		tr -cd '[:print:]\n' < "out/$k/$one/boot-retries" | sed 's/^/    (/; s/$/; booted again)/'
}
# Scenarios marked "heavy" (CPU-bound for minutes: the integrity marathon,
# 100k connections) never run beside each other; any other scenario may run
# beside one.  Jobs start in list order, skipping a heavy one while another
# heavy one runs.
heavy() { [[ $1 != *,* ]] && sed -n 's/^# vm: //p' "tests/vm/$1.sh" | grep -qw heavy; }
heavy_pid=
pending=("${jobs[@]}")
while [ ${#pending[@]} -gt 0 ]; do
	if [ ${#running[@]} -ge "${CHECK_JOBS:-2}" ]; then
		reap
		continue
	fi
	[ -n "$heavy_pid" ] && [ -z "${running[$heavy_pid]:-}" ] && heavy_pid=
	pick=-1
	for i in "${!pending[@]}"; do
		read -r k s img <<<"${pending[$i]}"
		if [ -z "$heavy_pid" ] || ! heavy "$s"; then
			pick=$i
			break
		fi
	done
	if [ $pick -lt 0 ]; then
		reap
		continue
	fi
	read -r k s img <<<"${pending[$pick]}"
	unset "pending[$pick]"
	pending=("${pending[@]}")
	b=
	[[ $s = *,* ]] && b=-b
	scripts/vm-run.sh $b -i "$img" "$k" "$s" >/dev/null 2>&1 &
	running[$!]="$k $s $(date +%s)"
	heavy "$s" && heavy_pid=$!
done
while [ ${#running[@]} -gt 0 ]; do reap; done
finish
