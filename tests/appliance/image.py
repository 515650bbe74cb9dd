#!/usr/bin/env python3
"""image.py -- the appliance suite's Debian 12 image, built once and cached.

A root file system with systemd as PID 1, made by mmdebstrap from the same
Debian archive the host's apt uses (no other network), holding:

  - packages.txt (systemd, the control channel qemu-guest-agent, the tools
    the checks run inside) plus everything the .deb under test Depends on
    and Recommends, so `apt install ./kaputtkvm_*.deb` inside the VM needs
    no network;
  - the kernel modules the appliance and its test drivers need, taken from
    the host's /lib/modules/<ver> (the kernel booted is the host's
    /boot/vmlinuz-<ver>), plus gpio-sim built out of tree by
    tests/vm/gpio-sim.sh;
  - the files under image/ (test-image only, not the package's): modules
    loaded at boot (vivid, dummy_hcd, gpio-sim, the target's drivers), the
    gpio-sim chip with the lines gpiod-ctl is configured for, a static
    network address for QEMU's user net, the configuration gpiod-ctl reads.

It is written as a raw ext4 file system with `mke2fs -d` and converted to a
qcow2 base image; each run boots a qcow2 overlay on it, so every run starts
from the same fresh system.  The cache directory is keyed by a hash of
everything that goes in (package list, the .deb's dependency fields, kernel
version and image, the gpio-sim module, image/ and this file), so a change
to any of them builds a new image and an unchanged one is reused.  Downloaded
.debs are kept in the cache as well: a rebuild downloads only what changed.
"""

import fcntl
import glob
import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time

from kvmtest import vmrun

HERE = os.path.dirname(os.path.abspath(__file__))

SUITE = "bookworm"
# Size of the root file system; the overlay grows on it as needed.
IMAGE_SIZE = "3G"

# Modules for the booted system (with their dependencies).  Stage 1 (our
# initramfs) loads only what it needs to mount the root.
IMAGE_MODULES = [
    # capture: vivid as /dev/video0
    "vivid",
    # the gadget and the same kernel enumerating it as the target
    "dummy_hcd", "libcomposite", "usb_f_hid", "usb_f_mass_storage",
    "usbhid", "hid_generic", "evdev", "usb_storage", "sr_mod", "sd_mod",
    "cdrom", "isofs",
    # the VM itself: disk, network, the control channel, the 9p share
    "virtio_pci", "virtio_blk", "virtio_net", "virtio_console", "ext4",
    "9p", "9pnet_virtio", "configfs", "autofs4", "af_packet", "loop",
    "crc32c_generic",
]
INITRAMFS_MODULES = ["virtio_pci", "virtio_blk", "crc32c_generic", "ext4"]

# A foreign architecture (arch="arm64", the arm64 smoke test arm64.py): the
# root is built by mmdebstrap --arch, its maintainer scripts run under
# qemu-user-static through binfmt_misc; the kernel is Debian's
# linux-image-<ver>-<arch> from the archive (the host kernel's ABI with the
# architecture's flavour) and the initramfs's busybox is that
# architecture's busybox-static, both fetched with `apt-get download` into
# the cache.  gpio-sim is not built there (Debian's 6.1 has no
# CONFIG_GPIO_SIM); the machine's own GPIO controller (the virt board's
# PL061, gpiochip0) is what gpiod-ctl finds.
FOREIGN_HOOKS = {
    "arm64": [
        "--customize-hook=sed -i '/^gpio-simx$/d' "
        "\"$1\"/etc/modules-load.d/kvmtest.conf",
        "--customize-hook=rm -f \"$1\"/etc/systemd/system/"
        "sysinit.target.wants/kvmtest-gpiosim.service",
    ],
}

INIT = b"""#!/bin/sh
# Stage 1: mount the root file system on virtio and hand over to systemd.
PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules/order); do
	insmod "/modules/$m.ko" || echo "initramfs: insmod $m failed"
done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
mount -t ext4 -o rw /dev/vda /root || {
	echo "initramfs: cannot mount /dev/vda"
	poweroff -f
}
umount /proc /sys
mount --move /dev /root/dev
exec switch_root /root /sbin/init
"""


class Skip(Exception):
    """The image cannot be built here; the message says why."""


def say(msg):
    print("image: " + msg, flush=True)


