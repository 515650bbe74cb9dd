#!/usr/bin/env python3
"""vmrun.py -- run one VM scenario in QEMU with Debian's stock kernel.

Host side of the kernel test harness (see README.md): finds QEMU and a Debian
kernel, builds (once per kernel version, cached) a busybox initramfs with the
9p/virtio modules and the out-of-tree gpio-sim module, boots the VM with the
host root, the source tree and the build dir shared read-only over 9p and a
writable results share, and turns the scenario's exit status into a meson
result: 0 passed, 77 skipped (with the reason), anything else failed.

Nothing is installed here: a missing package makes the scenario SKIP and
names the package.
"""

import argparse
import fcntl
import glob
import gzip
import hashlib
import io
import lzma
import os
import re
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import zlib

# The harness's shell parts (init.sh, gpio-sim.sh) are in tests/vm.
HERE = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(
    __file__)), "..", "..", "vm"))
SKIP = 77

# What stage 1 (the initramfs) needs before it can reach the host root.
INITRAMFS_MODULES = ["virtio_pci", "9pnet_virtio", "9p", "configfs"]

# Changing anything here, in init.sh or in the module list must rebuild the
# cached initramfs: bump it when the layout changes.
INITRAMFS_FORMAT = "3"


class Skip(Exception):
    """The scenario cannot run on this machine; the message says why."""


def say(msg):
    """One line of harness output, flushed at once."""
    print("vmrun: " + msg, flush=True)


def parse_args():
    """Command line: the scenario and where things are."""
    p = argparse.ArgumentParser(description="run one VM scenario")
    p.add_argument("--source-dir", required=True)
    p.add_argument("--build-dir", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--timeout", type=int, default=0,
                   help="scenario time limit in s (default: its "
                   "'# vm-timeout:' line, else 120)")
    p.add_argument("scenario")
    return p.parse_args()


def version_key(ver):
    """Sort key for kernel versions: numbers compare as numbers."""
    return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", ver)]


def find_kernel():
    """The newest kernel in /boot that has its modules installed."""
    want = os.environ.get("KAPUTTKVM_VM_KERNEL")
    found = []
    for path in glob.glob("/boot/vmlinuz-*"):
        ver = path[len("/boot/vmlinuz-"):]
        if want and ver != want:
            continue
        if os.path.exists("/lib/modules/%s/modules.dep" % ver):
            found.append(ver)
    if not found:
        raise Skip("no kernel image with modules in /boot and /lib/modules"
                   "%s: install linux-image-amd64 (scripts/deps, "
                   "scripts/packages/vm.txt)" %
                   (" for " + want if want else ""))
    ver = max(found, key=version_key)
    if not os.access("/boot/vmlinuz-" + ver, os.R_OK):
        raise Skip("/boot/vmlinuz-%s is not readable by this user" % ver)
    return ver


def find_qemu():
    """The QEMU binary, or Skip."""
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        raise Skip("qemu-system-x86_64 not installed: install "
                   "qemu-system-x86 (scripts/packages/vm.txt)")
    return qemu


def find_busybox():
    """A statically linked busybox for the initramfs, or Skip."""
    for path in ("/bin/busybox", "/usr/bin/busybox"):
        if not os.path.exists(path):
            continue
        with open(path, "rb") as f:
            head = f.read(8192)
        if b"/ld-linux" not in head and b"ld-musl" not in head:
            return path
    raise Skip("no statically linked busybox: install busybox-static "
               "(scripts/packages/vm.txt)")


def cache_root():
    """Where built artefacts are kept between runs (never the source tree)."""
    if os.environ.get("KAPUTTKVM_VM_CACHE"):
        return os.environ["KAPUTTKVM_VM_CACHE"]
    base = os.environ.get("XDG_CACHE_HOME") or \
        os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "kaputtkvm", "vm")


