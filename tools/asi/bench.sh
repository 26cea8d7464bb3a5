#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: what ASI costs, measured, not asserted.
#
#   bench.sh REPO BUILD
#
# Boots the kernels of make kunit (BUILD/um) and make x86 (BUILD/x86)
# into the initramfs of the userspace runs with asi_kunit.bench=1 (the
# in-kernel benchmarks of lib/kunit-asi/asi_bench.c: enter/exit, relax,
# a bare CR3 write pair, an mm's life and teardown) and
# asi_user.only=bench (tools/asi/user/bench.c: getpid, a pipe round
# trip, mmap with faults, fork and exit, a KVM guest's I/O exits), once
# with both classes on and once with asi=off, on UML and on x86 in QEMU
# (4 CPUs, software emulation), and the x86 kernel under Bochs on a CPU
# with PCID and INVPCID (in-kernel benchmarks only: Bochs runs 20 million
# instructions a second; BENCH_BOCHS_BOOTS boots each, 3 by default, of
# which the table takes the median).  Prints a table and writes it as
# BUILD/results/bench.csv and bench.json; the console logs stay beside
# them (bench-*.log).
#
# Each figure is the median of its batches, with the fastest and the
# slowest batch; the on/off ratios compare two boots of the same kernel
# binary on the same machine, one after the other.  Emulated CPUs
# distort absolute costs (a CR3 write under QEMU flushes its whole
# software TLB; UML's "CR3 write" is the TLB model's): compare ratios.

set -euo pipefail

die() { echo "bench: error: $*" >&2; exit 1; }

[ $# = 2 ] || die "usage: $0 REPO BUILD"
REPO=$(cd "$1" && pwd)
BUILD=$(cd "$2" && pwd)
RES=$BUILD/results
USER_IMG=$BUILD/user/initramfs.cpio
RUN="bash $REPO/tools/asi/user/run.sh"
BOOTS=${BENCH_BOCHS_BOOTS:-3}
[[ $BOOTS =~ ^[1-9][0-9]*$ ]] || die "BENCH_BOCHS_BOOTS=$BOOTS: a number of boots, 1 or more"
mkdir -p "$RES"
# The table reads every bench log there: none of an earlier run may stay.
rm -f "$RES"/bench-*.log
ON="asi_userspace=on asi_kvm=on"
# loglevel=7: the in-kernel figures are pr_info(), and the runs boot quiet.
BENCH="asi_kunit.bench=1 asi_user.only=bench loglevel=7"

for f in "$BUILD/um/linux" "$BUILD/x86/vmlinux" "$BUILD/x86/arch/x86/boot/bzImage" \
	"$USER_IMG"; do
	[ -e "$f" ] || die "no $f (the Makefile builds it first)"
done

# boot NAME ARCH ARGS...: the console of one bench boot, in bench-NAME.log.
boot() {
	local name=$1 arch=$2
	shift 2
	echo "bench: $name"
	ASI_USER_TIMEOUT=900 $RUN "$arch" "$BUILD/$arch" "$USER_IMG" \
		"$RES/bench-tmp" "$name" x $BENCH "$@" >/dev/null 2>&1 || true
	mv "$RES/bench-tmp/$name.ktap" "$RES/bench-$name.log"
	grep -q '^# bench: done' "$RES/bench-$name.log" ||
		echo "bench: $name did not finish: see $RES/bench-$name.log"
}

boot um-on um $ON
boot um-off um asi=off
boot x86-on x86 $ON
boot x86-off x86 asi=off
rm -rf "$RES/bench-tmp"

# Bochs, Haswell (PCID, INVPCID): the in-kernel benchmarks, from the small
# image (no benchmark programs: too slow there).  Bochs counts
# instructions, so its batches barely move within a boot: the fairest
# on/off ratio of an mm's life and teardown.  One boot can still differ
# from the next by several percent (where the timer's interrupts and the
# other CPU's work land), more than the 2 % the teardown's aim is about:
# BENCH_BOCHS_BOOTS boots of each (3), on and off in turn, and the table
# takes the median of their medians.
bochs() { # NAME ARGS...
	local name=$1
	shift
	echo "bench: $name (Bochs)"
	BOCHS_CPUS=2 BOCHS_INITRD=$BUILD/user/initramfs-kvm.cpio \
		bash "$REPO/tools/asi/bochs-run.sh" "$BUILD/linux" \
		"$BUILD/x86" corei7_haswell_4770 900 kunit.enable=0 $BENCH \
		asi_user.halt=reboot "$@" >/dev/null 2>&1 || true
	cp "$BUILD/x86/bochs-corei7_haswell_4770-user/serial.log" \
		"$RES/bench-$name.log" ||
		echo "bench: $name left no serial log"
	grep -q 'asi_bench: done' "$RES/bench-$name.log" ||
		echo "bench: $name did not finish: see $RES/bench-$name.log"
}
for i in $(seq "$BOOTS"); do
	bochs "x86-pcid-on.$i" $ON
	bochs "x86-pcid-off.$i" asi=off
done

python3 "$REPO/tools/asi/bench_table.py" "$RES"
