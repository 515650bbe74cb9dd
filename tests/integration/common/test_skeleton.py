"""What every daemon does the same way (docs/architecture.md, "The daemon
contract").

Run once per daemon: `test_skeleton.py capd`.  The daemon runs with its
hardware-free stand-ins (kvmtest.hardware_free_args).
"""
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

import kvmtest

NAME = sys.argv.pop(1) if len(sys.argv) > 1 else "capd"
TOOLS = {"capd": "capctl", "hidd": "hidctl", "mediad": "mediactl",
         "gpiod-ctl": "gpioctl"}


class Skeleton(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kvmtest-skel-")
        self.args = kvmtest.hardware_free_args(NAME, self.tmp)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def daemon(self, **kw):
        return kvmtest.Daemon(NAME, self.args, tmpdir=self.tmp, **kw)

    def test_state_and_envelope(self):
        with self.daemon() as d:
            status, headers, body = d.request("GET", "/state")
            self.assertEqual(status, 200)
            self.assertTrue(headers["content-type"].startswith(
                "application/json"))
            status, reply = d.json("GET", "/state")
            self.assertIs(reply["ok"], True)
            self.assertIsInstance(reply["result"], dict)

    def test_metrics(self):
        with self.daemon() as d:
            status, headers, body = d.request("GET", "/metrics")
            self.assertEqual(status, 200)
            self.assertTrue(headers["content-type"].startswith("text/plain"))
            prefix = "kaputtkvm_%s_" % NAME.replace("-", "_")
            text = body.decode()
            self.assertIn("# TYPE " + prefix, text)
            for line in text.splitlines():
                if line and not line.startswith("#"):
                    self.assertTrue(line.startswith(prefix), line)
                    float(line.rsplit(" ", 1)[1])

    def test_unknown_path_and_method(self):
        with self.daemon() as d:
            kvmtest.assert_error(self, d.json("GET", "/no/such/thing"), 404,
                                 "not_found")
            status, headers, body = d.request("DELETE", "/state")
            self.assertEqual(status, 405)
            self.assertIn("GET", headers.get("allow", ""))
            kvmtest.assert_error(self, d.json("DELETE", "/state"), 405)

    def test_bad_json_body(self):
        with self.daemon() as d:
            # Every daemon has at least one POST endpoint; a broken body
            # there is a 400 envelope, never a crash.
            post = {"capd": "/params", "hidd": "/key", "mediad": "/mount",
                    "gpiod-ctl": "/pulse"}[NAME]
            kvmtest.assert_error(
                self, d.json("POST", post, b"{not json",
                             {"Content-Type": "application/json",
                              "X-KaputtKVM": "1"}), 400)
            self.assertEqual(d.json("GET", "/state")[0], 200)

    def test_second_daemon_refused(self):
        with self.daemon() as d:
            second = kvmtest.Daemon(NAME, self.args, tmpdir=self.tmp,
                                    wait=False)
            second.start()
            second.proc.wait(10)
            second.kill()
            self.assertEqual(second.proc.returncode, 1)
            self.assertIn("another process listens", second.log())
            # and the first one still serves on its socket
            self.assertEqual(d.json("GET", "/state")[0], 200)

    def test_stale_socket_replaced(self):
        path = os.path.join(self.tmp, NAME + ".sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        s.close()    # a socket file nobody listens on
        with self.daemon() as d:
            self.assertEqual(d.json("GET", "/state")[0], 200)

    def test_not_a_socket_refused(self):
        path = os.path.join(self.tmp, NAME + ".sock")
        with open(path, "w") as f:
            f.write("precious")
        d = self.daemon(wait=False)
        d.start()
        d.proc.wait(10)
        d.kill()
        self.assertEqual(d.proc.returncode, 1)
        self.assertIn("is not a socket", d.log())
        with open(path) as f:
            self.assertEqual(f.read(), "precious")

    def test_socket_path_too_long(self):
        d = self.daemon(wait=False, socket_name="x" * 120 + ".sock")
        d.start()
        d.proc.wait(10)
        d.kill()
        self.assertEqual(d.proc.returncode, 1)
        self.assertIn("at most 107", d.log())

    def test_sigterm_clean_exit(self):
        d = self.daemon()
        d.start()
        self.assertEqual(d.json("GET", "/state")[0], 200)
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        self.assertFalse(os.path.exists(d.socket),
                         "the daemon removes the socket it made")
        d.cleanup()

    def test_sigint_clean_exit(self):
        d = self.daemon()
        d.start()
        self.assertEqual(d.stop(signal.SIGINT), 0)
        d.cleanup()

    def test_socket_activation(self):
        path = os.path.join(self.tmp, "activated.sock")
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(path)
        lsock.listen(16)
        # A connection made before the daemon runs waits in the queue.
        early = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        early.connect(path)
        early.sendall(b"GET /state HTTP/1.1\r\nHost: x\r\n"
                      b"Connection: close\r\n\r\n")
        fd = lsock.fileno()

        def as_fd3():
            os.dup2(fd, 3)

        env = dict(os.environ, LISTEN_FDS="1")
        env.pop("NOTIFY_SOCKET", None)
        cmd = ["/bin/sh", "-c", 'LISTEN_PID=$$ exec "$@"', "sh",
               kvmtest.binary(NAME), "--config", "/dev/null",
               "--socket", os.path.join(self.tmp, "unused.sock")] + self.args
        log = open(os.path.join(self.tmp, "activated.log"), "wb")
        proc = subprocess.Popen(cmd, env=env, preexec_fn=as_fd3,
                                pass_fds=(fd,), stdout=log, stderr=log)
        try:
            early.settimeout(10)
            data = b""
            while True:
                chunk = early.recv(65536)
                if not chunk:
                    break
                data += chunk
            self.assertTrue(data.startswith(b"HTTP/1.1 200"), data[:200])
            self.assertEqual(kvmtest.json_request(path, "GET", "/state")[0],
                             200)
            self.assertFalse(os.path.exists(
                os.path.join(self.tmp, "unused.sock")),
                "--socket is not used under socket activation")
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(10), 0)
            self.assertTrue(os.path.exists(path),
                            "systemd's socket is not removed")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()
            early.close()
            lsock.close()

    def test_check_config(self):
        good = subprocess.run([kvmtest.binary(NAME), "--config", "/dev/null",
                               "--check-config"] + self.args,
                              capture_output=True, text=True, timeout=10)
        self.assertEqual(good.returncode, 0, good.stderr)
        conf = os.path.join(self.tmp, "bad.conf")
        with open(conf, "w") as f:
            f.write("[%s]\n\nno-such-option = 1\n" % NAME)
        bad = subprocess.run([kvmtest.binary(NAME), "--config", conf,
                              "--check-config"] + self.args,
                             capture_output=True, text=True, timeout=10)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("bad.conf:3", bad.stderr)
        self.assertIn("no-such-option", bad.stderr)

    def test_shared_config_sections(self):
        # The one shared file as installed: kaputtkvm-gadget's [gadget]
        # with its own keys, every daemon's section (the others' keys
        # are not ours to check), then a daemon that must still start.
        text = ("[gadget]\nkeyboard = yes\nmouse = yes\nstorage = yes\n"
                "serial = KVM0001\n\n"
                "[capd]\n[hidd]\n[mediad]\n[gpiod-ctl]\n"
                "[%s]\n" % NAME)
        with self.daemon(config=text) as d:
            self.assertEqual(d.json("GET", "/state")[0], 200)
        conf = os.path.join(self.tmp, "typo.conf")
        with open(conf, "w") as f:
            f.write(text + "\n[gadgets]\nkeyboard = yes\n")
        bad = subprocess.run([kvmtest.binary(NAME), "--config", conf,
                              "--check-config"] + self.args,
                             capture_output=True, text=True, timeout=10)
        self.assertEqual(bad.returncode, 1, bad.stderr)
        self.assertIn("typo.conf:14:", bad.stderr)
        self.assertIn("unknown section [gadgets]", bad.stderr)

    def test_help_and_version(self):
        h = subprocess.run([kvmtest.binary(NAME), "--help"],
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(h.returncode, 0)
        self.assertIn("--socket", h.stdout)
        self.assertIn("--check-config", h.stdout)
        v = subprocess.run([kvmtest.binary(NAME), "--version"],
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(v.returncode, 0)
        self.assertIn("KaputtKVM", v.stdout)

    def test_tool_exit_codes(self):
        tool = kvmtest.binary(TOOLS[NAME])
        self.assertTrue(os.path.exists(tool), "%s is not built" % tool)
        gone = subprocess.run([tool, "--socket",
                               os.path.join(self.tmp, "nobody.sock"),
                               "state"], capture_output=True, text=True,
                              timeout=10)
        self.assertEqual(gone.returncode, 2, gone.stderr)
        self.assertTrue(gone.stderr.strip())
        # a socket that takes the connection and never answers: 2 too,
        # after --timeout
        mute = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        mute.bind(os.path.join(self.tmp, "mute.sock"))
        mute.listen(4)
        t0 = time.monotonic()
        silent = subprocess.run([tool, "--socket", mute.getsockname(),
                                 "--timeout", "1", "state"],
                                capture_output=True, text=True, timeout=10)
        mute.close()
        self.assertEqual(silent.returncode, 2, silent.stderr)
        self.assertIn("no answer within 1000 ms", silent.stderr)
        self.assertLess(time.monotonic() - t0, 5)
        with self.daemon() as d:
            ok = subprocess.run([tool, "--socket", d.socket, "--json",
                                 "state"], capture_output=True, text=True,
                                timeout=10)
            self.assertEqual(ok.returncode, 0, ok.stderr)
            # --json: the result object, the same keys as GET /state
            self.assertEqual(set(json.loads(ok.stdout)),
                             set(d.ok("GET", "/state")))
            bad = subprocess.run([tool, "--socket", d.socket, "no-such"],
                                 capture_output=True, text=True, timeout=10)
            self.assertEqual(bad.returncode, 64, bad.stderr)
            self.assertIn("unknown command", bad.stderr)
            helped = subprocess.run([tool, "--help"], capture_output=True,
                                    text=True, timeout=10)
            self.assertEqual(helped.returncode, 0)
            self.assertIn("64 a usage error", helped.stdout)


if __name__ == "__main__":
    kvmtest.main()
