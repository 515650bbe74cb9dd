"""hidd's /ws WebSocket: the Origin check, ordered key and mouse events
(JSON and binary) with their exact reports, errors, acknowledgements,
state pushes (LEDs, paste progress), and the releases when a page leaves."""

import struct
import unittest

from kvmtest import hiddtest
import kvmtest
from kvmtest.hiddtest import WsClient, kbd


class OriginTest(unittest.TestCase):
    def test_origin(self):
        with hiddtest.Gadget(["--allow-origin", "https://other.example"]) as g:
            sock = g.daemon.socket
            c = WsClient(sock, origin="https://evil.example")
            self.assertEqual(c.status, 403)
            c.close()
            c = WsClient(sock, origin="https://other.example")
            self.assertEqual(c.status, 101)
            c.close()

    def test_same_host(self):
        with hiddtest.Gadget() as g:
            sock = g.daemon.socket
            c = WsClient(sock, origin="https://evil.example",
                         host="kvm.example")
            self.assertEqual(c.status, 403)
            self.assertIn("Origin", c.buf.decode() + c.head)
            c.close()
            c = WsClient(sock, origin="https://kvm.example")
            self.assertEqual(c.status, 101)
            st = c.recv_json("state")
            self.assertTrue(st["online"])
            c.close()
            # Nothing but the release when the (last) page left.
            self.assertEqual(g.kbd.quiet(0.3), [kbd()])


