"""A daemon restarted under load loses no request.

`systemctl restart` sends SIGTERM, waits for the daemon to exit and starts
it again; the listening socket belongs to systemd the whole time, so a
connection made meanwhile waits in its queue for the successor.  What is
lost is what the stopping daemon had accepted and not answered: a daemon
must stop accepting at once and finish those (common/daemon.c).

This test plays systemd's part with a stand-in (the real one is not PID 1
here; the appliance suite restarts the units under real systemd): it holds
the listening socket, hands it over by LISTEN_FDS as systemd does, and for
each restart sends SIGTERM, waits for the exit and starts the daemon again.
Meanwhile client threads send requests on fresh connections without pause,
as nginx does (no upstream keep-alive); some write their request a few
milliseconds after connecting, as a loaded proxy does.  Every request must
get its 200.  Also checked: an MJPEG stream ends at once with whole parts
(it does not hold the restart up), an upload that finishes within the
drain bound completes, one that does not leaves no partial image behind,
and the stop is bounded.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import kvmtest
from kvmtest import standins

RESTARTS = 8          # per daemon
CLIENTS = 6           # concurrent request loops
DRAIN_BOUND = 6.0     # DAEMON_DRAIN_SEC in common/daemon.c

# What systemd does for a .socket unit, as the demo does it: the shim
# makes the listening socket fd 3 and sets LISTEN_FDS/LISTEN_PID.
ACTIVATE_SHIM = standins.ACTIVATE_SHIM


class Holder:
    """The stand-in for systemd: one socket, one daemon at a time."""

    def __init__(self, name, tmp):
        self.name = name
        self.tmp = tmp
        self.sock_path = os.path.join(tmp, name + ".sock")
        self.log_path = os.path.join(tmp, name + ".log")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.sock_path)
        self.listener.listen(128)
        self.args = self.daemon_args()
        self.proc = None

    def daemon_args(self):
        if self.name != "hidd":
            return kvmtest.hardware_free_args(self.name, self.tmp)
        paths = []
        for dev in ("hidg0", "hidg1", "hidg2"):
            p = os.path.join(self.tmp, dev)
            open(p, "wb").close()
            paths.append(p)
        return ["--keyboard", paths[0], "--mouse", paths[1],
                "--mouse-rel", paths[2]]

    def start(self):
        conf = os.path.join(self.tmp, "empty.conf")
        open(conf, "w").close()
        env = dict(os.environ)
        for k in ("LISTEN_FDS", "LISTEN_PID", "NOTIFY_SOCKET",
                  "WATCHDOG_USEC", "WATCHDOG_PID"):
            env.pop(k, None)
        fd = self.listener.fileno()
        with open(self.log_path, "ab") as logf:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", ACTIVATE_SHIM, str(fd),
                 kvmtest.binary(self.name), "--config", conf,
                 "--socket", os.path.join(self.tmp, "not-this-one.sock")] +
                self.args, stdout=logf, stderr=logf, env=env,
                pass_fds=(fd,))

    def stop(self):
        """SIGTERM, then wait: seconds until it exited, and its status."""
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        return time.monotonic() - t0, rc

    def restart(self):
        """systemctl restart: stop, start, and (Type=notify) return once
        the new one serves -- here: once it answers a request."""
        took, rc = self.stop()
        self.start()
        status, reply = kvmtest.json_request(self.sock_path, "GET",
                                             "/state", timeout=30)
        if status != 200:
            raise AssertionError("the restarted %s answered %d: %r"
                                 % (self.name, status, reply))
        return took, rc

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.listener.close()

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()


def one_request(path, delay):
    """GET /state on a fresh connection, the request written delay seconds
    after connecting; returns None when answered 200, else what failed."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    try:
        s.connect(path)
        if delay:
            time.sleep(delay)
        s.sendall(b"GET /state HTTP/1.1\r\nHost: x\r\n"
                  b"Connection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError as e:
        return "%s: %s" % (type(e).__name__, e)
    finally:
        s.close()
    if not data:
        return "the connection closed without an answer"
    line = data.split(b"\r\n", 1)[0]
    if not line.startswith(b"HTTP/1.1 200 "):
        return "answered %r" % line
    head, _, body = data.partition(b"\r\n\r\n")
    try:
        if json.loads(body)["ok"] is not True:
            return "not ok: %r" % body[:200]
    except (ValueError, KeyError):
        return "a cut reply: %r" % body[:200]
    return None


class Load(threading.Thread):
    """Requests without pause until stopped; every fourth one waits 20 ms
    between connect and request."""

    def __init__(self, path, n):
        super().__init__(daemon=True)
        self.path = path
        self.n = n
        self.done = threading.Event()
        self.sent = 0
        self.failed = []
        self.slowest = 0.0

    def run(self):
        i = 0
        while not self.done.is_set():
            i += 1
            t0 = time.monotonic()
            why = one_request(self.path, 0.02 if (i + self.n) % 4 == 0
                              else 0)
            self.slowest = max(self.slowest, time.monotonic() - t0)
            self.sent += 1
            if why is not None:
                self.failed.append(why)


class Drain(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kvm-drain-")
        self.holder = None

    def tearDown(self):
        if self.holder is not None:
            self.holder.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def begin(self, name):
        if not os.access(kvmtest.binary(name), os.X_OK):
            self.skipTest("%s is not built yet" % name)
        self.holder = Holder(name, self.tmp)
        self.holder.start()
        status, reply = kvmtest.json_request(self.holder.sock_path, "GET",
                                             "/state")
        self.assertEqual(status, 200, reply)
        return self.holder

    def restart_under_load(self, name):
        h = self.begin(name)
        loads = [Load(h.sock_path, n) for n in range(CLIENTS)]
        for t in loads:
            t.start()
        stops = []
        try:
            for _ in range(RESTARTS):
                time.sleep(0.3)
                took, rc = h.restart()
                self.assertEqual(rc, 0, "%s exited with %d on SIGTERM:\n%s"
                                 % (name, rc, h.log()))
                stops.append(took)
            time.sleep(0.3)
        finally:
            for t in loads:
                t.done.set()
            for t in loads:
                t.join(30)
        sent = sum(t.sent for t in loads)
        failed = [w for t in loads for w in t.failed]
        print("%s: %d restarts, %d requests, %d failed, slowest %.3f s, "
              "slowest stop %.3f s" % (name, RESTARTS, sent, len(failed),
                                       max(t.slowest for t in loads),
                                       max(stops)))
        self.assertGreater(sent, RESTARTS * CLIENTS)
        self.assertEqual(len(failed), 0, "%d of %d requests failed across "
                         "%d restarts, the first: %s" % (
                             len(failed), sent, RESTARTS, failed[:5]))
        self.assertLess(max(stops), DRAIN_BOUND + 2)

    def test_capd(self):
        self.restart_under_load("capd")

    def test_hidd(self):
        self.restart_under_load("hidd")

    def test_mediad(self):
        self.restart_under_load("mediad")

    def test_gpiod_ctl(self):
        self.restart_under_load("gpiod-ctl")

    def test_stream_ends_at_once(self):
        """An MJPEG stream does not hold the stop up: it ends after whole
        parts, and the daemon exits well within the bound."""
        h = self.begin("capd")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(h.sock_path)
        s.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while data.count(b"\xff\xd9") < 2:
            data += s.recv(65536)
        rest = []

        def read_to_end():
            # a client reads a close-delimited body to its end, then closes
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                rest.append(chunk)
            s.close()

        reader = threading.Thread(target=read_to_end, daemon=True)
        reader.start()
        took, rc = h.stop()
        reader.join(10)
        data += b"".join(rest)
        self.assertEqual(rc, 0, h.log())
        self.assertLess(took, 2.0, "a stream held the stop up")
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertIn(b" 200 ", head.split(b"\r\n")[0])
        boundary = None
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-type:"):
                boundary = line.split(b"boundary=", 1)[1].strip(b'"')
        self.assertIsNotNone(boundary)
        # every part that began was sent whole: Content-Length bytes of
        # JPEG after its headers
        parts = body.split(b"--" + boundary)
        whole = 0
        for part in parts[1:]:
            phead, sep, jpeg = part.partition(b"\r\n\r\n")
            if not sep:
                self.assertEqual(part.strip(b"\r\n-"), b"",
                                 "a cut part head: %r" % part[:80])
                continue
            length = None
            for line in phead.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            self.assertIsNotNone(length)
            self.assertGreaterEqual(len(jpeg), length, "a cut JPEG")
            self.assertEqual(jpeg[length - 2:length], b"\xff\xd9")
            whole += 1
        self.assertGreaterEqual(whole, 2)

    def test_keep_alive(self):
        """An idle keep-alive connection does not hold the stop up (it is
        closed: its next request goes to the successor); one accepted whose
        request comes late is still answered, with Connection: close."""
        h = self.begin("gpiod-ctl")
        idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        idle.settimeout(10)
        idle.connect(h.sock_path)
        idle.sendall(b"GET /state HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            data += idle.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertNotIn(b"connection: close", head.lower())
        length = [int(ln.split(b":", 1)[1]) for ln in head.split(b"\r\n")
                  if ln.lower().startswith(b"content-length:")][0]
        while len(body) < length:
            body += idle.recv(65536)
        late = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        late.settimeout(10)
        late.connect(h.sock_path)
        time.sleep(0.2)         # accepted, no request yet
        t0 = time.monotonic()
        h.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        late.sendall(b"GET /state HTTP/1.1\r\nHost: x\r\n\r\n")
        reply = b""
        while True:
            chunk = late.recv(65536)
            if not chunk:
                break
            reply += chunk
        late.close()    # as a client does after Connection: close
        rc = h.proc.wait(15)
        took = time.monotonic() - t0
        self.assertEqual(rc, 0, h.log())
        self.assertTrue(reply.startswith(b"HTTP/1.1 200 "), reply[:100])
        self.assertIn(b"connection: close", reply.lower())
        self.assertLess(took, 2.0, "an idle keep-alive held the stop up")
        self.assertEqual(idle.recv(65536), b"",
                         "the idle connection was not closed")
        idle.close()

    def upload(self, h, name, size, seconds, result):
        """PUT an image in ~64 KiB pieces spread over seconds."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        try:
            s.connect(h.sock_path)
            s.sendall(b"PUT /images/%s HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Length: %d\r\nConnection: close\r\n\r\n"
                      % (name.encode(), size))
            piece = 65536
            pieces = size // piece
            for _ in range(pieces):
                s.sendall(b"\0" * piece)
                time.sleep(seconds / pieces)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            result.append(data.split(b"\r\n", 1)[0])
        except OSError as e:
            result.append(e)
        finally:
            s.close()

    def images(self, h):
        status, reply = kvmtest.json_request(h.sock_path, "GET", "/images")
        self.assertEqual(status, 200, reply)
        return {i["name"]: i for i in reply["result"]["images"]}

    def test_upload_across_restart(self):
        """An upload that ends within the bound completes; one that does
        not is cut off at the bound and leaves no partial image."""
        h = self.begin("mediad")
        short, long_ = [], []
        t1 = threading.Thread(target=self.upload,
                              args=(h, "short.img", 4 << 20, 1.5, short))
        t2 = threading.Thread(target=self.upload,
                              args=(h, "long.img", 8 << 20, 20.0, long_))
        t1.start()
        t2.start()
        time.sleep(0.5)
        took, rc = h.restart()
        t1.join(30)
        t2.join(30)
        self.assertEqual(rc, 0, h.log())
        self.assertGreater(took, DRAIN_BOUND - 0.5)
        self.assertLess(took, DRAIN_BOUND + 2)
        self.assertEqual(len(short), 1)
        self.assertTrue(isinstance(short[0], bytes) and
                        short[0].startswith(b"HTTP/1.1 20"),
                        "the short upload: %r" % short)
        imgs = self.images(h)
        self.assertIn("short.img", imgs)
        self.assertEqual(imgs["short.img"]["size"], 4 << 20)
        self.assertNotIn("long.img", imgs)
        left = [f for f in os.listdir(os.path.join(self.tmp, "media",
                                                   "images"))
                if f != "short.img"]
        self.assertEqual(left, [], "a partial upload was left behind")


if __name__ == "__main__":
    kvmtest.main()
