#!/usr/bin/env python3
"""http-bench -- common/http-*.c (httptestd) beside libevent's evhttp.

    meson compile -C build bench-http
    (or: KVM_BUILD_ROOT=build tests/bench/http-bench.py)

Same machine, same routes, same client: keep-alive request rate on one
connection, with pipelining, and over 32 connections at once; then a
256 MiB upload: time and the server's peak resident memory.  The client is
Python, so the request rates are a floor for both servers; the memory
figure is the point: evhttp holds the whole body, http.c streams it.
"""

import os
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

BUILD = os.environ.get("KVM_BUILD_ROOT",
                       os.path.join(os.path.dirname(__file__), "..", "..",
                                    "build"))
OURS = os.path.join(BUILD, "tests", "integration", "common", "httptestd")
REF = os.path.join(BUILD, "tests", "bench", "http-evhttp-ref")
REQ = b"GET /hello HTTP/1.1\r\nHost: b\r\n\r\n"


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def read_replies(s, buf, n):
    """Reads n replies with Content-Length from s; returns leftover."""
    while n > 0:
        while b"\r\n\r\n" not in buf:
            buf += s.recv(65536)
        head, rest = buf.split(b"\r\n\r\n", 1)
        cl = 0
        for line in head.split(b"\r\n")[1:]:
            k, v = line.split(b":", 1)
            if k.strip().lower() == b"content-length":
                cl = int(v)
        while len(rest) < cl:
            rest += s.recv(65536)
        buf = rest[cl:]
        n -= 1
    return buf


def sequential(path, n=5000):
    s = connect(path)
    buf = b""
    t0 = time.perf_counter()
    for _ in range(n):
        s.sendall(REQ)
        buf = read_replies(s, buf, 1)
    dt = time.perf_counter() - t0
    s.close()
    return n / dt


def pipelined(path, n=20000, depth=50):
    s = connect(path)
    buf = b""
    t0 = time.perf_counter()
    for _ in range(n // depth):
        s.sendall(REQ * depth)
        buf = read_replies(s, buf, depth)
    dt = time.perf_counter() - t0
    s.close()
    return n / dt


def concurrent(path, conns=32, per=300):
    sel = selectors.DefaultSelector()
    left = {}
    bufs = {}
    for _ in range(conns):
        s = connect(path)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        left[s] = per
        bufs[s] = b""
    t0 = time.perf_counter()
    for s in left:
        s.send(REQ)
    active = conns
    while active:
        for key, _ in sel.select():
            s = key.fileobj
            bufs[s] += s.recv(65536)
            while b"\r\n\r\n" in bufs[s]:
                head, rest = bufs[s].split(b"\r\n\r\n", 1)
                cl = int(head.lower().split(b"content-length:")[1]
                         .split(b"\r\n")[0])
                if len(rest) < cl:
                    break
                bufs[s] = rest[cl:]
                left[s] -= 1
                if left[s] == 0:
                    sel.unregister(s)
                    s.close()
                    active -= 1
                    break
                s.send(REQ)
    dt = time.perf_counter() - t0
    return conns * per / dt


def upload(path, pid, size=256 << 20):
    block = os.urandom(1 << 20)
    s = connect(path)
    peak = [rss_kib(pid)]
    done = threading.Event()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kib(pid))
            time.sleep(0.01)

    w = threading.Thread(target=watch)
    w.start()
    t0 = time.perf_counter()
    s.sendall(b"PUT /upload?hash=0 HTTP/1.1\r\n"
              b"Content-Length: %d\r\n\r\n" % size)
    for _ in range(size // len(block)):
        s.sendall(block)
    read_replies(s, b"", 1)
    dt = time.perf_counter() - t0
    done.set()
    w.join()
    s.close()
    return size / dt / 1e6, peak[0]


def run(name, argv, sock):
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            connect(sock).close()
            break
        except OSError:
            time.sleep(0.02)
    try:
        idle = rss_kib(proc.pid)
        r = {"seq": sequential(sock), "pipe": pipelined(sock),
             "conc": concurrent(sock)}
        r["up_mbs"], r["up_peak"] = upload(sock, proc.pid)
        r["idle"] = idle
        return r
    finally:
        proc.terminate()
        proc.wait()


def main():
    for p in (OURS, REF):
        if not os.path.exists(p):
            sys.exit("http-bench: %s is not built (set KVM_BUILD_ROOT)" % p)
    tmp = tempfile.mkdtemp(prefix="http-bench-")
    ours = run("http.c", [OURS, "--socket", os.path.join(tmp, "o.sock"),
                          "--max-connections", "512"],
               os.path.join(tmp, "o.sock"))
    ref = run("evhttp", [REF, os.path.join(tmp, "r.sock")],
              os.path.join(tmp, "r.sock"))
    rows = [("keep-alive GET, 1 connection (req/s)", "seq", "%.0f"),
            ("pipelined GET x50, 1 connection (req/s)", "pipe", "%.0f"),
            ("GET over 32 connections (req/s)", "conc", "%.0f"),
            ("256 MiB PUT (MB/s)", "up_mbs", "%.0f"),
            ("server RSS idle (KiB)", "idle", "%d"),
            ("server RSS peak during the PUT (KiB)", "up_peak", "%d")]
    print("%-42s %12s %12s" % ("", "http.c", "evhttp (ref)"))
    for label, key, fmt in rows:
        print("%-42s %12s %12s" % (label, fmt % ours[key], fmt % ref[key]))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
