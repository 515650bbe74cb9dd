"""WebSocket (common/ws.c) against wstestd, an echo server on common/http-*.c.

The tests' RFC 6455 client (kvmtest.ws) speaks to the server over its
UNIX socket: the handshake and its refusals, echo, fragments with a
ping between them, ping/pong, the close codes for protocol errors, oversized
messages and bad UTF-8, both closing handshakes, a silent peer, a peer that
does not read, and stopping the server with a client connected.  /stats
shows each connection's on_close code, so the tests also check that it ran
once with the right code.
"""

import base64
import json
import os
import socket
import struct
import sys
import time
import unittest

import kvmtest
from kvmtest import ws
from kvmtest.ws import (OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG,
                        OP_TEXT, accept_for, frame)

WSTESTD = os.path.join(kvmtest.BUILD_ROOT, "tests", "integration", "common",
                       "wstestd")


class WSTest(unittest.TestCase):
    args = []

    def setUp(self):
        if not os.path.exists(WSTESTD):
            self.skipTest("wstestd not built at %s" % WSTESTD)
        self.d = kvmtest.Daemon("wstestd", self.args, program=WSTESTD)
        self.d.start()
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.close()
        res = getattr(self._outcome, "result", None)
        failed = res is not None and any(
            t is self for t, _ in res.failures + res.errors)
        if failed:
            sys.stderr.write("--- wstestd log ---\n%s\n" % self.d.log())
            self.d.failed = True
        rc = self.d.stop()
        self.d.cleanup()
        self.assertEqual(rc, 0, "wstestd exit status\n" + self.d.log())

    def client(self, **kw):
        c = ws.WebSocket(ws.unix(self.d.socket, kw.pop("timeout", 5)),
                         **kw)
        self.clients.append(c)
        return c

    def open(self, **kw):
        c = self.client(**kw)
        self.assertEqual(c.status, 101, c.headers)
        return c

    def stats(self):
        return self.d.ok("GET", "/stats")

    def wait_closed(self, count, timeout=5):
        """The list of on_close records once there are count of them."""
        deadline = time.monotonic() + timeout
        while True:
            closed = self.stats()["closed"]
            if len(closed) >= count or time.monotonic() > deadline:
                return closed
            time.sleep(0.05)

    def assert_closed_once(self, code, timeout=5):
        closed = self.wait_closed(1, timeout)
        time.sleep(0.1)  # a second on_close would show up by now
        closed = self.stats()["closed"]
        self.assertEqual(len(closed), 1, closed)
        self.assertEqual(closed[0]["code"], code, closed)
        self.assertEqual(self.stats()["open"], [])


class Handshake(WSTest):

    def test_accept_header(self):
        c = self.open()
        self.assertEqual(c.headers.get("upgrade", "").lower(), "websocket")
        self.assertIn("upgrade", c.headers.get("connection", "").lower())
        self.assertEqual(c.headers.get("sec-websocket-accept"),
                         accept_for(c.key))

    def test_rfc_example_key(self):
        c = self.open(key="dGhlIHNhbXBsZSBub25jZQ==")
        self.assertEqual(c.headers.get("sec-websocket-accept"),
                         "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")

    def test_header_case_and_token_lists(self):
        c = self.open(headers={"Upgrade": "WebSocket",
                               "Connection": "keep-alive, Upgrade"})
        c.send_msg(OP_TEXT, b"hi")
        self.assertEqual(c.recv_msg(), (OP_TEXT, b"hi"))

    def refused(self, status, **kw):
        c = self.client(**kw)
        self.assertEqual(c.status, status, c.headers)
        reply = json.loads(c.body())
        self.assertIs(reply["ok"], False)
        self.assertTrue(reply["error"]["message"])
        return reply

    def test_missing_key(self):
        reply = self.refused(400, headers={"Sec-WebSocket-Key": None})
        self.assertIn("Sec-WebSocket-Key", reply["error"]["message"])

    def test_bad_keys(self):
        for key in ["short==", base64.b64encode(os.urandom(15)).decode(),
                    base64.b64encode(os.urandom(17)).decode(),
                    "!" * 22 + "=="]:
            self.refused(400, key=key)

    def test_wrong_version(self):
        c = self.client(headers={"Sec-WebSocket-Version": "8"})
        self.assertEqual(c.status, 400)
        self.assertEqual(c.headers.get("sec-websocket-version"), "13")

    def test_not_an_upgrade(self):
        self.refused(400, headers={"Upgrade": None})
        self.refused(400, headers={"Connection": "keep-alive"})

    def test_foreign_origin(self):
        reply = self.refused(403, headers={"Origin": "https://evil.example"})
        self.assertEqual(reply["error"]["code"], "forbidden")
        # same host, other port: foreign too
        self.refused(403, headers={"Origin": "https://kvm.example:8443"})
        self.refused(403, headers={"Origin": "null"})
        # a proxy's X-Forwarded-Host wins over Host
        self.refused(403, headers={"Origin": "https://kvm.example",
                                   "X-Forwarded-Host": "other.example"})
        st = self.stats()
        self.assertEqual(st["accepted"], 0)
        self.assertEqual(st["refused"], 4)

    def test_same_origin(self):
        c = self.open(headers={"Origin": "https://kvm.example"})
        c.send_msg(OP_TEXT, b"same")
        self.assertEqual(c.recv_msg(), (OP_TEXT, b"same"))
        self.open(headers={"Origin": "https://KVM.example:443"})
        self.open(headers={"Origin": "http://kvm.example"})
        self.open(headers={"Origin": "https://proxy.example:8443",
                           "X-Forwarded-Host": "proxy.example:8443"})
        self.open(headers={"Origin": "http://[::1]:8080",
                           "Host": "[::1]:8080"})
        open_ = self.stats()["open"]
        self.assertIn("https://kvm.example",
                      [o.get("origin") for o in open_])

    def test_no_origin_allowed(self):
        self.open(headers={"Origin": None})


