#!/usr/bin/python3
# verify.py - check every DKIM signature of messages with dkimpy, keys
# handed over through dnsfunc (no DNS).  Run with /usr/bin/python3, which
# sees Debian's python3-dkim.
#
# verify.py KEYS MSG...      one line a message: "ok N" (N signatures by
#                            keys of KEYS, all good; signatures the
#                            message came with are left alone) or
#                            "FAIL why"; exit 1 if any failed
# verify.py -split DIR KEYS MSG
#                            write DIR/1.eml, DIR/2.eml...: the message
#                            with only its n-th signature by a key of
#                            KEYS (for opendkim, which reports one)
# verify.py -opendkim-keys KEYS MSG...
#                            print TestPublicKeys lines for the d= and s=
#                            of every signature of the messages
#
# KEYS has lines "selector._domainkey.domain value"; a domain of "*"
# stands for any domain (the test keys sign for "*").
import re
import sys

import dkim


def load_keys(path):
    keys = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                name, value = line.split(None, 1)
                keys[name.lower()] = value.encode()
    return keys


def lookup(keys, name):
    name = name.lower().rstrip(".")
    if name in keys:
        return keys[name]
    sel = name.split("._domainkey.", 1)[0]
    return keys.get(sel + "._domainkey.*")


def fields(msg):
    """The header fields as (start, end) byte offsets, and the head end."""
    end = msg.find(b"\r\n\r\n")
    head = msg[:end + 2] if end >= 0 else msg
    out = []
    for m in re.finditer(rb"(?m)^[^ \t\r\n][^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*",
                         head):
        out.append((m.start(), m.end()))
    return out


def tags(field):
    v = re.sub(rb"\s+", b"", field.split(b":", 1)[1])
    return dict(t.split(b"=", 1) for t in v.split(b";") if b"=" in t)


def keyname(t):
    return "%s._domainkey.%s" % (t.get(b"s", b"").decode(errors="replace"),
                                 t.get(b"d", b"").decode(errors="replace"))


def sigs(msg, keys=None):
    """The DKIM-Signature fields (by keys of KEYS only, if given)."""
    return [(s, e) for s, e in fields(msg)
            if msg[s:e].lower().startswith(b"dkim-signature:") and
            (keys is None or lookup(keys, keyname(tags(msg[s:e])))
             is not None)]


def verify(keys, path):
    msg = open(path, "rb").read()
    every = sigs(msg)
    ours = [every.index(x) for x in sigs(msg, keys)]
    if not ours:
        return "FAIL not signed"
    d = dkim.DKIM(msg)
    for i in ours:
        try:
            ok = d.verify(idx=i, dnsfunc=lambda name, timeout=5:
                          lookup(keys, name.decode()))
        except dkim.DKIMException as e:
            return "FAIL signature %d: %s" % (i + 1, e)
        if not ok:
            return "FAIL signature %d does not verify" % (i + 1)
    return "ok %d" % len(ours)


def main():
    if sys.argv[1] == "-split":
        msg = open(sys.argv[4], "rb").read()
        ss = sigs(msg)
        for i, keep in enumerate(sigs(msg, load_keys(sys.argv[3]))):
            out = msg
            for s, e in reversed(ss):
                if (s, e) != keep:
                    out = out[:s] + out[e:]
            with open("%s/%d.eml" % (sys.argv[2], i + 1), "wb") as f:
                f.write(out)
        return 0
    if sys.argv[1] == "-opendkim-keys":
        keys = load_keys(sys.argv[2])
        seen = set()
        for path in sys.argv[3:]:
            msg = open(path, "rb").read()
            for s, e in sigs(msg, keys):
                name = keyname(tags(msg[s:e]))
                if name not in seen and lookup(keys, name) is not None:
                    seen.add(name)
                    print(name, lookup(keys, name).decode())
        return 0
    keys = load_keys(sys.argv[1])
    bad = 0
    for path in sys.argv[2:]:
        r = verify(keys, path)
        bad += not r.startswith("ok")
        print("%s: %s" % (path.rsplit("/", 1)[-1], r))
    return 1 if bad else 0


sys.exit(main())
