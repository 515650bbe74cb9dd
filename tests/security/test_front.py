"""Security of the front door: the demo stack (real daemons, real nginx with
the installed site template) attacked through HTTPS.

- no URL answers without credentials, and nothing answered before the
  password check sets a cookie, redirects or tells locations apart;
- a state-changing request without X-KaputtKVM: 1 or with a foreign Origin
  is refused (403) and changes nothing;
- a WebSocket from a foreign Origin is refused;
- traversal in media URLs is refused (400) and creates nothing;
- only image uploads may have a big body;
- the security headers are on every answer;
- under /redfish only what the Redfish specification allows answers
  without a login (the service root and the schema documents, and the
  login itself, which checks its password); a forged X-Auth-Token is no
  login.
The login rate limit and TLS versions are in test_login.py / test_tls.py.
"""

import os
import time
import unittest

import kvmtest
from kvmtest import demostack

FOREIGN = "https://evil.example"
stack = None


setUpModule, tearDownModule = demostack.module_fixtures(__name__)


class NoCredentials(unittest.TestCase):
    """Every URL wants the password; nothing of a daemon leaks."""

    URLS = [("GET", "/"), ("GET", "/index.html"), ("GET", "/nothing-here"),
            ("GET", "/api/video/state"), ("GET", "/api/video/stream"),
            ("GET", "/api/video/snapshot"), ("GET", "/api/hid/state"),
            ("GET", "/api/media/images"), ("GET", "/api/gpio/state"),
            ("GET", "/api/gpio/metrics"), ("POST", "/api/gpio/atx"),
            ("PUT", "/api/media/images/x.iso"),
            ("DELETE", "/api/media/images/x.iso")]

    def test_every_url_401(self):
        # With the logged-in cookie (it exempts from the login limit but is
        # no login), then a few without it.
        stack.client().request("GET", "/api/gpio/state")
        self.assertTrue(stack.cookie)
        anon = stack.anonymous()
        wrong = stack.client(password="not-the-password")
        www = os.path.join(demostack.SOURCE_ROOT, "www")
        pages = [("GET", "/" + os.path.relpath(os.path.join(d, f), www))
                 for d, _, files in os.walk(www) for f in files
                 if "node_modules" not in d][:30]
        for client in (anon, wrong):
            for method, path in self.URLS + pages + [("HEAD", "/")]:
                status, hdrs, body = client.request(
                    method, path, b"{}" if method != "GET" else None,
                    {"X-KaputtKVM": "1"})
                self.assertEqual(status, 401, (method, path, body))
                self.assertIn("basic",
                              hdrs.get("www-authenticate", "").lower())
                if method != "HEAD":
                    self.assertIn(b'"unauthorized"', body)
                self.assertNotIn("set-cookie", hdrs)
        for client in (stack.anonymous(cookie=False),
                       stack.client(password="nope", cookie=False)):
            for method, path in self.URLS[:5]:
                status, hdrs, body = client.request(method, path)
                self.assertEqual(status, 401, (method, path, body))
                self.assertNotIn("set-cookie", hdrs)

    def test_websocket_401(self):
        # Even from a foreign origin: the Origin check comes after the
        # password check, so its 403 tells a stranger nothing.
        for path in ("/api/hid/ws", "/api/video/h264"):
            for origin in (stack.origin, FOREIGN):
                status, hdrs, sock = stack.anonymous().websocket(path, origin)
                self.assertEqual(status, 401, (path, origin))
                self.assertIsNone(sock)
                self.assertNotIn("set-cookie", hdrs)


