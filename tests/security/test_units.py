"""The installed systemd units: `systemd-analyze verify` says nothing, and
`systemd-analyze security` rates each daemon's service at exposure <= 2.0,
and KaputtKVM's own nginx (kaputtkvm-nginx.service) too, though it needs the
network and CAP_NET_BIND_SERVICE.

The units checked are the ones meson installs (build/systemd/*.service and
systemd/*.socket, *.target) in a scratch directory; their ExecStart= paths
point at the installed bindir, so the programs are linked there from the
build tree (verify insists that ExecStart= is executable)."""

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import kvmtest

BUILD_ROOT = os.environ.get("KVM_BUILD_ROOT", "build")
SOURCE_ROOT = os.environ.get("KVM_SOURCE_ROOT", ".")
DAEMONS = ["capd", "hidd", "mediad", "fetchd", "gpiod-ctl", "redfishd"]
# ocrd's units are built with ocrd (meson option 'ocr')
if os.path.exists(os.path.join(BUILD_ROOT, "systemd",
                               "kaputtkvm-ocrd.service")):
    DAEMONS.append("ocrd")
MAX_EXPOSURE = 2.0
MAX_NGINX_EXPOSURE = 2.0

if shutil.which("systemd-analyze") is None:
    print("SKIP: systemd-analyze is missing (apt-get install systemd)")
    sys.exit(77)


