#!/usr/bin/env python3
"""gen.py - write a journal (mta-journal(5)) for mta-acct tests.

usage: gen.py LOGDIR COUNT [--per-seg N] [--open] [--seed S] [--start I]

Writes COUNT records, recipient i = START.. START+COUNT-1, into sealed
segments of N records each (the last one left open as .jnl with --open).
Verbs cycle delivered, failed, deferred, expired; every 7th diagnostic
holds a comma, a quote and a newline, every 11th UTF-8.  Record i is
recognisable in any CSV by its rcpt, u<i>@d<i % 13>.example.
"""
import os
import random
import sys
import time


def enc(v):
    out = []
    for b in v.encode('utf-8'):
        if 0x21 <= b <= 0x7e and b != 0x25:
            out.append(chr(b))
        else:
            out.append('%%%02X' % b)
    return ''.join(out)


VERBS = ['delivered', 'failed', 'deferred', 'expired']
STATUS = {'delivered': ('2.0.0', 250, 'delivered'),
          'failed': ('5.1.1', 550, 'failed'),
          'deferred': ('4.4.1', 451, 'delayed'),
          'expired': ('4.4.7', 451, 'failed')}


def record(i, base):
    verb = VERBS[i % 4]
    st, code, action = STATUS[verb]
    logged = base + i * 0.5
    diag = 'smtp;%d %s ok id=%d' % (code, st, i)
    if i % 7 == 0:
        diag = 'smtp;%d %s say "no", then,\nmore %d' % (code, st, i)
    if i % 11 == 0:
        diag += ' caf\u00e9 \u4e2d\u6587'
    kv = [('logged', '%.6f' % logged), ('queued', str(int(base) - 60)),
          ('first', str(int(base))), ('id', 'q%06x.1' % i), ('n', str(i % 3)),
          ('attempts', str(1 + i % 2)), ('orig', 'bounce@sender.example'),
          ('rcpt', 'u%d@d%d.example' % (i, i % 13))]
    if i % 5 == 0:
        kv.append(('orcpt', 'rfc822;U%d@d%d.example' % (i, i % 13)))
    if i % 6 == 0:
        kv.append(('envid', 'env,%d' % i))
    kv += [('vmta', 'vmta%d' % (i % 3)), ('pool', 'pool1'),
           ('job', 'job%d' % (i % 4)),
           ('queue', 'd%d.example/vmta%d' % (i % 13, i % 3)),
           ('src', '127.0.0.%d' % (1 + i % 4)), ('mx', 'mx.d%d.example' % (i % 13)),
           ('mx-ip', '127.0.1.%d' % (1 + i % 13)), ('port', '25'),
           ('ext', 'PIPELINING,SIZE,8BITMIME'), ('size', str(1000 + i)),
           ('code', str(code)), ('dsn-action', action), ('dsn-status', st),
           ('dsn-diag', diag)]
    if i % 2 == 0:
        kv += [('tls', 'TLSv1.3'), ('tls-cipher', 'TLS_AES_256_GCM_SHA384')]
    if i % 9 == 0 and verb in ('failed', 'expired'):
        kv.append(('bounce-cat', 'spam-related'))
    return verb + ''.join(' %s=%s' % (k, enc(v)) for k, v in kv) + '\n'


def main():
    args = sys.argv[1:]
    opts = {'--per-seg': 10000, '--seed': 1, '--start': 0}
    op = False
    pos = []
    while args:
        a = args.pop(0)
        if a == '--open':
            op = True
        elif a in opts:
            opts[a] = int(args.pop(0))
        else:
            pos.append(a)
    logdir, count = pos[0], int(pos[1])
    random.seed(opts['--seed'])
    base = 1764480960.0
    os.makedirs(logdir, exist_ok=True)
    existing = sorted(n for n in os.listdir(logdir) if n[:1].isdigit())
    t = int(time.time() * 1e6)
    start = opts['--start']
    nseg = (count + opts['--per-seg'] - 1) // opts['--per-seg']
    for s in range(nseg):
        t += 1
        stem = time.strftime('%Y%m%dT%H%M%S', time.gmtime(t // 10**6)) + \
            '.%06d-%d' % (t % 10**6, os.getpid())
        while existing and stem <= existing[-1][:len(stem)]:
            t += 1
            stem = time.strftime('%Y%m%dT%H%M%S', time.gmtime(t // 10**6)) + \
                '.%06d-%d' % (t % 10**6, os.getpid())
        lo = start + s * opts['--per-seg']
        hi = min(start + count, lo + opts['--per-seg'])
        last = s == nseg - 1
        name = stem + ('.jnl' if last and op else '.sealed')
        path = os.path.join(logdir, name)
        with open(path + '.tmp', 'w', encoding='ascii') as f:
            for i in range(lo, hi):
                f.write(record(i, base))
        os.rename(path + '.tmp', path)
        if not name.endswith('.jnl'):
            os.chmod(path, 0o440)
        existing.append(name)


if __name__ == '__main__':
    main()
