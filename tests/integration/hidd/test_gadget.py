"""hidd's gadget backend on stand-in files: the exact report bytes for key
sequences, rollover, mouse moves, paste, LEDs, the UDC state, the stuck-key
timeout, the release at stop, and the errors of the HTTP API."""

import json
import os
import signal
import struct
import time
import unittest

from kvmtest import hiddtest
import kvmtest
from kvmtest.hiddtest import kbd


def absrep(buttons, x, y, wheel=0, hwheel=0):
    return struct.pack("<BHHbb", buttons, x, y, wheel, hwheel)


def relrep(buttons, dx, dy, wheel=0):
    return struct.pack("<Bbbb", buttons, dx, dy, wheel)


class KeyTest(unittest.TestCase):
    def test_keys_and_errors(self):
        with hiddtest.Gadget() as g:
            d = g.daemon
            d.ok("POST", "/key", {"code": "ShiftLeft", "down": True})
            d.ok("POST", "/key", {"code": "KeyA", "down": True})
            d.ok("POST", "/key", {"code": "KeyA", "down": True})  # repeat
            d.ok("POST", "/key", {"code": "IntlBackslash"})  # down default
            st = g.state()
            self.assertEqual(st["held"]["modifiers"], ["ShiftLeft"])
            self.assertEqual(st["held"]["keys"], ["KeyA", "IntlBackslash"])
            d.ok("POST", "/key", {"code": "KeyA", "down": False})
            d.ok("POST", "/key", {"code": "ShiftLeft", "down": False})
            d.ok("POST", "/key", {"code": "IntlBackslash", "down": False})
            self.assertEqual(g.kbd.wait(6), [
                kbd(0x02), kbd(0x02, 0x04), kbd(0x02, 0x04, 0x64),
                kbd(0x02, 0x64), kbd(0, 0x64), kbd()])

            # Errors: nothing is written for any of them.
            kvmtest.assert_error(self, d.json("POST", "/key",
                                              {"code": "KeyÄ"}), 400)
            st, body = d.json("POST", "/key", {"code": "Keya"})
            self.assertEqual(st, 400)
            self.assertIn("Keya", body["error"]["message"])
            kvmtest.assert_error(self, d.json("POST", "/key",
                                              {"code": "KeyA", "up": 1}), 400)
            kvmtest.assert_error(self, d.json("POST", "/key", {"down": 1}),
                                 400)
            kvmtest.assert_error(self, d.json(
                "POST", "/key", {"code": "MediaPlayPause"}), 400)
            st, _, _ = d.request("POST", "/key", b"{\"code\": \"KeyA\"",
                                 {"Content-Type": "application/json"})
            self.assertEqual(st, 400)
            st, _, _ = d.request("POST", "/key", b"[1]")
            self.assertEqual(st, 400)
            st, _, _ = d.request("GET", "/key")
            self.assertEqual(st, 405)
            self.assertEqual(g.kbd.quiet(), [])

    def test_rollover(self):
        with hiddtest.Gadget() as g:
            d = g.daemon
            codes = ["KeyA", "KeyB", "KeyC", "KeyD", "KeyE", "KeyF", "KeyG"]
            for c in codes:
                d.ok("POST", "/key", {"code": c, "down": True})
            got = g.kbd.wait(7)
            self.assertEqual(got[5], kbd(0, 4, 5, 6, 7, 8, 9))
            self.assertEqual(got[6], bytes([0, 0] + [1] * 6))
            self.assertTrue(g.state()["held"]["rollover"])
            d.ok("POST", "/key", {"code": "KeyC", "down": False})
            self.assertEqual(g.kbd.wait(1), [kbd(0, 4, 5, 7, 8, 9, 10)])
            # a parameter these endpoints do not take is refused, not
            # ignored, and nothing is released
            for path in ("/release", "/paste/cancel"):
                kvmtest.assert_error(self, d.json("POST", path,
                                                  {"all": True}), 400)
            self.assertEqual(g.kbd.quiet(), [])
            d.ok("POST", "/release", {})
            self.assertEqual(g.kbd.wait(1), [kbd()])

    def test_release_at_stop(self):
        with hiddtest.Gadget() as g:
            g.daemon.ok("POST", "/key", {"code": "ControlLeft"})
            g.daemon.ok("POST", "/key", {"code": "KeyC"})
            g.daemon.ok("POST", "/mouse", {"button": "left"})
            g.kbd.wait(2)
            self.assertEqual(g.abs.wait(1), [absrep(1, 16384, 16384)])
            self.assertEqual(g.daemon.stop(signal.SIGTERM), 0)
            self.assertEqual(g.kbd.wait(1), [kbd()])
            self.assertEqual(g.abs.wait(1), [absrep(0, 16384, 16384)])
            self.assertEqual(g.rel.wait(1), [relrep(0, 0, 0)])

    def test_stuck_key_timeout(self):
        with hiddtest.Gadget(["--stuck-key-timeout", "1"]) as g:
            g.daemon.ok("POST", "/key", {"code": "KeyQ"})
            self.assertEqual(g.kbd.wait(1), [kbd(0, 0x14)])
            t0 = time.monotonic()
            self.assertEqual(g.kbd.wait(1, timeout=4), [kbd()])
            self.assertGreaterEqual(time.monotonic() - t0, 0.9)
            st = g.state()
            self.assertEqual(st["held"]["keys"], [])
            self.assertEqual(st["counters"]["stuck_releases"], 1)


