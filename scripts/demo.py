#!/usr/bin/env python3
"""demo.py -- run the KaputtKVM stack without hardware (see scripts/demo).

A supervisor process owns everything it starts and plays systemd's part for
the daemons: it holds each daemon's listening socket in STATE/run and hands
it over by socket activation (LISTEN_FDS), and restarts a daemon that dies
(Restart=on-failure), so a connection that arrives meanwhile waits in the
socket's queue -- kill -9 one and watch.  Besides the daemons: a reader on
each FIFO that stands in for /dev/hidgN (it logs every report hidd writes,
decoded, to STATE/logs/hid-reports.log), and a private nginx (its own
config, logs and temporary files in STATE/nginx, run as the invoking user)
with TLS and basic auth in front of them.  Every child gets SIGTERM if the
supervisor dies (PR_SET_PDEATHSIG); on SIGINT/SIGTERM the supervisor stops
nginx, then the daemons, and waits for each.

State directory layout:
  run/*.sock  logs/*.log  nginx/  tls/  htpasswd  nginx-secret.conf
  credentials (user, password of this run; 0600)  media/images  media/lun.0
  hid/hidg0..2  hid/leds
  kaputtkvm.conf (the daemons' config)  demo.pid  ready (JSON, once up)
  pids.json (the daemons' current pids, rewritten after each restart)
Standard library only.
"""

import argparse
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

try:
    from kvmtest.standins import (ACTIVATE_SHIM, HID_FUNCTIONS, make_fifo,
                                  make_lun, hardware_free_args)
except ImportError:
    sys.exit("demo: kvmtest (tests/lib) is not on PYTHONPATH: run "
             "scripts/demo, or PYTHONPATH=tests/lib python3 scripts/demo.py")

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DAEMONS = ["capd", "hidd", "mediad", "gpiod-ctl", "fetchd", "redfishd"]
# Built only with Tesseract (meson option 'ocr'): started when built.
OPTIONAL_DAEMONS = ["ocrd"]
USER = "admin"

# The daemons' config: gpiod-ctl's named lines on its test backend.
DAEMON_CONFIG = """\
# Written by scripts/demo: hardware-free settings.
[gpiod-ctl]
power-button = gpiochip0:23
reset-button = gpiochip0:27
power-led    = gpiochip0:24
hdd-led      = gpiochip0:22
capture-reset = gpiochip0:5
hid-reset    = gpiochip0:6
"""


def log(msg):
    sys.stderr.write("demo: %s\n" % msg)
    sys.stderr.flush()


def daemon_args(name, st):
    """Hardware-free command line of one daemon (socket, config added):
    the tests' stand-ins (kvmtest.standins), wired to each other."""
    args = hardware_free_args(name, st.root)
    if name == "capd":
        args += ["--gpiod-socket", st.socket("gpiod-ctl")]
    if name == "hidd":
        args += ["--leds", st.path("hid", "leds"),
                 "--macros", st.path("hid", "macros.json"),
                 "--jiggler-state", st.path("hid", "jiggler.json"),
                 "--gpiod-socket", st.socket("gpiod-ctl"),
                 "--log-reports"]
    if name == "fetchd":
        args += ["--mediad-socket", st.socket("mediad")]
    if name == "ocrd":
        args += ["--capd-socket", st.socket("capd")]
    if name == "redfishd":
        args += ["--gpiod-socket", st.socket("gpiod-ctl"),
                 "--mediad-socket", st.socket("mediad"),
                 "--fetchd-socket", st.socket("fetchd"),
                 "--htpasswd", st.path("htpasswd")]
    return args


class State:
    """Paths inside the state directory."""

    def __init__(self, root):
        self.root = os.path.abspath(root)

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def socket(self, name):
        return self.path("run", name + ".sock")

    def makedirs(self):
        for d in ["run", "logs", "nginx", "nginx/tmp", "tls", "media/images",
                  "media/lun.0", "hid"]:
            os.makedirs(self.path(d), exist_ok=True)
        os.chmod(self.root, 0o700)


