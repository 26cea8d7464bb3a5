#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Add up the KUnit results of every run of `make check`.

Reads each *.log in the results directory, takes kunit.py's closing
"Testing complete. Ran N tests: passed: X, ..." line, and prints one line
per run, the number of skipped cases, and a last line
"N passed, N failed".  A run without that line (the kernel did not build
or boot) counts as one failure.  A deliberate-omission case (its name, or
its parameterized parent's, starts with "broken") that was skipped counts
as failed: the omission it exists to show went unseen.
Exits non-zero if anything failed, checkpatch included.
"""

import os
import re
import sys

SUMMARY = re.compile(r'Testing complete\. Ran (\d+) tests?:?(.*)')
# kunit.py's lines: "==== name ====" opens a suite or parameterized case,
# "==== [STATUS] name ====" closes it, "[STATUS] name" is one result.
GROUP_START = re.compile(r'\] =+ (\S+) +=+$')
GROUP_END = re.compile(r'\] =+ \[\w+\] (\S+) =+$')
RESULT = re.compile(r'\] \[(\w+)\] (.+?)\s*$')


def skipped_omissions(path):
    """Names of deliberate-omission cases kunit.py reported as skipped."""
    groups, found = [], []
    with open(path, errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            m = GROUP_END.search(line)
            if m:
                if groups and groups[-1] == m.group(1):
                    groups.pop()
                continue
            m = GROUP_START.search(line)
            if m:
                groups.append(m.group(1))
                continue
            m = RESULT.search(line)
            if m and m.group(1) == 'SKIPPED':
                names = groups[-1:] + [m.group(2)]
                if any(n.startswith('broken') for n in names):
                    found.append('/'.join(names))
    return found


def tally_run(path):
    counts = {'passed': 0, 'failed': 0, 'crashed': 0, 'skipped': 0,
              'errors': 0}
    found = False
    with open(path, errors='replace') as f:
        for line in f:
            m = SUMMARY.search(line)
            if not m:
                continue
            found = True
            for key, num in re.findall(r'(\w+): (\d+)', m.group(2)):
                if key in counts:
                    counts[key] += int(num)
    failed = counts['failed'] + counts['crashed'] + counts['errors']
    if not found:
        failed = 1
    return found, counts['passed'], failed, counts['skipped']


def main():
    results = sys.argv[1]
    total_p = total_f = total_s = 0
    ok = True
    for name in sorted(os.listdir(results)):
        path = os.path.join(results, name)
        if name == 'checkpatch.log':
            with open(path, errors='replace') as f:
                clean = 'checkpatch: clean' in f.read()
            print(f'check: checkpatch --strict: {"clean" if clean else "FAILED"}')
            ok = ok and clean
            continue
        if not name.endswith('.log'):
            continue
        found, p, f, s = tally_run(path)
        run = name[:-4]
        omitted = skipped_omissions(path)
        for case in omitted:
            print(f'check: {run}: deliberate omission skipped, counted as failed: {case}')
        f, s = f + len(omitted), s - len(omitted)
        if found:
            print(f'check: {run}: {p} passed, {f} failed, {s} skipped')
        else:
            print(f'check: {run}: no KUnit results (build or boot failed), see {path}')
        total_p, total_f, total_s = total_p + p, total_f + f, total_s + s
    ok = ok and total_f == 0 and total_p > 0
    print(f'check: {total_s} cases skipped (not for this configuration)')
    print(f'{total_p} passed, {total_f} failed')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
