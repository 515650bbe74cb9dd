"""fetchd: images fetched from http(s) URLs into mediad's store, against a
loopback HTTP and HTTPS server (Python's http.server and ssl) that
misbehaves on purpose.  Every failure leaves nothing in the store."""

import hashlib
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import kvmtest
from kvmtest.mediadtest import Mediad, data_bytes

MiB = 1 << 20
IMAGE = data_bytes(3 * MiB + 123, 5)
SHA = hashlib.sha256(IMAGE).hexdigest()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    drops = {}  # path -> connections dropped so far
    ranges = []  # Range headers seen

    def log_message(self, *a):
        pass

    def send_image(self, data, drop_at=None, announce=None, stall=False):
        rng = self.headers.get("Range")
        start = 0
        if rng:
            Handler.ranges.append(rng)
            start = int(rng.split("=")[1].split("-")[0])
            if start >= len(data) or announce is not None:
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % len(data))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (
                start, len(data) - 1, len(data)))
        else:
            self.send_response(200)
        self.send_header("Content-Length",
                         str(announce or len(data) - start))
        self.end_headers()
        body = data[start:]
        if drop_at is not None and start == 0:
            self.wfile.write(body[:drop_at])
            self.wfile.flush()
            self.close_connection = True
            return
        if stall:
            self.wfile.write(body[:1000])
            self.wfile.flush()
            time.sleep(60)
            return
        self.wfile.write(body)

    def do_GET(self):
        p = self.path
        if p == "/img":
            self.send_image(IMAGE)
        elif p == "/drop":
            self.send_image(IMAGE, drop_at=MiB + 7)
        elif p == "/short":
            self.send_image(IMAGE, announce=len(IMAGE) + 1000)
        elif p == "/stall":
            self.send_image(IMAGE, stall=True)
        elif p == "/norange":
            # drops, then ignores Range and sends the whole image again
            self.headers.replace_header("Range", "") if False else None
            if "Range" in self.headers:
                self.send_response(200)
                self.send_header("Content-Length", str(len(IMAGE)))
                self.end_headers()
                self.wfile.write(IMAGE)
            else:
                self.send_image(IMAGE, drop_at=MiB)
        elif p == "/loop":
            self.redirect("/loop")
        elif p == "/tofile":
            self.redirect("file:///etc/passwd")
        elif p == "/moved":
            self.redirect("/img")
        else:
            self.send_response(404)
            self.send_header("Content-Length", "9")
            self.end_headers()
            self.wfile.write(b"not here\n")

    def redirect(self, where):
        self.send_response(302)
        self.send_header("Location", where)
        self.send_header("Content-Length", "0")
        self.end_headers()


def serve(server):
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    return server


