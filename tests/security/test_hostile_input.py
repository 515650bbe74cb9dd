"""Hostile input: no request takes a daemon down (issue 14).

The demo stack (real daemons, real nginx) is sent, through HTTPS with the
password, what broke the daemons once -- error messages that carried
invalid UTF-8 made the reply fail to encode and the daemon exit -- and a
broader set of nasty input in every string field, field name, query
parameter and path of every route of every daemon, and in hidd's WebSocket:

- invalid UTF-8 of every class (overlong forms, surrogates, past U+10FFFF,
  bytes that never occur, stray continuation bytes, characters cut short),
  raw in a JSON body, as JSON \\u escapes, percent-encoded in queries and
  paths and raw on the request line;
- long valid non-ASCII strings (2-, 3- and 4-byte characters, shifted by
  one to three ASCII bytes so that every cut a fixed-size buffer or %.Ns
  could make falls at each byte of a character), C1 and C0 controls.

Every answer from a daemon must be the documented envelope
{"ok": false, "error": {"code", "message"}} with a 4xx status, a message
that is valid UTF-8 and says something; every WebSocket error reply the
same; and after each test every daemon has kept its pid, answers GET
/state, and has logged no reply that could not be encoded (the fixed 500
fallback) and no sanitizer report (run it in a -Db_sanitize build too).

Raw requests go through send_raw() (through nginx) or send_to_daemon()
(the daemon's own socket), so a file of raw request bytes -- such as the
corpora of the route fuzzers, tests/fuzz/corpus/<daemon>-routes/ -- can be
replayed too: test_replay_corpora does so for every file it finds there.
"""

import json
import os
import re
import socket
import time
import unittest
import urllib.parse

from kvmtest import demostack
from kvmtest.http import read_reply

HIDWS_MAX_MESSAGE = 1024  # hidd/hidws.h
DAEMONS = ["capd", "hidd", "mediad", "gpiod-ctl"]
PREFIX = {"capd": "video", "hidd": "hid", "mediad": "media",
          "gpiod-ctl": "gpio"}
stack = None

# Byte sequences that are not UTF-8, one of each class.
BAD_BYTES = [
    b"\xc0\x80", b"\xc1\xbf", b"\xe0\x80\x80", b"\xe0\x9f\xbf",
    b"\xf0\x80\x80\x80", b"\xf0\x8f\xbf\xbf",           # overlong
    b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xed\xa0\xbd\xed\xb8\x80",  # surr.
    b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80", b"\xf8\x88\x80\x80\x80",
    b"\xfe", b"\xff",                                  # never occur
    b"\x80", b"a\xbf",                                 # stray continuation
    b"\xc3", b"\xe2\x82", b"\xf0\x9f\x98", b"\xc3A", b"\xe2A\xac",  # cut
    b"\xc3\xa9" * 20 + b"\xc3",
]

# Valid strings that once came back cut in the middle of a character.
LONG = ["\u00e9", "\u20ac", "\U0001f600"]
NASTY_STRINGS = (
    [pre + ch * n for ch in LONG for pre in ("", "a", "ab", "abc")
     for n in (16, 40)] +
    ["\u00e9" * 3000, "\u0080\u009b" * 20, "\u2028\u2029" * 10,
     "\x1b[31m\u00e9" * 10, "\x7f\u00e9" * 17, "\ufffd" * 30,
     "\uffff\U0010ffff" * 12])


BASELINE = None
SENT = {"http": 0, "ws": 0}


def setUpModule():
    global stack, BASELINE
    demostack.require_stack()
    stack = demostack.Stack().start()
    # log in once: the cookie nginx then sets spares us the login limit
    stack.client().request("GET", "/api/gpio/state")
    BASELINE = pids()


def tearDownModule():
    print("sent %d requests through nginx and %d WebSocket messages" % (
        SENT["http"], SENT["ws"]))
    if stack is not None:
        stack.stop()
        stack.cleanup()


def pids():
    with open(stack.path("pids.json")) as f:
        return json.load(f)


def pct(b):
    """Every byte percent-encoded as it is (no UTF-8 of our own)."""
    if isinstance(b, str):
        b = b.encode("utf-8", "surrogatepass")
    return "".join("%%%02X" % c for c in b)


