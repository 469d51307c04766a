#!/usr/bin/env bash
# Static analysis: checkpatch.pl --strict on the kernel sources, sparse
# (C=2) on every supported kernel, gcc -fanalyzer and cppcheck on userctl.
# Prints one PASS/FAIL line per check (details in out/lint/).
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
mkdir -p out/lint
rc=0
res() { echo "$1 $2"; [ "$1" = PASS ] || rc=1; }

# checkpatch.pl and its data files, from Debian's linux-source tarball.
cp_dir=out/tools/checkpatch
if [ ! -x "$cp_dir/scripts/checkpatch.pl" ]; then
	tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n1)
	if [ -n "$tarball" ]; then
		top=$(basename "$tarball" .tar.xz)
		mkdir -p "$cp_dir"
		tar -xJf "$tarball" -C "$cp_dir" --strip-components=1 \
			"$top/scripts/checkpatch.pl" "$top/scripts/spelling.txt" \
			"$top/scripts/const_structs.checkpatch" 2>/dev/null
	fi
fi
ksrc=$(ls kmod/*.[ch] kprobes/*.[ch] include/uapi/linux/krelay.h 2>/dev/null)
if [ -x "$cp_dir/scripts/checkpatch.pl" ]; then
	if "$cp_dir/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG -f $ksrc >out/lint/checkpatch.txt 2>&1; then
		res PASS "checkpatch --strict (kernel sources)"
	else
		res FAIL "checkpatch --strict (kernel sources): $(grep -c ': \(ERROR\|WARNING\|CHECK\):' out/lint/checkpatch.txt) findings, see out/lint/checkpatch.txt"
	fi
else
	res FAIL "checkpatch --strict (checkpatch.pl not found; install linux-source-6.12)"
fi

for k in ${KERNELS:-$(scripts/kernels.sh)}; do
	# Rebuild every object so sparse sees all of them.
	rm -rf "build/$k"
	make --no-print-directory modules KVER="$k" C=2 W=1 >"out/lint/sparse-$k.txt" 2>&1
	if grep -E '^[^ ]+\.[ch]:[0-9]+:[0-9]+: (warning|error)' "out/lint/sparse-$k.txt" >/dev/null; then
		res FAIL "sparse C=2 on $k, see out/lint/sparse-$k.txt"
	else
		res PASS "sparse C=2 on $k"
	fi
done

if make --no-print-directory -C userctl analyze >out/lint/userctl-analyze.txt 2>&1; then
	res PASS "userctl: gcc -fanalyzer and cppcheck"
else
	res FAIL "userctl: gcc -fanalyzer and cppcheck, see out/lint/userctl-analyze.txt"
fi
exit $rc
