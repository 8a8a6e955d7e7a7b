"""mx.py - a scriptable SMTP MX for tests of delivery behaviour.

usage: /usr/bin/python3 mx.py --listen ADDR:PORT [options]

Accepts mail like any MX (aiosmtpd) and misbehaves on request: replies
chosen per command and argument, greylisting, a bad or slow greeting, a
server that never speaks, STARTTLS, a slow answer to the message.  What
it saw goes to a JSON file (--stats) that a test reads, and each message
can be kept byte for byte (--mbox).

The stats file is replaced atomically (write, then rename) on every
change.  Up to 1000 messages it is written before the reply to the
message is sent, so a client that got its 250 finds its message counted;
other changes (a connection ending) and later messages are written
within 0.05 s.  Keys:

  connections       connections accepted
  concurrent        connections open now
  max_concurrent    most connections open at once
  per_connection    messages accepted on each connection, in order
  max_per_connection
  messages          messages accepted (2xx after DATA)
  message_times     when each was accepted (Unix time, float)
  message_log       for each: time, conn, peer, helo, from, rcpts, size,
                    tls, file (the --mbox file name, or null)
  peers             source addresses seen, sorted
  recipients        for each address given in RCPT: "rcpt", the reply
                    codes to its RCPTs in order; "data", the codes of
                    the replies to the messages it was accepted for;
                    "delivered", how many of those were 2xx
  tls_versions      TLS versions negotiated by STARTTLS, sorted
  tls_sessions      STARTTLS handshakes completed
  commands          how many times each command was received

Replies (--reply CMD:REGEX:REPLY, repeatable, first match wins): CMD is
CONNECT (the greeting; REGEX on the client address), HELO, EHLO, MAIL,
RCPT (REGEX on the address between <>), DATA (the DATA command), DOT
(the reply to the message; REGEX on its bytes read as Latin-1), RSET,
NOOP, QUIT.  REGEX is searched case-insensitively; empty matches all
("RCPT::451 ..." or just "RCPT:451 ...").  REPLY is an SMTP reply, "\\n"
in it separating the lines of a multi-line reply; a 421 closes the
connection after it is sent.  Two words instead of a reply: "drop"
closes the connection without a word, "hang" never answers.
"""
import argparse
import asyncio
import functools
import json
import os
import re
import signal
import ssl
import sys
import time

from aiosmtpd.smtp import SMTP

COMMANDS = ("CONNECT", "HELO", "EHLO", "MAIL", "RCPT", "DATA", "DOT",
        "RSET", "NOOP", "QUIT")
REPLY = re.compile(r"^(?:[2-5][0-9][0-9](?:[ -].*)?|drop|hang)$", re.S)
SYNC_MESSAGES = 1000  # messages whose stats are written before the reply
LAZY = 0.05  # seconds: the most other stats may lag


def rule(text):
    """CMD:REGEX:REPLY (or CMD:REPLY) -> (CMD, compiled REGEX or None, REPLY)"""
    cmd, sep, rest = text.partition(":")
    cmd = cmd.upper()
    if not sep or cmd not in COMMANDS:
        raise argparse.ArgumentTypeError(
            "%r: want CMD:REGEX:REPLY, CMD one of %s" %
            (text, " ".join(COMMANDS)))
    rest = rest.replace("\\n", "\n")
    if REPLY.match(rest):
        return cmd, None, rest
    # The regex ends at the first colon that a reply follows.
    m = re.match(r"^(.*?):((?:[2-5][0-9][0-9](?:[ -].*)?|drop|hang))$",
             rest, re.S)
    if not m:
        raise argparse.ArgumentTypeError(
            "%r: the reply must be a 3-digit code and text, "
            "\"drop\" or \"hang\"" % text)
    try:
        regex = re.compile(m.group(1), re.I) if m.group(1) else None
    except re.error as e:
        raise argparse.ArgumentTypeError("%r: %s" % (text, e))
    return cmd, regex, m.group(2)


def hostport(text):
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError("%r: want ADDR:PORT" % text)
    return host.strip("[]"), int(port)


