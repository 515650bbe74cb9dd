"""Every system call a daemon makes is one its unit allows.

Each daemon runs hardware-free under systemd-socket-activate (as under its
.socket unit) and strace, is put through its API (stream, WebSocket,
upload, mount, pulse...), and stops on SIGTERM.  The calls it made after its
own execve must all be in its unit's SystemCallFilter= (expanded by
`systemd-analyze syscall-filter`); a call outside it would fail with EPERM
on a board (SystemCallErrorNumber=EPERM).  Device-specific calls (V4L2 and
GPIO ioctls, writes to /dev/hidgN) are ioctl/read/write like the ones seen
here."""

import base64
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import kvmtest

BUILD_ROOT = os.environ.get("KVM_BUILD_ROOT", "build")
for prog in ("strace", "systemd-analyze", "systemd-socket-activate"):
    if shutil.which(prog) is None:
        print("SKIP: %s is missing" % prog)
        sys.exit(77)


def filter_groups():
    """{"@group": [members]} from systemd-analyze syscall-filter."""
    out = subprocess.run(["systemd-analyze", "syscall-filter"],
                         capture_output=True, text=True, check=True).stdout
    groups, cur = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            cur = line.strip()
            groups[cur] = []
        elif cur and line.strip() and not line.strip().startswith("#"):
            groups[cur].append(line.strip())
    return groups


def expand(groups, name, seen=None):
    seen = set() if seen is None else seen
    if not name.startswith("@"):
        return {name}
    if name in seen:
        return set()
    seen.add(name)
    out = set()
    for member in groups.get(name, []):
        out |= expand(groups, member, seen)
    return out


def unit_allows(daemon):
    """The set of calls kaputtkvm-<daemon>.service lets through."""
    path = os.path.join(BUILD_ROOT, "systemd", "kaputtkvm-%s.service" % daemon)
    groups = filter_groups()
    allowed = None
    with open(path) as f:
        for line in f:
            if not line.startswith("SystemCallFilter="):
                continue
            value = line.split("=", 1)[1].strip()
            deny = value.startswith("~")
            names = set()
            for item in value.lstrip("~").split():
                names |= expand(groups, item)
            if deny:
                allowed -= names
            else:
                allowed = names if allowed is None else allowed | names
    return allowed


def traced_calls(trace, binary):
    """Calls made after the daemon's own execve (not the launcher's)."""
    used, started = set(), False
    real = os.path.realpath(binary)
    call = re.compile(r"^(?:\d+\s+)?([a-z_0-9]+)\(")
    with open(trace, errors="replace") as f:
        for line in f:
            if not started:
                if "execve(" in line and (binary in line or real in line) \
                        and "= 0" in line:
                    started = True
                continue
            m = call.match(line)
            if m:
                used.add(m.group(1))
    return used, started


