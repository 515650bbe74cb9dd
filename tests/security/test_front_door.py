"""The front door's login limits from many addresses, what nginx forwards to
the daemons, and the port-80 redirect: nginx/kaputtkvm.conf.in rendered
here, run by a real nginx in a network namespace of this test's own.

The test re-runs itself under `unshare --net`: a fresh namespace whose
loopback carries 127.0.0.1/8 and the IPv6 addresses below, so requests
really come from several IPv4 addresses, from several IPv6 addresses in one
/64 and from several /64s -- all on this machine, nothing leaves it, and
every port is free.  Where no namespace can be made, the IPv4 cases run on
this machine's loopback (free ports, 127.0.0.1 only) and the IPv6 ones are
skipped, saying why.  Behind nginx, stand-in daemons (Python, on the UNIX
sockets where capd, hidd, mediad and gpiod-ctl would listen) record every
request they get and answer 200 with the JSON envelope; the front door is
the real site with the real kaputtkvm-passwd files.

What it shows (and prints, as figures):
- one address gets 21 tries, then 429; one /64 gets 21 in all however
  many addresses it uses; many addresses or /64s get 41 in all (the global
  ceiling), then 429; an address that hammers on after its 429s spends
  nothing of the global ceiling; on a dual-stack socket IPv4 clients are
  still apart;
- a logged-in browser (its cookie and the right password) never meets a
  429 while that goes on; the cookie with a wrong password is no login;
- no daemon ever sees the Cookie or the Authorization header;
- port 80 redirects to the HTTPS port, keeping it when it is not 443.
Each loop is bounded (at most a few hundred requests, a few seconds).
"""

import base64
import http.client
import json
import os
import re
import shutil
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler

import kvmtest

BUILD_ROOT = os.environ.get("KVM_BUILD_ROOT", "build")
SOURCE_ROOT = os.environ.get("KVM_SOURCE_ROOT", ".")
TEMPLATE = os.path.join(SOURCE_ROOT, "nginx", "kaputtkvm.conf.in")
PASSWD = os.path.join(SOURCE_ROOT, "nginx", "kaputtkvm-passwd.in")
DAEMONS = ["capd", "hidd", "mediad", "gpiod-ctl", "redfishd"]
USER, PASSWORD = "admin", "the right password"

# One /64 with several addresses, and several /64s (unique local, fd00::/8).
SAME_64 = ["fd00:1::%x" % i for i in range(0x10, 0x18)]
OTHER_64S = ["fd00:%x::10" % i for i in range(2, 10)]
SERVER6 = "fd00:1::1"
IPV4S = ["127.0.0.%d" % i for i in range(2, 10)]


def in_own_netns():
    """Re-runs this file in a network namespace of its own, once."""
    if os.environ.get("KVM_FRONT_DOOR_NETNS") == "1":
        return
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return
    argv = ["unshare", "--net"]
    if os.geteuid() != 0:
        argv.append("--map-root-user")
    if subprocess.run(argv + ["true"], capture_output=True).returncode != 0:
        return
    env = dict(os.environ, KVM_FRONT_DOOR_NETNS="1")
    os.execvpe(argv[0], argv + [sys.executable, os.path.abspath(__file__)] +
               sys.argv[1:], env)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def setup_loopback():
    """lo up with our IPv6 addresses; the reason when it cannot be."""
    if os.environ.get("KVM_FRONT_DOOR_NETNS") != "1":
        return "no network namespace of its own (unshare --net needs root " \
            "or user namespaces, and ip from iproute2)"
    cmds = [["ip", "link", "set", "lo", "up"]]
    for a in [SERVER6] + SAME_64 + OTHER_64S + ["fd00:ff::10"]:
        cmds.append(["ip", "-6", "addr", "add", a + "/64", "dev", "lo",
                     "nodad"])
    for c in cmds:
        r = subprocess.run(c, capture_output=True, text=True)
        if r.returncode != 0:
            return "%s: %s" % (" ".join(c), r.stderr.strip())
    return None


