"""Every daemon runs under systemd's own socket-activation tool
(`systemd-socket-activate -l PATH`, what the .socket units do at boot): it
takes the socket from LISTEN_FDS instead of making one, answers on it, and
stops cleanly on SIGTERM."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import kvmtest

TOOL = shutil.which("systemd-socket-activate")
DAEMONS = ["capd", "hidd", "mediad", "gpiod-ctl"]

if TOOL is None:
    print("SKIP: systemd-socket-activate is missing (apt-get install systemd)")
    sys.exit(77)


class Activation(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kvm-activate-")
        self.leds_fd = None

    def tearDown(self):
        if self.leds_fd is not None:
            os.close(self.leds_fd)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, *p):
        return os.path.join(self.tmp, *p)

    def args(self, name):
        if name == "capd":
            return ["--source", "pattern"]
        if name == "hidd":
            for f in ("hidg0", "hidg1", "hidg2"):
                open(self.path(f), "wb").close()
            os.mkfifo(self.path("leds"))
            self.leds_fd = os.open(self.path("leds"), os.O_RDWR)
            return ["--keyboard", self.path("hidg0"), "--mouse",
                    self.path("hidg1"), "--mouse-rel", self.path("hidg2"),
                    "--leds", self.path("leds")]
        if name == "mediad":
            os.makedirs(self.path("images"))
            os.makedirs(self.path("lun.0"))
            for attr, v in (("file", ""), ("cdrom", "0"), ("ro", "0")):
                with open(self.path("lun.0", attr), "w") as f:
                    f.write(v + "\n")
            return ["--images", self.path("images"), "--lun",
                    self.path("lun.0")]
        return ["--backend", "test", "--line", "power-button=gpiochip0:23"]

    def run_daemon(self, name):
        if not os.access(kvmtest.binary(name), os.X_OK):
            self.skipTest("%s is not built yet" % name)
        sock = self.path(name + ".sock")
        conf = self.path("empty.conf")
        open(conf, "w").close()
        log_path = self.path(name + ".log")
        env = dict(os.environ)
        for k in ("LISTEN_FDS", "LISTEN_PID", "NOTIFY_SOCKET"):
            env.pop(k, None)
        with open(log_path, "wb") as logf:
            proc = subprocess.Popen(
                [TOOL, "-l", sock, kvmtest.binary(name), "--config", conf,
                 "--socket", self.path("not-this-one.sock")] +
                self.args(name), stdout=logf, stderr=logf, env=env)
        try:
            deadline = time.monotonic() + 10
            status = None
            while time.monotonic() < deadline:
                try:
                    status, reply = kvmtest.json_request(sock, "GET", "/state")
                    break
                except OSError:
                    time.sleep(0.05)
            self.assertEqual(status, 200, "no answer on the activated socket")
            self.assertIs(reply["ok"], True)
            # It took systemd's socket rather than making its own.
            self.assertFalse(os.path.exists(self.path("not-this-one.sock")))
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(10), 0)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
                with open(log_path) as f:
                    sys.stderr.write(f.read())

    def test_capd(self):
        self.run_daemon("capd")

    def test_hidd(self):
        self.run_daemon("hidd")

    def test_mediad(self):
        self.run_daemon("mediad")

    def test_gpiod_ctl(self):
        self.run_daemon("gpiod-ctl")


if __name__ == "__main__":
    kvmtest.main()     # exits 77 when all were skipped