class Syscalls(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kvm-syscalls-")
        self.keep = []

    def tearDown(self):
        for fd in self.keep:
            os.close(fd)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, *p):
        return os.path.join(self.tmp, *p)

    def run_traced(self, daemon, args, exercise):
        binary = kvmtest.binary(daemon)
        if not os.access(binary, os.X_OK):
            self.skipTest("%s is not built" % daemon)
        with open(binary, "rb") as f:
            image = f.read()
        if b"__asan_init" in image or b"__ubsan_handle" in image or \
                b"__tsan_init" in image:
            self.skipTest("a sanitizer build: its runtime makes calls the "
                          "real binary does not")
        sock = self.path(daemon + ".sock")
        trace = self.path(daemon + ".trace")
        conf = self.path("empty.conf")
        open(conf, "w").close()
        env = dict(os.environ)
        for k in ("LISTEN_FDS", "LISTEN_PID", "NOTIFY_SOCKET"):
            env.pop(k, None)
        with open(self.path(daemon + ".log"), "wb") as logf:
            proc = subprocess.Popen(
                ["strace", "-f", "-qq", "-o", trace,
                 "systemd-socket-activate", "-l", sock, binary, "--config",
                 conf] + args, stdout=logf, stderr=logf, env=env)
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    status, _ = kvmtest.json_request(sock, "GET", "/state")
                    if status == 200:
                        break
                except OSError:
                    pass
                self.assertLess(time.monotonic(), deadline, "no answer")
                time.sleep(0.1)
            exercise(sock)
            # SIGTERM to the daemon (strace's child), not to strace.
            with open("/proc/%d/task/%d/children" % (proc.pid,
                                                     proc.pid)) as f:
                children = f.read().split()
            self.assertTrue(children, "strace has no child")
            for pid in children:
                os.kill(int(pid), signal.SIGTERM)
            proc.wait(30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        used, started = traced_calls(trace, binary)
        self.assertTrue(started, "no execve of %s in the trace" % binary)
        allowed = unit_allows(daemon)
        self.assertIsNotNone(allowed, "no SystemCallFilter= in the unit")
        print("%s: %d distinct calls" % (daemon, len(used)))
        self.assertEqual(sorted(used - allowed), [],
                         "%s makes calls its unit forbids" % daemon)

    def test_capd(self):
        def exercise(sock):
            kvmtest.request(sock, "GET", "/snapshot", timeout=10)
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(5)
            s.connect(sock)
            s.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
            got, deadline = 0, time.monotonic() + 1.5
            while time.monotonic() < deadline:
                got += len(s.recv(65536))
            s.close()
            self.assertGreater(got, 10000)
            kvmtest.request(sock, "POST", "/params", {"quality": 60})
            kvmtest.request(sock, "GET", "/metrics")
        self.run_traced("capd", ["--source", "pattern", "--fps", "10",
                                 "--gpiod-socket", self.path("none.sock")],
                        exercise)

    def test_hidd(self):
        for f in ("hidg0", "hidg1", "hidg2"):
            os.mkfifo(self.path(f))
            self.keep.append(os.open(self.path(f), os.O_RDWR))
        os.mkfifo(self.path("leds"))
        self.keep.append(os.open(self.path("leds"), os.O_RDWR))

        def exercise(sock):
            kvmtest.request(sock, "POST", "/key", {"code": "KeyA",
                                                   "down": True})
            kvmtest.request(sock, "POST", "/release", {})
            kvmtest.request(sock, "POST", "/paste", {"text": "Hi @"})
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(5)
            s.connect(sock)
            key = base64.b64encode(os.urandom(16)).decode()
            s.sendall(("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                       "Sec-WebSocket-Key: %s\r\n\r\n" % key).encode())
            self.assertIn(b" 101 ", s.recv(4096))
            payload = b'{"t":"key","code":"KeyB","down":true,"id":1}'
            mask = os.urandom(4)
            s.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + bytes(
                b ^ mask[i % 4] for i, b in enumerate(payload)))
            s.recv(4096)
            s.close()
            time.sleep(0.3)
            kvmtest.request(sock, "GET", "/metrics")
        self.run_traced("hidd", ["--keyboard", self.path("hidg0"), "--mouse",
                                 self.path("hidg1"), "--mouse-rel",
                                 self.path("hidg2"), "--leds",
                                 self.path("leds")], exercise)

    def test_mediad(self):
        os.makedirs(self.path("images"))
        os.makedirs(self.path("lun.0"))
        for attr, v in (("file", ""), ("cdrom", "0"), ("ro", "0")):
            with open(self.path("lun.0", attr), "w") as f:
                f.write(v + "\n")

        def exercise(sock):
            data = os.urandom(3 << 20)
            st, _, body = kvmtest.request(sock, "PUT", "/images/a.img", data)
            self.assertEqual(st, 200, body)
            kvmtest.request(sock, "GET", "/images")
            kvmtest.request(sock, "GET", "/images/a.img",
                            headers={"Range": "bytes=0-99"})
            st, _, body = kvmtest.request(sock, "POST", "/mount",
                                          {"image": "a.img",
                                           "cdrom": False})
            self.assertEqual(st, 200, body)
            kvmtest.request(sock, "POST", "/eject", {})
            kvmtest.request(sock, "DELETE", "/images/a.img")
            kvmtest.request(sock, "GET", "/metrics")
        self.run_traced("mediad", ["--images", self.path("images"), "--lun",
                                   self.path("lun.0"), "--reserve-mb", "0"],
                        exercise)

    def test_fetchd(self):
        """A fetch over http into a real mediad, a resume after a dropped
        connection, and a refused https (TLS handshake, certificate check):
        curl's resolver and TLS run under the same filter."""
        import http.server
        import ssl
        import threading
        kvmtest.BINARIES.setdefault("fetchd", "fetchd/fetchd")
        data = os.urandom(2 << 20)

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            served = []

            def log_message(self, *a):
                pass

            def do_GET(self):
                rng = self.headers.get("Range")
                start = int(rng.split("=")[1].rstrip("-")) if rng else 0
                self.send_response(206 if rng else 200)
                if rng:
                    self.send_header("Content-Range", "bytes %d-%d/%d" % (
                        start, len(data) - 1, len(data)))
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                first = not H.served
                H.served.append(rng)
                self.wfile.write(data[start:(1 << 20) if first else None])
                self.close_connection = first

        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        key, cert = self.path("key.pem"), self.path("cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                        "-subj", "/CN=127.0.0.1"], check=True,
                       capture_output=True)
        tls = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
        threading.Thread(target=tls.serve_forever, daemon=True).start()
        os.makedirs(self.path("m", "lun"))
        for attr, v in (("file", ""), ("cdrom", "0"), ("ro", "0")):
            with open(self.path("m", "lun", attr), "w") as f:
                f.write(v + "\n")
        mediad = kvmtest.Daemon("mediad", [
            "--images", self.path("m", "images"), "--lun",
            self.path("m", "lun"),
            "--reserve-mb", "0"], tmpdir=self.path("m")).start()

        def wait(sock, name):
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                _, reply = kvmtest.json_request(sock, "GET", "/state")
                fe = [f for f in reply["result"]["fetches"]
                      if f["name"] == name][-1]
                if fe["state"] in ("done", "failed"):
                    return fe
                time.sleep(0.1)
            self.fail("the fetch of %s did not end" % name)

        def exercise(sock):
            url = "http://127.0.0.1:%d/a.img" % srv.server_address[1]
            st, body = kvmtest.json_request(sock, "POST", "/fetch",
                                            {"url": url, "name": "a.img"})
            self.assertEqual(st, 200, body)
            self.assertEqual(wait(sock, "a.img")["state"], "done")
            self.assertEqual(H.served, [None, "bytes=%d-" % (1 << 20)])
            url = "https://127.0.0.1:%d/b.img" % tls.server_address[1]
            kvmtest.json_request(sock, "POST", "/fetch",
                                 {"url": url, "name": "b.img"})
            self.assertEqual(wait(sock, "b.img")["state"], "failed")
        try:
            self.run_traced("fetchd", ["--mediad-socket", mediad.socket,
                                       "--retry-delay-ms", "10"], exercise)
        finally:
            mediad.__exit__(None, None, None)
            srv.shutdown()
            tls.shutdown()
        with open(self.path("m", "images", "a.img"), "rb") as f:
            self.assertEqual(f.read(), data)

    def test_ocrd(self):
        """Reads on a real capd's pattern: Tesseract on the worker thread
        under the same filter; --memory-max 0 as the unit runs it (its
        LimitAS= bounds it, setrlimit is filtered)."""
        kvmtest.BINARIES.setdefault("ocrd", "ocrd/ocrd")
        capd = kvmtest.Daemon("capd", ["--source", "pattern", "--fps", "10",
                                       "--resolution", "640x480",
                                       "--gpiod-socket",
                                       self.path("none.sock")]).start()

        def exercise(sock):
            for region in ({"x": 0, "y": 0, "w": 640, "h": 480},
                           {"x": 0, "y": 0, "w": 0, "h": 1}):
                kvmtest.json_request(sock, "POST", "/read", region,
                                     timeout=30)
            kvmtest.json_request(sock, "POST", "/read", {
                "x": 0, "y": 0, "w": 9, "h": 9, "lang": "deu"}, timeout=30)
        try:
            self.run_traced("ocrd", ["--capd-socket", capd.socket,
                                     "--memory-max", "0"], exercise)
        finally:
            capd.__exit__(None, None, None)

    def test_redfishd(self):
        """Logins (crypt_r), a session's token, the power state and a
        Reset through a real gpiod-ctl on its test backend."""
        htpasswd = self.path("htpasswd")
        hashed = subprocess.run(["openssl", "passwd", "-6", "-stdin"],
                                input="pw\n", text=True, check=True,
                                capture_output=True).stdout.strip()
        with open(htpasswd, "w") as f:
            f.write("admin:%s\n" % hashed)
        gpiod = kvmtest.Daemon("gpiod-ctl", [
            "--backend", "test", "--lockout-ms", "0", "--line",
            "power-button=gpiochip0:23", "--line",
            "power-led=gpiochip0:24"]).start()
        json_type = {"Content-Type": "application/json"}

        def exercise(sock):
            sessions = "/redfish/v1/SessionService/Sessions"
            st, hdrs, body = kvmtest.request(sock, "POST", sessions, {
                "UserName": "admin", "Password": "pw"})
            self.assertEqual(st, 201, body)
            kvmtest.request(sock, "POST", sessions, {
                "UserName": "admin", "Password": "wrong"})
            kvmtest.request(sock, "GET", "/auth/token", headers={
                "X-Auth-Token": hdrs["x-auth-token"]})
            kvmtest.request(sock, "GET", "/redfish/v1/Systems/1")
            st, _, body = kvmtest.request(
                sock, "POST",
                "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset",
                {"ResetType": "PushPowerButton"}, json_type)
            self.assertEqual(st, 204, body)
            kvmtest.request(sock, "DELETE", hdrs["location"])
            kvmtest.request(sock, "GET", "/metrics")
        try:
            self.run_traced("redfishd", ["--gpiod-socket", gpiod.socket,
                                         "--htpasswd", htpasswd], exercise)
        finally:
            gpiod.__exit__(None, None, None)

    def test_gpiod_ctl(self):
        def exercise(sock):
            kvmtest.request(sock, "POST", "/pulse", {"line": "power-button",
                                                     "ms": 50})
            time.sleep(1.1)
            kvmtest.request(sock, "POST", "/atx", {"action": "reset"})
            kvmtest.request(sock, "GET", "/metrics")
        self.run_traced("gpiod-ctl", ["--backend", "test", "--lockout-ms",
                                      "0", "--line",
                                      "power-button=gpiochip0:23", "--line",
                                      "reset-button=gpiochip0:27", "--line",
                                      "power-led=gpiochip0:24"], exercise)


if __name__ == "__main__":
    kvmtest.main()     # exits 77 when all were skipped
