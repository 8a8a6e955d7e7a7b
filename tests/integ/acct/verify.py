#!/usr/bin/env python3
"""verify.py - check accounting CSV files against the journal gen.py made.

usage: verify.py [--count N] [--types d,b,t] [--at-least-once] FILE...

Each file must start with a header line and parse with Python's csv
module, rows as long as the header; the files together, in the order
given, must hold exactly the records 0..N-1 of the given types, once
each and in journal order (with --at-least-once: each at least once,
repeats allowed, and more header lines allowed), and every cell must
be what the journal record says.  Prints "ok ROWS" or the first errors.
"""
import csv
import os
import sys
import time
from urllib.parse import unquote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402

TYPE = {'delivered': 'd', 'failed': 'b', 'expired': 'b', 'deferred': 't'}
TEXT = {'2.0.0': 'success', '5.1.1': 'bad destination mailbox address',
        '4.4.1': 'no answer from host', '4.4.7': 'delivery time expired'}
CAT = {'5.1.1': 'bad-mailbox', '4.4.1': 'no-answer-from-host',
       '4.4.7': 'message-expired'}


def expect(i):
    line = gen.record(i, 1764480960.0).rstrip('\n').split(' ')
    verb, kv = line[0], {}
    for p in line[1:]:
        k, v = p.split('=', 1)
        kv.setdefault(k, unquote(v))
    t = TYPE[verb]
    tm = lambda s: time.strftime('%Y-%m-%d %H:%M:%S+0000',
                                 time.gmtime(int(float(s))))
    cat = ''
    if t in ('b', 't'):
        cat = kv.get('bounce-cat', CAT[kv['dsn-status']])
    return t, {
        'type': t, 'timeLogged': tm(kv['logged']),
        'timeQueued': tm(kv['queued']), 'orig': kv['orig'],
        'rcpt': kv['rcpt'], 'orcpt': kv.get('orcpt', ''),
        'dsnAction': kv['dsn-action'],
        'dsnStatus': '%s (%s)' % (kv['dsn-status'], TEXT[kv['dsn-status']]),
        'dsnDiag': kv['dsn-diag'],
        'dsnMta': '%s (%s)' % (kv['mx'], kv['mx-ip']), 'bounceCat': cat,
        'srcType': '', 'srcMta': '', 'dlvType': 'smtp',
        'dlvSourceIp': kv['src'], 'dlvDestinationIp': kv['mx-ip'],
        'dlvEsmtpAvailable': kv['ext'], 'dlvSize': kv['size'],
        'vmta': kv['vmta'], 'jobId': kv['job'], 'envId': kv.get('envid', ''),
        'queue': kv['queue'], 'vmtaPool': kv['pool'],
        'dlvTlsProtocol': kv.get('tls', ''),
        'dlvTlsCipher': kv.get('tls-cipher', '')}


def main():
    args = sys.argv[1:]
    count, types, alo = None, 'd,b,t', False
    files = []
    while args:
        a = args.pop(0)
        if a == '--count':
            count = int(args.pop(0))
        elif a == '--types':
            types = args.pop(0)
        elif a == '--at-least-once':
            alo = True
        else:
            files.append(a)
    types = set(types.split(','))
    errs = []
    seen = []
    for path in files:
        with open(path, newline='', encoding='utf-8') as f:
            rows = list(csv.reader(f, strict=True))
        if not rows or rows[0][0] != 'type':
            errs.append('%s: no header line' % path)
            continue
        header = rows[0]
        for n, row in enumerate(rows[1:], 2):
            if row == header:
                if not alo:
                    errs.append('%s: row %d: a second header' % (path, n))
                continue
            if len(row) != len(header):
                errs.append('%s: row %d: %d cells, header has %d' %
                            (path, n, len(row), len(header)))
                continue
            cells = dict(zip(header, row))
            i = int(cells['rcpt'][1:cells['rcpt'].index('@')])
            t, want = expect(i)
            for k, v in cells.items():
                if k in want and want[k] != v:
                    errs.append('%s: row %d (record %d): %s: got %r, want %r'
                                % (path, n, i, k, v, want[k]))
            seen.append(i)
    wanted = [i for i in range(count if count is not None else 0)
              if expect(i)[0] in types]
    if alo:
        missing = sorted(set(wanted) - set(seen))
        if missing:
            errs.append('missing records: %d, first %s' %
                        (len(missing), missing[:5]))
        # the records the first time each is seen are in journal order
        first = []
        got = set()
        for i in seen:
            if i not in got:
                got.add(i)
                first.append(i)
        if first != sorted(first):
            errs.append('records out of journal order')
    elif count is not None and seen != wanted:
        dups = len(seen) - len(set(seen))
        errs.append('records: got %d (%d repeated), want %d; first '
                    'difference at %s' % (len(seen), dups, len(wanted),
                    next((k for k, (a, b) in enumerate(zip(seen, wanted))
                          if a != b), min(len(seen), len(wanted)))))
    if errs:
        print('\n'.join(errs[:10]))
        sys.exit(1)
    print('ok %d' % len(seen))


if __name__ == '__main__':
    main()
