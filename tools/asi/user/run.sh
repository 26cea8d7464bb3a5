#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# One userspace run: boot a kernel of the KUnit builds with the KUnit
# suites off (kunit.enable=0) into the initramfs of build.sh, whose /init
# prints KTAP on the console, and have kunit.py parse it, so that the
# tally counts the run like a KUnit run.
#
#   run.sh um  BUILD_DIR INITRAMFS RESULTS NAME EXPECT [KERNEL ARGS...]
#   run.sh x86 BUILD_DIR INITRAMFS RESULTS NAME EXPECT [KERNEL ARGS...]
#
# EXPECT is on or off: whether /init must find the ASI classes entered.
# Writes RESULTS/NAME.ktap (the console) and prints kunit.py's parse of
# it, whose last line the tally reads (make check keeps it as NAME.log).  x86 runs in QEMU with 4 CPUs and -cpu max (SVM with nested
# paging, for the KVM class); UML as the KUnit runs do.  Neither has a
# network.

set -euo pipefail

die() { echo "user/run: error: $*" >&2; exit 1; }

[ $# -ge 6 ] || die "usage: $0 um|x86 BUILD_DIR INITRAMFS RESULTS NAME EXPECT [ARGS...]"
ARCH=$1 BUILD_DIR=$2 INITRAMFS=$3 RESULTS=$4 NAME=$5 EXPECT=$6
shift 6
# The tree beside the build directory, as the Makefile lays them out.
KUNIT_PY=$(dirname "$BUILD_DIR")/linux/tools/testing/kunit/kunit.py
TIMEOUT=${ASI_USER_TIMEOUT:-1200}
ARGS="kunit.enable=0 quiet panic=-1 asi_user.expect=$EXPECT $*"
mkdir -p "$RESULTS"
KTAP=$RESULTS/$NAME.ktap

[ -f "$INITRAMFS" ] || die "no $INITRAMFS"
case $ARCH in
um)
	[ -x "$BUILD_DIR/linux" ] || die "no $BUILD_DIR/linux"
	timeout "$TIMEOUT" "$BUILD_DIR/linux" mem=1G console=tty \
		initrd="$INITRAMFS" $ARGS \
		< /dev/null > "$KTAP" 2>&1 || true
	;;
x86)
	# vmlinux, through its PVH entry point, as make x86 boots it.
	K=$BUILD_DIR/vmlinux
	[ -f "$K" ] || die "no $K"
	command -v qemu-system-x86_64 >/dev/null || die "no qemu-system-x86_64"
	# QEMU's software emulation hands the guest the host's own TSC.
	# Calibrating it against the emulated PIT fails now and then on a
	# loaded machine (each PIT read is an exit of the emulator, and a
	# vCPU thread preempted in the middle spoils every try): the kernel
	# then runs without a TSC and KVM reports a TSC rate of 0, which the
	# KVM programs refuse.  Measure the rate here and tell the kernel,
	# as a hypervisor's CPUID leaf would.
	TSC=$(dirname "$INITRAMFS")/tsc-khz
	HERE=$(cd "$(dirname "$0")" && pwd)
	if [ ! -x "$TSC" ] || [ "$HERE/tsc-khz.c" -nt "$TSC" ]; then
		gcc -O2 -Wall -o "$TSC" "$HERE/tsc-khz.c" ||
			die "cannot build $TSC"
	fi
	KHZ=$("$TSC") || die "cannot measure the TSC rate"
	ARGS="$ARGS tsc_early_khz=$KHZ"
	timeout "$TIMEOUT" unshare -n qemu-system-x86_64 -nodefaults \
		-nographic -serial stdio -no-reboot -bios qboot.rom \
		-cpu max -smp 4 -m 4096 -kernel "$K" -initrd "$INITRAMFS" \
		-append "console=ttyS0 asi_user.halt=reboot $ARGS" \
		< /dev/null > "$KTAP" 2>&1 || true
	;;
*)
	die "unknown arch $ARCH"
	;;
esac
tr -d '\r' < "$KTAP" > "$KTAP.tmp" && mv "$KTAP.tmp" "$KTAP"
python3 "$KUNIT_PY" parse "$KTAP"
