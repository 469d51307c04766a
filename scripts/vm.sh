#!/usr/bin/env bash
# An interactive shell in a krelay test VM, with krelay.ko, krelay_trace.ko,
# userctl, iperf3, socat, curl and the test tools ready.
#
#   scripts/vm.sh [KVER]        (default: the first supported kernel)
#
# The guest's /share is out/KVER/shell on the host.  Leave with 'poweroff -f'
# (or Ctrl-A X).  Set MEM=MiB / SMP=N to size the VM.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
KVER=${1:-$("$TOP/scripts/kernels.sh" --images | head -n1)}
[ -n "$KVER" ] || { echo "vm.sh: no supported kernel installed (make deps)" >&2; exit 1; }
make -C "$TOP" --no-print-directory modules userctl tools KVER="$KVER" >/dev/null
initrd="$TOP/out/$KVER/initramfs.cpio"
"$TOP/scripts/initramfs.sh" "$KVER" "$initrd"
share="$TOP/out/$KVER/shell"
mkdir -p "$share"
exec "$TOP/scripts/qemu.sh" "$KVER" "$initrd" "$share" "${MEM:-2048}" "${SMP:-2}" krelay.shell=1
