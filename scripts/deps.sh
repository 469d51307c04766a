#!/usr/bin/env bash
# Install every Debian package krelay needs to build, boot its test VMs,
# run its tests and benchmarks.  Idempotent: packages already present are
# skipped, so a second run costs one dpkg query.
set -euo pipefail

PKGS=(
	# kernels the module supports, with their headers (6.1 LTS, 6.12 LTS)
	linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	# build
	build-essential make gcc pkg-config kmod bc
	libnl-3-dev libnl-genl-3-dev libjson-c-dev libcmocka-dev
	sparse cppcheck
	# checkpatch.pl (and sources for a debug kernel) come from here
	linux-source-6.12
	# the debug kernel (scripts/debug-kernel.sh, make check-debug)
	linux-source-6.1 flex bison libelf-dev libssl-dev
	# test VMs
	qemu-system-x86 busybox-static cpio xz-utils zstd
	# traffic in the guest
	iperf3 socat curl iproute2 jq
	# install path; Debian packages (make deb: debhelper, dh-dkms)
	dkms man-db debhelper dh-dkms
	# YNL netlink spec check (tests/ynl-spec.sh: ynl validates with jsonschema)
	python3-yaml python3-jsonschema
	# parsers of userctl -o prometheus (host side of userctl-prometheus)
	prometheus python3-prometheus-client
	# benchmark peers and charts (make bench)
	haproxy rinetd nginx-light libnginx-mod-stream gnuplot-nox linux-perf
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#PKGS[@]} packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}" >&2
	echo "deps: run as root (or: sudo $0)" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Kernel postinst hooks would try to build an initramfs for the host; the
# test VMs build their own, so skip the hook's work where we can.
# The benchmark peers (haproxy, nginx, rinetd) run only inside test VMs: keep
# their packages from starting services on this machine.
prc=/usr/sbin/policy-rc.d
own_prc=
if [ ! -e $prc ]; then
	printf '#!/bin/sh\nexit 101\n' >$prc
	chmod +x $prc
	own_prc=1
fi
trap '[ -n "$own_prc" ] && rm -f $prc' EXIT
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
