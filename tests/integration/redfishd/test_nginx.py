"""redfishd behind the project's real nginx (the demo stack: TLS, basic
auth, the site config nginx/kaputtkvm.conf.in, gpiod-ctl on its test
backend, a stand-in for the GPIO chip): the service root without login,
everything else with basic auth or a session's X-Auth-Token, the
SessionService's login, use, logout and idle expiry (redfishd's
SessionTimeout shortened to 3 s by scripts/demo --redfish-session-timeout),
forged tokens, the cross-site checks, the login limit (no more guesses
with a token header; a session's requests not starved), and sushy
(python3-sushy, Ironic's library) with its default session auth doing a
power action that reaches gpiod-ctl.  Skipped (77) without nginx."""

import base64
import http.client
import json
import os
import re
import secrets
import time
import unittest

from kvmtest.sushyclient import sushy  # first: it may exec the system Python
import kvmtest
from kvmtest import demostack
from kvmtest.http import json_request

ROOT = "/redfish/v1"
SESSIONS = ROOT + "/SessionService/Sessions"
RESET = ROOT + "/Systems/1/Actions/ComputerSystem.Reset"
TIMEOUT = 3
stack = None

setUpModule, tearDownModule = demostack.module_fixtures(
    __name__, ["--redfish-session-timeout", str(TIMEOUT)])