def send_raw(method, target, body=None, headers=None, timeout=10):
    """One request through nginx, logged in, with method and target sent
    byte for byte as given (str or bytes; under /api/...).  Returns (status,
    headers, body bytes)."""
    SENT["http"] += 1
    method = method.encode() if isinstance(method, str) else method
    target = target.encode() if isinstance(target, str) else target
    client = stack.client()
    h = client.headers({"X-KaputtKVM": "1", "Origin": stack.origin,
                        "Connection": "close"})
    h.update(headers or {})
    if body is not None:
        h.setdefault("Content-Type", "application/json")
        h["Content-Length"] = str(len(body))
    head = method + b" " + target + b" HTTP/1.1\r\n" + b"".join(
        (k + ": " + v + "\r\n").encode() for k, v in h.items()) + b"\r\n"
    raw = socket.create_connection(("127.0.0.1", stack.port),
                                   timeout=timeout)
    s = demostack.tls_context().wrap_socket(raw)
    try:
        s.sendall(head + (body or b""))
        return read_reply(s, method, timeout)
    finally:
        s.close()


def send_to_daemon(daemon, raw, timeout=3):
    """Raw bytes to the daemon's own UNIX socket, then a half-close; the
    reply bytes (whatever they are) read until the daemon closes or the
    timeout."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    out = b""
    try:
        s.connect(stack.path("run", daemon + ".sock"))
        s.sendall(raw)
        s.shutdown(socket.SHUT_WR)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except OSError:
        pass
    finally:
        s.close()
    return out


def json_body(fields):
    """A JSON object body; a bytes value goes in raw between the quotes, a
    bytes key likewise."""
    parts = []
    for k, v in fields.items():
        kb = (b'"' + k + b'"') if isinstance(k, bytes) else \
            json.dumps(k).encode()
        vb = (b'"' + v + b'"') if isinstance(v, bytes) else \
            json.dumps(v).encode()
        parts.append(kb + b":" + vb)
    return b"{" + b",".join(parts) + b"}"


class Envelope:
    """Checks an answer is the documented error envelope, and that the
    daemons are the ones the stack started."""

    def assert_alive(self):
        self.assertEqual(pids(), BASELINE, "a daemon restarted")
        for daemon in DAEMONS:
            status, _, data = send_raw(
                "GET", "/api/%s/state" % PREFIX[daemon])
            self.assertEqual(status, 200, "%s: %r" % (daemon, data[:200]))
            log = stack.log(daemon)
            for bad in ("cannot encode a reply", "could not be encoded",
                        "runtime error:", "Sanitizer"):
                self.assertNotIn(bad, log, "%s's log" % daemon)

    def ws_reply(self, ws, msg_id, what):
        """The text frame that answers message msg_id."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            op, data = demostack.ws_recv(ws)
            if op is None:
                self.fail("%s: hidd closed the WebSocket; its log "
                          "ends:\n%s" % (what, stack.log("hidd")[-1500:]))
            if op != 0x1:
                continue
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                self.fail("a text frame that is not UTF-8: %r" % data[:200])
            v = json.loads(text)
            if v.get("id") == msg_id:
                return data
        self.fail("%s: no reply" % what)

    def check(self, what, status, hdrs, body, statuses=None):
        self.assertTrue(400 <= status < 500 and status not in (401, 429),
                        "%s: status %d, want 4xx: %r" % (what, status,
                                                         body[:300]))
        if statuses is not None:
            self.assertIn(status, statuses, "%s: %r" % (what, body[:300]))
        self.assertIn("application/json", hdrs.get("content-type", ""),
                      "%s: not JSON: %r" % (what, body[:300]))
        self.check_envelope(what, body)

    def check_envelope(self, what, body, ws=False):
        try:
            v = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            self.fail("%s: the reply is not JSON in UTF-8 (%s): %r" % (
                what, e, body[:300]))
        self.assertIs(v.get("ok"), False, "%s: %r" % (what, v))
        err = v.get("error")
        self.assertIsInstance(err, dict, "%s: %r" % (what, v))
        self.assertIsInstance(err.get("code"), str, "%s: %r" % (what, v))
        msg = err.get("message")
        self.assertIsInstance(msg, str, "%s: %r" % (what, v))
        self.assertTrue(msg.strip(), "%s: an empty message" % what)
        # valid UTF-8: no lone surrogate smuggled in as \ud800
        try:
            msg.encode("utf-8")
        except UnicodeEncodeError:
            self.fail("%s: the message is not valid UTF-8: %r" % (what, msg))
        self.assertNotEqual(err["code"], "internal",
                            "%s: an internal error for bad input: %r" % (
                                what, msg))
        if ws:
            self.assertEqual(v.get("t"), "error", "%s: %r" % (what, v))
        return v


