#!/usr/bin/env python3
"""arm64.py -- the arm64 .deb installed on a booted Debian 12 arm64 system.

The test `appliance-arm64` (suite appliance, README.md "arm64"): boards run
arm64, so the cross-built package (scripts/build-deb --arch arm64) is
installed and smoke-tested on the real thing as far as this machine can
give it: Debian 12 arm64 with systemd as PID 1 (image.py with arch
"arm64": mmdebstrap --arch=arm64, its maintainer scripts run by
qemu-user-static through binfmt_misc), booted in qemu-system-aarch64 -M virt
-cpu max (TCG) on Debian's arm64 kernel from the archive with the same
drivers as the amd64 suite (vivid, dummy_hcd + libcomposite and the
target's HID and storage drivers; no gpio-sim, see image.py).

A smoke scenario, kept lean so it fits in CI: boot, `apt install
./kaputtkvm_*_arm64.deb`, every unit active, 401 then 200 through nginx, a
vivid snapshot in the right colours, a key and the absolute mouse through
nginx arriving on the target's input devices.  The amd64 suite
(appliance.py, checks.py) does the rest; this one reuses its pieces (the
guest agent, the HTTPS client, the checks themselves) and only brings its
own machine.

Output is TAP with `# figure:` lines (the timings); the plan
"1..0 # SKIP reason" (meson: SKIP) when qemu-system-aarch64, the arm64
cross compiler, qemu-user-static's binfmt_misc entry or the image's tools
are missing; KAPUTTKVM_VM_REQUIRED=1 (-Dvm_tests=enabled) makes that a failure.
"""

import base64
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import appliance
import checks
import image
from kvmtest import vmrun
from appliance import CheckFailed, Skip, say

HERE = os.path.dirname(os.path.abspath(__file__))

# Under meson's TAP protocol the skip is the plan "1..0 # SKIP reason"
# with exit 0; an exit of 77 would be counted as an error there.
SKIP = 0
ARCH = "arm64"
QEMU = "qemu-system-aarch64"
CC = "aarch64-linux-gnu-gcc"
BINFMT = "/proc/sys/fs/binfmt_misc"
BINFMT_CONF = "/usr/lib/binfmt.d/qemu-aarch64.conf"
# Emulated aarch64 is slow and its speed depends on the host's load: the
# same cached image booted in 46 s on a quiet host and in 197 s with other
# VMs running (2 cores), when the amd64 guest takes 18-65 s.  The boot gets
# twice the amd64 budget (agent up, then systemd done) and each agent
# command 90 s to be answered instead of 30 s: a guest-exec sent while
# systemd is still starting units waits for a CPU as long as they do.
BOOT_BUDGET = 600
AGENT_REPLY = 90


def binfmt_ready():
    """qemu-user-static's aarch64 entry in binfmt_misc, registered here if
    it is not (as root: what systemd-binfmt does at a host's boot), or
    Skip with the reason: mmdebstrap --arch=arm64 runs arm64 binaries."""
    entry = os.path.join(BINFMT, "qemu-aarch64")
    if os.path.exists(entry):
        if "enabled" in open(entry).read().split("\n", 1)[0]:
            return
        raise Skip("binfmt_misc's qemu-aarch64 entry is disabled (%s)" %
                   entry)
    if not os.path.exists(BINFMT_CONF):
        raise Skip("qemu-user-static not installed: install it "
                   "(scripts/packages/appliance.txt) to run arm64 "
                   "maintainer scripts while building the image")
    if os.geteuid() != 0:
        raise Skip("qemu-aarch64 is not registered in binfmt_misc and "
                   "registering it needs root (systemctl restart "
                   "systemd-binfmt)")
    if not os.path.exists(os.path.join(BINFMT, "register")):
        r = subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc",
                            BINFMT], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise Skip("cannot mount binfmt_misc on %s: %s" %
                       (BINFMT, r.stdout.strip()))
    line = [x for x in open(BINFMT_CONF).read().splitlines()
            if x.startswith(":")][0]
    try:
        with open(os.path.join(BINFMT, "register"), "w") as f:
            f.write(line)
    except OSError as e:
        raise Skip("cannot register qemu-aarch64 in binfmt_misc: %s" % e)
    say("registered qemu-aarch64 in binfmt_misc (%s)" % BINFMT_CONF)