def options():
    p = argparse.ArgumentParser(
        prog="mx.py", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--listen", type=hostport, required=True,
               metavar="ADDR:PORT")
    p.add_argument("--stats", metavar="FILE",
               help="JSON file of what was seen (see above)")
    p.add_argument("--reply", type=rule, action="append", default=[],
               metavar="CMD:REGEX:REPLY", help="a reply rule")
    p.add_argument("--defer-first", type=int, default=0, metavar="N",
               help="greylisting: the first N RCPTs of each address "
               "get 451 4.7.1, later ones the usual reply")
    p.add_argument("--greeting", metavar="REPLY",
               help="the greeting, e.g. \"421 4.3.2 busy\"; a 4xx or "
               "5xx one is sent and the connection closed")
    p.add_argument("--greeting-delay", type=float, default=0, metavar="S",
               help="wait S seconds before the greeting")
    p.add_argument("--hang", action="store_true",
               help="accept connections and never say a word")
    p.add_argument("--tls-cert", metavar="FILE")
    p.add_argument("--tls-key", metavar="FILE")
    p.add_argument("--require-tls", action="store_true",
               help="530 to MAIL, RCPT, DATA before STARTTLS")
    p.add_argument("--mbox", metavar="DIR",
               help="keep each message accepted as DIR/NNNNNN.eml: the "
               "bytes between DATA and the final dot, dot-unstuffed, "
               "line ends as sent")
    p.add_argument("--max-messages", type=int, default=0, metavar="N",
               help="stop listening after N messages accepted; exit "
               "when the open connections end (5 s at most)")
    p.add_argument("--delay-data", type=float, default=0, metavar="S",
               help="wait S seconds before the reply to the message")
    p.add_argument("--size", type=int, default=33554432, metavar="BYTES",
               help="the SIZE advertised and enforced (0: none)")
    p.add_argument("--hostname", default="mx.test")
    p.add_argument("--timeout", type=float, default=300, metavar="S",
               help="idle seconds before the server hangs up")
    p.add_argument("-v", "--verbose", action="store_true",
               help="each command and reply to stderr")
    o = p.parse_args()
    if bool(o.tls_cert) != bool(o.tls_key):
        p.error("--tls-cert and --tls-key go together")
    if o.require_tls and not o.tls_cert:
        p.error("--require-tls needs --tls-cert and --tls-key")
    for cmd, regex, reply in o.reply:
        if cmd in ("EHLO", "HELO") and reply.startswith("2"):
            # aiosmtpd would not record the session as greeted
            p.error("--reply %s: only 4xx/5xx/drop/hang replies" % cmd)
    return o


class Stats:
    """What the server saw, and its JSON file."""

    def __init__(self, path):
        self.path = path
        self.s = {
            "connections": 0, "concurrent": 0, "max_concurrent": 0,
            "per_connection": [], "max_per_connection": 0,
            "messages": 0, "message_times": [], "message_log": [],
            "peers": [], "recipients": {}, "tls_versions": [],
            "tls_sessions": 0, "commands": {},
        }
        self.pending = None

    def write(self):
        if self.pending:
            self.pending.cancel()
            self.pending = None
        if not self.path:
            return
        tmp = "%s.tmp%d" % (self.path, os.getpid())
        with open(tmp, "w") as f:
            json.dump(self.s, f, indent=1, sort_keys=True)
            f.write("\n")
        os.replace(tmp, self.path)

    def changed(self, now=False):
        if now:
            self.write()
        elif self.pending is None and self.path:
            loop = asyncio.get_event_loop()
            self.pending = loop.call_later(LAZY, self.write)

    def rcpt(self, addr):
        return self.s["recipients"].setdefault(
            addr, {"rcpt": [], "data": [], "delivered": 0})


