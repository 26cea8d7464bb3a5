#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Time the developer loop on this machine, for `make kunit` (UML, the
# default) or `make x86`:
#   cold: the target into an empty BUILD directory (unpack, patch,
#         configure, build, boot, run),
#   warm: `touch mm/asi.c` and the target again, RUNS times (default 3),
#         and the median of those.
# Usage: [RUNS=n] tools/asi/measure-build.sh [kunit|x86] [BUILD_DIR]
# BUILD_DIR defaults to a temporary directory, removed at the end.
# Do not edit the repository while it runs: the tree links to it.

set -euo pipefail
cd "$(dirname "$0")/../.."

target=${1:-kunit}
given=${2:-}
if [ -n "$given" ] && [ -e "$given" ] && [ -n "$(ls -A "$given")" ]; then
	echo "measure-build: $given is not empty; give a new directory" >&2
	exit 2
fi
build=${given:-$(mktemp -d /tmp/asi-measure.XXXXXX)}

runs=${RUNS:-3}
# run NAME: time one make of the target; its seconds in $secs.
run() {
	local start end
	start=$(date +%s.%N)
	make --no-print-directory "$target" BUILD="$build" > "$build.$1.log" 2>&1 ||
		{ echo "$1: make $target failed, see $build.$1.log"; exit 1; }
	end=$(date +%s.%N)
	secs=$(echo "$end - $start" | bc)
	printf '%s make %s: %.1f s (%s)\n' "$1" "$target" "$secs" \
		"$(grep -o 'Ran [0-9]* tests.*' "$build.$1.log" | tail -1)"
}

echo "cores: $(nproc), jobs: ${JOBS:-$(nproc)}"
run cold
warm=()
for i in $(seq "$runs"); do
	touch mm/asi.c
	run "warm$i"
	warm+=("$secs")
done
printf 'warm make %s, touch mm/asi.c: median %.1f s of %d runs\n' "$target" \
	"$(printf '%s\n' "${warm[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")" \
	"$runs"
# The suites' own duration, from the kernel's timestamps (UML time).
log=$(find "$build" -maxdepth 2 -name test.log | head -1)
if [ -n "$log" ]; then
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
fi
[ -n "$given" ] || rm -rf "$build" "$build".*.log