class NothingBeforeThePassword(unittest.TestCase):
    """No answer to a request that did not pass the password check sets a
    cookie or tells one location from another: every location (prefixes
    without their slash included) x every method, without credentials and
    with a wrong password, is 401 with no Set-Cookie; only a malformed URI
    is 400, for whatever path."""

    PATHS = ["/", "/index.html", "/nothing-here", "/js", "/api", "/api/",
             "/api/nothing", "/api/video", "/api/video/", "/api/video/state",
             "/api/video/stream", "/api/video?x=1", "/api/hid", "/api/hid/",
             "/api/video/h264",
             "/api/hid/ws", "/api/hid/key", "/api/media", "/api/media/",
             "/api/media/images", "/api/media/images/",
             "/api/media/images/x.iso", "/api/gpio", "/api/gpio/",
             "/api/gpio/state", "/api/gpioo", "/_kvm_csrf", "/_kvm/csrf",
             "/csrf", "/_kvm/./csrf", "/@kvm_unauthorized"]
    BAD = ["/api/media/images/..%2fx", "/api/video/../hid/key",
           "/x%00.html", "/_kvm/../csrf", "/_kvm/%2e%2e/csrf"]
    METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH",
               "KVMPROBE"]

    def ask(self, client, method, path, extra=None):
        headers = {"X-KaputtKVM": "1", "Origin": stack.origin}
        headers.update(extra or {})
        return client.request(method, path,
                              None if method in ("GET", "HEAD") else b"{}",
                              headers)

    def test_every_location_and_method(self):
        stack.client().request("GET", "/api/gpio/state")
        self.assertTrue(stack.cookie)
        # With the logged-in cookie the limits let every request through
        # to the password check; without it, see below.
        for client in (stack.anonymous(), stack.client(password="wrong")):
            for method in self.METHODS:
                for path in self.PATHS + self.BAD:
                    status, hdrs, body = self.ask(client, method, path)
                    want = 400 if path in self.BAD else 401
                    self.assertEqual(status, want, (method, path, body))
                    self.assertNotIn("set-cookie", hdrs, (method, path))
                    self.assertNotIn("location", hdrs, (method, path))
            # Upgrade from a foreign origin: still 401, not 403.
            status, hdrs, _ = self.ask(client, "GET", "/api/hid/ws", {
                "Origin": FOREIGN, "Upgrade": "websocket",
                "Connection": "Upgrade"})
            self.assertEqual(status, 401)
            self.assertNotIn("set-cookie", hdrs)

    def test_answers_that_depend_on_the_request_alone(self):
        # nginx's own refusals before the password check: the same for
        # every box, and no cookie.
        anon = stack.anonymous()
        status, hdrs, _ = anon.request("TRACE", "/api/gpio/state")
        self.assertEqual(status, 405)
        self.assertNotIn("set-cookie", hdrs)
        status, hdrs, _ = anon.request("POST", "/api/gpio/atx",
                                       b"x" * 100000, {"X-KaputtKVM": "1"})
        self.assertEqual(status, 413)
        self.assertNotIn("set-cookie", hdrs)
        status, hdrs, _ = anon.request("GET", "/api/gpio/" + "x" * 9000)
        self.assertEqual(status, 414)
        self.assertNotIn("set-cookie", hdrs)

    def test_without_the_cookie(self):
        # Counted against the login limit: 401 until it answers 429, and
        # neither sets a cookie.
        codes = set()
        for client in (stack.anonymous(cookie=False),
                       stack.client(password="wrong", cookie=False)):
            for path in ("/api/video", "/api/hid", "/api/media",
                         "/api/gpio", "/api/nothing", "/csrf"):
                for method in ("GET", "KVMPROBE"):
                    status, hdrs, _ = self.ask(client, method, path)
                    codes.add(status)
                    self.assertIn(status, (401, 429), (method, path))
                    self.assertNotIn("set-cookie", hdrs, (method, path))
        self.assertIn(401, codes)

    def test_after_the_password(self):
        # The same prefixes with the password: the daemon's own answer
        # (its root is no route), no redirect; unknown APIs are a JSON 404.
        c = stack.client()
        for path in ("/api/video", "/api/hid", "/api/media", "/api/gpio"):
            status, reply = c.json("GET", path)
            self.assertEqual(status, 404, path)
            self.assertIs(reply["ok"], False, path)
        for path in ("/api/nothing", "/api/"):
            status, reply = c.json("GET", path)
            self.assertEqual(status, 404, path)
            self.assertEqual(reply["error"]["code"], "not_found")
        status, hdrs, _ = c.request("GET", "/api/gpio/state")
        self.assertEqual(status, 200)
        self.assertRegex(hdrs.get("set-cookie", ""),
                         r"^__Host-kvm=[0-9a-f]{32}; Path=/; Secure; "
                         r"HttpOnly; SameSite=Strict")


