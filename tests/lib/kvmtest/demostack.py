"""kvmtest.demostack -- the demo stack (scripts/demo --background) for
tests, and an HTTPS + WebSocket client for talking to it through nginx.

    with demostack.Stack() as s:
        c = s.client()                     # logged in (basic auth + cookie)
        status, hdrs, body = c.request("GET", "/api/video/state")

A test module whose cases share one stack (the module's global "stack"):

    stack = None
    setUpModule, tearDownModule = demostack.module_fixtures(__name__)

The stack runs from $KVM_BUILD_ROOT's binaries with its state in a temporary
directory, on a free port.  Standard library only.
"""

import base64
import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import shutil

from kvmtest import ws
from kvmtest.paths import BUILD_ROOT, SOURCE_ROOT

DEMO = os.path.join(SOURCE_ROOT, "scripts", "demo.py")
DAEMON_BINARIES = ["capd/capd", "hidd/hidd", "mediad/mediad",
                   "gpiod-ctl/gpiod-ctl", "redfishd/redfishd"]


def skip(reason):
    """Exit 77 (meson: skipped) with the reason."""
    print("SKIP: " + reason)
    sys.exit(77)


def require_stack():
    """Skip unless nginx, openssl and all four daemons are there."""
    for prog in ["nginx", "openssl"]:
        if shutil.which(prog) is None:
            skip("%s is not installed (scripts/deps installs it)" % prog)
    missing = [b for b in DAEMON_BINARIES
               if not os.access(os.path.join(BUILD_ROOT, b), os.X_OK)]
    if missing:
        skip("not built yet: %s" % ", ".join(missing))


def module_fixtures(module_name, demo_args=()):
    """setUpModule and tearDownModule for the module module_name: skip
    unless the stack can run, start one Stack (scripts/demo with
    demo_args more) as the module's global "stack", stop it after the
    module's last case."""
    module = sys.modules[module_name]

    def setUpModule():
        require_stack()
        module.stack = Stack(demo_args).start()

    def tearDownModule():
        stack = getattr(module, "stack", None)
        if stack is not None:
            stack.stop()
            stack.cleanup()

    return setUpModule, tearDownModule


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tls_context():
    """Client context for the demo's self-signed certificate."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Client:
    """HTTPS to the stack; keeps the cookie nginx sets after a login."""

    def __init__(self, stack, user=None, password=None, cookie=True):
        self.stack = stack
        self.user, self.password = user, password
        self.keep_cookie = cookie
        # The logged-in cookie: shared by the stack's clients, as one
        # browser would (a client without it counts against the login
        # limit: 20 requests, then one a second).
        self.cookie = stack.cookie if cookie else None

    def auth_header(self):
        if self.user is None:
            return {}
        tok = base64.b64encode(
            ("%s:%s" % (self.user, self.password)).encode()).decode()
        return {"Authorization": "Basic " + tok}

    def connect(self, timeout=10):
        return http.client.HTTPSConnection("127.0.0.1", self.stack.port,
                                           timeout=timeout,
                                           context=tls_context())

    def headers(self, extra=None):
        h = {"Host": self.stack.host}
        h.update(self.auth_header())
        if self.cookie:
            h["Cookie"] = self.cookie
        h.update(extra or {})
        return h

    def remember(self, resp):
        for k, v in resp.getheaders():
            if k.lower() == "set-cookie" and self.keep_cookie:
                self.cookie = v.split(";", 1)[0]
                self.stack.cookie = self.cookie

    def request(self, method, path, body=None, headers=None, timeout=10):
        """One request; (status, lower-cased headers, body bytes)."""
        conn = self.connect(timeout)
        h = self.headers(headers)
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        try:
            conn.request(method, path, body=body, headers=h)
            resp = conn.getresponse()
            data = resp.read()
            self.remember(resp)
            return resp.status, {k.lower(): v for k, v in
                                 resp.getheaders()}, data
        finally:
            conn.close()

    def json(self, method, path, body=None, headers=None, timeout=10):
        status, _, data = self.request(method, path, body, headers, timeout)
        try:
            return status, json.loads(data)
        except ValueError:
            return status, None

    def write(self, method, path, body=None, timeout=10):
        """A state-changing request as the page sends it."""
        return self.json(method, path, body, {
            "X-KaputtKVM": "1", "Origin": self.stack.origin}, timeout)

    def websocket(self, path, origin=None, timeout=10):
        """Opens a WebSocket; returns (status, headers, ws.WebSocket or
        None).  The WebSocket is left open on 101."""
        raw = socket.create_connection(("127.0.0.1", self.stack.port),
                                       timeout=timeout)
        h = self.headers()
        if origin is not None:
            h["Origin"] = origin
        c = ws.WebSocket(tls_context().wrap_socket(raw), path, h)
        if c.status != 101:
            c.close()
            return c.status, c.headers, None
        return c.status, c.headers, c


def ws_send(conn, payload, opcode=ws.OP_TEXT):
    """One masked client frame on a WebSocket from Client.websocket()."""
    conn.send_msg(opcode, payload)


def ws_recv(conn):
    """One server frame: (opcode, payload bytes); (None, b"") at EOF."""
    try:
        _, op, data = conn.recv_frame()
    except (ws.Closed, OSError):
        return None, b""
    return op, data


class Stack:
    """scripts/demo --background in a temporary directory."""

    def __init__(self, demo_args=()):
        self.demo_args = list(demo_args)
        self.tmp = tempfile.mkdtemp(prefix="kvm-stack-")
        self.state = os.path.join(self.tmp, "demo")
        self.port = free_port()
        self.host = "localhost:%d" % self.port
        self.origin = "https://" + self.host
        self.info = None
        self.failed = False
        self.cookie = None

    def start(self):
        r = subprocess.run([sys.executable, DEMO, "--build-dir", BUILD_ROOT,
                            "--background", self.state, "--port",
                            str(self.port)] + self.demo_args,
                           capture_output=True, text=True, timeout=90)
        if r.returncode != 0:
            self.dump_logs()
            raise RuntimeError("the demo did not start:\n%s%s" % (r.stdout,
                                                                  r.stderr))
        with open(os.path.join(self.state, "ready")) as f:
            self.info = json.load(f)
        return self

    def stop(self):
        if self.info is None:
            return
        r = subprocess.run([sys.executable, DEMO, "--stop", self.state],
                           capture_output=True, text=True, timeout=60)
        self.info = None
        if r.returncode != 0:
            raise RuntimeError("the demo did not stop: %s" % r.stderr)

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.failed = True
            self.dump_logs()
        self.stop()
        self.cleanup()
        return False

    def cleanup(self):
        if not self.failed and os.environ.get("KVM_KEEP_TMP") != "1":
            shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.state, *parts)

    def log(self, name):
        try:
            with open(self.path("logs", name + ".log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def dump_logs(self):
        for name in ["capd", "hidd", "mediad", "gpiod-ctl", "redfishd",
                     "nginx-error"]:
            text = self.log(name)
            if text:
                sys.stderr.write("--- %s ---\n%s\n" % (name, text[-3000:]))
        try:
            with open(self.path("demo.log"), errors="replace") as f:
                sys.stderr.write("--- demo ---\n%s\n" % f.read()[-3000:])
        except OSError:
            pass

    def client(self, password=None, user=None, cookie=True):
        """A client with the right credentials unless told otherwise."""
        return Client(self, user or self.info["user"],
                      self.info["password"] if password is None else password,
                      cookie)

    def anonymous(self, cookie=True):
        """No credentials (with the logged-in cookie unless told not)."""
        return Client(self, cookie=cookie)