def build_deb(src, out):
    """scripts/build-deb --arch arm64 --out OUT: the .deb, or
    KAPUTTKVM_APPLIANCE_ARM64_DEB=PATH."""
    given = os.environ.get("KAPUTTKVM_APPLIANCE_ARM64_DEB")
    if given:
        if not os.path.exists(given):
            raise Skip("KAPUTTKVM_APPLIANCE_ARM64_DEB=%s does not exist" %
                       given)
        return given
    script = os.path.join(src, "scripts", "build-deb")
    if not os.access(script, os.X_OK):
        raise Skip("scripts/build-deb is missing: no .deb to install")
    os.makedirs(out, exist_ok=True)
    say("building the .deb: scripts/build-deb --arch arm64 --out %s" % out)
    r = subprocess.run([script, "--arch", ARCH, "--out", out], cwd=src,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if r.returncode != 0 and "scripts/deps cross-deb" in r.stdout:
        raise Skip("the arm64 cross build's packages are missing: %s" %
                   r.stdout.strip().splitlines()[-1])
    if r.returncode != 0:
        for line in r.stdout[-4000:].splitlines():
            say("  " + line)
        raise CheckFailed("scripts/build-deb --arch arm64 failed (exit %d)"
                          % r.returncode)
    debs = sorted(f for f in os.listdir(out)
                  if re.match(r"kaputtkvm_.*_arm64\.deb$", f))
    if not debs:
        raise CheckFailed("scripts/build-deb made no kaputtkvm_*_arm64.deb "
                          "in %s" % out)
    return os.path.join(out, debs[-1])


def cross_evdev_dump(src, share):
    """tests/vm/evdev-dump.c for arm64, where guest.sh looks for it."""
    out = os.path.join(share, "build", "tests", "vm", "evdev-dump")
    r = subprocess.run([CC, "-O2", "-Wall", "-o", out,
                        os.path.join(src, "tests", "vm", "evdev-dump.c")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if r.returncode != 0:
        raise CheckFailed("%s evdev-dump.c failed: %s" % (CC, r.stdout))


class VM(appliance.VM):
    """The amd64 suite's VM (overlay, forwarded port, agent, 9p share) on
    qemu-system-aarch64's virt board: the PL011 console, PCI virtio."""

    def command(self):
        smp = os.environ.get("KAPUTTKVM_VM_SMP", "2")
        mem = os.environ.get("KAPUTTKVM_VM_MEM", "1024")
        cmd = [shutil.which(QEMU), "-nodefaults", "-no-user-config",
               "-display", "none", "-M", "virt", "-accel", "tcg,thread=multi",
               "-cpu", "max", "-smp", smp, "-m", mem,
               "-kernel", self.img["kernel"], "-initrd", self.img["initrd"],
               "-append", "console=ttyAMA0 loglevel=4 panic=-1 "
               "systemd.show_status=0 net.ifnames=0",
               "-serial", "file:" + self.console,
               "-drive", "file=%s,if=none,id=hd,format=qcow2,cache=unsafe" %
               self.overlay, "-device", "virtio-blk-pci,drive=hd",
               "-netdev", "user,id=net0,hostfwd=tcp:127.0.0.1:%d-:443" %
               self.port, "-device", "virtio-net-pci,netdev=net0",
               "-chardev", "socket,path=%s,server=on,wait=off,id=qga" %
               self.qga, "-device", "virtio-serial-pci",
               "-device", "virtserialport,chardev=qga,"
               "name=org.qemu.guest_agent.0",
               "-fsdev", "local,id=share,path=%s,security_model=none,"
               "multidevs=remap" % self.share,
               "-device", "virtio-9p-pci,fsdev=share,mount_tag=kvmtest"]
        return cmd


def is_arm64(agent):
    got = agent.ok("uname -m; dpkg --print-architecture").split()
    if got != ["aarch64", "arm64"]:
        raise CheckFailed("uname -m, dpkg --print-architecture: %s" % got)


def smoke(suite, vm, agent, front, deb, share):
    """The checks, in order; 1 when one the rest needs failed."""
    st = checks.State()
    t = suite.check("boots Debian 12 arm64 with systemd as PID 1 (agent "
                    "up, system running)", checks.boot, vm, agent,
                    BOOT_BUDGET)
    if not t:
        return 1
    suite.figure("QEMU start to a running system", "%.1f s" % t)
    if not suite.check("the guest is aarch64, its dpkg arm64", is_arm64,
                       agent):
        return 1

    t_inst = time.monotonic()
    rc = suite.check("apt install ./%s" % os.path.basename(deb),
                     lambda: checks._install(agent, deb))
    try:
        log = open(os.path.join(share, "install.log"),
                   errors="replace").read()
    except OSError:
        log = ""
    for line in log.splitlines():
        print("#   | " + line)
    if not rc:
        return 1
    suite.figure("apt install", "%.1f s" % (time.monotonic() - t_inst))
    if not suite.check("the install printed the one-time password",
                       checks.parse_install, log, st) or not st.password:
        st.password = "appliance-test-%d" % os.getpid()
        st.user = "admin"
        agent.ok("printf '%%s\\n' %s | kaputtkvm-passwd --stdin" %
                 st.password)
        say("set a password with kaputtkvm-passwd --stdin to go on")
    front.auth = base64.b64encode(("%s:%s" % (st.user, st.password))
                                  .encode()).decode()

    def first_jpeg():
        def j():
            s, _, b = front.request("GET", "/api/video/snapshot", timeout=30)
            return s == 200 and b.startswith(b"\xff\xd8")
        checks.wait_for("the first JPEG through nginx", 180, j)
        suite.figure("install start to the first JPEG through nginx",
                     "%.1f s" % (time.monotonic() - t_inst))
    suite.check("a JPEG through nginx after the install", first_jpeg)
    suite.check("every kaputtkvm unit active", checks.units_active, agent)
    suite.check("401 without credentials, 200 with the printed password",
                checks.auth, front, st)
    suite.check("snapshot shows vivid's colour bars in the right colours",
                checks.snapshot_bars, front)
    suite.check("a key and the absolute mouse reach the target's input "
                "devices", checks.key_and_mouse, front, agent)
    return 0


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
    required = os.environ.get("KAPUTTKVM_VM_REQUIRED") == "1"
    run = tempfile.mkdtemp(prefix="kaputtkvm-arm64-")
    vm = None
    suite = appliance.Suite(args)
    try:
        try:
            for prog, pkg in ((QEMU, "qemu-system-arm"),
                              (CC, "gcc-aarch64-linux-gnu"),
                              ("djpeg", "libjpeg-turbo-progs")):
                if not shutil.which(prog):
                    raise Skip("%s not installed: install %s (scripts/"
                               "packages/appliance.txt)" % (prog, pkg))
            binfmt_ready()
            t0 = time.monotonic()
            deb = build_deb(src, os.path.join(run, "deb"))
            t_deb = time.monotonic() - t0
            t0 = time.monotonic()
            with appliance.tap_comments():
                img = image.get(deb, ARCH)
            t_img = time.monotonic() - t0
        except (Skip, image.Skip, vmrun.Skip) as e:
            print("1..0 # SKIP %s" % e, flush=True)
            return 1 if required else SKIP
        except (CheckFailed, RuntimeError, OSError,
                subprocess.CalledProcessError) as e:
            print("1..1\nnot ok 1 - build the arm64 .deb and image",
                  flush=True)
            for line in str(e).splitlines():
                say("  " + line)
            return 1
        suite.figure("arm64 .deb build", "%.0f s" % t_deb)
        if img["built"]:
            suite.figure("arm64 image build (fresh)", "%.0f s" % t_img)
        else:
            suite.figure("arm64 image (cached)", "%.1f s" % t_img)
        share = os.path.join(run, "share")
        os.makedirs(os.path.join(share, "build", "tests", "vm"))
        shutil.copy(deb, share)
        shutil.copy(os.path.join(HERE, "guest.sh"), share)
        shutil.copy(os.path.join(HERE, "..", "vm", "lib.sh"), share)
        cross_evdev_dump(src, share)
        port = appliance.free_port()
        vm = VM(img, run, port)
        try:
            vm.start()
        except Skip as e:
            print("1..0 # SKIP %s" % e, flush=True)
            return 1 if required else SKIP
        rc = smoke(suite, vm, appliance.Agent(vm.qga, AGENT_REPLY),
                   appliance.Front(port), deb, share)
        suite.figure("arm64 smoke wall time", "%.0f s" %
                     (time.monotonic() - t_suite))
        print("1..%d" % suite.n)
        if suite.failed or rc:
            say("failed: " + ", ".join(suite.failed))
            say("last console lines:")
            for line in vm.console_tail().splitlines():
                say("  " + line)
            return 1
        return 0
    finally:
        if vm:
            vm.stop()
        if os.environ.get("KAPUTTKVM_VM_KEEP") == "1":
            say("run directory kept: %s" % run)
        else:
            shutil.rmtree(run, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