class MouseTest(unittest.TestCase):
    def test_mouse(self):
        with hiddtest.Gadget() as g:
            d = g.daemon
            d.ok("POST", "/mouse", {"x": 0, "y": 32767})
            d.ok("POST", "/mouse", {"button": "left", "down": True})
            d.ok("POST", "/mouse", {"wheel_dy": 2, "wheel_dx": -1})
            d.ok("POST", "/mouse", {"x": 1000, "y": 2000, "button": "left",
                                    "down": False})
            self.assertEqual(g.abs.wait(5), [
                absrep(0, 0, 32767), absrep(1, 0, 32767),
                absrep(1, 0, 32767, -2, -1), absrep(1, 1000, 2000),
                absrep(0, 1000, 2000)])
            # Relative: split into steps of at most 127; buttons follow the
            # pointer last moved.
            d.ok("POST", "/mouse", {"dx": 200, "dy": -3})
            d.ok("POST", "/mouse", {"button": "forward"})
            d.ok("POST", "/mouse", {"button": "forward", "down": False})
            self.assertEqual(g.rel.wait(4), [
                relrep(0, 127, -3), relrep(0, 73, 0), relrep(0x10, 0, 0),
                relrep(0, 0, 0)])
            st = g.state()
            self.assertEqual(st["mouse"]["mode"], "relative")
            for bad in ({"x": -1, "y": 0}, {"x": 32768, "y": 0},
                        {"x": 5}, {"dx": 40000}, {"button": "thumb"},
                        {"wheel_dy": 128}, {"x": 1, "y": 1, "dx": 1},
                        {"down": True}, {}, {"z": 1}):
                kvmtest.assert_error(self, d.json("POST", "/mouse", bad), 400)
            self.assertEqual(g.abs.quiet() + g.rel.new(), [])