# (daemon, method, path, string fields, other fields to make it valid)
BODY_ROUTES = [
    ("capd", "POST", "/params", ["quality", "fps", "resolution"], {}),
    ("hidd", "POST", "/key", ["code"], {"down": True}),
    ("hidd", "POST", "/key", ["down"], {"code": "KeyA"}),
    ("hidd", "POST", "/mouse", ["button"], {"down": True}),
    ("hidd", "POST", "/mouse", ["x", "y", "dx", "wheel_dy", "down"], {}),
    ("hidd", "POST", "/paste", ["layout"], {"text": "x"}),
    ("hidd", "POST", "/paste", ["text"], {"layout": "us"}),
    ("hidd", "POST", "/paste", ["delay_ms"], {"text": "x", "layout": "us"}),
    ("hidd", "POST", "/release", [], {}),
    ("hidd", "POST", "/paste/cancel", [], {}),
    ("mediad", "POST", "/mount", ["image"], {}),
    ("mediad", "POST", "/mount", ["cdrom", "readonly"], {"image": "x.iso"}),
    ("mediad", "POST", "/eject", ["force"], {}),
    ("gpiod-ctl", "POST", "/atx", ["action"], {}),
    ("gpiod-ctl", "POST", "/atx", ["wait"], {"action": "nonsense"}),
    ("gpiod-ctl", "POST", "/pulse", ["line"], {"ms": 1}),
    ("gpiod-ctl", "POST", "/pulse", ["ms", "wait"], {"line": "nonsense"}),
    ("gpiod-ctl", "POST", "/test/input", ["line"], {"value": 1}),
]

# (daemon, path, parameter, other parameters)
QUERY_ROUTES = [
    ("capd", "/stream", "fps", ""),
    ("gpiod-ctl", "/test/history", "line", ""),
    ("mediad", "/images/hostile-test.img", "overwrite", ""),
]

# Paths of each daemon where a name is part of the path.
NAME_PATHS = [("mediad", "GET", "/images/"), ("mediad", "DELETE", "/images/"),
              ("mediad", "PUT", "/images/")]


class Reproductions(Envelope, unittest.TestCase):
    """The requests of issue 14 that restarted capd, hidd and gpiod-ctl.
    Before the fix each of these but the key codes over HTTP (hidd's keymap
    shows only ASCII) restarted its daemon: a %.32s or %.40s cut a 3-byte
    character, or a 2-byte one after an odd number of bytes."""

    def test_reproductions(self):
        e16, eur = "\u00e9" * 16, "\u20ac"
        cases = [
            ("GET", "/api/video/stream?fps=%ED%A0%80", None),
            ("POST", "/api/hid/paste", {"text": "x", "layout": "\u00e9"}),
            ("POST", "/api/hid/mouse", {"button": eur * 16}),
            ("POST", "/api/hid/mouse", {"button": "a" + e16}),
            ("POST", "/api/hid/key", {"code": eur * 16}),
            ("POST", "/api/hid/key", {"code": "a" + e16}),
            ("POST", "/api/gpio/atx", {"action": eur * 40}),
            ("POST", "/api/video/params", {"resolution": eur * 40}),
        ]
        for method, path, body in cases:
            status, hdrs, data = send_raw(
                method, path, json.dumps(body).encode() if body else None)
            self.check("%s %s %r" % (method, path, body), status, hdrs, data,
                       statuses=(400,))
        # and hidd's WebSocket: a key code, a field name, a message type
        status, _, ws = stack.client().websocket("/api/hid/ws",
                                                 origin=stack.origin)
        self.assertEqual(status, 101)
        try:
            for i, msg in enumerate([{"t": "key", "code": eur * 16},
                                     {"t": "ping", "a" + e16: 1},
                                     {"t": eur * 16}], 1):
                msg["id"] = i
                demostack.ws_send(ws, json.dumps(msg, ensure_ascii=False))
                what = "ws %r" % msg
                self.check_envelope(what, self.ws_reply(ws, i, what),
                                    ws=True)
        finally:
            ws.close()
        self.assert_alive()


