"""hidd's UART backend against a simulated microcontroller on a pty.

McuSim speaks the 8-byte CRC-16 protocol: it checks every frame's CRC,
keeps the held keys and mouse like the firmware, answers with its LED
flags, and can be told to damage its next reply, to reboot (forget
everything and stay silent a while) or to stay silent.  ChSim is a CH9329.
A fake gpiod-ctl on a UNIX socket records the reset pulses hidd asks for
(kvmtest.uartsim).
"""

import os
import time
import unittest

import kvmtest
from kvmtest import hiddtest
from kvmtest.uartsim import ChSim, FakeGpiod, McuSim


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
        return hiddtest.wait_state(self.state, pred, timeout, what)


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
