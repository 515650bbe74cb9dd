"""kvmtest.ws -- the tests' one WebSocket client (RFC 6455, stdlib only).

WebSocket speaks over a stream socket that is already connected: a UNIX
socket to a daemon (unix() connects one) or a TLS socket to nginx
(demostack.Client.websocket()).  The constructor does the handshake and
keeps what it read; frames are built by frame(), so a test can also send
frames a browser never would (unmasked, reserved bits, bad lengths).

    c = ws.WebSocket(ws.unix(d.socket), headers={"Origin": "https://x"})
    assert c.status == 101
    c.send_msg(ws.OP_TEXT, b'{"t":"ping"}')
    op, data = c.recv_msg()

Server frames are checked as RFC 6455 wants them: never masked, no
reserved bits, no fragmented message from our servers.
"""

import base64
import hashlib
import os
import socket
import struct

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA


class Closed(Exception):
    """The server closed the connection in the middle of a frame."""


def accept_for(key):
    """The Sec-WebSocket-Accept a server must answer to key."""
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()
                            ).decode()


def frame(opcode, payload=b"", fin=True, mask=True, rsv=0, mask_key=None):
    """One client frame, masked like a browser's unless told otherwise."""
    if isinstance(payload, str):
        payload = payload.encode()
    b0 = (0x80 if fin else 0) | rsv | opcode
    n = len(payload)
    mbit = 0x80 if mask else 0
    if n < 126:
        head = bytes([b0, mbit | n])
    elif n < 65536:
        head = bytes([b0, mbit | 126]) + struct.pack(">H", n)
    else:
        head = bytes([b0, mbit | 127]) + struct.pack(">Q", n)
    if not mask:
        return head + payload
    key = mask_key or os.urandom(4)
    masked = bytes(b ^ key[i & 3] for i, b in enumerate(payload))
    return head + key + masked


def unix(path, timeout=5):
    """A stream socket connected to the UNIX socket path."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
    except OSError:
        s.close()
        raise
    return s


class WebSocket:
    """The client end of one WebSocket on a connected socket.

    headers are added to (or, with a value of None, removed from) the
    handshake's defaults; extra is sent right after the handshake, before
    any answer.  After the constructor: status (the HTTP status, 0 if none
    came), headers (lower-cased), head (the reply's head as text)."""

    def __init__(self, sock, path="/ws", headers=None, key=None, extra=b""):
        self.sock = sock
        self.key = key or base64.b64encode(os.urandom(16)).decode()
        hdrs = {
            "Host": "kvm.example",
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": self.key,
            "Sec-WebSocket-Version": "13",
        }
        for k, v in (headers or {}).items():
            if v is None:
                hdrs.pop(k, None)
            else:
                hdrs[k] = v
        req = "GET %s HTTP/1.1\r\n" % path
        req += "".join("%s: %s\r\n" % kv for kv in hdrs.items()) + "\r\n"
        self.sock.sendall(req.encode() + extra)
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            self.buf += chunk
        # the server may send its first frame in the same read as the
        # head (hidd pushes its state at once): those bytes stay in buf
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        self.head = head.decode("latin-1")
        lines = self.head.split("\r\n")
        first = lines[0].split()
        self.status = int(first[1]) if len(first) > 1 else 0
        self.headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()

    def body(self):
        """The rest of a refused handshake's reply (Content-Length)."""
        n = int(self.headers.get("content-length", "0"))
        return self._read(n)

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Closed("connection closed after %d of %d bytes"
                             % (len(self.buf), n))
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, data):
        """Raw bytes, as they are."""
        self.sock.sendall(data)

    def send_msg(self, opcode, payload):
        """One masked frame holding a whole message."""
        self.sock.sendall(frame(opcode, payload))

    def recv_frame(self):
        """(fin, opcode, payload) of the next server frame."""
        b0, b1 = self._read(2)
        if b1 & 0x80:
            raise AssertionError("server frames must not be masked")
        if b0 & 0x70:
            raise AssertionError("server set reserved bits")
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", self._read(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", self._read(8))[0]
        return bool(b0 & 0x80), b0 & 0x0F, self._read(n)

    def recv_msg(self, skip_pings=True):
        """The next whole message or control frame (opcode, payload)."""
        while True:
            fin, op, data = self.recv_frame()
            if op == OP_PING and skip_pings:
                continue
            if not fin:
                raise AssertionError("server fragmented a message")
            return op, data

    def recv_close(self):
        """Reads until the server's close frame; returns (code, reason)."""
        while True:
            op, data = self.recv_msg()
            if op == OP_CLOSE:
                if not data:
                    return 1005, ""
                return struct.unpack(">H", data[:2])[0], data[2:].decode()

    def at_eof(self, timeout=3):
        """True when the server closes the connection in time."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True

    def settimeout(self, timeout):
        self.sock.settimeout(timeout)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
