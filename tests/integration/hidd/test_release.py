"""hidd --release: the unit's stop step, after hidd died with a key down.

hidd runs on FIFOs standing in for /dev/hidg0..2 (the test holds their read
ends), a key and a mouse button go down through its API, hidd is killed
with SIGKILL (its own release never runs), and then the ExecStopPost= line
of the built kaputtkvm-hidd.service runs as written, with only the binary's
path moved to the build tree and --config pointing at the test's file (the
unit reads the default one).  The idle reports must arrive within a second.
The same for the UART backend against the simulated microcontrollers of
test_uart.py.  And the step is bounded: a host that takes nothing costs it
at most about half a second, a device that is not there holds nothing.
"""

import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from kvmtest import hiddtest
import kvmtest
from kvmtest.uartsim import ChSim, McuSim

UNIT = os.path.join(os.environ.get("KVM_BUILD_ROOT", "build"), "systemd",
                    "kaputtkvm-hidd.service")
# What a stop step may take, process start included (the unit's promise).
BOUND = 1.0


def stop_post_argv():
    """The unit's ExecStopPost= as argv for the build tree."""
    with open(UNIT) as f:
        lines = [ln.split("=", 1)[1].strip() for ln in f
                 if ln.startswith("ExecStopPost=")]
    assert len(lines) == 1, "kaputtkvm-hidd.service: ExecStopPost= %r" % lines
    cmd = lines[0].lstrip("-@:+!")   # systemd's prefixes, not the command
    argv = shlex.split(cmd)
    assert os.path.basename(argv[0]) == "hidd", argv
    return [kvmtest.binary("hidd")] + argv[1:]


def run_stop_post(conf):
    t0 = time.monotonic()
    p = subprocess.run(stop_post_argv() + ["--config", conf],
                       capture_output=True, text=True, timeout=10)
    return p, time.monotonic() - t0


class Fifo:
    """A FIFO whose read end the test holds, non-blocking."""

    def __init__(self, path, size):
        os.mkfifo(path)
        self.path, self.size = path, size
        self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self.buf = b""

    def read(self, count, timeout=2.0):
        """Exactly the next count reports; fails on more or fewer."""
        deadline = time.monotonic() + timeout
        while len(self.buf) < count * self.size and \
                time.monotonic() < deadline:
            try:
                self.buf += os.read(self.fd, 4096)
            except BlockingIOError:
                time.sleep(0.005)
        time.sleep(0.05)
        try:
            self.buf += os.read(self.fd, 4096)
        except BlockingIOError:
            pass
        got = [self.buf[i:i + self.size]
               for i in range(0, len(self.buf), self.size)]
        self.buf = b""
        if len(got) != count:
            raise AssertionError("%s: %d reports, not %d: %r"
                                 % (self.path, len(got), count, got))
        return got

    def close(self):
        os.close(self.fd)