def binary(build_dir, name):
    sub = {"gpiod-ctl": "gpiod-ctl/gpiod-ctl"}.get(name, name + "/" + name)
    return os.path.join(build_dir, sub)


def set_pdeathsig():
    """In the child: die with SIGTERM when the supervisor goes away."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM, 0, 0, 0)   # PR_SET_PDEATHSIG


def make_certificate(st):
    cert, key = st.path("tls", "cert.pem"), st.path("tls", "key.pem")
    if os.path.exists(cert) and os.path.exists(key):
        return
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-days", "825",
         "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", key, "-out", cert],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.chmod(key, 0o600)


def make_credentials(st, build_dir):
    """A fresh random password for every run (kaputtkvm-passwd --random)."""
    cred = st.path("credentials")
    tool = os.path.join(build_dir, "nginx", "kaputtkvm-passwd")
    if not os.path.exists(tool):
        tool = os.path.join(SOURCE_ROOT, "nginx", "kaputtkvm-passwd.in")
    out = subprocess.run(
        ["sh", tool, "--random", "--user", USER, "--no-reload",
         "--file", st.path("htpasswd"),
         "--secret-file", st.path("nginx-secret.conf"),
         "--group", str(os.getgid())],
        check=True, capture_output=True, text=True).stdout
    m = re.search(r"password: (\S+)", out)
    if not m:
        raise RuntimeError("kaputtkvm-passwd printed no password: %r" % out)
    password = m.group(1)
    fd = os.open(cred, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("%s\n%s\n" % (USER, password))
    return USER, password


def render_site(st, listen, port):
    """nginx/kaputtkvm.conf.in with the demo's paths, no port-80 server."""
    with open(os.path.join(SOURCE_ROOT, "nginx", "kaputtkvm.conf.in")) as f:
        text = f.read()
    text = re.sub(r"# -- begin http redirect.*?# -- end http redirect --\n",
                  "", text, flags=re.S)
    values = {
        "SOCKDIR": st.path("run"),
        "WWWDIR": os.path.join(SOURCE_ROOT, "www"),
        "CERT": st.path("tls", "cert.pem"),
        "KEY": st.path("tls", "key.pem"),
        "HTPASSWD": st.path("htpasswd"),
        "SECRET_CONF": st.path("nginx-secret.conf"),
        "HTTPS_LISTEN": "listen %s:%d ssl;" % (listen, port),
    }
    for k, v in values.items():
        text = text.replace("@%s@" % k, v)
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        raise RuntimeError("unrendered placeholders in the site: %s" % left)
    return text


def write_nginx_conf(st, listen, port):
    with open(st.path("nginx", "kaputtkvm.conf"), "w") as f:
        f.write(render_site(st, listen, port))
    tmp = st.path("nginx", "tmp")
    user = ""
    if os.geteuid() == 0:
        # A private demo: the workers run as the invoking user (root here),
        # who owns the sockets, the password file and the certificate.
        user = "user root root;\n"
    conf = """\
# Written by scripts/demo: a private nginx for the demo stack.
{user}daemon off;
master_process on;
worker_processes 1;
pid {pid};
error_log {errlog} notice;
events {{
	worker_connections 512;
}}
http {{
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	sendfile on;
	access_log {acclog};
	client_body_temp_path {tmp}/body;
	proxy_temp_path {tmp}/proxy;
	fastcgi_temp_path {tmp}/fastcgi;
	uwsgi_temp_path {tmp}/uwsgi;
	scgi_temp_path {tmp}/scgi;
	include {site};
}}
""".format(user=user, pid=st.path("nginx", "nginx.pid"),
           errlog=st.path("logs", "nginx-error.log"),
           acclog=st.path("logs", "nginx-access.log"), tmp=tmp,
           site=st.path("nginx", "kaputtkvm.conf"))
    with open(st.path("nginx", "nginx.conf"), "w") as f:
        f.write(conf)