class ModuleIndex:
    """modules.dep of one kernel version: names to files, load order."""

    def __init__(self, ver, root=None):
        # root: another tree's lib/modules/<ver> (a foreign kernel's)
        self.root = root or "/lib/modules/" + ver
        self.path = {}
        self.deps = {}
        with open(self.root + "/modules.dep") as f:
            for line in f:
                rel, _, rest = line.partition(":")
                name = self.name(rel)
                self.path[name] = rel
                self.deps[name] = [self.name(d) for d in rest.split()]
        self.builtin = set()
        try:
            with open(self.root + "/modules.builtin") as f:
                self.builtin = {self.name(x.strip()) for x in f}
        except OSError:
            pass

    @staticmethod
    def name(rel):
        """Module name of a path: basename without .ko*, '-' as '_'."""
        base = os.path.basename(rel)
        return base[:base.index(".ko")].replace("-", "_")

    def order(self, names):
        """Files to insmod, dependencies first, each once."""
        out, seen = [], set()

        def visit(n):
            n = n.replace("-", "_")
            if n in seen or n in self.builtin:
                return
            if n not in self.path:
                raise Skip("module %s not found for %s" % (n, self.root))
            seen.add(n)
            for d in self.deps[n]:
                visit(d)
            out.append(n)
        for n in names:
            visit(n)
        return out

    def read(self, name):
        """The module's bytes, decompressed."""
        path = os.path.join(self.root, self.path[name])
        with open(path, "rb") as f:
            data = f.read()
        if path.endswith(".xz"):
            return lzma.decompress(data)
        if path.endswith(".zst"):
            r = subprocess.run(["zstd", "-dc", path], stdout=subprocess.PIPE,
                               check=True)
            return r.stdout
        if path.endswith(".gz"):
            return gzip.decompress(data)
        return data


class Cpio:
    """A newc cpio archive, enough for an initramfs."""

    def __init__(self):
        self.buf = io.BytesIO()
        self.ino = 1

    def add(self, name, mode, data=b"", rdev=(0, 0)):
        """Append one entry: a file, directory, symlink or device node."""
        nameb = name.encode() + b"\0"
        hdr = "070701" + "".join("%08X" % v for v in (
            self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1],
            len(nameb), 0))
        self.ino += 1
        self.buf.write(hdr.encode() + nameb)
        self.pad()
        self.buf.write(data)
        self.pad()

    def pad(self):
        """newc aligns headers and data on 4 bytes."""
        self.buf.write(b"\0" * (-self.buf.tell() % 4))

    def finish(self):
        """The compressed archive."""
        self.add("TRAILER!!!", 0)
        return gzip.compress(self.buf.getvalue(), compresslevel=6)


def build_gpio_sim(ver, cache):
    """Build gpio-sim for this kernel once: (path of the .ko, None), or
    (None, why not).

    A missing package is checked again on every run (that costs nothing),
    so installing it later is enough; scenarios that need GPIO skip with the
    reason and the others go on."""
    return build_module("gpio-sim", "gpio-simx.ko", ver, cache)