class Server:
    """State shared by the sessions: options, stats, greylist, mbox."""

    def __init__(self, opt):
        self.opt = opt
        self.stats = Stats(opt.stats)
        self.tries = {}  # lower-cased address: RCPTs seen
        self.saved = 0
        self.listener = None
        self.sessions = set()
        self.done = asyncio.get_event_loop().create_future()
        self.tls = None
        if opt.tls_cert:
            self.tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.tls.load_cert_chain(opt.tls_cert, opt.tls_key)
        if opt.mbox:
            os.makedirs(opt.mbox, exist_ok=True)

    def match(self, cmd, text):
        for c, regex, reply in self.opt.reply:
            if c == cmd and (regex is None or
                regex.search(text or "")):
                return reply
        return None

    def save(self, content):
        if not self.opt.mbox:
            return None
        self.saved += 1
        name = "%06d.eml" % self.saved
        path = os.path.join(self.opt.mbox, name)
        with open(path + ".tmp", "wb") as f:
            f.write(content)
        os.replace(path + ".tmp", path)
        return name

    def stop(self, now=False):
        """Stop listening; end when the open sessions have ended, or
        now, or 5 s later at most."""
        if self.listener and self.listener.is_serving():
            self.listener.close()
            asyncio.get_event_loop().call_later(5, self.stop, True)
        if (now or not self.sessions) and not self.done.done():
            self.done.set_result(None)


class Handler:
    """aiosmtpd hooks: greylisting and the accounting of messages."""

    def __init__(self, server):
        self.srv = server

    async def handle_RCPT(self, smtp, session, envelope, address, options):
        n = self.srv.opt.defer_first
        if n:
            key = address.lower()
            self.srv.tries[key] = self.srv.tries.get(key, 0) + 1
            if self.srv.tries[key] <= n:
                return "451 4.7.1 <%s>: greylisted, try again " \
                    "later" % address
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, smtp, session, envelope):
        srv = self.srv
        if srv.opt.delay_data:
            await asyncio.sleep(srv.opt.delay_data)
        content = envelope.original_content
        reply = srv.match("DOT", content.decode("latin-1"))
        if reply is None:
            reply = "250 2.0.0 OK %d" % (srv.stats.s["messages"] + 1)
        code = reply[:3] if reply[0].isdigit() else reply
        st = srv.stats.s
        for addr in envelope.rcpt_tos:
            r = srv.stats.rcpt(addr)
            r["data"].append(code)
            if code.startswith("2"):
                r["delivered"] += 1
        if code.startswith("2"):
            now = time.time()
            conn = smtp.conn
            st["messages"] += 1
            st["message_times"].append(now)
            st["per_connection"][conn - 1] += 1
            st["max_per_connection"] = max(
                st["max_per_connection"],
                st["per_connection"][conn - 1])
            st["message_log"].append({
                "time": now, "conn": conn,
                "peer": session.peer[0] if session.peer else None,
                "helo": session.host_name,
                "from": envelope.mail_from,
                "rcpts": list(envelope.rcpt_tos),
                "size": len(content), "tls": smtp.tls_version,
                "file": srv.save(content),
            })
            srv.stats.changed(now=st["messages"] <= SYNC_MESSAGES)
        else:
            srv.stats.changed()
        return reply


def hooked(cmd):
    """An smtp_CMD that applies the --reply rules before aiosmtpd's."""
    base = getattr(SMTP, "smtp_" + cmd)

    @functools.wraps(base)
    async def method(self, arg):
        self.count(cmd)
        text = arg or ""
        if cmd in ("MAIL", "RCPT"):
            m = re.search(r"<([^>]*)>", text)
            text = m.group(1) if m else text
        reply = self.srv.match(cmd, text)
        if reply is not None:
            await self.push(reply)
        else:
            await base(self, arg)
        if cmd == "RCPT" and self.last_reply:
            self.srv.stats.rcpt(text)["rcpt"].append(
                self.last_reply[:3])
            self.srv.stats.changed()
    return method


