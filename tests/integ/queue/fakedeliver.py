"""fakedeliver.py - a minimal deliver/1 worker for testing mta-queue's side
of the protocol without mta-deliver: one session at a time, blocking
smtplib, hosts= literals only.  Run by mta-queue through MTA_DELIVER
(a wrapper script that execs /usr/bin/python3 on this file).
"""
import os
import smtplib
import sys
from urllib.parse import quote, unquote


def enc(v):
    out = []
    for b in str(v).encode():
        if 0x21 <= b <= 0x7e and b != 0x25:
            out.append(chr(b))
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def send(verb, **kv):
    line = verb + "".join(" %s=%s" % (k.replace("_", "-"), enc(v))
                          for k, v in kv.items())
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def parse(line):
    parts = line.rstrip("\n").split(" ")
    kv = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        kv[k] = unquote(v)
    return parts[0], kv


def host_of(spec, port):
    first = spec.split(";")[0].split(",")[0].strip()
    if first.startswith("["):
        addr, _, rest = first[1:].partition("]")
        if rest.startswith(":"):
            port = int(rest[1:])
        return addr, port
    return first, port


sessions = {}
msg = None


def main():
    global msg
    for line in sys.stdin:
        verb, kv = parse(line)
        if verb == "hello":
            send("hello", proto="deliver/1", pid=os.getpid())
        elif verb == "session":
            sid = kv["sid"]
            addr, port = host_of(kv.get("hosts", ""), int(kv.get("port", 25)))
            try:
                s = smtplib.SMTP(addr, port, kv.get("helo", "localhost"),
                                 timeout=10)
                code, _ = s.ehlo(kv.get("helo", "localhost"))
                ext = ",".join(k.upper() for k in s.esmtp_features)
                sessions[sid] = s
                send("session", sid=sid, status="ok", mx=addr, ip=addr,
                     port=port, src="127.0.0.1", ext=ext)
            except (OSError, smtplib.SMTPException) as e:
                send("session", sid=sid, status="defer", code=0,
                     dsn="4.4.1", text="connect to %s:%d: %s" %
                     (addr, port, e))
        elif verb == "msg":
            msg = dict(kv, rcpts=[])
        elif verb == "rcpt":
            msg["rcpts"].append(kv)
            if len(msg["rcpts"]) < int(msg["nrcpt"]):
                continue
            sid = msg["sid"]
            s = sessions[sid]
            with open(msg["path"], "rb") as f:
                f.seek(int(msg["off"]))
                body = f.read(int(msg["size"]))
            results = []
            try:
                c, t = s.mail(msg.get("from", ""))
                if c >= 400:
                    results = [(r, c, t) for r in msg["rcpts"]]
                else:
                    ok = []
                    for r in msg["rcpts"]:
                        c2, t2 = s.rcpt(r["to"])
                        if c2 >= 400:
                            results.append((r, c2, t2))
                        else:
                            ok.append(r)
                    if ok:
                        c3, t3 = s.data(body)
                        results += [(r, c3, t3) for r in ok]
                    else:
                        s.rset()
            except smtplib.SMTPServerDisconnected as e:
                results += [(r, 0, str(e).encode()) for r in msg["rcpts"]
                            if r not in [x[0] for x in results]]
            for r, c, t in results:
                st = "delivered" if 200 <= c < 300 else \
                    "failed" if c >= 500 else "deferred"
                t = t.decode(errors="replace")
                dsn = t.split(" ")[0] if t[:2] in ("2.", "4.", "5.") \
                    else "%d.0.0" % (c // 100 if c else 4)
                send("rcpt", sid=sid, id=msg["id"], n=r["n"], status=st,
                     code=c, dsn=dsn, text=t)
            send("done", sid=sid, id=msg["id"])
        elif verb == "close":
            s = sessions.pop(kv["sid"], None)
            try:
                if s:
                    s.quit()
            except (OSError, smtplib.SMTPException):
                pass
            send("closed", sid=kv["sid"], reason="quit")
        elif verb == "quit":
            break


main()
