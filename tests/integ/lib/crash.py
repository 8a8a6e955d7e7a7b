"""crash.py - run mta-inject many times, single and batch, SIGKILL some of
the runs at random moments, and check the spool: every id printed names a
complete file in new/, and no file is ever seen in new/ incomplete.

usage: python3 crash.py INJECT CONF SPOOL RUNS SEED

Runs RUNS mta-inject processes, at most PAR at a time: three in four
single (-i, one message), one in four batch (-b, 2 to 40 messages, half
of them from a file, half fed through a pipe in pieces so that they are
committed in small groups).  Messages are mostly small, a few large so
that kills land inside writes.  Each message has its own recipient and a
token in its Subject, so an id printed can be checked against the message
it was printed for.

A watcher thread checks each file once, as soon as it appears in new/.
The children are this program's own, so a kill never reaches another
process: Popen.kill() signals a child not yet reaped, whose PID cannot
have been reused.  Prints "FAIL ..." lines, then "ids printed N, files in
new/ N, left in tmp/ N, runs N, killed N, messages N".
"""
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

PAR = 4
DEADLINE = 60.0			# seconds for the whole run
PKILL = 0.35			# share of the runs killed
ID = re.compile(rb"^[0-9a-f]{21}$")

inject, conf, spool, runs, seed = sys.argv[1:6]
runs = int(runs)
rnd = random.Random(int(seed))
new = os.path.join(spool, "new")
tmp = os.path.join(spool, "tmp")
failures = []
lock = threading.Lock()


def fail(msg):
    with lock:
        if len(failures) < 20:
            failures.append(msg)


def check_file(path):
    """(None, token) for a complete message file, else (why, None)."""
    with open(path, "rb") as f:
        data = f.read()
    end = data.find(b"\n\n")
    if end < 0:
        return "no end of envelope", None
    lines = data[:end].split(b"\n")
    if lines[0] != b"mta-spool 1":
        return "first line %r" % lines[0], None
    rec = {}
    for line in lines[1:]:
        k, _, v = line.partition(b" ")
        if k != b"rcpt":
            rec[k] = v
    if rec.get(b"id", b"").decode() != os.path.basename(path):
        return "id record %r" % rec.get(b"id"), None
    if not re.fullmatch(rb"[0-9]{12}", rec.get(b"size", b"")):
        return "size record %r" % rec.get(b"size"), None
    body = data[end + 2:]
    if int(rec[b"size"]) != len(body):
        return "size %d, %d bytes" % (int(rec[b"size"]), len(body)), None
    m = re.search(rb"^Subject: (crash-[0-9]+)\r$", body, re.M)
    if m is None or not body.endswith(b"end " + m.group(1) + b"\r\n"):
        return "message cut", None
    return None, m.group(1).decode()


seen = {}			# name in new/ -> token
stop = threading.Event()


def watch():
    """Check each file of new/ once, when it first appears."""
    while True:
        last = stop.is_set()
        for name in os.listdir(new):
            if name in seen:
                continue
            why, token = check_file(os.path.join(new, name))
            if why is not None:
                fail("incomplete file seen in new/: %s: %s" % (name, why))
            seen[name] = token
        if last:
            return
        time.sleep(0.001)


def message(k):
    """Message k: a few lines, now and then many."""
    n = 300 if rnd.random() < 0.03 else rnd.randint(1, 40)
    line = b"x" * rnd.randint(10, 400)
    return (b"Subject: crash-%d\n\n" % k + (line + b"\n") * n +
            b"end crash-%d\n" % k)


def bsmtp(k, body):
    return (b"MAIL FROM:<s@example.org>\r\nRCPT TO:<r%d@x.org>\r\n"
            b"DATA\r\n" % k + b"\r\n".join(
                (b"." + l if l.startswith(b".") else l)
                for l in body.split(b"\n")[:-1]) + b"\r\n.\r\n")


