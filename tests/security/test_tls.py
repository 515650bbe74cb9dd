"""TLS of the front door: 1.2 and 1.3 only.

The client below is made as permissive as OpenSSL 3 allows (security level
0, every cipher, TLS 1.0..1.1 only), so a failed handshake is the server's
refusal: the test checks the client really offered the old version (the
error is the server's "protocol version" alert or a version mismatch, not
the client's own "no protocols available")."""

import socket
import ssl
import unittest

import kvmtest
from kvmtest import demostack

stack = None


setUpModule, tearDownModule = demostack.module_fixtures(__name__)


def handshake(minimum, maximum, ciphers=None):
    """Returns (version, None) or (None, the SSLError)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if ciphers:
        ctx.set_ciphers(ciphers)
    ctx.minimum_version = minimum
    ctx.maximum_version = maximum
    raw = socket.create_connection(("127.0.0.1", stack.port), timeout=10)
    try:
        s = ctx.wrap_socket(raw, server_hostname="localhost")
    except ssl.SSLError as e:
        raw.close()
        return None, e
    version = s.version()
    s.close()
    return version, None


class Versions(unittest.TestCase):
    def test_old_versions_refused(self):
        for old in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
            version, err = handshake(old, old, "DEFAULT:@SECLEVEL=0")
            self.assertIsNone(version, "%s accepted" % old)
            text = str(err).lower()
            print("%s: %s" % (old.name, err))
            self.assertNotIn("no protocols available", text,
                             "the client did not offer %s: the test proves "
                             "nothing" % old.name)
            self.assertTrue("protocol version" in text or
                            "unsupported protocol" in text or
                            "wrong version" in text, text)

    def test_tls12_and_13_accepted(self):
        for v, name in ((ssl.TLSVersion.TLSv1_2, "TLSv1.2"),
                        (ssl.TLSVersion.TLSv1_3, "TLSv1.3")):
            version, err = handshake(v, v)
            self.assertEqual(version, name, err)


if __name__ == "__main__":
    kvmtest.main()     # exits 77 when all were skipped
