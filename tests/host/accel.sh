#!/usr/bin/env bash
# The VM accelerator choice (scripts/accel.sh, scripts/vm-run.sh) without a
# working KVM: stand-ins for QEMU and /dev/kvm.
#
#   tests/host/accel.sh KVER
#
# - a QEMU that stalls like a nested hypervisor that cannot boot the kernel
#   (prints "Probing EDD ... ok", then nothing): TCG, the reason names the
#   stall, the verdict is cached (a second call does not start QEMU);
# - a QEMU on which the probe boot really reaches userspace (the stand-in
#   runs the real QEMU under TCG in place of KVM): KVM;
# - no usable KVM device: TCG without starting QEMU; KRELAY_ACCEL forces;
# - a probe that passes, then a real boot that stalls under KVM: vm-run.sh
#   boots again under TCG, the scenario passes, and the cache says TCG.
# Prints PASS/FAIL lines; exits non-zero if any check failed.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
KVER=${1:?usage: $0 KVER}
t=$(mktemp -d /tmp/krelay-accel-test.XXXXXX)
trap 'rm -rf "$t"' EXIT
fails=0
check() { # NAME CMD...
	if "${@:2}"; then echo "PASS accel: $1"; else echo "FAIL accel: $1"; fails=$((fails + 1)); fi
}
accel() { KRELAY_CACHE=$t/cache KRELAY_QEMU=$qemu KRELAY_KVM_DEV=$t/kvm "$TOP/scripts/accel.sh" "$@"; }
: >"$t/kvm"

# 1. stalls under KVM
qemu=$t/qemu-stall
cat >"$qemu" <<EOF
#!/bin/sh
echo "\$*" >>$t/stall.calls
echo 'Probing EDD (edd=off to disable)... ok'
exec sleep 600
EOF
chmod +x "$qemu"
out=$(KRELAY_ACCEL_PROBE_TIMEOUT=5 accel -v "$KVER")
echo "  stall: $out"
check "a QEMU that stalls under KVM gives tcg" [ "${out%%:*}" = tcg ]
check "the reason names the stall and its last line" \
	grep -q 'did not reach userspace.*Probing EDD' <<<"$out"
check "the probe booted the kernel under KVM" grep -q -- "-accel kvm.*vmlinuz-$KVER" "$t/stall.calls"
out=$(accel "$KVER")
check "the verdict is cached: no second probe" \
	[ "$out" = tcg ] && [ "$(wc -l <"$t/stall.calls")" -eq 1 ]

# 2. the probe boot reaches userspace (real QEMU, TCG standing in for KVM)
rm -rf "$t/cache"
qemu=$t/qemu-works
cat >"$qemu" <<EOF
#!/bin/bash
a=("\$@")
for i in "\${!a[@]}"; do
	case \${a[\$i]} in kvm) a[\$i]=tcg ;; host) a[\$i]=max,la57=off ;; esac
done
exec qemu-system-x86_64 "\${a[@]}"
EOF
chmod +x "$qemu"
out=$(KRELAY_ACCEL_PROBE_TIMEOUT=120 accel -v "$KVER")
echo "  works: $out"
check "a probe boot that reaches userspace gives kvm" [ "${out%%:*}" = kvm ]

# 3. no device; forced
rm -rf "$t/cache"
qemu=$t/qemu-stall
: >"$t/stall.calls"
out=$(KRELAY_KVM_DEV=$t/none KRELAY_CACHE=$t/cache KRELAY_QEMU=$qemu "$TOP/scripts/accel.sh" -v "$KVER")
check "no KVM device gives tcg without starting QEMU" \
	[ "${out%%:*}" = tcg ] && [ ! -s "$t/stall.calls" ]
check "KRELAY_ACCEL=kvm forces kvm" [ "$(KRELAY_ACCEL=kvm accel "$KVER")" = kvm ]
check "KRELAY_ACCEL=bogus is refused" eval '! KRELAY_ACCEL=bogus accel "$KVER" 2>/dev/null'

# 4. the probe passes, the real boot stalls under KVM: vm-run.sh retries under TCG
rm -rf "$t/cache"
qemu=$t/qemu-late-stall
cat >"$qemu" <<EOF
#!/bin/bash
case "\$*" in
*probe.cpio.gz*) exec $t/qemu-works "\$@" ;;   # the probe boot
*"-accel kvm"*) echo 'Probing EDD (edd=off to disable)... ok'; exec sleep 600 ;;
esac
exec qemu-system-x86_64 "\$@"
EOF
chmod +x "$qemu"
check "the stand-in's probe passes" [ "$(KRELAY_ACCEL_PROBE_TIMEOUT=120 accel "$KVER")" = kvm ]
o=$t/vm
KRELAY_BOOT_LIMIT=20 KRELAY_CACHE=$t/cache KRELAY_QEMU=$qemu KRELAY_KVM_DEV=$t/kvm \
	"$TOP/scripts/vm-run.sh" -o "$o" "$KVER" harness >"$t/vm.out" 2>&1
rc=$?
sed 's/^/  vm-run: /' "$o/boot-retries" 2>/dev/null
check "a boot that stalls under KVM passes on its TCG retry" [ $rc -eq 0 ]
check "the retry is logged as a KVM stall" grep -q 'under KVM; booting under TCG' "$o/boot-retries"
check "the retried boot ran under TCG" [ "$(cat "$o/accel" 2>/dev/null)" = tcg ]
check "KVM is marked unusable for the next boots" [ "$(accel "$KVER")" = tcg ]
check "the verdict has no PASS from the stalled boot" \
	[ "$(grep -c 'kernel log clean' "$o/verdict")" -eq 1 ]

# 5. a boot that never reaches the scenario prints no PASS line
rm -rf "$t/cache"
qemu=$t/qemu-stall
o=$t/vm2
KRELAY_ACCEL=kvm KRELAY_BOOT_LIMIT=3 KRELAY_CACHE=$t/cache KRELAY_QEMU=$qemu \
	"$TOP/scripts/vm-run.sh" -o "$o" "$KVER" harness >"$t/vm2.out" 2>&1
rc=$?
check "a boot that never starts fails" [ $rc -ne 0 ]
check "... and prints no PASS line" eval '! grep -q ^PASS "$o/verdict"'
[ $fails -eq 0 ]
