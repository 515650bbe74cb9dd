"""The Debian package (scripts/build-deb): what it holds, what it marks as
configuration, what it depends on, what its maintainer scripts do and in
which order, and lintian's verdict.

The .deb is built from the tree into BUILD_ROOT/package-deb (native
architecture) unless KVM_DEB names one already built.  Nothing is installed:
installing and booting the package is the appliance suite's job."""

import glob
import os
import re
import shutil
import subprocess
import sys
import unittest

BUILD_ROOT = os.environ.get("KVM_BUILD_ROOT", "build")
SOURCE_ROOT = os.environ.get("KVM_SOURCE_ROOT", ".")
VERSION = os.environ.get("KVM_VERSION", "")

for tool, pkg in (("dpkg-buildpackage", "dpkg-dev"), ("dh", "debhelper"),
                  ("lintian", "lintian"), ("fakeroot", "fakeroot")):
    if shutil.which(tool) is None and not os.environ.get("KVM_DEB"):
        print("SKIP: %s is missing (scripts/deps deb installs %s)"
              % (tool, pkg))
        sys.exit(77)

UNITS = ["kaputtkvm.target", "kaputtkvm-gadget.service",
         "kaputtkvm-nginx.service"] + [
    "kaputtkvm-%s.%s" % (d, t) for d in ("capd", "hidd", "mediad", "gpiod-ctl")
    for t in ("service", "socket")]
PROGRAMS = ["usr/bin/" + p for p in (
    "capd", "capctl", "hidd", "hidctl", "mediad", "mediactl", "gpiod-ctl",
    "gpioctl", "kaputtkvm-gadget")] + [
    "usr/sbin/kaputtkvm-passwd", "usr/sbin/kaputtkvm-setup",
    "usr/libexec/kaputtkvm/first-install"]
CONFFILES = ["/etc/kaputtkvm/listen-http.conf",
             "/etc/kaputtkvm/listen-https.conf",
             "/etc/kaputtkvm/nginx.conf", "/etc/logrotate.d/kaputtkvm"]
# Never on a board: build and test tools.
TEST_ONLY = re.compile(r"^(qemu|linux-image|linux-headers|linux-source|"
                       r"chromium|nodejs|clang|shellcheck|strace|curl|git|"
                       r"meson|ninja|gcc|build-essential|busybox|xorriso|"
                       r"libjpeg-turbo-progs|gpiod$|v4l-utils|.*-dev$)")


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, **kw)


def package_list(name):
    with open(os.path.join(SOURCE_ROOT, "scripts", "packages", name)) as f:
        text = re.sub(r"#.*", "", f.read())
    return set(text.split())


def control_field(text, field):
    m = re.search(r"^%s:(.*(?:\n[ \t].*)*)" % re.escape(field), text, re.M)
    return m.group(1) if m else ""


def names(field):
    """Package names of a Depends-like field, without versions."""
    out = set()
    for alt in field.replace("\n", " ").split(","):
        alt = alt.strip()
        if alt:
            out.add(re.split(r"[\s(\[:]", alt.split("|")[0].strip())[0])
    return out


