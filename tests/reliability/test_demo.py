"""scripts/demo leaves nothing running: after Ctrl+C (SIGINT) in the
foreground, SIGTERM, `--stop` in the background, and even when its
supervisor is killed with SIGKILL (its children get SIGTERM from the kernel,
PR_SET_PDEATHSIG), every process it started is gone and the port is free."""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import shutil
import time
import unittest

import kvmtest
from kvmtest import demostack


def setUpModule():
    demostack.require_stack()


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


class Lifecycle(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kvm-demo-")
        self.state = os.path.join(self.tmp, "demo")
        self.port = demostack.free_port()

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def foreground(self):
        proc = subprocess.Popen(
            [sys.executable, demostack.DEMO, "--build-dir",
             demostack.BUILD_ROOT, "--state-dir", self.state, "--port",
             str(self.port)], stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True)
        self.addCleanup(self.cleanup_demo, proc)
        ready = os.path.join(self.state, "ready")
        deadline = time.monotonic() + 60
        while not os.path.exists(ready):
            if proc.poll() is not None:
                self.fail("the demo exited: " + proc.stdout.read().decode())
            self.assertLess(time.monotonic(), deadline, "demo not ready")
            time.sleep(0.1)
        with open(os.path.join(self.state, "pids.json")) as f:
            pids = json.load(f)
        # ocrd only when built (meson option 'ocr')
        ocrd = os.access(kvmtest.binary("ocrd"), os.X_OK)
        self.assertEqual(sorted(pids), sorted(["capd", "hidd", "mediad",
                                               "gpiod-ctl", "fetchd",
                                               "redfishd", "nginx"]
                                              + ["ocrd"] * ocrd))
        self.assertTrue(port_open(self.port))
        return proc, pids

    def cleanup_demo(self, proc):
        """After a failed test: leave nothing behind either."""
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout:
            proc.stdout.close()

    def assert_all_gone(self, pids, supervisor=None, sockets_removed=True):
        deadline = time.monotonic() + 15
        left = None
        while time.monotonic() < deadline:
            left = [n for n, p in pids.items() if alive(p)]
            if supervisor is not None and alive(supervisor):
                left.append("supervisor")
            if not left and not port_open(self.port):
                break
            time.sleep(0.1)
        self.assertEqual(left, [], "still running")
        self.assertFalse(port_open(self.port), "the port is still open")
        if not sockets_removed:
            return      # stale socket files are replaced by the next run
        for name in ("capd", "hidd", "mediad", "gpiod-ctl", "fetchd",
                     "redfishd", "ocrd"):
            self.assertFalse(os.path.exists(os.path.join(
                self.state, "run", name + ".sock")), name)

    def test_ctrl_c(self):
        proc, pids = self.foreground()
        # What a terminal does on Ctrl+C: SIGINT to the foreground group.
        os.killpg(proc.pid, signal.SIGINT)
        out = proc.communicate(timeout=30)[0].decode()
        self.assertEqual(proc.returncode, 0, out)
        self.assertIn("URL:      https://localhost:%d/" % self.port, out)
        self.assertRegex(out, r"password: [A-Za-z0-9]{20}")
        self.assert_all_gone(pids)

    def test_sigterm(self):
        proc, pids = self.foreground()
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0)
        self.assert_all_gone(pids)

    def test_sigkill_of_the_supervisor(self):
        proc, pids = self.foreground()
        proc.kill()
        proc.communicate(timeout=30)
        self.assert_all_gone(pids, sockets_removed=False)

    def test_background_and_stop(self):
        # The README's entry point (with --build-dir: no apt, no build).
        r = subprocess.run([os.path.join(demostack.SOURCE_ROOT, "scripts",
                                         "demo"), "--build-dir",
                            demostack.BUILD_ROOT, "--background", self.state,
                            "--port", str(self.port)],
                           capture_output=True, text=True, timeout=90)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("URL: https://localhost:%d/" % self.port, r.stdout)
        with open(os.path.join(self.state, "pids.json")) as f:
            pids = json.load(f)
        with open(os.path.join(self.state, "demo.pid")) as f:
            supervisor = int(f.read())
        # The credentials it printed work through nginx.
        with open(os.path.join(self.state, "ready")) as f:
            info = json.load(f)
        stack = demostack.Stack()
        stack.port, stack.info = self.port, info
        stack.host = "localhost:%d" % self.port
        status, reply = stack.client().json("GET", "/api/gpio/state")
        self.assertEqual(status, 200, reply)
        r = subprocess.run([sys.executable, demostack.DEMO, "--stop",
                            self.state], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_all_gone(pids, supervisor)
        shutil.rmtree(stack.tmp, ignore_errors=True)


if __name__ == "__main__":
    kvmtest.main()     # exits 77 when all were skipped
