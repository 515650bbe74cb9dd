#!/usr/bin/env python3
"""Count meson's test results: `summary.py build/meson-logs/testlog.json...`

Prints each skipped test with the reason it gave, each failed one with
its failed TAP subtests (or the end of its output, which is what CI's log
keeps in view), then one line
`N passed, N failed, N skipped` over all the logs given.  Exits 1 if any
test failed (or a log is missing), else 0.
"""
import json
import sys


def why_failed(t, keep=12):
    """A TAP test's "not ok" lines with the comment lines that follow
    each; else the last lines of its stdout and stderr."""
    out = (t.get("stdout") or "").splitlines()
    lines, inside = [], False
    for ln in out:
        if ln.startswith("not ok"):
            lines.append(ln[:300])
            inside = True
        elif inside and ln.startswith("#") and len(lines) < keep * 4:
            lines.append(ln[:300])
        else:
            inside = False
    if lines:
        return lines[:keep * 4]
    tail = out[-keep:] + (t.get("stderr") or "").splitlines()[-keep:]
    return [ln[:300] for ln in tail]


passed = failed = skipped = 0
missing = False
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError as e:
        print("summary: %s: %s" % (path, e))
        missing = True
        continue
    for line in lines:
        if not line.strip():
            continue
        t = json.loads(line)
        res = t.get("result")
        if res in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif res == "SKIP":
            skipped += 1
            out = (t.get("stdout") or "").strip().splitlines()
            why = [ln for ln in out if "skip" in ln.lower()] or out[-1:]
            print("skipped: %s: %s" % (t["name"],
                                       why[-1] if why else "(no reason)"))
        else:
            failed += 1
            print("failed: %s (%s)" % (t["name"], res))
            for ln in why_failed(t):
                print("    " + ln)
print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
sys.exit(1 if failed or missing else 0)