def build_module(name, ko_name, ver, cache):
    """Build out-of-tree module NAME with tests/vm/NAME.sh once per kernel:
    (path of the .ko, None) or (None, why not), as build_gpio_sim."""
    ko = os.path.join(cache, ko_name)
    if os.path.exists(ko):
        return ko, None
    say("building %s for %s (once per kernel version)" % (name, ver))
    r = subprocess.run(["sh", os.path.join(HERE, name + ".sh"), ver, cache],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if r.returncode == 0 and os.path.exists(ko):
        return ko, None
    lines = r.stdout.strip().splitlines() or [name + ".sh failed"]
    if r.returncode != SKIP:
        say("%s build failed:\n%s" % (name, r.stdout))
        return None, "%s failed to build (see the harness output)" % name
    return None, lines[-1]


def kernel_image(ver, cache):
    """The kernel to boot: an uncompressed vmlinux when possible.

    QEMU boots an ELF vmlinux through its PVH entry point straight into
    64-bit code; the bzImage path spends about 7 s under TCG in the BIOS and
    the decompressor.  The vmlinux is cut out of the bzImage once (xz or
    gzip payload) and cached; anything else falls back to the bzImage."""
    bz = "/boot/vmlinuz-" + ver
    out = os.path.join(cache, "vmlinux")
    if os.path.exists(out):
        return out
    try:
        pvh = "CONFIG_PVH=y" in open("/boot/config-" + ver).read()
    except OSError:
        pvh = False
    if not pvh:
        return bz
    data = open(bz, "rb").read()
    elf = None
    for magic, fmt in ((b"\xfd7zXZ\x00", "xz"), (b"\x1f\x8b\x08", "gz")):
        i = data.find(magic)
        while i >= 0 and elf is None:
            try:
                if fmt == "xz":
                    d = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
                    cand = d.decompress(data[i:])
                else:
                    d = zlib.decompressobj(wbits=31)
                    cand = d.decompress(data[i:])
                if cand[:4] == b"\x7fELF":
                    elf = cand
            except (lzma.LZMAError, zlib.error):
                pass
            i = data.find(magic, i + 1)
        if elf:
            break
    if not elf:
        return bz
    tmp = out + ".tmp.%d" % os.getpid()
    with open(tmp, "wb") as f:
        f.write(elf)
    os.rename(tmp, out)
    return out


def build_initramfs(ver, cache, busybox):
    """The cached initramfs for this kernel, rebuilt when its inputs change."""
    # out-of-tree modules: (name, .ko in lib/ or None, why not)
    mods = [("gpio-sim", "gpio-simx.ko") + build_gpio_sim(ver, cache),
            ("vicodec", "vicodecx.ko") +
            build_module("vicodec", "vicodecx.ko", ver, cache)]
    init = open(os.path.join(HERE, "init.sh"), "rb").read()
    h = hashlib.sha256()
    h.update(INITRAMFS_FORMAT.encode() + init)
    for name, _, ko, why in mods:
        h.update(("%s: %s" % (name, why)).encode())
    for path in [busybox] + [m[2] for m in mods if m[2]]:
        st = os.stat(path)
        h.update(("%s %d %d" % (path, st.st_size, st.st_mtime)).encode())
    stamp = h.hexdigest()
    out = os.path.join(cache, "initramfs.gz")
    try:
        if open(out + ".stamp").read() == stamp:
            return out
    except OSError:
        pass
    say("building the initramfs for %s" % ver)
    idx = ModuleIndex(ver)
    order = idx.order(INITRAMFS_MODULES)
    c = Cpio()
    for d in ("bin", "dev", "proc", "sys", "host", "modules", "lib"):
        c.add(d, stat.S_IFDIR | 0o755)
    c.add("dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1))
    c.add("bin/busybox", stat.S_IFREG | 0o755, open(busybox, "rb").read())
    c.add("bin/sh", stat.S_IFLNK | 0o777, b"busybox")
    c.add("init", stat.S_IFREG | 0o755, init)
    for n in order:
        c.add("modules/%s.ko" % n, stat.S_IFREG | 0o644, idx.read(n))
    c.add("modules/order", stat.S_IFREG | 0o644,
          "".join(n + "\n" for n in order).encode())
    for name, ko_name, ko, why in mods:
        if ko:
            c.add("lib/" + ko_name, stat.S_IFREG | 0o644,
                  open(ko, "rb").read())
        else:
            c.add("lib/%s.skip" % name, stat.S_IFREG | 0o644,
                  (why + "\n").encode())
    tmp = out + ".tmp.%d" % os.getpid()
    with open(tmp, "wb") as f:
        f.write(c.finish())
    os.rename(tmp, out)
    with open(out + ".stamp", "w") as f:
        f.write(stamp)
    return out


def scenario_timeout(path, given):
    """The scenario's own time limit: --timeout, '# vm-timeout: N', or 120."""
    if given:
        return given
    with open(path) as f:
        for line in f:
            m = re.match(r"#\s*vm-timeout:\s*(\d+)", line)
            if m:
                return int(m.group(1))
    return 120


def kvm_usable():
    """True when /dev/kvm can be opened."""
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
        return True
    except OSError:
        return False


def qemu_command(qemu, accel, kernel, initrd, src, build, out):
    """The QEMU command line for one boot."""
    smp = os.environ.get("KAPUTTKVM_VM_SMP", "2")
    mem = os.environ.get("KAPUTTKVM_VM_MEM", "1024")
    cmd = [qemu, "-nodefaults", "-no-user-config", "-display", "none",
           "-serial", "stdio", "-no-reboot", "-smp", smp, "-m", mem]
    if accel == "kvm":
        cmd += ["-accel", "kvm", "-cpu", "host"]
    else:
        cmd += ["-accel", "tcg", "-cpu", "max"]
    cmd += ["-kernel", kernel, "-initrd", initrd,
            "-append", "console=ttyS0 quiet loglevel=4 panic=-1 "
            "rdinit=/init"]
    shares = [("hostroot", "/", True), ("src", src, True),
              ("build", build, True), ("out", out, False)]
    for tag, path, ro in shares:
        cmd += ["-virtfs", "local,path=%s,mount_tag=%s,security_model=none,"
                "multidevs=remap%s"
                % (path, tag, ",readonly=on" if ro else "")]
    return cmd


def run_vm(cmd, limit, first_output_limit, log):
    """Run QEMU, echo and keep its console; return (status, times).

    status is 'ok', 'timeout', 'silent' (nothing reached the console in
    first_output_limit seconds, which is how a hung KVM shows) or
    'cannot-run: <QEMU's message>' (QEMU itself failed before the guest
    started)."""
    t0 = time.monotonic()
    times = {}
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         start_new_session=True)
    buf = b""
    status = "ok"
    qemu_error = None
    try:
        while True:
            now = time.monotonic() - t0
            if now > limit:
                status = "timeout"
                break
            if first_output_limit and "stage1" not in times and \
                    now > first_output_limit:
                status = "silent"
                break
            r, _, _ = select.select([p.stdout], [], [], 1.0)
            if not r:
                continue
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                text = line.decode("utf-8", "replace").rstrip("\r")
                log.write(text + "\n")
                print(text, flush=True)
                if text.startswith("qemu-system-") and qemu_error is None:
                    qemu_error = text
                for mark in ("stage1", "stage2", "scenario-start",
                             "scenario-end"):
                    if "@@vm %s" % mark in text and mark not in times:
                        times[mark] = time.monotonic() - t0
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        if buf:
            print(buf.decode("utf-8", "replace"), flush=True)
    times["total"] = time.monotonic() - t0
    if status == "ok" and "stage1" not in times and p.returncode != 0 and \
            qemu_error:
        status = "cannot-run: " + qemu_error
    return status, times


def on_signal(signum, frame):
    """meson's timeout or ^C: unwind, so QEMU (own session) is killed."""
    raise SystemExit(1)


def main():
    """Prepare, boot, report."""
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    args = parse_args()
    src = os.path.abspath(args.source_dir)
    build = os.path.abspath(args.build_dir)
    scenario = os.path.abspath(args.scenario)
    limit = scenario_timeout(scenario, args.timeout)
    required = os.environ.get("KAPUTTKVM_VM_REQUIRED") == "1"
    try:
        qemu = find_qemu()
        ver = find_kernel()
        busybox = find_busybox()
        if not shutil.which("modprobe", path="/usr/sbin:/sbin:/usr/bin:/bin"):
            raise Skip("modprobe not installed: install kmod "
                       "(scripts/packages/vm.txt)")
        if not shutil.which("timeout"):
            raise Skip("timeout (coreutils) not found")
        # A rebuilt package may keep the version string: key the cache by
        # the image too, so its modules and gpio-sim always match it.
        st = os.stat("/boot/vmlinuz-" + ver)
        cache = os.path.join(cache_root(), "%s-%x-%x" %
                             (ver, st.st_size, int(st.st_mtime)))
        os.makedirs(cache, exist_ok=True)
        with open(os.path.join(cache, ".lock"), "w") as lockf:
            fcntl.flock(lockf, fcntl.LOCK_EX)
            initrd = build_initramfs(ver, cache, busybox)
            kernel = kernel_image(ver, cache)
            # Keep a private copy: another run may replace the cached one.
            tmpdir = tempfile.mkdtemp(prefix="kaputtkvm-vm-")
            shutil.copy(initrd, os.path.join(tmpdir, "initramfs.gz"))
    except Skip as e:
        print("SKIP: %s" % e, flush=True)
        return 1 if required else SKIP

    out = os.path.join(tmpdir, "out")
    os.makedirs(out)
    shutil.copy(scenario, os.path.join(out, "scenario.sh"))
    with open(os.path.join(out, "job"), "w") as f:
        f.write("VM_NAME=%s\nVM_TIMEOUT=%d\n" % (args.name, limit))
    initrd = os.path.join(tmpdir, "initramfs.gz")

    accel = os.environ.get("KAPUTTKVM_VM_ACCEL", "tcg")
    if accel not in ("tcg", "kvm", "auto"):
        print("FAIL: KAPUTTKVM_VM_ACCEL must be tcg, kvm or auto")
        return 1
    accels = ["tcg"]
    if accel in ("kvm", "auto") and kvm_usable():
        accels = ["kvm", "tcg"] if accel == "auto" else ["kvm"]
    boot_budget = int(os.environ.get("KAPUTTKVM_VM_BOOT_TIMEOUT", "240"))
    log = open(os.path.join(tmpdir, "console.log"), "w")
    for i, acc in enumerate(accels):
        say("%s: kernel %s, %s, scenario limit %ds" %
            (args.name, ver, acc, limit))
        cmd = qemu_command(qemu, acc, kernel, initrd, src, build, out)
        silent = 20 if (acc == "kvm" and i + 1 < len(accels)) else 0
        status, times = run_vm(cmd, boot_budget + limit + 30, silent, log)
        if status == "silent":
            say("KVM gave no output in %ds: falling back to TCG" % silent)
            continue
        break
    log.close()

    def fmt(k):
        return "%.1fs" % times[k] if k in times else "-"
    say("times: boot to stage2 %s, scenario start %s, end %s, total %s" %
        (fmt("stage2"), fmt("scenario-start"), fmt("scenario-end"),
         fmt("total")))
    rc = None
    try:
        rc = int(open(os.path.join(out, "status")).read().strip())
    except (OSError, ValueError):
        pass
    keep = os.environ.get("KAPUTTKVM_VM_KEEP") == "1"
    os.remove(initrd)   # the results are kept, not this copy
    if status.startswith("cannot-run: "):
        print("SKIP: QEMU cannot run here: %s" % status[12:], flush=True)
        shutil.rmtree(tmpdir, ignore_errors=True)
        return 1 if required else SKIP
    if status == "timeout":
        print("FAIL: the VM did not finish within %ds (boot budget %ds + "
              "scenario %ds); console log above" %
              (boot_budget + limit + 30, boot_budget, limit))
        rc = 1
    elif rc is None:
        print("FAIL: the VM ended without a scenario status (kernel panic, "
              "boot failure or crash: console log above)")
        rc = 1
    if keep or rc not in (0, SKIP):
        say("results kept in %s" % tmpdir)
    else:
        shutil.rmtree(tmpdir, ignore_errors=True)
    if rc == SKIP:
        return SKIP
    return 0 if rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
