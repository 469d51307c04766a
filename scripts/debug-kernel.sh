#!/usr/bin/env bash
# Build (once per machine) and locate the krelay debug kernel: Debian's
# linux-source-6.1 with defconfig + kvm_guest.config + the debug fragment
# below (KASAN, KFENCE, lockdep, DEBUG_ATOMIC_SLEEP, DEBUG_OBJECTS, kmemleak,
# list debugging, kprobes).  Everything the test VMs need (virtio, 9p,
# veth, netns, userns, IPv6, inet_diag) is built in.
#
#   scripts/debug-kernel.sh build   build it unless cached; print its root
#   scripts/debug-kernel.sh root    print its root if built, else exit 1
#   scripts/debug-kernel.sh kver    print its release if built, else exit 1
#   scripts/debug-kernel.sh key     print the cache key
#   scripts/debug-kernel.sh kroot KVER
#                                   print the root KVER's kernel lives under:
#                                   "" for a system kernel (/boot, /lib/modules),
#                                   the debug root for the debug kernel
#
# Cache: $KRELAY_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/krelay)/
# debug-kernel/KEY/, KEY = hash of (linux-source-6.1 package version, the
# config fragment, DK_VERSION).  The root holds boot/vmlinuz-KVER and
# lib/modules/KVER/ (build -> the configured source tree, for building
# krelay.ko: make modules KVER=KVER KDIR=ROOT/lib/modules/KVER/build).
# The build runs under `nice -n 19` with $DK_JOBS jobs (default: nproc);
# it takes ~30-50 minutes on 2 cores.  A lock serialises concurrent builds.
set -euo pipefail

DK_VERSION=1
PKG=linux-source-6.1
TARBALL=/usr/src/linux-source-6.1.tar.xz
LOCALVERSION=-kdbg

FRAGMENT='CONFIG_LOCALVERSION="-kdbg"
CONFIG_LOCALVERSION_AUTO=n
CONFIG_MODULES=y
CONFIG_MODULE_UNLOAD=y
CONFIG_MODULE_FORCE_UNLOAD=y
CONFIG_NET_NS=y
CONFIG_USER_NS=y
CONFIG_IPV6=y
CONFIG_VETH=y
CONFIG_INET_DIAG=y
CONFIG_INET_TCP_DIAG=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_NET=y
CONFIG_VIRTIO_CONSOLE=y
CONFIG_NET_9P=y
CONFIG_NET_9P_VIRTIO=y
CONFIG_9P_FS=y
CONFIG_NETFS_SUPPORT=y
CONFIG_DEBUG_KERNEL=y
CONFIG_DEBUG_FS=y
CONFIG_KALLSYMS=y
CONFIG_KALLSYMS_ALL=y
CONFIG_KPROBES=y
CONFIG_KRETPROBES=y
CONFIG_KASAN=y
CONFIG_KASAN_GENERIC=y
CONFIG_KASAN_INLINE=y
CONFIG_KFENCE=y
CONFIG_PROVE_LOCKING=y
CONFIG_DEBUG_ATOMIC_SLEEP=y
CONFIG_DEBUG_OBJECTS=y
CONFIG_DEBUG_OBJECTS_TIMERS=y
CONFIG_DEBUG_OBJECTS_WORK=y
CONFIG_DEBUG_OBJECTS_RCU_HEAD=y
CONFIG_DEBUG_KMEMLEAK=y
CONFIG_DEBUG_KMEMLEAK_MEM_POOL_SIZE=16000
CONFIG_DEBUG_KMEMLEAK_DEFAULT_OFF=n
CONFIG_DEBUG_KMEMLEAK_AUTO_SCAN=n
CONFIG_DEBUG_LIST=y
CONFIG_DEBUG_NET=y
CONFIG_BUG_ON_DATA_CORRUPTION=y'

die() { echo "debug-kernel: $*" >&2; exit 1; }

cache=${KRELAY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/krelay}/debug-kernel

pkgver() {
	dpkg-query -W -f='${Version}' "$PKG" 2>/dev/null ||
		die "$PKG is not installed (run 'make deps')"
}

key() {
	printf '%s\n%s\n%s\n' "$(pkgver)" "$FRAGMENT" "$DK_VERSION" |
		sha256sum | cut -c1-16
}

built_root() {
	local d
	d="$cache/$(key)"
	[ -f "$d/complete" ] || return 1
	echo "$d/root"
}

build() {
	local d src kver jobs
	d="$cache/$(key)"
	mkdir -p "$d"
	exec 9>"$d/lock"
	flock 9
	if [ -f "$d/complete" ]; then
		echo "$d/root"
		return 0
	fi
	[ -f "$TARBALL" ] || die "no $TARBALL (run 'make deps')"
	jobs=${DK_JOBS:-$(nproc)}
	src="$d/src"
	rm -rf "$src" "$d/root"
	mkdir -p "$src"
	echo "debug-kernel: unpacking $PKG $(pkgver) into $src" >&2
	tar -xJf "$TARBALL" -C "$src" --strip-components=1
	printf '%s\n' "$FRAGMENT" >"$d/fragment.config"
	(
		cd "$src"
		make -s defconfig
		make -s kvm_guest.config
		scripts/kconfig/merge_config.sh -m .config "$d/fragment.config" >/dev/null
		make -s olddefconfig
	)
	# Every =y/=value of the fragment must have survived olddefconfig.
	local line miss=
	while IFS= read -r line; do
		case "$line" in
		*=n) grep -qx "# ${line%=n} is not set" "$src/.config" || miss+=" $line" ;;
		*) grep -qxF "$line" "$src/.config" || miss+=" $line" ;;
		esac
	done <<<"$FRAGMENT"
	[ -z "$miss" ] || die "config options not applied:$miss"
	echo "debug-kernel: building with $jobs jobs (log: $d/build.log)" >&2
	if ! nice -n 19 make -C "$src" -j"$jobs" bzImage modules >"$d/build.log" 2>&1; then
		tail -n 30 "$d/build.log" >&2
		die "build failed (see $d/build.log)"
	fi
	kver=$(make -s -C "$src" kernelrelease)
	mkdir -p "$d/root/boot"
	make -s -C "$src" modules_install INSTALL_MOD_PATH="$d/root" \
		INSTALL_MOD_STRIP=1 >>"$d/build.log" 2>&1
	ln -sfn "$src" "$d/root/lib/modules/$kver/build"
	cp "$src/arch/x86/boot/bzImage" "$d/root/boot/vmlinuz-$kver"
	echo "$kver" >"$d/kver"
	touch "$d/complete"
	echo "debug-kernel: built $kver in $d/root" >&2
	echo "$d/root"
}

case "${1:-}" in
build) build ;;
root) built_root ;;
kver)
	r=$(built_root) || exit 1
	cat "$r/../kver"
	;;
key) key ;;
kroot)
	case "${2:?kroot: missing KVER}" in
	*"$LOCALVERSION")
		r=$(built_root) || die "debug kernel not built (make debug-kernel)"
		[ "$(cat "$r/../kver")" = "$2" ] || die "cached debug kernel is $(cat "$r/../kver"), not $2"
		echo "$r"
		;;
	esac
	;;
*) sed -n '2,23p' "$0" >&2; exit 2 ;;
esac
