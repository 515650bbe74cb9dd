#!/usr/bin/env python3
"""appliance.py -- KaputtKVM installed from its .deb on a booted Debian 12.

The suite `appliance` (see README.md): builds (or reuses) the Debian 12
image with systemd as PID 1 (image.py), boots a fresh qcow2 overlay of it in
QEMU on the host's Debian kernel with real drivers (vivid, dummy_hcd +
libcomposite, gpio-sim), installs the freshly built kaputtkvm_*.deb there as
a user would (`apt install ./kaputtkvm_*.deb`), and checks everything from
outside through the KVM's own nginx on a forwarded loopback port.  What the
checks need to see inside the VM (the target's input devices, /dev/sr0, the
gpio-sim lines, systemctl and journalctl) goes through qemu-guest-agent on a
virtio-serial port; files (the .deb, the ISO, guest.sh) through a 9p share.

Output is TAP, one line per check; a check that fails says what it saw.
The plan "1..0 # SKIP reason" (meson: SKIP) when QEMU, mmdebstrap or the
.deb builder are not there.
"""

import base64
import hashlib
import http.client
import io
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

import image
from kvmtest import vmrun

HERE = os.path.dirname(os.path.abspath(__file__))

# Under meson's TAP protocol the skip is the plan "1..0 # SKIP reason"
# with exit 0; an exit of 77 would be counted as an error there.
SKIP = 0
DAEMONS = ["capd", "hidd", "mediad", "gpiod-ctl"]
PREFIX = {"capd": "video", "hidd": "hid", "mediad": "media",
          "gpiod-ctl": "gpio"}
# The image's gpio-sim chip (kvmtest-gpiosim): offsets of the lines.
LINE = {"power-button": 0, "reset-button": 1, "power-led": 2, "hdd-led": 3}
# vivid's default pattern: 75% colour bars, left to right.
BARS = [("white", (191, 191, 191)), ("yellow", (191, 191, 0)),
        ("cyan", (0, 191, 191)), ("green", (0, 191, 0)),
        ("magenta", (191, 0, 191)), ("red", (191, 0, 0)),
        ("blue", (0, 0, 191)), ("black", (0, 0, 0))]


class Skip(Exception):
    """The suite cannot run here; the message says why."""


def say(msg):
    print("# " + msg, flush=True)