class GadgetRelease(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kvmtest-hidd-release-")

        def p(n):
            return os.path.join(self.tmp, n)

        self.kbd = Fifo(p("hidg0"), 8)
        self.abs = Fifo(p("hidg1"), 7)
        self.rel = Fifo(p("hidg2"), 4)
        self.conf = p("kaputtkvm.conf")
        self.text = ("[hidd]\nbackend = gadget\nkeyboard = %s\nmouse = %s\n"
                     "mouse-rel = %s\nudc-state = none\n"
                     % (p("hidg0"), p("hidg1"), p("hidg2")))
        with open(self.conf, "w") as f:
            f.write(self.text)

    def tearDown(self):
        for f in (self.kbd, self.abs, self.rel):
            f.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_kill_9_with_a_key_down(self):
        d = kvmtest.Daemon("hidd", config=self.text, tmpdir=self.tmp)
        with d:
            # hidd's own start: everything up, the pointer at the centre.
            self.assertEqual(self.kbd.read(1), [hiddtest.kbd()])
            start_abs = self.abs.read(1)
            self.assertEqual(start_abs[0][0], 0, "no button at start")
            self.assertEqual(self.rel.read(1), [bytes(4)])
            d.ok("POST", "/key", {"code": "ShiftLeft"})
            d.ok("POST", "/key", {"code": "KeyA"})
            d.ok("POST", "/mouse", {"button": "left"})
            self.assertEqual(self.kbd.read(2)[-1], hiddtest.kbd(0x02, 4))
            self.assertEqual(self.abs.read(1)[0][0], 1, "left button down")
            d.proc.send_signal(signal.SIGKILL)
            d.proc.wait(5)
            self.assertEqual(d.proc.returncode, -signal.SIGKILL)
            p, took = run_stop_post(self.conf)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertLess(took, BOUND, "the stop step took %.3f s" % took)
        self.assertEqual(self.kbd.read(1), [hiddtest.kbd()], "keys up")
        self.assertEqual(self.abs.read(1), start_abs,
                         "buttons up where hidd's start puts the pointer")
        self.assertEqual(self.rel.read(1), [bytes(4)], "no button, no move")
        print("stop step after kill -9: %.0f ms" % (took * 1000))

    def test_host_not_reading_is_bounded(self):
        # The keyboard's FIFO is full (a host that stopped polling): the
        # step gives up in time, says so, and still releases the mice.
        w = os.open(self.kbd.path, os.O_WRONLY | os.O_NONBLOCK)
        try:
            while True:
                os.write(w, bytes(4096))
        except BlockingIOError:
            pass
        try:
            p, took = run_stop_post(self.conf)
        finally:
            os.close(w)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("took no report", p.stderr)
        self.assertIn("within 500 ms", p.stderr)
        self.assertGreaterEqual(took, 0.45)
        self.assertLess(took, BOUND, "the stop step took %.3f s" % took)
        self.assertEqual(len(self.abs.read(1)), 1)
        self.assertEqual(self.rel.read(1), [bytes(4)])

    def test_nothing_there_holds_nothing(self):
        # No reader (a gadget without a host) and no device at all.
        self.kbd.close()
        self.kbd = Fifo(os.path.join(self.tmp, "spare"), 8)
        os.unlink(os.path.join(self.tmp, "hidg0"))
        os.mkfifo(os.path.join(self.tmp, "hidg0"))      # nobody reads it
        os.unlink(os.path.join(self.tmp, "hidg1"))      # no device
        p, took = run_stop_post(self.conf)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("nothing is held", p.stderr)
        self.assertLess(took, BOUND)
        self.assertEqual(self.rel.read(1), [bytes(4)])

    def test_unwritable_device_is_an_error(self):
        os.unlink(os.path.join(self.tmp, "hidg2"))
        os.mkdir(os.path.join(self.tmp, "hidg2"))
        p, _ = run_stop_post(self.conf)
        self.assertEqual(p.returncode, 1)
        self.assertIn("mouse-rel: cannot open", p.stderr)
        self.assertEqual(self.kbd.read(1), [hiddtest.kbd()])

    def test_only_on_the_command_line(self):
        with open(self.conf, "a") as f:
            f.write("release = yes\n")
        p = subprocess.run([kvmtest.binary("hidd"), "--config", self.conf,
                            "--check-config"], capture_output=True,
                           text=True, timeout=10)
        self.assertEqual(p.returncode, 1)
        self.assertIn("kaputtkvm.conf:7:", p.stderr)
        self.assertIn("command line", p.stderr)


class UartRelease(unittest.TestCase):

    def run_case(self, sim, protocol, press, held, released):
        sim.start()
        tmp = tempfile.mkdtemp(prefix="kvmtest-hidd-release-uart-")
        text = ("[hidd]\nbackend = uart\nuart = %s\nuart-protocol = %s\n"
                "uart-ping-ms = 50\n" % (sim.path, protocol))
        conf = os.path.join(tmp, "kaputtkvm.conf")
        with open(conf, "w") as f:
            f.write(text)
        try:
            d = kvmtest.Daemon("hidd", config=text, tmpdir=tmp)
            with d:
                press(d)
                sim.wait(lambda: held(sim), what="key held")
                d.proc.send_signal(signal.SIGKILL)
                d.proc.wait(5)
                mark = sim.mark()
                p, took = run_stop_post(conf)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertLess(took, BOUND, "the stop step took %.3f s" % took)
            sim.wait(lambda: released(sim, mark), timeout=BOUND,
                     what="the release")
        finally:
            sim.stop()
            shutil.rmtree(tmp, ignore_errors=True)

    def test_crc16_clear(self):
        sim = McuSim()
        sim.mark = lambda: len(sim.cmds)

        def press(d):
            d.ok("POST", "/key", {"code": "KeyA"})
            d.ok("POST", "/mouse", {"button": "left"})

        self.run_case(
            sim, "crc16", press,
            lambda s: s.keys == {1} and s.buttons == 1,
            lambda s, mark: 0x10 in s.cmds[mark:] and not s.keys and
            s.buttons == 0)

    def test_ch9329_keys_and_buttons_up(self):
        sim = ChSim()
        sim.mark = lambda: len(sim.frames)

        def press(d):
            d.ok("POST", "/key", {"code": "KeyA"})
            d.ok("POST", "/mouse", {"button": "left"})

        def released(s, mark):
            new = s.frames[mark:]
            kbd = [f for f in new if f[3] == 0x02]
            mouse = [f for f in new if f[3] == 0x04]
            return kbd and kbd[-1][5:13] == bytes(8) and mouse and \
                mouse[-1][6] == 0

        self.run_case(
            sim, "ch9329", press,
            lambda s: any(f[3] == 0x02 and f[7] == 4 for f in s.frames) and
            any(f[3] == 0x04 and f[6] == 1 for f in s.frames),
            released)


if __name__ == "__main__":
    kvmtest.main()