def cache_root():
    """$KAPUTTKVM_VM_CACHE/appliance, else ~/.cache/kaputtkvm/appliance."""
    if os.environ.get("KAPUTTKVM_VM_CACHE"):
        return os.path.join(os.environ["KAPUTTKVM_VM_CACHE"], "appliance")
    base = os.environ.get("XDG_CACHE_HOME") or \
        os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "kaputtkvm", "appliance")


def read_list(path):
    """Package names of a list file, comments and blanks dropped."""
    out = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                out.append(line)
    return out


def deb_field(deb, field):
    """One control field of a .deb ('' when absent)."""
    r = subprocess.run(["dpkg-deb", "-f", deb, field],
                       stdout=subprocess.PIPE, text=True, check=True)
    return r.stdout.strip()


def host_mirrors():
    """The Debian archive lines of the host's apt sources, one-line form.

    Only entries of Debian's own archive (signed by
    debian-archive-keyring, or URIs on a Debian mirror) are taken: the image
    must come from the archive apt already uses, nothing else."""
    entries = []
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        para = {}
        with open(path) as f:
            text = f.read()
        for block in text.split("\n\n"):
            para = {}
            for line in block.splitlines():
                if line.startswith("#") or ":" not in line:
                    continue
                k, _, v = line.partition(":")
                para[k.strip().lower()] = v.strip()
            if para.get("types", "deb").split()[0] != "deb":
                continue
            if "debian-archive-keyring" not in para.get("signed-by", "") \
                    and "/debian" not in para.get("uris", ""):
                continue
            for uri in para.get("uris", "").split():
                for suite in para.get("suites", "").split():
                    if suite.split("-")[0] != SUITE:
                        continue
                    entries.append("deb %s %s %s" % (
                        uri, suite, para.get("components", "main")))
    lists = ["/etc/apt/sources.list"] + \
        sorted(glob.glob("/etc/apt/sources.list.d/*.list"))
    for path in lists:
        try:
            lines = open(path).read().splitlines()
        except OSError:
            continue
        for line in lines:
            w = line.split("#", 1)[0].split()
            if len(w) >= 4 and w[0] == "deb" and "/debian" in w[1] and \
                    w[2].split("-")[0] == SUITE and "[" not in w[1]:
                entries.append(" ".join(w))
    seen = []
    for e in entries:
        if e not in seen:
            seen.append(e)
    if not seen:
        raise Skip("no Debian %s archive in the host's apt sources" % SUITE)
    return seen


def tree_hash(h, top):
    """Feed every file under top (names, modes, contents) into h."""
    for d, dirs, files in os.walk(top):
        dirs.sort()
        for name in sorted(files):
            p = os.path.join(d, name)
            h.update(os.path.relpath(p, top).encode() + b"\0")
            h.update(b"%o\0" % (os.stat(p).st_mode & 0o7777))
            h.update(open(p, "rb").read())


def needs(deb):
    """What the image must hold for the .deb: its Depends, Pre-Depends and
    Recommends as one apt-get satisfy string ('' without a .deb)."""
    if not deb:
        return ""
    fields = [deb_field(deb, f) for f in ("Pre-Depends", "Depends",
                                          "Recommends")]
    return ", ".join(f for f in fields if f)


def find_tools():
    """The host tools an image build needs, or Skip naming the package."""
    for prog, pkg in (("mmdebstrap", "mmdebstrap"),
                      ("mke2fs", "e2fsprogs"), ("qemu-img", "qemu-utils"),
                      ("dpkg-deb", "dpkg"), ("depmod", "kmod")):
        if not shutil.which(prog, path=os.environ.get("PATH", "") +
                            ":/usr/sbin:/sbin"):
            raise Skip("%s not installed: install %s "
                       "(scripts/packages/appliance.txt)" % (prog, pkg))
    if os.geteuid() != 0:
        raise Skip("building the image needs root (mmdebstrap, and "
                   "mke2fs -d keeping the files' owners)")


