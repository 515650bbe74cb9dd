"""kvmtest.forward -- a loopback TCP port in front of a daemon's UNIX
socket, for clients that only speak http:// (sushy, redfishtool), or
https:// with a throwaway certificate for clients that only speak that
(ansible's Redfish modules).  A stand-in for nginx: no authentication,
bytes passed as they are.
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
                # TLS: what the record layer holds already, or select()
                # would wait for bytes that arrived
                while getattr(key.fileobj, "pending", lambda: 0)():
                    data += key.fileobj.recv(key.fileobj.pending())
                key.data.sendall(data)
    except OSError:
        pass
    finally:
        sel.close()
        a.close()
        b.close()


class TcpToUnix:
    """Listens on 127.0.0.1 (a free port: .port, .url) and connects each
    client to the UNIX socket unix_path.  With ssl_context (a server
    ssl.SSLContext), each client speaks TLS (.url is https://).  Use as a
    context manager."""

    def __init__(self, unix_path, ssl_context=None):
        self.unix_path = unix_path
        self.ssl_context = ssl_context
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = "%s://127.0.0.1:%d" % (
            "https" if ssl_context else "http", self.port)
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
            threading.Thread(target=self._serve, args=(client, upstream),
                             daemon=True).start()

    def _serve(self, client, upstream):
        if self.ssl_context is not None:
            try:
                client = self.ssl_context.wrap_socket(client,
                                                      server_side=True)
            except (OSError, ValueError):
                client.close()
                upstream.close()
                return
        _pump(client, upstream)

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


def self_signed_context(tmpdir):
    """A server SSLContext with a fresh self-signed certificate for
    127.0.0.1 (openssl req), its files in tmpdir."""
    import ssl
    import subprocess
    key = tmpdir + "/forward-key.pem"
    cert = tmpdir + "/forward-cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx
