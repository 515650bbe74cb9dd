"""gpiod-ctl: config validation at start and from --check-config.

A config naming a missing chip or line, using one line twice, giving an
output role to an input line, or holding a bad line value must be refused
with a message that names the key and says what is wrong -- both by
--check-config and by a normal start (which then exits 1 without
listening).  Runs on the test-only backend (gpiochip0 "kvmtest0" with 32
lines, gpiochip1 "kvmtest1" with 8).
"""

import os
import shutil
import subprocess
import tempfile
import unittest

import kvmtest

GOOD = """[gpiod-ctl]
backend = test
power-button = gpiochip0:23
reset-button = gpiochip0:27
power-led    = gpiochip0:24 active-low
hdd-led      = gpiochip0:22
capture-reset = kvmtest1:0
hid-reset = /dev/gpiochip1:1
line.fan = 0:5 output open-drain
"""


class ConfigTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kvmtest-gpiod-ctl-conf-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_daemon(self, text, *extra):
        path = os.path.join(self.tmp, "k.conf")
        with open(path, "w") as f:
            f.write(text)
        sock = os.path.join(self.tmp, "g.sock")
        return subprocess.run(
            [kvmtest.binary("gpiod-ctl"), "--config", path, "--socket",
             sock] + list(extra),
            capture_output=True, text=True, timeout=20)

    def refused(self, text, *wants):
        """Both --check-config and a start fail, naming each of wants."""
        for extra in (["--check-config"], []):
            p = self.run_daemon(text, *extra)
            self.assertEqual(p.returncode, 1, (extra, p.stdout, p.stderr))
            for w in wants:
                self.assertIn(w, p.stderr, extra)
            self.assertFalse(os.path.exists(os.path.join(self.tmp,
                                                         "g.sock")))

    def test_good_config(self):
        p = self.run_daemon(GOOD, "--check-config")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("configuration OK (7 lines, backend test)", p.stdout)

    def test_missing_chip(self):
        self.refused(GOOD + "line.x = gpiochip9:1 input\n",
                     "line.x", "gpiochip9", "no GPIO chip")

    def test_missing_line(self):
        self.refused(GOOD + "line.x = gpiochip1:8 input\n",
                     "line.x", "chip gpiochip1 has 8 lines", "no line 8")

    def test_line_used_twice(self):
        # The same line by label and by name.
        self.refused(GOOD + "line.x = kvmtest0:23 input\n",
                     "power-button and line.x both use gpiochip0:23")

    def test_output_role_on_input(self):
        self.refused(GOOD.replace("gpiochip0:23", "gpiochip0:23 input"),
                     "power-button", "output role",
                     "cannot be an input line")

    def test_input_role_as_output(self):
        self.refused(GOOD.replace("gpiochip0:22", "gpiochip0:22 output"),
                     "hdd-led", "input role")

    def test_bad_values(self):
        for line, want in (
                ("power-button = gpiochip0", "has no ':'"),
                ("power-button = gpiochip0:x", "not a decimal number"),
                ("power-led = gpiochip0:1 actve-low", "unknown flag"),
                ("line.x = gpiochip0:1", "must say 'input' or 'output'"),
                ("line.Bad = gpiochip0:1 input", "line.NAME"),
                ("line.power-led = gpiochip0:1 input", "is a role")):
            with self.subTest(line=line):
                key = line.split(" =")[0]
                self.refused("[gpiod-ctl]\nbackend = test\n" + line + "\n",
                             key, want)

    def test_key_given_twice(self):
        self.refused(GOOD + "power-led = gpiochip0:30\n",
                     "power-led is given twice")

    def test_unknown_key(self):
        self.refused(GOOD + "powerbutton = gpiochip0:30\n",
                     "unknown key", "powerbutton")

    def test_unknown_backend(self):
        self.refused(GOOD.replace("backend = test", "backend = fake"),
                     "backend 'fake'")

    def test_line_on_command_line(self):
        p = self.run_daemon("", "--check-config", "--backend", "test",
                            "--line", "power-led=gpiochip0:3 active-low",
                            "--line", "line.x=gpiochip1:2 output")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("2 lines", p.stdout)
        # The command line wins over the file.
        p = self.run_daemon(GOOD.replace("gpiochip0:24", "gpiochip0:23"),
                            "--check-config", "--line",
                            "power-led=gpiochip0:30")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.run_daemon("", "--check-config", "--backend", "test",
                            "--line", "power-led")
        self.assertEqual(p.returncode, 1)
        self.assertIn("KEY=VALUE", p.stderr)

    def test_press_longer_than_max(self):
        self.refused(GOOD + "press-ms = 500\nmax-pulse-ms = 100\n",
                     "press-ms (500) is longer than max-pulse-ms (100)")

    def test_real_backend_without_chips(self):
        # This host has no GPIO chips (the VM tests cover the real
        # backend); a config that names one must say so clearly.
        if any(n.startswith("gpiochip") for n in os.listdir("/dev")):
            self.skipTest("this machine has GPIO chips")
        self.refused(GOOD.replace("backend = test", "backend = gpiod"),
                     "power-button", "no GPIO chip 'gpiochip0'")


if __name__ == "__main__":
    kvmtest.main()