class Run:
    est = {"single": 0.005, "file": 0.02, "pipe": 0.05}	# seconds

    def __init__(self, kind, tokens, data, work):
        self.kind = kind
        self.tokens = tokens
        self.killed = False
        args = [inject, "-C", conf]
        args += ["-i", "-f", "s@example.org", "r%s@x.org" %
                 tokens[0][6:]] if kind == "single" else ["-b"]
        self.feeder = None
        if kind == "pipe":
            self.p = subprocess.Popen(args, stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE)
            self.feeder = threading.Thread(target=self.feed, args=(data,))
            self.feeder.start()
        else:
            path = os.path.join(work, "in")
            with open(path, "wb") as f:
                f.write(data)
            with open(path, "rb") as f:
                self.p = subprocess.Popen(args, stdin=f,
                                          stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE)
        self.start = time.monotonic()
        self.kill_at = None
        if rnd.random() < PKILL:
            self.kill_at = self.start + rnd.uniform(0, 1.5 * Run.est[kind])

    def feed(self, data):
        """Write data in pieces, with pauses: small commit groups."""
        try:
            for i in range(0, len(data), 2000):
                self.p.stdin.write(data[i:i + 2000])
                self.p.stdin.flush()
                if rnd.random() < 0.2:
                    time.sleep(0.001)
            self.p.stdin.close()
        except (BrokenPipeError, ValueError, OSError):
            pass

    def finish(self):
        """The ids printed, as (id, token); checks a run not killed."""
        if self.feeder is not None:
            self.feeder.join()
        out = self.p.stdout.read()
        err = self.p.stderr.read()
        self.p.stdout.close()
        self.p.stderr.close()
        if self.p.stdin is not None:
            try:
                self.p.stdin.close()
            except OSError:
                pass
        if not self.killed:
            took = time.monotonic() - self.start
            Run.est[self.kind] = 0.8 * Run.est[self.kind] + 0.2 * took
            if self.p.returncode != 0 or err:
                fail("%s run exited %d: %r" % (self.kind, self.p.returncode,
                                               err[:200]))
        lines = out.split(b"\n")[:-1]	# a cut last line does not count
        if len(lines) > len(self.tokens):
            fail("%s run printed %d lines for %d messages" %
                 (self.kind, len(lines), len(self.tokens)))
        printed = []
        for line, token in zip(lines, self.tokens):
            if not ID.match(line):
                fail("%s run printed %r" % (self.kind, line))
                continue
            printed.append((line.decode(), token))
        if not self.killed and len(lines) != len(self.tokens):
            fail("%s run printed %d lines for %d messages" %
                 (self.kind, len(lines), len(self.tokens)))
        return printed


def main():
    # Killed (by timeout(1) or the test): kill the children first.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    watcher = threading.Thread(target=watch)
    watcher.start()
    work = tempfile.mkdtemp()
    running = []
    printed = []
    started = kills = k = 0
    deadline = time.monotonic() + DEADLINE
    try:
        while started < runs or running:
            if time.monotonic() > deadline:
                fail("not done within %d s" % DEADLINE)
                break
            while len(running) < PAR and started < runs:
                kind = "single"
                if started % 4 == 3:
                    kind = "pipe" if started % 8 == 7 else "file"
                n = 1 if kind == "single" else rnd.randint(2, 40)
                tokens, data = [], b""
                for _ in range(n):
                    k += 1
                    body = message(k)
                    tokens.append("crash-%d" % k)
                    data += body if kind == "single" else bsmtp(k, body)
                d = os.path.join(work, str(started))
                os.mkdir(d)
                running.append(Run(kind, tokens, data, d))
                started += 1
            now = time.monotonic()
            for r in running[:]:
                if r.kill_at is not None and now >= r.kill_at and \
                        r.p.poll() is None:
                    r.p.kill()
                    r.killed = True
                    r.kill_at = None
                if r.p.poll() is not None:
                    printed += r.finish()
                    running.remove(r)
                    # killed before it could end by itself
                    kills += r.p.returncode == -signal.SIGKILL
            time.sleep(0.0002)
    finally:
        for r in running:
            if r.p.poll() is None:
                r.p.kill()
            r.p.wait()
        stop.set()
        watcher.join()
        subprocess.run(["rm", "-rf", work])

    # Every id printed: once, a complete file in new/, its own message.
    ids = [i for i, _ in printed]
    if len(set(ids)) != len(ids):
        fail("an id printed twice")
    names = set(os.listdir(new))
    for qid, token in printed:
        if qid not in names:
            fail("id %s printed, not in new/" % qid)
            continue
        why, got = check_file(os.path.join(new, qid))
        if why is not None:
            fail("id %s printed, file incomplete: %s" % (qid, why))
        elif got != token:
            fail("id %s printed for %s, holds %s" % (qid, token, got))
    # Every file of new/ complete; nothing in queue/.
    for name in names:
        why, _ = check_file(os.path.join(new, name))
        if why is not None:
            fail("file in new/ incomplete: %s: %s" % (name, why))
    for root, _, files in os.walk(os.path.join(spool, "queue")):
        if files:
            fail("files in %s" % root)
    left = set(os.listdir(tmp))
    if left & names:
        fail("in both tmp/ and new/: %s" % sorted(left & names)[0])
    for f in failures:
        print("FAIL", f)
    print("ids printed %d, files in new/ %d, left in tmp/ %d, runs %d, "
          "killed %d, messages %d" % (len(ids), len(names), len(left),
                                      started, kills, k))


main()