class CrossSite(unittest.TestCase):
    """Basic auth makes browsers replay credentials: refuse forged writes."""

    @classmethod
    def setUpClass(cls):
        cls.c = stack.client()
        status, _ = cls.c.json("GET", "/api/media/images")
        assert status == 200, status

    def upload(self, name, data=b"x" * 4096):
        status, reply = self.c.json("PUT", "/api/media/images/" + name,
                                    data, {"X-KaputtKVM": "1",
                                           "Origin": stack.origin,
                                           "Content-Type":
                                           "application/octet-stream"})
        self.assertEqual(status, 200, reply)

    def image_names(self):
        status, reply = self.c.json("GET", "/api/media/images")
        self.assertEqual(status, 200, reply)
        result = reply["result"]
        images = result.get("images", result) if isinstance(result, dict) \
            else result
        return sorted(i["name"] if isinstance(i, dict) else i for i in images)

    def assert_refused(self, method, path, body, headers):
        status, reply = self.c.json(method, path, body, headers)
        self.assertEqual(status, 403, (method, path, headers, reply))
        self.assertEqual(reply["error"]["code"], "forbidden")

    def test_delete_refused_without_header_or_with_foreign_origin(self):
        self.upload("csrf-victim.img")
        before = self.image_names()
        self.assertIn("csrf-victim.img", before)
        for headers in ({},                                  # no header
                        {"Origin": stack.origin},             # no header
                        {"X-KaputtKVM": "0"},
                        {"X-KaputtKVM": "1", "Origin": FOREIGN},
                        {"X-KaputtKVM": "1", "Origin": "null"},
                        {"X-KaputtKVM": "1",
                         "Origin": "https://%s.evil.example" % stack.host},
                        {"X-KaputtKVM": "1",
                         "Origin": "http://" + stack.host},   # other scheme
                        {"X-KaputtKVM": "1", "Origin": FOREIGN,
                         "X-Forwarded-Host": "evil.example"}):
            self.assert_refused("DELETE", "/api/media/images/csrf-victim.img",
                                None, headers)
        self.assertEqual(self.image_names(), before)
        # The page's own request does it: the check above could fail.
        status, reply = self.c.write("DELETE",
                                     "/api/media/images/csrf-victim.img")
        self.assertEqual(status, 200, reply)
        self.assertNotIn("csrf-victim.img", self.image_names())

    def test_mount_refused(self):
        self.upload("csrf-mount.img")
        for headers in ({}, {"X-KaputtKVM": "1", "Origin": FOREIGN}):
            self.assert_refused("POST", "/api/media/mount",
                                {"image": "csrf-mount.img"}, headers)
        lun_file = stack.path("media", "lun.0", "file")
        if os.path.exists(lun_file):
            with open(lun_file) as f:
                self.assertEqual(f.read().strip(), "")

    def test_upload_refused_and_nothing_written(self):
        before = self.image_names()
        self.assert_refused("PUT", "/api/media/images/csrf-new.img",
                            b"y" * 1000, {"Origin": FOREIGN,
                                          "X-KaputtKVM": "1"})
        self.assert_refused("PUT", "/api/media/images/csrf-new.img",
                            b"y" * 1000, {})
        self.assertEqual(self.image_names(), before)
        self.assertEqual([n for n in os.listdir(stack.path("media", "images"))
                          if "csrf-new" in n], [])

    def test_keys_refused_and_nothing_typed(self):
        log = stack.path("logs", "hid-reports.log")
        size = os.path.getsize(log)
        for path, body in (("/api/hid/key", {"code": "KeyA", "state": True}),
                           ("/api/hid/paste", {"text": "rm -rf /\n"}),
                           ("/api/gpio/atx", {"action": "off-hard"}),
                           ("/api/gpio/pulse", {"line": "power-button",
                                                "ms": 100})):
            self.assert_refused("POST", path, body, {"Origin": FOREIGN,
                                                     "X-KaputtKVM": "1"})
            self.assert_refused("POST", path, body, {})
        time.sleep(0.3)
        self.assertEqual(os.path.getsize(log), size,
                         "a refused request reached the keyboard")

    def test_safe_methods_need_no_header(self):
        status, reply = self.c.json("GET", "/api/gpio/state")
        self.assertEqual(status, 200, reply)