class PasteTest(unittest.TestCase):
    def test_paste_de(self):
        with hiddtest.Gadget() as g:
            res = g.daemon.ok("POST", "/paste",
                              {"text": "z@\n", "layout": "de"})
            self.assertEqual(res["characters"], 3)
            # z is KeyY on German keyboards; @ is AltGr+Q; newline Enter.
            self.assertEqual(g.kbd.wait(8), [
                kbd(0, 0x1c), kbd(), kbd(0x40), kbd(0x40, 0x14), kbd(0x40),
                kbd(), kbd(0, 0x28), kbd()])
            st = g.wait_state(lambda s: not s["paste"]["active"])
            self.assertEqual(st["paste"]["result"], "done")
            self.assertEqual(st["layouts"], {"default": "us", "used": ["de"]})
            self.assertEqual(st["held"]["modifiers"], [])

    def test_caps_lock_on(self):
        with hiddtest.Gadget() as g:
            g.set_leds(0x02)
            g.wait_state(lambda s: s["leds"]["caps"], what="caps on")
            g.daemon.ok("POST", "/paste", {"text": "aB"})
            # Caps Lock off, a, Shift+b, Caps Lock back on.
            self.assertEqual(g.kbd.wait(10), [
                kbd(0, 0x39), kbd(), kbd(0, 0x04), kbd(), kbd(0x02),
                kbd(0x02, 0x05), kbd(0x02), kbd(), kbd(0, 0x39), kbd()])

    def test_refused_whole(self):
        with hiddtest.Gadget() as g:
            st, body = g.daemon.json("POST", "/paste",
                                     {"text": "ok é €", "layout": "us"})
            self.assertEqual(st, 400)
            msg = body["error"]["message"]
            self.assertIn("U+00E9) at 4", msg)
            self.assertIn("U+20AC) at 6", msg)
            for bad in ({"text": "a", "layout": "xx"},
                        {"text": "a", "layout": "us(", },
                        {"text": 5}, {"layout": "us"},
                        {"text": "a", "delay_ms": 5000},
                        {"text": "a", "speed": 1}):
                kvmtest.assert_error(self, g.daemon.json("POST", "/paste",
                                                         bad), 400)
            self.assertEqual(g.kbd.quiet(), [])

    def test_cancel(self):
        with hiddtest.Gadget() as g:
            g.daemon.ok("POST", "/paste", {"text": "A" * 200,
                                           "delay_ms": 20})
            time.sleep(0.3)
            st = g.state()
            self.assertTrue(st["paste"]["active"])
            self.assertGreater(st["paste"]["done"], 0)
            # Live keys are refused while a paste types.
            kvmtest.assert_error(self, g.daemon.json(
                "POST", "/key", {"code": "KeyB"}), 409)
            self.assertTrue(g.daemon.ok("POST", "/paste/cancel")["cancelled"])
            st = g.state()
            self.assertFalse(st["paste"]["active"])
            self.assertEqual(st["paste"]["result"], "cancelled")
            got = g.kbd.quiet(0.3)
            self.assertEqual(got[-1], kbd(), "shift left held after cancel")
            self.assertFalse(g.daemon.ok("POST", "/paste/cancel")[
                "cancelled"])

    def test_layouts(self):
        with hiddtest.Gadget(["--layout", "fr"]) as g:
            res = g.daemon.ok("GET", "/layouts")
            self.assertEqual(res["default"], "fr")
            names = {x["name"] for x in res["layouts"]}
            for n in ("us", "de", "fr", "us(intl)", "ch(fr)"):
                self.assertIn(n, names)


