"""smtpc - a byte-exact SMTP client for mta-smtpd's tests.

Each check prints one line, "ok NAME" or "FAIL NAME: why", which the
calling shell script counts.  Every socket has a timeout, so a check
that hangs fails instead.
"""
import os
import socket
import ssl
import sys
import time

TIMEOUT = 5.0


class Client:
    def __init__(self, host, port, src=None, timeout=TIMEOUT):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        if src:
            self.sock.bind((src, 0))
        self.sock.connect((host, port))
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.buf += chunk

    def reply(self):
        """One whole reply (all its lines) as bytes, without CRLFs."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                self._fill()
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line)
            if len(line) < 4 or line[3:4] != b"-":
                return b"\n".join(lines)

    def code(self):
        return self.reply()[:3].decode()

    def quiet(self, wait=0.5):
        """What arrives within wait seconds (b"" if nothing)."""
        self.sock.settimeout(wait)
        try:
            self._fill()
        except (socket.timeout, ssl.SSLError, EOFError, OSError):
            pass
        self.sock.settimeout(TIMEOUT)
        got, self.buf = self.buf, b""
        return got

    def starttls(self):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.sock = ctx.wrap_socket(self.sock)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def result(name, ok, why=""):
    print(("ok %s" % name) if ok else ("FAIL %s: %s" % (name, why)))
    sys.stdout.flush()


def spool_files(spool):
    out = []
    for d in ("new", "queue"):
        for root, _, files in os.walk(os.path.join(spool, d)):
            out += [os.path.join(root, f) for f in files]
    return sorted(out)


def message_of(path):
    """The envelope (text) and the message bytes of a spool file."""
    data = open(path, "rb").read()
    env, _, msg = data.partition(b"\n\n")
    return env.decode("utf-8", "replace"), msg


def bare(msg):
    """Why msg is not clean CRLF text without NUL, or None."""
    if b"\0" in msg:
        return "NUL"
    stripped = msg.replace(b"\r\n", b"")
    if b"\r" in stripped:
        return "bare CR"
    if b"\n" in stripped:
        return "bare LF"
    return None
