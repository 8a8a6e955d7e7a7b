"""intact.py DIR < IDS: of the queue ids read (one a line), print how
many have no file in DIR ("lost") and how many files are not complete
("broken"), as "lost N broken N".

A complete spool file is what common.sh's intact() checks, in one
process rather than five per file: its envelope names its own id, and
the bytes after the envelope's empty line are as many as its size
record says.
"""
import os
import sys


def complete(path, qid):
    with open(path, "rb") as f:
        data = f.read()
    end = data.find(b"\n\n")
    if end < 0:
        return False
    fields = {}
    for line in data[:end].split(b"\n"):
        key, _, value = line.partition(b" ")
        fields.setdefault(key, value)
    size = fields.get(b"size", b"")
    return (fields.get(b"id") == qid.encode() and size.isdigit()
            and int(size) == len(data) - end - 2)


def main():
    lost = broken = 0
    for line in sys.stdin:
        qid = line.strip()
        path = os.path.join(sys.argv[1], qid)
        if not os.path.exists(path):
            lost += 1
        elif not complete(path, qid):
            broken += 1
    print("lost %d broken %d" % (lost, broken))


main()
