"""hidd's UART backend against a simulated microcontroller on a pty.

McuSim speaks the 8-byte CRC-16 protocol: it checks every frame's CRC,
keeps the held keys and mouse like the firmware, answers with its LED
flags, and can be told to damage its next reply, to reboot (forget
everything and stay silent a while) or to stay silent.  ChSim is a CH9329.
A fake gpiod-ctl on a UNIX socket records the reset pulses hidd asks for.
"""

import http.server
import json
import os
import select
import socketserver
import sys
import threading
import time
import tty
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import hiddtest  # noqa: E402
import kvmtest  # noqa: E402


def crc16(data):
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def frame(b6):
    c = crc16(b6)
    return bytes(b6) + bytes([c >> 8, c & 0xFF])


class PtySim(threading.Thread):
    """A device on the master side of a pty; hidd opens self.path."""

    def __init__(self):
        super().__init__(daemon=True)
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.lock = threading.Lock()
        self.stopping = False
        self.buf = b""

    def run(self):
        while not self.stopping:
            r, _, _ = select.select([self.master], [], [], 0.05)
            if not r:
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError:
                time.sleep(0.01)
                continue
            with self.lock:
                self.buf += data
                self.consume()

    def write(self, data):
        os.write(self.master, data)

    def stop(self):
        self.stopping = True
        self.join(1)
        os.close(self.master)
        os.close(self.slave)

    def wait(self, pred, timeout=5.0, what="condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if pred():
                    return
            time.sleep(0.01)
        with self.lock:
            raise AssertionError("simulator: timed out waiting for %s (%r)"
                                 % (what, self.__dict__.get("cmds", [])[-12:]))


class McuSim(PtySim):
    def __init__(self):
        super().__init__()
        self.keys = set()
        self.buttons = 0
        self.pos = None
        self.flags = 0
        self.cmds = []
        self.bad_frames = 0
        self.corrupt_next = 0
        self.none_on_repeat = False
        self.silent_until = 0.0
        self.last = None

    def consume(self):
        while len(self.buf) >= 8:
            if self.buf[0] != 0x33:
                self.buf = self.buf[1:]
                continue
            f, self.buf = self.buf[:8], self.buf[8:]
            if time.monotonic() < self.silent_until:
                continue
            if crc16(f[:6]) != (f[6] << 8 | f[7]):
                self.bad_frames += 1
                self.reply(0x40)
                continue
            self.handle(f)

    def handle(self, f):
        cmd = f[1]
        self.cmds.append(cmd)
        if cmd == 0x02:
            if self.last is None or self.none_on_repeat:
                self.none_on_repeat = False
                self.reply(0x24)
            else:
                self.write(self.last)
            return
        if cmd == 0x10:
            self.keys.clear()
            self.buttons = 0
        elif cmd == 0x11:
            if f[3]:
                self.keys.add(f[2])
            else:
                self.keys.discard(f[2])
        elif cmd == 0x12:
            x = int.from_bytes(f[2:4], "big", signed=True)
            y = int.from_bytes(f[4:6], "big", signed=True)
            self.pos = (x, y)
        elif cmd == 0x13:
            for sel, st, bit in ((0x80, 0x08, 1), (0x40, 0x04, 2),
                                 (0x20, 0x02, 4)):
                if f[2] & sel:
                    self.buttons = (self.buttons | bit if f[2] & st
                                    else self.buttons & ~bit)
        elif cmd not in (0x01, 0x14, 0x15):
            self.reply(0x45)
            return
        self.reply(0x80 | self.flags)

    def reply(self, code):
        r = frame([0x34, code, 0, 0, 0, 0])
        if code != 0x40:
            self.last = r
        if self.corrupt_next:
            self.corrupt_next -= 1
            r = r[:7] + bytes([r[7] ^ 0xFF])
        self.write(r)

    def reboot(self, silent=0.4):
        with self.lock:
            self.keys.clear()
            self.buttons = 0
            self.last = None
            self.silent_until = time.monotonic() + silent


class ChSim(PtySim):
    def __init__(self):
        super().__init__()
        self.frames = []
        self.leds = 0

    def consume(self):
        while len(self.buf) >= 6:
            if self.buf[:2] != b"\x57\xab":
                self.buf = self.buf[1:]
                continue
            n = 6 + self.buf[4]
            if len(self.buf) < n:
                return
            f, self.buf = self.buf[:n], self.buf[n:]
            assert sum(f[:-1]) & 0xFF == f[-1], f
            self.frames.append(f)
            cmd = f[3]
            data = bytes([0]) if cmd != 1 else bytes(
                [0x30, 1, self.leds, 0, 0, 0, 0, 0])
            r = bytes([0x57, 0xAB, 0, cmd | 0x80, len(data)]) + data
            self.write(r + bytes([sum(r) & 0xFF]))


class FakeGpiod:
    """Records POST /pulse on a UNIX socket, like gpiod-ctl."""

    def __init__(self, path):
        pulses = self.pulses = []

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                pulses.append((self.path, json.loads(self.rfile.read(n))))
                body = b'{"ok": true, "result": {}}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

            def address_string(self):
                return "unix"

        class S(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

        self.server = S(path, H)
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class UartCase(unittest.TestCase):
    sim_class = McuSim
    extra = ["--uart-ping-ms", "50", "--uart-timeout-ms", "60"]

    def setUp(self):
        self.sim = self.sim_class()
        self.sim.start()
        self.gpiod_path = None
        self.d = kvmtest.Daemon("hidd", ["--backend", "uart", "--uart",
                                         self.sim.path] + self.extra +
                                self.more_args())
        self.d.start()

    def more_args(self):
        return []

    def tearDown(self):
        failed = any(e for _, e in getattr(self._outcome, "errors", [])
                     ) if hasattr(self._outcome, "errors") else False
        self.d.failed = failed
        self.d.stop()
        self.d.cleanup()
        self.sim.stop()

    def state(self):
        return self.d.ok("GET", "/state")

    def wait_state(self, pred, timeout=5.0, what="state"):
        deadline = time.monotonic() + timeout
        st = None
        while time.monotonic() < deadline:
            st = self.state()
            if pred(st):
                return st
            time.sleep(0.02)
        raise AssertionError("timed out waiting for %s: %r" % (what, st))


class Crc16Test(UartCase):
    def test_keys_mouse_leds(self):
        s = self.sim
        s.wait(lambda: 0x01 in s.cmds, what="a ping")
        self.d.ok("POST", "/key", {"code": "KeyA"})
        self.d.ok("POST", "/key", {"code": "ShiftRight"})
        s.wait(lambda: s.keys == {1, 82}, what="KeyA and ShiftRight held")
        self.d.ok("POST", "/key", {"code": "KeyA", "down": False})
        s.wait(lambda: s.keys == {82}, what="KeyA up")
        self.d.ok("POST", "/mouse", {"x": 32767, "y": 0, "button": "left"})
        s.wait(lambda: s.pos == (32767, -32768) and s.buttons == 1,
               what="move and left button")
        self.d.ok("POST", "/release")
        s.wait(lambda: not s.keys and s.buttons == 0, what="release")
        self.assertIn(0x10, s.cmds)
        with s.lock:
            s.flags = 0x01
        st = self.wait_state(lambda st: st["leds"]["caps"], what="caps LED")
        self.assertTrue(st["online"])
        self.assertEqual(s.bad_frames, 0)
        # No index in the firmware's table: refused, named.
        st, body = self.d.json("POST", "/key", {"code": "Lang1"})
        self.assertEqual(st, 400, body)
        self.assertIn("Lang1", body["error"]["message"])
        self.assertEqual(self.state()["held"]["keys"], [], "refused, so "
                         "not held")

    def test_release_at_stop(self):
        s = self.sim
        self.d.ok("POST", "/key", {"code": "KeyH"})
        s.wait(lambda: s.keys == {8}, what="KeyH held")
        self.assertEqual(self.d.stop(), 0)
        s.wait(lambda: not s.keys and s.cmds[-1] == 0x10,
               what="a clear at stop")

    def test_bad_reply_asked_again(self):
        s = self.sim
        s.wait(lambda: 0x01 in s.cmds, what="a ping")
        with s.lock:
            s.corrupt_next = 1
        self.d.ok("POST", "/key", {"code": "KeyB"})
        s.wait(lambda: 0x02 in s.cmds, what="a REPEAT after the bad CRC")
        s.wait(lambda: s.keys == {2}, what="KeyB held")
        st = self.state()
        self.assertGreaterEqual(
            st["devices"]["counters"]["bad_replies"], 1)
        self.assertTrue(st["online"])

    def test_reboot_detected_by_timeout(self):
        s = self.sim
        self.d.ok("POST", "/key", {"code": "KeyC"})
        s.wait(lambda: s.keys == {3}, what="KeyC held")
        s.reboot(silent=0.3)
        with s.lock:
            n = len(s.cmds)
        # After the silence hidd sends everything again.
        s.wait(lambda: s.keys == {3} and 0x10 in s.cmds[n:], timeout=5,
               what="state sent again after the reboot")
        st = self.state()
        self.assertGreaterEqual(st["devices"]["counters"]["timeouts"], 1)

    def test_reboot_seen_in_repeat(self):
        s = self.sim
        self.d.ok("POST", "/key", {"code": "KeyD"})
        s.wait(lambda: s.keys == {4}, what="KeyD held")
        with s.lock:
            s.keys.clear()          # rebooted, answering at once
            s.corrupt_next = 1
            s.none_on_repeat = True
            n = len(s.cmds)
        s.wait(lambda: s.keys == {4} and 0x10 in s.cmds[n:], timeout=5,
               what="state sent again after 'nothing to repeat'")
        st = self.state()
        self.assertGreaterEqual(st["devices"]["counters"]["reboots"], 1)


class OutageTest(UartCase):
    def more_args(self):
        import tempfile
        self.tmpd = tempfile.mkdtemp(prefix="kvmtest-gpiod-")
        self.gpiod_path = os.path.join(self.tmpd, "gpiod.sock")
        self.gpiod = FakeGpiod(self.gpiod_path)
        return ["--uart-reset-after", "3", "--gpiod-socket",
                self.gpiod_path, "--reset-line", "hid-reset"]

    def tearDown(self):
        super().tearDown()
        self.gpiod.stop()
        import shutil
        shutil.rmtree(self.tmpd, ignore_errors=True)

    def test_outage_reset_and_recovery(self):
        s = self.sim
        self.d.ok("POST", "/key", {"code": "KeyE"})
        s.wait(lambda: s.keys == {5}, what="KeyE held")
        with s.lock:
            s.silent_until = time.monotonic() + 3600
            s.keys.clear()
        st = self.wait_state(lambda st: not st["online"], what="offline")
        self.assertIn("not answering", st["reason"])
        st, body = self.d.json("POST", "/key", {"code": "KeyF"})
        self.assertEqual(st, 503, body)
        deadline = time.monotonic() + 3
        while not self.gpiod.pulses and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(self.gpiod.pulses[0][0], "/pulse")
        self.assertEqual(self.gpiod.pulses[0][1]["line"], "hid-reset")
        with s.lock:
            s.silent_until = 0
        self.wait_state(lambda st: st["online"], what="online again")
        # The key held before the outage is sent again; the one pressed
        # while it was away was dropped, not queued.
        s.wait(lambda: s.keys == {5}, what="KeyE held again")
        time.sleep(0.3)
        with s.lock:
            self.assertEqual(s.keys, {5})
        self.assertEqual(self.state()["held"]["keys"], ["KeyE"])
        self.d.ok("POST", "/key", {"code": "KeyG"})
        s.wait(lambda: s.keys == {5, 7}, what="new input after recovery")


class Ch9329Test(UartCase):
    sim_class = ChSim
    extra = ["--uart-protocol", "ch9329", "--uart-ping-ms", "50"]

    def test_press_a_and_leds(self):
        s = self.sim
        s.wait(lambda: any(f[3] == 1 for f in s.frames), what="an INFO")
        self.d.ok("POST", "/key", {"code": "KeyA"})
        want = bytes.fromhex("57AB00020800000400000000 0010".replace(" ", ""))
        s.wait(lambda: want in s.frames, what="the press-A frame")
        with s.lock:
            s.leds = 0x02
        self.wait_state(lambda st: st["leds"]["caps"], what="caps LED")
        self.d.ok("POST", "/mouse", {"x": 32767, "y": 0})
        s.wait(lambda: any(f[3] == 4 and f[7:9] == b"\xff\x0f"
                           for f in s.frames), what="absolute at 4095")
        # Three buttons only: the others are refused, not dropped.
        st, body = self.d.json("POST", "/mouse", {"button": "back"})
        self.assertEqual(st, 501, body)  # not supported by this chip
        self.assertIn("CH9329", body["error"]["message"])
        self.assertEqual(self.state()["mouse"]["buttons"], [])


if __name__ == "__main__":
    kvmtest.main()
