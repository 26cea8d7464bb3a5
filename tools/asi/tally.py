#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Add up the KUnit results of every run of `make check`.

Reads each *.log in the results directory, takes kunit.py's closing
"Testing complete. Ran N tests: passed: X, ..." line, and prints one line
per run, the number of skipped cases, and a last line
"N passed, N failed".  A run without that line (the kernel did not build
or boot) counts as one failure.  A deliberate-omission case (its name, or
its parameterized parent's, starts with "broken") that the kernel's log
(RUN.ktap) shows skipped for any reason but ASI being off counts as
failed: the omission it exists to show went unseen.
Exits non-zero if anything failed, checkpatch included.
"""

import os
import re
import sys

SUMMARY = re.compile(r'Testing complete\. Ran (\d+) tests?:?(.*)')
# The kernel's KTAP log of a run (RUN.ktap beside RUN.log): "# Subtest:
# NAME" opens a suite or a parameterized case, whose results follow at the
# same indentation: "ok N NAME # SKIP REASON".
TIMESTAMP = re.compile(r'^\[[^\]]*\] ?')
SUBTEST = re.compile(r'^(\s*)# Subtest: (.+?)\s*$')
SKIPPED = re.compile(r'^(\s*)ok \d+ (.+?) # SKIP ?(.*?)\s*$')
# Why a deliberate-omission case may skip: the boot has ASI off.
NOT_THIS_CONFIG = ('ASI is off',)


def skipped_omissions(path):
    """Deliberate-omission cases the kernel skipped for another reason."""
    groups, found = {}, []
    try:
        f = open(path, errors='replace')
    except FileNotFoundError:
        return found
    with f:
        for line in f:
            line = TIMESTAMP.sub('', line.rstrip('\r\n'))
            m = SUBTEST.match(line)
            if m:
                groups[len(m.group(1))] = m.group(2)
                continue
            m = SKIPPED.match(line)
            if not m:
                continue
            names = [groups.get(len(m.group(1)), ''), m.group(2)]
            # A parameterized case whose parameters all skipped is
            # reported skipped without a reason; its parameters count.
            if (any(n.startswith('broken') for n in names) and
                    m.group(3) and m.group(3) not in NOT_THIS_CONFIG):
                found.append(f'{"/".join(names)} ({m.group(3)})')
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


def self_test():
    """The skip rule on a made-up run: each way it must go, checked."""
    import tempfile
    ktap = (
        '[    0.1] # Subtest: asi_um_scenarios\n'
        '[    0.1]     # Subtest: broken_flush_is_reported\n'
        '[    0.1]     ok 1 asi_flush_pcid_addr\n'
        '[    0.1]     ok 2 asi_flush_deferred # SKIP {reason}\n'
        '[    0.1] ok 1 broken_flush_is_reported\n'
        '[    0.1] ok 2 scenario_pcid_off # SKIP needs PCID\n')
    log = '[11:00:00] Testing complete. Ran 3 tests: passed: 1, skipped: 2\n'
    ok = True
    for reason, failed in (('a TLB-wide flush hid it', 1), ('ASI is off', 0)):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, 'run.log'), 'w') as f:
                f.write(log)
            with open(os.path.join(d, 'run.ktap'), 'w') as f:
                f.write(ktap.format(reason=reason))
            got = len(skipped_omissions(os.path.join(d, 'run.ktap')))
        if got != failed:
            print(f'tally self-test: a skip for "{reason}" counted {got} '
                  f'failures, not {failed}')
            ok = False
    print(f'tally self-test: {"ok" if ok else "FAILED"}')
    return 0 if ok else 1


def main():
    if len(sys.argv) != 2:
        print(f'usage: {sys.argv[0]} RESULTS_DIR | --self-test', file=sys.stderr)
        return 2
    if sys.argv[1] == '--self-test':
        return self_test()
    results = sys.argv[1]
    total_p = total_f = total_s = 0
    ok = True
    for name in sorted(os.listdir(results)):
        path = os.path.join(results, name)
        if name == 'tally-selftest.log':
            with open(path, errors='replace') as f:
                good = 'tally self-test: ok' in f.read()
            print(f'check: tally self-test: {"ok" if good else "FAILED"}')
            ok = ok and good
            continue
        if name == 'series.log':
            with open(path, errors='replace') as f:
                text = f.read()
            good = ('gives the tested tree' in text and
                    'every patch clean' in text)
            print(f'check: series (git am, checkpatch): {"ok" if good else "FAILED"}')
            ok = ok and good
            continue
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
        ktap = path[:-4] + '.ktap'
        omitted = skipped_omissions(ktap)
        if found and not os.path.exists(ktap):
            # Without the kernel's log no skip can be judged.
            print(f'check: {run}: no kernel log {ktap}, counted as failed')
            f += 1
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
