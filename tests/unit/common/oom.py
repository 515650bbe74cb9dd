#!/usr/bin/env python3
"""oom.py -- out of memory ends one way in common/: xmalloc_fatal().

Fails on a bare abort() and on a fatal()/fatalx() whose text says "out of
memory" anywhere in common/*.c but xmalloc.c, which defines
xmalloc_fatal().  Comments and string contents elsewhere do not count:
only calls are looked for.
"""
import os
import re
import sys

ABORT = re.compile(r"(?<![\w.>])abort\s*\(\s*\)")
FATAL_OOM = re.compile(r"\bfatalx?\s*\(\s*\"out of memory", re.I)
COMMENT = re.compile(r"/\*.*?\*/", re.S)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "..", "..", "common")
    bad = []
    files = sorted(f for f in os.listdir(root) if f.endswith(".c"))
    for f in files:
        if f == "xmalloc.c":
            continue
        with open(os.path.join(root, f), encoding="utf-8") as fp:
            text = COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"),
                               fp.read())
        for n, line in enumerate(text.split("\n"), 1):
            if ABORT.search(line):
                bad.append("%s:%d: abort(): call xmalloc_fatal() for out "
                           "of memory, assert() for an invariant" % (f, n))
            if FATAL_OOM.search(line):
                bad.append("%s:%d: out of memory through fatalx(): call "
                           "xmalloc_fatal()" % (f, n))
    for b in bad:
        print("not ok: " + b)
    if not bad:
        print("ok: %d files of common/ end out of memory through "
              "xmalloc_fatal()" % len(files))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
