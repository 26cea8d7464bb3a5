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
KUNIT_ASI := --kunitconfig=lib/kunit-asi --jobs=$(JOBS)
RESULTS := $(BUILD)/results
TALLY := python3 $(CURDIR)/tools/asi/tally.py

export KERNEL_TARBALL KERNEL_SRC

.DEFAULT_GOAL := kunit
.PHONY: kunit check tree checkpatch clean help

help:
	@echo 'make kunit     build UML with ASI and run the KUnit suites (default)'
	@echo 'make check     the pre-submit gate: UML with ASI on, booted with'
	@echo '               asi=off and mitigations=off, built with ASI=n, and'
	@echo '               checkpatch --strict; ends with "N passed, N failed"'
	@echo 'make tree      only assemble the kernel tree in $(TREE)'
	@echo 'make clean     remove $(BUILD)'
	@echo 'Variables: KERNEL_TARBALL=<6.12.y tarball>  KERNEL_SRC=<6.12 tree>'
	@echo '           BUILD=<dir>  JOBS=<n>'

tree:
	@bash tools/asi/mktree.sh $(CURDIR) $(TREE)

kunit: tree
	$(KUNIT) run $(KUNIT_ASI) --build_dir=$(BUILD)/um

# Every step runs even if an earlier one failed; tally.py adds up the KUnit
# cases of all runs and fails the target if anything failed.
check: tree
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	-$(KUNIT) run $(KUNIT_ASI) --build_dir=$(BUILD)/um \
		--kernel_args asi_kunit.expect=on 2>&1 | tee $(RESULTS)/um-asi-on.log
	-$(KUNIT) exec --build_dir=$(BUILD)/um \
		--kernel_args asi=off --kernel_args asi_kunit.expect=off \
		2>&1 | tee $(RESULTS)/um-asi-off.log
	-$(KUNIT) exec --build_dir=$(BUILD)/um \
		--kernel_args mitigations=off --kernel_args asi_kunit.expect=off \
		2>&1 | tee $(RESULTS)/um-mitigations-off.log
	-$(KUNIT) run $(KUNIT_ASI) --build_dir=$(BUILD)/um-noasi \
		--kconfig_add CONFIG_MITIGATION_ADDRESS_SPACE_ISOLATION=n \
		--kernel_args asi_kunit.expect=off \
		2>&1 | tee $(RESULTS)/um-config-off.log
	-@$(MAKE) --no-print-directory checkpatch 2>&1 | tee $(RESULTS)/checkpatch.log
	@$(TALLY) $(RESULTS)

checkpatch: tree
	@cd $(TREE) && files=$$(cd $(CURDIR) && find arch include lib mm \
		-name '*.[ch]' | sort) && \
	./scripts/checkpatch.pl --strict --quiet --show-types -f $$files && \
	echo "checkpatch: clean ($$(echo $$files | wc -w) files)" || \
	{ echo "checkpatch: FAILED"; exit 1; }

clean:
	rm -rf $(BUILD)
