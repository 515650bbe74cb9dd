"""kvmtest.http -- HTTP/1.1 to a daemon's UNIX socket, parsed or raw.

request() and json_request() go through http.client; the raw helpers
(raw_exchange, RawConn, read_head/read_all/parse_reply, read_reply) send
and read bytes as they are, for tests that must see exactly what the
server sent or must misbehave as peers do.  Standard library only.
"""

import http.client
import json
import socket
import ssl


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over a UNIX stream socket."""

    def __init__(self, path, timeout=10, host="localhost"):
        super().__init__(host, timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


def request(sock_path, method, target, body=None, headers=None, timeout=10):
    """One request; returns (status, headers dict lower-cased, body bytes)."""
    conn = UnixHTTPConnection(sock_path, timeout=timeout)
    hdrs = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        body = body.encode()
    try:
        conn.request(method, target, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def json_request(sock_path, method, target, body=None, headers=None,
                 timeout=10):
    """One request; returns (status, parsed JSON or None)."""
    status, _, data = request(sock_path, method, target, body, headers,
                              timeout)
    try:
        return status, json.loads(data)
    except ValueError:
        return status, None


def connect(sock_path, timeout=30):
    """A stream socket connected to the UNIX socket sock_path."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(sock_path)
    except OSError:
        s.close()
        raise
    return s


def raw_exchange(sock_path, data, timeout=5, read_until_close=True):
    """Send raw bytes, return everything the daemon answers until it closes
    (or until the timeout, then what arrived)."""
    s = connect(sock_path, timeout)
    try:
        s.sendall(data)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            out += chunk
            if not read_until_close and b"\r\n\r\n" in out:
                break
        return out
    finally:
        s.close()


def read_head(s):
    """Bytes from s until the end of a reply's head (or end of file)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        c = s.recv(65536)
        if not c:
            break
        buf += c
    return buf


def read_all(s):
    """Bytes from s until the peer closes (or resets, or TLS ends)."""
    buf = b""
    while True:
        try:
            c = s.recv(65536)
        except (ConnectionResetError, ssl.SSLError):
            break
        if not c:
            break
        buf += c
    return buf


def parse_reply(raw):
    """(status, parsed JSON body or None) of a raw HTTP reply."""
    while raw.startswith(b"HTTP/1.1 100") and b"\r\n\r\n" in raw:
        raw = raw.split(b"\r\n\r\n", 1)[1]     # interim "100 Continue"
    if not raw.startswith(b"HTTP/1."):
        return None, None
    status = int(raw[9:12])
    body = raw.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in raw else b""
    try:
        return status, json.loads(body)
    except ValueError:
        return status, None


def read_reply(sock, method, timeout):
    """(status, lower-cased headers, body) of the reply on sock, read by
    http.client (which copes with any framing the server chose)."""
    sock.settimeout(timeout)
    if isinstance(method, bytes):
        method = method.decode()
    resp = http.client.HTTPResponse(sock, method=method)
    resp.begin()
    body = resp.read()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body


class RawConn:
    """A raw connection that reads replies one by one, exactly as sent."""

    def __init__(self, path, timeout=10):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)    # blocking: waits in the backlog if full
        self.s.settimeout(timeout)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def _fill(self):
        chunk = self.s.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.buf += chunk

    def read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def reply(self, head_only=False):
        """(status, headers lower-cased, body) of the next reply."""
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        hdrs = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
        if head_only or status == 100:
            return status, hdrs, b""
        if "content-length" in hdrs:
            body = self.read_exact(int(hdrs["content-length"]))
        else:
            body = self.read_to_close()
        return status, hdrs, body

    def read_to_close(self):
        try:
            while True:
                self._fill()
        except EOFError:
            pass
        out, self.buf = self.buf, b""
        return out

    def closed(self, timeout=5):
        """True when the server closes without sending anything more."""
        self.s.settimeout(timeout)
        try:
            data = self.s.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
        return data == b"" and self.buf == b""

    def close(self):
        self.s.close()

    def __del__(self):
        self.s.close()
