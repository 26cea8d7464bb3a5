#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The initramfs of the userspace runs: Debian's static busybox, the
# workload (workload.c), a KVM guest of our own (kvm_guest.c), and the
# kernel tree's own mm and KVM selftests that build statically, all x86_64
# programs, so that one image boots on x86 (QEMU) and UML alike.
#
#   build.sh TREE OUT      writes OUT/initramfs.cpio, and
#                          OUT/initramfs-kvm.cpio: busybox, /init and the
#                          KVM guest only, for Bochs (asi_user.only=kvm)
#
# TREE is the assembled kernel tree (make tree): the selftests and the
# UAPI headers (make headers, into OUT/headers) are its own.  A program
# is rebuilt when its sources are newer.  As root it installs the Debian
# packages it needs with apt-get, like mktree.sh; otherwise it prints the
# apt-get line.

set -euo pipefail

die() { echo "user/build: error: $*" >&2; exit 1; }
say() { echo "user/build: $*"; }

[ $# = 2 ] || die "usage: $0 TREE OUT"
HERE=$(cd "$(dirname "$0")" && pwd)
TREE=$(cd "$1" && pwd)
mkdir -p "$2"
OUT=$(cd "$2" && pwd)
ROOT=$OUT/root
HDR=$OUT/headers
ST=$TREE/tools/testing/selftests

# The mm selftests that run here; why the others do not is in the README.
MM_TESTS="map_fixed_noreplace mremap_dontunmap mremap_test mlock2-tests
on-fault-limit madv_populate memfd_secret mdwe_test mseal_test droppable
soft-dirty mrelease_test mkdirty seal_elf gup_longterm cow"
# Of those, the ones UML cannot run, and why: /init reports them skipped.
MM_SKIP_UM="mremap_test its 2 GB mappings do not fit UML's 1 GB of memory
mseal_test two cases want the page below a new mapping unmapped, which UML's mmap layout does not give"
# The KVM selftests that run here (x86, on QEMU's emulated SVM).
KVM_TESTS="kvm_binary_stats_test guest_print_test kvm_create_max_vcpus
kvm_page_table_test x86_64/sync_regs_test x86_64/userspace_io_test
x86_64/cpuid_test x86_64/platform_info_test x86_64/set_sregs_test
x86_64/state_test x86_64/fix_hypercall_test x86_64/userspace_msr_exit_test
x86_64/exit_on_emulation_failure_test"
# Extra sources of a test, beyond vm_util.c and thp_settings.c.
mm_extra() {
	case $1 in
	uffd-unit-tests) echo "$ST/mm/uffd-common.c" ;;
	esac
}

