"""hostile HOST PORT - bytes no client should send: the server answers
each with an error and stays up."""
import sys

from smtpc import Client, result

host, port = sys.argv[1], int(sys.argv[2])


def check(name, data, want, first_only=True):
    c = Client(host, port)
    try:
        c.reply()
        c.send(data)
        r = c.reply().decode("latin-1")
        result(name, r.startswith(want), r)
    except Exception as e:  # noqa: BLE001
        result(name, False, repr(e))
    c.close()


check("NUL in a command", b"EHLO a\0b\r\n", "500 5.5.2")
check("command line of 600 bytes", b"NOOP " + b"x" * 600 + b"\r\n",
      "500 5.5.2")
check("command line of 510 bytes", b"NOOP " + b"x" * 505 + b"\r\n", "250")
check("command line of 511 bytes", b"NOOP " + b"x" * 506 + b"\r\n",
      "500 5.5.2")
check("1 MB without a line end", b"x" * (1 << 20) + b"\r\n", "500 5.5.2")
check("high bytes", bytes(range(128, 256)) + b"\r\n", "500 5.5.1")
check("bare CR in a command", b"HELO a\rb\r\n", "500 5.5.2")
check("unknown command", b"XYZZY\r\n", "500 5.5.1")
check("MAIL before HELO", b"MAIL FROM:<a@b.test>\r\n", "503")
check("path without brackets", b"MAIL FROM:a@b.test\r\n", "501 5.5.4")
check("path too long", b"MAIL FROM:<" + b"a" * 300 + b"@b.test>\r\n",
      "501 5.1.0")
check("BDAT size overflow", b"BDAT 999999999999999999999999\r\n", "552")
# many errors: the 20th ends the session with 421
c = Client(host, port)
try:
    c.reply()
    c.send(b"BOGUS\r\n" * 25)
    codes = [c.code() for _ in range(21)]
    result("too many errors: 421", codes[-1] == "421", repr(codes[-3:]))
    result("too many errors: closed", c.quiet(0.5) == b"", "")
except Exception as e:  # noqa: BLE001
    result("too many errors", False, repr(e))
c.close()
# the server still works
c = Client(host, port)
try:
    result("still up", c.code() == "220", "")
finally:
    c.close()
