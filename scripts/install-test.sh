#!/usr/bin/env bash
# `make install` into a scratch DESTDIR: userctl, its man page (readable with
# man) and the bash completion land under PREFIX; `make uninstall` removes them.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
make -C "$TOP" --no-print-directory install DESTDIR="$d" PREFIX=/usr >/dev/null
test -x "$d/usr/sbin/userctl"
test -f "$d/usr/share/bash-completion/completions/userctl"
man -l "$d"/usr/share/man/man8/userctl.8* 2>/dev/null | grep -q 'rule add'
"$d/usr/sbin/userctl" --version | grep -q .
make -C "$TOP" --no-print-directory uninstall DESTDIR="$d" PREFIX=/usr >/dev/null
[ -z "$(find "$d" -type f)" ]