class Agent:
    """qemu-guest-agent over QEMU's chardev socket: run shell commands in
    the VM as root.  Survives a guest reboot (the agent comes back on the
    same port; guest-sync-delimited drops whatever was left over)."""

    def __init__(self, path, reply=30):
        """reply: seconds an answer to one command may take (an emulated
        arm64 guest on a loaded host answers far later than amd64)."""
        self.path = path
        self.reply = reply
        self.sock = None
        self.buf = b""
        self.sync_id = int(time.time()) & 0xffffff

    def _connect(self):
        if self.sock is None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect(self.path)

    def _send(self, obj):
        # Its own timeout: the socket keeps the last _recv's, which can be
        # a fraction of a second, and a bare "timed out" says nothing.
        self.sock.settimeout(self.reply)
        try:
            self.sock.sendall(json.dumps(obj).encode() + b"\n")
        except socket.timeout:
            raise TimeoutError("guest agent: QEMU took no %s command in "
                               "%ds" % (obj.get("execute"), self.reply))

    def _recv(self, timeout):
        """The next JSON reply, or None after timeout seconds."""
        end = time.monotonic() + timeout
        while True:
            if b"\xff" in self.buf:
                self.buf = self.buf[self.buf.rindex(b"\xff") + 1:]
            if b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                if line.strip():
                    return json.loads(line)
                continue
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                raise ConnectionError("QEMU closed the guest agent socket")
            self.buf += chunk

    def sync(self, timeout):
        """Wait until the agent answers (True) or timeout (False)."""
        self._connect()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.sync_id += 1
            self.buf = b""
            self._send({"execute": "guest-sync-delimited",
                        "arguments": {"id": self.sync_id}})
            while True:
                r = self._recv(min(3, max(0.1, end - time.monotonic())))
                if r is None:
                    break
                if r.get("return") == self.sync_id:
                    return True
        return False

    def call(self, cmd, args=None, timeout=None):
        msg = {"execute": cmd}
        if args is not None:
            msg["arguments"] = args
        timeout = timeout or self.reply
        self._send(msg)
        r = self._recv(timeout)
        if r is None:
            raise TimeoutError("guest agent: no answer to %s in %ds" %
                               (cmd, timeout))
        if "error" in r:
            raise RuntimeError("guest agent: %s: %s" %
                               (cmd, r["error"].get("desc")))
        return r.get("return")

    def run(self, shell, timeout=120):
        """Run a shell command in the VM: (status, stdout, stderr)."""
        env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
               "/sbin:/bin", "LANG=C.UTF-8", "HOME=/root",
               "DEBIAN_FRONTEND=noninteractive"]
        pid = self.call("guest-exec", {"path": "/bin/sh",
                                       "arg": ["-c", shell], "env": env,
                                       "capture-output": True})["pid"]
        end = time.monotonic() + timeout
        delay = 0.05
        while True:
            st = self.call("guest-exec-status", {"pid": pid})
            if st.get("exited"):
                out = base64.b64decode(st.get("out-data", "")).decode(
                    "utf-8", "replace")
                err = base64.b64decode(st.get("err-data", "")).decode(
                    "utf-8", "replace")
                rc = st.get("exitcode", 128 + st.get("signal", 0))
                return rc, out, err
            if time.monotonic() > end:
                self.run("kill -9 %d" % pid, timeout=10)
                raise TimeoutError("in the VM, %r ran longer than %ds" %
                                   (shell, timeout))
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    def ok(self, shell, timeout=120):
        """Run; its stdout, or an error with what it printed."""
        rc, out, err = self.run(shell, timeout)
        if rc != 0:
            raise CheckFailed("in the VM, `%s` exited %s: %s" %
                              (shell, rc, (err or out).strip()[-1500:]))
        return out


class CheckFailed(Exception):
    """One check failed; the message says what was seen."""


class Front:
    """HTTPS to the KVM's nginx on the forwarded port, as a browser would:
    basic auth and the login cookie nginx hands out (it exempts from the
    rate limit on guessing), X-KaputtKVM on state-changing requests."""

    def __init__(self, port):
        self.port = port
        self.auth = None
        self.cookie = None
        self.lock = threading.Lock()
        self.ctx = ssl.create_default_context()
        self.ctx.check_hostname = False
        self.ctx.verify_mode = ssl.CERT_NONE

    def request(self, method, path, body=None, auth=True, timeout=60,
                headers=None):
        """(status, headers, body); raises OSError on a failed connection."""
        h = {"Host": "127.0.0.1:%d" % self.port}
        if auth and self.auth:
            h["Authorization"] = "Basic " + self.auth
        with self.lock:
            if auth and self.cookie:
                h["Cookie"] = self.cookie
        if method not in ("GET", "HEAD"):
            h["X-KaputtKVM"] = "1"
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        c = http.client.HTTPSConnection("127.0.0.1", self.port,
                                        context=self.ctx, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            for k, v in r.getheaders():
                if k.lower() == "set-cookie" and v.startswith("__Host-kvm="):
                    with self.lock:
                        self.cookie = v.split(";", 1)[0]
            return r.status, dict(r.getheaders()), data
        finally:
            c.close()

    def json(self, method, path, body=None, want=200, timeout=60):
        st, _, data = self.request(method, path, body, timeout=timeout)
        if st != want:
            raise CheckFailed("%s %s: HTTP %d (wanted %d): %s" %
                              (method, path, st, want,
                               data[:400].decode("utf-8", "replace")))
        try:
            return json.loads(data).get("result")
        except ValueError:
            raise CheckFailed("%s %s: not JSON: %r" % (method, path,
                                                       data[:200]))


class Suite:
    """The checks, in order, as TAP."""

    def __init__(self, args):
        self.args = args
        self.n = 0
        self.failed = []
        self.figures = []
        self.known = {}

    def check(self, name, fn, *a, todo=None):
        """Run one check: ok or not ok with the reason; returns its value.
        todo: a known failure, reported as TAP TODO (it does not fail the
        suite, and meson calls it an unexpected pass once it works)."""
        self.n += 1
        mark = " # TODO %s" % todo if todo else ""
        t0 = time.monotonic()
        try:
            v = fn(*a)
        except (CheckFailed, OSError, TimeoutError, RuntimeError,
                ValueError, KeyError, TypeError) as e:
            print("not ok %d - %s (%.1fs)%s"
                  % (self.n, name, time.monotonic() - t0, mark))
            for line in str(e).splitlines() or [type(e).__name__]:
                print("#   " + line)
            sys.stdout.flush()
            if not todo:
                self.failed.append(name)
            return None
        print("ok %d - %s (%.1fs)%s" % (self.n, name, time.monotonic() - t0,
                                        mark), flush=True)
        return v if v is not None else True

    def skip(self, name, reason):
        """A check that does not apply here: TAP SKIP with the reason."""
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, name, reason), flush=True)

    def figure(self, what, value):
        self.figures.append((what, value))
        say("figure: %s: %s" % (what, value))


