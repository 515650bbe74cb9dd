"""gpiod-ctl: per-caller rights, checked with SO_PEERCRED.

gpiod-ctl runs as root on the test backend with a socket every user may
connect to (mode 0666), so that only its own check stands between a
caller and a line.  Requests are made from children running as other
users (subprocess's user=/group=, so the test needs root, as CI runs it):
system users every Debian has stand in for the packaged ones through
caller.USER keys -- daemon for kaputtkvm-capd (capture-reset), bin for
kaputtkvm-hidd (hid-reset), sys for the front door (all); nobody is not
named.  Each may drive only its lines, every one may read /state and
/metrics, a refusal is 403 naming what the caller may use, and it changes
nothing.  Then the real callers: capd pulses capture-reset and hidd
hid-reset with their own client code, each as its stand-in user.
"""

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import kvmtest


CONFIG = """[gpiod-ctl]
backend = test
press-ms = 50
lockout-ms = 0
debounce-ms = 5
power-button = gpiochip0:0
reset-button = gpiochip0:1
power-led = gpiochip0:2
capture-reset = gpiochip0:4
hid-reset = gpiochip0:5
line.fan = gpiochip0:6 output
caller.daemon = capture-reset
caller.bin = hid-reset, fan
caller.sys = all
"""

# One HTTP request on a UNIX socket, run as another user; prints
# [status, body] as JSON.  Only the standard library: the child may not
# read the source tree.
CHILD = r"""
import json, socket, sys
path, method, target, body = sys.argv[1:5]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(path)
body = body.encode()
head = "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" % (method, target)
if method == "POST":
    head += ("Content-Type: application/json\r\nContent-Length: %d\r\n"
             % len(body))
s.sendall(head.encode() + b"\r\n" + (body if method == "POST" else b""))
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
head, _, rest = data.partition(b"\r\n\r\n")
print(json.dumps([int(head.split()[1]), rest.decode(errors="replace")]))
"""


# The system's Python: the one running the tests may live where other
# users cannot reach it (a home directory).
PYTHON = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) \
    else sys.executable


def as_user(user, sock, method, target, body=None):
    p = subprocess.run(
        [PYTHON, "-I", "-c", CHILD, sock, method, target,
         json.dumps(body) if body is not None else ""],
        user=user, group=pwd.getpwnam(user).pw_gid, extra_groups=[],
        capture_output=True, text=True, timeout=20, cwd="/")
    if p.returncode != 0:
        raise AssertionError("request as %s failed: %s" % (user, p.stderr))
    status, text = json.loads(p.stdout)
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


@unittest.skipUnless(os.geteuid() == 0,
                     "connecting as other users needs root (CI runs as root)")
