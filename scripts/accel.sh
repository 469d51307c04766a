#!/usr/bin/env bash
# Choose the QEMU accelerator for a krelay test VM of kernel KVER.
#
#   scripts/accel.sh KVER          print "kvm" or "tcg"
#   scripts/accel.sh -v KVER       print "kvm|tcg: why" (one line, for logs)
#   scripts/accel.sh -m KVER WHY   mark KVM as unusable for KVER (a real boot
#                                  stalled under it): later calls say tcg
#
# KVM is chosen only when a probe boot proves it: QEMU with -accel kvm
# boots KVER with a tiny initramfs whose /init prints a marker and powers
# off, within KRELAY_ACCEL_PROBE_TIMEOUT seconds (default 60).  A readable
# /dev/kvm proves nothing: some nested hypervisors (kvm-pvm) start a paused
# VM fine, then stall a stock kernel right after "Probing EDD ... ok".
# Any failure of the probe means TCG.
#
# The verdict is cached once per machine and kernel image, in
# $KRELAY_CACHE/accel/ (default ~/.cache/krelay): the key is the machine id,
# the kernel release and image, and the QEMU binary.
# KRELAY_ACCEL=kvm|tcg forces one (no probe).  KRELAY_QEMU names the QEMU
# binary (default qemu-system-x86_64), KRELAY_KVM_DEV the KVM device
# (default /dev/kvm): both let tests stand in for them.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
verbose=0 mark=
case ${1:-} in
-v) verbose=1; shift ;;
-m) mark=1; shift ;;
esac
[ $# -ge 1 ] || { sed -n '2,8p' "$0" >&2; exit 2; }
KVER=$1
QEMU=${KRELAY_QEMU:-qemu-system-x86_64}
KVM_DEV=${KRELAY_KVM_DEV:-/dev/kvm}
timeout_s=${KRELAY_ACCEL_PROBE_TIMEOUT:-60}

say() { # ACCEL WHY
	if [ $verbose = 1 ]; then echo "$1: $2"; else echo "$1"; fi
}

if [ -n "${KRELAY_ACCEL:-}" ] && [ -z "$mark" ]; then
	case $KRELAY_ACCEL in
	kvm | tcg) say "$KRELAY_ACCEL" "forced by KRELAY_ACCEL"; exit 0 ;;
	*) echo "accel: KRELAY_ACCEL must be kvm or tcg, not '$KRELAY_ACCEL'" >&2; exit 2 ;;
	esac
fi

kroot=$("$TOP/scripts/debug-kernel.sh" kroot "$KVER")
image=$kroot/boot/vmlinuz-$KVER
[ -f "$image" ] || { echo "accel: no kernel image $image" >&2; exit 2; }
qemu_bin=$(command -v "$QEMU" || true)
[ -n "$qemu_bin" ] || { echo "accel: no QEMU binary '$QEMU'" >&2; exit 2; }

cache=${KRELAY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/krelay}/accel
key=$( {
	cat /etc/machine-id 2>/dev/null || hostname
	echo "$KVER $KVM_DEV"
	stat -L -c '%s %Y' "$image" "$qemu_bin"
} | sha256sum | cut -c1-16)
entry=$cache/$KVER.$key
mkdir -p "$cache"

if [ -n "$mark" ]; then
	echo "tcg KVM boot stalled: ${2:-no reason given}" >"$entry.tmp"
	mv -f "$entry.tmp" "$entry"
	exit 0
fi

if [ -s "$entry" ]; then
	read -r acc why <"$entry"
	say "$acc" "$why (cached in $entry)"
	exit 0
fi

# the guest's last console line: QEMU's own messages and escape sequences left out
last_line() {
	sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' "$1" | tr -cd '[:print:]\n' |
		grep -av '^qemu-system' | grep -a . | tail -n1 | cut -c1-80
}
probe() { # prints "ACCEL WHY"
	if ! [ -r "$KVM_DEV" ] || ! [ -w "$KVM_DEV" ]; then
		echo "tcg no usable $KVM_DEV"
		return
	fi
	local d rc=0 marker
	d=$(mktemp -d /tmp/krelay-accel.XXXXXX)
	# shellcheck disable=SC2064 # expand now: $d is local
	trap "rm -rf '$d'" RETURN
	marker="KRELAY-ACCEL-PROBE-$$-$RANDOM"
	mkdir -p "$d/root/bin" "$d/root/dev"
	cp /bin/busybox "$d/root/bin/busybox"
	ln -s busybox "$d/root/bin/sh"
	# (no /dev/console in the image: init's output goes nowhere until devtmpfs)
	printf '#!/bin/sh\n/bin/busybox mount -t devtmpfs dev /dev\necho %s >/dev/console\n/bin/busybox poweroff -f\n' \
		"$marker" >"$d/root/init"
	chmod +x "$d/root/init"
	(cd "$d/root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$d/probe.cpio.gz"
	timeout -k 5 "$timeout_s" "$QEMU" -accel kvm -cpu host -m 256 -smp 1 \
		-nographic -no-reboot -kernel "$image" -initrd "$d/probe.cpio.gz" \
		-append "console=ttyS0 panic=-1 quiet" -nic none \
		</dev/null >"$d/serial.log" 2>&1 || rc=$?
	if grep -aq "$marker" "$d/serial.log"; then
		echo "kvm probe boot reached userspace"
	elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		local last
		last=$(last_line "$d/serial.log")
		echo "tcg KVM probe boot did not reach userspace in ${timeout_s}s (last line: ${last:-none})"
	else
		echo "tcg KVM probe boot failed (QEMU exit $rc: $(last_line "$d/serial.log"))"
	fi
}

# One probe at a time per entry: VMs started side by side wait for it.
exec 9>"$entry.lock"
flock 9
if [ ! -s "$entry" ]; then
	probe >"$entry.tmp"
	mv -f "$entry.tmp" "$entry"
fi
read -r acc why <"$entry"
say "$acc" "$why"