class tap_comments:
    """Within it, lines printed to stdout become TAP comments."""

    class _Out(io.TextIOBase):
        def __init__(self, out):
            self.out, self.bol = out, True

        def write(self, text):
            for part in text.splitlines(True):
                if self.bol:
                    self.out.write("# ")
                self.out.write(part)
                self.bol = part.endswith("\n")
            return len(text)

        def flush(self):
            self.out.flush()

    def __enter__(self):
        self.saved = sys.stdout
        sys.stdout = self._Out(sys.stdout)

    def __exit__(self, *a):
        sys.stdout.flush()
        sys.stdout = self.saved


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def build_deb(src, out):
    """scripts/build-deb --out OUT: the amd64 .deb's path, or Skip."""
    given = os.environ.get("KAPUTTKVM_APPLIANCE_DEB")
    if given:
        if not os.path.exists(given):
            raise Skip("KAPUTTKVM_APPLIANCE_DEB=%s does not exist" % given)
        return given
    script = os.path.join(src, "scripts", "build-deb")
    if not os.access(script, os.X_OK):
        raise Skip("scripts/build-deb is missing: the package build is not "
                   "in this tree yet, so there is no .deb to install")
    os.makedirs(out, exist_ok=True)
    say("building the .deb: scripts/build-deb --out %s" % out)
    t0 = time.monotonic()
    r = subprocess.run([script, "--out", out], cwd=src,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if r.returncode != 0:
        for line in r.stdout[-4000:].splitlines():
            say("  " + line)
        raise CheckFailed("scripts/build-deb failed (exit %d)" %
                          r.returncode)
    debs = [f for f in os.listdir(out)
            if re.match(r"kaputtkvm_.*_amd64\.deb$", f)]
    if not debs:
        raise CheckFailed("scripts/build-deb made no kaputtkvm_*_amd64.deb "
                          "in %s" % out)
    say("built %s in %.0fs" % (debs[0], time.monotonic() - t0))
    return os.path.join(out, sorted(debs)[-1])


class UpgradeBuild(threading.Thread):
    """The second package for the upgrade check, built while the first
    boots: scripts/build-deb --version <the first's>+upgrade1 (or
    KAPUTTKVM_APPLIANCE_UPGRADE_DEB=PATH).  wait(): its path, or
    CheckFailed with why there is none."""

    def __init__(self, src, deb, out):
        super().__init__(daemon=True)
        self.src, self.deb, self.out = src, deb, out
        self.path = self.error = None
        self.version = None
        self.took = 0.0

    def run(self):
        try:
            given = os.environ.get("KAPUTTKVM_APPLIANCE_UPGRADE_DEB")
            if given:
                self.path = given
                return
            first = subprocess.run(["dpkg-deb", "-f", self.deb, "Version"],
                                   stdout=subprocess.PIPE, text=True,
                                   check=True).stdout.strip()
            self.version = first + "+upgrade1"
            os.makedirs(self.out, exist_ok=True)
            t0 = time.monotonic()
            r = subprocess.run([os.path.join(self.src, "scripts",
                                             "build-deb"),
                                "--version", self.version, "--out",
                                self.out], cwd=self.src,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            self.took = time.monotonic() - t0
            if r.returncode != 0:
                self.error = "scripts/build-deb --version %s failed " \
                    "(exit %d):\n%s" % (self.version, r.returncode,
                                        r.stdout[-2000:])
                return
            self.path = r.stdout.strip().splitlines()[-1]
        except (OSError, subprocess.CalledProcessError) as e:
            self.error = "cannot build the upgrade package: %s" % e

    def wait(self):
        self.join()
        if self.error:
            raise CheckFailed(self.error)
        if not self.path or not os.path.exists(self.path):
            raise CheckFailed("the upgrade package %s does not exist" %
                              self.path)
        if self.version is None:
            self.version = subprocess.run(
                ["dpkg-deb", "-f", self.path, "Version"],
                stdout=subprocess.PIPE, text=True).stdout.strip()
        return self.path


def make_iso(path, payload=3 << 20):
    """An ISO 9660 image with payload bytes of random contents (xorriso)."""
    tree = tempfile.mkdtemp()
    try:
        with open(os.path.join(tree, "payload.bin"), "wb") as f:
            f.write(os.urandom(payload))
        with open(os.path.join(tree, "README.TXT"), "w") as f:
            f.write("KaputtKVM appliance test medium\n")
        subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-V",
                        "KVMTEST", "-o", path, tree], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    finally:
        shutil.rmtree(tree)
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


class VM:
    """One QEMU: the overlay on the cached base, user net with nginx's port
    forwarded, the guest agent, the 9p share; console to a file."""

    def __init__(self, img, run, port):
        self.img, self.run, self.port = img, run, port
        self.proc = None
        self.overlay = os.path.join(run, "disk.qcow2")
        self.qga = os.path.join(run, "qga.sock")
        self.console = os.path.join(run, "console.log")
        self.share = os.path.join(run, "share")

    def command(self):
        """QEMU's command line for this machine."""
        qemu = vmrun.find_qemu()
        smp = os.environ.get("KAPUTTKVM_VM_SMP", "2")
        mem = os.environ.get("KAPUTTKVM_VM_MEM", "1024")
        cmd = [qemu, "-nodefaults", "-no-user-config", "-display", "none",
               "-accel", "tcg", "-cpu", "max", "-smp", smp, "-m", mem,
               "-kernel", self.img["kernel"], "-initrd", self.img["initrd"],
               "-append", "console=ttyS0 loglevel=4 panic=-1 "
               "systemd.show_status=0 net.ifnames=0",
               "-serial", "file:" + self.console,
               "-drive", "file=%s,if=virtio,format=qcow2,cache=unsafe" %
               self.overlay,
               "-netdev", "user,id=net0,hostfwd=tcp:127.0.0.1:%d-:443" %
               self.port, "-device", "virtio-net-pci,netdev=net0",
               "-chardev", "socket,path=%s,server=on,wait=off,id=qga" %
               self.qga, "-device", "virtio-serial-pci",
               "-device", "virtserialport,chardev=qga,"
               "name=org.qemu.guest_agent.0",
               "-virtfs", "local,path=%s,mount_tag=kvmtest,"
               "security_model=none,multidevs=remap" % self.share]
        return cmd

    def start(self):
        """A fresh overlay, QEMU started, until its agent socket exists."""
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b",
                        self.img["base"], "-F", "qcow2", self.overlay],
                       check=True)
        cmd = self.command()
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT,
                                     start_new_session=True)
        end = time.monotonic() + 30
        while not os.path.exists(self.qga):
            if self.proc.poll() is not None:
                out = self.proc.stdout.read().decode("utf-8", "replace")
                raise Skip("QEMU cannot run here: %s" % out.strip()[-500:])
            if time.monotonic() > end:
                raise CheckFailed("QEMU made no agent socket in 30 s")
            time.sleep(0.1)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def console_tail(self, n=40):
        try:
            lines = open(self.console, errors="replace").read().splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])


