#!/usr/bin/env bash
# The Debian packages on this machine (no VM): make deb, then
# `apt-get install ./out/deb/*.deb`: DKMS builds and installs krelay for
# every supported kernel installed (dkms status, the .ko files, modinfo),
# userctl, its man page, completion, krelay.service (enabled, not started)
# and /etc/krelay/krelay.conf are in place; `apt-get purge` of both leaves
# nothing: no DKMS entry, no module, no file, no unit symlink.
#
# Leaves the machine as it found it: a krelay registered by
# `make dkms-install` is removed first and installed again at the end.
# Needs root; not to be run beside another DKMS user of krelay.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
VER=$(cat "$TOP/VERSION")
PKGS=(krelay-dkms krelay-utils)
fail() { echo "deb-test: FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "needs root (apt-get, dkms)"
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
for p in "${PKGS[@]}"; do
	! installed "$p" || fail "$p is already installed: not touching it"
done
kernels=$("$TOP/scripts/kernels.sh")
[ -n "$kernels" ] || fail "no supported kernel headers installed"

had_dkms=
if [ -e "/var/lib/dkms/krelay/$VER" ]; then
	had_dkms=1
	"$TOP/scripts/dkms.sh" remove >/dev/null
fi
cleanup() {
	local rc=$?
	for p in "${PKGS[@]}"; do
		if dpkg-query -W "$p" >/dev/null 2>&1; then
			apt-get purge -y -q "$p" >/dev/null 2>&1 || true
		fi
	done
	[ -z "$had_dkms" ] || "$TOP/scripts/dkms.sh" install >/dev/null || rc=1
	exit $rc
}
trap cleanup EXIT
export DEBIAN_FRONTEND=noninteractive

"$TOP/scripts/deb.sh"
debs=("$TOP"/out/deb/krelay-dkms_"$VER"_all.deb "$TOP"/out/deb/krelay-utils_"$VER"_*.deb)
{ [ ${#debs[@]} = 2 ] && [ -f "${debs[0]}" ] && [ -f "${debs[1]}" ]; } || fail "make deb did not build both packages"

echo "deb-test: apt-get install ${debs[*]}"
apt-get install -y -q --no-install-recommends "${debs[@]}"
for p in "${PKGS[@]}"; do installed "$p" || fail "$p not installed"; done

# DKMS: built and installed for every supported kernel
dkms status krelay
for k in $kernels; do
	dkms status "krelay/$VER" -k "$k" | grep -q ': installed' || fail "dkms: krelay/$VER not installed for $k"
	for m in krelay krelay_trace; do
		f=$(modinfo -k "$k" -n "$m") || fail "modinfo -k $k $m"
		case $f in */updates/dkms/"$m".ko*) ;; *) fail "$m for $k resolves to $f, not DKMS's" ;; esac
		[ "$(modinfo -k "$k" -F version "$m")" = "$VER" ] || fail "$m for $k: version is not $VER"
	done
done
grep -qx "PACKAGE_VERSION=\"$VER\"" "/usr/src/krelay-$VER/dkms.conf" || fail "dkms.conf version"

# krelay-utils
/usr/sbin/userctl --version | grep -q "$VER" || fail "userctl --version"
man -l /usr/share/man/man8/userctl.8.gz 2>/dev/null | grep -q 'rule add' || fail "man page"
test -f /usr/share/bash-completion/completions/userctl || fail "completion"
grep -qx 'ExecStart=/usr/sbin/userctl apply /etc/krelay/krelay.conf' /lib/systemd/system/krelay.service ||
	fail "unit's ExecStart"
test -f /etc/krelay/krelay.conf || fail "no /etc/krelay/krelay.conf"
dpkg-query -W -f='${Conffiles}' krelay-utils | grep -q ' /etc/krelay/krelay.conf ' || fail "krelay.conf is not a conffile"
test -L /etc/systemd/system/multi-user.target.wants/krelay.service || fail "krelay.service not enabled"
test -f /usr/share/doc/krelay-utils/examples/flush-on-stop.conf || fail "flush-on-stop drop-in"

# purge: nothing left
files=$(dpkg -L "${PKGS[@]}" | sort -u)
echo "deb-test: apt-get purge ${PKGS[*]}"
apt-get purge -y -q "${PKGS[@]}"
for p in "${PKGS[@]}"; do
	! dpkg-query -W "$p" >/dev/null 2>&1 || fail "$p still known to dpkg after purge"
done
[ -z "$(dkms status krelay)" ] || fail "dkms status after purge: $(dkms status krelay)"
[ ! -e /var/lib/dkms/krelay ] || fail "/var/lib/dkms/krelay left"
[ ! -e "/usr/src/krelay-$VER" ] || fail "/usr/src/krelay-$VER left"
for k in $kernels; do
	[ -z "$(find "/lib/modules/$k/updates/dkms" -name 'krelay*' 2>/dev/null)" ] || fail "modules left for $k"
	! modinfo -k "$k" -n krelay >/dev/null 2>&1 || fail "modinfo still finds krelay for $k"
done
left=
while IFS= read -r f; do
	[ -d "$f" ] && continue
	[ -e "$f" ] && left+=" $f"
done <<<"$files"
[ -z "$left" ] || fail "files left after purge:$left"
[ ! -e /etc/krelay ] || fail "/etc/krelay left"
[ ! -e /etc/systemd/system/multi-user.target.wants/krelay.service ] || fail "unit symlink left"
echo "deb-test: installed, built for $(echo "$kernels" | wc -w) kernels, purged clean"