class Fields(Envelope, unittest.TestCase):
    """Nasty values in every string field and as field names."""

    def run_body(self, daemon, method, path, body, what):
        status, hdrs, data = send_raw(
            method, "/api/%s%s" % (PREFIX[daemon], path), body)
        self.check("%s %s %s" % (daemon, path, what), status, hdrs, data)

    def test_string_fields(self):
        for daemon, method, path, fields, rest in BODY_ROUTES:
            for field in fields:
                for s in NASTY_STRINGS:
                    body = dict(rest)
                    body[field] = s
                    self.run_body(daemon, method, path,
                                  json.dumps(body).encode(),
                                  "%s=%r" % (field, s[:12]))
        self.assert_alive()

    def test_invalid_utf8_in_json(self):
        for daemon, method, path, fields, rest in BODY_ROUTES:
            for field in fields[:1] or ["x"]:
                for b in BAD_BYTES:
                    body = dict(rest)
                    body[field] = b
                    self.run_body(daemon, method, path, json_body(body),
                                  "raw %r in %s" % (b, field))
                for esc in (b"\\ud800", b"\\udfff", b"\\ud800x",
                            b"\\u0000", b"\\ud83d\\u0041"):
                    body = dict(rest)
                    body[field] = esc
                    self.run_body(daemon, method, path, json_body(body),
                                  "escape %r in %s" % (esc, field))
        self.assert_alive()

    def test_field_names(self):
        seen = set()
        for daemon, method, path, _, rest in BODY_ROUTES:
            if (daemon, path) in seen:
                continue
            seen.add((daemon, path))
            for s in NASTY_STRINGS[::3]:
                body = dict(rest)
                body[s] = 1
                self.run_body(daemon, method, path,
                              json.dumps(body).encode(), "name %r" % s[:12])
            for b in BAD_BYTES[::2]:
                body = dict(rest)
                body[b] = 1
                self.run_body(daemon, method, path, json_body(body),
                              "raw name %r" % b)
        self.assert_alive()

    def test_not_json(self):
        bodies = [b"", b"\xed\xa0\x80", b"\xff" * 40, b"[\xc3]",
                  b'"\xc3\xa9\xc3"', b"{" * 5000, b"nul\x00l",
                  ("\u00e9" * 500).encode(), b'{"a":1,"a":2}']
        seen = set()
        for daemon, method, path, _, _ in BODY_ROUTES:
            if (daemon, path) in seen:
                continue
            seen.add((daemon, path))
            for b in bodies:
                if b == b"" and path in ("/release", "/paste/cancel",
                                         "/eject"):
                    continue  # an empty body is a valid "no parameters"
                self.run_body(daemon, method, path, b, "body %r" % b[:12])
        self.assert_alive()