class Fetch(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="kvmtest-fetch-")
        cls.http = serve(ThreadingHTTPServer(("127.0.0.1", 0), Handler))
        key = os.path.join(cls.tmp, "key.pem")
        cls.cert = os.path.join(cls.tmp, "cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-keyout", key, "-out", cls.cert,
                        "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cls.cert, key)
        https = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        https.socket = ctx.wrap_socket(https.socket, server_side=True)
        cls.https = serve(https)

    @classmethod
    def tearDownClass(cls):
        cls.http.shutdown()
        cls.https.shutdown()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        Handler.ranges = []
        self.m = Mediad().start()
        self.f = None

    def tearDown(self):
        if self.f is not None:
            self.f.__exit__(None, None, None)
        self.m.__exit__(None, None, None)

    def fetchd(self, *extra):
        self.f = kvmtest.Daemon("fetchd", [
            "--mediad-socket", self.m.socket, "--stall-timeout", "2",
            "--retries", "3", "--retry-delay-ms", "100"] + list(extra),
            program=kvmtest.binary("fetchd"))
        return self.f.start()

    def url(self, path, tls=False):
        srv = self.https if tls else self.http
        return "%s://127.0.0.1:%d%s" % ("https" if tls else "http",
                                        srv.server_address[1], path)

    def fetch(self, path, name="a.img", tls=False, **kw):
        if self.f is None:
            self.fetchd()
        body = dict(url=self.url(path, tls), name=name, **kw)
        self.f.ok("POST", "/fetch", body)
        return self.wait(name)

    def wait(self, name, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            mine = [fe for fe in self.f.ok("GET", "/state")["fetches"]
                    if fe["name"] == name]
            if mine[-1]["state"] in ("done", "failed", "cancelled"):
                return mine[-1]
            time.sleep(0.05)
        self.fail("the fetch of %s did not end: %s" % (
            name, self.f.ok("GET", "/state")))

    def stored(self):
        time.sleep(0.2)  # mediad drops an aborted upload on its loop
        self.assertEqual(self.m.ok("GET", "/state")["uploads"], [])
        return sorted(os.listdir(self.m.images))

    def assert_nothing_kept(self, fe, text):
        self.assertEqual(fe["state"], "failed", fe)
        self.assertIn(text, fe["error"])
        self.assertEqual(self.stored(), [])

    def image(self, name="a.img"):
        with open(os.path.join(self.m.images, name), "rb") as f:
            return f.read()

    def test_fetch_with_sha256(self):
        fe = self.fetch("/img", sha256=SHA.upper())
        self.assertEqual(fe["state"], "done", fe)
        self.assertEqual(fe["sha256"], SHA)
        self.assertEqual((fe["received"], fe["length"], fe["percent"]),
                         (len(IMAGE), len(IMAGE), 100.0))
        self.assertEqual(self.image(), IMAGE)
        self.assertNotIn("error", fe)

    def test_redirect_followed(self):
        fe = self.fetch("/moved")
        self.assertEqual(fe["state"], "done", fe)
        self.assertEqual(self.image(), IMAGE)

    def test_dropped_connection_resumed(self):
        fe = self.fetch("/drop", sha256=SHA)
        self.assertEqual(fe["state"], "done", fe)
        self.assertEqual(fe["attempts"], 2)
        self.assertEqual(Handler.ranges, ["bytes=%d-" % (MiB + 7)])
        self.assertEqual(self.image(), IMAGE)

    def test_resume_ignored_by_server(self):
        fe = self.fetch("/norange")
        self.assert_nothing_kept(fe, "resume")

    def test_wrong_length(self):
        fe = self.fetch("/short")
        self.assert_nothing_kept(fe, "416")

    def test_wrong_sha256(self):
        fe = self.fetch("/img", sha256="0" * 64)
        self.assert_nothing_kept(fe, "not the expected " + "0" * 64)

    def test_not_found(self):
        fe = self.fetch("/nothing")
        self.assert_nothing_kept(fe, "404")

    def test_redirect_loop(self):
        fe = self.fetch("/loop")
        self.assert_nothing_kept(fe, "redirect")

    def test_redirect_to_file_refused(self):
        fe = self.fetch("/tofile")
        self.assert_nothing_kept(fe, "only http and https")

    def test_stalled_server(self):
        # libcurl's rate is an average over the last seconds: a server
        # that stops after a burst is caught some 5 s after the burst plus
        # stall-timeout, once for the first attempt and once for the resume
        self.fetchd("--retries", "1")
        t = time.monotonic()
        fe = self.fetch("/stall")
        self.assert_nothing_kept(fe, "the server stopped sending")
        self.assertGreaterEqual(fe["attempts"], 2)
        self.assertEqual(Handler.ranges, ["bytes=1000-"])
        self.assertLess(time.monotonic() - t, 30)

    def test_self_signed_refused_unless_its_ca_given(self):
        fe = self.fetch("/img", tls=True)
        self.assert_nothing_kept(fe, "ca-file")
        self.f.__exit__(None, None, None)
        self.fetchd("--ca-file", self.cert)
        fe = self.fetch("/img", tls=True)
        self.assertEqual(fe["state"], "done", fe)
        self.assertEqual(self.image(), IMAGE)

    def test_cancel(self):
        self.fetchd()
        self.f.ok("POST", "/fetch", dict(url=self.url("/stall"), name="c"))
        time.sleep(0.5)
        # the fetch in progress, in fetchd's /state and as an upload in
        # mediad's
        fe = self.f.ok("GET", "/state")["fetches"][-1]
        self.assertEqual((fe["name"], fe["state"], fe["received"],
                          fe["length"]), ("c", "fetching", 1000, len(IMAGE)))
        up = self.m.ok("GET", "/state")["uploads"]
        self.assertEqual([(u["name"], u["length"]) for u in up],
                         [("c", len(IMAGE))])
        self.f.ok("POST", "/cancel", dict(name="c"))
        fe = self.wait("c")
        self.assertEqual(fe["state"], "cancelled")
        self.assertEqual(self.stored(), [])
        kvmtest.assert_error(self, self.f.json("POST", "/cancel",
                                               dict(name="c")), 404)

    def test_refused_up_front(self):
        self.fetchd()
        for url, text in (
                ("file:///etc/passwd", "only http:// and https://"),
                ("gopher://127.0.0.1/x", "only http:// and https://"),
                ("dict://127.0.0.1/x", "only http:// and https://"),
                ("/etc/passwd", "not a URL"),
                ("http://", "not a URL")):
            kvmtest.assert_error(self, self.f.json(
                "POST", "/fetch", dict(url=url, name="x")), 400)
            status, reply = self.f.json("POST", "/fetch",
                                        dict(url=url, name="x"))
            self.assertIn(text, reply["error"]["message"], url)
        for body in (dict(url=self.url("/img"), name=".hidden"),
                     dict(url=self.url("/img"), name="a/b"),
                     dict(url=self.url("/img"), name="x", sha256="z" * 64),
                     dict(url=self.url("/img"), name="x", extra=1)):
            kvmtest.assert_error(self, self.f.json("POST", "/fetch", body),
                                 400)
        self.assertEqual(self.f.ok("GET", "/state")["fetches"], [])
        self.assertEqual(self.stored(), [])

    def test_existing_name_kept(self):
        self.assertEqual(self.m.put("a.img", b"old")[0], 200)
        fe = self.fetch("/img")
        self.assertEqual(fe["state"], "failed", fe)
        self.assertIn("409", fe["error"])
        self.assertEqual(self.image(), b"old")
        fe = self.fetch("/img", overwrite=True)
        self.assertEqual(fe["state"], "done", fe)
        self.assertEqual(self.image(), IMAGE)

    def test_no_space_refused_before_a_byte_is_kept(self):
        self.m.__exit__(None, None, None)
        self.m = Mediad(extra=["--reserve-mb", str(1 << 30)]).start()
        fe = self.fetch("/img")
        self.assert_nothing_kept(fe, "507")

    def test_credentials_not_shown(self):
        self.fetchd()
        url = self.url("/img").replace("//", "//user:secret@")
        self.f.ok("POST", "/fetch", dict(url=url, name="a.img"))
        fe = self.wait("a.img")
        self.assertEqual(fe["state"], "done", fe)
        self.assertNotIn("secret", fe["url"])
        self.assertNotIn("secret", self.f.log())

    def mediactl(self, *args):
        """mediactl, with its fetch commands on fetchd's socket."""
        return subprocess.run(
            [kvmtest.binary("mediactl"), "--socket", self.m.socket,
             "--fetchd-socket", self.f.socket] + list(args),
            capture_output=True, text=True, timeout=60)

    def test_mediactl_fetch(self):
        self.fetchd()
        r = self.mediactl("fetch", self.url("/img"), "t.img",
                          "sha256=" + SHA)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^t\.img done: 3\.0 MiB of 3\.0 MiB "
                         r"\(100\.0%\)\n$")
        self.assertEqual(self.image("t.img"), IMAGE)
        # mediad's own commands still go to mediad's socket
        r = self.mediactl("list")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("t.img", r.stdout)
        r = self.mediactl("--json", "fetches")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["fetches"][-1]["name"], "t.img")

    def test_mediactl_fetch_fails(self):
        self.fetchd()
        r = self.mediactl("fetch", self.url("/nothing"), "n.img")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("404", r.stderr)
        self.assertEqual(self.stored(), [])
        # a bad value is refused before anything is sent
        r = self.mediactl("fetch", self.url("/img"), "x.img", "sha256=abc")
        self.assertEqual(r.returncode, 64, r.stderr)
        r = self.mediactl("fetch", self.url("/img"))
        self.assertEqual(r.returncode, 64, r.stderr)
        self.assertIn("needs name", r.stderr)
        # no fetchd: unreachable, and it says which daemon
        r = subprocess.run(
            [kvmtest.binary("mediactl"), "--fetchd-socket",
             os.path.join(self.tmp, "none.sock"), "fetches"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("cannot reach fetchd", r.stderr)

    def test_mediactl_fetch_cancel(self):
        self.fetchd()
        self.f.ok("POST", "/fetch", dict(url=self.url("/stall"), name="c"))
        time.sleep(0.5)
        r = self.mediactl("fetch-cancel", "c")
        self.assertEqual((r.returncode, r.stdout), (0, "cancelled c\n"),
                         r.stderr)
        self.assertEqual(self.wait("c")["state"], "cancelled")
        r = self.mediactl("fetch-cancel", "c")
        self.assertEqual(r.returncode, 1, r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
