"""talk HOST PORT [SRC] - a dialogue from stdin: each line is sent with
CRLF and the last line of its reply printed; after a 354 the lines up to
"." are the message, answered once.  A line "<<BDAT [LAST] TEXT" sends BDAT
and the chunk TEXT (Python escapes: \\r\\n) in one write.  A line "<<PIPE a|b|c" sends a, b and c in one write and
prints their replies.  "<<WAIT n" waits n seconds for what the server
says on its own."""
import codecs
import sys
import time

from smtpc import Client

host, port = sys.argv[1], int(sys.argv[2])
src = sys.argv[3] if len(sys.argv) > 3 else None
c = Client(host, port, src)


def last(r):
    return r.split(b"\n")[-1].decode("utf-8", "replace")


def message(i):
    """Send lines[i:] up to "." as the message; the index after it."""
    while i < len(lines) and lines[i] != ".":
        c.send(lines[i].encode() + b"\r\n")
        i += 1
    c.send(b".\r\n")
    print(last(c.reply()))
    return i + 1


try:
    print(last(c.reply()))
    lines = sys.stdin.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line.startswith("<<PIPE "):
            cmds = line[7:].split("|")
            c.send(b"".join(x.encode() + b"\r\n" for x in cmds))
            for _ in cmds:
                r = last(c.reply())
                print(r)
            if r.startswith("354"):
                i = message(i)
            continue
        if line.startswith("<<WAIT "):
            time.sleep(float(line[7:]))
            print(last(c.reply()))
            continue
        if line.startswith("<<BDAT "):
            rest = line[7:]
            lastflag = rest.startswith("LAST ")
            if lastflag:
                rest = rest[5:]
            text = codecs.decode(rest, "unicode_escape").encode("latin-1")
            c.send(("BDAT %d%s\r\n" % (len(text), " LAST" if lastflag
                                        else "")).encode() + text)
            print(last(c.reply()))
            continue
        c.send(line.encode() + b"\r\n")
        r = last(c.reply())
        print(r)
        if r.startswith("354"):
            i = message(i)
except Exception as e:  # noqa: BLE001 - the dialogue shows it
    print("ERROR %r" % e)
c.close()
