"""mediad's LUN through its socket, against a directory LUN: the order of
attribute writes (seen through inotify), restore after a restart or a
reboot, a vanished image, and mediactl."""

import json
import os
import subprocess
import tempfile
import time
import unittest

import kvmtest
from kvmtest.mediadtest import Inotify, Mediad

CD_MIN = 300 * 2048    # the kernel refuses smaller CD images


class Lun(unittest.TestCase):

    def setUp(self):
        self.d = Mediad().start()
        for name in ("a.iso", "b.img"):
            status, reply = self.d.put(name, (name.encode() * 200000)[:CD_MIN])
            self.assertEqual(status, 200, reply)
        self.path = {n: os.path.join(self.d.images, n)
                     for n in ("a.iso", "b.img")}

    def tearDown(self):
        self.d.__exit__(None, None, None)

    def attrs(self):
        return {a: self.d.lun_attr(a).rstrip("\n")
                for a in ("file", "cdrom", "ro")}

    def test_mount_writes_in_kernel_order(self):
        ino = Inotify(self.d.lun)
        try:
            r = self.d.ok("POST", "/mount", {"image": "a.iso"})
            self.assertEqual(ino.names(), ["file", "cdrom", "ro", "file"],
                             "remove medium, cdrom, ro, then file")
            self.assertEqual(self.attrs(), {"file": self.path["a.iso"],
                                            "cdrom": "1", "ro": "1"})
            self.assertEqual((r["image"], r["mounted"], r["cdrom"],
                              r["readonly"]), ("a.iso", True, True, True))

            # swap to a writable flash drive while mounted
            r = self.d.ok("POST", "/mount", {"image": "b.img",
                                             "cdrom": False,
                                             "readonly": False})
            self.assertEqual(ino.names(), ["file", "cdrom", "ro", "file"])
            self.assertEqual(self.attrs(), {"file": self.path["b.img"],
                                            "cdrom": "0", "ro": "0"})
            # a running target keeps its CD drive until it re-enumerates
            self.assertIn("re-enumerates", r.get("note", ""))
            r = self.d.ok("POST", "/mount", {"image": "b.img",
                                             "cdrom": False})
            self.assertNotIn("note", r)
            self.assertEqual(ino.names(), ["file", "cdrom", "ro", "file"])

            self.d.ok("POST", "/eject", {})
            self.assertEqual(ino.names(), ["file"])
            self.assertEqual(self.attrs()["file"], "")

            # a refused mount writes nothing
            kvmtest.assert_error(self, self.d.json(
                "POST", "/mount", {"image": "a.iso", "readonly": False}),
                400)
            self.assertEqual(ino.names(), [])
        finally:
            ino.close()

    def test_state(self):
        st = self.d.ok("GET", "/state")
        self.assertEqual(st["luns"][0]["mounted"], False)
        self.assertGreater(st["store"]["free_bytes"], 0)
        self.assertEqual(st["store"]["images"], 2)
        self.d.ok("POST", "/mount", {"image": "b.img", "cdrom": False})
        lun = self.d.ok("GET", "/state")["luns"][0]
        self.assertEqual((lun["image"], lun["cdrom"], lun["readonly"]),
                         ("b.img", False, True))
        self.assertIsNone(lun["problem"])
        imgs = {i["name"]: i for i in self.d.ok("GET", "/images")["images"]}
        self.assertIs(imgs["b.img"]["mounted"], True)
        self.assertIs(imgs["a.iso"]["mounted"], False)
        # the target ejects on its own (SCSI START STOP UNIT)
        with open(os.path.join(self.d.lun, "file"), "w") as f:
            f.write("\n")
        lun = self.d.ok("GET", "/state")["luns"][0]
        self.assertIs(lun["mounted"], False)
        self.assertIs(lun.get("ejected_by_target"), True)
        self.d.ok("DELETE", "/images/b.img")
        status, _, text = self.d.request("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertIn(b"kaputtkvm_mediad_mounts_total 1", text)
        self.assertIn(b'kaputtkvm_mediad_lun_mounted{lun="0"} 0', text)

    def restart(self, fresh_lun):
        self.assertEqual(self.d.stop(), 0)
        self.d = Mediad(tmpdir=self.d.tmp, fresh_lun=fresh_lun)
        self.d.own_tmp = True
        return self.d

    def test_reboot_restores_the_mount(self):
        self.d.ok("POST", "/mount", {"image": "b.img", "cdrom": False,
                                     "readonly": False})
        with open(self.d.state_file) as f:
            self.assertEqual(json.load(f)["luns"][0]["image"], "b.img")
        d = self.restart(fresh_lun=True)     # a new, empty gadget
        self.assertEqual(d.lun_attr("file"), "\n")
        d.start()
        self.assertEqual(self.attrs(), {"file": self.path["b.img"],
                                        "cdrom": "0", "ro": "0"})
        lun = d.ok("GET", "/state")["luns"][0]
        self.assertEqual((lun["image"], lun["mounted"]), ("b.img", True))

    def test_restart_leaves_the_target_alone(self):
        self.d.ok("POST", "/mount", {"image": "a.iso"})
        d = self.restart(fresh_lun=False)    # the gadget kept the medium
        ino = Inotify(d.lun)
        try:
            d.start()
            self.assertEqual(d.ok("GET", "/state")["luns"][0]["image"],
                             "a.iso")
            self.assertEqual(ino.names(), [], "no write: no media change")
        finally:
            ino.close()

    def kernel_reports(self, path):
        """What the kernel's `file` says after mediad restarted under
        systemd's ProtectSystem=strict + StateDirectory=: the file was
        opened through the old instance's private bind mount, and the
        path is printed relative to it."""
        with open(os.path.join(self.d.lun, "file"), "w") as f:
            f.write(path + "\n")

    def test_restart_in_a_private_namespace(self):
        self.d.ok("POST", "/mount", {"image": "a.iso"})
        self.assertEqual(self.d.stop(), 0)
        for seen in ("/a.iso", "/images/a.iso"):
            self.kernel_reports(seen)
            d = self.restart_stopped()
            ino = Inotify(d.lun)
            try:
                d.start()
                lun = d.ok("GET", "/state")["luns"][0]
                self.assertEqual((lun["image"], lun["mounted"],
                                  lun["problem"]), ("a.iso", True, None),
                                 "the LUN holds a.iso, seen as %s" % seen)
                self.assertEqual(ino.names(), [],
                                 "mediad mounted again what the LUN holds "
                                 "(a target that locked its tray refuses)")
                # what is mounted cannot be deleted
                kvmtest.assert_error(self, d.json(
                    "DELETE", "/images/a.iso"), 409)
                self.assertEqual(d.stop(), 0)
            finally:
                ino.close()

    def restart_stopped(self):
        self.d = Mediad(tmpdir=self.d.tmp, fresh_lun=False)
        self.d.own_tmp = True
        return self.d

    def test_private_namespace_other_file(self):
        """A differently rooted path counts only for the very file mediad
        mounted: not for an image replaced under the same name, nor for a
        path that is not a tail of the store's."""
        self.d.ok("POST", "/mount", {"image": "a.iso"})
        self.assertEqual(self.d.stop(), 0)
        self.kernel_reports("/elsewhere/a.iso")
        d = self.restart_stopped()
        d.start()
        self.assertEqual(self.attrs()["file"], self.path["a.iso"],
                         "not the store's file: mounted again")
        self.assertEqual(d.stop(), 0)
        d = self.restart_stopped()
        # a.iso replaced by another file of the same name
        # (written beside it first: a new inode, never the old one reused)
        with open(self.path["a.iso"] + ".new", "wb") as f:
            f.write(b"y" * CD_MIN)
        os.rename(self.path["a.iso"] + ".new", self.path["a.iso"])
        self.kernel_reports("/a.iso")
        d.start()
        lun = d.ok("GET", "/state")["luns"][0]
        self.assertEqual(self.attrs()["file"], self.path["a.iso"],
                         "another file now: mounted again")
        self.assertEqual((lun["image"], lun["problem"]), ("a.iso", None))

    def test_gadget_rebuilt(self):
        """kaputtkvm-gadget teardown + setup under a running mediad: the
        LUN directory it holds is removed and a new, empty one made at the
        same path (here: the stand-in directory).  mediad follows it and
        mounts what it had mounted, without a restart."""
        self.d.ok("POST", "/mount", {"image": "a.iso"})
        import shutil
        shutil.rmtree(self.d.lun)
        time.sleep(1.5)     # a teardown takes a moment
        os.makedirs(self.d.lun)
        self.d.reset_lun()
        deadline = time.monotonic() + 5
        while (self.attrs()["file"] != self.path["a.iso"] and
               time.monotonic() < deadline):
            time.sleep(0.05)
        self.assertEqual(self.attrs(), {"file": self.path["a.iso"],
                                        "cdrom": "1", "ro": "1"},
                         "the rebuilt LUN did not get its medium back")
        lun = self.d.ok("GET", "/state")["luns"][0]
        self.assertEqual((lun["image"], lun["mounted"], lun["problem"]),
                         ("a.iso", True, None))
        # and it is the new LUN mediad drives now
        self.d.ok("POST", "/eject", {})
        self.assertEqual(self.attrs()["file"], "")

    def test_vanished_image(self):
        self.d.ok("POST", "/mount", {"image": "a.iso"})
        d = self.restart(fresh_lun=True)
        os.unlink(self.path["a.iso"])
        d.start()
        lun = d.ok("GET", "/state")["luns"][0]
        self.assertIs(lun["mounted"], False)
        self.assertEqual(lun["missing_image"], "a.iso")
        self.assertIn("no longer in the store", lun["problem"])
        # mounting something else clears it
        d.ok("POST", "/mount", {"image": "b.img"})
        lun = d.ok("GET", "/state")["luns"][0]
        self.assertIsNone(lun["missing_image"])
        self.assertIsNone(lun["problem"])

    def test_corrupt_state_file(self):
        self.d.ok("POST", "/mount", {"image": "a.iso"})
        d = self.restart(fresh_lun=True)
        with open(d.state_file, "w") as f:
            f.write("{half")
        d.start()
        lun = d.ok("GET", "/state")["luns"][0]
        self.assertIs(lun["mounted"], False)
        self.assertIn("unreadable", lun["problem"])

    def test_two_luns(self):
        self.d.__exit__(None, None, None)
        tmp = tempfile.mkdtemp(prefix="kvmtest-mediad-")
        lun1 = os.path.join(tmp, "lun.1")
        os.makedirs(lun1)
        for attr, val in (("file", ""), ("cdrom", "0"), ("ro", "0")):
            with open(os.path.join(lun1, attr), "w") as f:
                f.write(val + "\n")
        self.d = Mediad(["--lun", lun1], tmpdir=tmp)
        self.d.own_tmp = True
        self.d.start()
        self.d.put("a.iso", b"x" * CD_MIN)
        self.d.ok("POST", "/mount", {"image": "a.iso", "lun": 1})
        with open(os.path.join(lun1, "file")) as f:
            self.assertEqual(f.read(), os.path.join(self.d.images, "a.iso")
                             + "\n")
        self.assertEqual(self.d.lun_attr("file"), "\n")
        # read-only on both is fine; read-write on either is not
        self.d.ok("POST", "/mount", {"image": "a.iso", "lun": 0})
        kvmtest.assert_error(self, self.d.json("POST", "/mount", {
            "image": "a.iso", "lun": 0, "cdrom": False,
            "readonly": False}), 409)
        self.d.ok("POST", "/eject", {"lun": 1})
        self.assertEqual(len(self.d.ok("GET", "/state")["luns"]), 2)

    def test_mediactl(self):
        ctl = [kvmtest.binary("mediactl"), "--socket", self.d.socket]

        def run(*args):
            return subprocess.run(ctl + list(args), capture_output=True,
                                  text=True, timeout=60)

        src = os.path.join(self.d.tmp, "local image.iso")
        with open(src, "wb") as f:
            f.write(os.urandom(3 << 20))
        r = run("upload", src)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("sha256", r.stdout)
        r = run("upload", src)
        self.assertEqual(r.returncode, 1)
        self.assertIn("already exists", r.stderr)
        self.assertEqual(run("upload", "--overwrite", src,
                             "other.iso").returncode, 0)
        r = run("list")
        self.assertEqual(r.returncode, 0)
        self.assertIn("local image.iso", r.stdout)
        self.assertEqual(run("mount", "local image.iso").returncode, 0)
        self.assertEqual(self.attrs()["file"],
                         os.path.join(self.d.images, "local image.iso"))
        r = run("state")
        self.assertIn("local image.iso as CD, read-only", r.stdout)
        r = run("--json", "state")
        st = json.loads(r.stdout)  # the result object, as GET /state's
        self.assertEqual(set(st), set(self.d.ok("GET", "/state")))
        self.assertEqual(st["luns"], self.d.ok("GET", "/state")["luns"])
        r = run("delete", "local image.iso")
        self.assertEqual(r.returncode, 1)
        self.assertIn("eject it first", r.stderr)
        self.assertEqual(run("eject").returncode, 0)
        self.assertEqual(run("delete", "local image.iso").returncode, 0)
        out = os.path.join(self.d.tmp, "back.iso")
        r = run("download", "other.iso", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(src, "rb") as a, open(out, "rb") as b:
            self.assertEqual(a.read(), b.read())
        r = run("download", "none.iso", out + "2")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no image named", r.stderr)
        self.assertFalse(os.path.exists(out + "2"))
        self.assertFalse(os.path.exists(out + "2.part"))
        self.assertEqual(run("mount", "--flash", "--rw", "other.iso")
                         .returncode, 0)
        self.assertEqual(self.attrs()["ro"], "0")
        r = subprocess.run([kvmtest.binary("mediactl"), "--socket",
                            os.path.join(self.d.tmp, "nobody.sock"),
                            "state"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("cannot reach", r.stderr)
        # a usage error is 64, not 2 ("unreachable"); nothing is sent
        r = run("mount")
        self.assertEqual(r.returncode, 64)
        self.assertIn("mount needs image", r.stderr)
        r = run("eject", "--lun", "99")
        self.assertEqual(r.returncode, 64)
        self.assertIn("from 0 to", r.stderr)
        r = run("upload", src, "--overwrite=perhaps")
        self.assertEqual(r.returncode, 64)
        # with --json an error is the envelope
        r = run("--json", "delete", "none.iso")
        self.assertEqual(r.returncode, 1)
        self.assertIs(json.loads(r.stdout)["ok"], False)
        # the fields by name; a download to stdout
        self.assertEqual(run("eject", "lun=0", "force=true").returncode, 0)
        r = subprocess.run(ctl + ["download", "other.iso", "-"],
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(src, "rb") as a:
            self.assertEqual(r.stdout, a.read())


if __name__ == "__main__":
    kvmtest.main()
