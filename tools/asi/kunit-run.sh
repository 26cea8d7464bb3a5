#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `kunit.py run`, in its documented steps, for the edit-build-test loop:
#   kunit.py config   makes .config hold every .kunitconfig option
#                     (it regenerates .config only when they changed),
#   make              builds the kernel as kunit.py would,
#   kunit.py exec     boots it and prints the results as `run` does; its
#                     exit status is the script's.
# `kunit.py run` also runs `make olddefconfig` before every build (Kbuild's
# own syncconfig does that job when a Kconfig file changes) and builds
# compile_commands.json: about 7 s of a warm rebuild on 2 cores.
# `kunit.py config` is skipped when its inputs (the options, the files they
# name and .config) are what they were after its last run: it would find
# nothing to do, in a Python start-up's time.
# x86_64 under QEMU boots vmlinux through its PVH entry point, so the run
# builds `make vmlinux` (no compressed bzImage) and removes an old bzImage,
# which would no longer match; a build-only run (for Bochs, which needs
# the bzImage) builds `all`.
#
# The compiler runs through ccache when it is installed (ASI_CCACHE=0: not),
# so that a second cold build (make clean, a new BUILD= of the same
# layout, a branch switched back) takes its objects from the cache.
# ccache hashes each file's content, its command line and every header
# it read, so a hit is the object the compiler would make; depend mode
# (CCACHE_DEPEND=1 unless set) takes the headers from the dependency file
# Kbuild has the compiler write anyway, instead of running the
# preprocessor a second time on a miss.  Paths are part of the hash: a
# build hits the objects of a build at the same path.
#
# Usage: kunit-run.sh TREE JOBS ARCH BUILD_DIR [config options] [-- exec options]
# With ASI_KUNIT_BUILD_ONLY=1 it stops after the build (another runner,
# such as tools/asi/bochs-run.sh, boots the kernel).
#   config options: --kunitconfig, --kconfig_add, --arch, --qemu_config, ...
#   exec options:   --kernel_args, --filter_glob, ...

set -euo pipefail

tree=$1 jobs=$2 arch=$3 build=$4
shift 4
common=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	common+=("$1")
	shift
done
[ $# -gt 0 ] && shift

cd "$tree"

# The same CC for kunit.py config and for make: Kbuild records each
# object's command line, and a new one rebuilds the object.
make_cc=()
if [ "${ASI_CCACHE:-1}" != 0 ] && command -v ccache >/dev/null; then
	make_cc=("CC=ccache gcc")
	export CCACHE_DEPEND=${CCACHE_DEPEND:-1}
fi

# config_id: what `kunit.py config` reads: its options, the content of
# every file or directory (its .kunitconfig) an option names, its own
# per-architecture fragments, the kernel source it came with (mktree.sh's
# .asi-base) and .config.
config_id() {
	local a f

	for a in "${common[@]}"; do
		echo "$a"
		f=${a#*=}
		[ -d "$f" ] && f=$f/.kunitconfig
		if [ -f "$f" ]; then
			sha256sum < "$f"
		fi
	done
	echo "${make_cc[@]+${make_cc[@]}}"
	cat .asi-base tools/testing/kunit/configs/arch_*.config 2>/dev/null |
		sha256sum
	if [ -f "$build/.config" ]; then
		sha256sum < "$build/.config"
	fi
}

stamp=$build/.asi-kunit-config
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$(config_id)" ]; then
	rm -f "$stamp"
	./tools/testing/kunit/kunit.py config "${common[@]}" --build_dir="$build" \
		${make_cc[@]+--make_options "${make_cc[@]}"}
	config_id > "$stamp"
fi

target=all
if [ "$arch" = x86_64 ] && [ "${ASI_KUNIT_BUILD_ONLY:-0}" != 1 ]; then
	target=vmlinux
	rm -f "$build/arch/x86/boot/bzImage"
fi
echo "Building with: make ARCH=$arch O=$build --jobs=$jobs ${make_cc[*]+${make_cc[*]}} $target"
# objtool only warns, about noinstr code calling what may be traced among
# other things: a warning fails the run here.  vmlinux.o goes, so that the
# next build links (and checks) it again instead of passing unchecked.
make ARCH="$arch" O="$build" --jobs="$jobs" ${make_cc[@]+"${make_cc[@]}"} $target 2>&1 |
	tee "$build/make.log"
if grep -q 'objtool: ' "$build/make.log"; then
	rm -f "$build/vmlinux.o"
	echo "kunit-run: objtool warned (above): failing" >&2
	exit 1
fi
[ "${ASI_KUNIT_BUILD_ONLY:-0}" = 1 ] && exit 0

# ASI_KUNIT_SPLIT=1 (make kunit, UML, no exec options): UML runs on one
# CPU, so the cases KUnit calls slow run in a second kernel on the other
# core, at the same time as the rest; both kernels' results are printed,
# and the run fails if either does.  make check runs all cases in one
# kernel, which also checks for reports printed after the slow cases.
if [ "${ASI_KUNIT_SPLIT:-0}" = 1 ] && [ "$arch" = um ] && [ $# = 0 ]; then
	# Parsed as it comes; the status is kunit.py parse's (a kernel that
	# dies or overruns kunit.py's own limit of 300 s leaves its results
	# incomplete, which parse reports).
	(
		set +o pipefail
		timeout 300 "$build/linux" mem=1G console=tty \
			kunit_shutdown=halt kunit.enable=1 \
			'kunit.filter=speed<=slow' < /dev/null 2>&1 |
		tee "$build/test-slow.log" |
		./tools/testing/kunit/kunit.py parse > "$build/test-slow.txt" 2>&1
	) &
	slow=$!
	rc=0
	./tools/testing/kunit/kunit.py exec "${common[@]}" --build_dir="$build" \
		--filter 'speed>slow' || rc=$?
	wait "$slow" || rc=$?
	echo "The slow cases, from the second kernel ($build/test-slow.log):"
	cat "$build/test-slow.txt"
	exit "$rc"
fi
exec ./tools/testing/kunit/kunit.py exec "${common[@]}" --build_dir="$build" "$@"