class TargetTest(unittest.TestCase):
    def test_leds(self):
        with hiddtest.Gadget() as g:
            self.assertFalse(g.state()["leds"]["known"])
            g.set_leds(0x02)
            st = g.wait_state(lambda s: s["leds"]["caps"], what="caps on")
            self.assertFalse(st["leds"]["num"])
            g.set_leds(0x05)
            st = g.wait_state(lambda s: s["leds"]["num"] and
                              s["leds"]["scroll"] and not s["leds"]["caps"])

    def test_leds_kept_across_restart(self):
        # The target sends its LEDs only when they change: a hidd started
        # anew knows them only because the last one kept them.
        import tempfile
        with tempfile.TemporaryDirectory() as keep:
            path = os.path.join(keep, "leds")
            with hiddtest.Gadget(["--leds-state", path]) as g:
                g.set_leds(0x02)
                g.wait_state(lambda s: s["leds"]["caps"], what="caps on")
            with hiddtest.Gadget(["--leds-state", path]) as g:
                st = g.state()["leds"]
                self.assertTrue(st["known"], st)
                self.assertTrue(st["caps"], st)
                self.assertFalse(st["num"], st)
                g.set_leds(0x01)
                g.wait_state(lambda s: s["leds"]["num"], what="num on")
            with open(path) as f:
                self.assertEqual(f.read(), "0x01\n")
            with hiddtest.Gadget(["--leds-state", "none"]) as g:
                self.assertFalse(g.state()["leds"]["known"])
            with open(path, "w") as f:
                f.write("garbage\n")
            with hiddtest.Gadget(["--leds-state", path]) as g:
                self.assertFalse(g.state()["leds"]["known"])
                self.assertIn("not an LED state", g.daemon.log())

    def test_udc_not_attached(self):
        with hiddtest.Gadget() as g:
            g.set_udc("not attached")
            st = g.wait_state(lambda s: not s["online"], what="offline")
            self.assertIn("not attached", st["reason"])
            # Input is dropped, not queued for later.
            st, body = g.daemon.json("POST", "/key", {"code": "KeyA"})
            self.assertEqual(st, 503, body)
            self.assertIn("not attached", body["error"]["message"])
            g.daemon.json("POST", "/key", {"code": "KeyA", "down": False})
            self.assertEqual(g.kbd.quiet(), [])
            g.set_udc("configured")
            g.wait_state(lambda s: s["online"], what="online again")
            # Back: the current state (the press while away was dropped).
            self.assertEqual(g.kbd.wait(1), [kbd()])
            self.assertEqual(g.state()["held"]["keys"], [])
            g.daemon.ok("POST", "/key", {"code": "KeyB"})
            self.assertEqual(g.kbd.wait(1), [kbd(0, 0x05)])

    def test_udc_unbound(self):
        # Unbinding can leave "state" at "configured": the UDC's
        # "function" file (the bound gadget's name) empties instead.
        import tempfile
        udc = tempfile.mkdtemp(prefix="kvmtest-udc-")
        state, func = os.path.join(udc, "state"), os.path.join(udc, "function")
        with open(state, "w") as f:
            f.write("configured\n")
        with open(func, "w") as f:
            f.write("kaputtkvm\n")
        try:
            with hiddtest.Gadget(["--udc-state", state]) as g:
                self.assertTrue(g.state()["online"])
                open(func, "w").close()
                st = g.wait_state(lambda s: not s["online"], what="offline")
                self.assertEqual(st["devices"]["udc_state"], "unbound")
                with open(func, "w") as f:
                    f.write("kaputtkvm\n")
                g.wait_state(lambda s: s["online"], what="online again")
        finally:
            import shutil
            shutil.rmtree(udc, ignore_errors=True)

    def test_gadget_rebuilt(self):
        """kaputtkvm-gadget teardown + setup under a running hidd: the
        /dev/hidgN it holds are removed and made again (here: the stand-in
        files).  hidd follows the new nodes by itself."""
        with hiddtest.Gadget() as g:
            g.daemon.ok("POST", "/key", {"code": "KeyA"})
            g.daemon.ok("POST", "/key", {"code": "KeyA", "down": False})
            self.assertEqual(g.kbd.wait(2), [kbd(0, 0x04), kbd()])
            g.set_udc("not attached")
            g.wait_state(lambda s: not s["online"], what="offline")
            for n in ("hidg0", "hidg1", "hidg2"):
                os.unlink(os.path.join(g.tmp, n))
            time.sleep(1.5)     # a teardown takes a moment
            for n in ("hidg0", "hidg1", "hidg2"):
                open(os.path.join(g.tmp, n), "wb").close()
            g.kbd.off = g.abs.off = g.rel.off = 0
            g.set_udc("configured")
            g.wait_state(lambda s: s["online"], what="online again")
            g.daemon.ok("POST", "/key", {"code": "KeyB"})
            deadline = time.monotonic() + 5
            got = []
            while kbd(0, 0x05) not in got and time.monotonic() < deadline:
                got += g.kbd.new()
                time.sleep(0.02)
            self.assertIn(kbd(0, 0x05), got,
                          "the key went to the removed node, not the new")
            g.daemon.ok("POST", "/mouse", {"x": 10, "y": 20})
            deadline = time.monotonic() + 5
            while not g.abs.new() and time.monotonic() < deadline:
                time.sleep(0.02)
            self.assertLess(time.monotonic(), deadline,
                            "the mouse went to the removed node")
            self.assertEqual(g.state()["devices"]["keyboard"]["open"], True)

    def test_metrics(self):
        with hiddtest.Gadget() as g:
            g.daemon.ok("POST", "/key", {"code": "KeyA"})
            st, hdrs, body = g.daemon.request("GET", "/metrics")
            self.assertEqual(st, 200)
            text = body.decode()
            self.assertIn("kaputtkvm_hidd_online 1", text)
            self.assertIn("kaputtkvm_hidd_key_events_total 1", text)


