#!/usr/bin/env bash
# Build a busybox initramfs for krelay's test VMs.
#
#   scripts/initramfs.sh [-d] KVER OUT.cpio[.gz]
#
# OUT.cpio is written uncompressed: a TCG guest unpacks an ~80 MB plain
# archive in about 1 s, the gzip one in 5-6 s, and every test boot pays it.
# The image holds: busybox applets, kmod (modprobe/modinfo), the kernel
# modules a TCG guest needs for its 9p results share (resolved from
# `modinfo -F depends`, decompressed), krelay.ko and krelay_trace.ko from
# build/KVER/ (or, with -d, the DKMS-installed tree
# /lib/modules/KVER/updates/dkms/), userctl, the traffic tools
# (iperf3, socat, curl, iproute2, tests/tools/bin/*) with their shared
# libraries, krelay.service (service/, installed with PREFIX=/usr), the
# guest /init and the VM scenarios of tests/vm/.
set -euo pipefail

dkms=0
if [ "${1:-}" = -d ]; then
	dkms=1
	shift
fi
[ $# -eq 2 ] || { echo "usage: $0 [-d] KVER OUT.cpio[.gz]" >&2; exit 2; }
KVER=$1
OUT=$2
TOP=$(cd "$(dirname "$0")/.." && pwd)
# the debug kernel (scripts/debug-kernel.sh) lives under its cache root
kroot=$("$TOP/scripts/debug-kernel.sh" kroot "$KVER")
MODS=$kroot/lib/modules/$KVER
modinfo=(modinfo -k "$KVER")
[ -n "$kroot" ] && modinfo+=(-b "$kroot")

die() { echo "initramfs: $*" >&2; exit 1; }
[ -d "$MODS/kernel" ] || die "no modules for kernel $KVER in $MODS (run 'make deps')"

root=$(mktemp -d /tmp/krelay-initramfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
chmod 755 "$root" # mktemp made it 0700; unprivileged test users need /
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,share,root,run,var/run,tests,lib64}

# --- busybox: every applet but "busybox" itself -----------------------------
cp /bin/busybox "$root/bin/busybox"
for a in $(/bin/busybox --list); do
	[ "$a" = busybox ] && continue
	[ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
done

# --- binaries with their shared libraries -----------------------------------
copy_libs() {
	{ ldd "$1" 2>/dev/null || true; } | awk '/=> \//{print $3} /^\t\/.*ld-linux/{print $1}' |
	while read -r lib; do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}
copy_bin() { # SRC DEST-DIR [NAME]
	local src=$1 dst=$2 name=${3:-$(basename "$1")}
	[ -x "$src" ] || die "missing binary $src"
	rm -f "$root$dst/$name"
	cp -L "$src" "$root$dst/$name"
	copy_libs "$src"
}
mkdir -p "$root/lib64" "$root/lib/x86_64-linux-gnu"
cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"

copy_bin /usr/bin/iperf3 /usr/bin
copy_bin /usr/bin/socat /usr/bin
copy_bin /usr/bin/curl /usr/bin
copy_bin /bin/ip /sbin
copy_bin /bin/ss /sbin
copy_bin /bin/kmod /sbin
copy_bin /usr/bin/setpriv /usr/bin
# util-linux unshare (--kill-child) for the batches of tests/vm/init; busybox
# sh runs its own applet unless given the path
copy_bin /usr/bin/unshare /usr/bin
copy_bin /usr/bin/jq /usr/bin
# Scenarios run under bash: busybox sh would prefer its own applets (setpriv,
# modprobe, modinfo, ip, ...) over the real tools installed here.
copy_bin /bin/bash /bin
for a in modprobe modinfo insmod rmmod lsmod depmod; do
	rm -f "$root/sbin/$a" "$root/bin/$a"
	ln -s kmod "$root/sbin/$a"
done
[ -x "$TOP/userctl/userctl" ] || die "userctl not built (make userctl)"
copy_bin "$TOP/userctl/userctl" /usr/sbin
# krelay.service and its files as `make install PREFIX=/usr` lays them out
# (tests/vm/service-boot.sh runs the unit's command lines)
make --no-print-directory -s -C "$TOP/service" install DESTDIR="$root" PREFIX=/usr >/dev/null
for t in "$TOP"/tests/tools/bin/kr-*; do
	[ -x "$t" ] && copy_bin "$t" /usr/bin
done
# optional extras, used by scenarios when present
for b in /usr/bin/perf /usr/sbin/haproxy /usr/sbin/rinetd /usr/sbin/nginx; do
	[ -x "$b" ] && copy_bin "$b" "$(dirname "$b")"
done

# nginx's stream module (libnginx-mod-stream), for make bench
if [ -f /usr/lib/nginx/modules/ngx_stream_module.so ]; then
	mkdir -p "$root/usr/lib/nginx/modules"
	cp /usr/lib/nginx/modules/ngx_stream_module.so "$root/usr/lib/nginx/modules/"
	copy_libs /usr/lib/nginx/modules/ngx_stream_module.so
fi

# --- kernel modules -----------------------------------------------------------
# Resolve a module and its dependencies (dependencies first) and copy the
# .ko files, decompressed, keeping their paths so depmod sees a normal tree.
declare -A seen=()
add_mod() {
	local m=$1 f dep
	[ -n "${seen[$m]:-}" ] && return 0
	seen[$m]=1
	f=$("${modinfo[@]}" -n "$m" 2>/dev/null) || return 0
	case "$f" in
	/*) ;;
	*) return 0 ;; # built in
	esac
	for dep in $("${modinfo[@]}" -F depends "$m" | tr ',' ' '); do
		add_mod "$dep"
	done
	local rel=${f#"$MODS"/} dst
	dst="$root/lib/modules/$KVER/${rel%.xz}"
	dst=${dst%.zst}
	mkdir -p "$(dirname "$dst")"
	case "$f" in
	*.xz) xz -dc "$f" >"$dst" ;;
	*.zst) zstd -qdc "$f" >"$dst" ;;
	*) cp "$f" "$dst" ;;
	esac
}
for m in virtio_pci 9pnet_virtio 9p veth tcp_diag inet_diag; do
	add_mod "$m"
done
mkdir -p "$root/lib/modules/$KVER" # (nothing copied when all is built in)
cp "$MODS"/modules.builtin* "$MODS"/modules.order "$root/lib/modules/$KVER/" 2>/dev/null || true

if [ $dkms = 1 ]; then
	src="$MODS/updates/dkms"
	[ -d "$src" ] || die "no DKMS-installed modules in $src (run 'make dkms-install')"
	mkdir -p "$root/lib/modules/$KVER/updates/dkms"
	for f in "$src"/*.ko*; do
		n=$(basename "$f")
		case "$n" in
		*.xz) xz -dc "$f" >"$root/lib/modules/$KVER/updates/dkms/${n%.xz}" ;;
		*.zst) zstd -qdc "$f" >"$root/lib/modules/$KVER/updates/dkms/${n%.zst}" ;;
		*) cp "$f" "$root/lib/modules/$KVER/updates/dkms/" ;;
		esac
	done
	echo "$MODS/updates/dkms" >"$root/etc/krelay-modsrc"
else
	b="$TOP/build/$KVER"
	[ -f "$b/kmod/krelay.ko" ] || die "krelay.ko not built for $KVER (make modules KVER=$KVER)"
	mkdir -p "$root/lib/modules/$KVER/extra"
	cp "$b/kmod/krelay.ko" "$root/lib/modules/$KVER/extra/"
	[ -f "$b/kprobes/krelay_trace.ko" ] &&
		cp "$b/kprobes/krelay_trace.ko" "$root/lib/modules/$KVER/extra/"
	echo "$b" >"$root/etc/krelay-modsrc"
fi
depmod -b "$root" "$KVER"

# --- configuration, init, scenarios -------------------------------------------
cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/sh
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost\n' >"$root/etc/hosts"
echo "hosts: files" >"$root/etc/nsswitch.conf"
echo "$KVER" >"$root/etc/krelay-kver"
cp "$TOP/VERSION" "$root/etc/krelay-version"
cp "$TOP/tests/vm/init" "$root/init"
chmod +x "$root/init"
cp "$TOP"/tests/vm/*.sh "$root/tests/"
cp "$TOP/README.md" "$root/tests/README.md"   # readme-examples runs its examples
[ -d "$TOP/tests/vm/data" ] && cp -r "$TOP/tests/vm/data" "$root/tests/"

mkdir -p "$(dirname "$OUT")"
z=cat
case $OUT in *.gz) z="gzip -1" ;; esac
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) | $z >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "initramfs: $OUT ($(du -h "$OUT" | cut -f1), kernel $KVER)"
