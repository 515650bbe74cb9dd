"""Reliability: kill -9 each daemon while a video stream, a WebSocket and an
image upload run through nginx, and check what systemd's socket activation
promises.

The demo stack plays systemd's part (scripts/demo.py): it holds every
daemon's listening socket, hands it over by LISTEN_FDS, and starts a daemon
again when it dies.  For each victim:
- a request sent right after the kill is answered (it waits in the socket's
  queue while the daemon restarts); the figure is printed;
- capd: the stream can be reopened at once (first frame within 3 s);
- hidd: a key held down before the kill is up again afterwards (the last
  keyboard report is all zeros) and a new WebSocket works;
- mediad: the upload it cut off leaves no image behind (nothing listed,
  no file), the images uploaded before are intact (same SHA-256) and the
  mounted one is still mounted; a new upload works;
- gpiod-ctl: its outputs are inactive again;
- the other daemons never noticed: same pids, the stream kept delivering
  frames, the WebSocket kept answering pings, the upload completed intact.
"""

import hashlib
import json
import os
import queue
import select
import signal
import sys
import threading
import time
import unittest

import kvmtest
from kvmtest import demostack

PREFIX = {"capd": "video", "hidd": "hid", "mediad": "media",
          "gpiod-ctl": "gpio"}
stack = None


setUpModule, tearDownModule = demostack.module_fixtures(__name__)


def pids():
    with open(stack.path("pids.json")) as f:
        return json.load(f)


class Stream(threading.Thread):
    """Reads /api/video/stream; notes when each frame arrived."""

    def __init__(self):
        super().__init__(daemon=True)
        self.frames = []
        self.ended = None
        self.error = None
        self.conn = None
        self.opened = time.monotonic()

    def run(self):
        c = stack.client()
        try:
            self.conn = c.connect(timeout=10)
            self.conn.request("GET", "/api/video/stream", headers=c.headers())
            resp = self.conn.getresponse()
            if resp.status != 200:
                raise RuntimeError("stream: HTTP %d" % resp.status)
            ctype = resp.getheader("Content-Type", "")
            boundary = ctype.split("boundary=", 1)[1].strip('"').encode()
            marker = b"--" + boundary
            tail = b""
            while True:
                data = resp.read1(65536)
                if not data:
                    break
                buf = tail + data
                n = buf.count(marker)
                now = time.monotonic()
                self.frames.extend([now] * n)
                tail = buf[-(len(marker) - 1):]
        except Exception as e:           # noted, checked
            self.error = e
        self.ended = time.monotonic()

    def close(self):
        if self.conn is not None:
            try:
                self.conn.sock.close()
            except Exception:            # closing is best effort
                pass

    def max_gap(self, since):
        times = [t for t in self.frames if t >= since]
        if len(times) < 2:
            return float("inf")
        return max(b - a for a, b in zip(times, times[1:]))


class Socket(threading.Thread):
    """A WebSocket to hidd that pings every 100 ms and notes each pong.

    One thread does all of the socket's I/O: a TLS connection (an OpenSSL
    SSL object) must not be read and written from two threads at once, and
    doing so broke TLS records of this process's connections now and then
    ("bad record mac").  Others hand messages over through the outbox."""

    def __init__(self):
        super().__init__(daemon=True)
        status, hdrs, self.sock = stack.client().websocket("/api/hid/ws",
                                                           stack.origin)
        if status != 101:
            raise RuntimeError("WebSocket: HTTP %d" % status)
        self.pongs = []
        self.acks = {}
        self.ended = None
        self.outbox = queue.Queue()
        self.stopping = False

    def send(self, obj):
        self.outbox.put(json.dumps(obj))

    def readable(self, timeout):
        """Whether a frame's bytes are there (buffered, or on the wire)."""
        raw = self.sock.sock
        if self.sock.buf or getattr(raw, "pending", lambda: 0)():
            return True
        return bool(select.select([raw], [], [], timeout)[0])

    def run(self):
        next_ping = 0.0
        try:
            while not self.stopping:
                while not self.outbox.empty():
                    demostack.ws_send(self.sock, self.outbox.get())
                if time.monotonic() >= next_ping:
                    demostack.ws_send(self.sock, json.dumps({"t": "ping"}))
                    next_ping = time.monotonic() + 0.1
                if not self.readable(0.02):
                    continue
                op, data = demostack.ws_recv(self.sock)
                if op is None or op == 0x8:
                    break
                if op == 0x1:
                    msg = json.loads(data)
                    if msg.get("t") == "pong":
                        self.pongs.append(time.monotonic())
                    elif "id" in msg:
                        self.acks[msg["id"]] = msg
        except (OSError, ValueError):
            pass    # the end of the connection, noted below and checked
        self.ended = time.monotonic()

    def request(self, obj, ident, timeout=5):
        obj = dict(obj, id=ident)
        self.send(obj)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ident in self.acks:
                return self.acks[ident]
            time.sleep(0.01)
        raise TimeoutError("no answer to %r" % obj)

    def close(self):
        self.stopping = True
        if self.is_alive():
            self.join(5)    # the socket is its thread's until it ends
        try:
            self.sock.close()
        except OSError:
            pass

    def max_gap(self, since):
        times = [t for t in self.pongs if t >= since]
        if len(times) < 2:
            return float("inf")
        return max(b - a for a, b in zip(times, times[1:]))