def build_initramfs(ver, out, busybox, modroot=None):
    """A busybox initramfs that mounts /dev/vda and starts its systemd."""
    idx = vmrun.ModuleIndex(ver, modroot)
    order = idx.order(INITRAMFS_MODULES)
    c = vmrun.Cpio()
    for d in ("bin", "dev", "proc", "sys", "root", "modules"):
        c.add(d, stat.S_IFDIR | 0o755)
    c.add("dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1))
    c.add("bin/busybox", stat.S_IFREG | 0o755, open(busybox, "rb").read())
    c.add("bin/sh", stat.S_IFLNK | 0o777, b"busybox")
    c.add("init", stat.S_IFREG | 0o755, INIT)
    for n in order:
        c.add("modules/%s.ko" % n, stat.S_IFREG | 0o644, idx.read(n))
    c.add("modules/order", stat.S_IFREG | 0o644,
          "".join(n + "\n" for n in order).encode())
    with open(out, "wb") as f:
        f.write(c.finish())


def copy_modules(ver, root, gpio_ko, modroot=None):
    """The needed modules of the kernel (the host's, or the lib/modules/<ver>
    tree at modroot), gpio-sim if built, and depmod."""
    idx = vmrun.ModuleIndex(ver, modroot)
    src = idx.root
    dst = os.path.join(root, "usr/lib/modules", ver)
    os.makedirs(dst, exist_ok=True)
    for n in idx.order(IMAGE_MODULES):
        rel = idx.path[n]
        os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
        shutil.copy2(os.path.join(src, rel), os.path.join(dst, rel))
    for f in ("modules.order", "modules.builtin", "modules.builtin.modinfo"):
        if os.path.exists(os.path.join(src, f)):
            shutil.copy2(os.path.join(src, f), os.path.join(dst, f))
    if gpio_ko:
        os.makedirs(os.path.join(dst, "updates"), exist_ok=True)
        shutil.copy2(gpio_ko, os.path.join(dst, "updates", "gpio-simx.ko"))
    subprocess.run(["depmod", "-b", root, ver], check=True)


def fetch_foreign(cache, ver, arch):
    """Debian's kernel and busybox-static for arch, downloaded with apt-get
    download and unpacked into cache/kernel-<ver>-<arch>/: (ver, vmlinuz,
    lib/modules/<ver>, busybox)."""
    fver = re.sub(r"-[a-z0-9]+$", "-" + arch, ver)
    top = os.path.join(cache, "kernel-" + fver)
    tree = os.path.join(top, "tree")
    if not os.path.exists(os.path.join(top, "done")):
        shutil.rmtree(top, ignore_errors=True)
        os.makedirs(tree)
        pkgs = ["linux-image-%s:%s" % (fver, arch), "busybox-static:" + arch]
        say("apt-get download %s" % " ".join(pkgs))
        r = subprocess.run(["apt-get", "download"] + pkgs, cwd=top,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
        if r.returncode != 0:
            raise Skip("cannot download %s: %s (is %s a dpkg foreign "
                       "architecture, `dpkg --add-architecture %s`, "
                       "with the archive's lists updated?)" %
                       (" ".join(pkgs), r.stdout.strip()[-300:], arch, arch))
        for d in sorted(glob.glob(os.path.join(top, "*.deb"))):
            subprocess.run(["dpkg-deb", "-x", d, tree], check=True)
            os.unlink(d)
        # The package's postinst would run depmod: modules.dep for ours.
        subprocess.run(["depmod", "-b", tree, fver], check=True)
        open(os.path.join(top, "done"), "w").close()
    busybox = os.path.join(tree, "bin", "busybox")
    if not os.path.exists(busybox):
        busybox = os.path.join(tree, "usr", "bin", "busybox")
    return (fver, os.path.join(tree, "boot", "vmlinuz-" + fver),
            os.path.join(tree, "lib", "modules", fver), busybox)


def build(cache, ver, deb, busybox, arch=None):
    """Build the image into cache/<key>/ unless it is there: its paths.
    arch: a foreign architecture (FOREIGN_HOOKS), None for the host's."""
    modroot = None
    if arch:
        ver, kernel, modroot, busybox = fetch_foreign(cache, ver, arch)
        gpio_ko = None
    else:
        gpio_ko, why = vmrun.build_gpio_sim(ver,
                                            os.path.join(cache, "gpio-sim"))
        if not gpio_ko:
            raise Skip(why)
        kernel = "/boot/vmlinuz-" + ver
    pkgs = read_list(os.path.join(HERE, "packages.txt"))
    satisfy = needs(deb)
    mirrors = host_mirrors()
    h = hashlib.sha256()
    h.update(open(os.path.abspath(__file__), "rb").read())
    h.update(("\n".join(pkgs) + "\0" + satisfy + "\0" +
              "\n".join(mirrors) + "\0" + ver + "\0" + busybox + "\0" +
              (arch or "")).encode())
    for p in [kernel, busybox] + ([gpio_ko] if gpio_ko else []):
        st = os.stat(p)
        h.update(b"%s %d %d\0" % (p.encode(), st.st_size, int(st.st_mtime)))
    tree_hash(h, os.path.join(HERE, "image"))
    key = h.hexdigest()[:16]
    out = os.path.join(cache, key)
    paths = {"dir": out, "base": os.path.join(out, "base.qcow2"),
             "initrd": os.path.join(out, "initramfs.gz"),
             "kernel": kernel if arch else
             vmrun.kernel_image(ver, os.path.join(cache, "gpio-sim")),
             "key": key, "built": False}
    if os.path.exists(os.path.join(out, "done")):
        say("cached image %s (%s)" % (key, out))
        return paths
    say("building image %s: %s %s, kernel %s"
        % (key, SUITE, arch or "(host)", ver))
    t0 = time.monotonic()
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    debs = os.path.join(cache, "debs")
    os.makedirs(debs, exist_ok=True)
    work = tempfile.mkdtemp(prefix="kaputtkvm-image-", dir=cache)
    root = os.path.join(work, "root")
    try:
        hooks = [
            "--setup-hook=mkdir -p \"$1\"/var/cache/apt/archives/",
            "--setup-hook=sync-in %s /var/cache/apt/archives/" % debs,
        ]
        if satisfy:
            hooks.append("--customize-hook=chroot \"$1\" apt-get satisfy -y "
                         "--no-install-recommends '%s'" %
                         satisfy.replace("'", ""))
        hooks += [
            "--customize-hook=sync-out /var/cache/apt/archives %s" % debs,
            "--customize-hook=copy-in %s /" %
            " ".join(os.path.join(HERE, "image", e)
                     for e in sorted(os.listdir(os.path.join(HERE, "image")))),
            "--customize-hook=chroot \"$1\" sh /setup-image.sh",
        ] + FOREIGN_HOOKS.get(arch, [])
        cmd = ["mmdebstrap", "--variant=apt", "--mode=root"] + \
            (["--arch=" + arch] if arch else []) + [
               "--skip=essential/unlink", "--components=main",
               "--include=" + ",".join(pkgs),
               "--aptopt=APT::Install-Recommends \"false\""] + hooks + \
            [SUITE, root] + mirrors
        r = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            print(r.stdout[-6000:])
            raise RuntimeError("mmdebstrap failed (exit %d)" % r.returncode)
        copy_modules(ver, root, gpio_ko, modroot)
        raw = os.path.join(work, "root.ext4")
        r = subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-L",
                            "kaputtkvm", "-E", "root_owner=0:0", "-d", root,
                            raw, IMAGE_SIZE], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            print(r.stdout)
            raise RuntimeError("mke2fs -d failed (exit %d)" % r.returncode)
        subprocess.run(["qemu-img", "convert", "-q", "-f", "raw", "-O",
                        "qcow2", raw, paths["base"]], check=True)
        build_initramfs(ver, paths["initrd"], busybox, modroot)
        paths["built"] = True
        paths["build_time"] = time.monotonic() - t0
        with open(os.path.join(out, "done"), "w") as f:
            f.write("%.1f\n" % paths["build_time"])
        say("image built in %.0fs" % paths["build_time"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    # Older images are of no use once the inputs changed.
    for d in glob.glob(os.path.join(cache, "*", "done")):
        d = os.path.dirname(d)
        if d != out and re.match(r"[0-9a-f]{16}$", os.path.basename(d)):
            shutil.rmtree(d, ignore_errors=True)
    return paths


def get(deb, arch=None):
    """The image for this .deb (None: none yet), built if needed: a dict
    with base, initrd, kernel, key, built (and build_time), or Skip.
    arch: a foreign architecture ("arm64"), with a cache of its own under
    cache_root()/<arch> (an image of one architecture does not replace the
    other's)."""
    find_tools()
    ver = vmrun.find_kernel()
    busybox = None if arch else vmrun.find_busybox()
    cache = cache_root()
    if arch:
        cache = os.path.join(cache, arch)
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(cache, ".lock"), "w") as lockf:
        fcntl.flock(lockf, fcntl.LOCK_EX)
        try:
            return build(cache, ver, deb, busybox, arch)
        except vmrun.Skip as e:
            raise Skip(str(e))


if __name__ == "__main__":
    try:
        p = get(sys.argv[1] if len(sys.argv) > 1 else None)
    except Skip as e:
        print("SKIP: %s" % e)
        sys.exit(77)
    print(p)