class WebSocketOrigin(unittest.TestCase):
    # hidd's input and capd's H.264 (issue 17): the same rules
    PATHS = ("/api/hid/ws", "/api/video/h264")

    def test_foreign_origin_refused(self):
        c = stack.client()
        for path in self.PATHS:
            for origin in (FOREIGN, "null", "http://" + stack.host,
                           "https://localhost.evil.example"):
                status, _, sock = c.websocket(path, origin)
                self.assertEqual(status, 403, (path, origin))
                self.assertIsNone(sock)

    def test_own_origin_accepted(self):
        for path in self.PATHS:
            status, hdrs, sock = stack.client().websocket(path, stack.origin)
            self.assertEqual(status, 101, (path, hdrs))
            sock.close()


class Traversal(unittest.TestCase):
    PATHS = ["/api/media/images/..%2f..%2fetc%2fpasswd",
             "/api/media/images/%2e%2e/%2e%2e/etc/passwd",
             "/api/media/images/..%2F..%2Fx",
             "/api/media/images/..%5c..%5cx",
             "/api/media/images/../../../etc/passwd",
             "/api/media/images/../images/x.iso",
             "/api/media/images/%2e./x",
             "/api/media/images/x%00.iso",
             "/api/media/images/a%2fb.iso",
             "/api/media/images/..\\..\\x",
             "/api/media/images/a\\b.iso"]

    def test_traversal_400_and_nothing_created(self):
        c = stack.client()
        for method in ("GET", "PUT", "DELETE"):
            for path in self.PATHS:
                status, _, body = c.request(
                    method, path, b"z" * 100 if method == "PUT" else None,
                    {"X-KaputtKVM": "1", "Origin": stack.origin})
                self.assertEqual(status, 400, (method, path, body))
        for root, dirs, files in os.walk(stack.state):
            self.assertNotIn("passwd", files, root)
        self.assertFalse(os.path.exists(stack.path("media", "x.iso")))

    def test_mediad_sees_bad_names_itself(self):
        # A name that is not a traversal passes nginx; mediad judges it.
        status, reply = stack.client().write(
            "PUT", "/api/media/images/.hidden")
        self.assertEqual(status, 400, reply)
        self.assertIs(reply["ok"], False)


class Bodies(unittest.TestCase):
    def test_upload_streams_big_bodies(self):
        data = os.urandom(1 << 20) * 3
        c = stack.client()
        status, reply = c.json("PUT", "/api/media/images/big.img", data,
                               {"X-KaputtKVM": "1", "Origin": stack.origin,
                                "Content-Type": "application/octet-stream"},
                               timeout=60)
        self.assertEqual(status, 200, reply)
        with open(stack.path("media", "images", "big.img"), "rb") as f:
            self.assertEqual(f.read(), data)
        status, _ = c.write("DELETE", "/api/media/images/big.img")
        self.assertEqual(status, 200)

    def test_paste_may_be_long(self):
        # 100 KB reach hidd (its bound is 1 MiB): it refuses the unknown
        # field, not nginx the size.
        status, reply = stack.client().write(
            "POST", "/api/hid/paste", {"text": "a", "pad": "x" * 100000})
        self.assertEqual(status, 400, reply)
        self.assertIn("pad", reply["error"]["message"])

    def test_other_bodies_small(self):
        status, _, _ = stack.client().request(
            "POST", "/api/gpio/atx", b"{" + b" " * 100000 + b"}",
            {"X-KaputtKVM": "1", "Origin": stack.origin,
             "Content-Type": "application/json"})
        self.assertEqual(status, 413)


class Headers(unittest.TestCase):
    def test_security_headers(self):
        c = stack.client()
        for path in ("/", "/api/gpio/state", "/nothing-here",
                     "/api/media/images/no-such.img"):
            status, hdrs, _ = c.request("GET", path)
            # "/" is 403 until www/ has an index.html.
            self.assertIn(status, (200, 403, 404), path)
            self.assertIn("max-age=", hdrs.get("strict-transport-security",
                                               ""))
            csp = hdrs.get("content-security-policy", "")
            self.assertIn("frame-ancestors 'none'", csp)
            # 'self' for the page and the API; 'none' on nginx's own
            # error answers (JSON, nothing to load).
            self.assertRegex(csp, r"default-src '(self|none)'")
            self.assertEqual(hdrs.get("x-content-type-options"), "nosniff")
            self.assertEqual(hdrs.get("x-frame-options"), "DENY")
            self.assertEqual(hdrs.get("referrer-policy"), "no-referrer")
            self.assertNotIn("nginx/", hdrs.get("server", ""))


