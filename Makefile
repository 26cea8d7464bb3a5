# SPDX-License-Identifier: GPL-2.0
#
# The front door of the ASI overlay: assemble a Linux 6.12 tree with this
# repository laid over it, build it and run the KUnit suites.  `make help`.

KERNEL_TARBALL ?= /usr/src/linux-source-6.12.tar.xz
KERNEL_SRC ?=
BUILD ?= $(CURDIR)/build
JOBS ?= $(shell nproc)

TREE := $(BUILD)/linux
KUNIT := cd $(TREE) && ./tools/testing/kunit/kunit.py
KUNIT_ASI := --kunitconfig=lib/kunit-asi
KUNIT_UM := $(KUNIT_ASI) --kunitconfig=lib/kunit-asi/um.kunitconfig
RESULTS := $(BUILD)/results
KUNIT_X86 := $(KUNIT_ASI) --kunitconfig=lib/kunit-asi/x86.kunitconfig \
	--arch=x86_64 \
	--qemu_config=tools/testing/kunit/qemu_configs/x86_64-asi.py

# KVM=1: run the x86 kernel with hardware virtualization (PCID, INVPCID).
ifeq ($(KVM),1)
KUNIT_X86 += --qemu_args='-enable-kvm -cpu host'
endif
TALLY := python3 $(CURDIR)/tools/asi/tally.py
# kunit.py run in its steps (config, make, exec): see the script.
RUN_UM = bash $(CURDIR)/tools/asi/kunit-run.sh $(TREE) $(JOBS) um
RUN_X86 = bash $(CURDIR)/tools/asi/kunit-run.sh $(TREE) $(JOBS) x86_64
BUILD_X86 = ASI_KUNIT_BUILD_ONLY=1 $(RUN_X86)
# Bochs: the same x86 kernel on emulated CPUs with PCID (see the script).
BOCHS_RUN = BOCHS_CPUS=$(BOCHS_CPUS) bash $(CURDIR)/tools/asi/bochs-run.sh \
	$(TREE) $(BUILD)/x86
BOCHS_CPUS ?= 4
BOCHS_TIMEOUT ?= 600
PCID_CPU := corei7_haswell_4770
# Bochs's legacy CPUID topology makes every boot warn in parse_legacy();
# the first case claims exactly that report (lib/kunit-asi/asi_off_test.c).
BOCHS_ARGS := asi_kunit.boot_warnings=parse_legacy
PCID_NOINVPCID_CPU := corei7_sandy_bridge_2600k

# KASAN=1: make kunit runs the suites under KASAN, in a build of its own
# (a cold build takes about a minute longer).  make check is the same
# either way: it always has a KASAN run of its own.
KASAN_UM := --kconfig_add CONFIG_KASAN=y
ifeq ($(KASAN),1)
KUNIT_UM_MAIN := $(KUNIT_UM) $(KASAN_UM)
UM_BUILD := $(BUILD)/um-kasan
else
KUNIT_UM_MAIN := $(KUNIT_UM)
UM_BUILD := $(BUILD)/um
endif

export KERNEL_TARBALL KERNEL_SRC

# The userspace runs: the KUnit builds booted into a busybox initramfs
# with the workload, the tree's mm and KVM selftests and a KVM guest
# (tools/asi/user/), with both clients on, and with asi=off.
USER_IMG := $(BUILD)/user/initramfs.cpio
USER_BUILD = bash $(CURDIR)/tools/asi/user/build.sh $(TREE) $(BUILD)/user
USER_RUN = bash $(CURDIR)/tools/asi/user/run.sh
USER_ON := asi_userspace=on asi_kvm=on
# VMX: QEMU's emulation has none, Bochs's Haswell model has it.  The small
# image (the KVM guest only), two CPUs.
VMX_RUN = BOCHS_CPUS=2 BOCHS_INITRD=$(BUILD)/user/initramfs-kvm.cpio \
	bash $(CURDIR)/tools/asi/bochs-run.sh $(TREE) $(BUILD)/x86 $(PCID_CPU) \
	$(BOCHS_TIMEOUT) kunit.enable=0 asi_user.only=kvm asi_user.halt=reboot \
	asi_user.boot_warnings=parse_legacy
VMX_LOG = $(BUILD)/x86/bochs-$(PCID_CPU)-user/serial.log

.DEFAULT_GOAL := kunit
.PHONY: kunit x86 user x86-user bench check tree checkpatch patches clean help

