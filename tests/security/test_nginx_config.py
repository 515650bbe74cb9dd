"""KaputtKVM's own nginx instance as installed passes `nginx -t` and serves
(first-install.sh in a scratch /etc), and kaputtkvm-passwd writes hashes
nginx accepts and refuses bad input without touching the file.

The configuration checked is the one meson installs (build/nginx/nginx.conf
with build/nginx/kaputtkvm.conf and the port files), with its paths moved
to a temporary directory."""

import base64
import grp
import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

import kvmtest

BUILD_ROOT = os.environ.get("KVM_BUILD_ROOT", "build")
SOURCE_ROOT = os.environ.get("KVM_SOURCE_ROOT", ".")
SITE = os.path.join(BUILD_ROOT, "nginx", "kaputtkvm.conf")
PASSWD = os.path.join(BUILD_ROOT, "nginx", "kaputtkvm-passwd")
FIRST_INSTALL = os.path.join(SOURCE_ROOT, "nginx", "first-install.sh")


def read(path):
    with open(path) as f:
        return f.read()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, **kw)


class Scratch(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kvm-nginx-")
        self.etc = os.path.join(self.tmp, "etc")
        self.sbin = os.path.join(self.tmp, "sbin")
        self.nginxdir = os.path.join(self.tmp, "nginx")
        os.makedirs(self.sbin)
        for d in ("sites-available", "sites-enabled"):
            os.makedirs(os.path.join(self.nginxdir, d))
        tool = os.path.join(self.sbin, "kaputtkvm-passwd")
        with open(tool, "w") as f:
            f.write('#!/bin/sh\nexec sh "%s" "$@"\n' % os.path.abspath(PASSWD))
        os.chmod(tool, 0o755)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


@unittest.skipIf(shutil.which("nginx") is None, "nginx is not installed")
class InstalledSite(Scratch):
    def test_first_install_then_nginx_t(self):
        if os.geteuid() != 0:
            self.skipTest("first-install.sh acts only as root")
        site = read(SITE)
        m = re.search(r"ssl_certificate (\S+)/kaputtkvm/tls/cert\.pem;", site)
        self.assertIsNotNone(m, "no certificate path in the installed site")
        sysconfdir = m.group(1)
        # Debian's default site, enabled as after `apt-get install nginx`.
        with open(os.path.join(self.nginxdir, "sites-available", "default"),
                  "w") as f:
            f.write("server { listen 80 default_server; }\n")
        os.symlink("../sites-available/default",
                   os.path.join(self.nginxdir, "sites-enabled", "default"))

        env = dict(os.environ)
        env.pop("DESTDIR", None)
        r = run(["sh", FIRST_INSTALL, self.etc, self.sbin, self.nginxdir],
                env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        print(r.stdout)
        self.first_output = r.stdout
        self.assertRegex(r.stdout, r"KaputtKVM password: [A-Za-z0-9]{20}\n")
        for f in ("tls/cert.pem", "tls/key.pem", "htpasswd",
                  "nginx-secret.conf", "initial-password"):
            self.assertTrue(os.path.exists(os.path.join(self.etc, "kaputtkvm",
                                                        f)), f)
        for f in ("tls/key.pem", "initial-password"):
            mode = os.stat(os.path.join(self.etc, "kaputtkvm",
                                        f)).st_mode & 0o777
            self.assertEqual(mode, 0o600, f)
        password = re.search(r"KaputtKVM password: (\S+)",
                             r.stdout).group(1)
        self.assertIn("KaputtKVM password: " + password, read(
            os.path.join(self.etc, "kaputtkvm", "initial-password")))
        # Debian's stock site, the only one, is disabled (it wants port 80);
        # the KVM's own nginx never uses /etc/nginx/sites-enabled.
        self.assertEqual(os.listdir(os.path.join(self.nginxdir,
                                                 "sites-enabled")), [])

        # A second install changes nothing and prints no new password.
        before = read(os.path.join(self.etc, "kaputtkvm", "htpasswd"))
        r = run(["sh", FIRST_INSTALL, self.etc, self.sbin, self.nginxdir],
                env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("password:", r.stdout)
        self.assertEqual(
            read(os.path.join(self.etc, "kaputtkvm", "htpasswd")),
            before)
        # Setting admin's own password ends the initial-password file.
        r = run(["sh", PASSWD, "--stdin", "--no-reload", "--file",
                 os.path.join(self.etc, "kaputtkvm", "htpasswd"),
                 "--secret-file",
                 os.path.join(self.etc, "kaputtkvm", "nginx-secret.conf")],
                input="a new password\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(os.path.join(
            self.etc, "kaputtkvm", "initial-password")))
        r = run(["sh", PASSWD, "--stdin", "--no-reload", "--file",
                 os.path.join(self.etc, "kaputtkvm", "htpasswd"),
                 "--secret-file",
                 os.path.join(self.etc, "kaputtkvm", "nginx-secret.conf")],
                input=password + "\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.run_instance(sysconfdir, password)

    def run_instance(self, sysconfdir, password):
        """The installed instance for real (build/nginx/nginx.conf, which
        kaputtkvm-nginx.service runs, with the site and the port files), its
        paths moved to the scratch directory and its ports to free ones: HTTP
        redirects to HTTPS on the configured port, HTTPS serves the
        first-install certificate and wants the password."""
        http_port, https_port = free_port(), free_port()
        conf = os.path.join(self.etc, "kaputtkvm")
        for name, old, new in (
                ("listen-http.conf", "80", str(http_port)),
                ("listen-https.conf", "443", str(https_port))):
            text = read(os.path.join(SOURCE_ROOT, "nginx", name))
            text = re.sub(r"\n\s*listen \[::\]:\S+[^\n]*", "", text)
            text = text.replace("listen %s " % old,
                                "listen 127.0.0.1:%s " % new)
            text = text.replace('set $kvm_https_port "";',
                                'set $kvm_https_port ":%d";' % https_port)
            with open(os.path.join(conf, name), "w") as f:
                f.write(text)
        site = read(SITE).replace(sysconfdir + "/", self.etc + "/")
        with open(os.path.join(self.tmp, "site.conf"), "w") as f:
            f.write(site)
        main = read(os.path.join(BUILD_ROOT, "nginx", "nginx.conf"))
        m = re.search(r"\n\tinclude (\S+);\n}", main)
        self.assertIsNotNone(m, "no site include in nginx.conf")
        main = main.replace(m.group(1), os.path.join(self.tmp, "site.conf"))
        for d in ("pid", "access_log"):
            main = re.sub(r"\n(\s*%s) \S+;" % d,
                          r"\n\1 %s/%s;" % (self.tmp, d), main)
        main = re.sub(r"(\w+_temp_path) \S+;", r"\1 %s/tmp;" % self.tmp,
                      main)
        path = os.path.join(self.tmp, "nginx.conf")
        with open(path, "w") as f:
            f.write(main)
        # As kaputtkvm-nginx.service runs it: every nginx process, the
        # master too, as one unprivileged user (nobody here, standing in
        # for kaputtkvm-www), whose group may read the key and password.
        as_user = []
        if shutil.which("setpriv"):
            as_user = ["setpriv", "--reuid=nobody", "--regid=nogroup",
                       "--clear-groups", "--"]
            for f in ("tls/key.pem", "htpasswd", "nginx-secret.conf"):
                os.chown(os.path.join(conf, f), 0,
                         grp.getgrnam("nogroup").gr_gid)
                os.chmod(os.path.join(conf, f), 0o640)
            for d in (self.tmp, os.path.join(self.tmp, "etc"), conf,
                      os.path.join(conf, "tls")):
                os.chmod(d, 0o755)
            os.makedirs(os.path.join(self.tmp, "tmp"))
            os.chown(os.path.join(self.tmp, "tmp"), 65534, 65534)
            open(os.path.join(self.tmp, "access_log"), "w").close()
            os.chown(os.path.join(self.tmp, "access_log"), 65534, 65534)
            os.chmod(self.tmp, 0o777)
        log = os.path.join(self.tmp, "error.log")
        r = run(as_user + ["nginx", "-t", "-e", "stderr", "-c", path])
        self.assertEqual(r.returncode, 0, r.stderr)
        proc = subprocess.Popen(as_user + ["nginx", "-e", "stderr", "-c",
                                           path, "-g", "daemon off;"],
                                stderr=open(log, "w"))
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", https_port),
                                             timeout=1).close()
                    break
                except OSError:
                    self.assertIsNone(proc.poll(), read(log))
                    self.assertLess(time.monotonic(), deadline, read(log))
                    time.sleep(0.05)
            conn = http.client.HTTPConnection("127.0.0.1", http_port,
                                              timeout=5)
            conn.request("GET", "/api/gpio/state?x=1",
                         headers={"Host": "kvm.example"})
            resp = conn.getresponse()
            self.assertEqual(resp.status, 301)
            # The redirect keeps a non-default HTTPS port.
            self.assertEqual(resp.getheader("Location"),
                             "https://kvm.example:%d/api/gpio/state?x=1"
                             % https_port)
            conn.close()

            served = ssl.get_server_certificate(("127.0.0.1", https_port))
            with open(os.path.join(self.etc, "kaputtkvm", "tls",
                                   "cert.pem")) as f:
                self.assertEqual(ssl.PEM_cert_to_DER_cert(served),
                                 ssl.PEM_cert_to_DER_cert(f.read()))
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            for auth, want in ((None, 401), ("admin:wrong", 401),
                               ("admin:" + password, 404)):
                conn = http.client.HTTPSConnection("127.0.0.1", https_port,
                                                   timeout=5, context=ctx)
                headers = {}
                if auth:
                    headers["Authorization"] = "Basic " + base64.b64encode(
                        auth.encode()).decode()
                # 404: the password passed, and there is no www/ here.
                conn.request("GET", "/no-such-page", headers=headers)
                resp = conn.getresponse()
                resp.read()
                self.assertEqual(resp.status, want, (auth, read(log)))
                conn.close()
        finally:
            proc.send_signal(signal.SIGQUIT)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def test_staged_install_makes_nothing(self):
        env = dict(os.environ, DESTDIR=os.path.join(self.tmp, "stage"))
        r = run(["sh", FIRST_INSTALL, self.etc, self.sbin, self.nginxdir],
                env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(self.etc))


class Passwd(Scratch):
    def tool(self, *args, stdin=None):
        return run(["sh", PASSWD, "--no-reload", "--file",
                    os.path.join(self.etc, "htpasswd"), "--secret-file",
                    os.path.join(self.etc, "secret.conf")] + list(args),
                   input=stdin)

    def test_sets_sha512_crypt_and_keeps_other_users(self):
        r = self.tool("--stdin", stdin="correct horse\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.tool("--stdin", "--user", "other", stdin="battery staple\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = read(os.path.join(self.etc, "htpasswd")).splitlines()
        self.assertEqual([ln.split(":")[0] for ln in lines],
                         ["admin", "other"])
        user, hashed = lines[0].split(":", 1)
        self.assertTrue(hashed.startswith("$6$"), hashed)
        salt = hashed.split("$")[2]
        again = run(["openssl", "passwd", "-6", "-salt", salt,
                     "-stdin"], input="correct horse\n").stdout.strip()
        self.assertEqual(again, hashed)
        mode = os.stat(os.path.join(self.etc, "htpasswd")).st_mode & 0o777
        self.assertEqual(mode, 0o640)
        secret = read(os.path.join(self.etc, "secret.conf"))
        self.assertRegex(secret, r"__Host-kvm=[0-9a-f]{32}")

    def test_new_password_renews_the_cookie_secret(self):
        self.tool("--stdin", stdin="first password\n")
        one = read(os.path.join(self.etc, "secret.conf"))
        self.tool("--stdin", stdin="second password\n")
        two = read(os.path.join(self.etc, "secret.conf"))
        self.assertNotEqual(one, two)

    def test_refuses_bad_input_and_changes_nothing(self):
        self.tool("--stdin", stdin="a good password\n")
        before = read(os.path.join(self.etc, "htpasswd"))
        for args, stdin, why in ((["--stdin"], "short\n", "too short"),
                                 (["--stdin", "--user", "a:b"],
                                  "long enough\n", "user name"),
                                 (["--stdin"], "", "no password"),
                                 (["--bogus"], None, "unknown option"),
                                 ([], "", "not a terminal")):
            r = self.tool(*args, stdin=stdin)
            self.assertEqual(r.returncode, 1, (args, r.stderr))
            self.assertIn(why, r.stderr)
            self.assertEqual(read(os.path.join(self.etc, "htpasswd")),
                             before)

    def test_user_names_are_literal(self):
        # "a.min" as a pattern would match "admin"; "adm" a prefix of it.
        self.tool("--stdin", stdin="the admin password\n")
        admin = read(os.path.join(self.etc, "htpasswd"))
        for name in ("a.min", "adm", "admin2", "_x", "a-b.c"):
            r = self.tool("--stdin", "--user", name, stdin="long enough\n")
            self.assertEqual(r.returncode, 0, (name, r.stderr))
        lines = read(os.path.join(self.etc, "htpasswd")).splitlines()
        self.assertEqual([ln.split(":")[0] for ln in lines],
                         ["admin", "a.min", "adm", "admin2", "_x", "a-b.c"])
        self.assertEqual(lines[0] + "\n", admin)
        # Setting a user again replaces its line only.
        r = self.tool("--stdin", "--user", "a.min", stdin="another one\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        again = read(os.path.join(self.etc, "htpasswd")).splitlines()
        self.assertEqual([ln.split(":")[0] for ln in again],
                         ["admin", "adm", "admin2", "_x", "a-b.c", "a.min"])
        self.assertEqual(again[0], lines[0])
        self.assertNotEqual(again[-1], lines[1])

    def test_refuses_bad_user_names(self):
        self.tool("--stdin", stdin="the admin password\n")
        before = read(os.path.join(self.etc, "htpasswd"))
        for name in ("", "a:b", "adm.*", "^admin", "-admin", ".admin",
                     "a b", "a/b", "x" * 33, "adm\nin", "a$b", "\u00e9"):
            r = self.tool("--stdin", "--user", name, stdin="long enough\n")
            self.assertEqual(r.returncode, 1, (name, r.stderr))
            self.assertIn("user name", r.stderr, name)
            self.assertEqual(read(os.path.join(self.etc, "htpasswd")),
                             before, name)

    def test_random(self):
        r = self.tool("--random")
        self.assertEqual(r.returncode, 0, r.stderr)
        m = re.search(r"KaputtKVM password: ([A-Za-z0-9]{20})\n", r.stdout)
        self.assertIsNotNone(m, r.stdout)


if __name__ == "__main__":
    kvmtest.main()     # exits 77 when all were skipped
