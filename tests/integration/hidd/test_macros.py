"""hidd's macros and jiggler on the gadget stand-ins: the exact keyboard
reports a macro types, a cancel that leaves nothing held, live keys refused
while a macro plays, bad macros refused with nothing stored, the store
surviving a restart, a failed store write that keeps the old file, a slow
write that does not hold the loop, the jiggler's setting kept across a
restart, and its one unit out and back."""

import json
import os
import socket
import shutil
import struct
import subprocess
import tempfile
import threading
import time
import unittest

import kvmtest
from kvmtest import hiddtest
from kvmtest.hiddtest import kbd

CAD_HI = {"steps": [
    {"keys": ["ControlLeft", "AltLeft", "Delete"]},
    {"delay_ms": 50}, {"text": "Hi"},
    {"key": "ShiftLeft", "down": True}]}
CAD_HI_REPORTS = [
    kbd(0x01), kbd(0x05), kbd(0x05, 0x4c), kbd(0x05), kbd(0x01), kbd(),
    kbd(0x02), kbd(0x02, 0x0b), kbd(0x02), kbd(), kbd(0, 0x0c), kbd(),
    kbd(0x02), kbd()]


def put(d, name, macro):
    body = macro if isinstance(macro, bytes) else json.dumps(macro).encode()
    st, _, data = d.request("PUT", "/macros/" + name, body,
                            {"Content-Type": "application/json"})
    return st, json.loads(data)


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


class MacroTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="kvmtest-macros-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.store = os.path.join(self.dir, "macros.json")

    def gadget(self, *args, env=None):
        return hiddtest.Gadget(["--macros", self.store, "--jiggler-state",
                                os.path.join(self.dir, "jiggler.json")]
                               + list(args), env=env)

    def test_types_what_it_says(self):
        with self.gadget() as g:
            d = g.daemon
            st, body = put(d, "cad", CAD_HI)
            self.assertEqual(st, 200, body)
            self.assertEqual(d.ok("GET", "/macros")["macros"],
                             [{"name": "cad", "steps": 4}])
            d.ok("POST", "/macro/run", {"name": "cad"})
            g.wait_state(lambda s: s["macro"]["result"] == "done")
            self.assertEqual(g.kbd.wait(len(CAD_HI_REPORTS)), CAD_HI_REPORTS)
            self.assertEqual(g.kbd.quiet(), [])

    def test_cancel_and_no_interleave(self):
        with self.gadget() as g:
            d = g.daemon
            put(d, "slow", {"steps": [{"key": "KeyA", "down": True},
                                      {"delay_ms": 3000},
                                      {"key": "KeyB"}]})
            d.ok("POST", "/macro/run", {"name": "slow"})
            self.assertEqual(g.kbd.wait(1), [kbd(0, 0x04)])
            # A live key while it plays: refused, nothing written.
            st, body = d.json("POST", "/key", {"code": "KeyC"})
            self.assertEqual(st, 409, body)
            self.assertIn("slow", body["error"]["message"])
            st, body = d.json("POST", "/paste", {"text": "x"})
            self.assertEqual(st, 409, body)
            self.assertEqual(g.kbd.quiet(), [])
            self.assertTrue(d.ok("POST", "/macro/cancel")["cancelled"])
            self.assertEqual(g.kbd.wait(1), [kbd()])
            self.assertEqual(g.state()["macro"]["result"], "cancelled")
            self.assertEqual(g.kbd.quiet(0.3), [])

    def test_bad_macros_refused(self):
        with self.gadget() as g:
            d = g.daemon
            cases = [
                (b"{\"steps\": [", "not JSON"),
                ({"steps": []}, "1 to"),
                ({"steps": [{"key": "KeyA"}, {"key": "Nope"}]}, "step 2"),
                ({"steps": [{"delay_ms": 70000}]}, "step 1"),
                ({"steps": [{"key": "KeyA", "text": "x"}]}, "both"),
                ({"steps": [{"text": "\u20ac"}]}, "step 1"),
                ({"steps": [{"key": "KeyA", "up": 1}]}, "unknown field"),
                ({"steps": [{"keys": ["KeyA"] * 9}]}, "step 1"),
                ({"steps": [{"key": "KeyA"}], "name": "other"}, "differs"),
            ]
            for macro, words in cases:
                st, body = put(d, "bad", macro)
                self.assertEqual(st, 400, (macro, body))
                self.assertIn(words, body["error"]["message"], macro)
            st, body = put(d, ".hidden", {"steps": [{"key": "KeyA"}]})
            self.assertEqual(st, 400, body)
            st, _, _ = d.request("PUT", "/macros/big", b" " * 70000)
            self.assertEqual(st, 413)
            self.assertEqual(d.ok("GET", "/macros")["macros"], [])
            self.assertFalse(os.path.exists(self.store))
            st, _ = d.json("POST", "/macro/run", {"name": "bad"})
            self.assertEqual(st, 404)
            self.assertEqual(g.kbd.quiet(), [])

    def test_store_survives_restart(self):
        with self.gadget() as g:
            put(g.daemon, "cad", CAD_HI)
            put(g.daemon, "gone", {"steps": [{"key": "KeyA"}]})
            st, _, _ = g.daemon.request("DELETE", "/macros/gone")
            self.assertEqual(st, 200)
        with self.gadget() as g:
            d = g.daemon
            got = d.ok("GET", "/macros/cad")
            self.assertEqual(got["steps"], CAD_HI["steps"])
            st, _, _ = d.request("GET", "/macros/gone")
            self.assertEqual(st, 404)
            d.ok("POST", "/macro/run", {"name": "cad"})
            self.assertEqual(g.kbd.wait(len(CAD_HI_REPORTS)), CAD_HI_REPORTS)

    def test_hidctl(self):
        """hidctl's commands for macros, built from the routes' description."""
        with self.gadget() as g:
            d = g.daemon
            self.assertEqual(put(d, "cad", CAD_HI)[0], 200)

            def ctl(*args):
                return subprocess.run(
                    [kvmtest.binary("hidctl"), "--socket", d.socket, "--json"]
                    + list(args), capture_output=True, text=True, timeout=20)
            out = ctl("macros")
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertEqual(json.loads(out.stdout)["macros"],
                             [{"name": "cad", "steps": 4}])
            out = ctl("macro", "cad")
            self.assertEqual(out.returncode, 0, out.stderr)
            g.wait_state(lambda s: s["macro"]["result"] == "done")
            self.assertEqual(g.kbd.wait(len(CAD_HI_REPORTS)), CAD_HI_REPORTS)
            out = ctl("macro", "nosuch")
            self.assertEqual(out.returncode, 1, out.stderr)
            out = ctl("jiggler", "on", "5")
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertEqual(d.ok("GET", "/state")["jiggler"]["interval"], 5)
            self.assertTrue(d.ok("GET", "/state")["jiggler"]["enabled"])
            out = ctl("jiggler", "interval=0")
            self.assertEqual(out.returncode, 64, out.stderr)
            self.assertEqual(d.ok("GET", "/state")["jiggler"]["interval"], 5)

    def test_failed_write_keeps_old(self):
        # Stand-in for a disk that refuses the write: a directory where the
        # temporary file goes (refused even to root, unlike a read-only dir).
        with self.gadget() as g:
            d = g.daemon
            self.assertEqual(put(d, "cad", CAD_HI)[0], 200)
            with open(self.store, "rb") as f:
                before = f.read()
            os.mkdir(self.store + ".tmp")
            st, body = put(d, "cad", {"steps": [{"key": "KeyA"}]})
            self.assertEqual(st // 100, 5, body)
            self.assertIn("nothing was changed", body["error"]["message"])
            st, body = d.json("DELETE", "/macros/cad")
            self.assertEqual(st // 100, 5, body)
            with open(self.store, "rb") as f:
                self.assertEqual(f.read(), before)
            self.assertEqual(d.ok("GET", "/macros/cad")["steps"],
                             CAD_HI["steps"])

    def test_slow_write_off_the_loop(self):
        # Test hook: each write of the store waits 1.5 s first, like a slow
        # SD card.  The loop answers meanwhile; a second change is refused
        # until the first is on disk; the answer comes once it is.
        env = dict(os.environ, KAPUTTKVM_TEST_MACRO_WRITE_DELAY_MS="1500")
        with self.gadget(env=env) as g:
            d = g.daemon
            got = {}
            t = threading.Thread(
                target=lambda: got.update(r=put(d, "slow", CAD_HI)))
            t0 = time.monotonic()
            t.start()
            time.sleep(0.3)
            self.assertNotIn("r", got, "answered before it was on disk")
            t1 = time.monotonic()
            d.ok("GET", "/state")
            self.assertLess(time.monotonic() - t1, 1.0, "the loop waited")
            st, body = put(d, "other", CAD_HI)
            self.assertEqual(st, 409, body)
            self.assertIn("being written", body["error"]["message"])
            kvmtest.assert_error(self, d.json("GET", "/macros/slow"), 404)
            t.join(10)
            self.assertEqual(got["r"][0], 200, got)
            self.assertGreaterEqual(time.monotonic() - t0, 1.5)
            self.assertEqual(read_json(self.store)["macros"]["slow"]["steps"],
                             CAD_HI["steps"])
            # a client that leaves before its write ends harms nothing
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(d.socket)
            s.sendall(b"DELETE /macros/slow HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Length: 0\r\n\r\n")
            time.sleep(0.2)
            s.close()
            time.sleep(2)
            self.assertNotIn("slow", read_json(self.store)["macros"])
            d.ok("GET", "/state")

    def test_jiggler_survives_restart(self):
        path = os.path.join(self.dir, "jiggler.json")
        with self.gadget() as g:
            self.assertFalse(g.state()["jiggler"]["enabled"])
            g.daemon.ok("POST", "/jiggler", {"enabled": True, "interval": 7})
            g.daemon.ok("POST", "/jiggler", {"interval": 9})
            # kept by a worker thread, after the reply
            hiddtest.wait_state(lambda: read_json(path),
                                lambda j: j == {"enabled": True,
                                                "interval": 9},
                                what="jiggler.json")
        with self.gadget() as g:
            jig = g.state()["jiggler"]
            self.assertEqual((jig["enabled"], jig["interval"]), (True, 9))
            g.daemon.ok("POST", "/jiggler", {"enabled": False})
        with self.gadget() as g:
            jig = g.state()["jiggler"]
            self.assertEqual((jig["enabled"], jig["interval"]), (False, 9))
        # Not a setting: hidd starts with the jiggler off, and says why.
        with open(path, "w") as f:
            f.write('{"enabled": true, "interval": 0}')
        with self.gadget() as g:
            self.assertFalse(g.state()["jiggler"]["enabled"])
            self.assertIn("jiggler.json holds no", g.daemon.log())


def relrep(buttons, dx, dy, wheel=0):
    return struct.pack("<Bbbb", buttons, dx, dy, wheel)


class NoRelGadget(hiddtest.Gadget):
    """The gadget without a relative mouse (nothing written on hidg2)."""

    def __enter__(self):
        self.daemon.__enter__()
        assert self.kbd.wait(1) == [kbd()], "no release at start"
        self.abs.wait(1)
        return self


class JigglerTest(unittest.TestCase):
    def test_jiggler(self):
        with hiddtest.Gadget(["--macros", "none",
                              "--jiggler-state", "none"]) as g:
            d = g.daemon
            self.assertFalse(g.state()["jiggler"]["enabled"])
            self.assertEqual(g.rel.quiet(1.3), [])  # off by default
            st, _ = d.json("POST", "/jiggler", {"interval": 0})
            self.assertEqual(st, 400)
            d.ok("POST", "/jiggler", {"enabled": True, "interval": 1})
            t0 = time.monotonic()
            self.assertEqual(g.rel.wait(2, timeout=3),
                             [relrep(0, 1, 0), relrep(0, -1, 0)])
            self.assertGreaterEqual(time.monotonic() - t0, 0.9)
            # Input flowing: no nudge.
            end = time.monotonic() + 2.0
            while time.monotonic() < end:
                d.ok("POST", "/mouse", {"x": 100, "y": 100})
                time.sleep(0.2)
            self.assertEqual(g.rel.new(), [])
            # A key held suppresses it.
            d.ok("POST", "/key", {"code": "ShiftLeft", "down": True})
            self.assertEqual(g.rel.quiet(1.6), [])
            d.ok("POST", "/key", {"code": "ShiftLeft", "down": False})
            self.assertEqual(g.rel.wait(2, timeout=3),
                             [relrep(0, 1, 0), relrep(0, -1, 0)])
            d.ok("POST", "/jiggler", {"enabled": False})
            self.assertEqual(g.rel.quiet(1.6), [])
            self.assertEqual(g.state()["jiggler"]["nudges"], 2)

    def test_jiggler_absolute(self):
        # No relative mouse: one step on the absolute one, and back.
        with NoRelGadget(["--macros", "none", "--jiggler-state", "none",
                          "--mouse-rel", "none"]) as g:
            d = g.daemon
            d.ok("POST", "/mouse", {"x": 1000, "y": 2000})
            g.abs.wait(1)
            d.ok("POST", "/jiggler", {"enabled": True, "interval": 1})
            self.assertEqual(g.abs.wait(2, timeout=3), [
                struct.pack("<BHHbb", 0, 1001, 2000, 0, 0),
                struct.pack("<BHHbb", 0, 1000, 2000, 0, 0)])
            self.assertEqual(g.state()["mouse"]["x"], 1000)


if __name__ == "__main__":
    kvmtest.main()
