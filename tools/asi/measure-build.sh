#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Time the developer loop on this machine, for `make kunit` (UML, the
# default) or `make x86`:
#   cold: the target into an empty BUILD directory (unpack, patch,
#         configure, build, boot, run): to its first KUnit result, and
#         to its end,
#   second cold (with ccache installed, which kunit-run.sh then uses):
#         the BUILD directory emptied of what the cold run made in it, as
#         `make clean` does, and the target again at the same path, its
#         objects from the compiler cache the first cold run filled,
#   warm: an edit of mm/asi.c and the target again, RUNS times (default
#         3), and the median of those.  The edit is a comment appended,
#         different each time, so that no compiler cache holds the
#         result (a touch alone would be a cache hit), and the file is
#         put back as it was at the end, also when the script is stopped.
# The cold runs use a compiler cache of their own, empty at the start, in
# a temporary directory: the first cold run is one on a machine that never
# built this kernel.
# Packages are not part of it: the first make on a fresh machine installs
# them (mktree.sh, as root), which takes what the mirror takes.
# Usage: [RUNS=n] tools/asi/measure-build.sh [kunit|x86] [BUILD_DIR]
# BUILD_DIR defaults to a temporary directory, removed at the end.  A
# given one is left as it is: if new or empty, the cold run goes there;
# if it holds a build already (make's BUILD=, e.g. build), only the warm
# runs are made, in it.
# Do not edit the repository while it runs: the tree links to it, and the
# warm runs edit mm/asi.c.

set -euo pipefail
# EPOCHREALTIME with a decimal point, for bc.
export LC_ALL=C
cd "$(dirname "$0")/../.."

target=${1:-kunit}
given=${2:-}
case $target in kunit|x86) ;; *) echo "measure-build: kunit or x86, not '$target'" >&2; exit 2 ;; esac
# One run at a time: a second would build beside the first and take its
# edit of mm/asi.c (below) for the file.
exec 9< mm/asi.c
flock -n 9 || { echo "measure-build: another run is going on" >&2; exit 1; }
if tail -n 1 mm/asi.c | grep -q '^/\* measure-build.sh: edit'; then
	echo "measure-build: mm/asi.c ends with the edit of a run that was killed: remove its last line" >&2
	exit 1
fi
cold=1
if [ -n "$given" ] && [ -e "$given" ] && [ -n "$(ls -A "$given")" ]; then
	cold=0
	given=$(cd "$given" && pwd)
fi
build=${given:-$(mktemp -d /tmp/asi-measure.XXXXXX)}

# The cold runs' compiler cache; only ever this script's own directory.
ccache_dir=
if [ "$cold" = 1 ] && [ "${ASI_CCACHE:-1}" != 0 ] && command -v ccache >/dev/null; then
	ccache_dir=$(mktemp -d /tmp/asi-measure-ccache.XXXXXX)
	export CCACHE_DIR=$ccache_dir
fi

runs=${RUNS:-3}
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "measure-build: bad RUNS '$runs'" >&2; exit 2; }
# run NAME: time one make of the target; its seconds in $secs, and those
# to its first KUnit result (kunit.py's first [PASSED], [SKIPPED] or
# [FAILED] line) in $first.  Each output line is stamped as it comes.
run() {
	local start line t rc=0

	first=
	start=$EPOCHREALTIME
	make --no-print-directory "$target" BUILD="$build" 2>&1 |
	while IFS= read -r line; do
		printf '%s %s\n' "$EPOCHREALTIME" "$line"
	done > "$build/measure-$1.log" || rc=$?
	secs=$(echo "$EPOCHREALTIME - $start" | bc)
	[ "$rc" = 0 ] || { echo "$1: make $target failed, see $build/measure-$1.log"; exit 1; }
	t=$(grep -m1 -E '\[(PASSED|SKIPPED|FAILED)\]' "$build/measure-$1.log" | cut -d' ' -f1)
	[ -n "$t" ] && first=$(echo "$t - $start" | bc)
	printf '%s make %s: %.1f s, first result after %.1f s (%s)\n' "$1" \
		"$target" "$secs" "${first:-0}" \
		"$(grep -o 'Ran [0-9]* tests.*' "$build/measure-$1.log" | paste -sd ';')"
}

echo "cores: $(nproc), jobs: ${JOBS:-$(nproc)}"
if [ "$cold" = 1 ]; then
	run cold
	if [ -n "$ccache_dir" ]; then
		# make clean: all of BUILD but the logs of the runs so far.
		find "$build" -mindepth 1 -maxdepth 1 ! -name 'measure-*.log' \
			-exec rm -rf {} +
		run cold2
		echo "compiler cache: $(ccache -s | grep -E '^ *(Hits|Misses):' | tr -s ' ' | paste -sd ';')"
	fi
else
	echo "$build holds a build: warm runs only"
	run refresh
fi
warm=()
orig=$(mktemp /tmp/asi-measure-asi.c.XXXXXX)
cp mm/asi.c "$orig"
# Put mm/asi.c back (a new timestamp: the next build compiles it again).
trap 'cp "$orig" mm/asi.c; rm -f "$orig"' EXIT
trap 'exit 130' INT TERM
for i in $(seq "$runs"); do
	cp "$orig" mm/asi.c
	printf '/* measure-build.sh: edit %s */\n' "$i.$RANDOM$RANDOM" >> mm/asi.c
	run "warm$i"
	warm+=("$secs")
done
cp "$orig" mm/asi.c
printf 'warm make %s, an edit of mm/asi.c: median %.1f s of %d runs\n' "$target" \
	"$(printf '%s\n' "${warm[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")" \
	"$runs"
# The suites' own duration, from the kernel's timestamps (UML time), in
# each kernel of the last run (make kunit runs the slow cases in a second).
case $target in kunit) out=$build/um ;; x86) out=$build/x86 ;; esac
for log in $(find "$out" -maxdepth 1 -name 'test*.log' | sort); do
	python3 - "$log" <<'PY'
import re, sys
start = end = None
for line in open(sys.argv[1], errors='replace'):
    m = re.match(r'\[\s*(\d+\.\d+)\]\s*(.*)', line)
    if not m:
        continue
    t, rest = float(m.group(1)), m.group(2)
    if start is None and rest.startswith('# Subtest: asi_'):
        start = t
    if re.match(r'(not )?ok \d+ asi_', rest):
        end = t
if start is not None and end is not None:
    print(f'suites: {end - start:.3f} s of kernel time, from {sys.argv[1]}')
PY
done
[ -n "$given" ] || rm -rf "$build"
[ -z "$ccache_dir" ] || rm -rf "$ccache_dir"
