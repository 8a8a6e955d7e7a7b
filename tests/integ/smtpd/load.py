"""load HOST PORT SESSIONS SECONDS - SESSIONS clients sending 1 KB
messages, pipelined, as fast as they are answered, for at most SECONDS;
prints each queue id as its 250 arrives, and stops quietly when the
server goes away."""
import sys
import threading
import time

from smtpc import Client

host, port = sys.argv[1], int(sys.argv[2])
nsess, seconds = int(sys.argv[3]), float(sys.argv[4])
body = (b"Subject: load\r\n\r\n" + (b"x" * 70 + b"\r\n") * 13)
lock = threading.Lock()
end = time.time() + seconds


def run(k):
    try:
        c = Client(host, port)
        c.reply()
        c.send(b"EHLO load.test\r\n")
        c.reply()
        n = 0
        while time.time() < end:
            c.send(b"MAIL FROM:<a@x.test>\r\nRCPT TO:<r%d.%d@y.test>\r\n"
                   b"DATA\r\n" % (k, n))
            for _ in range(3):
                c.reply()
            c.send(body + b".\r\n")
            r = c.reply()
            if r.startswith(b"250 2.0.0 Ok: queued as "):
                with lock:
                    sys.stdout.write(r.split()[-1].decode() + "\n")
                    sys.stdout.flush()
            n += 1
    except Exception:  # noqa: BLE001 - the server was killed
        pass


threads = [threading.Thread(target=run, args=(k,)) for k in range(nsess)]
for t in threads:
    t.start()
for t in threads:
    t.join()
