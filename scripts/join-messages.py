#!/usr/bin/env python3
"""Messages stay whole: find (--check) or join string literals split
across lines inside log, error and print calls, so that grep finds a
message by the words a person saw.  clang-format no longer splits them
(BreakStringLiterals: false in .clang-format); this keeps hand-split ones
out.  check-format.py runs it with --check."""
import re
import sys

CALLS = re.compile(r'^(log_\w+|error_set\w*|fatal\w*|api_reply_error\w*|'
                   r'warnx?|errx?|fprintf|printf|snprintf|tool_\w+|die\w*|'
                   r'utf8_format|tap_\w+|ok|diag|metrics_\w+)$')
LIT = r'"(?:[^"\\\n]|\\.)*"'
PAIR = re.compile(r'(' + LIT + r')([ \t]*\n[ \t]*)(' + LIT + r')')


def call_name(src, pos):
    depth = 0
    i = pos
    while i > 0:
        i -= 1
        c = src[i]
        if c == ')':
            depth += 1
        elif c == '(':
            if depth == 0:
                j = i
                while j > 0 and src[j - 1] in ' \t\n':
                    j -= 1
                k = j
                while k > 0 and (src[k - 1].isalnum() or src[k - 1] == '_'):
                    k -= 1
                return src[k:j]
            depth -= 1
        elif c in ';{}':
            return None
    return None


def fix(src):
    changed = 0
    pos = 0
    while True:
        m = PAIR.search(src, pos)
        if not m:
            break
        a, b = m.group(1), m.group(3)
        name = call_name(src, m.start())
        line_start = src.rfind('\n', 0, m.start()) + 1
        if (name and CALLS.match(name) and not a.endswith('\\n"')
                and not src[line_start:m.start()].lstrip().startswith('#')):
            src = src[:m.start()] + a[:-1] + b[1:] + src[m.end():]
            changed += 1
            pos = m.start()
        else:
            pos = m.start(3)
    return src, changed


def main(argv):
    check = argv[:1] == ["--check"]
    bad = []
    for p in argv[1:] if check else argv:
        with open(p) as fh:
            s = fh.read()
        n, c = fix(s)
        if c and check:
            bad.append("%s: %d split message(s)" % (p, c))
        elif c:
            with open(p, "w") as fh:
                fh.write(n)
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
