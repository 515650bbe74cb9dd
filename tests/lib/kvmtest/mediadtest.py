"""Helpers for mediad's integration tests: a daemon with a directory LUN,
streamed uploads from a seeded generator, raw requests, inotify."""

import ctypes
import hashlib
import os
import random
import select
import struct
import time

import kvmtest
from kvmtest.http import connect, parse_reply, read_all, read_head

CHUNK = 1 << 20


def data_chunks(size, seed):
    """size bytes from a seeded generator, 1 MiB at a time: the data is never
    stored, and the same seed gives the same bytes again.  One random block
    per seed, each chunk a different rotation of it headed by its index, so
    no two chunks are alike (a lost, doubled or swapped chunk changes the
    hash) and making 1 GiB costs little more than copying it."""
    base = random.Random(seed).randbytes(CHUNK)
    left = size
    i = 0
    while left > 0:
        n = min(CHUNK, left)
        k = (i * 7919) % CHUNK
        c = struct.pack("<Q", i) + base[k + 8:] + base[:k]
        yield c[:n]
        left -= n
        i += 1


def data_bytes(size, seed):
    return b"".join(data_chunks(size, seed))


def sha256_of(size, seed):
    h = hashlib.sha256()
    for c in data_chunks(size, seed):
        h.update(c)
    return h.hexdigest()


class Mediad(kvmtest.Daemon):
    """mediad on a private socket with a directory LUN in tmp."""

    def __init__(self, extra=(), tmpdir=None, images=None, fresh_lun=True,
                 **kw):
        """fresh_lun=False keeps the LUN files as they are (a daemon
        restart); True empties them (a fresh gadget, as after a reboot)."""
        import tempfile
        tmp = tmpdir or tempfile.mkdtemp(prefix="kvmtest-mediad-")
        self.images = images or os.path.join(tmp, "images")
        self.lun = os.path.join(tmp, "lun.0")
        self.state_file = os.path.join(tmp, "mediad.state")
        os.makedirs(self.images, exist_ok=True)
        os.makedirs(self.lun, exist_ok=True)
        if fresh_lun:
            self.reset_lun()
        args = ["--images", self.images, "--lun", self.lun,
                "--state-file", self.state_file]
        super().__init__("mediad", args + list(extra), tmpdir=tmp, **kw)
        self.own_tmp = tmpdir is None

    def reset_lun(self):
        for attr, val in (("file", ""), ("cdrom", "0"), ("ro", "0")):
            with open(os.path.join(self.lun, attr), "w") as f:
                f.write(val + "\n")

    def lun_attr(self, name):
        with open(os.path.join(self.lun, name)) as f:
            return f.read()

    def connect(self):
        return connect(self.socket, 30)

    def upload(self, name, chunks, length, query="", expect=False,
               on_chunk=None):
        """PUT /images/name streaming chunks; returns (status, json)."""
        s = self.connect()
        try:
            head = ("PUT /images/%s%s HTTP/1.1\r\nHost: x\r\n"
                    "Content-Length: %d\r\nConnection: close\r\n"
                    % (name, query, length))
            if expect:
                head += "Expect: 100-continue\r\n"
            s.sendall(head.encode() + b"\r\n")
            if expect:
                first = read_head(s)
                if not first.startswith(b"HTTP/1.1 100"):
                    return parse_reply(first + read_all(s))
            try:
                for i, c in enumerate(chunks):
                    s.sendall(c)
                    if on_chunk:
                        on_chunk(i)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return parse_reply(read_all(s))
        finally:
            s.close()

    def put(self, name, data, query=""):
        return self.upload(name, [data], len(data), query)


IN_CLOSE_WRITE = 0x8


class Inotify:
    """The names of files closed after writing in a directory, in the order
    the kernel queued them (one queue: a sound order of mediad's writes)."""

    def __init__(self, path):
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        if self.libc.inotify_add_watch(self.fd, path.encode(),
                                       IN_CLOSE_WRITE) < 0:
            raise OSError(ctypes.get_errno(), "inotify_add_watch")

    def names(self, settle=0.2):
        out = []
        deadline = time.monotonic() + settle
        while True:
            r, _, _ = select.select([self.fd], [], [],
                                    max(0, deadline - time.monotonic()))
            if not r:
                return out
            try:
                buf = os.read(self.fd, 65536)
            except BlockingIOError:
                continue
            i = 0
            while i < len(buf):
                _, _, _, ln = struct.unpack_from("iIII", buf, i)
                name = buf[i + 16:i + 16 + ln].rstrip(b"\0").decode()
                out.append(name)
                i += 16 + ln

    def close(self):
        os.close(self.fd)
