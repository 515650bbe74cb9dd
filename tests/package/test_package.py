"""The Debian package (scripts/build-deb): what it holds, what it marks as
configuration, what it depends on, what its maintainer scripts do and in
which order, and lintian's verdict.

The .deb is built from the tree into BUILD_ROOT/package-deb (native
architecture) unless KVM_DEB names one already built.  Nothing is installed:
installing and booting the package is the appliance suite's job."""

import base64
import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

import kvmtest
import urllib.parse

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
    "kaputtkvm-%s.%s" % (d, t) for d in ("capd", "hidd", "mediad", "gpiod-ctl",
                                         "redfishd")
    for t in ("service", "socket")]
PROGRAMS = ["usr/bin/" + p for p in (
    "capd", "capctl", "hidd", "hidctl", "mediad", "mediactl", "gpiod-ctl",
    "gpioctl", "redfishd", "kaputtkvm-gadget")] + [
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


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def read_unit(root, name):
    with open(os.path.join(root, "lib", "systemd", "system", name)) as f:
        return f.read()


def curl(url, auth=None):
    """Status code (and redirect target) of GET url, TLS unchecked."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    u = urllib.parse.urlsplit(url)
    if u.scheme == "https":
        conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=5,
                                           context=ctx)
    else:
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
    headers = {}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(
            auth.encode()).decode()
    deadline = time.monotonic() + 10
    while True:
        try:
            conn.request("GET", u.path + ("?" + u.query if u.query else ""),
                         headers=headers)
            break
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    if resp.status in (301, 302):
        return "%d %s" % (resp.status, resp.getheader("Location"))
    return str(resp.status)


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
        code = "\n".join(ln for ln in r.stdout.splitlines()
                         if not ln.lstrip().startswith("#"))
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
        rules = [ln for ln in r.stdout.splitlines()
                 if ln.strip() and not ln.startswith("#")]
        self.assertNotIn("www-data", "\n".join(rules))
        self.assertIn("u kaputtkvm-www", "\n".join(rules))

    def test_install_serve_purge(self):
        """dpkg installs the package into a copy-on-write view of this
        machine (overlayfs over /, chrooted; no systemd there, so nothing
        is started): users before the certificate and password, which
        are printed and kept root-only; KaputtKVM's nginx as installed,
        run as kaputtkvm-www the way its unit runs it (high ports here),
        answers 401, then 200 with the printed password, and redirects
        to its HTTPS port; a purge leaves no file, user or unit link."""
        if os.geteuid() != 0:
            self.skipTest("needs root (overlayfs, chroot, dpkg)")
        missing = [p for p in sorted(package_list("run.txt"))
                   if run(["dpkg-query", "-W", "-f", "${db:Status-Status}",
                           p]).stdout.find("installed") < 0]
        if missing:
            self.skipTest("the package's Depends are not installed here: %s"
                          % " ".join(missing))
        tmp = tempfile.mkdtemp(prefix="kvm-deb-root-")
        root = os.path.join(tmp, "merged")
        for d in ("upper", "work", "merged"):
            os.makedirs(os.path.join(tmp, d))
        r = run(["mount", "-t", "overlay", "overlay", "-o",
                 "lowerdir=/,upperdir=%s/upper,workdir=%s/work" % (tmp, tmp),
                 root])
        if r.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            self.skipTest("cannot mount an overlay over /: " + r.stderr)
        mounts = [root]
        nginx_pid = None
        try:
            for argv in (["-t", "proc", "proc", root + "/proc"],
                         ["--bind", "/dev", root + "/dev"],
                         ["-t", "tmpfs", "tmpfs", root + "/run"]):
                r = run(["mount"] + argv)
                self.assertEqual(r.returncode, 0, r.stderr)
                mounts.append(argv[-1])
            shutil.copy(self.deb, os.path.join(root, "root", "kvm.deb"))

            def chroot(*argv, **kw):
                return run(["chroot", root] + list(argv), **kw)

            # One stream, in the order dpkg's terminal would show it.
            r = subprocess.run(["chroot", root, "dpkg", "-i",
                                "/root/kvm.deb"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            out = r.stdout
            print(out)
            self.assertEqual(r.returncode, 0, out)
            m = re.search(r"KaputtKVM password: ([A-Za-z0-9]{20})\n", out)
            self.assertIsNotNone(m, "no password printed")
            password = m.group(1)
            self.assertLess(out.index("Creating user 'kaputtkvm-www'"),
                            out.index("made a self-signed certificate"))
            self.assertIn("SHA-256 fingerprint", out)
            etc = os.path.join(root, "etc", "kaputtkvm")
            # The chroot's groups, not this machine's.
            groups = {ln.split(":")[0]: ln.rstrip("\n").split(":")
                      for ln in open(os.path.join(root, "etc", "group"))}
            gid = int(groups["kaputtkvm-www"][2])
            # the password file: nginx and redfishd (its unit adds it)
            auth = int(groups["kaputtkvm-auth"][2])
            self.assertEqual(groups["kaputtkvm"][3], "kaputtkvm-www")
            self.assertEqual(groups["kaputtkvm-gpio"][3], "kaputtkvm-www")
            self.assertEqual(groups["kaputtkvm-auth"][3], "kaputtkvm-www")
            for f, mode, g in (("initial-password", 0o600, 0),
                               ("tls/key.pem", 0o640, gid),
                               ("htpasswd", 0o640, auth),
                               ("nginx-secret.conf", 0o640, gid)):
                st = os.stat(os.path.join(etc, f))
                self.assertEqual((st.st_mode & 0o777, st.st_uid, st.st_gid),
                                 (mode, 0, g), f)
            with open(os.path.join(etc, "initial-password")) as f:
                self.assertIn("KaputtKVM password: " + password, f.read())

            http_port, https_port = free_port(), free_port()
            for name, old, new in (("listen-http.conf", "80", http_port),
                                   ("listen-https.conf", "443", https_port)):
                path = os.path.join(etc, name)
                with open(path) as f:
                    text = f.read()
                text = re.sub(r"(?m)^listen \[::\]:.*\n", "", text)
                text = text.replace("listen %s " % old,
                                    "listen 127.0.0.1:%d " % new)
                text = text.replace('set $kvm_https_port "";',
                                    'set $kvm_https_port ":%d";' % https_port)
                with open(path, "w") as f:
                    f.write(text)
            # What RuntimeDirectory=, LogsDirectory=, CacheDirectory= make.
            for d in ("/run/kaputtkvm-nginx", "/var/log/kaputtkvm-nginx",
                      "/var/cache/kaputtkvm-nginx"):
                r = chroot("install", "-d", "-o", "kaputtkvm-www", "-g",
                           "kaputtkvm-www", "-m", "0750", d)
                self.assertEqual(r.returncode, 0, r.stderr)
            unit = read_unit(root, "kaputtkvm-nginx.service")
            start = re.search(r"\nExecStart=(.*)\n", unit).group(1).split()
            # The daemon keeps stderr (its error log): a file, not a pipe
            # this test would wait on.
            log = os.path.join(tmp, "nginx.log")
            with open(log, "w") as f:
                rc = subprocess.run(
                    ["chroot", root, "setpriv", "--reuid=kaputtkvm-www",
                     "--regid=kaputtkvm-www", "--init-groups", "--"] + start,
                    stdin=subprocess.DEVNULL, stdout=f, stderr=f,
                    timeout=30).returncode
            with open(log) as f:
                self.assertEqual(rc, 0, f.read())
            with open(os.path.join(root, "run", "kaputtkvm-nginx",
                                   "nginx.pid")) as f:
                nginx_pid = int(f.read())
            with open("/proc/%d/status" % nginx_pid) as f:
                uid = re.search(r"\nUid:\s+(\d+)", f.read()).group(1)
            users = {ln.split(":")[0]: ln.split(":")
                     for ln in open(os.path.join(root, "etc", "passwd"))}
            self.assertEqual(uid, users["kaputtkvm-www"][2],
                             "nginx's master is not kaputtkvm-www")
            self.assertEqual(curl("https://127.0.0.1:%d/" % https_port), "401")
            self.assertEqual(curl("https://127.0.0.1:%d/" % https_port,
                                  "admin:" + password), "200")
            self.assertEqual(curl("http://127.0.0.1:%d/x?y=1" % http_port),
                             "301 https://127.0.0.1:%d/x?y=1" % https_port)
            os.kill(nginx_pid, signal.SIGQUIT)
            deadline = time.monotonic() + 10
            while os.path.exists("/proc/%d/status" % nginx_pid):
                with open("/proc/%d/status" % nginx_pid) as f:
                    if re.search(r"\nState:\s+Z", f.read()):
                        break
                self.assertLess(time.monotonic(), deadline, "nginx stays")
                time.sleep(0.1)
            nginx_pid = None

            r = chroot("dpkg", "--purge", "kaputtkvm")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            for path in ("etc/kaputtkvm", "var/lib/kaputtkvm",
                         "var/log/kaputtkvm-nginx",
                         "var/cache/kaputtkvm-nginx",
                         "etc/systemd/system/kaputtkvm.target.wants",
                         "etc/systemd/system/multi-user.target.wants/"
                         "kaputtkvm.target", "usr/sbin/kaputtkvm-setup"):
                self.assertFalse(os.path.lexists(os.path.join(root, path)),
                                 path)
            for f in ("passwd", "group", "shadow", "gshadow"):
                with open(os.path.join(root, "etc", f)) as fh:
                    self.assertNotIn("kaputtkvm", fh.read(), f)
        finally:
            if nginx_pid:
                try:
                    os.kill(nginx_pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            for m in reversed(mounts):
                run(["umount", "-l", m])
            shutil.rmtree(tmp, ignore_errors=True)

    def test_lintian(self):
        if shutil.which("lintian") is None:
            self.skipTest("lintian is missing (scripts/deps deb)")
        r = run(["lintian", "--fail-on", "error,warning",
                 "--no-tag-display-limit",
                 self.deb])
        print(r.stdout)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotRegex(r.stdout, r"(?m)^[EW]: ")


if __name__ == "__main__":
    kvmtest.main()     # exits 77 when all were skipped