class Queries(Envelope, unittest.TestCase):
    """Nasty query parameters, paths and request lines."""

    def values(self):
        return ([pct(b) for b in BAD_BYTES] +
                [pct(s) for s in NASTY_STRINGS if len(s) < 500] +
                [urllib.parse.quote(s) for s in NASTY_STRINGS[:4]])

    def test_query_parameters(self):
        for daemon, path, param, rest in QUERY_ROUTES:
            for v in self.values():
                method = "PUT" if daemon == "mediad" else "GET"
                target = "/api/%s%s?%s%s=%s" % (PREFIX[daemon], path, rest,
                                                param, v)
                status, hdrs, data = send_raw(
                    method, target, b"x" if method == "PUT" else None,
                    {"Content-Type": "application/octet-stream"})
                self.check("%s %s" % (method, target[:80]), status, hdrs,
                           data, statuses=(400, 404))
        self.assert_alive()
        status, _, data = send_raw("GET", "/api/media/images")
        self.assertNotIn(b"hostile-test", data, "an upload went through")

    def test_paths(self):
        # bytes that are not UTF-8: refused, whatever the method
        for daemon, method, path in NAME_PATHS:
            for b in BAD_BYTES:
                target = "/api/%s%s%s" % (PREFIX[daemon], path, pct(b))
                status, hdrs, data = send_raw(
                    method, target, b"x" if method == "PUT" else None,
                    {"Content-Type": "application/octet-stream"})
                self.check("%s %s" % (method, target[:80]), status, hdrs,
                           data, statuses=(400, 404))
        # long non-ASCII names: refused with the envelope, or (a name the
        # store takes) uploaded, listed and deleted with the name intact
        for s in NASTY_STRINGS:
            if len(s) > 500:
                continue  # nginx's own 414 for the URI, no daemon's
            target = "/api/media/images/" + pct(s)
            status, hdrs, data = send_raw(
                "PUT", target, b"x",
                {"Content-Type": "application/octet-stream"})
            if status != 200:
                self.check("PUT %r" % s[:12], status, hdrs, data,
                           statuses=(400, 413))
                continue
            status, _, data = send_raw("GET", "/api/media/images")
            self.assertEqual(status, 200, data[:200])
            names = [i["name"] for i in json.loads(data)["result"]["images"]]
            self.assertIn(s, names, "uploaded, then not listed as sent")
            status, _, data = send_raw("DELETE", target)
            self.assertEqual(status, 200, data[:200])
        for daemon in DAEMONS:
            for v in self.values()[::4]:
                target = "/api/%s/%s" % (PREFIX[daemon], v)
                status, hdrs, data = send_raw("GET", target)
                self.check("GET %s" % target[:80], status, hdrs, data,
                           statuses=(400, 404))
        self.assert_alive()

    def test_raw_request_line(self):
        """Bytes nginx passes on unencoded: nginx may refuse some itself
        (then no daemon saw them); a daemon's answer must be the
        envelope."""
        for daemon in DAEMONS:
            for b in BAD_BYTES[::2] + [("\u00e9" * 40).encode()]:
                for target in (b"/api/%s/state?x=%s" % (
                        PREFIX[daemon].encode(), b),
                        b"/api/%s/%s" % (PREFIX[daemon].encode(), b)):
                    status, hdrs, data = send_raw("GET", target)
                    if "application/json" in hdrs.get("content-type", "") \
                            and status >= 400:
                        self.check_envelope("GET %r" % target, data)
                    else:
                        self.assertIn(status, (200, 400, 404),
                                      "GET %r: %r" % (target, data[:200]))
        self.assert_alive()


class WebSocket(Envelope, unittest.TestCase):
    """hidd's WebSocket: nasty strings in every field of every message type;
    its error replies are envelopes in valid UTF-8."""

    def open(self):
        status, _, ws = stack.client().websocket("/api/hid/ws",
                                                 origin=stack.origin)
        self.assertEqual(status, 101)
        return ws

    def test_messages(self):
        ws = self.open()
        n = 0
        try:
            templates = [
                ("t", {}), ("code", {"t": "key", "down": True}),
                ("button", {"t": "button", "down": True}),
                ("down", {"t": "key", "code": "KeyA"}),
                ("x", {"t": "abs", "y": 1}), ("dx", {"t": "rel"}),
            ]
            for field, rest in templates:
                for s in NASTY_STRINGS:
                    n += 1
                    msg = dict(rest, id=n)
                    msg[field] = s
                    text = json.dumps(msg, ensure_ascii=False)
                    if len(text.encode()) > HIDWS_MAX_MESSAGE:
                        continue  # test_too_big's
                    demostack.ws_send(ws, text)
                    SENT["ws"] += 1
                    what = "ws %s=%r" % (field, s[:12])
                    self.check_envelope(what, self.ws_reply(ws, n, what),
                                        ws=True)
            for s in NASTY_STRINGS[::2]:
                n += 1
                text = json.dumps({"t": "ping", "id": n, s: 1},
                                  ensure_ascii=False)
                if len(text.encode()) > HIDWS_MAX_MESSAGE:
                    continue
                demostack.ws_send(ws, text)
                SENT["ws"] += 1
                what = "ws field name %r" % s[:12]
                self.check_envelope(what, self.ws_reply(ws, n, what), ws=True)
        finally:
            ws.close()
        # invalid UTF-8 in a text frame: the connection is closed (RFC 6455
        # 1007), nothing more
        for b in BAD_BYTES[::3]:
            ws = self.open()
            try:
                demostack.ws_send(ws, b'{"t":"key","code":"' + b + b'"}')
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline:
                    op, data = demostack.ws_recv(ws)
                    if op is None or op == 0x8:
                        break
                    if op == 0x1:
                        data.decode("utf-8")  # raises if not
                else:
                    self.fail("hidd kept a WebSocket that sent %r" % b)
            finally:
                ws.close()
        self.assert_alive()

    def test_too_big(self):
        """Past hidd's message limit: closed (1009, or the connection ends
        while the rest is still being sent), and no crash."""
        ws = self.open()
        try:
            demostack.ws_send(ws, json.dumps({"t": "\u00e9" * 3000}))
            t0 = time.monotonic()
            code = None
            while time.monotonic() < t0 + 5:
                op, data = demostack.ws_recv(ws)
                if op is None:
                    break
                if op == 0x8:
                    code = int.from_bytes(data[:2], "big")
                    break
            self.assertIn(code, (1009, None))
            self.assertLess(time.monotonic() - t0, 5, "never closed")
        finally:
            ws.close()
        self.assert_alive()