class Package(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.deb = os.environ.get("KVM_DEB")
        if not cls.deb:
            out = os.path.join(BUILD_ROOT, "package-deb")
            r = run([os.path.join(SOURCE_ROOT, "scripts", "build-deb"),
                     "--out", out])
            if r.returncode != 0:
                raise AssertionError("scripts/build-deb failed:\n" +
                                     r.stdout + r.stderr)
            cls.deb = r.stdout.strip().splitlines()[-1]
        r = run(["dpkg-deb", "-f", cls.deb])
        assert r.returncode == 0, r.stderr
        cls.control = r.stdout
        r = run(["dpkg-deb", "-c", cls.deb])
        assert r.returncode == 0, r.stderr
        cls.files = {}
        for line in r.stdout.splitlines():
            parts = line.split(None, 5)
            cls.files[parts[5].split(" -> ")[0].lstrip(".").lstrip("/")] = (
                parts[0], parts[1])
        cls.scripts = {}
        for name in ("postinst", "postrm", "prerm", "conffiles"):
            r = run(["dpkg-deb", "--info", cls.deb, name])
            cls.scripts[name] = r.stdout if r.returncode == 0 else None

    def test_name_version_arch(self):
        self.assertEqual(control_field(self.control, "Package").strip(),
                         "kaputtkvm")
        arch = run(["dpkg", "--print-architecture"]).stdout.strip()
        if not os.environ.get("KVM_DEB"):
            self.assertEqual(control_field(self.control,
                                           "Architecture").strip(), arch)
        if VERSION:
            self.assertEqual(control_field(self.control, "Version").strip(),
                             VERSION, "debian/changelog and meson.build "
                             "disagree on the version")
        self.assertRegex(os.path.basename(self.deb),
                         r"^kaputtkvm_[^_]+_(amd64|arm64|armhf)\.deb$")

    def test_files(self):
        for p in PROGRAMS:
            self.assertIn(p, self.files)
            self.assertEqual(self.files[p][0], "-rwxr-xr-x", p)
        for u in UNITS:
            self.assertIn("lib/systemd/system/" + u, self.files)
        for p in ("usr/lib/sysusers.d/kaputtkvm.conf",
                  "usr/lib/tmpfiles.d/kaputtkvm.conf",
                  "usr/lib/tmpfiles.d/kaputtkvm-gadget.conf",
                  "usr/lib/udev/rules.d/60-kaputtkvm.rules",
                  "usr/share/kaputtkvm/nginx/kaputtkvm.conf",
                  "usr/share/kaputtkvm/www/index.html",
                  "usr/share/doc/kaputtkvm/copyright"):
            self.assertIn(p, self.files)
        # The front door is its own nginx: nothing in Debian's.
        self.assertEqual([p for p in self.files
                          if p.startswith("etc/nginx")], [])
        for p, (mode, owner) in self.files.items():
            self.assertEqual(owner, "root/root", p)

    def test_conffiles(self):
        self.assertIsNotNone(self.scripts["conffiles"])
        self.assertEqual(sorted(self.scripts["conffiles"].split()),
                         CONFFILES)
        # Secrets are made on the board, never shipped.
        for p in self.files:
            self.assertNotRegex(p, r"htpasswd|\.pem$|secret|password$")

    def test_depends_are_run_txt(self):
        depends = names(control_field(self.control, "Depends"))
        wanted = package_list("run.txt")
        self.assertLessEqual(wanted, depends)
        libs = {d for d in depends - wanted if re.match(r"^lib", d)}
        self.assertEqual(depends - wanted - libs, set(),
                         "Depends that run.txt does not list")
        for d in depends:
            self.assertNotRegex(d, TEST_ONLY, "a test or build tool")
        for field in ("Recommends", "Suggests", "Pre-Depends"):
            self.assertEqual(control_field(self.control, field), "", field)

    def test_build_depends_are_build_txt(self):
        with open(os.path.join(SOURCE_ROOT, "debian", "control")) as f:
            build = names(control_field(f.read(), "Build-Depends"))
        build.discard("debhelper-compat")
        self.assertLessEqual(build, package_list("build.txt"))

    def test_maintainer_scripts_order(self):
        postinst = self.scripts["postinst"]
        self.assertIsNotNone(postinst)
        self.assertIsNotNone(self.scripts["postrm"])
        self.assertIsNotNone(self.scripts["prerm"])
        setup = postinst.index("kaputtkvm-setup --package")
        # debhelper enables and starts the units after the setup.
        enable = postinst.index("deb-systemd-helper")
        self.assertLess(setup, enable)
        for unit in ("kaputtkvm.target", "kaputtkvm-nginx.service",
                     "kaputtkvm-gadget.service"):
            self.assertRegex(postinst, r"deb-systemd-helper .*enable '?%s"
                             % re.escape(unit))
            self.assertRegex(postinst, r"deb-systemd-invoke "
                             r"(start|\$_dh_action) .*'%s'" % re.escape(unit))
        # An upgrade restarts the daemons, never the gadget or the target.
        m = re.search(r"\n\s*_dh_action=restart\n(?:.*\n){0,3}?\s*"
                      r"deb-systemd-invoke \$_dh_action (.*)", postinst)
        self.assertIsNotNone(m, "no restart after upgrade")
        restarted = m.group(1)
        self.assertIn("kaputtkvm-hidd.service", restarted)
        self.assertNotIn("kaputtkvm-gadget.service", restarted)
        self.assertNotIn("kaputtkvm.target", restarted)
        postrm = self.scripts["postrm"]
        purge = postrm[postrm.index('"$1" = purge'):]
        for path in ("/var/lib/kaputtkvm", "/etc/kaputtkvm",
                     "/var/log/kaputtkvm-nginx", "/var/cache/kaputtkvm-nginx"):
            self.assertIn(path, purge)
        self.assertIn("userdel", purge)

    def test_setup_order(self):
        """Users before the udev rules are read again (touched, so udevd
        re-reads them), then the devices re-triggered, then the certificate
        and password (group kaputtkvm-www)."""
        with subprocess.Popen(["dpkg-deb", "--fsys-tarfile", self.deb],
                              stdout=subprocess.PIPE) as p:
            r = subprocess.run(["tar", "-xOf", "-",
                                "./usr/sbin/kaputtkvm-setup"],
                               stdin=p.stdout, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        code = "\n".join(l for l in r.stdout.splitlines()
                         if not l.lstrip().startswith("#"))
        steps = ["systemd-sysusers", 'touch "$rules"',
                 "udevadm control --reload", "udevadm trigger",
                 "systemd-tmpfiles --create", "first-install"]
        where = [code.find(s) for s in steps]
        self.assertNotIn(-1, where, list(zip(steps, where)))
        self.assertEqual(where, sorted(where), list(zip(steps, where)))

    def test_no_www_data(self):
        with subprocess.Popen(["dpkg-deb", "--fsys-tarfile", self.deb],
                              stdout=subprocess.PIPE) as p:
            r = subprocess.run(["tar", "-xOf", "-",
                                "./usr/lib/sysusers.d/kaputtkvm.conf"],
                               stdin=p.stdout, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        rules = [l for l in r.stdout.splitlines()
                 if l.strip() and not l.startswith("#")]
        self.assertNotIn("www-data", "\n".join(rules))
        self.assertIn("u kaputtkvm-www", "\n".join(rules))

    def test_lintian(self):
        if shutil.which("lintian") is None:
            self.skipTest("lintian is missing (scripts/deps deb)")
        r = run(["lintian", "--fail-on", "error,warning", "--no-tag-display-limit",
                 self.deb])
        print(r.stdout)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotRegex(r.stdout, r"(?m)^[EW]: ")


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "..", "integration"))
    import kvmtest  # exits 77 when all were skipped
    kvmtest.main()
