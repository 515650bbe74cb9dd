"""hiddtest -- helpers for hidd's integration tests (stdlib only).

Gadget: hidd runs with regular files standing in for /dev/hidg0..2 (it
appends each report), a FIFO for the LED output report and a plain file for
the UDC state; Reports reads what was appended since the last look.
WsClient is a small RFC 6455 client on hidd's UNIX socket.
"""

import base64
import json
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import kvmtest  # noqa: E402


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
        p = lambda n: os.path.join(self.tmp, n)  # noqa: E731
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
        deadline = time.monotonic() + timeout
        st = None
        while time.monotonic() < deadline:
            st = self.state()
            if pred(st):
                return st
            time.sleep(0.02)
        raise AssertionError("timed out waiting for %s: %r" % (what, st))


class WsClosed(Exception):
    pass


class WsClient:
    """A WebSocket client on a UNIX socket (masked frames, like a browser).
    status is the handshake's HTTP status."""

    def __init__(self, sock_path, origin="https://kvm.example",
                 host="kvm.example", path="/ws", timeout=5):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(sock_path)
        key = base64.b64encode(os.urandom(16)).decode()
        hdrs = ["GET %s HTTP/1.1" % path, "Host: " + host,
                "Upgrade: websocket", "Connection: Upgrade",
                "Sec-WebSocket-Key: " + key, "Sec-WebSocket-Version: 13"]
        if origin is not None:
            hdrs.append("Origin: " + origin)
        self.sock.sendall(("\r\n".join(hdrs) + "\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        first = head.split(b"\r\n")[0].split()
        self.status = int(first[1]) if len(first) > 1 else 0
        self.head = head.decode("latin-1")

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise WsClosed()
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, payload, opcode=None):
        if isinstance(payload, dict):
            payload = json.dumps(payload)
        if isinstance(payload, str):
            payload, op = payload.encode(), 1
        else:
            op = 2
        op = opcode if opcode is not None else op
        n = len(payload)
        head = bytes([0x80 | op])
        if n < 126:
            head += bytes([0x80 | n])
        else:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        key = os.urandom(4)
        self.sock.sendall(head + key + bytes(
            b ^ key[i & 3] for i, b in enumerate(payload)))

    def recv(self):
        """(opcode, payload) of the next data or close frame."""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            data = self._read(n)
            op = b0 & 0x0F
            if op == 9:
                continue
            return op, data

    def recv_json(self, want=None, timeout=5.0):
        """The next JSON message (whose "t" is want, skipping others)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            op, data = self.recv()
            if op == 8:
                raise WsClosed(data)
            msg = json.loads(data)
            if want is None or msg.get("t") == want:
                return msg
        raise AssertionError("no %s message" % want)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
