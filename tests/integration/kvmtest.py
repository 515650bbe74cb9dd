"""kvmtest -- start our daemons on private sockets and talk to them.

Used by every integration test (tests/integration/*/test_*.py) and by the
benchmarks.  Standard library only.

    with kvmtest.Daemon("capd", ["--source", "pattern"]) as d:
        status, body = d.json("GET", "/state")
        assert status == 200 and body["ok"]

Binaries come from $KVM_BUILD_ROOT (set by meson), sockets and logs live in a
temporary directory that is removed afterwards unless the test failed
($KVM_KEEP_TMP=1 keeps it always).
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

BUILD_ROOT = os.environ.get(
    "KVM_BUILD_ROOT",
    os.path.join(os.path.dirname(__file__), "..", "..", "build"))
SOURCE_ROOT = os.environ.get(
    "KVM_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))

BINARIES = {
    "capd": "capd/capd",
    "hidd": "hidd/hidd",
    "mediad": "mediad/mediad",
    "gpiod-ctl": "gpiod-ctl/gpiod-ctl",
    "capctl": "capd/capctl",
    "hidctl": "hidd/hidctl",
    "mediactl": "mediad/mediactl",
    "gpioctl": "gpiod-ctl/gpioctl",
}


def binary(name):
    """Path of a built program by its name ("capd", "hidctl")."""
    return os.path.join(BUILD_ROOT, BINARIES.get(name, name))


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over a UNIX stream socket."""

    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


def request(sock_path, method, target, body=None, headers=None, timeout=10):
    """One request; returns (status, headers dict lower-cased, body bytes)."""
    conn = UnixHTTPConnection(sock_path, timeout=timeout)
    hdrs = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        body = body.encode()
    try:
        conn.request(method, target, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def json_request(sock_path, method, target, body=None, headers=None,
                 timeout=10):
    """One request; returns (status, parsed JSON or None)."""
    status, _, data = request(sock_path, method, target, body, headers,
                              timeout)
    try:
        return status, json.loads(data)
    except ValueError:
        return status, None


def raw_exchange(sock_path, data, timeout=5, read_until_close=True):
    """Send raw bytes, return everything the daemon answers until it closes
    (or until the timeout, then what arrived)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path)
    try:
        s.sendall(data)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            out += chunk
            if not read_until_close and b"\r\n\r\n" in out:
                break
        return out
    finally:
        s.close()


def wait_for_socket(path, timeout=10.0, proc=None):
    """Wait until something accepts on path; raise with a reason if not."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("daemon exited with %d before listening"
                               % proc.returncode)
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.connect(path)
            return
        except OSError as e:
            last = e
            time.sleep(0.02)
    raise TimeoutError("nothing listens on %s after %.1f s (%s)"
                       % (path, timeout, last))