class Units(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="kvm-units-")
        cls.units = os.path.join(cls.tmp, "units")
        cls.bin = os.path.join(cls.tmp, "bin")
        os.makedirs(cls.units)
        os.makedirs(cls.bin)
        programs = {d: os.path.join(BUILD_ROOT, d, d) for d in DAEMONS}
        programs["kaputtkvm-gadget"] = os.path.join(SOURCE_ROOT, "gadget",
                                                    "kaputtkvm-gadget")
        built = os.path.join(BUILD_ROOT, "systemd")
        for path in glob.glob(os.path.join(built, "*.service")):
            with open(path) as f:
                text = f.read()
            # ExecStart=/usr/local/bin/capd ... -> the scratch bin dir
            # (after systemd's prefixes such as ExecStopPost=-).
            for prog, real in programs.items():
                pattern = r"(Exec\w+=[-@:+!]*)(/\S+/)%s(\s)" % re.escape(prog)
                text = re.sub(pattern, r"\g<1>%s/%s\3" % (cls.bin, prog), text)
                link = os.path.join(cls.bin, prog)
                if not os.path.exists(link):
                    os.symlink(os.path.abspath(real)
                               if os.access(real, os.X_OK) else "/bin/true",
                               link)
            with open(os.path.join(cls.units, os.path.basename(path)),
                      "w") as f:
                f.write(text)
        # the target is rendered by meson (the daemons built here)
        shutil.copy(os.path.join(built, "kaputtkvm.target"), cls.units)
        for pattern in ("*.socket",):
            for path in glob.glob(os.path.join(SOURCE_ROOT, "systemd",
                                               pattern)):
                if os.path.basename(path) == "kaputtkvm-ocrd.socket" and \
                        "ocrd" not in DAEMONS:
                    continue
                shutil.copy(path, cls.units)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def unit_files(self):
        return sorted(glob.glob(os.path.join(self.units, "*")))

    def test_all_there(self):
        names = sorted(os.path.basename(p) for p in self.unit_files())
        want = ["kaputtkvm.target", "kaputtkvm-gadget.service",
                "kaputtkvm-nginx.service"]
        for d in DAEMONS:
            want += ["kaputtkvm-%s.service" % d, "kaputtkvm-%s.socket" % d]
        self.assertEqual(names, sorted(want))

    def test_verify_clean(self):
        r = subprocess.run(["systemd-analyze", "verify"] + self.unit_files(),
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout + r.stderr, "", "verify had remarks")

    def test_exposure(self):
        figures = {}
        for d in DAEMONS:
            unit = os.path.join(self.units, "kaputtkvm-%s.service" % d)
            r = subprocess.run(["systemd-analyze", "security", "--offline=yes",
                                unit], capture_output=True, text=True)
            m = re.search(r"Overall exposure level for \S+: ([0-9.]+)",
                          r.stdout)
            self.assertIsNotNone(m, r.stdout + r.stderr)
            figures[d] = float(m.group(1))
        print("systemd-analyze security exposure: " + ", ".join(
            "%s %.1f" % kv for kv in figures.items()))
        for d, level in figures.items():
            self.assertLessEqual(level, MAX_EXPOSURE, d)

    def test_nginx_instance(self):
        """The front door is its own nginx: own config, pid file, user
        kaputtkvm-www with only CAP_NET_BIND_SERVICE, sandboxed."""
        unit = os.path.join(self.units, "kaputtkvm-nginx.service")
        with open(unit) as f:
            text = f.read()
        for line in ("User=kaputtkvm-www\n", "Group=kaputtkvm-www\n",
                     "AmbientCapabilities=CAP_NET_BIND_SERVICE\n",
                     "CapabilityBoundingSet=CAP_NET_BIND_SERVICE\n",
                     "PIDFile=/run/kaputtkvm-nginx/nginx.pid\n",
                     "NoNewPrivileges=yes\n", "ProtectSystem=strict\n",
                     "PrivateDevices=yes\n", "PartOf=kaputtkvm.target\n"):
            self.assertIn(line, text)
        self.assertRegex(text, r"\nExecStart=/usr/sbin/nginx .*-c "
                         r"/\S*/kaputtkvm/nginx\.conf\n")
        self.assertNotIn("/etc/nginx/nginx.conf", text)
        with open(os.path.join(self.units, "kaputtkvm.target")) as f:
            self.assertIn("Wants=kaputtkvm-nginx.service\n", f.read())
        r = subprocess.run(["systemd-analyze", "security", "--offline=yes",
                            unit], capture_output=True, text=True)
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout)
        self.assertIsNotNone(m, r.stdout + r.stderr)
        print("systemd-analyze security exposure: kaputtkvm-nginx %s"
              % m.group(1))
        self.assertLessEqual(float(m.group(1)), MAX_NGINX_EXPOSURE)

    def test_sysusers_makes_every_user(self):
        if shutil.which("systemd-sysusers") is None:
            self.skipTest("systemd-sysusers is missing")
        root = os.path.join(self.tmp, "root")
        os.makedirs(os.path.join(root, "etc"))
        r = subprocess.run(["systemd-sysusers", "--root", root, "--dry-run",
                            os.path.join(SOURCE_ROOT, "systemd",
                                         "sysusers-kaputtkvm.conf")],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout + r.stderr
        self.assertIn("Creating group 'kaputtkvm'", out)
        self.assertIn("Creating group 'kaputtkvm-gpio'", out)
        self.assertIn("Creating group 'kaputtkvm-media'", out)
        self.assertIn("Creating group 'kaputtkvm-video'", out)
        self.assertIn("Creating group 'kaputtkvm-auth'", out)
        for d in DAEMONS + ["ocrd", "www"]:
            self.assertIn("Creating user 'kaputtkvm-%s'" % d, out)

    def test_only_kaputtkvm_www_in_socket_groups(self):
        """kaputtkvm-www is the socket groups' one member: not www-data,
        which other sites (PHP-FPM, fcgiwrap) share."""
        with open(os.path.join(SOURCE_ROOT, "systemd",
                               "sysusers-kaputtkvm.conf")) as f:
            members = sorted(tuple(ln.split()[1:3]) for ln in f
                             if ln.startswith("m "))
        self.assertEqual(members, [("kaputtkvm-www", "kaputtkvm"),
                                   ("kaputtkvm-www", "kaputtkvm-auth"),
                                   ("kaputtkvm-www", "kaputtkvm-fetch"),
                                   ("kaputtkvm-www", "kaputtkvm-gpio"),
                                   ("kaputtkvm-www", "kaputtkvm-media"),
                                   ("kaputtkvm-www", "kaputtkvm-video")])

    def test_only_nginx_reaches_every_socket(self):
        """capd and hidd may call gpiod-ctl, fetchd mediad, ocrd capd,
        redfishd gpiod-ctl, mediad and fetchd, and no other daemon: fetchd,
        the one with network access, reaches mediad's socket and no other;
        ocrd, which runs Tesseract on what the target shows, capd's alone
        (not hidd's: no typing).  redfishd alone reads the password file
        (group kaputtkvm-auth) besides nginx; its socket is nginx's."""
        with open(os.path.join(self.units, "kaputtkvm-fetchd.socket")) as f:
            self.assertIn("SocketGroup=kaputtkvm-fetch\n", f.read())
        with open(os.path.join(self.units, "kaputtkvm-redfishd.socket")) as f:
            self.assertIn("SocketGroup=kaputtkvm\n", f.read())
        with open(os.path.join(self.units, "kaputtkvm-gpiod-ctl.socket")) as f:
            self.assertIn("SocketGroup=kaputtkvm-gpio\n", f.read())
        with open(os.path.join(self.units, "kaputtkvm-mediad.socket")) as f:
            self.assertIn("SocketGroup=kaputtkvm-media\n", f.read())
        with open(os.path.join(self.units, "kaputtkvm-capd.socket")) as f:
            self.assertIn("SocketGroup=kaputtkvm-video\n", f.read())
        for d in DAEMONS:
            with open(os.path.join(self.units,
                                   "kaputtkvm-%s.service" % d)) as f:
                groups = " ".join(ln.split("=", 1)[1] for ln in f
                                  if ln.startswith("SupplementaryGroups="))
            self.assertNotIn("kaputtkvm", groups.split(), d)
            self.assertEqual("kaputtkvm-gpio" in groups.split(),
                             d in ("capd", "hidd", "redfishd"), d)
            self.assertEqual("kaputtkvm-media" in groups.split(),
                             d in ("fetchd", "redfishd"), d)
            self.assertEqual("kaputtkvm-auth" in groups.split(),
                             d == "redfishd", d)
            self.assertEqual("kaputtkvm-fetch" in groups.split(),
                             d == "redfishd", d)
            self.assertEqual("kaputtkvm-video" in groups.split(),
                             d == "ocrd", d)

    def test_daemons_socket_activated_and_notify(self):
        for d in DAEMONS:
            with open(os.path.join(self.units,
                                   "kaputtkvm-%s.service" % d)) as f:
                text = f.read()
            for line in ("Type=notify", "WatchdogSec=", "Restart=on-failure",
                         "Requires=kaputtkvm-%s.socket" % d,
                         "RestrictAddressFamilies=AF_UNIX",
                         "NoNewPrivileges=yes", "ProtectSystem=strict",
                         "User=kaputtkvm-%s" % d, "DevicePolicy=closed"):
                self.assertIn(line, text, d)

    def unit_settings(self, name):
        """{key: [values]} of one unit, in file order."""
        out = {}
        with open(os.path.join(self.units, name)) as f:
            for line in f:
                line = line.strip()
                if "=" in line and not line.startswith(("#", ";", "[")):
                    k, v = line.split("=", 1)
                    out.setdefault(k, []).append(v)
        return out

    def test_crash_containment(self):
        """A crash loop is throttled, never left failed for good: no start
        limit (on systemd 252 hitting it fails the unit and stops its
        socket until someone intervenes), RestartSec= of at least a
        second; and hidd's stop step releases held keys."""
        for d in DAEMONS:
            s = self.unit_settings("kaputtkvm-%s.service" % d)
            self.assertEqual(s.get("Restart"), ["on-failure"], d)
            self.assertEqual(s.get("StartLimitIntervalSec"), ["0"], d)
            self.assertNotIn("StartLimitBurst", s, d)
            sec = s.get("RestartSec", ["100ms"])[-1]
            m = re.fullmatch(r"([0-9]+)s", sec)
            self.assertTrue(m and int(m.group(1)) >= 1, (d, sec))
            if d != "hidd":
                self.assertNotIn("ExecStopPost", s, d)
        s = self.unit_settings("kaputtkvm-hidd.service")
        start = s["ExecStart"][0].split()
        post = s.get("ExecStopPost", [])
        self.assertEqual(len(post), 1, post)
        # "-": a failed release is logged but never turns a clean stop
        # into a failure; the same program, the same (default) config.
        self.assertTrue(post[0].startswith("-"), post)
        self.assertEqual(post[0][1:].split(), [start[0], "--release"])

    def test_gpiod_ctl_sees_its_callers(self):
        """gpiod-ctl tells capd, hidd and the front door apart by user
        (SO_PEERCRED); in a user namespace of its own (PrivateUsers=)
        they would all look like nobody.  The other daemons keep it."""
        for d in DAEMONS:
            s = self.unit_settings("kaputtkvm-%s.service" % d)
            if d == "gpiod-ctl":
                self.assertNotIn("PrivateUsers", s)
            else:
                self.assertEqual(s.get("PrivateUsers"), ["yes"], d)


if __name__ == "__main__":
    kvmtest.main()     # exits 77 when all were skipped