# Debian packages: static busybox, static libcap (memfd_secret).
PKGS="busybox-static libcap-dev"
missing() {
	# The busybox package's is dynamic: it has an ELF interpreter.
	[ -x /bin/busybox ] &&
		[ "$(readelf -l /bin/busybox 2>/dev/null | grep -c INTERP)" = 0 ] ||
		return 0
	[ -f /usr/lib/x86_64-linux-gnu/libcap.a ] || return 0
	[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || return 0
	return 1
}
if missing; then
	[ "$(id -u)" = 0 ] || die "missing packages. As root, run:
    apt-get update && apt-get install -y $PKGS libc6-dev"
	say "installing: $PKGS"
	DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends $PKGS libc6-dev >/dev/null
	missing && die "still missing after apt-get install $PKGS"
fi

# The tree's UAPI headers, once per tree.
if [ ! -f "$HDR/.stamp" ] || [ "$TREE/.asi-patches" -nt "$HDR/.stamp" ]; then
	say "headers"
	make -s -C "$TREE" O="$HDR" ARCH=x86 headers >/dev/null
	touch "$HDR/.stamp"
fi

CFLAGS="-static -O2 -g0 -D_GNU_SOURCE -I$HDR/usr/include"
# cc OUTPUT SOURCES... [-- FLAGS...]: build OUTPUT if a source is newer.
cc_if_newer() {
	local out=$1 src stale=0
	shift
	for src in "$@"; do
		[ "$src" = -- ] && break
		[ "$out" -nt "$src" ] || stale=1
	done
	[ -x "$out" ] && [ $stale = 0 ] && return 0
	local srcs=() flags=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do srcs+=("$1"); shift; done
	[ $# -gt 0 ] && shift && flags=("$@")
	gcc $CFLAGS -o "$out.tmp" "${srcs[@]}" "${flags[@]}" ||
		die "cannot build $out"
	mv "$out.tmp" "$out"
}

mkdir -p "$ROOT"/{bin,sbin,proc,sys,dev,tmp,selftests,kvm}
cp /bin/busybox "$ROOT/bin/busybox"
for a in $("$ROOT/bin/busybox" --list); do
	[ -e "$ROOT/bin/$a" ] || ln -s busybox "$ROOT/bin/$a"
done
install -m 755 "$HERE/init" "$ROOT/init"
cc_if_newer "$ROOT/bin/workload" "$HERE/workload.c" -- -pthread -Wall
cc_if_newer "$ROOT/bin/kvm_guest" "$HERE/kvm_guest.c" -- -Wall
cc_if_newer "$ROOT/bin/bench" "$HERE/bench.c" -- -Wall

# The mm selftests: local_config.h is what their Makefile generates
# without liburing.
mkdir -p "$OUT/mm-config"
: > "$OUT/mm-config/local_config.h"
: > "$ROOT/selftests/list"
# Built in their directory: a test that names a file after its source
# (__FILE__) then makes it in the working directory, as in the tree.
cd "$ST/mm"
for t in $MM_TESTS; do
	cc_if_newer "$ROOT/selftests/$t" "$t.c" vm_util.c thp_settings.c \
		$(mm_extra "$t") -- -I"$ST" -I"$OUT/mm-config" -w -pthread \
		-lrt -lm -lcap
	echo "$t" >> "$ROOT/selftests/list"
done
cd - >/dev/null
echo "$MM_SKIP_UM" > "$ROOT/selftests/skip-um"

# The KVM selftests, by their own Makefile, static.
: > "$ROOT/kvm/list"
targets=
for t in $KVM_TESTS; do
	targets="$targets $OUT/kvm-selftests/$t"
done
make -s -C "$ST/kvm" ARCH=x86_64 OUTPUT="$OUT/kvm-selftests" \
	KHDR_INCLUDES="-isystem $HDR/usr/include" EXTRA_CFLAGS=-static \
	LDFLAGS=-static $targets >/dev/null ||
	die "cannot build the KVM selftests"
for t in $KVM_TESTS; do
	mkdir -p "$ROOT/kvm/$(dirname "$t")"
	strip --strip-debug -o "$ROOT/kvm/$t" "$OUT/kvm-selftests/$t"
	echo "$t" >> "$ROOT/kvm/list"
done

# cpio ROOT NAME: OUT/NAME from the tree at ROOT.
cpio_of() {
	(cd "$1" && find . | sort | busybox cpio -o -H newc --quiet) \
		> "$OUT/$2.tmp"
	mv "$OUT/$2.tmp" "$OUT/$2"
}
cpio_of "$ROOT" initramfs.cpio

# The small image: Bochs reads it from its emulated disk and runs at 20
# million instructions a second.
SMALL=$OUT/root-kvm
rm -rf "$SMALL"
mkdir -p "$SMALL"/{proc,sys,dev,tmp,selftests,kvm}
cp -a "$ROOT/bin" "$ROOT/init" "$SMALL/"
rm "$SMALL/bin/workload" "$SMALL/bin/bench"
: > "$SMALL/selftests/list"
: > "$SMALL/selftests/skip-um"
: > "$SMALL/kvm/list"
cpio_of "$SMALL" initramfs-kvm.cpio
say "$OUT/initramfs.cpio: $(du -h "$OUT/initramfs.cpio" | cut -f1)," \
	"$(wc -w < "$ROOT/selftests/list") mm selftests," \
	"$(wc -w < "$ROOT/kvm/list") KVM selftests"
