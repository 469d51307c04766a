#!/usr/bin/env bash
# Start QEMU for a krelay test VM.  Used by vm-run.sh, vm.sh and bench.sh.
#
#   scripts/qemu.sh KVER INITRAMFS SHAREDIR MEM_MIB SMP [KERNEL-ARGS...]
#
# KVM is used when /dev/kvm works (probed: some machines expose a /dev/kvm
# on which QEMU aborts), TCG otherwise; KRELAY_ACCEL=tcg|kvm forces one.  Standard input and
# output are the guest's serial console.
set -euo pipefail
KVER=$1 INITRD=$2 SHARE=$3 MEM=$4 SMP=$5
shift 5
kroot=$("$(dirname "$0")/debug-kernel.sh" kroot "$KVER")
# Debug kernel: KFENCE hangs the TCG boot (at SMP bring-up); the guest's
# /init enables it once booted (kfence_enable_late).
[ -n "$kroot" ] && set -- kfence.sample_interval=0 "$@"
# The crypto API's self-tests (cryptomgr) are skipped: they are not
# krelay's, they are among the slowest parts of a TCG boot, and one ran
# into a soft lockup on a loaded CI host.
accel=${KRELAY_ACCEL:-}
if [ -z "$accel" ]; then
	accel=tcg
	if [ -w /dev/kvm ] && [ -r /dev/kvm ]; then
		# A working KVM keeps the paused VM alive until the timeout (124).
		rc=0
		(timeout 2 qemu-system-x86_64 -accel kvm -cpu host -display none \
			-nodefaults -S </dev/null >/dev/null 2>&1) 2>/dev/null || rc=$?
		[ $rc -eq 124 ] && accel=kvm
	fi
fi
if [ "$accel" = kvm ]; then
	accel=(-accel kvm -cpu host)
else
	accel=(-accel tcg -cpu max,la57=off)
fi
exec qemu-system-x86_64 "${accel[@]}" -m "$MEM" -smp "$SMP" \
	-nographic -no-reboot \
	-kernel "$kroot/boot/vmlinuz-$KVER" -initrd "$INITRD" \
	-append "console=ttyS0 panic=-1 oops=panic quiet cryptomgr.notests $*" \
	-virtfs "local,path=$SHARE,mount_tag=share,security_model=none,id=share" \
	-nic none
