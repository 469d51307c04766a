# SPDX-License-Identifier: GPL-2.0
#
# krelay top-level Makefile.
#
#   make                 build krelay.ko + krelay_trace.ko for KVER, userctl, test tools
#   make modules-all     build the modules for every supported kernel installed
#   make demo            deps, build, boot a 6.1 VM, relay iperf3, show stats and tracer report
#   make check           the full test suite (unit tests, VM scenarios on 6.1 and 6.12)
#   make debug-kernel    build the debug kernel (KASAN, lockdep, kmemleak...; ~30-50 min, cached)
#   make check-debug     build the debug kernel if needed, run the suite on it only
#   make bench           benchmark krelay against userspace relays in one VM boot
#   make profile         perf profile of one iperf3 stream: direct, krelay, haproxy
#   make install         userctl, man page, completion under $(DESTDIR)$(PREFIX);
#                        krelay.service, /etc/krelay/krelay.conf (service/)
#   make dkms-install    dkms add/build/install for every supported kernel installed
#   make deb             Debian packages krelay-dkms, krelay-utils in out/deb/
#
# KVER picks the kernel to build modules for (default: the first supported
# kernel whose headers are installed, see scripts/kernels.sh).

VERSION := $(shell cat VERSION)
KERNELS := $(shell scripts/kernels.sh)
KVER ?= $(firstword $(KERNELS))
# the debug kernel (scripts/debug-kernel.sh, release *-kdbg) lives in a cache
KDIR ?= $(if $(filter %-kdbg,$(KVER)),$(shell scripts/debug-kernel.sh root)/lib/modules/$(KVER),/lib/modules/$(KVER))/build
BUILD := build/$(KVER)
PREFIX ?= /usr/local
DESTDIR ?=
MODSRC := Kbuild VERSION include kmod kprobes


.PHONY: all deps modules modules-all userctl tools unit check check-scale demo bench profile \
	debug-kernel check-debug \
	install uninstall dkms-install dkms-remove deb clean lint

all: modules userctl tools

deps:
	scripts/deps.sh

# Each kernel gets its own copy of the module sources under build/<kver>/,
# so objects for 6.1 and 6.12 never mix.
modules:
	@if [ -z "$(KVER)" ] || [ ! -e "$(KDIR)/Makefile" ]; then \
		echo "krelay: no kernel headers for '$(KVER)' (looked in $(KDIR));" \
		     "supported: Linux 6.1 and 6.12 LTS; run 'make deps'" >&2; exit 1; fi
	@mkdir -p $(BUILD)
	@cp -a $(MODSRC) $(BUILD)/
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(BUILD) W=$(W) C=$(C) modules

modules-all:
	@set -e; for k in $(KERNELS); do $(MAKE) --no-print-directory modules KVER=$$k; done

userctl:
	$(MAKE) -C userctl

tools:
	$(MAKE) -C tests/tools

unit:
	$(MAKE) -C userctl test

check:
	scripts/check.sh

debug-kernel:
	scripts/debug-kernel.sh build

check-debug: debug-kernel
	KERNELS=debug CHECK_SKIP_LINT=1 scripts/check.sh

# Scenarios kept out of `make check` (suite=scale in their header).
check-scale:
	SCENARIOS=engine-scale scripts/check.sh

profile: modules-all userctl tools
	scripts/profile.sh

demo:
	scripts/demo.sh

bench:
	scripts/bench.sh

lint:
	scripts/lint.sh

install: userctl
	$(MAKE) -C userctl install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	$(MAKE) -C service install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

uninstall:
	$(MAKE) -C userctl uninstall PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	$(MAKE) -C service uninstall PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

dkms-install:
	scripts/dkms.sh install

dkms-remove:
	scripts/dkms.sh remove

deb:
	scripts/deb.sh

clean:
	rm -rf build
	-$(MAKE) -C userctl clean
	-$(MAKE) -C tests/tools clean
