"""smuggle HOST PORT SPOOL TSV - every row of smuggling.tsv against
mta-smtpd, framed as SEC Consult's scanner frames it: at most one message
queued, holding no bare CR, bare LF or NUL, and no smuggled sender."""
import sys
import time

from smtpc import Client, bare, message_of, result, spool_files

host, port, spool, tsv = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

rows = []
with open(tsv) as f:
    next(f)
    for line in f:
        fields = line.rstrip("\n").split("\t")
        rows.append((fields[0], bytes.fromhex(fields[1].replace(" ", ""))))

for name, seq in rows:
    before = set(spool_files(spool))
    c = Client(host, port)
    try:
        c.reply()
        c.send(b"EHLO smuggler.test\r\n")
        c.reply()
        c.send(b"MAIL FROM:<sender@a.test>\r\n")
        c.reply()
        c.send(b"RCPT TO:<victim@b.test>\r\n")
        c.reply()
        c.send(b"DATA\r\n")
        c.reply()
        c.send(b"From: sender@a.test\r\nTo: victim@b.test\r\n"
               b"Subject: smuggling " + name.encode() + b"\r\n\r\n"
               b"TESTING " + name.encode() + b" as \"fake\" end-of-data "
               b"sequence!\r\n" + seq +
               b"\r\nmail FROM:<smuggled@evil.test>\r\n"
               b"rcpt TO:<victim@b.test>\r\ndata\r\n"
               b"From: smuggled@evil.test\r\nTo: victim@b.test\r\n"
               b"Subject: smuggled\r\n\r\nSMUGGLING WORKS\r\n.\r\n")
        replies = [c.reply()]
        # Anything more than the one reply means commands ran.
        more = c.quiet(0.5)
        c.send(b"QUIT\r\n")
        rest = more + c.quiet(0.5)
    finally:
        c.close()
    time.sleep(0.05)
    new = sorted(set(spool_files(spool)) - before)
    why = None
    queued = [r for r in replies if r.startswith(b"250")]
    if name.startswith("control"):
        # The real end: what follows is a second, real transaction.
        firsts = [p for p in new if "smuggled@" not in message_of(p)[0]]
        if len(queued) != 1 or len(firsts) != 1:
            why = "want one message, got %r" % replies
        elif b"SMUGGLING" in message_of(firsts[0])[1]:
            why = "the second message inside the first"
    elif len(new) > 1:
        why = "%d messages queued" % len(new)
    elif not rest.startswith(b"221"):
        why = "replies after the message's: %r" % rest
    for p in new:
        env, msg = message_of(p)
        if "smuggled@" in env and not name.startswith("control"):
            why = "smuggled sender in the envelope"
        elif bare(msg):
            why = "queued message holds a " + bare(msg)
    result("smuggling " + name, why is None, why or "")
