"""mediad behind the project's nginx (the demo stack: TLS, basic auth,
the real site config): uploads stream through unbuffered with the right
SHA-256, a too-large upload is refused before its body, an upload broken
off midway leaves nothing, downloads honour Range.  Skipped (77) when
nginx or a daemon is missing."""

import hashlib
import os
import socket
import time
import unittest

import kvmtest
from kvmtest import demostack
from kvmtest.http import parse_reply, read_all
from kvmtest.mediadtest import data_chunks

HERE = os.path.dirname(os.path.abspath(__file__))

MiB = 1 << 20
stack = None


setUpModule, tearDownModule = demostack.module_fixtures(__name__)


class ThroughNginx(unittest.TestCase):

    def setUp(self):
        self.c = stack.client()
        self.images = stack.path("media", "images")

    def tls(self):
        raw = socket.create_connection(("127.0.0.1", stack.port), timeout=30)
        return demostack.tls_context().wrap_socket(raw)

    def put_head(self, name, length, expect=False):
        h = self.c.headers({"X-KaputtKVM": "1", "Origin": stack.origin,
                            "Content-Type": "application/octet-stream",
                            "Content-Length": str(length),
                            "Connection": "close"})
        if expect:
            h["Expect"] = "100-continue"
        lines = ["PUT /api/media/images/%s HTTP/1.1" % name]
        lines += ["%s: %s" % kv for kv in h.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def uploads(self):
        status, reply = self.c.json("GET", "/api/media/state")
        self.assertEqual(status, 200, reply)
        return reply["result"]["uploads"]

    def test_streamed_upload_and_download(self):
        size = 24 * MiB + 5
        s = self.tls()
        h = hashlib.sha256()
        s.sendall(self.put_head("n.img", size))
        for c in data_chunks(size, 11):
            h.update(c)
            s.sendall(c)
        status, reply = parse_reply(read_all(s))
        s.close()
        self.assertEqual(status, 200, reply)
        self.assertEqual(reply["result"]["sha256"], h.hexdigest())
        self.assertEqual(os.path.getsize(os.path.join(self.images, "n.img")),
                         size)
        want = b"".join(data_chunks(2 * MiB, 11))[MiB:MiB + 100]
        status, hdrs, body = self.c.request(
            "GET", "/api/media/images/n.img",
            headers={"Range": "bytes=%d-%d" % (MiB, MiB + 99)})
        self.assertEqual((status, body), (206, want))
        status, reply = self.c.write("DELETE", "/api/media/images/n.img")
        self.assertEqual(status, 200, reply)

    def test_too_large_refused_before_the_body(self):
        for expect in (False, True):
            s = self.tls()
            s.sendall(self.put_head("huge.img", 1 << 50, expect))
            t = time.monotonic()
            status, reply = parse_reply(read_all(s))
            s.close()
            self.assertEqual(status, 507, reply)
            self.assertEqual(reply["error"]["code"], "no_space")
            self.assertLess(time.monotonic() - t, 10)
        self.assertNotIn("huge.img", os.listdir(self.images))

    def test_broken_upload_leaves_nothing(self):
        s = self.tls()
        s.sendall(self.put_head("cut.img", 64 * MiB))
        for c in data_chunks(6 * MiB, 12):
            s.sendall(c)
        deadline = time.monotonic() + 10
        while not self.uploads() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual([u["name"] for u in self.uploads()], ["cut.img"])
        s.close()
        deadline = time.monotonic() + 15
        while self.uploads() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(self.uploads(), [])
        self.assertEqual([n for n in os.listdir(self.images)
                          if n.startswith("cut")], [])


if __name__ == "__main__":
    kvmtest.main()     # exits 77 when all were skipped