class InputTest(unittest.TestCase):
    def test_ordered_events(self):
        with hiddtest.Gadget() as g:
            c = WsClient(g.daemon.socket)
            self.assertEqual(c.status, 101)
            c.recv_json("state")
            # 50 press/release pairs, sent back to back: every report, in
            # order.
            for i in range(50):
                c.send({"t": "key", "code": "KeyA", "down": True})
                c.send({"t": "key", "code": "KeyA", "down": False})
            self.assertEqual(g.kbd.wait(100),
                             [kbd(0, 4), kbd()] * 50)
            # Binary: key by usage, absolute move, button, wheel, relative.
            c.send(bytes([1, 0x1d, 1]))
            c.send(bytes([1, 0x1d, 0]))
            c.send(struct.pack("<BHH", 2, 100, 32767))
            c.send(bytes([4, 2, 1]))
            c.send(bytes([5, 0, 0xff]))
            c.send(bytes([4, 2, 0]))
            c.send(bytes([3, 5, 0xfb]))
            c.send({"t": "ping", "id": 7})
            self.assertEqual(c.recv_json("pong")["id"], 7)
            self.assertEqual(g.kbd.wait(2), [kbd(0, 0x1d), kbd()])
            self.assertEqual(g.abs.wait(4), [
                struct.pack("<BHHbb", 0, 100, 32767, 0, 0),
                struct.pack("<BHHbb", 2, 100, 32767, 0, 0),
                struct.pack("<BHHbb", 2, 100, 32767, 1, 0),
                struct.pack("<BHHbb", 0, 100, 32767, 0, 0)])
            self.assertEqual(g.rel.wait(1), [struct.pack("<Bbbb", 0, 5, -5,
                                                         0)])
            # JSON mouse messages and an acknowledgement.
            c.send({"t": "abs", "x": 1, "y": 2, "id": 3})
            self.assertEqual(c.recv_json("ack")["id"], 3)
            c.send({"t": "button", "button": "middle", "down": True})
            c.send({"t": "wheel", "wheel_dx": 1})
            c.send({"t": "rel", "dx": -1, "dy": 1})
            c.send({"t": "button", "button": "middle", "down": False})
            self.assertEqual(g.abs.wait(3), [
                struct.pack("<BHHbb", 0, 1, 2, 0, 0),
                struct.pack("<BHHbb", 4, 1, 2, 0, 0),
                struct.pack("<BHHbb", 4, 1, 2, 0, 1)])
            self.assertEqual(g.rel.wait(2), [
                struct.pack("<Bbbb", 4, -1, 1, 0),
                struct.pack("<Bbbb", 0, 0, 0, 0)])
            c.close()

    def test_errors(self):
        with hiddtest.Gadget() as g:
            c = WsClient(g.daemon.socket)
            c.recv_json("state")
            for bad in ('{"t": "key", "code": "NoSuchKey"}', "not json",
                        '{"t": "key"}', '{"t": "abs", "x": 40000, "y": 0}',
                        '{"t": "jump"}', '[1, 2]',
                        '{"t": "key", "code": "KeyA", "extra": 1}'):
                c.send(bad)
                err = c.recv_json("error")
                self.assertFalse(err["ok"])
                self.assertTrue(err["error"]["message"], bad)
            c.send({"t": "key", "code": "NoSuchKey", "id": 9})
            err = c.recv_json("error")
            self.assertEqual(err["id"], 9)
            self.assertIn("NoSuchKey", err["error"]["message"])
            for bad in (bytes([9]), bytes([1, 4]), bytes([4, 3, 1]),
                        b"", struct.pack("<BHH", 2, 40000, 0)):
                c.send(bad)
                self.assertEqual(c.recv_json("error")["error"]["code"],
                                 "invalid")
            # Still alive and in order after all that.
            c.send({"t": "key", "code": "KeyZ"})
            self.assertEqual(g.kbd.wait(1), [kbd(0, 0x1d)])
            c.close()

    def test_same_fields_as_http(self):
        # A message's fields are POST /key's and POST /mouse's: the same
        # names, the same types.  The old forms are refused, naming the
        # field, and nothing is sent.
        with hiddtest.Gadget() as g:
            c = WsClient(g.daemon.socket)
            c.recv_json("state")
            # (POST /mouse {"dx": 1} is a relative move, so the wheel's
            # have no HTTP twin to refuse.)
            for bad, field, http in (
                    ({"t": "wheel", "dx": 1}, '"dx"', None),
                    ({"t": "wheel", "wheel_dy": 1, "dy": 1}, '"dy"', None),
                    ({"t": "key", "code": "KeyA", "down": 1}, '"down"',
                     "/key"),
                    ({"t": "button", "button": "left", "down": 0},
                     '"down"', "/mouse")):
                c.send(dict(bad, id=5))
                err = c.recv_json("error")
                self.assertEqual(err["id"], 5, bad)
                self.assertEqual(err["error"]["code"], "invalid", bad)
                self.assertIn(field, err["error"]["message"], bad)
                if http is None:
                    continue
                st, body = g.daemon.json(
                    "POST", http, {k: v for k, v in bad.items() if k != "t"})
                self.assertEqual(st, 400, bad)
                self.assertEqual(body["error"]["message"],
                                 err["error"]["message"], bad)
            self.assertEqual(g.kbd.quiet(0.2) + g.abs.new(), [])
            # The names both ways agree: one notch down each (the wheel's
            # HID sense is the browser's turned round), at the pointer's
            # first place, the middle.
            c.send({"t": "wheel", "wheel_dy": 1, "id": 6})
            self.assertEqual(c.recv_json("ack")["id"], 6)
            g.daemon.ok("POST", "/mouse", {"wheel_dy": 1})
            self.assertEqual(g.abs.wait(2), [
                struct.pack("<BHHbb", 0, 16384, 16384, -1, 0)] * 2)
            c.close()

    def test_release_when_pages_leave(self):
        with hiddtest.Gadget() as g:
            a = WsClient(g.daemon.socket)
            b = WsClient(g.daemon.socket)
            a.recv_json("state")
            b.recv_json("state")
            a.send({"t": "key", "code": "KeyA"})
            b.send({"t": "key", "code": "KeyB"})
            a.send({"t": "button", "button": "left"})
            g.kbd.wait(2)
            g.abs.wait(1)
            self.assertEqual(g.state()["clients"], 2)
            # a leaves without a close frame: only its key goes up.
            a.close()
            self.assertEqual(g.kbd.wait(1), [kbd(0, 5)])
            # b leaves: the last page; everything goes up.
            b.close()
            self.assertEqual(g.kbd.wait(1), [kbd()])
            self.assertEqual(g.abs.wait(1)[0][0], 0)
            st = g.wait_state(lambda s: s["clients"] == 0)
            self.assertEqual(st["held"]["keys"], [])

    def test_stop_with_page_connected(self):
        import signal
        with hiddtest.Gadget() as g:
            c = WsClient(g.daemon.socket)
            c.recv_json("state")
            c.send({"t": "key", "code": "KeyX"})
            self.assertEqual(g.kbd.wait(1), [kbd(0, 0x1b)])
            self.assertEqual(g.daemon.stop(signal.SIGTERM), 0)
            got = g.kbd.new()
            self.assertTrue(got and all(r == kbd() for r in got), got)
            while True:
                op, data = c.recv()
                if op == 8:
                    break
            self.assertEqual(int.from_bytes(data[:2], "big"), 1001)
            c.close()

    def test_pushes(self):
        with hiddtest.Gadget() as g:
            c = WsClient(g.daemon.socket)
            c.recv_json("state")
            g.set_leds(0x02)
            st = c.recv_json("state")
            self.assertTrue(st["leds"]["caps"])
            g.daemon.ok("POST", "/paste", {"text": "x" * 60,
                                           "delay_ms": 5})
            seen_active = False
            while True:
                st = c.recv_json("state")
                if st["paste"]["active"]:
                    seen_active = True
                else:
                    break
            self.assertTrue(seen_active)
            self.assertEqual(st["paste"]["result"], "done")
            self.assertEqual(st["paste"]["done"], st["paste"]["keystrokes"])
            c.close()


if __name__ == "__main__":
    kvmtest.main()