help:
	@echo 'make kunit     build UML with ASI and run the KUnit suites (default)'
	@echo 'make x86       build x86_64 with ASI and run the suites in QEMU'
	@echo '               (4 CPUs); EMU=bochs: under Bochs, PCID and INVPCID'
	@echo 'make user      make kunit, then boot that UML kernel into a busybox'
	@echo '               userspace (workload, mm selftests) with the'
	@echo '               userspace and KVM classes on (tools/asi/user/)'
	@echo 'make x86-user  the same on x86_64 in QEMU (4 CPUs, emulated SVM),'
	@echo '               with a KVM guest and KVM selftests'
	@echo 'make bench     what ASI costs: benchmarks in the kernel and in a'
	@echo '               userspace, ASI on and asi=off, on UML, x86 in QEMU'
	@echo '               and Bochs (PCID); a table, and build/results/bench.*'
	@echo 'make check     the pre-submit gate: UML and x86_64 with ASI on,'
	@echo '               booted with asi=off (and mitigations=off), built'
	@echo '               with ASI=n, and checkpatch --strict; ends with'
	@echo '               "N passed, N failed"'
	@echo 'make patches   write the project as a patch series (git am-able,'
	@echo '               signed off with your git identity) to $(BUILD)/patches'
	@echo 'make tree      only assemble the kernel tree in $(TREE)'
	@echo 'make clean     remove $(BUILD)'
	@echo 'Variables: KERNEL_TARBALL=<6.12.y tarball>  KERNEL_SRC=<6.12 tree>'
	@echo '           BUILD=<dir>  JOBS=<n>  KASAN=1 (UML runs under KASAN)'
	@echo '           KVM=1 (x86 runs under KVM, for machines that can)'
	@echo '           EMU=bochs (make x86 under Bochs)  BOCHS_CPUS=<n>'
	@echo '           ASI_CCACHE=0 (no ccache)  BENCH_BOCHS_BOOTS=<n>'

tree:
	@bash tools/asi/mktree.sh $(CURDIR) $(TREE)

kunit: tree
	ASI_KUNIT_SPLIT=1 $(RUN_UM) $(UM_BUILD) $(KUNIT_UM_MAIN)

# EMU=bochs: boot it under Bochs on a CPU with PCID and INVPCID instead.
ifeq ($(EMU),bochs)
x86: tree
	$(BUILD_X86) $(BUILD)/x86 $(KUNIT_X86)
	$(BOCHS_RUN) $(PCID_CPU) $(BOCHS_TIMEOUT) $(BOCHS_ARGS)
else
x86: tree
	$(RUN_X86) $(BUILD)/x86 $(KUNIT_X86)
endif

user: kunit
	$(USER_BUILD)
	$(USER_RUN) um $(BUILD)/um $(USER_IMG) $(BUILD)/user/results \
		um-user on $(USER_ON)

x86-user: x86
	$(USER_BUILD)
	$(USER_RUN) x86 $(BUILD)/x86 $(USER_IMG) $(BUILD)/user/results \
		x86-user on $(USER_ON)

# What ASI costs: the UML and x86 kernels of make kunit and make x86
# (built, not run) booted with their benchmarks, ASI on and asi=off.
bench: tree
	ASI_KUNIT_BUILD_ONLY=1 $(RUN_UM) $(BUILD)/um $(KUNIT_UM)
	$(BUILD_X86) $(BUILD)/x86 $(KUNIT_X86)
	$(USER_BUILD)
	bash $(CURDIR)/tools/asi/bench.sh $(CURDIR) $(BUILD)