class StallTest(unittest.TestCase):
    """A host that stops reading: the bounded wait, then only the newest
    report is kept; when it reads again the target converges to the
    current state and hidd is online again."""

    def test_host_not_polling(self):
        import fcntl
        import tempfile
        tmp = tempfile.mkdtemp(prefix="kvmtest-hidd-stall-")
        fifo = os.path.join(tmp, "hidg0")
        os.mkfifo(fifo)
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        keep = os.open(fifo, os.O_WRONLY)   # so the reader sees no EOF
        fcntl.fcntl(reader, 1031, 4096)     # F_SETPIPE_SZ: 512 reports
        d = kvmtest.Daemon("hidd", ["--keyboard", fifo, "--mouse", "none",
                                    "--mouse-rel", "none", "--udc-state",
                                    "none", "--write-timeout-ms", "200"],
                           tmpdir=tmp)
        try:
            d.start()
            got = b""
            # The host stops polling: 600 presses and releases.
            for i in range(300):
                d.ok("POST", "/key", {"code": "KeyA"})
                d.ok("POST", "/key", {"code": "KeyA", "down": False})
            d.ok("POST", "/key", {"code": "KeyB"})
            st = d.ok("GET", "/state")
            self.assertGreater(st["devices"]["keyboard"]["queued"], 0)
            deadline = time.monotonic() + 5
            while d.ok("GET", "/state")["online"]:
                self.assertLess(time.monotonic(), deadline,
                                "never reported the stall")
                time.sleep(0.05)
            st = d.ok("GET", "/state")
            self.assertIn("not reading", st["reason"])
            self.assertEqual(st["devices"]["keyboard"]["queued"], 1)
            self.assertGreater(st["devices"]["keyboard"]["dropped"], 0)
            # The host reads again: everything it gets ends with the
            # current state (KeyB held), and hidd is online again.
            deadline = time.monotonic() + 5
            while True:
                try:
                    got += os.read(reader, 65536)
                except BlockingIOError:
                    pass
                st = d.ok("GET", "/state")
                if st["online"] and st["devices"]["keyboard"]["queued"] == 0:
                    break
                self.assertLess(time.monotonic(), deadline,
                                "never came back: %r" % st)
                time.sleep(0.02)
            time.sleep(0.1)
            try:
                got += os.read(reader, 65536)
            except BlockingIOError:
                pass
            self.assertEqual(len(got) % 8, 0)
            self.assertEqual(got[-8:], kbd(0, 0x05))
            self.assertLess(len(got) // 8, 1 + 601)
        finally:
            d.stop()
            d.cleanup()
            os.close(reader)
            os.close(keep)
            import shutil
            shutil.rmtree(tmp, ignore_errors=True)

    def test_release_at_stop_waits_for_host(self):
        # The pipe is full when hidd stops: the release must still reach
        # the host once it reads, within the bounded wait.
        import fcntl
        import tempfile
        import threading
        tmp = tempfile.mkdtemp(prefix="kvmtest-hidd-stop-")
        fifo = os.path.join(tmp, "hidg0")
        os.mkfifo(fifo)
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        keep = os.open(fifo, os.O_WRONLY)
        fcntl.fcntl(reader, 1031, 4096)
        os.write(keep, b"\xaa" * 4096)       # full: nothing fits
        d = kvmtest.Daemon("hidd", ["--keyboard", fifo, "--mouse", "none",
                                    "--mouse-rel", "none", "--udc-state",
                                    "none", "--write-timeout-ms", "400"],
                           tmpdir=tmp)
        try:
            d.start()                        # its release waits
            d.ok("POST", "/key", {"code": "KeyK"})   # so does this
            got = bytearray()

            def host():
                time.sleep(0.15)
                end = time.monotonic() + 2
                while time.monotonic() < end:
                    try:
                        got.extend(os.read(reader, 65536))
                    except BlockingIOError:
                        time.sleep(0.01)
            t = threading.Thread(target=host)
            t.start()
            self.assertEqual(d.stop(), 0)
            t.join()
            self.assertEqual(len(got), 4096 + 8, "only the newest report")
            self.assertEqual(bytes(got[-8:]), kbd())
        finally:
            d.cleanup()
            os.close(reader)
            os.close(keep)
            import shutil
            shutil.rmtree(tmp, ignore_errors=True)


class HidctlTest(unittest.TestCase):
    def run_ctl(self, sock, *args):
        import subprocess
        return subprocess.run([kvmtest.binary("hidctl"), "--socket", sock] +
                              list(args), capture_output=True, text=True,
                              timeout=20)

    def test_hidctl(self):
        with hiddtest.Gadget() as g:
            s = g.daemon.socket
            r = self.run_ctl(s, "key", "KeyA")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(g.kbd.wait(2), [kbd(0, 4), kbd()])
            r = self.run_ctl(s, "key", "NoSuchKey")
            self.assertEqual(r.returncode, 1)
            self.assertIn("NoSuchKey", r.stderr)
            r = self.run_ctl(s, "rel", "-5", "3")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(g.rel.wait(1), [relrep(0, -5, 3)])
            r = self.run_ctl(s, "type", "hi", "de")
            self.assertEqual(r.returncode, 0, r.stderr)
            g.wait_state(lambda st: not st["paste"]["active"])
            r = self.run_ctl(s, "state")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("backend gadget, online", r.stdout)
            r = self.run_ctl(s, "--json", "state")
            self.assertEqual(json.loads(r.stdout)["backend"], "gadget")
            r = self.run_ctl(s + ".nope", "state")
            self.assertEqual(r.returncode, 2)
            r = self.run_ctl(s, "frobnicate")
            self.assertEqual(r.returncode, 64)
            self.assertIn("unknown command", r.stderr)
            g.kbd.new()  # the paste's keystrokes
            # the fields by name; out of range is refused before sending
            r = self.run_ctl(s, "mouse", "dx=7", "dy=-2")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(g.rel.wait(1), [relrep(0, 7, -2)])
            r = self.run_ctl(s, "move", "1", "40000")
            self.assertEqual(r.returncode, 64)
            self.assertIn("from 0 to 32767", r.stderr)
            r = self.run_ctl(s, "key", "KeyA", "down=maybe")
            self.assertEqual(r.returncode, 64)
            self.assertEqual(g.kbd.new(), [])
            r = self.run_ctl(s, "key", "KeyB", "down")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(g.kbd.wait(1), [kbd(0, 5)])
            r = self.run_ctl(s, "key", "code=KeyB", "up")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(g.kbd.wait(1), [kbd()])


if __name__ == "__main__":
    kvmtest.main()
