#!/usr/bin/env python3
"""docs-api: the committed docs/api.md is what tests/apidoc prints.

usage: check.py APIDOC INTRO DOC

Fails with the unified diff (committed -> generated) when they differ; the
fix is `ninja -C build apidoc`, which rewrites DOC from the descriptions.
"""
import difflib
import subprocess
import sys


def main():
    apidoc, intro, doc = sys.argv[1:4]
    generated = subprocess.run([apidoc, intro], check=True,
                               capture_output=True, text=True).stdout
    try:
        with open(doc, encoding="utf-8") as f:
            committed = f.read()
    except FileNotFoundError:
        committed = ""
    if committed == generated:
        print("docs/api.md matches the API descriptions")
        return 0
    sys.stdout.writelines(difflib.unified_diff(
        committed.splitlines(keepends=True),
        generated.splitlines(keepends=True),
        "docs/api.md (committed)", "docs/api.md (from the descriptions)"))
    print("\ndocs/api.md differs from the daemons' API descriptions "
          "(<daemon>/spec.c, tests/apidoc/intro.md): run "
          "`ninja -C build apidoc` and commit the result")
    return 1


if __name__ == "__main__":
    sys.exit(main())