class Upload(threading.Thread):
    """PUT /api/media/images/NAME of SIZE bytes over about SECONDS."""

    def __init__(self, name, size=6 << 20, seconds=3.0):
        super().__init__(daemon=True)
        self.name, self.size, self.seconds = name, size, seconds
        self.data = os.urandom(size)
        self.sha256 = hashlib.sha256(self.data).hexdigest()
        self.status = None
        self.reply = None
        self.error = None

    def run(self):
        c = stack.client()
        try:
            conn = c.connect(timeout=30)
            conn.putrequest("PUT", "/api/media/images/" + self.name,
                            skip_host=True)
            for k, v in c.headers({"X-KaputtKVM": "1",
                                   "Origin": stack.origin,
                                   "Content-Type": "application/octet-stream",
                                   "Content-Length": str(self.size)}).items():
                conn.putheader(k, v)
            conn.endheaders()
            step = 256 << 10
            pause = self.seconds / (self.size / step)
            for off in range(0, self.size, step):
                conn.send(self.data[off:off + step])
                time.sleep(pause)
            resp = conn.getresponse()
            self.status = resp.status
            self.reply = json.loads(resp.read() or b"null")
            conn.close()
        except Exception as e:           # noted, checked
            self.error = e


def images():
    status, reply = stack.client().json("GET", "/api/media/images")
    assert status == 200, reply
    result = reply["result"]
    items = result.get("images", result) if isinstance(result, dict) \
        else result
    return {i["name"]: i for i in items}


def keyboard_reports():
    """The keyboard reports hidd wrote, oldest first: (time, released?)."""
    out = []
    with open(stack.path("logs", "hid-reports.log")) as f:
        for line in f:
            parts = line.split(" ", 2)
            if len(parts) == 3 and parts[1] == "hidg0":
                out.append((float(parts[0]), "all keys released" in line))
    return out


