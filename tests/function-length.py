#!/usr/bin/env python3
"""Fail when a production C function is longer than the limit.

The house style puts a definition's name at the start of a line and its
braces in column 0, so a function runs from the line after its name to the
'}' in column 0.  Counted: the body's lines, braces included.  Tests,
fuzzers and benchmarks are not production code and are not counted.
"""
import os
import re
import subprocess
import sys

LIMIT = 80
DIRS = ("common", "capd", "hidd", "mediad", "gpiod-ctl", "fetchd", "gadget",
        "ocrd")
NAME = re.compile(r"^([A-Za-z_]\w*)\(")


def functions(path):
    with open(path) as fh:
        lines = fh.read().split("\n")
    name, start = None, None
    for i, line in enumerate(lines):
        m = NAME.match(line)
        if m and start is None:
            name = m.group(1)
        elif line == "{" and name is not None:
            start = i
        elif line == "}" and start is not None:
            yield name, start + 1, i - start + 1
            name, start = None, None
        elif start is None and line.endswith(";") and line[:1].isalpha():
            name = None  # a prototype or a declaration, not a definition


def main(argv):
    root = argv[0] if argv else os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))
    files = subprocess.run(["git", "ls-files", "--", *DIRS], cwd=root,
                           capture_output=True, text=True,
                           check=True).stdout.split()
    long = []
    for f in files:
        if not f.endswith(".c"):
            continue
        for name, line, n in functions(os.path.join(root, f)):
            if n > LIMIT:
                long.append("%s:%d: %s() is %d lines" % (f, line, name, n))
    for entry in long:
        print(entry)
    if long:
        print("%d function(s) over %d lines: split them into named steps"
              % (len(long), LIMIT))
        return 1
    print("no production function over %d lines" % LIMIT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