def describe_report(what, rep):
    """One HID report in words, for the log."""
    hexs = " ".join("%02x" % b for b in rep)
    if what == "keyboard" and len(rep) == 8:
        mods = [n for i, n in enumerate(
            ["LCtrl", "LShift", "LAlt", "LGui", "RCtrl", "RShift", "RAlt",
             "RGui"]) if rep[0] & (1 << i)]
        keys = ["0x%02x" % k for k in rep[2:] if k]
        if not mods and not keys:
            return "%s  (all keys released)" % hexs
        return "%s  (mods=%s keys=%s)" % (hexs, "+".join(mods) or "-",
                                          ",".join(keys) or "-")
    return hexs


class HidReader(threading.Thread):
    """Reads one FIFO standing in for /dev/hidgN and logs each report.

    The FIFO is opened read-write so hidd's non-blocking writer always has a
    reader and never sees ENXIO, and so the reader never sees end-of-file."""

    def __init__(self, st, fifo, what, size, logf, lock):
        super().__init__(daemon=True)
        self.path, self.fifo, self.what, self.size = \
            st.path("hid", fifo), fifo, what, size
        self.logf, self.lock = logf, lock
        self.fd = os.open(self.path, os.O_RDWR)
        self.stopping = False

    def run(self):
        buf = b""
        while not self.stopping:
            try:
                data = os.read(self.fd, 4096)
            except OSError:
                break
            if not data:
                break
            buf += data
            while len(buf) >= self.size:
                rep, buf = buf[:self.size], buf[self.size:]
                with self.lock:
                    self.logf.write("%.3f %s %s: %s\n" % (
                        time.time(), self.fifo, self.what,
                        describe_report(self.what, rep)))
                    self.logf.flush()


