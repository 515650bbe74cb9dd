"""hiddtest -- helpers for hidd's integration tests (stdlib only).

Gadget: hidd runs with regular files standing in for /dev/hidg0..2 (it
appends each report), a FIFO for the LED output report and a plain file for
the UDC state; Reports reads what was appended since the last look.
WsClient is kvmtest.ws's client on hidd's UNIX socket, with hidd's JSON
messages.
"""

import json
import os
import time

import kvmtest
from kvmtest import ws


def wait_state(get_state, pred, timeout=5.0, what="state"):
    """Poll get_state() until pred(state) holds; the state, or an
    AssertionError naming what was awaited and the last state seen."""
    deadline = time.monotonic() + timeout
    st = None
    while time.monotonic() < deadline:
        st = get_state()
        if pred(st):
            return st
        time.sleep(0.02)
    raise AssertionError("timed out waiting for %s: %r" % (what, st))


class Reports:
    """Reports appended to a file, n bytes each."""

    def __init__(self, path, size):
        self.path, self.size, self.off = path, size, 0

    def new(self):
        """Whole reports appended since the last call."""
        with open(self.path, "rb") as f:
            f.seek(self.off)
            data = f.read()
        n = len(data) - len(data) % self.size
        self.off += n
        return [data[i:i + self.size] for i in range(0, n, self.size)]

    def wait(self, count, timeout=5.0):
        """Exactly the next count reports (fails if fewer arrive)."""
        got = []
        deadline = time.monotonic() + timeout
        while len(got) < count and time.monotonic() < deadline:
            got += self.new()
            if len(got) < count:
                time.sleep(0.01)
        if len(got) < count:
            raise AssertionError("%s: %d of %d reports arrived: %r"
                                 % (self.path, len(got), count, got))
        self.extra = got[count:]
        if self.extra:
            raise AssertionError("%s: more reports than expected: %r"
                                 % (self.path, got))
        return got

    def quiet(self, wait=0.2):
        """Nothing more arrives for a while."""
        time.sleep(wait)
        return self.new()


def kbd(mods=0, *keys):
    """An 8-byte boot keyboard report."""
    keys = list(keys) + [0] * (6 - len(keys))
    return bytes([mods, 0] + keys)


class Gadget:
    """hidd on stand-ins for the gadget's devices, in one temporary dir."""

    def __init__(self, args=(), env=None):
        import tempfile
        self.tmp = tempfile.mkdtemp(prefix="kvmtest-hidd-")

        def p(n):
            return os.path.join(self.tmp, n)

        for n in ("hidg0", "hidg1", "hidg2"):
            open(p(n), "wb").close()
        os.mkfifo(p("leds"))
        with open(p("udc"), "w") as f:
            f.write("configured\n")
        self.udc = p("udc")
        self.leds = p("leds")
        self.kbd = Reports(p("hidg0"), 8)
        self.abs = Reports(p("hidg1"), 7)
        self.rel = Reports(p("hidg2"), 4)
        self.daemon = kvmtest.Daemon(
            "hidd", ["--keyboard", p("hidg0"), "--mouse", p("hidg1"),
                     "--mouse-rel", p("hidg2"), "--leds", p("leds"),
                     "--leds-state", p("leds-state"),
                     "--udc-state", p("udc")] + list(args),
            tmpdir=self.tmp, env=env)

    def __enter__(self):
        self.daemon.__enter__()
        # hidd releases everything at start: one report on each device.
        assert self.kbd.wait(1) == [kbd()], "no release at start"
        self.abs.wait(1)
        assert self.rel.wait(1) == [bytes(4)]
        return self

    def __exit__(self, *exc):
        r = self.daemon.__exit__(*exc)
        import shutil
        if not self.daemon.failed:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return r

    def set_leds(self, value):
        fd = os.open(self.leds, os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, bytes([value]))
        finally:
            os.close(fd)

    def set_udc(self, state):
        with open(self.udc, "w") as f:
            f.write(state + "\n")

    def state(self):
        return self.daemon.ok("GET", "/state")

    def wait_state(self, pred, timeout=5.0, what="state"):
        return wait_state(self.state, pred, timeout, what)


WsClosed = ws.Closed


class WsClient(ws.WebSocket):
    """A WebSocket to hidd, by default on its UNIX socket (or on sock, an
    already connected one, e.g. TLS to nginx).  status is the handshake's
    HTTP status."""

    def __init__(self, sock_path, origin="https://kvm.example",
                 host="kvm.example", path="/ws", timeout=5, sock=None,
                 headers=None):
        hdrs = {"Host": host}
        if origin is not None:
            hdrs["Origin"] = origin
        hdrs.update(headers or {})
        super().__init__(sock or ws.unix(sock_path, timeout), path, hdrs)

    def send(self, payload, opcode=None):
        """A dict as JSON text, a str as text, bytes as binary."""
        if isinstance(payload, dict):
            payload = json.dumps(payload)
        if isinstance(payload, str):
            payload, op = payload.encode(), ws.OP_TEXT
        else:
            op = ws.OP_BINARY
        self.send_msg(opcode if opcode is not None else op, payload)

    def recv(self):
        """(opcode, payload) of the next data or close frame."""
        return self.recv_msg()

    def recv_json(self, want=None, timeout=5.0):
        """The next JSON message (whose "t" is want, skipping others)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            op, data = self.recv()
            if op == ws.OP_CLOSE:
                raise WsClosed(data)
            msg = json.loads(data)
            if want is None or msg.get("t") == want:
                return msg
        raise AssertionError("no %s message" % want)