class Rights(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="kvmtest-gpiod-rights-")
        os.chmod(cls.tmp, 0o755)
        cls.d = kvmtest.Daemon("gpiod-ctl", ["--socket-mode", "0666"],
                               config=CONFIG, tmpdir=cls.tmp)
        cls.d.start()
        cls.sock = cls.d.socket

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def history(self, line):
        return self.d.ok("GET", "/test/history?line=" + line)["samples"]

    def pulses(self):
        st = self.d.ok("GET", "/state")["lines"]
        return {n: l["pulses"] for n, l in st.items() if "pulses" in l}

    def assert_refused(self, user, target, body, line, may):
        before_hist = {n: len(self.history(n)) for n in self.pulses()}
        before = self.pulses()
        status, reply = as_user(user, self.sock, "POST", target, body)
        self.assertEqual(status, 403, reply)
        self.assertIs(reply["ok"], False)
        self.assertEqual(reply["error"]["code"], "forbidden")
        msg = reply["error"]["message"]
        self.assertIn("may not drive %s" % line, msg)
        self.assertIn("this caller may use: %s" % may, msg)
        # Nothing changed: no pulse counted, no level driven, none busy.
        time.sleep(0.1)
        self.assertEqual(self.pulses(), before)
        self.assertEqual({n: len(self.history(n)) for n in before_hist},
                         before_hist)
        st = self.d.ok("GET", "/state")
        self.assertFalse(any(ln.get("busy") for ln in st["lines"].values()))
        self.assertEqual(self.atx_last(st), self.last_action,
                         "no ATX action recorded")

    @staticmethod
    def atx_last(st):
        last = st["atx"]["last_action"]
        return {k: v for k, v in last.items() if k != "age_s"} \
            if isinstance(last, dict) else last

    def setUp(self):
        self.last_action = self.atx_last(self.d.ok("GET", "/state"))

    def test_capd_stand_in(self):
        status, reply = as_user("daemon", self.sock, "POST", "/pulse",
                                {"line": "capture-reset", "ms": 20})
        self.assertEqual(status, 200, reply)
        self.assertTrue(reply["result"]["done"])
        self.assert_refused("daemon", "/pulse",
                            {"line": "power-button", "ms": 10000},
                            "power-button", "capture-reset.")
        self.assert_refused("daemon", "/pulse", {"line": "hid-reset"},
                            "hid-reset", "capture-reset.")
        self.assert_refused("daemon", "/atx", {"action": "on"},
                            "power-button", "capture-reset.")
        self.assert_refused("daemon", "/atx", {"action": "reset"},
                            "reset-button", "capture-reset.")
        self.assert_refused("daemon", "/test/input",
                            {"line": "power-led", "value": 1},
                            "power-led", "capture-reset.")

    def test_hidd_stand_in(self):
        for line in ("hid-reset", "fan"):
            status, reply = as_user("bin", self.sock, "POST", "/pulse",
                                    {"line": line, "ms": 20})
            self.assertEqual(status, 200, reply)
        self.assert_refused("bin", "/pulse", {"line": "capture-reset"},
                            "capture-reset", "hid-reset, fan.")
        self.assert_refused("bin", "/pulse", {"line": "power-button"},
                            "power-button", "hid-reset, fan.")

    def test_unnamed_caller_reads_only(self):
        for target in ("/state", "/metrics", "/test/history?line=fan"):
            status, _ = as_user("nobody", self.sock, "GET", target)
            self.assertEqual(status, 200, target)
        self.assert_refused("nobody", "/pulse", {"line": "fan"}, "fan",
                            "no line")
        self.assert_refused("nobody", "/atx", {"action": "on"},
                            "power-button", "no line")
        status, reply = as_user("nobody", self.sock, "POST", "/pulse",
                                {"line": "fan"})
        self.assertIn("uid 65534", reply["error"]["message"])

    def test_front_door_and_root_do_everything(self):
        status, reply = as_user("sys", self.sock, "POST", "/pulse",
                                {"line": "power-button", "ms": 20})
        self.assertEqual(status, 200, reply)
        status, reply = as_user("sys", self.sock, "POST", "/atx",
                                {"action": "on"})
        self.assertEqual(status, 200, reply)
        self.assertEqual(reply["result"]["action"], "on")
        # root (this test) too, without any caller.root
        self.d.ok("POST", "/pulse", {"line": "reset-button", "ms": 20})

    def test_bad_input_still_400_not_403(self):
        # The body is checked first: a caller learns what is wrong.
        status, reply = as_user("daemon", self.sock, "POST", "/pulse",
                                {"line": "nope"})
        self.assertEqual(status, 400, reply)