class Session(SMTP):
    """One connection: counted, with the greeting and the special
    replies (421 closes, drop, hang) handled here."""

    def __init__(self, srv, **kw):
        self.srv = srv
        self.conn = 0
        self.open = False
        self.tls_version = None
        self.last_reply = None
        self.greeted = False
        super().__init__(Handler(srv), **kw)

    def count(self, cmd):
        c = self.srv.stats.s["commands"]
        c[cmd] = c.get(cmd, 0) + 1

    async def push(self, status):
        if isinstance(status, bytes):
            status = status.decode("utf-8", "replace")
        if not self.greeted:
            # aiosmtpd's own greeting, the first thing pushed
            self.greeted = True
            if self.srv.opt.greeting:
                status = self.srv.opt.greeting
        if self.srv.opt.verbose:
            print("mx: %d << %r" % (self.conn, status), file=sys.stderr)
        self.last_reply = status
        if status == "drop":
            self.transport.close()
            return
        if status == "hang":
            await asyncio.get_event_loop().create_future()
        lines = status.split("\n")
        for i, line in enumerate(lines[:-1]):
            # "250 a\n250 b" -> "250-a" "250 b"
            if len(line) > 3 and line[3] == " ":
                lines[i] = line[:3] + "-" + line[4:]
        await super().push("\r\n".join(lines))
        if status.startswith("421") and self.transport:
            self.transport.close()

    async def _handle_client(self):
        srv = self.srv
        st = srv.stats.s
        self.open = True
        srv.sessions.add(self)
        st["connections"] += 1
        self.conn = st["connections"]
        st["concurrent"] += 1
        st["max_concurrent"] = max(st["max_concurrent"], st["concurrent"])
        st["per_connection"].append(0)
        peer = self.session.peer[0] if self.session.peer else "?"
        if peer not in st["peers"]:
            st["peers"] = sorted(st["peers"] + [peer])
        srv.stats.changed()
        if srv.opt.verbose:
            print("mx: %d connect from %s" % (self.conn, peer),
                  file=sys.stderr)
        if srv.opt.hang:
            await asyncio.get_event_loop().create_future()
        if srv.opt.greeting_delay:
            await asyncio.sleep(srv.opt.greeting_delay)
        reply = srv.match("CONNECT", peer)
        if reply is None and srv.opt.greeting and \
            not srv.opt.greeting.startswith("2"):
            reply = srv.opt.greeting
        if reply is not None:
            self.greeted = True
            await self.push(reply)
            if self.transport and reply[:1] in ("4", "5"):
                self.transport.close()
            return
        await super()._handle_client()

    def connection_lost(self, error):
        super().connection_lost(error)
        if not self.open:
            return
        self.open = False
        srv = self.srv
        srv.stats.s["concurrent"] -= 1
        srv.sessions.discard(self)
        srv.stats.changed()
        if srv.listener and not srv.listener.is_serving():
            srv.stop()

    async def smtp_STARTTLS(self, arg):
        self.count("STARTTLS")
        await super().smtp_STARTTLS(arg)
        ssl_object = self.transport.get_extra_info("ssl_object") \
            if self.transport else None
        if ssl_object is None:
            return
        self.tls_version = ssl_object.version()
        st = self.srv.stats.s
        st["tls_sessions"] += 1
        if self.tls_version not in st["tls_versions"]:
            st["tls_versions"] = sorted(
                st["tls_versions"] + [self.tls_version])
        self.srv.stats.changed()

    async def smtp_DATA(self, arg):
        await self.hooked_DATA(arg)
        limit = self.srv.opt.max_messages
        if limit and self.srv.stats.s["messages"] >= limit:
            self.srv.stop()

    hooked_DATA = hooked("DATA")
    smtp_HELO = hooked("HELO")
    smtp_EHLO = hooked("EHLO")
    smtp_MAIL = hooked("MAIL")
    smtp_RCPT = hooked("RCPT")
    smtp_RSET = hooked("RSET")
    smtp_NOOP = hooked("NOOP")
    smtp_QUIT = hooked("QUIT")


async def serve(opt):
    srv = Server(opt)
    loop = asyncio.get_event_loop()
    host, port = opt.listen

    def session():
        return Session(srv, loop=loop, hostname=opt.hostname,
                   ident="mx.py", tls_context=srv.tls,
                   require_starttls=opt.require_tls,
                   data_size_limit=opt.size or None,
                   timeout=opt.timeout)

    srv.listener = await loop.create_server(session, host, port)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(sig, srv.stop, True)
    srv.stats.write()
    await srv.done
    for s in list(srv.sessions):
        if s.transport:
            s.transport.close()
    srv.stats.write()


def main():
    opt = options()
    try:
        asyncio.run(serve(opt))
    except OSError as e:
        print("mx.py: %s:%d: %s" % (opt.listen[0], opt.listen[1],
              e.strerror or e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
