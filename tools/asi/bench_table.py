#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The table of make bench, from the console logs bench.sh kept.

    bench_table.py RESULTS

Reads RESULTS/bench-<platform>-<on|off>[.<boot>].log, prints the table
and writes RESULTS/bench.csv and RESULTS/bench.json.  A figure is the
median of its batches [fastest-slowest]; of several boots (.1, .2, ...),
the median of their medians [fastest-slowest batch of any], since one
boot can differ from the next by more than its batches do.  A ratio is
on/off (boots of one kernel), or for the transitions one figure against
its yardstick in the same boot.
"""

import csv
import json
import os
import re
import sys

IN_KERNEL = re.compile(r'asi_bench: (\S+) (\d+) (\d+) (\d+) (\S+)')
USER = re.compile(r'^# bench: (\S+) (\d+) (\d+) (\d+) (\S+)')
COUNTS = re.compile(r'^# bench-counts: (\S+) (.*)')
POOL = re.compile(r'^# bench-pool: (\S+) (\d+)')

# In-kernel figures compared with another of the same boot.
AGAINST = {
    'enter_exit': 'cr3_write_pair',
    'relax_reenter': 'cr3_write_pair',
    'mm_life_one_domain': 'mm_life_no_domain',
    'mm_life_all_classes': 'mm_life_no_domain',
    'mm_teardown_one_domain': 'mm_teardown_no_domain',
    'mm_teardown_all_classes': 'mm_teardown_no_domain',
}


def parse(path):
    """The figures, counts and pool counters of one console log."""
    figs, counts, pool = {}, {}, {}
    with open(path, errors='replace') as f:
        for line in f:
            line = line.rstrip('\r\n')
            m = IN_KERNEL.search(line) or USER.match(line)
            if m:
                figs[m.group(1)] = {
                    'median': int(m.group(2)), 'min': int(m.group(3)),
                    'max': int(m.group(4)), 'unit': m.group(5)}
                continue
            m = COUNTS.match(line)
            if m:
                words = m.group(2).split()
                counts[m.group(1)] = {k: float(v) for k, v in
                                      zip(words[::2], words[1::2])}
                continue
            m = POOL.match(line)
            if m:
                pool[m.group(1)] = int(m.group(2))
    return figs, counts, pool


def median(values):
    """The median of @values, or None if there is none."""
    values = sorted(values)
    return values[len(values) // 2] if values else None


def same_boot_ratio(a, base):
    """@a against @base of the same boot; of several, the median ratio."""
    if 'boots' not in a:
        return a['median'] / max(base['median'], 1)
    return median([x / max(y, 1) for x, y in zip(a['boots'], base['boots'])
                   if x is not None and y is not None])


def merge(boots):
    """One boot's figures, or the median of several boots' medians."""
    if len(boots) == 1:
        return boots[0]
    figs = {}
    for name in set().union(*(b[0] for b in boots)):
        each = [b[0].get(name) for b in boots]
        medians = [f['median'] if f else None for f in each]
        each = [f for f in each if f]
        figs[name] = {'median': median([m for m in medians if m is not None]),
                      'min': min(f['min'] for f in each),
                      'max': max(f['max'] for f in each),
                      'unit': each[0]['unit'], 'boots': medians}
    return figs, boots[0][1], boots[0][2]


def logs(results):
    """{platform: {'on': parsed, 'off': parsed}} of the logs present."""
    found = {}
    for name in sorted(os.listdir(results)):
        m = re.match(r'bench-(.+)-(on|off)(\.\d+)?\.log$', name)
        if m:
            found.setdefault(m.group(1), {}).setdefault(
                m.group(2), []).append(parse(os.path.join(results, name)))
    return {plat: {side: merge(boots) for side, boots in sides.items()}
            for plat, sides in found.items()}


def fig_text(fig):
    if not fig:
        return '-'
    n = len([m for m in fig.get('boots', []) if m is not None])
    boots = ' (%d boot%s)' % (n, 's' if n != 1 else '') if 'boots' in fig else ''
    return '%d [%d-%d]%s' % (fig['median'], fig['min'], fig['max'], boots)


def rows_of(results):
    rows = []
    for plat, boots in logs(results).items():
        on = boots.get('on', ({}, {}, {}))
        off = boots.get('off', ({}, {}, {}))
        for name in sorted(set(on[0]) | set(off[0])):
            a, b = on[0].get(name), off[0].get(name)
            row = {'platform': plat, 'figure': name,
                   'unit': (a or b)['unit'], 'on': a, 'off': b,
                   'ratio': None, 'ratio_of': None}
            base = AGAINST.get(name)
            if a and base and on[0].get(base):
                row['ratio'] = same_boot_ratio(a, on[0][base])
                row['ratio_of'] = base + ' (same boot)'
            elif a and b:
                row['ratio'] = a['median'] / max(b['median'], 1)
                row['ratio_of'] = 'asi=off'
            c = on[1].get(name)
            if c and a and a['unit'] == 'ns':
                row['counts_per_op'] = c
                row['transitions_per_s'] = round(
                    (c.get('enters', 0) + c.get('exits', 0)) * 1e9 /
                    max(a['median'], 1))
            rows.append(row)
        if on[2]:
            rows.append({'platform': plat, 'figure': 'pool', 'unit': '',
                         'on': None, 'off': None, 'ratio': None,
                         'ratio_of': None, 'pool': on[2]})
    return rows


def main():
    results = sys.argv[1]
    rows = rows_of(results)
    if not rows:
        sys.exit('bench: no figures in %s/bench-*.log' % results)
    print('%-8s %-24s %-6s %-30s %-30s %s' %
          ('platform', 'figure', 'unit', 'ASI on', 'asi=off', 'ratio'))
    for r in rows:
        if r['figure'] == 'pool':
            print('%-8s pool at the end: %s' % (r['platform'], ' '.join(
                '%s %d' % kv for kv in r['pool'].items())))
            continue
        ratio = ('%.2fx %s' % (r['ratio'], r['ratio_of'])
                 if r['ratio'] is not None else '-')
        print('%-8s %-24s %-6s %-30s %-30s %s' %
              (r['platform'], r['figure'], r['unit'], fig_text(r['on']),
               fig_text(r['off']), ratio))
        c = r.get('counts_per_op')
        if c and any(c.values()):
            print('%-8s   per op: %s; %d transitions/s' % (
                '', ' '.join('%s %.2f' % kv for kv in c.items() if kv[1]),
                r['transitions_per_s']))
    print('Emulated CPUs (QEMU TCG, Bochs, UML\'s TLB model) distort '
          'absolute costs: read the ratios.')
    with open(os.path.join(results, 'bench.json'), 'w') as f:
        json.dump(rows, f, indent=1)
    with open(os.path.join(results, 'bench.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['platform', 'figure', 'unit', 'on_median', 'on_min',
                    'on_max', 'off_median', 'off_min', 'off_max', 'ratio',
                    'ratio_of', 'on_boots', 'off_boots'])
        for r in rows:
            if r['figure'] == 'pool':
                continue
            a, b = r['on'] or {}, r['off'] or {}
            w.writerow([r['platform'], r['figure'], r['unit'],
                        a.get('median'), a.get('min'), a.get('max'),
                        b.get('median'), b.get('min'), b.get('max'),
                        '%.4f' % r['ratio'] if r['ratio'] is not None
                        else '', r['ratio_of'] or '',
                        ' '.join('-' if m is None else str(m)
                                 for m in a.get('boots', [])),
                        ' '.join('-' if m is None else str(m)
                                 for m in b.get('boots', []))])
    print('bench: %s/bench.csv, %s/bench.json' % (results, results))


if __name__ == '__main__':
    main()
