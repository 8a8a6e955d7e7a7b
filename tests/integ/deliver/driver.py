"""driver.py - drive mta-deliver over deliver/1, as mta-queue would.

usage: /usr/bin/python3 driver.py [-t SECONDS] PROGRAM [ARGS...] <SCRIPT

Starts PROGRAM with one end of a socketpair as its fd 0 and fd 1 (its
stderr is ours), then runs SCRIPT, one command a line:

  > RECORD            send RECORD (a deliver/1 line, without its LF)
  < VERB [KEY=VAL...] wait until a record of VERB with those keys (as
                      written, percent-encoded) has arrived that no
                      earlier wait took (in any order)
  time                print "time S": seconds since the last "time"
  sleep S             wait S seconds (records keep arriving)
  eof                 close our end of the socket
  exit                wait for PROGRAM to end; print "exit CODE"

Every record that arrives is printed on stdout when it arrives, once.
A wait that is not met within SECONDS (default 10) prints
"timeout waiting for ..." and ends the script with exit status 1, after
killing PROGRAM.  Blank lines and lines starting with "#" are skipped.
"""
import os
import select
import socket
import subprocess
import sys
import time


def main():
    args = sys.argv[1:]
    limit = 10.0
    if len(args) >= 2 and args[0] == "-t":
        limit = float(args[1])
        args = args[2:]
    if not args:
        sys.exit(__doc__)
    ours, theirs = socket.socketpair()
    proc = subprocess.Popen(args, stdin=theirs, stdout=theirs)
    theirs.close()
    buf = b""
    seen = []       # records arrived, as str
    taken = set()   # indices of records a wait has matched
    mark = time.monotonic()
    closed = False

    def pump(timeout):
        """Read what has arrived within timeout; print whole records."""
        nonlocal buf, closed
        if closed:
            time.sleep(timeout)
            return
        r, _, _ = select.select([ours], [], [], timeout)
        if not r:
            return
        data = ours.recv(65536)
        if not data:
            closed = True
            return
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            rec = line.decode("latin-1")
            seen.append(rec)
            print(rec, flush=True)

    def found(want):
        """the index of the first record not taken that fits want"""
        verb, keys = want[0], want[1:]
        for i in range(len(seen)):
            if i in taken:
                continue
            words = seen[i].split(" ")
            if words[0] == verb and all(k in words[1:] for k in keys):
                return i
        return -1

    def die(msg):
        print(msg, flush=True)
        proc.kill()
        proc.wait()
        sys.exit(1)

    for raw in sys.stdin:
        line = raw.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("> "):
            try:
                ours.sendall(line[2:].encode("latin-1") + b"\n")
            except OSError as e:
                die("send failed: %s" % e)
        elif line.startswith("< "):
            want = line[2:].split()
            end = time.monotonic() + limit
            while found(want) < 0:
                left = end - time.monotonic()
                if left <= 0 or (closed and found(want) < 0):
                    die("timeout waiting for %s" % line[2:])
                pump(min(left, 0.2))
            taken.add(found(want))
        elif line == "time":
            now = time.monotonic()
            print("time %.2f" % (now - mark), flush=True)
            mark = now
        elif line.startswith("sleep "):
            end = time.monotonic() + float(line[6:])
            while time.monotonic() < end:
                pump(max(0.0, min(0.1, end - time.monotonic())))
        elif line == "eof":
            ours.shutdown(socket.SHUT_WR)
        elif line == "exit":
            end = time.monotonic() + limit
            while proc.poll() is None and time.monotonic() < end:
                pump(0.05)
            if proc.poll() is None:
                die("timeout waiting for exit")
            while not closed:
                pump(0.05)
            print("exit %d" % proc.returncode, flush=True)
        else:
            die("bad script line: %s" % line)
    if proc.poll() is None:
        ours.close()
        try:
            proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main()