class Configured(WSTest):
    args = ["--origin", "https://kvm.example:8443", "--max-message", "200000"]

    def test_origin_list(self):
        self.open(headers={"Origin": "https://kvm.example:8443"})
        c = self.client(headers={"Origin": "https://kvm.example"})
        self.assertEqual(c.status, 403)

    def test_large_message_64bit_length(self):
        c = self.open()
        data = os.urandom(150000)
        c.send_msg(OP_BINARY, data)
        self.assertEqual(c.recv_msg(), (OP_BINARY, data))


class Messages(WSTest):

    def test_echo_text_and_binary(self):
        c = self.open()
        c.send_msg(OP_TEXT, "κόσμε".encode())
        self.assertEqual(c.recv_msg(), (OP_TEXT, "κόσμε".encode()))
        c.send_msg(OP_BINARY, b"\x00\xff\x80")
        self.assertEqual(c.recv_msg(), (OP_BINARY, b"\x00\xff\x80"))
        c.send_msg(OP_TEXT, b"")
        self.assertEqual(c.recv_msg(), (OP_TEXT, b""))
        big = os.urandom(60000)
        c.send_msg(OP_BINARY, big)
        self.assertEqual(c.recv_msg(), (OP_BINARY, big))
        limit = os.urandom(65536)
        c.send_msg(OP_BINARY, limit)
        self.assertEqual(c.recv_msg(), (OP_BINARY, limit))

    def test_rfc_masked_hello(self):
        c = self.open()
        c.send(bytes.fromhex("818537fa213d7f9f4d5158"))
        self.assertEqual(c.recv_msg(), (OP_TEXT, b"Hello"))

    def test_fragmented_with_ping_between(self):
        c = self.open()
        c.send(frame(OP_TEXT, b"Hel", fin=False))
        c.send(frame(OP_PING, b"mid"))
        c.send(frame(OP_CONT, "lo ".encode() + "κ".encode()[:1], fin=False))
        c.send(frame(OP_CONT, "κ".encode()[1:]))
        self.assertEqual(c.recv_msg(skip_pings=False), (OP_PONG, b"mid"))
        self.assertEqual(c.recv_msg(), (OP_TEXT, "Hello κ".encode()))

    def test_byte_by_byte(self):
        c = self.open()
        data = frame(OP_BINARY, b"slowly") + frame(OP_TEXT, b"again")
        for i in range(len(data)):
            c.send(data[i:i + 1])
            time.sleep(0.002)
        self.assertEqual(c.recv_msg(), (OP_BINARY, b"slowly"))
        self.assertEqual(c.recv_msg(), (OP_TEXT, b"again"))

    def test_frames_sent_with_the_handshake(self):
        c = self.open(extra=frame(OP_TEXT, b"early") + frame(OP_PING, b"p"))
        self.assertEqual(c.recv_msg(), (OP_TEXT, b"early"))
        self.assertEqual(c.recv_msg(skip_pings=False), (OP_PONG, b"p"))

    def test_ping_pong(self):
        c = self.open()
        c.send_msg(OP_PING, b"are you there")
        self.assertEqual(c.recv_msg(skip_pings=False),
                         (OP_PONG, b"are you there"))
        c.send_msg(OP_PING, b"")
        self.assertEqual(c.recv_msg(skip_pings=False), (OP_PONG, b""))
        c.send_msg(OP_PONG, b"unsolicited")  # ignored
        c.send_msg(OP_TEXT, b"after")
        self.assertEqual(c.recv_msg(), (OP_TEXT, b"after"))

    def test_many_clients(self):
        cs = [self.open() for _ in range(20)]
        for i, c in enumerate(cs):
            c.send_msg(OP_TEXT, b"client %d" % i)
        for i, c in enumerate(cs):
            self.assertEqual(c.recv_msg(), (OP_TEXT, b"client %d" % i))
        self.assertEqual(len(self.stats()["open"]), 20)


