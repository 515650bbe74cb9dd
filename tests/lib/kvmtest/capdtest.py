"""capdtest -- helpers for capd's integration tests: a multipart stream
reader on a raw UNIX socket and the JPEG probe (tests/integration/capd/
jpegprobe.c, built by meson), since Python has no JPEG decoder."""

import json
import os
import socket
import struct
import subprocess
import time

import kvmtest
from kvmtest import ws

PROBE = os.path.join(kvmtest.BUILD_ROOT, "tests", "integration", "capd",
                     "capd-jpegprobe")


def probe(jpeg):
    """Decode a JPEG; returns the probe's dict (width, height, bars,
    bar_error, counter, mean)."""
    out = subprocess.run([PROBE, "-"], input=jpeg, capture_output=True,
                         check=True, timeout=30)
    return json.loads(out.stdout)


def sampling(jpeg):
    """The sampling factors (h, v) of each component in a JPEG's SOF, in
    order: [(2, 1), (1, 1), (1, 1)] is 4:2:2, [(2, 2), ...] 4:2:0."""
    i = 2
    while i + 4 <= len(jpeg):
        if jpeg[i] != 0xFF:
            raise ValueError("no marker at offset %d" % i)
        m = jpeg[i + 1]
        seglen = jpeg[i + 2] << 8 | jpeg[i + 3]
        if 0xC0 <= m <= 0xCF and m not in (0xC4, 0xC8, 0xCC):
            n = jpeg[i + 9]
            comps = jpeg[i + 10:i + 10 + 3 * n]
            return [(c >> 4, c & 15) for c in comps[1::3]]
        if m == 0xDA:
            break
        i += 2 + seglen
    raise ValueError("no SOF before the scan")


class StreamError(Exception):
    pass


class Stream:
    """GET /stream[?query] on a raw socket; parts come one by one."""

    def __init__(self, sock_path, query="", timeout=10, rcvbuf=None):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(sock_path)
        self.sock.sendall(("GET /stream%s HTTP/1.1\r\nHost: capd\r\n\r\n"
                           % query).encode())
        self.buf = b""
        head = self._until(b"\r\n\r\n").decode("latin-1")
        lines = head.split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        self.boundary = None
        ctype = self.headers.get("content-type", "")
        if self.status == 200:
            if not ctype.startswith("multipart/x-mixed-replace"):
                raise StreamError("content type %r" % ctype)
            self.boundary = ctype.split("boundary=", 1)[1].strip('"')
            first = self._exact(len(self.boundary) + 4)
            if first != b"--" + self.boundary.encode() + b"\r\n":
                raise StreamError("stream starts with %r" % first)
        self.parts = 0

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise StreamError("connection closed")
        self.buf += chunk

    def _until(self, sep):
        while sep not in self.buf:
            self._fill()
        i = self.buf.index(sep) + len(sep)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def _exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def body(self):
        """The rest of a non-stream reply (an error)."""
        try:
            while True:
                self._fill()
        except (StreamError, socket.timeout):
            pass
        return self.buf

    def part(self):
        """Next part: (headers dict, jpeg bytes, time.time() at its end).
        Checks the framing: headers, exactly Content-Length bytes, then the
        next boundary right after the frame."""
        head = self._until(b"\r\n\r\n").decode("latin-1")
        hdrs = {}
        for line in head.split("\r\n"):
            if line:
                k, _, v = line.partition(":")
                hdrs[k.strip().lower()] = v.strip()
        n = int(hdrs["content-length"])
        jpeg = self._exact(n)
        trailer = b"\r\n--" + self.boundary.encode() + b"\r\n"
        got = self._exact(len(trailer))
        if got != trailer:
            raise StreamError("part not followed by the boundary: %r" % got)
        self.parts += 1
        return hdrs, jpeg, time.time()

    def close(self):
        self.sock.close()


def wait_state(d, pred, timeout=10.0):
    """Poll /state until pred(result) holds; returns the result."""
    deadline = time.monotonic() + timeout
    while True:
        st = d.ok("GET", "/state")
        if pred(st):
            return st
        if time.monotonic() > deadline:
            raise AssertionError("state never matched: %r" % st)
        time.sleep(0.1)


H264_HEADER = struct.Struct(">BBHHHIQ")  # capd/PROTOCOL.md


class H264Stream:
    """capd's H.264 WebSocket (GET /h264) on a raw UNIX socket: messages
    come back as (header dict, Annex-B bytes, arrival time)."""

    def __init__(self, sock_path, rcvbuf=None, timeout=10):
        s = ws.unix(sock_path, timeout)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.ws = ws.WebSocket(s, path="/h264")
        self.status = self.ws.status

    def message(self):
        op, data = self.ws.recv_msg()
        if op != ws.OP_BINARY:
            raise StreamError("H.264 message of opcode %d" % op)
        v, flags, hlen, w, h, seq, ts = H264_HEADER.unpack_from(data)
        if v != 1 or hlen < H264_HEADER.size:
            raise StreamError("H.264 header version %d length %d"
                              % (v, hlen))
        return ({"keyframe": bool(flags & 1), "width": w, "height": h,
                 "seq": seq, "ts_us": ts}, data[hlen:], time.time())

    def close(self):
        self.ws.close()


def h264_decode(annexb, width, height):
    """Decode an Annex-B stream with ffmpeg (libavcodec, a decoder we did
    not write); returns the frames as RGB24 bytes, one per picture."""
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "h264", "-i", "-", "-f", "rawvideo",
         "-pix_fmt", "rgb24", "-"],
        input=annexb, capture_output=True, check=True, timeout=60)
    size = width * height * 3
    return [out.stdout[i:i + size]
            for i in range(0, len(out.stdout) - size + 1, size)]