def main():
    t_suite = time.monotonic()
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, lambda *a: sys.exit(1))
    import argparse
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--source-dir", required=True)
    p.add_argument("--build-dir", required=True)
    args = p.parse_args()
    src = os.path.abspath(args.source_dir)
    build = os.path.abspath(args.build_dir)
    required = os.environ.get("KAPUTTKVM_VM_REQUIRED") == "1"
    run = tempfile.mkdtemp(prefix="kaputtkvm-appliance-")
    vm = None
    try:
        try:
            vmrun.find_qemu()
            for prog, pkg in (("xorriso", "xorriso"),
                              ("djpeg", "libjpeg-turbo-progs")):
                if not shutil.which(prog):
                    raise Skip("%s not installed: install %s "
                               "(scripts/packages/appliance.txt)" %
                               (prog, pkg))
            deb = build_deb(src, os.path.join(run, "deb"))
            # The upgrade's package builds meanwhile (image, boot, first
            # install); the upgrade check waits for it.
            upgrade = UpgradeBuild(src, deb, os.path.join(run, "deb-up"))
            upgrade.start()
            t0 = time.monotonic()
            # image.py and the vm harness print progress lines of their
            # own: keep them TAP comments.
            with tap_comments():
                img = image.get(deb)
            t_img = time.monotonic() - t0
        except (Skip, image.Skip, vmrun.Skip) as e:
            print("1..0 # SKIP %s" % e, flush=True)
            return 1 if required else SKIP
        except (CheckFailed, RuntimeError, OSError,
                subprocess.CalledProcessError) as e:
            print("1..1\nnot ok 1 - build the .deb and the image", flush=True)
            for line in str(e).splitlines():
                say("  " + line)
            return 1
        suite = Suite(args)
        if img["built"]:
            suite.figure("image build (fresh)", "%.0f s" % t_img)
        else:
            suite.figure("image (cached)", "%.1f s" % t_img)
        share = os.path.join(run, "share")
        os.makedirs(os.path.join(share, "build", "tests", "vm"))
        shutil.copy(deb, share)
        shutil.copy(os.path.join(HERE, "guest.sh"), share)
        shutil.copy(os.path.join(HERE, "..", "vm", "lib.sh"), share)
        dump = os.path.join(build, "tests", "vm", "evdev-dump")
        if os.path.exists(dump):
            shutil.copy(dump, os.path.join(share, "build", "tests", "vm"))
        port = free_port()
        vm = VM(img, run, port)
        vm.start()
        import checks
        rc = checks.run(suite, vm, Agent(vm.qga), Front(port), deb, share,
                        src, upgrade)
        suite.figure("suite wall time", "%.0f s" %
                     (time.monotonic() - t_suite))
        print("1..%d" % suite.n)
        if suite.failed:
            say("failed: " + ", ".join(suite.failed))
            say("last console lines:")
            for line in vm.console_tail().splitlines():
                say("  " + line)
            return 1
        return rc
    finally:
        if vm:
            vm.stop()
        if os.environ.get("KAPUTTKVM_VM_KEEP") == "1":
            say("run directory kept: %s" % run)
        else:
            shutil.rmtree(run, ignore_errors=True)


if __name__ == "__main__":
    # One module object for the checks and this file (their exception
    # classes must be the same).
    import appliance as _self
    sys.exit(_self.main())
