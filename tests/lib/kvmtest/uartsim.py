"""kvmtest.uartsim -- the other end of hidd's UART backend, simulated on
a pty, and a fake gpiod-ctl that records the reset pulses hidd asks for.

McuSim speaks the 8-byte CRC-16 protocol: it checks every frame's CRC,
keeps the held keys and mouse like the firmware, answers with its LED
flags, and can be told to damage its next reply, to reboot (forget
everything and stay silent a while) or to stay silent.  ChSim is a CH9329.
FakeGpiod answers POST /pulse on a UNIX socket, like gpiod-ctl.
"""

import http.server
import json
import os
import select
import socketserver
import threading
import time
import tty


def crc16(data):
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def frame(b6):
    c = crc16(b6)
    return bytes(b6) + bytes([c >> 8, c & 0xFF])


class PtySim(threading.Thread):
    """A device on the master side of a pty; hidd opens self.path."""

    def __init__(self):
        super().__init__(daemon=True)
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.lock = threading.Lock()
        self.stopping = False
        self.buf = b""

    def run(self):
        while not self.stopping:
            r, _, _ = select.select([self.master], [], [], 0.05)
            if not r:
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError:
                time.sleep(0.01)
                continue
            with self.lock:
                self.buf += data
                self.consume()

    def write(self, data):
        os.write(self.master, data)

    def stop(self):
        self.stopping = True
        self.join(1)
        os.close(self.master)
        os.close(self.slave)

    def wait(self, pred, timeout=5.0, what="condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if pred():
                    return
            time.sleep(0.01)
        with self.lock:
            raise AssertionError("simulator: timed out waiting for %s (%r)"
                                 % (what, self.__dict__.get("cmds", [])[-12:]))


class McuSim(PtySim):
    def __init__(self):
        super().__init__()
        self.keys = set()
        self.buttons = 0
        self.pos = None
        self.flags = 0
        self.cmds = []
        self.bad_frames = 0
        self.corrupt_next = 0
        self.none_on_repeat = False
        self.silent_until = 0.0
        self.last = None

    def consume(self):
        while len(self.buf) >= 8:
            if self.buf[0] != 0x33:
                self.buf = self.buf[1:]
                continue
            f, self.buf = self.buf[:8], self.buf[8:]
            if time.monotonic() < self.silent_until:
                continue
            if crc16(f[:6]) != (f[6] << 8 | f[7]):
                self.bad_frames += 1
                self.reply(0x40)
                continue
            self.handle(f)

    def handle(self, f):
        cmd = f[1]
        self.cmds.append(cmd)
        if cmd == 0x02:
            if self.last is None or self.none_on_repeat:
                self.none_on_repeat = False
                self.reply(0x24)
            else:
                self.write(self.last)
            return
        if cmd == 0x10:
            self.keys.clear()
            self.buttons = 0
        elif cmd == 0x11:
            if f[3]:
                self.keys.add(f[2])
            else:
                self.keys.discard(f[2])
        elif cmd == 0x12:
            x = int.from_bytes(f[2:4], "big", signed=True)
            y = int.from_bytes(f[4:6], "big", signed=True)
            self.pos = (x, y)
        elif cmd == 0x13:
            for sel, st, bit in ((0x80, 0x08, 1), (0x40, 0x04, 2),
                                 (0x20, 0x02, 4)):
                if f[2] & sel:
                    self.buttons = (self.buttons | bit if f[2] & st
                                    else self.buttons & ~bit)
        elif cmd not in (0x01, 0x14, 0x15):
            self.reply(0x45)
            return
        self.reply(0x80 | self.flags)

    def reply(self, code):
        r = frame([0x34, code, 0, 0, 0, 0])
        if code != 0x40:
            self.last = r
        if self.corrupt_next:
            self.corrupt_next -= 1
            r = r[:7] + bytes([r[7] ^ 0xFF])
        self.write(r)

    def reboot(self, silent=0.4):
        with self.lock:
            self.keys.clear()
            self.buttons = 0
            self.last = None
            self.silent_until = time.monotonic() + silent


class ChSim(PtySim):
    def __init__(self):
        super().__init__()
        self.frames = []
        self.leds = 0

    def consume(self):
        while len(self.buf) >= 6:
            if self.buf[:2] != b"\x57\xab":
                self.buf = self.buf[1:]
                continue
            n = 6 + self.buf[4]
            if len(self.buf) < n:
                return
            f, self.buf = self.buf[:n], self.buf[n:]
            assert sum(f[:-1]) & 0xFF == f[-1], f
            self.frames.append(f)
            cmd = f[3]
            data = bytes([0]) if cmd != 1 else bytes(
                [0x30, 1, self.leds, 0, 0, 0, 0, 0])
            r = bytes([0x57, 0xAB, 0, cmd | 0x80, len(data)]) + data
            self.write(r + bytes([sum(r) & 0xFF]))


class FakeGpiod:
    """Records POST /pulse on a UNIX socket, like gpiod-ctl."""

    def __init__(self, path):
        pulses = self.pulses = []

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                pulses.append((self.path, json.loads(self.rfile.read(n))))
                body = b'{"ok": true, "result": {}}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

            def address_string(self):
                return "unix"

        class S(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

        self.server = S(path, H)
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
