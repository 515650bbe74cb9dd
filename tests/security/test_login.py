"""The login rate limit (nginx/kaputtkvm.conf): wrong passwords get 401, then
429 past the limit; once limited, even the right password without the
logged-in cookie gets 429 (the limit gates guesses *before* the check, so an
attacker cannot wait for the 200 of the right guess); a browser that logged
in earlier keeps working; the cookie alone is no login; and no cookie a
stranger can collect without the password exempts from the limit.
Many addresses and IPv6 networks: test_front_door.py."""

import http.client
import time
import unittest

import kvmtest
from kvmtest import demostack

stack = None


setUpModule, tearDownModule = demostack.module_fixtures(__name__)


class BruteForce(unittest.TestCase):
    def test_401_then_429(self):
        browser = stack.client()
        status, _, _ = browser.request("GET", "/api/gpio/state")
        self.assertEqual(status, 200)
        self.assertTrue(browser.cookie, "no cookie after a login")

        attacker = stack.client(password="guess", cookie=False)
        codes = []
        for i in range(40):
            status, hdrs, _ = attacker.request("GET", "/api/gpio/state")
            codes.append(status)
            if status == 429:
                self.assertIn("retry-after", hdrs)
                break
        print("FIGURE: tries until 429 without a cookie: %d"
              % (len(codes) - 1))
        self.assertEqual(codes[0], 401)
        self.assertEqual(codes[-1], 429, codes)
        self.assertTrue(all(c == 401 for c in codes[:-1]), codes)
        self.assertGreaterEqual(len(codes), 10, "limit hit too early")

        # Limited: the right password without the cookie is refused too.
        guesser = stack.client(cookie=False)
        status, _, _ = guesser.request("GET", "/api/gpio/state")
        self.assertEqual(status, 429)
        # A wrong password with the logged-in cookie is still no login.
        thief = stack.client(password="guess")
        thief.cookie = browser.cookie
        status, _, _ = thief.request("GET", "/api/gpio/state")
        self.assertEqual(status, 401)
        # The logged-in browser on the same address is not locked out.
        for _ in range(30):
            status, _, _ = browser.request("GET", "/api/gpio/state")
            self.assertEqual(status, 200)
        # The limit refills: one guess a second.
        time.sleep(2.2)
        status, _, _ = guesser.request("GET", "/api/gpio/state")
        self.assertEqual(status, 200)


class From(demostack.Client):
    """A client sending from another loopback address (a fresh bucket)."""

    def __init__(self, source, *args, **kw):
        super().__init__(*args, **kw)
        self.source = source

    def connect(self, timeout=10):
        return http.client.HTTPSConnection(
            "127.0.0.1", self.stack.port, timeout=timeout,
            context=demostack.tls_context(), source_address=(self.source, 0))


class Harvest(unittest.TestCase):
    """A stack of its own, so that the figure is not the test above's."""

    @classmethod
    def setUpClass(cls):
        cls.stack = demostack.Stack().start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()
        cls.stack.cleanup()

    def test_harvested_cookies_exempt_nothing(self):
        s = self.stack
        # Everything a stranger can collect without the password, as the
        # issue's reproduction did (the prefixes without their slash), ...
        jar, statuses = [], set()
        for path in ("/api/video", "/api/hid", "/api/media", "/api/gpio",
                     "/api/nothing", "/", "/api/media/images/..%2fx"):
            for client in (From("127.0.0.6", s, cookie=False),
                           From("127.0.0.6", s, s.info["user"], "bad",
                                cookie=False)):
                status, hdrs, _ = client.request("GET", path)
                statuses.add(status)
                if "set-cookie" in hdrs:
                    jar.append(hdrs["set-cookie"].split(";", 1)[0])
        # ... and guesses carrying all of it (plus made-up ones) meet 429
        # within the burst.
        thief = From("127.0.0.5", s, s.info["user"], "guess", cookie=False)
        thief.cookie = "; ".join(jar + ["__Host-kvm=" + "0" * 32])
        codes = []
        started = time.monotonic()
        for i in range(40):
            status, _, _ = thief.request("GET", "/api/gpio/state")
            codes.append(status)
            if status == 429:
                break
        print("FIGURE: tries until 429 with every harvested cookie: %d"
              % (len(codes) - 1))
        self.assertEqual(codes[-1], 429, codes)
        # 20 burst + 1, and 1 a second refilled while it ran.
        took = time.monotonic() - started
        self.assertLessEqual(len(codes) - 1, 21 + int(took), codes)
        self.assertTrue(all(c == 401 for c in codes[:-1]), codes)
        self.assertEqual(jar, [], "a cookie without the password")
        self.assertLessEqual(statuses, {400, 401, 429})


if __name__ == "__main__":
    kvmtest.main()     # exits 77 when all were skipped
