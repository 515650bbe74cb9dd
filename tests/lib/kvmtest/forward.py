"""kvmtest.forward -- a loopback TCP port in front of a daemon's UNIX
socket, for clients that only speak http:// (sushy, redfishtool).  A
stand-in for nginx: no TLS, no authentication, bytes passed as they are.
"""

import selectors
import socket
import threading


def _pump(a, b):
    """Copies both ways between a and b until either side closes."""
    sel = selectors.DefaultSelector()
    sel.register(a, selectors.EVENT_READ, b)
    sel.register(b, selectors.EVENT_READ, a)
    try:
        while True:
            for key, _ in sel.select():
                data = key.fileobj.recv(65536)
                if not data:
                    return
                key.data.sendall(data)
    except OSError:
        pass
    finally:
        sel.close()
        a.close()
        b.close()


class TcpToUnix:
    """Listens on 127.0.0.1 (a free port: .port, .url) and connects each
    client to the UNIX socket unix_path.  Use as a context manager."""

    def __init__(self, unix_path):
        self.unix_path = unix_path
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                upstream.connect(self.unix_path)
            except OSError:
                client.close()
                upstream.close()
                continue
            threading.Thread(target=_pump, args=(client, upstream),
                             daemon=True).start()

    def close(self):
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        self.thread.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
