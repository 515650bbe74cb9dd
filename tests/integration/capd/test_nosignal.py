"""capd without a picture: the "no signal" frame with its reason, at least
once a second, and the capture-reset request to gpiod-ctl."""

import json
import os
import socket
import sys
import threading
import time
import unittest

import kvmtest
from kvmtest.capdtest import Stream, probe, wait_state

# The LD_PRELOAD shim that makes opens hang (slowopen.c; meson gives its
# path as the argument, none in a sanitizer build).
SLOWOPEN = sys.argv.pop(1) if len(sys.argv) > 1 else None


class FakeGpiod:
    """A stand-in for gpiod-ctl's socket that records requests."""

    def __init__(self, path, status=200):
        self.path = path
        self.status = status
        self.requests = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            c.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                data += c.recv(4096)
            head, _, body = data.partition(b"\r\n\r\n")
            n = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    n = int(line.split(b":")[1])
            while len(body) < n:
                body += c.recv(4096)
            self.requests.append((head.split(b"\r\n")[0].decode(),
                                  json.loads(body or b"null")))
            if self.status == 200:
                reply = b'{"ok": true, "result": {}}'
            else:
                reply = (b'{"ok": false, "error": {"code": "invalid", '
                         b'"message": "no line named \\"capture-reset\\""}}')
            c.sendall(b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                      b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                      % (self.status, len(reply), reply))
            c.close()

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


class NoSignalTest(unittest.TestCase):

    def test_missing_device(self):
        with kvmtest.Daemon("capd", ["--source", "/nonexistent/video7",
                                     "--resolution", "640x480"]) as d:
            st = wait_state(d, lambda r: r["reason"] is not None)
            self.assertIs(st["online"], False)
            self.assertTrue(st["reason"].startswith("no device"), st)
            self.assertIn("/nonexistent/video7", st["reason"])
            status, hdrs, jpeg = d.request("GET", "/snapshot")
            self.assertEqual(status, 200)
            p = probe(jpeg)
            self.assertEqual((p["width"], p["height"]), (640, 480))
            self.assertLess(p["mean"], 80, "the no-signal frame is dark")
            s = Stream(d.socket)
            start = time.monotonic()
            for _ in range(3):
                _, jpeg, _ = s.part()
            self.assertLess(time.monotonic() - start, 3.5,
                            "no-signal frames come at least once a second")
            self.assertEqual(probe(jpeg)["width"], 640)
            s.close()
            status, _, _ = d.request("GET", "/metrics")
            self.assertEqual(status, 200)

    def test_wedged_device_does_not_stall_the_loop(self):
        # Each open of the device hangs 3 s (a USB grabber stuck in its
        # driver's timeouts, by an LD_PRELOAD stand-in): capd opens on a
        # thread of its own, so /state and the no-signal stream stay quick.
        shim = SLOWOPEN
        if not shim:
            self.skipTest("no slowopen shim in a sanitizer build (the "
                          "plain build runs this)")
        env = {"LD_PRELOAD": shim, "KVMTEST_SLOW_MS": "3000"}
        with kvmtest.Daemon("capd", ["--source", "/kvmtest-slow/video0",
                                     "--resolution", "640x480"],
                            env=env) as d:
            started = time.monotonic()
            slowest, first_failure = 0.0, None
            while time.monotonic() < started + 4.5:
                t = time.monotonic()
                st = d.ok("GET", "/state")
                slowest = max(slowest, time.monotonic() - t)
                if first_failure is None and st["reason"] is not None and \
                        st["reason"].startswith("no device"):
                    first_failure = time.monotonic() - started
                    self.assertIn("/kvmtest-slow/video0", st["reason"])
                time.sleep(0.05)
            # the stand-in works: the first open took its 3 s to fail
            self.assertIsNotNone(first_failure, "the open never failed")
            self.assertGreater(first_failure, 2.0, "the open did not hang")
            self.assertLess(slowest, 0.5, "a /state waited for the device")
            s = Stream(d.socket)
            start = time.monotonic()
            for _ in range(3):
                s.part()
            self.assertLess(time.monotonic() - start, 3.5,
                            "no-signal frames go on while the device hangs")
            s.close()
            # a change that needs the device says it is busy, not hangs
            t = time.monotonic()
            status, _, body = d.request(
                "POST", "/params", json.dumps({"fps": 15}).encode(),
                {"Content-Type": "application/json"})
            self.assertLess(time.monotonic() - t, 0.5)
            self.assertIn(status, (409, 503), body)

    def test_reset_after(self):
        tmp = kvmtest.tempfile.mkdtemp(prefix="kvmtest-gpiod-")
        fake = FakeGpiod(os.path.join(tmp, "gpiod-ctl.sock"))
        try:
            with kvmtest.Daemon("capd", ["--source", "/nonexistent/video7",
                                         "--reset-after", "2",
                                         "--gpiod-socket", fake.path]) as d:
                deadline = time.monotonic() + 8
                while not fake.requests and time.monotonic() < deadline:
                    time.sleep(0.1)
                self.assertTrue(fake.requests, "no request to gpiod-ctl")
                line, body = fake.requests[0]
                self.assertEqual(line, "POST /pulse HTTP/1.1")
                self.assertEqual(body, {"line": "capture-reset", "ms": 500})
                # while it stays dark the pulses back off: 2 s, then 4 s
                time.sleep(2.5)
                self.assertEqual(len(fake.requests), 1, fake.requests)
                deadline = time.monotonic() + 6
                while len(fake.requests) < 2 and time.monotonic() < deadline:
                    time.sleep(0.1)
                self.assertEqual(len(fake.requests), 2, "no second pulse")
                st = wait_state(d, lambda r:
                                r["capture_resets"]["requested"] >= 2)
                self.assertEqual(st["capture_resets"]["failed"], 0)
                # the loop never blocked meanwhile
                t0 = time.monotonic()
                d.ok("GET", "/state")
                self.assertLess(time.monotonic() - t0, 1.0)
        finally:
            fake.close()
            kvmtest.shutil.rmtree(tmp, ignore_errors=True)

    def test_reset_without_such_line(self):
        """gpiod-ctl's 400 (no capture-reset line here): capd stops asking."""
        tmp = kvmtest.tempfile.mkdtemp(prefix="kvmtest-gpiod-")
        fake = FakeGpiod(os.path.join(tmp, "gpiod-ctl.sock"), status=400)
        try:
            with kvmtest.Daemon("capd", ["--source", "/nonexistent/video7",
                                         "--reset-after", "1",
                                         "--gpiod-socket", fake.path]) as d:
                st = wait_state(d, lambda r: r["capture_resets"]["disabled"])
                self.assertEqual(st["capture_resets"]["failed"], 1)
                time.sleep(3.5)
                self.assertEqual(len(fake.requests), 1, fake.requests)
                self.assertIn("no line named", d.log())
        finally:
            fake.close()
            kvmtest.shutil.rmtree(tmp, ignore_errors=True)

    def test_reset_with_gpiod_down(self):
        with kvmtest.Daemon("capd", ["--source", "/nonexistent/video7",
                                     "--reset-after", "1", "--gpiod-socket",
                                     "/nonexistent/gpiod-ctl.sock"]) as d:
            st = wait_state(d, lambda r: r["capture_resets"]["failed"] >= 1)
            self.assertGreaterEqual(st["capture_resets"]["requested"], 1)
            self.assertIn("capture-reset", d.log())


if __name__ == "__main__":
    kvmtest.main()
