"""The hardware-free stack behind redfishd's VirtualMedia and Reset, for
the tests of this directory: gpiod-ctl on its test backend (a stand-in for
the GPIO chip), mediad on a directory LUN (a stand-in for the gadget's
configfs lun.0: files file, ro, cdrom), fetchd writing into mediad, and
redfishd on all three; plus a loopback HTTP server (Python's http.server)
serving images, with a path that wants basic auth.  Stack.stop() ends it.
"""

import base64
import hashlib
import os
import shutil
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import kvmtest
from kvmtest.mediadtest import Mediad, data_bytes
from test_redfish import GPIOD_CONFIG

MiB = 1 << 20
# a CD image needs at least 300 blocks of 2 KiB (mediad checks)
IMAGE = data_bytes(2 * MiB + 4096, 18)
IMAGE_SHA = hashlib.sha256(IMAGE).hexdigest()
AUTH_USER, AUTH_PASSWORD = "mirror", "s3cret:/@x"


class ImageHandler(BaseHTTPRequestHandler):
    """/img.iso, /private/img.iso (basic auth AUTH_USER, AUTH_PASSWORD),
    /tiny.iso (too small for a CD), /slow.iso (the image in 16 pieces
    0.1 s apart), 404 for anything else."""
    protocol_version = "HTTP/1.1"
    auth_seen = []

    def log_message(self, *a):
        pass

    def send_body(self, status, data):
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/private/img.iso":
            want = "Basic " + base64.b64encode(
                ("%s:%s" % (AUTH_USER, AUTH_PASSWORD)).encode()).decode()
            got = self.headers.get("Authorization")
            ImageHandler.auth_seen.append(got)
            if got != want:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="img"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_body(200, IMAGE)
        elif path in ("/img.iso", "/img2.iso"):
            self.send_body(200, IMAGE)
        elif path == "/slow.iso":
            self.send_response(200)
            self.send_header("Content-Length", str(len(IMAGE)))
            self.end_headers()
            step = len(IMAGE) // 16 + 1
            for i in range(0, len(IMAGE), step):
                self.wfile.write(IMAGE[i:i + step])
                self.wfile.flush()
                time.sleep(0.1)
        elif path == "/tiny.iso":
            self.send_body(200, b"x" * 4096)
        else:
            self.send_body(404, b"no such image\n")


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # fetchd closing a connection early is no news


class Stack:
    def __init__(self, gpiod_options="", redfishd_args=(), luns=1):
        self.http = QuietServer(("127.0.0.1", 0), ImageHandler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.gpiod = kvmtest.Daemon(
            "gpiod-ctl", config=GPIOD_CONFIG + gpiod_options).start()
        self.tmp = tempfile.mkdtemp(prefix="kvmtest-vmstack-")
        self.more_luns = []  # lun.1 ... beside Mediad's own lun.0
        for i in range(1, luns):
            lun = os.path.join(self.tmp, "lun.%d" % i)
            os.makedirs(lun)
            for attr, val in (("file", ""), ("cdrom", "0"), ("ro", "0")):
                with open(os.path.join(lun, attr), "w") as f:
                    f.write(val + "\n")
            self.more_luns.append(lun)
        self.mediad = Mediad(sum((["--lun", x] for x in self.more_luns),
                                 [])).start()
        self.fetchd = kvmtest.Daemon("fetchd", [
            "--mediad-socket", self.mediad.socket, "--stall-timeout", "2",
            "--retries", "1", "--retry-delay-ms", "100"]).start()
        self.d = kvmtest.Daemon("redfishd", [
            "--gpiod-socket", self.gpiod.socket,
            "--mediad-socket", self.mediad.socket,
            "--fetchd-socket", self.fetchd.socket] +
            list(redfishd_args)).start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.http.server_address[1], path)

    def stop(self):
        self.http.shutdown()
        for d in (self.d, self.fetchd, self.mediad, self.gpiod):
            d.stop()
            d.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # --- where the effects land ---

    def lun(self, n=0):
        """LUN n's stand-in files: (file, ro, cdrom)."""
        if n == 0:
            return tuple(self.mediad.lun_attr(a).strip()
                         for a in ("file", "ro", "cdrom"))
        out = []
        for a in ("file", "ro", "cdrom"):
            with open(os.path.join(self.more_luns[n - 1], a)) as f:
                out.append(f.read().strip())
        return tuple(out)

    def store(self):
        """The image names in mediad's store directory."""
        return sorted(n for n in os.listdir(self.mediad.images)
                      if not n.startswith("."))

    def lun_sha256(self, n=0):
        """SHA-256 of the file LUN n holds, or None."""
        path = self.lun(n)[0]
        if not path:
            return None
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()

    def last_action(self):
        return self.gpiod.ok("GET", "/state")["atx"]["last_action"]

    def led(self, value):
        self.gpiod.ok("POST", "/test/input", {"line": "power-led",
                                              "value": value})

    def history(self, line="power-button"):
        return self.gpiod.ok("GET", "/test/history?line=" + line)["samples"]
