#!/usr/bin/env python3
"""layers.py -- common/ is layered without cycles.

Each module of common/ sits on a layer; a file may include the headers of
its own module, of lower layers, and of its own layer when that adds no
cycle between modules.  The layers, lowest first:

  text      utf8: UTF-8 checks and quoting, needed by every message
  base      error, log, xmalloc: -errno messages, the status table, logging
  parsers   httpparse, wsframe, config, sock: pure code and system helpers
  envelope  the JSON envelope
  http      the HTTP server (http.h, http-*.c), client
  api       api, apispec, metrics: routes described and checked, replies
  ws        the WebSocket connection on an upgraded HTTP request
  daemon    the daemon skeleton

A file of common/ that is not in the table fails the test too, so a new
module is placed on purpose.  Reads the #include "..." lines of
common/*.c and common/*.h; headers from outside common/ (kvm-config.h) are
not modules.  Exits 1 naming each include that goes up a layer and each
cycle.
"""
import os
import re
import sys

LAYERS = [
    ("text", ["utf8"]),
    ("base", ["error", "log", "xmalloc"]),
    ("parsers", ["httpparse", "wsframe", "config", "sock"]),
    ("envelope", ["envelope"]),
    ("http", ["http", "client"]),
    ("api", ["api", "apispec", "metrics"]),
    ("ws", ["ws"]),
    ("daemon", ["daemon"]),
    ("tool", ["tool", "toolhelp"]),  # the tools: a client, not a daemon
]

LAYER = {mod: i for i, (_, mods) in enumerate(LAYERS) for mod in mods}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def module(name):
    """The module a file belongs to: http-conn.c and http-int.h are http's."""
    stem = os.path.splitext(os.path.basename(name))[0]
    return stem.split("-")[0]


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "..", "..", "common")
    files = sorted(f for f in os.listdir(root) if f.endswith((".c", ".h")))
    ours = set(files)
    if not files:
        print("no C files in %s" % root)
        return 1
    bad = []
    edges = {}
    for f in files:
        mod = module(f)
        if mod not in LAYER:
            bad.append("%s: module %r is on no layer: add it to LAYERS "
                       "in %s" % (f, mod, os.path.basename(__file__)))
            continue
        with open(os.path.join(root, f), encoding="utf-8") as fp:
            text = fp.read()
        for inc in INCLUDE.findall(text):
            if inc not in ours:
                continue  # generated or from elsewhere: not a module
            dep = module(inc)
            if dep == mod or dep not in LAYER:
                continue
            edges.setdefault(mod, set()).add(dep)
            if LAYER[dep] > LAYER[mod]:
                bad.append("%s (layer %s) includes %s (layer %s, higher)"
                           % (f, LAYERS[LAYER[mod]][0], inc,
                              LAYERS[LAYER[dep]][0]))
    for cycle in cycles(edges):
        bad.append("cycle between modules: %s" % " -> ".join(cycle))
    for b in bad:
        print("not ok: " + b)
    if not bad:
        print("ok: %d files of common/ include only their own or lower "
              "layers, no cycles" % len(files))
    return 1 if bad else 0


def cycles(edges):
    """Each cycle of the module graph, found by depth-first search."""
    found, done = [], set()

    def visit(node, path):
        if node in path:
            found.append(path[path.index(node):] + [node])
            return
        if node in done:
            return
        for dep in sorted(edges.get(node, ())):
            visit(dep, path + [node])
        done.add(node)

    for node in sorted(edges):
        visit(node, [])
    return found


if __name__ == "__main__":
    sys.exit(main())