class Recorder(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """A stand-in daemon: records (method, path, headers), answers 200."""
    daemon_threads = True

    def __init__(self, path, seen):
        self.seen = seen
        super().__init__(path, RecorderHandler)


class RecorderHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle_one(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        self.server.seen.append((self.command, self.path,
                                 {k.lower(): v for k, v in
                                  self.headers.items()}))
        body = b'{"ok": true, "result": {}}\n'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(body)
            except BrokenPipeError:
                pass  # nginx reads only the head of an auth subrequest's

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_one

    def address_string(self):
        return "unix"

    def log_message(self, fmt, *args):
        pass


def tls_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def basic(user, password):
    return "Basic " + base64.b64encode(
        ("%s:%s" % (user, password)).encode()).decode()


class FrontDoor:
    """The site template rendered for a private nginx in tmp, listening on
    127.0.0.1 and [SERVER6]; port 80's server on its own port."""

    # In the namespace every port is free; outside, free ones on 127.0.0.1.
    HTTPS, HTTP = 8443, 8080
    IPV6 = True

    def https_port_line(self):
        """listen-http.conf's set line for the port the redirect names."""
        port = "" if self.redirect_port == 443 else ":%d" % self.redirect_port
        return 'set $kvm_https_port "%s";' % port

    def __init__(self, https_port_in_redirect=None, dual_stack=False):
        self.dual_stack = dual_stack
        self.tmp = tempfile.mkdtemp(prefix="kvm-door-")
        self.seen = []
        self.servers = []
        self.proc = None
        self.redirect_port = https_port_in_redirect or self.HTTPS
        os.chmod(self.tmp, 0o755)
        for d in ("run", "tls", "tmp"):
            os.makedirs(self.path(d))

    def path(self, *p):
        return os.path.join(self.tmp, *p)

    def start(self):
        r = subprocess.run(
            ["sh", PASSWD, "--stdin", "--user", USER, "--no-reload",
             "--file", self.path("htpasswd"), "--secret-file",
             self.path("secret.conf"), "--group", str(os.getgid())],
            input=PASSWORD + "\n", capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
             "-subj", "/CN=localhost", "-keyout", self.path("tls", "key.pem"),
             "-out", self.path("tls", "cert.pem")],
            check=True, capture_output=True)
        for name in DAEMONS:
            srv = Recorder(self.path("run", name + ".sock"), self.seen)
            threading.Thread(target=srv.serve_forever, daemon=True).start()
            self.servers.append(srv)
        with open(TEMPLATE) as f:
            site = f.read()
        values = {
            "SOCKDIR": self.path("run"),
            "WWWDIR": os.path.join(SOURCE_ROOT, "www"),
            "CERT": self.path("tls", "cert.pem"),
            "KEY": self.path("tls", "key.pem"),
            "HTPASSWD": self.path("htpasswd"),
            "SECRET_CONF": self.path("secret.conf"),
            # What listen-http.conf holds: the listen lines and the HTTPS
            # port the redirect names ("" for 443).
            "HTTP_LISTEN": "listen %d;\n\tlisten [::]:%d;\n\t%s"
                           % (self.HTTP, self.HTTP, self.https_port_line()),
            "HTTPS_LISTEN": "listen 127.0.0.1:%d ssl;\n\tlisten [::]:%d ssl;"
                            % (self.HTTPS, self.HTTPS),
        }
        if self.dual_stack:
            # One socket for both: IPv4 clients arrive as ::ffff:a.b.c.d.
            values["HTTPS_LISTEN"] = "listen [::]:%d ssl ipv6only=off;" \
                % self.HTTPS
        if not self.IPV6:
            # This machine's own network: loopback only.
            values["HTTP_LISTEN"] = "listen 127.0.0.1:%d;\n\t%s" \
                % (self.HTTP, self.https_port_line())
            values["HTTPS_LISTEN"] = "listen 127.0.0.1:%d ssl;" % self.HTTPS
        for k, v in values.items():
            site = site.replace("@%s@" % k, v)
        left = re.findall(r"@[A-Z_]+@", site)
        assert not left, "placeholders this test does not know: %s" % left
        with open(self.path("site.conf"), "w") as f:
            f.write(site)
        user = "user root root;\n" if os.geteuid() == 0 else ""
        with open(self.path("nginx.conf"), "w") as f:
            f.write("""\
%(user)sdaemon off;
worker_processes 1;
pid %(tmp)s/nginx.pid;
error_log %(tmp)s/error.log notice;
events { worker_connections 256; }
http {
	include /etc/nginx/mime.types;
	access_log %(tmp)s/access.log;
	client_body_temp_path %(tmp)s/tmp/body;
	proxy_temp_path %(tmp)s/tmp/proxy;
	fastcgi_temp_path %(tmp)s/tmp/fastcgi;
	uwsgi_temp_path %(tmp)s/tmp/uwsgi;
	scgi_temp_path %(tmp)s/tmp/scgi;
	include %(tmp)s/site.conf;
}
""" % {"user": user, "tmp": self.tmp})
        self.proc = subprocess.Popen(
            ["nginx", "-p", self.tmp, "-c", self.path("nginx.conf"),
             "-e", self.path("error.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.HTTPS),
                                         timeout=1).close()
                break
            except OSError:
                if self.proc.poll() is not None or \
                        time.monotonic() > deadline:
                    raise RuntimeError("nginx did not start: %s\n%s" % (
                        self.proc.stderr.read().decode(errors="replace"),
                        self.error_log()))
                time.sleep(0.05)
        with open(self.path("secret.conf")) as f:
            self.secret = re.search(r"default ([0-9a-f]{32});",
                                    f.read()).group(1)
        return self

    def error_log(self):
        try:
            with open(self.path("error.log"), errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc.stderr.close()
            self.proc = None
        for srv in self.servers:
            srv.shutdown()
            srv.server_close()
        self.servers = []
        shutil.rmtree(self.tmp, ignore_errors=True)

    def request(self, method="GET", path="/api/gpio/state", source=None,
                auth=None, cookie=None, headers=None, body=None, port=None,
                tls=True):
        """One request from source (an address on lo); (status, headers)."""
        host = SERVER6 if source and ":" in source else "127.0.0.1"
        port = port or (self.HTTPS if tls else self.HTTP)
        src = (source, 0) if source else None
        if tls:
            conn = http.client.HTTPSConnection(
                host, port, timeout=10, context=tls_context(),
                source_address=src)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=10,
                                              source_address=src)
        h = {"Host": "kvm.example"}
        if auth:
            h["Authorization"] = basic(*auth)
        if cookie:
            h["Cookie"] = cookie
        h.update(headers or {})
        try:
            conn.request(method, path, body=body, headers=h)
            resp = conn.getresponse()
            resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}
        finally:
            conn.close()


def tries_until_429(door, sources, limit=300, **kw):
    """Requests round-robin over sources until the first 429 (that one
    not counted); every other answer must be 401.  None if no 429 came.
    door.took is how long it took (the limits refill meanwhile)."""
    started = time.monotonic()
    try:
        for n in range(limit):
            status, _ = door.request(source=sources[n % len(sources)], **kw)
            if status == 429:
                return n
            assert status == 401, (n, status)
        return None
    finally:
        door.took = time.monotonic() - started


SKIP = None       # why nothing can run
NO_IPV6 = None    # why the IPv6 cases cannot


def setUpModule():
    global SKIP, NO_IPV6
    if shutil.which("nginx") is None or shutil.which("openssl") is None:
        SKIP = "nginx or openssl is not installed (scripts/deps installs them)"
        return
    NO_IPV6 = setup_loopback()
    if NO_IPV6:
        FrontDoor.IPV6 = False
        FrontDoor.HTTPS, FrontDoor.HTTP = free_port(), free_port()
        print("IPv4 on this machine's loopback only: " + NO_IPV6)


def needs_ipv6(test):
    def run(self):
        if NO_IPV6:
            self.skipTest(NO_IPV6)
        return test(self)
    run.__name__, run.__doc__ = test.__name__, test.__doc__
    return run


class Door(unittest.TestCase):
    redirect_port = None
    dual_stack = False

    def setUp(self):
        if SKIP:
            self.skipTest(SKIP)
        if self.dual_stack and NO_IPV6:
            self.skipTest(NO_IPV6)
        self.door = FrontDoor(self.redirect_port, self.dual_stack).start()

    def tearDown(self):
        if hasattr(self, "door"):
            if sys.exc_info()[0] is not None:
                sys.stderr.write(self.door.error_log())
            self.door.stop()

    def figure(self, what, n):
        print("FIGURE: %s: %s" % (what, n))

    def assert_burst(self, n, burst, rate):
        """n tries passed: the burst and its first one, plus what the limit
        refilled while the loop ran (a busy machine is slower)."""
        self.assertIsNotNone(n, "no 429")
        self.assertGreaterEqual(n, burst + 1)
        self.assertLessEqual(n, burst + 1 + int(rate * self.door.took),
                             "%.1f s" % self.door.took)


class Limits(Door):
    WRONG = (USER, "a wrong guess")

    def test_one_ipv4_address_21_tries(self):
        n = tries_until_429(self.door, ["127.0.0.2"], auth=self.WRONG)
        self.figure("tries until 429, one IPv4 address", n)
        self.assert_burst(n, 20, 1)
        # Another address is another client (below the global ceiling).
        self.assertEqual(self.door.request(source="127.0.0.3",
                                           auth=self.WRONG)[0], 401)

    @needs_ipv6
    def test_one_ipv6_address_21_tries(self):
        n = tries_until_429(self.door, [SAME_64[0]], auth=self.WRONG)
        self.figure("tries until 429, one IPv6 address", n)
        self.assert_burst(n, 20, 1)

    def test_forged_and_stale_cookies_exempt_nothing(self):
        # Every cookie an attacker could make up: none is the secret.
        cookies = ("__Host-kvm=%s; __Host-kvm=; kvm=%s"
                   % ("0" * 32, self.door.secret))
        n = tries_until_429(self.door, ["127.0.0.2"], auth=self.WRONG,
                            cookie=cookies)
        self.assert_burst(n, 20, 1)

    @needs_ipv6
    def test_one_64_is_one_client(self):
        n = tries_until_429(self.door, SAME_64, auth=self.WRONG)
        self.figure("tries until 429, %d IPv6 addresses in one /64"
                    % len(SAME_64), n)
        self.assert_burst(n, 20, 1)
        # The /64 stays limited whichever of its addresses asks.
        for a in SAME_64:
            self.assertEqual(self.door.request(source=a, auth=self.WRONG)[0],
                             429, a)
        # ... and another /64 is another client.
        self.assertEqual(self.door.request(source=OTHER_64S[0],
                                           auth=self.WRONG)[0], 401)

    def test_a_limited_address_spends_nothing_of_the_ceiling(self):
        # One address hammers on after its 429s ...
        started = time.monotonic()
        codes = [self.door.request(source="127.0.0.2", auth=self.WRONG)[0]
                 for _ in range(100)]
        took = time.monotonic() - started
        self.assertGreaterEqual(codes.count(401), 21, codes)
        self.assertLessEqual(codes.count(401), 21 + int(took), codes)
        # ... and the others still share what is left of the global burst
        # (41 - 21 = 20, and more as it refills): the refused 79 cost it
        # nothing.
        n = tries_until_429(self.door, IPV4S[1:], auth=self.WRONG)
        self.figure("tries from 7 other addresses after one hammered 100 "
                    "times", n)
        self.assertGreaterEqual(n, 41 - codes.count(401))
        self.assertLessEqual(n, 41 - 21 + int(2 * (took + self.door.took)))

    def many(self, family, sources, fresh):
        n = tries_until_429(self.door, sources, auth=self.WRONG)
        self.figure("tries until the first 429, %d %s round-robin (%.1f s)"
                    % (len(sources), family, self.door.took), n)
        self.assert_burst(n, 40, 2)
        # Every address is limited now, even one never used before ...
        status, hdrs = self.door.request(source=fresh, auth=self.WRONG)
        self.assertEqual(status, 429)
        self.assertIn("retry-after", hdrs)
        # ... and the right password without the cookie waits as well: the
        # limit comes before the check.
        self.assertEqual(self.door.request(source=fresh,
                                           auth=(USER, PASSWORD))[0], 429)

    def test_many_ipv4_addresses_meet_the_global_ceiling(self):
        self.many("IPv4 addresses", IPV4S, "127.0.0.200")

    @needs_ipv6
    def test_many_ipv6_64s_meet_the_global_ceiling(self):
        self.many("IPv6 /64s", OTHER_64S, "fd00:ff::10")

    def test_logged_in_browser_is_never_slowed(self):
        status, hdrs = self.door.request(source="127.0.0.2",
                                         auth=(USER, PASSWORD))
        self.assertEqual(status, 200)
        cookie = hdrs["set-cookie"].split(";", 1)[0]
        self.assertEqual(cookie, "__Host-kvm=" + self.door.secret)
        # The attack, from its address, its /64s and everywhere else ...
        attack = IPV4S + ([] if NO_IPV6 else OTHER_64S + SAME_64)
        own = ["127.0.0.2", "127.0.0.3" if NO_IPV6 else SAME_64[0]]
        codes = {}
        for n in range(240):
            st, _ = self.door.request(source=attack[n % len(attack)],
                                      auth=self.WRONG)
            codes[st] = codes.get(st, 0) + 1
        self.assertEqual(set(codes), {401, 429}, codes)
        self.assertGreater(codes[429], 150, codes)
        # ... and the browser, from the same address as the attacker and
        # from others, meets no 429 (interleaved with more guesses).
        browser = {}
        for n in range(60):
            self.door.request(source=attack[n % len(attack)],
                              auth=self.WRONG)
            st, _ = self.door.request(source=own[n % 2],
                                      auth=(USER, PASSWORD), cookie=cookie)
            browser[st] = browser.get(st, 0) + 1
        self.figure("a logged-in browser during the attack, 60 requests",
                    browser)
        self.assertEqual(browser, {200: 60})
        # The cookie with a wrong password is no login, and a limited
        # guess with it is still 401 (it exempts from the limits only).
        self.assertEqual(self.door.request(source="127.0.0.2",
                                           auth=self.WRONG,
                                           cookie=cookie)[0], 401)


class DualStack(Door):
    """IPv4 clients on an IPv6 socket are keyed by their IPv4 address, not
    by the /64 that all IPv4-mapped addresses share."""
    dual_stack = True

    def test_mapped_ipv4_addresses_are_apart(self):
        n = tries_until_429(self.door, ["127.0.0.2"], auth=Limits.WRONG)
        self.assert_burst(n, 20, 1)
        self.assertEqual(self.door.request(source="127.0.0.3",
                                           auth=Limits.WRONG)[0], 401)
        # ... and IPv6 clients on that socket are apart from them too.
        self.assertEqual(self.door.request(source=SAME_64[0],
                                           auth=Limits.WRONG)[0], 401)


class Forwarding(Door):
    """What reaches the daemons: never the credentials or the cookie."""

    def test_no_cookie_no_authorization_reaches_a_daemon(self):
        status, hdrs = self.door.request(auth=(USER, PASSWORD))
        self.assertEqual(status, 200)
        cookie = hdrs["set-cookie"].split(";", 1)[0]
        write = {"X-KaputtKVM": "1", "Origin": "https://kvm.example",
                 "Content-Type": "application/json"}
        asks = [("GET", "/api/video/state", None, {}),
                ("GET", "/api/video/stream", None, {}),
                ("GET", "/api/video", None, {}),
                ("POST", "/api/hid/key", b"{}", write),
                ("GET", "/api/hid/ws", None,
                 {"Origin": "https://kvm.example"}),
                ("GET", "/api/media/images", None, {}),
                ("PUT", "/api/media/images/a.iso", b"x" * 100, write),
                ("DELETE", "/api/media/images/a.iso", None, write),
                ("POST", "/api/gpio/atx", b"{}", write),
                ("GET", "/api/gpio", None, {})]
        for method, path, body, extra in asks:
            extra = dict(extra, Cookie=cookie + "; other=1")
            status, _ = self.door.request(method, path, auth=(USER, PASSWORD),
                                          headers=extra, body=body)
            self.assertEqual(status, 200, (method, path))
        # The login's request, then each of these once.
        self.assertEqual(len(self.door.seen), 1 + len(asks), self.door.seen)
        for method, path, hdrs in self.door.seen:
            self.assertNotIn("cookie", hdrs, (method, path))
            self.assertNotIn("authorization", hdrs, (method, path))
            self.assertNotIn(self.door.secret, json.dumps(hdrs))
        # The check could fail: the stand-ins do see what nginx passes on.
        self.assertTrue(all(h.get("x-forwarded-proto") == "https"
                            for _, _, h in self.door.seen))


class RedfishForwarding(Door):
    """A Redfish session's X-Auth-Token reaches redfishd's token check
    (GET /auth/token, asked only when basic auth did not pass, never for
    the login) and no other request; the credentials and the cookie
    reach no request.  The stand-in's check says yes to every token."""

    def test_the_token_reaches_only_the_token_check(self):
        token = "ab" * 32
        n0 = len(self.door.seen)
        json_type = {"Content-Type": "application/json"}
        asks = [("GET", "/redfish/v1/Systems", None, {}),
                ("GET", "/redfish/v1/Systems", (USER, PASSWORD), {}),
                ("POST", "/redfish/v1/SessionService/Sessions", None,
                 json_type),
                ("POST", "/redfish/v1/Systems/1/Actions/"
                 "ComputerSystem.Reset", None, json_type),
                ("GET", "/redfish/v1", (USER, "wrong"), {})]
        for method, path, auth, extra in asks:
            headers = dict(extra, Cookie="a=b")
            headers["X-Auth-Token"] = token
            status, _ = self.door.request(
                method, path, auth=auth, headers=headers,
                body=b"{}" if method == "POST" else None)
            self.assertEqual(status, 200, (method, path))
        seen = self.door.seen[n0:]
        checks = [s for s in seen if s[1] == "/auth/token"]
        rest = [s for s in seen if s[1] != "/auth/token"]
        # The token alone: the GET and the Reset; basic auth, the login
        # and the public service root ask nothing.
        self.assertEqual(len(checks), 2, seen)
        self.assertEqual([c[0] for c in checks], ["GET", "GET"])
        self.assertEqual([c[2].get("x-auth-token") for c in checks],
                         [token, token])
        self.assertEqual([(m, p) for m, p, _ in rest],
                         [(m, p) for m, p, _, _ in asks])
        for method, path, hdrs in seen:
            self.assertNotIn("authorization", hdrs, (method, path))
            self.assertNotIn("cookie", hdrs, (method, path))
            if path != "/auth/token":
                self.assertNotIn("x-auth-token", hdrs, (method, path))


class Redirect(Door):
    """Port 80 sends browsers to the HTTPS port of this site."""

    def test_keeps_a_port_that_is_not_443(self):
        status, hdrs = self.door.request(path="/api/gpio/state?x=1",
                                         tls=False)
        self.assertEqual(status, 301)
        self.assertEqual(hdrs["location"],
                         "https://kvm.example:%d/api/gpio/state?x=1"
                         % FrontDoor.HTTPS)
        self.assertNotIn("set-cookie", hdrs)
        # Followed, it reaches the front door (which wants the password).
        self.assertEqual(self.door.request(path="/api/gpio/state?x=1")[0],
                         401)
        if NO_IPV6:
            return
        # From IPv6 too.
        status, hdrs = self.door.request(path="/", tls=False,
                                         source=SAME_64[0])
        self.assertEqual(status, 301)
        self.assertEqual(hdrs["location"],
                         "https://kvm.example:%d/" % FrontDoor.HTTPS)


class Redirect443(Door):
    redirect_port = 443

    def test_443_is_left_out(self):
        status, hdrs = self.door.request(path="/x?y", tls=False)
        self.assertEqual(status, 301)
        self.assertEqual(hdrs["location"], "https://kvm.example/x?y")


if __name__ == "__main__":
    in_own_netns()
    kvmtest.main()     # exits 77 when all were skipped
