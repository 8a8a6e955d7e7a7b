"""rawmx.py - an SMTP server that says exactly what it is told to.

usage: /usr/bin/python3 rawmx.py ADDR:PORT LOG SCRIPT [SCRIPT...]

Connection i (from 1) runs SCRIPT number i, the last one for every
later connection.  A script is steps separated by "|":

  say:TEXT    send TEXT and CRLF ("\\n" in TEXT sends CRLF between lines)
  raw:TEXT    send TEXT as it is ("\\r", "\\n" expanded)
  read        read one line
  data        read lines up to and including "."
  sleep:S     wait S seconds
  idle:S      wait S seconds, then log "(idle)" if nothing came from the
              client meanwhile, "(busy)" if something did (a client that
              pipelines where it should wait for a reply)
  close       hang up (also what happens after the last step)

Each line read is appended to LOG as "N< line", each sent as "N> text"
(N the connection).  One connection at a time; bounded: the server
exits after 50 connections or 120 seconds.
"""
import socket
import sys
import time


def expand(text):
    return text.replace("\\r", "\r").replace("\\n", "\n")


def run(conn, n, script, log):
    f = conn.makefile("rb")
    for step in script.split("|"):
        cmd, _, arg = step.partition(":")
        if cmd == "say":
            out = expand(arg).replace("\n", "\r\n") + "\r\n"
            conn.sendall(out.encode("latin-1"))
            log.write("%d> %s\n" % (n, arg))
        elif cmd == "raw":
            conn.sendall(expand(arg).encode("latin-1"))
            log.write("%d> %s\n" % (n, arg))
        elif cmd == "read":
            line = f.readline()
            if not line:
                break
            log.write("%d< %s\n" % (n, line.decode("latin-1").rstrip()))
        elif cmd == "data":
            while True:
                line = f.readline()
                if not line or line == b".\r\n":
                    break
            log.write("%d< (message)\n" % n)
        elif cmd == "sleep":
            time.sleep(float(arg))
        elif cmd == "idle":
            time.sleep(float(arg))
            conn.setblocking(False)
            try:
                got = f.peek(1)
            except OSError:
                got = b""
            conn.settimeout(30)
            log.write("%d< %s\n" % (n, "(busy)" if got else "(idle)"))
        elif cmd == "close":
            break
        log.flush()
    log.flush()


def main():
    addr, port = sys.argv[1].rsplit(":", 1)
    scripts = sys.argv[3:]
    log = open(sys.argv[2], "a")
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr.strip("[]"), int(port)))
    s.listen(16)
    s.settimeout(1)
    end = time.monotonic() + 120
    n = 0
    while n < 50 and time.monotonic() < end:
        try:
            conn, _ = s.accept()
        except socket.timeout:
            continue
        n += 1
        conn.settimeout(30)
        try:
            run(conn, n, scripts[min(n, len(scripts)) - 1], log)
        except OSError as e:
            log.write("%d! %s\n" % (n, e))
            log.flush()
        conn.close()


if __name__ == "__main__":
    main()
