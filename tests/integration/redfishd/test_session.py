"""redfishd's SessionService on its own socket (no nginx; the tests
through nginx are test_nginx.py): logins checked against an htpasswd file
of SHA-512 crypt hashes (written with openssl passwd -6, as
kaputtkvm-passwd does), the login body's errors, GET /auth/token (nginx's
auth_request), the bound on sessions, idle expiry, every session ended by
a new password file, the cross-site checks
(JSON Content-Type, Origin), a password file redfishd cannot read, and a
hash whose rounds would stall the loop.  Also the time one login's crypt
takes (printed)."""

import json
import os
import subprocess
import tempfile
import time
import unittest

import kvmtest
from kvmtest.http import request

SESSIONS = "/redfish/v1/SessionService/Sessions"
JSON = {"Content-Type": "application/json"}
PASSWORD = "correct horse"


def sha512_crypt(password, extra=()):
    return subprocess.run(["openssl", "passwd", "-6"] + list(extra) +
                          ["-stdin"], input=password + "\n", text=True,
                          capture_output=True, check=True).stdout.strip()


class SessionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="kvmtest-rfsess-")
        cls.htpasswd = os.path.join(cls.tmp, "htpasswd")
        with open(cls.htpasswd, "w") as f:
            f.write("admin:%s\n" % sha512_crypt(PASSWORD))
            f.write("slow:$6$rounds=999999999$abcdefgh$%s\n" % ("x" * 86))
        cls.d = kvmtest.Daemon("redfishd", args=[
            "--htpasswd", cls.htpasswd, "--max-sessions", "2",
            "--session-timeout", "2", "--gpiod-socket",
            os.path.join(cls.tmp, "none.sock")]).start()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.cleanup()

    def tearDown(self):
        for s in self.members():
            request(self.d.socket, "DELETE", s)

    def post(self, body, headers=JSON, path=SESSIONS):
        status, hdrs, data = request(self.d.socket, "POST", path,
                                     body if isinstance(body, str)
                                     else json.dumps(body), headers)
        return status, hdrs, json.loads(data) if data else None

    def login(self, user="admin", password=PASSWORD):
        return self.post({"UserName": user, "Password": password})

    def members(self):
        status, _, data = request(self.d.socket, "GET", SESSIONS)
        self.assertEqual(status, 200)
        return [m["@odata.id"] for m in json.loads(data)["Members"]]

    def token_ok(self, token):
        status, _, _ = request(self.d.socket, "GET", "/auth/token",
                               headers={"X-Auth-Token": token})
        self.assertIn(status, (204, 401))
        return status == 204

    def message_id(self, body):
        return body["error"]["@Message.ExtendedInfo"][0]["MessageId"]

    def test_login_token_logout(self):
        t = time.monotonic()
        status, hdrs, body = self.login()
        took = time.monotonic() - t
        print("a login (SHA-512 crypt, 5000 rounds) took %.1f ms" %
              (took * 1e3))
        self.assertEqual(status, 201, body)
        token = hdrs["x-auth-token"]
        self.assertEqual(hdrs["location"], body["@odata.id"])
        self.assertEqual(self.members(), [body["@odata.id"]])
        self.assertTrue(self.token_ok(token))
        self.assertFalse(self.token_ok(token[::-1]))
        self.assertFalse(self.token_ok(""))
        status, _, data = request(self.d.socket, "GET", "/auth/token")
        self.assertEqual(status, 401)
        status, _, _ = request(self.d.socket, "DELETE", body["@odata.id"])
        self.assertEqual(status, 204)
        self.assertFalse(self.token_ok(token))
        status, _, data = request(self.d.socket, "DELETE", body["@odata.id"])
        self.assertEqual(status, 404)
        self.assertEqual(self.message_id(json.loads(data)),
                         "Base.1.8.ResourceMissingAtURI")

    def test_a_new_password_file_ends_every_session(self):
        a, b = self.login(), self.login()
        self.assertTrue(self.token_ok(a[1]["x-auth-token"]))
        # as kaputtkvm-passwd writes it: a new file renamed over the old
        with open(self.htpasswd) as f:
            text = f.read()
        with open(self.htpasswd + ".new", "w") as f:
            f.write(text)
        os.rename(self.htpasswd + ".new", self.htpasswd)
        self.assertFalse(self.token_ok(a[1]["x-auth-token"]))
        self.assertFalse(self.token_ok(b[1]["x-auth-token"]))
        self.assertEqual(self.members(), [])
        self.assertIn("changed: every session ends", self.d.log())
        c = self.login()
        self.assertEqual(c[0], 201)
        self.assertTrue(self.token_ok(c[1]["x-auth-token"]))

    def state(self):
        status, _, data = request(self.d.socket, "GET", "/state")
        self.assertEqual(status, 200)
        return json.loads(data)["result"]

    def test_state_and_metrics(self):
        before = self.state()
        self.assertEqual((before["sessions"], before["max_sessions"],
                          before["session_timeout"]), (0, 2, 2))
        self.login()
        self.login(password="wrong")
        after = self.state()
        self.assertEqual(after["sessions"], 1)
        self.assertEqual(after["logins"], before["logins"] + 1)
        self.assertEqual(after["logins_refused"],
                         before["logins_refused"] + 1)
        status, _, text = request(self.d.socket, "GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertIn(b"\nkaputtkvm_redfishd_sessions 1\n", text)
        self.assertIn(b"kaputtkvm_redfishd_logins_refused_total ", text)

    def test_wrong_and_unknown(self):
        for user, password in [("admin", "wrong"), ("nobody", PASSWORD),
                               ("admin", PASSWORD + " "), ("admin", ""),
                               ("slow", "x")]:
            t = time.monotonic()
            status, hdrs, body = self.login(user, password)
            self.assertEqual(status, 401, (user, body))
            # the 999999999 rounds are refused, not run
            self.assertLess(time.monotonic() - t, 2)
            self.assertEqual(self.message_id(body),
                             "Base.1.8.ResourceAtUriUnauthorized")
            self.assertNotIn("x-auth-token", hdrs)
        self.assertIn("999999999 rounds", self.d.log())
        self.assertEqual(self.members(), [])

    def test_bad_bodies(self):
        for body, mid in [("{", "MalformedJSON"), ("[]", "MalformedJSON"),
                          ({"UserName": "admin"}, "PropertyMissing"),
                          ({"Password": "x"}, "PropertyMissing"),
                          ({"UserName": 1, "Password": "x"},
                           "PropertyValueTypeError"),
                          ({"UserName": "admin", "Password": PASSWORD,
                            "Role": "x"}, "PropertyUnknown"),
                          ({"UserName": "a:b", "Password": "x"},
                           "PropertyValueFormatError"),
                          ({"UserName": "a" * 33, "Password": "x"},
                           "PropertyValueFormatError"),
                          ({"UserName": "admin", "Password": "x" * 257},
                           "PropertyValueFormatError"),
                          ('{"UserName": "admin", "UserName": "admin", '
                           '"Password": "x"}', "MalformedJSON")]:
            status, hdrs, reply = self.post(body)
            self.assertEqual(status, 400, body)
            self.assertEqual(self.message_id(reply), "Base.1.8." + mid, body)
        self.assertEqual(self.members(), [])

    def test_cross_site(self):
        body = {"UserName": "admin", "Password": PASSWORD}
        for headers, want in [
                ({}, 415), ({"Content-Type": "text/plain"}, 415),
                ({"Content-Type": "application/jsonx"}, 415),
                (dict(JSON, Origin="https://evil.example",
                      **{"X-Forwarded-Host": "kvm.example"}), 403),
                (dict(JSON, Origin="null",
                      **{"X-Forwarded-Host": "kvm.example"}), 403)]:
            status, _, reply = self.post(body, headers)
            self.assertEqual(status, want, (headers, reply))
        self.assertEqual(self.members(), [])
        status, _, reply = self.post(body, {
            "Content-Type": "Application/JSON; charset=utf-8",
            "Origin": "https://kvm.example", "X-Forwarded-Host":
            "kvm.example"})
        self.assertEqual(status, 201, reply)

    def test_bounded_and_expiring(self):
        a = self.login()
        b = self.login()
        self.assertEqual((a[0], b[0]), (201, 201))
        status, _, body = self.login()
        self.assertEqual(status, 503, body)
        self.assertEqual(self.message_id(body),
                         "Base.1.8.SessionLimitExceeded")
        request(self.d.socket, "DELETE", a[2]["@odata.id"])
        c = self.login()
        self.assertEqual(c[0], 201)
        status, _, data = request(self.d.socket, "GET",
                                  "/redfish/v1/SessionService")
        self.assertEqual(json.loads(data)["SessionTimeout"], 2)
        # b in use every second lives on; c, idle, ends after 2 s.
        for _ in range(3):
            time.sleep(1)
            self.assertTrue(self.token_ok(b[1]["x-auth-token"]))
        self.assertFalse(self.token_ok(c[1]["x-auth-token"]))
        self.assertEqual(self.members(), [b[2]["@odata.id"]])

    def test_methods_and_paths(self):
        for method, path, status in [
                ("POST", "/redfish/v1/SessionService", 405),
                ("PATCH", SESSIONS, 405), ("PUT", SESSIONS + "/x", 404),
                ("GET", SESSIONS + "/nope", 404),
                ("GET", SESSIONS + "/a/b", 404),
                ("GET", "/redfish/v1/SessionService/Other", 404),
                ("GET", "/redfish/v1/SessionServiceX", 404),
                ("GET", "/redfish/v1/SessionService/", 200)]:
            got, hdrs, _ = request(self.d.socket, method, path, "{}", JSON)
            self.assertEqual(got, status, (method, path))
            if status == 405:
                self.assertIn("allow", hdrs)
        live = self.login()[2]["@odata.id"]
        got, hdrs, _ = request(self.d.socket, "PUT", live, "{}", JSON)
        self.assertEqual((got, hdrs.get("allow")), (405, "GET, HEAD, DELETE"))

    def test_unreadable_password_file(self):
        d = kvmtest.Daemon("redfishd", args=[
            "--htpasswd", os.path.join(self.tmp, "missing")]).start()
        try:
            status, _, data = request(d.socket, "POST", SESSIONS, json.dumps(
                {"UserName": "admin", "Password": "x"}), JSON)
            self.assertEqual(status, 503)
            self.assertIn("password file", json.loads(data)["error"][
                "message"])
        finally:
            d.stop()
            d.cleanup()


if __name__ == "__main__":
    kvmtest.main()