def request(method, path, body=None, headers=None, source="127.0.0.1",
            user=None, password=None):
    """One HTTPS request to the stack from the address source (a loopback
    address of its own has a login limit of its own); (status, lower-cased
    headers, parsed JSON or the raw bytes)."""
    conn = http.client.HTTPSConnection(
        "127.0.0.1", stack.port, timeout=10, source_address=(source, 0),
        context=demostack.tls_context())
    h = {"Host": stack.host}
    if user is not None:
        h["Authorization"] = "Basic " + base64.b64encode(
            ("%s:%s" % (user, password)).encode()).decode()
    if isinstance(body, dict):
        body = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    h.update(headers or {})
    try:
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        data = resp.read()
        hdrs = {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()
    try:
        return resp.status, hdrs, json.loads(data)
    except ValueError:
        return resp.status, hdrs, data


def login(password=None, source="127.0.0.1", headers=None):
    return request("POST", SESSIONS, {
        "UserName": stack.info["user"],
        "Password": stack.info["password"] if password is None
        else password}, headers, source)


def token_get(token, path, source="127.0.0.1"):
    return request("GET", path, headers={"X-Auth-Token": token},
                   source=source)


def gpiod(method, path, body=None):
    status, reply = json_request(stack.info["sockets"]["gpiod-ctl"], method,
                                 path, body)
    assert status == 200, (path, reply)
    return reply["result"]


def browser_cookie():
    """The logged-in browsers' cookie (it exempts from the login limit,
    and is no login): nginx sets it on a non-Redfish answer."""
    if not stack.cookie:
        stack.client().request("GET", "/api/gpio/state")
    return stack.cookie


def message_id(body):
    return body["error"]["@Message.ExtendedInfo"][0]["MessageId"]


class Anonymous(unittest.TestCase):
    def test_service_root_without_login(self):
        for path in ["/redfish", ROOT, ROOT + "/", ROOT + "/$metadata",
                     ROOT + "/odata"]:
            status, hdrs, body = request("GET", path, source="127.0.0.2")
            self.assertEqual(status, 200, (path, body))
            self.assertNotIn("set-cookie", hdrs)
        body = request("GET", ROOT, source="127.0.0.2")[2]
        self.assertEqual(body["Links"]["Sessions"]["@odata.id"], SESSIONS)

    def test_everything_else_needs_login(self):
        for method, path in [("GET", ROOT + "/Systems"),
                             ("GET", ROOT + "/Systems/1"),
                             ("GET", ROOT + "/SessionService"),
                             ("GET", SESSIONS),
                             ("DELETE", SESSIONS + "/0123456789abcdef"),
                             ("POST", RESET), ("PATCH", ROOT + "/Systems/1")]:
            status, hdrs, body = request(method, path, {}, source="127.0.0.2")
            self.assertEqual(status, 401, (method, path, body))
            self.assertIn("basic", hdrs.get("www-authenticate", "").lower())

    def test_nginx_errors_in_redfish_format(self):
        """nginx's own 401 on a Redfish URL is Redfish's error object
        (what sushy and Ansible read), on the API the API's; both keep
        the basic-auth challenge."""
        status, hdrs, body = request("GET", ROOT + "/Systems/1",
                                     source="127.0.0.2")
        self.assertEqual(status, 401)
        self.assertIn("basic", hdrs.get("www-authenticate", "").lower())
        self.assertEqual(hdrs.get("content-type"), "application/json")
        self.assertEqual(body["error"]["code"], "Base.1.8.NoValidSession")
        self.assertEqual(message_id(body), "Base.1.8.NoValidSession")
        self.assertIn("X-Auth-Token", body["error"]["message"])
        self.assertNotIn("ok", body)
        status, hdrs, body = request("GET", "/api/gpio/state",
                                     source="127.0.0.2")
        self.assertEqual(status, 401)
        self.assertIn("basic", hdrs.get("www-authenticate", "").lower())
        self.assertEqual(body["ok"], False)
        self.assertEqual(body["error"]["code"], "unauthorized")

    def test_daemon_gone_502_in_each_format(self):
        """A daemon's socket that nobody answers on: nginx's 502 says so,
        for Redfish in Redfish's format, for the API in the API's."""
        auth = {"user": stack.info["user"],
                "password": stack.info["password"]}
        for name, path, check in [
                ("redfishd", ROOT + "/Systems/1",
                 lambda b: message_id(b) == "Base.1.8.GeneralError"
                 and "redfishd" in b["error"]["message"]),
                ("gpiod-ctl", "/api/gpio/state",
                 lambda b: b["ok"] is False
                 and b["error"]["code"] == "unavailable")]:
            sock = stack.info["sockets"][name]
            os.rename(sock, sock + ".away")
            try:
                status, hdrs, body = request("GET", path, source="127.0.0.2",
                                             **auth)
            finally:
                os.rename(sock + ".away", sock)
            self.assertEqual(status, 502, (name, body))
            self.assertEqual(hdrs.get("content-type"), "application/json")
            self.assertTrue(check(body), (name, body))
            self.assertEqual(request("GET", path, source="127.0.0.2",
                                     **auth)[0], 200, name)

    def test_basic_auth(self):
        status, hdrs, body = request("GET", ROOT + "/Systems/1",
                                     source="127.0.0.2",
                                     user=stack.info["user"],
                                     password=stack.info["password"])
        self.assertEqual(status, 200, body)
        self.assertEqual(body["Id"], "1")
        # Redfish answers never hand out the browsers' cookie.
        self.assertNotIn("set-cookie", hdrs)
        status = request("GET", ROOT + "/Systems/1", source="127.0.0.2",
                         user=stack.info["user"], password="wrong")[0]
        self.assertEqual(status, 401)


class Sessions(unittest.TestCase):
    def test_login_use_logout(self):
        status, hdrs, body = login()
        self.assertEqual(status, 201, body)
        token = hdrs["x-auth-token"]
        self.assertRegex(token, "^[0-9a-f]{64}$")
        self.assertEqual(hdrs["location"], body["@odata.id"])
        self.assertTrue(hdrs["location"].startswith(SESSIONS + "/"))
        self.assertEqual(body["UserName"], stack.info["user"])
        self.assertIsNone(body["Password"])
        self.assertNotIn(token, json.dumps(body))
        self.assertNotIn("set-cookie", hdrs)

        status, hdrs, system = token_get(token, ROOT + "/Systems/1")
        self.assertEqual(status, 200, system)
        self.assertNotIn("set-cookie", hdrs)
        status, _, coll = token_get(token, SESSIONS)
        self.assertEqual(status, 200, coll)
        self.assertIn({"@odata.id": body["@odata.id"]}, coll["Members"])
        self.assertEqual(token_get(token, body["@odata.id"])[2]["Id"],
                         body["Id"])

        status, _, _ = request("DELETE", body["@odata.id"],
                               headers={"X-Auth-Token": token})
        self.assertEqual(status, 204)
        self.assertEqual(token_get(token, ROOT + "/Systems/1")[0], 401)
        # The basic-auth view agrees: the session is gone.
        status, _, coll = request("GET", SESSIONS, user=stack.info["user"],
                                  password=stack.info["password"],
                                  headers={"Cookie": browser_cookie()})
        self.assertEqual(status, 200, coll)
        self.assertNotIn({"@odata.id": body["@odata.id"]}, coll["Members"])

    def test_wrong_password(self):
        status, hdrs, body = login("not-the-password")
        self.assertEqual(status, 401, body)
        self.assertTrue(message_id(body).endswith(
            ".ResourceAtUriUnauthorized"), body)
        self.assertIn("password", body["error"]["message"])
        self.assertNotIn("x-auth-token", hdrs)
        status, _, body = request("POST", SESSIONS, {"UserName": "admin"})
        self.assertEqual(status, 400)
        self.assertTrue(message_id(body).endswith(".PropertyMissing"))

    def test_forged_tokens_refused(self):
        status, hdrs, body = login()
        self.assertEqual(status, 201, body)
        real = hdrs["x-auth-token"]
        other = "0" if real[0] != "0" else "1"
        for token in [secrets.token_hex(32), other + real[1:],
                      real[:-1], real + "0", real.upper(), "x" + real[1:],
                      ""]:
            self.assertEqual(token_get(token, ROOT + "/Systems")[0], 401,
                             token)
        self.assertEqual(token_get(real, ROOT + "/Systems")[0], 200)

    def test_idle_expiry(self):
        status, hdrs, body = login()
        self.assertEqual(status, 201, body)
        token = hdrs["x-auth-token"]
        status, _, service = token_get(token, ROOT + "/SessionService")
        self.assertEqual(service["SessionTimeout"], TIMEOUT)
        # In use (each gap below the timeout): it lives on past it.
        for _ in range(3):
            time.sleep(TIMEOUT * 0.6)
            self.assertEqual(token_get(token, ROOT + "/Systems")[0], 200)
        time.sleep(TIMEOUT + 0.5)
        self.assertEqual(token_get(token, ROOT + "/Systems")[0], 401)


class CrossSite(unittest.TestCase):
    """Redfish clients send no X-KaputtKVM header: redfishd refuses a
    changing request with a foreign Origin, and a POST or PATCH whose
    Content-Type is not JSON (what a page on another site can send
    without a CORS preflight).  Nothing is pressed."""

    def presses(self):
        return len(gpiod("GET", "/test/history?line=power-button")[
            "samples"])

    def test_refused_and_nothing_pressed(self):
        status, hdrs, _ = login()
        token = hdrs["x-auth-token"]
        body = json.dumps({"ResetType": "PushPowerButton"}).encode()
        before = self.presses()
        for extra, want in [
                ({"Content-Type": "text/plain"}, 415),
                ({"Content-Type": "application/x-www-form-urlencoded"}, 415),
                ({"Content-Type": "application/json",
                  "Origin": "https://evil.example"}, 403)]:
            for auth in ({"X-Auth-Token": token}, {
                    "Cookie": browser_cookie(),
                    "Authorization": stack.client().auth_header()[
                        "Authorization"]}):
                h = dict(extra, **auth)
                status, _, reply = request("POST", RESET, body, h)
                self.assertEqual(status, want, (extra, reply))
        self.assertEqual(self.presses(), before)
        status, _, reply = request("POST", RESET, body, {
            "Content-Type": "application/json", "X-Auth-Token": token,
            "Origin": stack.origin})
        self.assertEqual(status, 204, reply)
        self.assertGreater(self.presses(), before)


class ZLoginLimit(unittest.TestCase):
    """Last: it spends the login limit of 127.0.0.3 (and part of the
    global one)."""

    def test_limit_and_token_not_starved(self):
        status, hdrs, _ = login()
        token = hdrs["x-auth-token"]
        src = "127.0.0.3"
        tries = 0
        # Every other guess with a (real) token: it buys no extra guesses.
        while tries < 60:
            extra = {"X-Auth-Token": token} if tries % 2 else None
            status, hdrs, body = login("wrong-%d" % tries, src, extra)
            if status == 429:
                break
            self.assertEqual(status, 401, body)
            tries += 1
        self.assertEqual(status, 429)
        self.assertIn(tries, range(19, 24))
        self.assertEqual(message_id(body), "Base.1.8.GeneralError")
        self.assertEqual(hdrs.get("retry-after"), "2")
        # Now the right password from there is refused too,
        self.assertEqual(login(None, src)[0], 429)
        # and so is basic auth, token or not,
        self.assertEqual(request("GET", ROOT + "/Systems", source=src,
                                 user=stack.info["user"],
                                 password=stack.info["password"],
                                 headers={"X-Auth-Token": token})[0], 429)
        # while the session's requests from the same address go through.
        for _ in range(30):
            self.assertEqual(token_get(token, ROOT + "/Systems", src)[0], 200)


@unittest.skipIf(sushy is None, "python3-sushy is not installed")
class Sushy(unittest.TestCase):
    """sushy with its default authentication (a session first, basic
    auth only if that fails) through nginx and TLS."""

    def test_power_on_through_a_session(self):
        gpiod("POST", "/test/input", {"line": "power-led", "value": 0})
        # TLS verified against the demo's self-signed certificate (for
        # 127.0.0.1 too); sushy reads the public service root with plain
        # requests, which takes the CA from the environment.
        cert = stack.path("tls", "cert.pem")
        os.environ["REQUESTS_CA_BUNDLE"] = cert
        root = sushy.Sushy("https://127.0.0.1:%d/redfish/v1" % stack.port,
                           username=stack.info["user"],
                           password=stack.info["password"], verify=cert)
        system = root.get_system(ROOT + "/Systems/1")
        deadline = time.monotonic() + 3
        while system.power_state != sushy.PowerState.OFF and \
                time.monotonic() < deadline:
            time.sleep(0.05)
            system.refresh()
        self.assertEqual(system.power_state, sushy.PowerState.OFF)
        # It logged in: its token is a live session's.
        key = root._auth.get_session_key()
        self.assertRegex(key or "", "^[0-9a-f]{64}$")
        self.assertEqual(token_get(key, ROOT + "/Systems")[0], 200)
        # More than the login limit's burst: a session is not limited.
        for _ in range(25):
            system.refresh()
        system.reset_system(sushy.ResetType.ON)
        self.assertEqual(gpiod("GET", "/state")["atx"]["last_action"][
            "action"], "on")
        log = stack.log("redfishd")
        self.assertTrue(re.search(r"session [0-9a-f]{16} of %s" %
                                  stack.info["user"], log), log[-2000:])


if __name__ == "__main__":
    kvmtest.main()
