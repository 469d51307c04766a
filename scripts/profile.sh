#!/usr/bin/env bash
# `make profile`: boot each kernel once and profile one iperf3 stream
# directly, through krelay (splice, copy) and through haproxy (splice),
# with perf in the guest (tests/vm/profile.sh).  Reports are copied to
# bench/results/profile-DATE/KVER/.  Not part of make check.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
dest=bench/results/profile-$(date +%Y%m%d-%H%M)
for k in ${KERNELS:-$(scripts/kernels.sh)}; do
	out=out/$k/profile
	scripts/vm-run.sh -o "$out" "$k" profile || true
	mkdir -p "$dest/$k"
	cp "$out"/summary.txt "$out"/profile-*.txt "$out"/callers-*.txt "$dest/$k/" 2>/dev/null || true
	echo "== $k"
	cat "$dest/$k/summary.txt" 2>/dev/null || echo "(no summary: see $out/scenario.log)"
done
echo "profiles in $dest"