class Errors(WSTest):

    def fails_with(self, code, data, on_close=None):
        c = self.open()
        c.send(data)
        self.assertEqual(c.recv_close()[0], code)
        self.assertTrue(c.at_eof(), "server kept the connection open")
        self.assert_closed_once(on_close or code)

    def test_oversized_message(self):
        self.fails_with(1009, frame(OP_BINARY, b"x" * 65537))

    def test_oversized_by_fragments(self):
        self.fails_with(1009, frame(OP_BINARY, b"x" * 40000, fin=False) +
                        frame(OP_CONT, b"y" * 30000))

    def test_oversized_header_only(self):
        # the length alone condemns it: no need to send 2^40 bytes
        self.fails_with(1009, bytes([0x82, 0xFF, 0, 0, 1, 0, 0, 0, 0, 0]) +
                        b"mask")

    def test_bad_utf8(self):
        self.fails_with(1007, frame(OP_TEXT, b"caf\xc3"))

    def test_bad_utf8_in_fragment(self):
        self.fails_with(1007, frame(OP_TEXT, b"ok", fin=False) +
                        frame(OP_CONT, b"\xed\xa0\x80"))

    def test_bad_utf8_close_reason(self):
        self.fails_with(1007, frame(OP_CLOSE, b"\x03\xe8\xff"))

    def test_unmasked_frame(self):
        self.fails_with(1002, frame(OP_TEXT, b"Hello", mask=False))

    def test_reserved_bits(self):
        self.fails_with(1002, frame(OP_TEXT, b"x", rsv=0x40))

    def test_unknown_opcode(self):
        self.fails_with(1002, frame(0x3, b"x"))

    def test_long_ping(self):
        self.fails_with(1002, bytes([0x89, 0xFE, 0, 126]) + b"mask" +
                        b"p" * 126)

    def test_fragmented_ping(self):
        self.fails_with(1002, frame(OP_PING, b"p", fin=False))

    def test_continuation_without_start(self):
        self.fails_with(1002, frame(OP_CONT, b"orphan"))

    def test_new_message_inside_fragments(self):
        self.fails_with(1002, frame(OP_TEXT, b"a", fin=False) +
                        frame(OP_BINARY, b"b"))

    def test_non_minimal_length(self):
        self.fails_with(1002, bytes([0x82, 0xFE, 0, 5]) + b"mask" + b"abcde")

    def test_bad_close_code(self):
        self.fails_with(1002, frame(OP_CLOSE, struct.pack(">H", 1005)))

    def test_vanishing_peer(self):
        c = self.open()
        c.send(frame(OP_TEXT, b"half", fin=False))
        c.close()
        self.clients.remove(c)
        self.assert_closed_once(1006)