class RightsConfig(unittest.TestCase):

    def check(self, extra):
        tmp = tempfile.mkdtemp(prefix="kvmtest-gpiod-rights-conf-")
        try:
            path = os.path.join(tmp, "k.conf")
            with open(path, "w") as f:
                f.write(CONFIG + extra)
            return subprocess.run(
                [kvmtest.binary("gpiod-ctl"), "--config", path,
                 "--check-config"], capture_output=True, text=True,
                timeout=20)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_good(self):
        p = self.check("")
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_refused(self):
        for extra, want in (
                ("caller.daemon = capture-rest\n",
                 'caller.daemon: no line named "capture-rest"'),
                ("caller.no-such-user-kvm = all\n",
                 "caller.no-such-user-kvm: no such user"),
                ("caller.daemon = all fan\n", "write \"all\", \"none\""),
                ("caller.daemon = ,\n", "write \"all\", \"none\""),
                ("caller.da/mon = all\n", "caller.USER")):
            p = self.check(extra)
            self.assertEqual(p.returncode, 1, (extra, p.stderr))
            self.assertIn(want, p.stderr, extra)


@unittest.skipUnless(os.geteuid() == 0,
                     "running capd and hidd as other users needs root")
class RealCallers(unittest.TestCase):
    """capd and hidd ask with their own client code, as their users."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kvmtest-gpiod-callers-")
        os.chmod(self.tmp, 0o777)
        self.g = kvmtest.Daemon("gpiod-ctl", ["--socket-mode", "0666"],
                                config=CONFIG, tmpdir=self.tmp)
        self.g.start()

    def tearDown(self):
        self.g.stop()
        self.g.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def as_user(self, d, user):
        d.args = ["setpriv", "--reuid=" + user,
                  "--regid=%d" % pwd.getpwnam(user).pw_gid,
                  "--clear-groups"] + d.args
        return d

    def wait_pulses(self, line, n, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            st = self.g.ok("GET", "/state")["lines"][line]
            if st["pulses"] >= n and not st["busy"]:
                return st
            time.sleep(0.05)
        self.fail("%s: no pulse within %.0f s: %s" % (line, timeout,
                                                      self.g.log()))

    def test_capd_capture_reset(self):
        d = self.as_user(kvmtest.Daemon(
            "capd", ["--source", "/dev/kvmtest-no-such-video",
                     "--reset-after", "1", "--gpiod-socket", self.g.socket],
            tmpdir=self.tmp, socket_name="capd.sock"), "daemon")
        with d:
            self.wait_pulses("capture-reset", 1)
            st = d.ok("GET", "/state")
        self.assertEqual(st["capture_resets"]["failed"], 0, st)
        self.assertNotIn("refused", self.g.log())

    def test_hidd_hid_reset(self):
        from kvmtest.uartsim import McuSim
        sim = McuSim()
        sim.silent_until = time.monotonic() + 3600   # never answers
        sim.start()
        os.chown(sim.path, 2, 2)                     # bin's serial port
        try:
            d = self.as_user(kvmtest.Daemon(
                "hidd", ["--backend", "uart", "--uart", sim.path,
                         "--uart-timeout-ms", "20", "--uart-ping-ms", "20",
                         "--uart-reset-after", "2",
                         "--gpiod-socket", self.g.socket],
                tmpdir=self.tmp, socket_name="hidd.sock"), "bin")
            with d:
                self.wait_pulses("hid-reset", 1)
            self.assertNotIn("refused", self.g.log())
        finally:
            sim.stop()

    def test_wrong_caller_is_refused_and_told(self):
        # capd running as hidd's stand-in: refused, and capd says why.
        d = self.as_user(kvmtest.Daemon(
            "capd", ["--source", "/dev/kvmtest-no-such-video",
                     "--reset-after", "1", "--gpiod-socket", self.g.socket],
            tmpdir=self.tmp, socket_name="capd.sock"), "bin")
        with d:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and \
                    d.ok("GET", "/state")["capture_resets"]["failed"] == 0:
                time.sleep(0.05)
            log = d.log()
        self.assertIn("may not drive capture-reset", log)
        self.assertEqual(
            self.g.ok("GET", "/state")["lines"]["capture-reset"]["pulses"],
            0)


if __name__ == "__main__":
    kvmtest.main()