class Corpora(Envelope, unittest.TestCase):
    """Whatever the route fuzzers found."""

    def test_replay_corpora(self):
        """Raw requests from tests/fuzz/corpus/<daemon>-routes/ (the route
        fuzzers' corpora, once they exist) to each daemon's own socket."""
        replayed = 0
        for daemon in DAEMONS:
            d = os.path.join(demostack.SOURCE_ROOT, "tests", "fuzz",
                             "corpus", daemon + "-routes")
            if not os.path.isdir(d):
                print("no corpus in %s yet: nothing to replay" % d)
                continue
            for name in sorted(os.listdir(d)):
                with open(os.path.join(d, name), "rb") as f:
                    raw = f.read()
                reply = send_to_daemon(daemon, raw)
                replayed += 1
                head, _, body = reply.partition(b"\r\n\r\n")
                # a corpus file may hold several requests: the first
                # reply's body only, and none when it answers a HEAD
                m = re.search(rb"(?im)^content-length: *(\d+)", head)
                if m:
                    body = body[:int(m.group(1))]
                if reply.startswith(b"HTTP/1.1 4") and \
                        b"application/json" in head and \
                        not raw.startswith(b"HEAD "):
                    self.check_envelope("%s corpus %s" % (daemon, name),
                                        body)
        print("replayed %d corpus files" % replayed)
        self.assert_alive()


class Redfish(Envelope, unittest.TestCase):
    """redfishd through nginx (logged in): nasty logins, paths and bodies.
    Every answer is a Redfish error or resource in valid UTF-8 JSON, below
    500, and redfishd keeps its pid (pids.json has it)."""

    SESSIONS = "/redfish/v1/SessionService/Sessions"

    def assert_redfish(self, status, data, what):
        self.assertLess(status, 500, what)
        body = json.loads(data.decode("utf-8"))
        if status >= 400:
            self.assertIsInstance(
                body["error"]["@Message.ExtendedInfo"][0]["MessageId"], str,
                what)

    def test_logins(self):
        values = [s.encode() for s in NASTY_STRINGS] + BAD_BYTES + [
            b"\\u0000", b"a\\u0000b", b"\\ud800"]
        for v in values:
            for fields in ({"UserName": v, "Password": v},
                           {"UserName": "admin", "Password": v},
                           {v: "admin", "Password": "x"}):
                status, _, data = send_raw("POST", self.SESSIONS,
                                           json_body(fields))
                self.assert_redfish(status, data, fields)
                self.assertIn(status, (400, 401), fields)
        self.assertNotIn("x-auth-token", send_raw(
            "POST", self.SESSIONS, json_body({"UserName": "admin",
                                              "Password": "\u00e9"}))[1])
        self.assert_alive()

    def test_paths_and_bodies(self):
        for b in BAD_BYTES + [s.encode() for s in NASTY_STRINGS[:8]]:
            for target in ("/redfish/v1/" + pct(b),
                           self.SESSIONS + "/" + pct(b),
                           "/redfish/v1/Systems/1?" + pct(b)):
                status, _, data = send_raw("GET", target)
                self.assert_redfish(status, data, target)
            for method, path in (
                    ("PATCH", "/redfish/v1/Systems/1"),
                    ("POST", "/redfish/v1/Systems/1/Actions/"
                     "ComputerSystem.Reset"),
                    ("DELETE", self.SESSIONS + "/" + pct(b))):
                body = None if method == "DELETE" else \
                    json_body({"Boot": b, "ResetType": b})
                status, _, data = send_raw(method, path, body)
                self.assert_redfish(status, data, (method, path))
        self.assert_alive()


if __name__ == "__main__":
    unittest.main(verbosity=2)
