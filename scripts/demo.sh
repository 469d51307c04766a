#!/usr/bin/env bash
# `make demo`: install dependencies, build, boot a Linux 6.1 test VM, relay
# iperf3 traffic through krelay, show userctl's output and the tracer report.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
scripts/deps.sh
KVER=${KVER:-$(scripts/kernels.sh --images | head -n1)}
[ -n "$KVER" ] || { echo "demo: no supported kernel installed" >&2; exit 1; }
echo "demo: building for $KVER"
make --no-print-directory modules userctl tools KVER="$KVER" >out.build.log 2>&1 ||
	{ cat out.build.log >&2; exit 1; }
rm -f out.build.log
out=out/$KVER/demo
echo "demo: accelerator: $(scripts/accel.sh -v "$KVER")"
echo "demo: booting a QEMU test VM (kernel $KVER; ~15 s under TCG)"
scripts/vm-run.sh -o "$out" "$KVER" demo >/dev/null 2>&1 &
vm=$!
# Stream the guest's scenario output while it runs.
for _ in $(seq 200); do [ -f "$out/scenario.log" ] && break; sleep 0.2; done
tail -n +1 -F --pid=$vm "$out/scenario.log" 2>/dev/null | grep -v '^\[.*\] PASS ' || true
wait $vm && rc=0 || rc=$?
echo
cat "$out/verdict"
echo "demo: serial console log in $out/serial.log"
exit $rc
