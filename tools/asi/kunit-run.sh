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
./tools/testing/kunit/kunit.py config "${common[@]}" --build_dir="$build"
echo "Building with: make ARCH=$arch O=$build --jobs=$jobs all"
# objtool only warns, about noinstr code calling what may be traced among
# other things: a warning fails the run here.  vmlinux.o goes, so that the
# next build links (and checks) it again instead of passing unchecked.
make ARCH="$arch" O="$build" --jobs="$jobs" all 2>&1 | tee "$build/make.log"
if grep -q 'objtool: ' "$build/make.log"; then
	rm -f "$build/vmlinux.o"
	echo "kunit-run: objtool warned (above): failing" >&2
	exit 1
fi
[ "${ASI_KUNIT_BUILD_ONLY:-0}" = 1 ] && exit 0
exec ./tools/testing/kunit/kunit.py exec "${common[@]}" --build_dir="$build" "$@"
