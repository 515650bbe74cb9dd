"""The login rate limit (nginx/kaputtkvm.conf): wrong passwords get 401, then
429 past the limit; once limited, even the right password without the
logged-in cookie gets 429 (the limit gates guesses *before* the check, so an
attacker cannot wait for the 200 of the right guess); a browser that logged
in earlier keeps working; the cookie alone is no login."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import demostack  # noqa: E402

stack = None


def setUpModule():
    global stack
    demostack.require_stack()
    stack = demostack.Stack().start()


def tearDownModule():
    if stack is not None:
        stack.stop()
        stack.cleanup()


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


if __name__ == "__main__":
    import os as _os, sys as _sys
    _sys.path.insert(0, _os.path.join(_os.path.dirname(
        _os.path.abspath(__file__)), "..", "integration"))
    import kvmtest as _kvmtest  # exits 77 when all were skipped
    _kvmtest.main()
