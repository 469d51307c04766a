#!/usr/bin/env bash
# make deb: build krelay-dkms and krelay-utils with dpkg-buildpackage
# (debian/) from a clean copy of the tree in out/deb/build/, leaving the
# packages in out/deb/ (the source tree is not touched).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
VER=$(cat "$TOP/VERSION")
OUT=$TOP/out/deb
command -v dpkg-buildpackage >/dev/null || { echo "deb: dpkg-buildpackage missing (make deps)" >&2; exit 1; }
rm -rf "$OUT"
mkdir -p "$OUT/build/krelay-$VER"
# the tracked files (plus uncommitted changes) when this is a git checkout
existing() { # NUL-separated paths on stdin: those that exist (deleted files are still listed)
	local f
	while IFS= read -r -d '' f; do
		[ -e "$f" ] && printf '%s\0' "$f"
	done
	return 0
}
if git -C "$TOP" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$TOP" && git ls-files -z --cached --others --exclude-standard | existing |
		tar --null -T - -cf -) | tar -C "$OUT/build/krelay-$VER" -xf -
else
	tar -C "$TOP" --exclude=./out --exclude=./build -cf - . | tar -C "$OUT/build/krelay-$VER" -xf -
fi
(cd "$OUT/build/krelay-$VER" && dpkg-buildpackage -b -us -uc) >"$OUT/build.log" 2>&1 ||
	{ tail -n 30 "$OUT/build.log" >&2; echo "deb: dpkg-buildpackage failed (log: $OUT/build.log)" >&2; exit 1; }
mv "$OUT"/build/*.deb "$OUT/"
rm -rf "$OUT/build"
ls "$OUT"/*.deb
