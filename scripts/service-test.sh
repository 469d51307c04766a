#!/usr/bin/env bash
# krelay.service as `make install` installs it: the unit, the example
# configuration and the flush-on-stop drop-in land where they should, with
# the install's paths in their command lines, and `systemd-analyze verify`
# accepts the unit alone and with the drop-in (no warning at all: any
# output fails).  The unit's behaviour is tests/vm/service-boot.sh's.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
fail() { echo "service-test: $*" >&2; exit 1; }

# 1. DESTDIR install, PREFIX=/usr: the paths a package would use
make -C "$TOP" --no-print-directory install DESTDIR="$d/dest" PREFIX=/usr >/dev/null
unit=$d/dest/usr/lib/systemd/system/krelay.service
test -f "$unit" || fail "no $unit"
grep -qx 'ExecStart=/usr/sbin/userctl apply /etc/krelay/krelay.conf' "$unit" ||
	fail "ExecStart does not run /usr/sbin/userctl"
grep -qx 'ExecStop=/usr/sbin/userctl apply /dev/null' \
	"$d/dest/usr/share/doc/krelay/examples/flush-on-stop.conf" || fail "drop-in's ExecStop"
test -f "$d/dest/etc/krelay/krelay.conf" || fail "no example /etc/krelay/krelay.conf"
! grep -q @ "$unit" || fail "unsubstituted @...@ in the unit"
# an existing configuration is never overwritten
echo '0.0.0.0 1 127.0.0.1 2' >"$d/dest/etc/krelay/krelay.conf"
make -C "$TOP" --no-print-directory install DESTDIR="$d/dest" PREFIX=/usr >/dev/null
grep -qx '0.0.0.0 1 127.0.0.1 2' "$d/dest/etc/krelay/krelay.conf" || fail "install overwrote the configuration"
make -C "$TOP" --no-print-directory uninstall DESTDIR="$d/dest" PREFIX=/usr >/dev/null
[ "$(find "$d/dest" -type f)" = "$d/dest/etc/krelay/krelay.conf" ] ||
	fail "uninstall left $(find "$d/dest" -type f) (only the edited configuration may stay)"

# 2. systemd-analyze verify, on an install whose paths exist on this machine
if ! command -v systemd-analyze >/dev/null; then
	echo "service-test: systemd-analyze not installed, verify skipped"
	exit 0
fi
make -C "$TOP" --no-print-directory install PREFIX="$d/root" SYSCONFDIR="$d/etc" >/dev/null
u=$d/root/lib/systemd/system/krelay.service
out=$(systemd-analyze verify --man=no "$u" 2>&1) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify warns: $out"
mkdir -p "$u.d"
cp "$d/root/share/doc/krelay/examples/flush-on-stop.conf" "$u.d/"
out=$(systemd-analyze verify --man=no "$u" 2>&1) || fail "systemd-analyze verify (with the drop-in): $out"
[ -z "$out" ] || fail "systemd-analyze verify (with the drop-in) warns: $out"
echo "service-test: unit installed and verified"
