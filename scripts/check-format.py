#!/usr/bin/env python3
"""Fail when a C file differs from what clang-format makes of it, or when
a message string is split across lines (scripts/join-messages.py).

Run through `meson compile -C build check-format` (CI does).  Prints the
files that differ and how to fix them.
"""
import os
import subprocess
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
files = subprocess.run(["git", "ls-files", "*.c", "*.h"], cwd=root,
                       capture_output=True, text=True,
                       check=True).stdout.split()
bad = []
for f in files:
    path = os.path.join(root, f)
    with open(path, "rb") as fh:
        before = fh.read()
    after = subprocess.run(["clang-format", "--style=file", path],
                           cwd=root, capture_output=True, check=True).stdout
    if before != after:
        bad.append(f)
split = subprocess.run(
    [sys.executable, os.path.join(root, "scripts", "join-messages.py"),
     "--check"] + files, cwd=root, capture_output=True, text=True)
if bad:
    print("not formatted (run: clang-format -i FILE):")
    for f in bad:
        print("  " + f)
if split.returncode != 0:
    print("messages split across lines (run: scripts/join-messages.py FILE,"
          " then clang-format -i FILE):")
    print(split.stdout, end="")
if bad or split.returncode != 0:
    sys.exit(1)
print("%d files formatted, every message on one line" % len(files))
