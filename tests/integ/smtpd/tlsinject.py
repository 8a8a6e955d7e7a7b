"""tlsinject HOST PORT - the server rows of starttls-injection.tsv
(CVE-2011-0411): what a client pipelines behind STARTTLS in clear text
is never answered inside TLS."""
import sys

from smtpc import Client, result

host, port = sys.argv[1], int(sys.argv[2])
EHLO = b"EHLO commandinjectiontester\r\n"


def session():
    c = Client(host, port)
    c.reply()
    return c


# server-sanity: one segment each, handshake, QUIT inside TLS.
c = session()
try:
    c.send(EHLO)
    a = c.code()
    c.send(b"NOOP\r\n")
    b = c.code()
    c.send(b"STARTTLS\r\n")
    t = c.code()
    c.starttls()
    c.send(b"QUIT\r\n")
    q = c.code()
    result("starttls sanity", (a, b, t, q) == ("250", "250", "220", "221"),
           repr((a, b, t, q)))
except Exception as e:  # noqa: BLE001 - any failure is the check's
    result("starttls sanity", False, repr(e))
c.close()

# server-starttls-ehlo-injection, then server-fake-after-tls.
for name, extra in (("ehlo", EHLO), ("rset", b"RSET\r\n")):
    c = session()
    try:
        c.send(EHLO)
        c.reply()
        c.send(b"STARTTLS\r\n" + extra)
        t = c.code()
        c.starttls()
        got = c.quiet(0.7)
        result("starttls %s injection: 220" % name, t == "220", t)
        result("starttls %s injection: nothing inside TLS" % name,
               got == b"", repr(got))
        if name == "ehlo":
            c.send(b"FAKE commandinjectiontester\r\n")
            f = c.code()
            result("starttls fake after tls: 5xx", f.startswith("5"), f)
        # The state was reset: MAIL needs a new EHLO.
        c.send(b"MAIL FROM:<a@a.test>\r\n")
        m = c.code()
        result("starttls %s: MAIL needs EHLO again" % name, m == "503", m)
        c.send(EHLO)
        e = c.reply()
        result("starttls %s: EHLO inside TLS" % name,
               e.startswith(b"250") and b"STARTTLS" not in e, repr(e))
    except Exception as e:  # noqa: BLE001
        result("starttls %s injection" % name, False, repr(e))
    c.close()
