#!/usr/bin/env bash
# Install or remove krelay through DKMS for every supported kernel whose
# headers are installed (make dkms-install / make dkms-remove).
#
#   scripts/dkms.sh install [KVER...]
#   scripts/dkms.sh remove
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
VER=$(cat "$TOP/VERSION")
SRC=/usr/src/krelay-$VER
command -v dkms >/dev/null || { echo "dkms.sh: dkms is not installed (make deps)" >&2; exit 1; }

case "${1:-}" in
install)
	shift
	kernels=${*:-$("$TOP/scripts/kernels.sh")}
	[ -n "$kernels" ] || { echo "dkms.sh: no supported kernel headers installed (6.1 or 6.12)" >&2; exit 1; }
	# A fresh copy of the sources each time: dkms builds what is in $SRC.
	if [ -e "/var/lib/dkms/krelay/$VER" ]; then
		dkms remove krelay/"$VER" --all >/dev/null
	fi
	rm -rf "$SRC"
	mkdir -p "$SRC"
	cp -a "$TOP"/{Kbuild,VERSION,include,kmod,kprobes} "$SRC/"
	find "$SRC" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod*' \
		-o -name modules.order -o -name Module.symvers \) -delete
	sed "s/@VERSION@/$VER/" "$TOP/dkms.conf" >"$SRC/dkms.conf"
	dkms add krelay/"$VER"
	for k in $kernels; do
		dkms build krelay/"$VER" -k "$k"
		dkms install krelay/"$VER" -k "$k" --force
	done
	dkms status krelay
	;;
remove)
	if [ -e "/var/lib/dkms/krelay/$VER" ]; then
		dkms remove krelay/"$VER" --all
	fi
	rm -rf "$SRC"
	;;
*)
	echo "usage: $0 install [KVER...] | remove" >&2
	exit 2
	;;
esac