def wait_http(path, proc, timeout=20.0):
    """Until GET /state on the UNIX socket answers (a socket held by the
    supervisor accepts at once: only an answer says the daemon is up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            s.connect(path)
            s.sendall(b"GET /state HTTP/1.1\r\nHost: demo\r\n"
                      b"Connection: close\r\n\r\n")
            if s.recv(12).startswith(b"HTTP/1.1 "):
                return True
        except OSError:
            time.sleep(0.05)
        finally:
            s.close()
    return False


def wait_tcp(host, port, proc, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection((host, port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def tail(path, n=15):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


class Supervisor:
    def __init__(self, args):
        self.args = args
        self.st = State(args.state_dir)
        self.build = os.path.abspath(args.build_dir)
        self.children = []          # (name, Popen, log path)
        self.sockets = {}           # daemon -> listening socket
        self.restarts = []          # monotonic times of restarts
        self.readers = []
        self.leds_fd = None
        self.stop_requested = False

    def spawn(self, name, argv, log_path, listen_fd=None):
        """Starts a child; with listen_fd, socket-activated: the socket
        becomes its fd 3 with LISTEN_FDS=1 and LISTEN_PID = its own pid
        (set by a small Python shim that then execs the program)."""
        env = dict(os.environ)
        for k in ("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
                  "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
            env.pop(k, None)
        pass_fds = ()
        if listen_fd is not None:
            argv = [sys.executable, "-I", "-S", "-c", ACTIVATE_SHIM,
                    str(listen_fd)] + argv
            pass_fds = (listen_fd,)
        logf = open(log_path, "ab")
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf,
                                stderr=logf, start_new_session=True,
                                preexec_fn=set_pdeathsig, cwd=self.st.root,
                                env=env, pass_fds=pass_fds)
        logf.close()
        self.children = [c for c in self.children if c[0] != name]
        self.children.append((name, proc, log_path))
        return proc

    def listen(self, name):
        """The daemon's socket, held here across its restarts."""
        path = self.st.socket(name)
        if os.path.exists(path):
            os.unlink(path)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        os.chmod(path, 0o660)
        s.listen(128)
        self.sockets[name] = s
        return s

    def daemon_argv(self, name):
        argv = [binary(self.build, name), "--socket", self.st.socket(name),
                "--config", self.st.path("kaputtkvm.conf")] + \
            daemon_args(name, self.st)
        if self.args.verbose:
            argv.append("--verbose")
        if name == "capd" and self.args.pattern:
            argv += ["--pattern", self.args.pattern]
        if name == "redfishd" and self.args.redfish_session_timeout:
            argv += ["--session-timeout",
                     str(self.args.redfish_session_timeout)]
        return argv

    def start_daemon(self, name):
        return self.spawn(name, self.daemon_argv(name),
                          self.st.path("logs", name + ".log"),
                          self.sockets[name].fileno())

    def write_pids(self):
        tmp = self.st.path("pids.json.tmp")
        with open(tmp, "w") as f:
            json.dump({n: p.pid for n, p, _ in self.children}, f)
        os.rename(tmp, self.st.path("pids.json"))

    def on_signal(self, signum, frame):
        self.stop_requested = True

    def start(self):
        st, a = self.st, self.args
        st.makedirs()
        with open(st.path("demo.pid"), "w") as f:
            f.write("%d\n" % os.getpid())
        for p in [st.path("ready")]:
            if os.path.exists(p):
                os.unlink(p)
        missing = [n for n in DAEMONS if not os.access(binary(self.build, n),
                                                       os.X_OK)]
        if missing:
            raise RuntimeError("not built in %s: %s"
                               % (self.build, ", ".join(missing)))
        if shutil.which("nginx") is None:
            raise RuntimeError("nginx is missing: apt-get install nginx "
                               "(scripts/deps does)")
        with open(st.path("kaputtkvm.conf"), "w") as f:
            f.write(DAEMON_CONFIG)
        make_certificate(st)
        user, password = make_credentials(st, self.build)

        # The LUN: a plain directory with files named like the attributes.
        make_lun(st.root)

        lock = threading.Lock()
        self.hidlog = open(st.path("logs", "hid-reports.log"), "a")
        for fifo, what, size in HID_FUNCTIONS:
            make_fifo(st.path("hid", fifo))
            r = HidReader(st, fifo, what, size, self.hidlog, lock)
            r.start()
            self.readers.append(r)
        # The keyboard's LED output report (hidd reads it): held open
        # read-write so hidd never sees end-of-file; nothing is written.
        leds = st.path("hid", "leds")
        make_fifo(leds)
        self.leds_fd = os.open(leds, os.O_RDWR)

        self.daemons = DAEMONS + [n for n in OPTIONAL_DAEMONS if os.access(
            binary(self.build, n), os.X_OK)]
        for name in self.daemons:
            self.listen(name)
            proc = self.start_daemon(name)
            log_path = st.path("logs", name + ".log")
            if not wait_http(st.socket(name), proc):
                raise RuntimeError("%s did not answer on %s:\n%s" % (
                    name, st.socket(name), tail(log_path)))
            log("%s is up (log: %s)" % (name, log_path))
        self.write_pids()

        write_nginx_conf(st, a.listen, a.port)
        conf = st.path("nginx", "nginx.conf")
        test = subprocess.run(["nginx", "-t", "-q", "-p", st.path("nginx"),
                               "-c", conf, "-e",
                               st.path("logs", "nginx-error.log")],
                              capture_output=True, text=True)
        if test.returncode != 0:
            raise RuntimeError("nginx -t refused the demo config:\n%s" %
                               test.stderr)
        proc = self.spawn("nginx", ["nginx", "-p", st.path("nginx"), "-c",
                                    conf, "-e",
                                    st.path("logs", "nginx-error.log")],
                          st.path("logs", "nginx.log"))
        self.write_pids()
        if not wait_tcp(a.listen, a.port, proc):
            raise RuntimeError("nginx did not start on %s:%d:\n%s%s" % (
                a.listen, a.port, tail(st.path("logs", "nginx.log")),
                tail(st.path("logs", "nginx-error.log"))))

        host = "localhost" if a.listen in ("127.0.0.1", "0.0.0.0") \
            else a.listen
        url = "https://%s:%d/" % (host, a.port)
        info = {"url": url, "user": user, "password": password,
                "pid": os.getpid(), "state_dir": st.root,
                "sockets": {n: st.socket(n) for n in self.daemons},
                "pids": {n: p.pid for n, p, _ in self.children},
                "hid_log": st.path("logs", "hid-reports.log")}
        tmp = st.path("ready.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(info, f, indent=1)
        os.rename(tmp, st.path("ready"))
        return info

    def watch(self):
        """Until a stop signal.  A daemon that dies is started again on the
        socket it had (unless it dies more than 10 times in 30 s); if nginx
        dies, everything stops."""
        while not self.stop_requested:
            for name, proc, log_path in list(self.children):
                if proc.poll() is None:
                    continue
                if name not in self.sockets:
                    log("%s exited unexpectedly (status %d); its log:\n%s" % (
                        name, proc.returncode, tail(log_path)))
                    return 1
                now = time.monotonic()
                self.restarts = [t for t in self.restarts if now - t < 30]
                if len(self.restarts) >= 10:
                    log("daemons keep dying: giving up; %s's log:\n%s" % (
                        name, tail(log_path)))
                    return 1
                self.restarts.append(now)
                log("%s exited (status %d): starting it again on its socket"
                    % (name, proc.returncode))
                self.start_daemon(name)
                self.write_pids()
            time.sleep(0.1)
        return 0

    def stop(self):
        """nginx first (no new requests), then the daemons."""
        order = sorted(self.children, key=lambda c: c[0] != "nginx")
        for name, proc, _ in order:
            if proc.poll() is None:
                proc.send_signal(signal.SIGQUIT if name == "nginx"
                                 else signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                log("%s did not stop within 10 s: killing it" % name)
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for r in self.readers:
            r.stopping = True
            os.close(r.fd)
        if self.leds_fd is not None:
            os.close(self.leds_fd)
        for name, s in self.sockets.items():
            s.close()
            try:
                os.unlink(self.st.socket(name))
            except OSError:
                pass
        for p in [self.st.path("ready"), self.st.path("demo.pid"),
                  self.st.path("pids.json")]:
            try:
                os.unlink(p)
            except OSError:
                pass


def cmd_run(args):
    sup = Supervisor(args)
    signal.signal(signal.SIGINT, sup.on_signal)
    signal.signal(signal.SIGTERM, sup.on_signal)
    signal.signal(signal.SIGHUP, sup.on_signal)
    status = 0
    try:
        info = sup.start()
        print("\nKaputtKVM demo is running.\n"
              "  URL:      %s\n  user:     %s\n  password: %s\n"
              "  (self-signed certificate: accept it in the browser)\n"
              "  Redfish:  %sredfish/v1 (the same user; sessions too)\n"
              "  logs:     %s  (each HID report: logs/hid-reports.log)\n"
              "%s" % (info["url"], info["user"], info["password"],
                      info["url"],
                      os.path.join(sup.st.root, "logs"),
                      "" if args.quiet else "Ctrl+C stops it.\n"),
              flush=True)
        status = sup.watch()
    except Exception as e:           # report, then clean up what started
        log("error: %s" % e)
        status = 1
    finally:
        sup.stop()
        log("stopped everything it started")
    return status


def cmd_background(args):
    st = State(args.state_dir)
    os.makedirs(st.root, exist_ok=True)
    if os.path.exists(st.path("demo.pid")):
        try:
            pid = int(open(st.path("demo.pid")).read())
            os.kill(pid, 0)
            log("a demo already runs from %s (pid %d): --stop it first" % (
                st.root, pid))
            return 1
        except (OSError, ValueError):
            pass
    for p in ["ready", "demo.pid"]:
        if os.path.exists(st.path(p)):
            os.unlink(st.path(p))
    argv = [sys.executable, os.path.abspath(__file__), "--run",
            "--quiet", "--state-dir", st.root, "--build-dir",
            os.path.abspath(args.build_dir), "--port", str(args.port),
            "--listen", args.listen] + \
        (["--verbose"] if args.verbose else []) + \
        (["--pattern", args.pattern] if args.pattern else []) + \
        (["--redfish-session-timeout", str(args.redfish_session_timeout)]
         if args.redfish_session_timeout else [])
    with open(st.path("demo.log"), "ab") as logf:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf,
                                stderr=logf, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if os.path.exists(st.path("ready")):
            with open(st.path("ready")) as f:
                info = json.load(f)
            print("URL: %s\nuser: %s\npassword: %s\nstop: scripts/demo "
                  "--stop %s" % (info["url"], info["user"], info["password"],
                                 st.root))
            return 0
        if proc.poll() is not None:
            log("the demo failed to start; %s says:\n%s" % (
                st.path("demo.log"), tail(st.path("demo.log"), 30)))
            return 1
        time.sleep(0.1)
    proc.terminate()
    proc.wait()
    log("the demo did not come up within 60 s; see %s" % st.path("demo.log"))
    return 1


def find_supervisor(root):
    """The pid of a running supervisor with this state directory, or None."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if any(a.endswith(b"demo.py") for a in argv) and b"--run" in argv \
                and root.encode() in argv:
            return int(entry)
    return None


def cmd_stop(args):
    st = State(args.state_dir)
    try:
        pid = int(open(st.path("demo.pid")).read())
    except (OSError, ValueError):
        # demo.pid is gone (the directory was removed under a running
        # demo): find its supervisor by its command line.
        pid = find_supervisor(st.root)
        if pid is None:
            log("no demo runs from %s" % st.root)
            return 1
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        log("the demo (pid %d) was gone already" % pid)
        if os.path.exists(st.path("demo.pid")):
            os.unlink(st.path("demo.pid"))
        return 0
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if not os.path.exists("/proc/%d" % pid) or \
                open("/proc/%d/stat" % pid).read().split()[2] == "Z":
            log("stopped")
            return 0
        time.sleep(0.1)
    log("the demo (pid %d) did not stop within 40 s" % pid)
    return 1


def main():
    ap = argparse.ArgumentParser(
        prog="scripts/demo",
        description="KaputtKVM without hardware behind nginx (TLS, auth).")
    ap.add_argument("--state-dir", default=os.path.join(SOURCE_ROOT, ".demo"),
                    help="where sockets, logs, certificate and password live "
                    "(default: .demo/)")
    ap.add_argument("--build-dir", default=os.path.join(SOURCE_ROOT, "build"),
                    help="built tree to take the programs from; given, "
                    "scripts/demo neither installs nor builds")
    ap.add_argument("--port", type=int, default=8443,
                    help="HTTPS port (default 8443)")
    ap.add_argument("--listen", default="127.0.0.1",
                    help="address nginx listens on (default 127.0.0.1; "
                    "0.0.0.0 for every interface)")
    ap.add_argument("--background", metavar="DIR",
                    help="start in the background with state in DIR, print "
                    "the URL and credentials, return")
    ap.add_argument("--stop", metavar="DIR",
                    help="stop the background demo of DIR")
    ap.add_argument("--verbose", action="store_true",
                    help="daemons log at debug level")
    ap.add_argument("--pattern", choices=["bars", "console"],
                    help="what the test-pattern video shows: bars (default) "
                    "or console (boot messages scrolling, then a BIOS-like "
                    "setup menu)")
    ap.add_argument("--redfish-session-timeout", type=int, metavar="SEC",
                    help="redfishd's SessionTimeout (default: its own, "
                    "1800 s; the tests shorten it)")
    ap.add_argument("--run", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--quiet", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.stop:
        args.state_dir = args.stop
        return cmd_stop(args)
    if args.background:
        args.state_dir = args.background
        return cmd_background(args)
    return cmd_run(args)


if __name__ == "__main__":
    sys.exit(main())
