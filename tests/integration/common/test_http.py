"""Integration tests of common/http-*.c through httptestd on a private socket.

Raw sockets, so that the tests see exactly the bytes the server sends and
can misbehave the way peers do (slowloris, huge heads, disconnects).
"""

import hashlib
import json
import os
import socket
import time
import unittest

import kvmtest
from kvmtest.http import RawConn

TESTD = os.path.join(kvmtest.BUILD_ROOT, "tests", "integration", "common",
                     "httptestd")


class Testd(kvmtest.Daemon):
    """httptestd; its exit must be clean (sanitizer builds report leaks
    and undefined behaviour through the exit status and the log)."""

    def __init__(self, args):
        # a small ASan quarantine, so that RSS measures our buffers
        asan = os.environ.get("ASAN_OPTIONS", "")
        asan = (asan + ":" if asan else "") + "quarantine_size_mb=2"
        super().__init__("httptestd", args, program=TESTD,
                         env={"ASAN_OPTIONS": asan})

    def stop(self, *a, **kw):
        code = super().stop(*a, **kw)
        log = self.log()
        if code not in (0, None) or "runtime error" in log or \
                "Sanitizer" in log:
            self.failed = True
            raise AssertionError("httptestd exit %r:\n%s" % (code, log))
        return code


def testd(*args):
    return Testd(list(args))


# A raw connection that reads replies one by one (kvmtest.http).
Conn = RawConn