class Closing(WSTest):

    def test_client_close_echoed(self):
        c = self.open()
        c.send_msg(OP_CLOSE, struct.pack(">H", 1000) + b"bye")
        self.assertEqual(c.recv_close()[0], 1000)
        self.assertTrue(c.at_eof())
        self.assert_closed_once(1000)

    def test_client_close_private_code(self):
        c = self.open()
        c.send_msg(OP_CLOSE, struct.pack(">H", 4321))
        self.assertEqual(c.recv_close()[0], 4321)
        self.assert_closed_once(4321)

    def test_client_close_without_code(self):
        c = self.open()
        c.send_msg(OP_CLOSE, b"")
        op, data = c.recv_msg()
        self.assertEqual((op, data), (OP_CLOSE, b""))
        self.assertTrue(c.at_eof())
        self.assert_closed_once(1005)

    def test_server_close(self):
        c = self.open()
        c.send_msg(OP_TEXT, b"!close 4001 done here")
        self.assertEqual(c.recv_close(), (4001, "done here"))
        # messages after the server's close are dropped, not echoed
        c.send_msg(OP_TEXT, b"late")
        c.send_msg(OP_CLOSE, struct.pack(">H", 4001))
        self.assertTrue(c.at_eof())
        self.assert_closed_once(4001)

    def test_server_close_unanswered(self):
        c = self.open()
        c.send_msg(OP_TEXT, b"!close 1000 bye")
        self.assertEqual(c.recv_close(), (1000, "bye"))
        t0 = time.monotonic()
        self.assertTrue(c.at_eof(timeout=10))
        waited = time.monotonic() - t0
        self.assertGreater(waited, 3)
        self.assert_closed_once(1000)

    def test_no_invalid_text_sent(self):
        # a text message that is not UTF-8 would make the peer close
        # (RFC 6455 8.1): ws_send() refuses it and the connection stays
        c = self.open()
        c.send_msg(OP_TEXT, b"!badtext")
        self.assertEqual(c.recv_msg(), (OP_TEXT, b"refused"))
        c.send_msg(OP_TEXT, b"still here")
        self.assertEqual(c.recv_msg(), (OP_TEXT, b"still here"))

    def test_abort_inside_callback(self):
        c = self.open()
        c.send(frame(OP_TEXT, b"!abort") + frame(OP_TEXT, b"not echoed"))
        self.assertEqual(c.recv_close(), (1001, "aborted"))
        self.assertTrue(c.at_eof())
        self.assert_closed_once(1001)

    def test_stop_with_clients(self):
        # wstestd calls ws_close() after its loop ended, as hidd does: the
        # close frames must still go out, on_close run, nothing leak (the
        # sanitizer build exits non-zero on a leak).
        cs = [self.open() for _ in range(3)]
        for c in cs:
            c.send_msg(OP_TEXT, b"x")
            self.assertEqual(c.recv_msg(), (OP_TEXT, b"x"))
        self.assertEqual(self.d.stop(), 0, self.d.log())
        for c in cs:
            self.assertEqual(c.recv_close(), (1001, "server stopping"))
            self.assertTrue(c.at_eof())
        self.assertEqual(self.d.log().count("closed with 1001"), 3)


class Silent(WSTest):
    args = ["--ping-interval", "1"]

    def test_pings_then_close(self):
        c = self.open()
        t0 = time.monotonic()
        fin, op, data = c.recv_frame()
        self.assertEqual(op, OP_PING)
        self.assertLess(time.monotonic() - t0, 3.5)
        self.assertEqual(c.recv_close()[0], 1001)
        elapsed = time.monotonic() - t0
        self.assertGreaterEqual(elapsed, 1.5)
        self.assertLess(elapsed, 6.5)
        self.assertTrue(c.at_eof())
        self.assert_closed_once(1001)

    def test_pong_keeps_alive(self):
        c = self.open()
        t0 = time.monotonic()
        while time.monotonic() - t0 < 3.5:
            fin, op, data = c.recv_frame()
            self.assertEqual(op, OP_PING)
            c.send_msg(OP_PONG, data)
        self.assertEqual(len(self.stats()["open"]), 1)
        self.assertEqual(self.stats()["closed"], [])


class SlowReader(WSTest):
    args = ["--max-pending", "524288"]

    def test_peer_that_does_not_read(self):
        c = self.open()
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        c.send_msg(OP_TEXT, b"!flood")
        deadline = time.monotonic() + 10
        while self.stats()["flood_result"] == 0:
            self.assertLess(time.monotonic(), deadline, "never refused")
            time.sleep(0.05)
        st = self.stats()
        self.assertEqual(st["flood_result"], -105)  # -ENOBUFS
        self.assertLessEqual(st["flood_pending"], 524288)
        # now read: whole 64 KiB messages, then the close with 1008
        n = 0
        while True:
            op, data = c.recv_msg()
            if op == OP_CLOSE:
                self.assertEqual(struct.unpack(">H", data[:2])[0], 1008)
                break
            self.assertEqual((op, len(data)), (OP_BINARY, 65536))
            n += 1
        self.assertGreater(n, 4)
        self.assertTrue(c.at_eof())
        self.assert_closed_once(1008)


if __name__ == "__main__":
    kvmtest.main()
