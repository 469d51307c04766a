#!/usr/bin/env bash
# Start QEMU for a krelay test VM.  Used by vm-run.sh, vm.sh and bench.sh.
#
#   scripts/qemu.sh KVER INITRAMFS SHAREDIR MEM_MIB SMP [KERNEL-ARGS...]
#
# KVM is used when a probe boot proved it works for KVER, TCG otherwise
# (scripts/accel.sh; KRELAY_ACCEL=tcg|kvm forces one).  KRELAY_QEMU names
# the QEMU binary.  Standard input and output are the guest's serial console.
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
accel=$("$(dirname "$0")/accel.sh" "$KVER")
if [ "$accel" = kvm ]; then
	accel=(-accel kvm -cpu host)
else
	accel=(-accel tcg -cpu max,la57=off)
fi
exec "${KRELAY_QEMU:-qemu-system-x86_64}" "${accel[@]}" -m "$MEM" -smp "$SMP" \
	-nographic -no-reboot \
	-kernel "$kroot/boot/vmlinuz-$KVER" -initrd "$INITRD" \
	-append "console=ttyS0 panic=-1 oops=panic quiet cryptomgr.notests $*" \
	-virtfs "local,path=$SHARE,mount_tag=share,security_model=none,id=share" \
	-nic none
