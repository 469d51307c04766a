#!/usr/bin/env bash
# Print the supported kernels (6.1 and 6.12 LTS) whose headers are installed,
# one release per line, 6.1 first.  With --images, only those whose image is
# installed too (the ones a test VM can boot).
set -u
for d in /lib/modules/*/; do
	v=$(basename "$d")
	case "$v" in
	6.1.*|6.12.*) ;;
	*) continue ;;
	esac
	[ -e "$d/build/Makefile" ] || continue
	if [ "${1:-}" = --images ] && [ ! -e "/boot/vmlinuz-$v" ]; then
		continue
	fi
	echo "$v"
done | sort -V