class KillNine(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # An image uploaded and mounted before any kill: must survive all.
        cls.keep = os.urandom(1 << 20)
        c = stack.client()
        status, reply = c.json("PUT", "/api/media/images/keep.img",
                               cls.keep, {"X-KaputtKVM": "1",
                                          "Origin": stack.origin})
        assert status == 200, reply
        status, reply = c.write("POST", "/api/media/mount",
                                {"image": "keep.img", "cdrom": False,
                                 "readonly": True})
        assert status == 200, reply

    def run_victim(self, victim):
        before = pids()
        stream = Stream()
        stream.start()
        ws = Socket()
        ws.start()
        if victim == "hidd":
            ack = ws.request({"t": "key", "code": "KeyA", "down": True}, 1)
            self.assertEqual(ack["t"], "ack", ack)
        upload = Upload("up-%s.img" % victim)
        upload.start()
        # everything flowing before the kill; a sanitizer build on a busy
        # machine may take more than a second to get there
        start = time.monotonic()
        while time.monotonic() < start + 10 and \
                (len(stream.frames) <= 2 or len(ws.pongs) <= 2):
            time.sleep(0.1)
        # at least a second, as before: the upload is under way at the kill
        time.sleep(max(0.0, start + 1.0 - time.monotonic()))
        self.assertGreater(len(stream.frames), 2, "the stream is not flowing")
        self.assertGreater(len(ws.pongs), 2, "the WebSocket is not answering")
        if victim == "hidd":
            reports = keyboard_reports()
            self.assertTrue(reports and not reports[-1][1],
                            "KeyA is not down before the kill")

        t_kill = time.monotonic()
        wall_kill = time.time()
        os.kill(before[victim], signal.SIGKILL)
        status, reply = stack.client().json(
            "GET", "/api/%s/state" % PREFIX[victim], timeout=15)
        answered = time.monotonic() - t_kill
        print("%s: killed; a request sent at once was answered after "
              "%.0f ms" % (victim, answered * 1000))
        self.assertEqual(status, 200, reply)
        self.assertLess(answered, 5.0)
        # the supervisor records the new pid once it has started it, which
        # may be just after the new daemon answered
        deadline = time.monotonic() + 10
        after = pids()
        while after[victim] == before[victim] and \
                time.monotonic() < deadline:
            time.sleep(0.05)
            after = pids()
        self.assertNotEqual(after[victim], before[victim])
        for other in PREFIX:
            if other != victim:
                self.assertEqual(after[other], before[other],
                                 "%s restarted too" % other)
        upload.join(30)
        self.assertFalse(upload.is_alive(), "the upload hangs")
        time.sleep(0.5)

        # The stream.
        if victim == "capd":
            self.assertIsNotNone(stream.ended, "stream survived its daemon?")
            again = Stream()
            again.start()
            deadline = time.monotonic() + 3
            while not again.frames and time.monotonic() < deadline:
                time.sleep(0.02)
            self.assertTrue(again.frames, "no frame within 3 s of reopening")
            print("capd: reopened stream's first frame after %.0f ms" % (
                (again.frames[0] - again.opened) * 1000))
            again.close()
        else:
            self.assertIsNone(stream.ended, "the stream broke: %r" %
                              stream.error)
            self.assertLess(stream.max_gap(t_kill - 0.5), 1.0,
                            "the stream stalled while %s restarted" % victim)
        stream.close()

        # The WebSocket and the keyboard.
        if victim == "hidd":
            deadline = time.monotonic() + 3
            while ws.ended is None and time.monotonic() < deadline:
                time.sleep(0.02)
            self.assertIsNotNone(ws.ended, "WebSocket survived its daemon?")
            reports = [r for r in keyboard_reports() if r[0] >= wall_kill]
            self.assertTrue(reports, "hidd wrote no report after restarting")
            self.assertTrue(reports[-1][1], "a key is still held down")
            ws2 = Socket()
            ws2.start()
            ack = ws2.request({"t": "key", "code": "KeyB", "down": True}, 2)
            self.assertEqual(ack["t"], "ack", ack)
            ack = ws2.request({"t": "key", "code": "KeyB", "down": False}, 3)
            self.assertEqual(ack["t"], "ack", ack)
            ws2.close()
        else:
            self.assertIsNone(ws.ended, "the WebSocket broke")
            self.assertLess(ws.max_gap(t_kill - 0.5), 1.0,
                            "the WebSocket stalled while %s restarted"
                            % victim)
        ws.close()

        # The upload and the store.
        listed = images()
        self.assertIn("keep.img", listed)
        with open(stack.path("media", "images", "keep.img"), "rb") as f:
            self.assertEqual(f.read(), self.keep, "keep.img changed")
        with open(stack.path("media", "lun.0", "file")) as f:
            self.assertEqual(f.read().strip(),
                             stack.path("media", "images", "keep.img"),
                             "keep.img is no longer mounted")
        if victim == "mediad":
            self.assertTrue(upload.error is not None or upload.status != 200,
                            "the upload succeeded through its daemon's death")
            self.assertNotIn(upload.name, listed, "a cut upload is listed")
            self.assertFalse(os.path.exists(stack.path(
                "media", "images", upload.name)), "a cut upload left a file")
            # Nor any temporary file: the store holds what it lists.
            on_disk = set(os.listdir(stack.path("media", "images")))
            self.assertEqual(on_disk - set(listed), set(),
                             "files in the store that are not images")
            # a new upload works once mediad is back: at once, or within
            # a restart's time on a loaded machine (each try is reported)
            deadline = time.monotonic() + 15
            while True:
                retry = Upload(upload.name, 1 << 20, 0.2)
                retry.run()
                if retry.status == 200 or time.monotonic() > deadline:
                    break
                sys.stderr.write("upload after the restart: %r; again\n"
                                 % (retry.reply or retry.error,))
                time.sleep(0.5)
            self.assertEqual(retry.status, 200, retry.reply or retry.error)
        else:
            self.assertIsNone(upload.error)
            self.assertEqual(upload.status, 200, upload.reply)
            self.assertEqual(upload.reply["result"]["sha256"], upload.sha256)
            with open(stack.path("media", "images", upload.name), "rb") as f:
                self.assertEqual(hashlib.sha256(f.read()).hexdigest(),
                                 upload.sha256)

        if victim == "gpiod-ctl":
            status, reply = stack.client().json("GET", "/api/gpio/state")
            self.assertEqual(status, 200)
            for name, line in reply["result"]["lines"].items():
                if line["direction"] == "output":
                    self.assertEqual(line["value"], 0, name)

    def test_capd(self):
        self.run_victim("capd")

    def test_gpiod_ctl(self):
        self.run_victim("gpiod-ctl")

    def test_hidd(self):
        self.run_victim("hidd")

    def test_mediad(self):
        self.run_victim("mediad")


if __name__ == "__main__":
    kvmtest.main()     # exits 77 when all were skipped