def cpu_seconds(pid):
    """User + system CPU time of a process."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def envelope(test, body, code=None):
    reply = json.loads(body)
    test.assertIs(reply["ok"], False)
    test.assertTrue(reply["error"]["message"])
    if code is not None:
        test.assertEqual(reply["error"]["code"], code)
    return reply["error"]


class Basics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = testd("--max-body", "65536", "--max-header", "8192",
                      "--timeout", "3").start()

    @classmethod
    def tearDownClass(cls):
        code = cls.d.stop()
        cls.d.cleanup()
        assert code == 0, "httptestd exited with %r" % code

    def conn(self):
        return Conn(self.d.socket)

    def test_keep_alive_two_requests(self):
        c = self.conn()
        c.send(b"GET /info?a=1 HTTP/1.1\r\nHost: t\r\n\r\n")
        st, h, b1 = c.reply()
        self.assertEqual(st, 200)
        self.assertEqual(h["cache-control"], "no-store")
        self.assertNotIn("connection", h)
        c.send(b"GET /info?a=2 HTTP/1.1\r\nHost: t\r\n\r\n")
        st, h, b2 = c.reply()
        self.assertEqual(st, 200)
        r1, r2 = json.loads(b1)["result"], json.loads(b2)["result"]
        self.assertEqual((r1["a"], r2["a"]), ("1", "2"))
        self.assertEqual(r1["peer"], r2["peer"], "same connection")
        c.close()

    def test_pipelined_requests_answered_in_order(self):
        c = self.conn()
        c.send(b"GET /slow HTTP/1.1\r\n\r\nGET /info?a=x HTTP/1.1\r\n\r\n"
               b"POST /echo HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")
        st, _, b = c.reply()
        self.assertEqual((st, json.loads(b)["result"]), (200, {"slow": True}))
        st, _, b = c.reply()
        self.assertEqual(json.loads(b)["result"]["a"], "x")
        st, h, b = c.reply()
        self.assertEqual((st, b, h.get("x-echo")), (200, b"abc", "1"))
        c.close()

    def test_pipelined_flood_while_handler_waits(self):
        # more pipelined bytes than the head limit wait while /slow is
        # pending: reading stops (no busy loop), then all are answered
        c = self.conn()
        n = 600
        cpu0 = cpu_seconds(self.d.pid)
        c.send(b"GET /slow?ms=1000 HTTP/1.1\r\n\r\n" +
               b"GET /info?a=p HTTP/1.1\r\n\r\n" * n)
        st, _, b = c.reply()
        cpu = cpu_seconds(self.d.pid) - cpu0
        self.assertEqual((st, json.loads(b)["result"]), (200, {"slow": True}))
        self.assertLess(cpu, 0.3, "the server spun while the handler "
                        "waited (%.2f s of CPU in 1 s)" % cpu)
        for _ in range(n):
            st, _, b = c.reply()
            self.assertEqual(json.loads(b)["result"]["a"], "p")
        c.close()

    def test_http10_closes_unless_keep_alive(self):
        c = self.conn()
        c.send(b"GET /info HTTP/1.0\r\n\r\n")
        st, h, _ = c.reply()
        self.assertEqual((st, h["connection"]), (200, "close"))
        self.assertTrue(c.closed())
        c.close()
        c = self.conn()
        c.send(b"GET /info HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        st, h, _ = c.reply()
        self.assertEqual((st, h["connection"]), (200, "keep-alive"))
        c.send(b"GET /info HTTP/1.0\r\n\r\n")
        self.assertEqual(c.reply()[0], 200)
        c.close()

    def test_connection_close_honoured(self):
        c = self.conn()
        c.send(b"GET /info HTTP/1.1\r\nConnection: close\r\n\r\n")
        st, h, _ = c.reply()
        self.assertEqual((st, h["connection"]), (200, "close"))
        self.assertTrue(c.closed())

    def test_half_close_still_answered(self):
        c = self.conn()
        c.send(b"GET /slow HTTP/1.1\r\n\r\n")
        c.s.shutdown(socket.SHUT_WR)
        st, h, b = c.reply()
        self.assertEqual((st, h["connection"]), (200, "close"))
        self.assertTrue(json.loads(b)["ok"])

    def test_half_close_after_pipelined_requests(self):
        c = self.conn()
        c.send(b"GET /slow HTTP/1.1\r\n\r\nGET /info?a=2 HTTP/1.1\r\n\r\n"
               b"GET /info?a=3 HTTP/1.1\r\n\r\n")
        c.s.shutdown(socket.SHUT_WR)
        self.assertEqual(c.reply()[0], 200)
        for a in ("2", "3"):
            st, _, b = c.reply()
            self.assertEqual(json.loads(b)["result"]["a"], a)
        self.assertTrue(c.closed())

    def test_404_json(self):
        c = self.conn()
        c.send(b"GET /nothing/here HTTP/1.1\r\n\r\n")
        st, h, b = c.reply()
        self.assertEqual(st, 404)
        self.assertEqual(h["content-type"], "application/json")
        self.assertEqual(h["cache-control"], "no-store")
        envelope(self, b, "not_found")
        # still usable afterwards
        c.send(b"GET /info HTTP/1.1\r\n\r\n")
        self.assertEqual(c.reply()[0], 200)

    def test_unencodable_reply_is_500_not_an_exit(self):
        c = self.conn()
        c.send(b"GET /unencodable HTTP/1.1\r\n\r\n")
        st, h, b = c.reply()
        self.assertEqual(st, 500)
        self.assertEqual(h["content-type"], "application/json")
        err = envelope(self, b, "internal")
        self.assertIn("could not be encoded", err["message"])
        self.assertIn("could not be encoded", self.d.log())
        c = self.conn()
        c.send(b"GET /info HTTP/1.1\r\n\r\n")
        self.assertEqual(c.reply()[0], 200)

    def test_405_json_and_allow(self):
        c = self.conn()
        c.send(b"GET /only-post HTTP/1.1\r\n\r\n")
        st, h, b = c.reply()
        self.assertEqual(st, 405)
        self.assertEqual(h["allow"], "POST, DELETE")
        err = envelope(self, b)
        self.assertIn("POST", err["message"])
        c.send(b"PUT /echo HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
        self.assertEqual(c.reply()[0], 200)

    def test_prefix_and_exact_routes(self):
        c = self.conn()
        c.send(b"GET /prefix/some%20thing HTTP/1.1\r\n\r\n")
        st, _, b = c.reply()
        self.assertEqual(st, 200)
        self.assertEqual(json.loads(b)["result"]["path"], "/prefix/some thing")
        c.send(b"PUT /prefix/exact HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi")
        st, _, b = c.reply()
        self.assertEqual((st, json.loads(b)["result"]["body"]), (200, "hi"))
        c.send(b"DELETE /prefix/exact HTTP/1.1\r\n\r\n")
        st, h, _ = c.reply()
        self.assertEqual((st, h["allow"]), (405, "GET, HEAD, PUT"))

    def test_head_served_where_get_is(self):
        c = self.conn()
        c.send(b"HEAD /info HTTP/1.1\r\n\r\n")
        st, h, _ = c.reply(head_only=True)
        self.assertEqual(st, 200)
        self.assertGreater(int(h["content-length"]), 0)
        # no body follows: the next reply starts right away
        c.send(b"GET /info HTTP/1.1\r\n\r\n")
        st, _, b = c.reply()
        self.assertEqual(st, 200)
        self.assertTrue(json.loads(b)["ok"])

    def test_unsupported_method_501(self):
        c = self.conn()
        c.send(b"PROPFIND /info HTTP/1.1\r\n\r\n")
        st, _, b = c.reply()
        self.assertEqual(st, 501)
        envelope(self, b)

    def test_patch_is_a_method(self):
        """PATCH is known (not 501): a route without it answers 405."""
        c = self.conn()
        c.send(b"PATCH /info HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}")
        st, h, b = c.reply()
        self.assertEqual(st, 405)
        self.assertNotIn("PATCH", h["allow"])
        envelope(self, b)

    def test_malformed_400(self):
        for req in [b"GET / HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n",
                    b"POST /echo HTTP/1.1\r\nContent-Length: 1\r\n"
                    b"Content-Length: 1\r\n\r\nx",
                    b"POST /echo HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
                    b"GET /a%00b HTTP/1.1\r\n\r\n",
                    b"GET /a%zz HTTP/1.1\r\n\r\n",
                    b"GET info HTTP/1.1\r\n\r\n",
                    b"GET /prefix/../stats HTTP/1.1\r\n\r\n",
                    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"]:
            c = self.conn()
            c.send(req)
            st, h, b = c.reply()
            self.assertEqual(st, 400, req)
            self.assertEqual(h["connection"], "close")
            envelope(self, b, "invalid")
            self.assertTrue(c.closed(), req)
            c.close()

    def test_query_decoding(self):
        st, body = self.d.json("GET", "/info?a=%C3%A9t%C3%A9+x%26y")
        self.assertEqual(st, 200)
        self.assertEqual(body["result"]["a"], "\u00e9t\u00e9 x&y")
        st, body = self.d.json("GET", "/info?a")
        self.assertEqual(body["result"]["a"], "")

    def test_413_before_reading(self):
        c = self.conn()
        t0 = time.monotonic()
        c.send(b"PUT /echo HTTP/1.1\r\nContent-Length: 10000000000\r\n\r\n"
               + b"x" * 1000)
        st, h, b = c.reply()
        self.assertLess(time.monotonic() - t0, 2)
        self.assertEqual((st, h["connection"]), (413, "close"))
        envelope(self, b)
        self.assertTrue(c.closed())

    def test_413_chunked_whole_body(self):
        c = self.conn()
        c.send(b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * 30000
        for _ in range(3):
            c.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        st, _, b = c.reply()
        self.assertEqual(st, 413)
        envelope(self, b)

    def test_chunked_whole_body_decoded(self):
        c = self.conn()
        c.send(b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5\r\nhello\r\n1;x=y\r\n \r\n5\r\nworld\r\n0\r\n"
               b"X-Trailer: 1\r\n\r\n")
        st, _, b = c.reply()
        self.assertEqual((st, b), (200, b"hello world"))
        c.send(b"GET /info HTTP/1.1\r\n\r\n")
        self.assertEqual(c.reply()[0], 200, "kept alive after chunks")

    def test_bad_chunk_framing_400(self):
        c = self.conn()
        c.send(b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"zz\r\nhello\r\n")
        st, _, b = c.reply()
        self.assertEqual(st, 400)
        envelope(self, b)

    def test_expect_100_continue(self):
        c = self.conn()
        c.send(b"PUT /echo HTTP/1.1\r\nContent-Length: 4\r\n"
               b"Expect: 100-continue\r\n\r\n")
        st, _, _ = c.reply()
        self.assertEqual(st, 100)
        c.send(b"data")
        st, _, b = c.reply()
        self.assertEqual((st, b), (200, b"data"))

    def test_431_huge_headers(self):
        c = self.conn()
        c.send(b"GET /info HTTP/1.1\r\n" + b"X-Big: " + b"a" * 9000 +
               b"\r\n\r\n")
        st, _, b = c.reply()
        self.assertEqual(st, 431)
        envelope(self, b)
        self.assertTrue(c.closed())

    def test_414_long_target(self):
        c = self.conn()
        c.send(b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n")
        st, _, b = c.reply()
        self.assertEqual(st, 414)
        envelope(self, b)

    def test_streamed_body_refused_without_reading(self):
        c = self.conn()
        c.send(b"PUT /refuse HTTP/1.1\r\nContent-Length: 100000000\r\n\r\n")
        try:
            c.send(b"x" * 1000000)
        except OSError:
            pass
        st, h, b = c.reply()
        self.assertEqual((st, h["connection"]), (403, "close"))
        envelope(self, b)

    def test_upgrade_passes_leftover_bytes(self):
        c = self.conn()
        c.send(b"GET /upgrade HTTP/1.1\r\nConnection: Upgrade\r\n"
               b"Upgrade: echo\r\n\r\nLEFTOVER-BYTES")
        st, h, _ = c.reply(head_only=True)
        self.assertEqual((st, h["upgrade"]), (101, "echo"))
        self.assertEqual(c.read_exact(14), b"LEFTOVER-BYTES")
        c.send(b"and more")
        self.assertEqual(c.read_exact(8), b"and more")
        c.close()

    def test_slow_reply(self):
        st, body = self.d.json("GET", "/slow")
        self.assertEqual((st, body["result"]), (200, {"slow": True}))

    def test_stream_reply_known_length_keeps_alive(self):
        c = self.conn()
        c.send(b"GET /stream?n=3&length=1 HTTP/1.1\r\n\r\n")
        st, h, b = c.reply()
        self.assertEqual((st, len(b)), (200, 3 * 65536))
        self.assertNotIn("connection", h)
        c.send(b"GET /info HTTP/1.1\r\n\r\n")
        self.assertEqual(c.reply()[0], 200)

    def test_head_on_streamed_reply_keeps_alive(self):
        c = self.conn()
        c.send(b"HEAD /stream?n=3&length=1 HTTP/1.1\r\n\r\n")
        st, h, _ = c.reply(head_only=True)
        self.assertEqual((st, h["content-length"]), (200, str(3 * 65536)))
        self.assertNotIn("connection", h)
        c.send(b"GET /info HTTP/1.1\r\n\r\n")
        self.assertEqual(c.reply()[0], 200, "no body came before this")

    def test_stream_reply_unknown_length_closes(self):
        c = self.conn()
        c.send(b"GET /stream?n=5 HTTP/1.1\r\n\r\n")
        st, h, b = c.reply()
        self.assertEqual((st, h["connection"]), (200, "close"))
        self.assertNotIn("transfer-encoding", h)
        self.assertEqual(len(b), 5 * 65536)


class Timeouts(unittest.TestCase):
    def test_slowloris_and_idle(self):
        with testd("--timeout", "2") as d:
            c = Conn(d.socket)
            t0 = time.monotonic()
            c.send(b"GET /info HTTP/1.1\r\n")
            for part in [b"X-A: ", b"1", b"\r\n", b"X-B", b": 2\r\n"]:
                time.sleep(0.5)
                try:
                    c.send(part)
                except OSError:
                    break
            st, h, b = c.reply()
            took = time.monotonic() - t0
            self.assertEqual((st, h["connection"]), (408, "close"))
            envelope(self, b)
            self.assertLess(took, 4.5)
            self.assertGreater(took, 1.5)
            self.assertTrue(c.closed())
            # a whole body that stops coming: 408 too
            c = Conn(d.socket)
            t0 = time.monotonic()
            c.send(b"POST /echo HTTP/1.1\r\nContent-Length: 100\r\n\r\n"
                   b"only ten b")
            st, h, b = c.reply()
            self.assertEqual((st, h["connection"]), (408, "close"))
            self.assertLess(time.monotonic() - t0, 4.5)
            # an idle keep-alive connection is closed without a reply
            c = Conn(d.socket)
            c.send(b"GET /info HTTP/1.1\r\n\r\n")
            self.assertEqual(c.reply()[0], 200)
            t0 = time.monotonic()
            self.assertTrue(c.closed(timeout=5))
            self.assertLess(time.monotonic() - t0, 4)


class Streaming(unittest.TestCase):
    def test_50mb_streamed_upload_flat_memory(self):
        with testd() as d:
            data = os.urandom(1 << 20) * 50
            want = hashlib.sha256(data).hexdigest()
            rss0 = kvmtest.rss_kib(d.pid)
            c = Conn(d.socket, timeout=60)
            c.send(b"PUT /upload HTTP/1.1\r\nContent-Length: %d\r\n\r\n"
                   % len(data))
            peak = 0
            view = memoryview(data)
            for off in range(0, len(data), 1 << 20):
                c.send(view[off:off + (1 << 20)])
                peak = max(peak, kvmtest.rss_kib(d.pid))
            st, _, b = c.reply()
            self.assertEqual(st, 200, b)
            res = json.loads(b)["result"]
            self.assertEqual(res["bytes"], len(data))
            self.assertEqual(res["sha256"], want)
            grew = peak - rss0
            print("upload 50 MiB: rss %d KiB -> peak %d KiB (+%d KiB)"
                  % (rss0, peak, grew))
            self.assertLess(grew, 8 * 1024, "memory grew with the body")
            # the connection is reusable after the streamed body
            c.send(b"GET /info HTTP/1.1\r\n\r\n")
            self.assertEqual(c.reply()[0], 200)

    def test_chunked_upload_with_backpressure(self):
        with testd() as d:
            data = os.urandom(3 << 20)
            c = Conn(d.socket, timeout=60)
            c.send(b"POST /upload?pause=2 HTTP/1.1\r\n"
                   b"Transfer-Encoding: chunked\r\n\r\n")
            view = memoryview(data)
            step = 100003
            for off in range(0, len(data), step):
                part = view[off:off + step]
                c.send(b"%x\r\n" % len(part) + part + b"\r\n")
            c.send(b"0\r\n\r\n")
            st, _, b = c.reply()
            self.assertEqual(st, 200, b)
            res = json.loads(b)["result"]
            self.assertEqual(res["bytes"], len(data))
            self.assertEqual(res["sha256"], hashlib.sha256(data).hexdigest())

    def test_upload_abort_is_reported(self):
        with testd() as d:
            c = Conn(d.socket)
            c.send(b"PUT /upload HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n"
                   + b"x" * 1000)
            time.sleep(0.2)
            c.close()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                st, body = d.json("GET", "/stats")
                if body["result"]["upload_aborted"] == 1:
                    break
                time.sleep(0.05)
            self.assertEqual(body["result"]["upload_aborted"], 1)

    def test_stalled_upload_times_out(self):
        with testd("--timeout", "2") as d:
            c = Conn(d.socket)
            c.send(b"PUT /upload HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n")
            t0 = time.monotonic()
            for _ in range(5):          # data keeps it alive...
                c.send(b"x" * 1000)
                time.sleep(0.5)
            st, body = d.json("GET", "/stats")
            self.assertEqual(body["result"]["upload_aborted"], 0)
            c.s.settimeout(10)          # ...silence ends it
            st, h, b = c.reply()
            took = time.monotonic() - t0
            self.assertEqual((st, h["connection"]), (408, "close"))
            envelope(self, b)
            self.assertGreater(took, 3.5)
            self.assertLess(took, 7)
            st, body = d.json("GET", "/stats")
            self.assertEqual(body["result"]["upload_aborted"], 1)

    def test_streamed_body_expect_continue(self):
        with testd() as d:
            data = os.urandom(100000)
            c = Conn(d.socket)
            c.send(b"PUT /upload HTTP/1.1\r\nContent-Length: %d\r\n"
                   b"Expect: 100-continue\r\n\r\n" % len(data))
            self.assertEqual(c.reply()[0], 100, "asked for the body")
            c.send(data)
            st, _, b = c.reply()
            self.assertEqual(st, 200)
            self.assertEqual(json.loads(b)["result"]["sha256"],
                             hashlib.sha256(data).hexdigest())

    def test_bad_chunk_in_streamed_body(self):
        with testd() as d:
            c = Conn(d.socket)
            c.send(b"PUT /upload HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                   b"\r\n5\r\nhello\r\nnot-hex\r\n")
            st, h, b = c.reply()
            self.assertEqual((st, h["connection"]), (400, "close"))
            self.assertIn("chunked", envelope(self, b)["message"])
            st, body = d.json("GET", "/stats")
            self.assertEqual(body["result"]["upload_aborted"], 1,
                             "the handler hears that its body ended")

    def test_on_data_error_is_the_reply(self):
        with testd() as d:
            c = Conn(d.socket)
            c.send(b"PUT /upload?fail_after=100000 HTTP/1.1\r\n"
                   b"Content-Length: 10000000\r\n\r\n")
            try:
                for _ in range(10):
                    c.send(b"x" * 65536)
            except OSError:
                pass
            st, h, b = c.reply()
            self.assertEqual((st, h["connection"]), (507, "close"))
            err = envelope(self, b, "no_space")
            self.assertEqual(err["message"], "the test disk is full")
            st, body = d.json("GET", "/stats")
            self.assertEqual(body["result"]["upload_aborted"], 0,
                             "no on_abort after on_data refused")

    def test_slow_reader_keeps_pending_bounded(self):
        with testd("--timeout", "10") as d:
            limit = 256 * 1024
            c = Conn(d.socket, timeout=30)
            c.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
            c.send(b"GET /stream?n=600&limit=%d HTTP/1.1\r\n\r\n" % limit)
            got = 0
            rss0 = kvmtest.rss_kib(d.pid)
            t0 = time.monotonic()
            while time.monotonic() - t0 < 2.0:     # a slow reader
                got += len(c.s.recv(4096))
                time.sleep(0.005)
            st, body = d.json("GET", "/stats")
            pend = body["result"]["max_pending"]
            print("slow reader: read %d bytes in 2 s, max pending %d"
                  % (got, pend))
            self.assertLessEqual(pend, limit + 65536)
            self.assertLess(kvmtest.rss_kib(d.pid) - rss0, 4096)
            # then it hangs up: the handler hears it
            c.close()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                st, body = d.json("GET", "/stats")
                if body["result"]["stream_closed"] == 1:
                    break
                time.sleep(0.05)
            self.assertEqual(body["result"]["stream_closed"], 1)

    def test_reader_that_never_reads_is_closed(self):
        with testd("--timeout", "2") as d:
            c = Conn(d.socket, timeout=30)
            c.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            c.send(b"GET /stream?n=100000&limit=131072 HTTP/1.1\r\n\r\n")
            t0 = time.monotonic()
            body = None
            while time.monotonic() - t0 < 8:
                st, body = d.json("GET", "/stats")
                if body["result"]["stream_closed"] == 1:
                    break
                time.sleep(0.1)
            took = time.monotonic() - t0
            self.assertEqual(body["result"]["stream_closed"], 1,
                             "a stalled reader is closed by the write "
                             "timeout and the handler hears it")
            self.assertGreater(took, 1.5)
            c.close()


class Garbage(unittest.TestCase):
    def test_mangled_requests_do_not_hurt(self):
        import random
        rnd = random.Random(1234)
        seeds = [b"GET /info?a=1 HTTP/1.1\r\nHost: x\r\n\r\n",
                 b"POST /echo HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
                 b"PUT /upload HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                 b"\r\n5\r\nhello\r\n0\r\n\r\n",
                 b"GET /upgrade HTTP/1.1\r\n\r\nabc"]
        with testd("--timeout", "1") as d:
            for i in range(300):
                data = bytearray(rnd.choice(seeds) * rnd.randint(1, 3))
                for _ in range(rnd.randint(1, 6)):
                    op = rnd.randint(0, 2)
                    pos = rnd.randrange(len(data))
                    if op == 0:
                        data[pos] = rnd.randrange(256)
                    elif op == 1:
                        del data[pos]
                    else:
                        data[pos:pos] = bytes([rnd.randrange(256)]) * \
                            rnd.randint(1, 40)
                c = Conn(d.socket, timeout=3)
                try:
                    c.send(bytes(data))
                    c.s.shutdown(socket.SHUT_WR)
                    c.read_to_close()
                except OSError:
                    pass
                c.close()
            st, body = d.json("GET", "/info?a=alive")
            self.assertEqual((st, body["result"]["a"]), (200, "alive"))


class Connections(unittest.TestCase):
    def test_300_concurrent(self):
        with testd("--max-connections", "400") as d:
            conns = [Conn(d.socket) for _ in range(300)]
            for i, c in enumerate(conns):
                c.send(b"GET /info?a=%d HTTP/1.1\r\n\r\n" % i)
            for i, c in enumerate(conns):
                st, _, b = c.reply()
                self.assertEqual(st, 200)
                self.assertEqual(json.loads(b)["result"]["a"], str(i))
            st, body = d.json("GET", "/stats")
            self.assertEqual(body["result"]["connections"], 301)
            for c in conns:
                c.close()

    def test_beyond_max_connections_refused(self):
        with testd("--max-connections", "5") as d:
            time.sleep(0.3)     # the start-up probe connection is gone
            conns = [Conn(d.socket) for _ in range(5)]
            for c in conns:
                c.send(b"GET /info HTTP/1.1\r\n\r\n")
                self.assertEqual(c.reply()[0], 200)
            extra = Conn(d.socket)
            try:
                extra.send(b"GET /info HTTP/1.1\r\n\r\n")
            except OSError:
                pass
            self.assertTrue(extra.closed())
            for c in conns:
                c.close()
            time.sleep(0.2)
            self.assertEqual(d.json("GET", "/info")[0], 200)

    def test_out_of_fds_does_not_spin(self):
        import resource
        import subprocess
        import tempfile
        tmp = tempfile.mkdtemp(prefix="httptestd-fds-")
        sock = os.path.join(tmp, "t.sock")
        proc = subprocess.Popen(
            [TESTD, "--socket", sock],
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE,
                                                  (24, 24)),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            kvmtest.wait_for_socket(sock, proc=proc)
            conns = [Conn(sock) for _ in range(40)]     # beyond its fds
            cpu0 = cpu_seconds(proc.pid)
            time.sleep(1.5)
            cpu = cpu_seconds(proc.pid) - cpu0
            self.assertLess(cpu, 0.3, "accept spun on EMFILE (%.2f s)" % cpu)
            for c in conns:
                c.close()
            deadline = time.monotonic() + 5
            while True:
                try:
                    st, _ = kvmtest.json_request(sock, "GET", "/info",
                                                 timeout=2)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            self.assertEqual(st, 200, "accepting again once fds are free")
        finally:
            proc.terminate()
            self.assertEqual(proc.wait(10), 0)
            import shutil
            shutil.rmtree(tmp, ignore_errors=True)

    def test_free_with_open_connections(self):
        d = testd("--timeout", "30").start()
        try:
            idle = Conn(d.socket)
            partial = Conn(d.socket)
            partial.send(b"GET /inf")
            stream = Conn(d.socket)
            stream.send(b"GET /stream?n=100000 HTTP/1.1\r\n\r\n")
            stream.reply(head_only=True)
            upload = Conn(d.socket)
            upload.send(b"PUT /upload HTTP/1.1\r\nContent-Length: 99999\r\n"
                        b"\r\nabc")
            time.sleep(0.2)
            self.assertEqual(d.stop(), 0)
            self.assertTrue(idle.closed())
        finally:
            d.cleanup()


if __name__ == "__main__":
    kvmtest.main()