class Redfish(unittest.TestCase):
    """/redfish without a login: the service root, the version document,
    $metadata and the OData document (static, the same on every
    KaputtKVM) answer GET and HEAD; the login answers a POST with
    redfishd's 401 for a wrong password; everything else is nginx's 401
    without credentials, with a wrong password or a forged token, and
    no answer sets a cookie."""

    PUBLIC = ["/redfish", "/redfish/", "/redfish/v1", "/redfish/v1/",
              "/redfish/v1/$metadata", "/redfish/v1/odata"]
    PRIVATE = ["/redfish/v1/Systems", "/redfish/v1/Systems/1",
               "/redfish/v1/Systems/1/", "/redfish/v1//Systems",
               "/redfish/v1/Managers/1", "/redfish/v1/Chassis/1",
               "/redfish/v1/SessionService",
               "/redfish/v1/SessionService/Sessions/0123456789abcdef",
               "/redfish/v1/SessionService/Sessions/",
               "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset",
               "/redfish/v1/$metadata/", "/redfish/v1/odata/x",
               "/redfish/v2", "/redfishx", "/redfish/v1/nothing",
               "/auth/token", "/_kvm/redfish-token", "/redfish-token"]
    BAD = ["/_kvm/../redfish-token", "/_kvm/../redfish-login",
           "/redfish/../auth/token", "/redfish/v1/..%2f..%2fauth/token"]
    METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]

    def clients(self):
        stack.client().request("GET", "/api/gpio/state")
        self.assertTrue(stack.cookie)
        forged = {"X-Auth-Token": "ab" * 32}
        return [(stack.anonymous(), {}), (stack.client(password="wrong"), {}),
                (stack.anonymous(), forged)]

    def ask(self, client, method, path, extra):
        headers = {"Origin": stack.origin,
                   "Content-Type": "application/json"}
        headers.update(extra)
        return client.request(method, path,
                              None if method in ("GET", "HEAD") else b"{}",
                              headers)

    def test_only_what_the_specification_allows(self):
        for client, extra in self.clients():
            for method in self.METHODS:
                for path in self.PRIVATE + self.BAD + [
                        "/redfish/v1/SessionService/Sessions"]:
                    if method == "POST" and path.startswith(
                            "/redfish/v1/SessionService/Sessions"):
                        continue
                    status, hdrs, body = self.ask(client, method, path,
                                                  extra)
                    want = 400 if path in self.BAD else 401
                    self.assertEqual(status, want, (method, path, body))
                    self.assertNotIn("set-cookie", hdrs, (method, path))
                for path in self.PUBLIC:
                    status, hdrs, body = self.ask(client, method, path,
                                                  extra)
                    self.assertEqual(status, 200 if method in (
                        "GET", "HEAD") else 405, (method, path, body))
                    self.assertNotIn("set-cookie", hdrs, (method, path))

    def test_login_checks_its_password(self):
        for client, extra in self.clients():
            # {}: no UserName, redfishd's 400
            status, hdrs, body = self.ask(
                client, "POST", "/redfish/v1/SessionService/Sessions", extra)
            self.assertEqual(status, 400, body)
            self.assertIn(b"PropertyMissing", body)
            status, hdrs, body = client.request(
                "POST", "/redfish/v1/SessionService/Sessions",
                {"UserName": stack.info["user"], "Password": "wrong"},
                dict(extra, Origin=stack.origin))
            self.assertEqual(status, 401, body)
            self.assertIn(b"ResourceAtUriUnauthorized", body)
            self.assertNotIn("x-auth-token", hdrs)
            self.assertNotIn("set-cookie", hdrs)


if __name__ == "__main__":
    kvmtest.main()     # exits 77 when all were skipped