# Every step runs even if an earlier one failed; tally.py adds up the KUnit
# cases of all runs and fails the target if anything failed.  Each run's
# kernel log (KTAP) is kept beside kunit.py's output: the tally reads the
# reasons of skipped cases there.
check: tree
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	-$(RUN_UM) $(BUILD)/um $(KUNIT_UM) \
		-- --kernel_args asi_kunit.expect=on 2>&1 | tee $(RESULTS)/um-asi-on.log
	-@cp $(BUILD)/um/test.log $(RESULTS)/um-asi-on.ktap
	-$(KUNIT) exec --build_dir=$(BUILD)/um \
		--kernel_args asi=off --kernel_args asi_kunit.expect=off \
		2>&1 | tee $(RESULTS)/um-asi-off.log
	-@cp $(BUILD)/um/test.log $(RESULTS)/um-asi-off.ktap
	-$(KUNIT) exec --build_dir=$(BUILD)/um \
		--kernel_args mitigations=off --kernel_args asi_kunit.expect=off \
		2>&1 | tee $(RESULTS)/um-mitigations-off.log
	-@cp $(BUILD)/um/test.log $(RESULTS)/um-mitigations-off.ktap
	-$(RUN_UM) $(BUILD)/um-kasan $(KUNIT_UM) $(KASAN_UM) \
		-- --kernel_args asi_kunit.expect=on \
		2>&1 | tee $(RESULTS)/um-kasan.log
	-@cp $(BUILD)/um-kasan/test.log $(RESULTS)/um-kasan.ktap
	-$(RUN_UM) $(BUILD)/um-noasi $(KUNIT_UM) \
		--kconfig_add CONFIG_MITIGATION_ADDRESS_SPACE_ISOLATION=n \
		--kconfig_add CONFIG_DEBUG_ASI=n \
		-- --kernel_args asi_kunit.expect=off \
		2>&1 | tee $(RESULTS)/um-config-off.log
	-@cp $(BUILD)/um-noasi/test.log $(RESULTS)/um-config-off.ktap
	-$(RUN_X86) $(BUILD)/x86 $(KUNIT_X86) \
		-- --kernel_args asi_kunit.expect=on 2>&1 | tee $(RESULTS)/x86-asi-on.log
	-@cp $(BUILD)/x86/test.log $(RESULTS)/x86-asi-on.ktap
	-$(KUNIT) exec $(KUNIT_X86) --build_dir=$(BUILD)/x86 \
		--kernel_args asi=off --kernel_args asi_kunit.expect=off \
		2>&1 | tee $(RESULTS)/x86-asi-off.log
	-@cp $(BUILD)/x86/test.log $(RESULTS)/x86-asi-off.ktap
	-$(KUNIT) exec $(KUNIT_X86) --build_dir=$(BUILD)/x86 \
		--kernel_args nogbpages --kernel_args asi_kunit.expect=on \
		2>&1 | tee $(RESULTS)/x86-nogbpages.log
	-@cp $(BUILD)/x86/test.log $(RESULTS)/x86-nogbpages.ktap
	-$(BUILD_X86) $(BUILD)/x86 $(KUNIT_X86)
	-$(BOCHS_RUN) $(PCID_CPU) $(BOCHS_TIMEOUT) $(BOCHS_ARGS) asi_kunit.expect=on \
		2>&1 | tee $(RESULTS)/x86-pcid.log
	-@cp $(BUILD)/x86/bochs-$(PCID_CPU)/serial.log $(RESULTS)/x86-pcid.ktap
	-$(BOCHS_RUN) $(PCID_NOINVPCID_CPU) $(BOCHS_TIMEOUT) $(BOCHS_ARGS) \
		asi_kunit.expect=on 2>&1 | tee $(RESULTS)/x86-pcid-noinvpcid.log
	-@cp $(BUILD)/x86/bochs-$(PCID_NOINVPCID_CPU)/serial.log $(RESULTS)/x86-pcid-noinvpcid.ktap
	-$(RUN_X86) $(BUILD)/x86-noasi $(KUNIT_X86) \
		--kconfig_add CONFIG_MITIGATION_ADDRESS_SPACE_ISOLATION=n \
		--kconfig_add CONFIG_DEBUG_ASI=n \
		-- --kernel_args asi_kunit.expect=off \
		2>&1 | tee $(RESULTS)/x86-config-off.log
	-@cp $(BUILD)/x86-noasi/test.log $(RESULTS)/x86-config-off.ktap
	-$(USER_BUILD) 2>&1 | tee $(RESULTS)/user-build.txt
	-$(USER_RUN) um $(BUILD)/um $(USER_IMG) $(RESULTS) um-user-asi-on on \
		$(USER_ON) 2>&1 | tee $(RESULTS)/um-user-asi-on.log
	-$(USER_RUN) um $(BUILD)/um $(USER_IMG) $(RESULTS) um-user-asi-off off \
		asi=off 2>&1 | tee $(RESULTS)/um-user-asi-off.log
	-$(USER_RUN) x86 $(BUILD)/x86 $(USER_IMG) $(RESULTS) x86-user-asi-on on \
		$(USER_ON) 2>&1 | tee $(RESULTS)/x86-user-asi-on.log
	-$(USER_RUN) x86 $(BUILD)/x86 $(USER_IMG) $(RESULTS) x86-user-asi-off \
		off asi=off 2>&1 | tee $(RESULTS)/x86-user-asi-off.log
	-$(VMX_RUN) asi_user.expect=on asi_kvm=on 2>&1 | \
		tee $(RESULTS)/x86-vmx-asi-on.log
	-@cp $(VMX_LOG) $(RESULTS)/x86-vmx-asi-on.ktap
	-$(VMX_RUN) asi_user.expect=off asi=off 2>&1 | \
		tee $(RESULTS)/x86-vmx-asi-off.log
	-@cp $(VMX_LOG) $(RESULTS)/x86-vmx-asi-off.ktap
	-@$(MAKE) --no-print-directory checkpatch 2>&1 | tee $(RESULTS)/checkpatch.log
	-@{ ASI_SERIES_THROWAWAY=1 $(SERIES) export $(CURDIR) $(TREE) \
		$(BUILD)/series-check && ASI_SERIES_THROWAWAY=1 $(SERIES) verify \
		$(CURDIR) $(TREE) $(BUILD)/series-check; } 2>&1 | tee $(RESULTS)/series.log
	-@$(TALLY) --self-test 2>&1 | tee $(RESULTS)/tally-selftest.log
	@$(TALLY) $(RESULTS)

SERIES := bash $(CURDIR)/tools/asi/series.sh

patches: tree
	$(SERIES) export $(CURDIR) $(TREE) $(BUILD)/patches

checkpatch: tree
	@cd $(TREE) && files=$$(cd $(CURDIR) && find arch include lib mm \
		-name '*.[ch]' | sort) && \
	./scripts/checkpatch.pl --strict --quiet --show-types -f $$files && \
	echo "checkpatch: clean ($$(echo $$files | wc -w) files)" || \
	{ echo "checkpatch: FAILED"; exit 1; }

clean:
	rm -rf $(BUILD)
