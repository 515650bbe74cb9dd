"""kvmtest -- the one package of Python helpers for every test suite.

tests/lib is on PYTHONPATH for every meson test (tests/meson.build); run
by hand: PYTHONPATH=tests/lib python3 tests/integration/capd/test_api.py.
Standard library only.

  kvmtest            Daemon: one of our daemons on a private socket; main(),
                     assert_error(), skip(); re-exports the names below
  kvmtest.paths      BUILD_ROOT, SOURCE_ROOT, binary()
  kvmtest.http       HTTP/1.1 on a UNIX socket: request(), json_request(),
                     raw_exchange(), RawConn, read_head/read_all/parse_reply
  kvmtest.ws         the WebSocket client (frames, handshake, close codes)
  kvmtest.forward    TcpToUnix: a loopback TCP port onto a UNIX socket
  kvmtest.standins   hardware_free_args(): the daemons without hardware
                     (the demo uses it too)
  kvmtest.demostack  the demo stack behind nginx, its HTTPS client
  kvmtest.capdtest, hiddtest, mediadtest   one daemon's test helpers
  kvmtest.vmrun      the QEMU harness of the vm and appliance suites

    with kvmtest.Daemon("capd", ["--source", "pattern"]) as d:
        status, body = d.json("GET", "/state")
        assert status == 200 and body["ok"]

Binaries come from $KVM_BUILD_ROOT (set by meson), sockets and logs live in a
temporary directory that is removed afterwards unless the test failed
($KVM_KEEP_TMP=1 keeps it always).
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

from kvmtest.http import (UnixHTTPConnection, json_request, raw_exchange,
                          request)
from kvmtest.paths import BINARIES, BUILD_ROOT, SOURCE_ROOT, binary
from kvmtest.standins import hardware_free_args

__all__ = [
    "BINARIES", "BUILD_ROOT", "SOURCE_ROOT", "Daemon", "UnixHTTPConnection",
    "assert_error", "binary", "hardware_free_args", "json_request", "main",
    "raw_exchange", "request", "rss_kib", "skip", "wait_for_socket",
]


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
            raise AssertionError("%s %s -> %d %r"
                                 % (method, target, status, reply))
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


def skip(reason):
    """Exit 77 (meson: skipped) with the reason."""
    print("SKIP: " + reason)
    sys.exit(77)


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