def rss_kib(pid):
    """Resident set size of a process in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for %d" % pid)


class Daemon:
    """One of our daemons on a private socket in its own temporary dir.

    args are extra command-line arguments; --socket and --config are added
    (an empty config file unless config= gives its text).  The daemon's
    stderr goes to <tmp>/<name>.log; log() returns it.
    """

    def __init__(self, name, args=(), config=None, env=None, tmpdir=None,
                 socket_name=None, wait=True, program=None):
        self.name = name
        self.own_tmp = tmpdir is None
        self.tmp = tmpdir or tempfile.mkdtemp(prefix="kvmtest-%s-" % name)
        self.socket = os.path.join(self.tmp, socket_name or name + ".sock")
        self.config_path = os.path.join(self.tmp, name + ".conf")
        with open(self.config_path, "w") as f:
            f.write(config or "")
        self.log_path = os.path.join(self.tmp, name + ".log")
        self.args = [program or binary(name), "--socket", self.socket,
                     "--config", self.config_path] + list(args)
        self.env = dict(os.environ)
        self.env.pop("NOTIFY_SOCKET", None)
        self.env.pop("LISTEN_FDS", None)
        self.env.pop("LISTEN_PID", None)
        self.env.update(env or {})
        self.proc = None
        self.wait = wait
        self.failed = False

    def start(self):
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL,
                                     stdout=self.logf, stderr=self.logf,
                                     env=self.env)
        if self.wait:
            try:
                wait_for_socket(self.socket, proc=self.proc)
            except Exception:
                self.kill()
                sys.stderr.write(self.log())
                raise
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.failed = True
            sys.stderr.write("--- %s log ---\n%s\n" % (self.name, self.log()))
        self.stop()
        self.cleanup()
        return False

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Signal the daemon and return its exit status (-N for a signal)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError("%s did not stop within %d s after %s"
                                   % (self.name, timeout, sig))
        self.logf.close()
        return self.proc.returncode

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if getattr(self, "logf", None) is not None and not self.logf.closed:
            self.logf.close()

    def cleanup(self):
        self.kill()
        if self.own_tmp and not self.failed and \
                os.environ.get("KVM_KEEP_TMP") != "1":
            shutil.rmtree(self.tmp, ignore_errors=True)

    @property
    def pid(self):
        return self.proc.pid

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def request(self, method, target, body=None, headers=None, timeout=10):
        return request(self.socket, method, target, body, headers, timeout)

    def json(self, method, target, body=None, headers=None, timeout=10):
        return json_request(self.socket, method, target, body, headers,
                            timeout)

    def ok(self, method, target, body=None):
        """A request that must succeed; returns its result object."""
        status, reply = self.json(method, target, body)
        if status != 200 or not reply or reply.get("ok") is not True:
            raise AssertionError("%s %s -> %d %r" % (method, target, status,
                                                      reply))
        return reply["result"]


def assert_error(test, reply_pair, status, code=None):
    """Check a (status, json) pair is an error envelope with that status."""
    got_status, reply = reply_pair
    test.assertEqual(got_status, status, reply)
    test.assertIsInstance(reply, dict)
    test.assertIs(reply.get("ok"), False)
    test.assertIsInstance(reply.get("error"), dict)
    test.assertIsInstance(reply["error"].get("message"), str)
    test.assertTrue(reply["error"]["message"])
    if code is not None:
        test.assertEqual(reply["error"].get("code"), code)


def main():
    """Run the calling module's unittest cases with verbose output.

    Exits 77 (meson's "skipped") with the reasons when every case was
    skipped, so a test that could not run is never counted as passed."""
    prog = unittest.main(verbosity=2, exit=False)
    res = prog.result
    if res.testsRun > 0 and len(res.skipped) == res.testsRun and \
            res.wasSuccessful():
        for case, why in res.skipped:
            print("SKIP: %s: %s" % (case.id(), why))
        sys.exit(77)
    sys.exit(0 if res.wasSuccessful() else 1)


def hardware_free_args(name, tmp):
    """Command-line arguments that run a daemon without hardware, using
    stand-ins in tmp: capd's test pattern, FIFOs for hidd's /dev/hidgN,
    a directory for mediad's LUN, gpiod-ctl's test-only backend."""
    if name == "capd":
        return ["--source", "pattern", "--resolution", "640x360",
                "--fps", "10"]
    if name == "hidd":
        paths = []
        for dev in ("hidg0", "hidg1", "hidg2"):
            p = os.path.join(tmp, dev)
            if not os.path.exists(p):
                os.mkfifo(p)
            paths.append(p)
        return ["--backend", "gadget", "--keyboard", paths[0],
                "--mouse", paths[1], "--mouse-rel", paths[2]]
    if name == "mediad":
        images = os.path.join(tmp, "images")
        lun = os.path.join(tmp, "lun.0")
        for d in (images, lun):
            os.makedirs(d, exist_ok=True)
        for attr, val in (("file", ""), ("cdrom", "0"), ("ro", "0")):
            with open(os.path.join(lun, attr), "w") as f:
                f.write(val + "\n")
        return ["--images", images, "--lun", lun,
                "--state-file", os.path.join(tmp, "mediad.state")]
    if name == "gpiod-ctl":
        return ["--backend", "test"]
    raise ValueError(name)
