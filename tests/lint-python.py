"""lint-python -- flake8 over every Python file in tests/ and scripts/.

Python files are those named *.py and those whose first line is a python
shebang (tests/bench/capd-bench).  The configuration is .flake8 at the top
of the tree.  Usage: lint-python.py FLAKE8 SOURCE_ROOT; exits 77 (skipped)
saying why when FLAKE8 is empty (flake8 not installed).
"""

import os
import re
import subprocess
import sys

SKIP_DIRS = {".git", "__pycache__", "node_modules", "corpus"}
SHEBANG = re.compile(rb"^#!.*\bpython")


def python_files(root, top):
    out = []
    for d, dirs, files in os.walk(os.path.join(root, top)):
        dirs[:] = sorted(x for x in dirs if x not in SKIP_DIRS)
        for name in sorted(files):
            path = os.path.join(d, name)
            if name.endswith(".py"):
                out.append(path)
            elif "." not in name and os.path.isfile(path):
                with open(path, "rb") as f:
                    if SHEBANG.match(f.readline()):
                        out.append(path)
    return out


def main():
    flake8, root = sys.argv[1], sys.argv[2]
    if not flake8:
        print("SKIP: flake8 is not installed (scripts/deps installs it: "
              "scripts/packages/test.txt)")
        return 77
    files = python_files(root, "tests") + python_files(root, "scripts")
    r = subprocess.run([flake8, "--config", os.path.join(root, ".flake8")]
                       + [os.path.relpath(f, root) for f in files],
                       cwd=root)
    print("flake8: %d files, %s" % (len(files),
                                    "clean" if r.returncode == 0 else
                                    "see above"))
    return r.returncode


if __name__ == "__main__":
    sys.exit(main())
