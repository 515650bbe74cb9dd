"""mediad's image store through its socket: uploads (streamed, hashed,
aborted, refused up front), names, overwrite and delete rules, downloads
with Range, symlinks."""

import os
import subprocess
import tempfile
import time
import unittest
from urllib.parse import unquote_to_bytes

import kvmtest
from kvmtest.mediadtest import (Mediad, data_bytes, data_chunks,
                                parse_reply, read_all, sha256_of)

MiB = 1 << 20


class Store(unittest.TestCase):

    def setUp(self):
        self.d = Mediad().start()

    def tearDown(self):
        self.d.__exit__(None, None, None)

    def images(self):
        return sorted(os.listdir(self.d.images))

    def wait_idle(self, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.d.ok("GET", "/state")["uploads"]:
                return
            time.sleep(0.05)
        self.fail("an upload stays in /state")

    def test_upload_hash_and_download(self):
        size = 3 * MiB + 17
        status, reply = self.d.upload("a.iso", data_chunks(size, 1), size)
        self.assertEqual(status, 200, reply)
        self.assertEqual(reply["result"]["sha256"], sha256_of(size, 1))
        self.assertEqual(reply["result"]["size"], size)
        with open(os.path.join(self.d.images, "a.iso"), "rb") as f:
            self.assertEqual(f.read(), data_bytes(size, 1))
        imgs = self.d.ok("GET", "/images")["images"]
        self.assertEqual(len(imgs), 1)
        self.assertEqual(imgs[0]["name"], "a.iso")
        self.assertEqual(imgs[0]["size"], size)
        self.assertAlmostEqual(imgs[0]["mtime"], time.time(), delta=60)
        self.assertIs(imgs[0]["mounted"], False)
        self.assertIs(imgs[0]["uploading"], False)

        want = data_bytes(size, 1)
        status, hdrs, body = self.d.request("GET", "/images/a.iso")
        self.assertEqual(status, 200)
        self.assertEqual(body, want)
        self.assertEqual(hdrs["accept-ranges"], "bytes")
        self.assertEqual(hdrs["content-disposition"],
                         "attachment; filename*=UTF-8''a.iso")
        status, hdrs, body = self.d.request(
            "GET", "/images/a.iso", headers={"Range": "bytes=10-19"})
        self.assertEqual(status, 206)
        self.assertEqual(body, want[10:20])
        self.assertEqual(hdrs["content-range"], "bytes 10-19/%d" % size)
        status, hdrs, body = self.d.request(
            "GET", "/images/a.iso", headers={"Range": "bytes=-5"})
        self.assertEqual((status, body), (206, want[-5:]))
        status, hdrs, body = self.d.request(
            "GET", "/images/a.iso", headers={"Range": "bytes=%d-" % size})
        self.assertEqual(status, 416)
        self.assertEqual(hdrs["content-range"], "bytes */%d" % size)
        status, hdrs, body = self.d.request("HEAD", "/images/a.iso")
        self.assertEqual(status, 200)
        self.assertEqual(int(hdrs["content-length"]), size)
        self.assertEqual(body, b"")
        kvmtest.assert_error(self, self.d.json("GET", "/images/none.iso"),
                             404, "not_found")

    def test_empty_image(self):
        status, reply = self.d.put("empty.img", b"")
        self.assertEqual(status, 200, reply)
        self.assertEqual(reply["result"]["sha256"],
                         "e3b0c44298fc1c149afbf4c8996fb924"
                         "27ae41e4649b934ca495991b7852b855")

    def test_expected_sha256(self):
        size = 2 * MiB + 5
        good = sha256_of(size, 7)
        status, reply = self.d.upload("ok.img", data_chunks(size, 7), size,
                                      "?sha256=" + good.upper())
        self.assertEqual(status, 200, reply)
        self.assertEqual(reply["result"]["sha256"], good)
        bad = sha256_of(size, 8)
        status, reply = self.d.upload("bad.img", data_chunks(size, 7), size,
                                      "?sha256=" + bad)
        self.assertEqual(status, 400, reply)
        self.assertIn("not the expected " + bad, reply["error"]["message"])
        self.assertEqual(self.images(), ["ok.img"])
        # an overwrite that does not match keeps the old image
        status, reply = self.d.upload("ok.img", data_chunks(size, 8), size,
                                      "?overwrite=1&sha256=" + good)
        self.assertEqual(status, 400, reply)
        with open(os.path.join(self.d.images, "ok.img"), "rb") as f:
            self.assertEqual(f.read(), data_bytes(size, 7))
        for q in ("?sha256=12", "?sha256=" + "g" * 64):
            status, reply = self.d.put("x.img", b"abc", q)
            self.assertEqual(status, 400, reply)
            self.assertIn("sha256", reply["error"]["message"])
        self.wait_idle()
        self.assertEqual(self.images(), ["ok.img"])

    def test_progress_in_state(self):
        size = 8 * MiB
        seen = []

        def peek(i):
            if i == 3:
                seen.extend(self.d.ok("GET", "/state")["uploads"])
                seen.append(self.d.ok("GET", "/images")["images"])

        status, reply = self.d.upload("p.img", data_chunks(size, 2), size,
                                      on_chunk=peek)
        self.assertEqual(status, 200, reply)
        up, listing = seen[0], seen[-1]
        self.assertEqual(up["name"], "p.img")
        self.assertEqual(up["length"], size)
        self.assertGreater(up["received"], 0)
        self.assertLessEqual(up["received"], 4 * MiB)
        self.assertTrue(0 < up["percent"] <= 50, up)
        self.assertEqual([(i["name"], i["uploading"]) for i in listing],
                         [("p.img", True)])
        self.assertEqual(self.d.ok("GET", "/state")["uploads"], [])

    def test_abort_midway_leaves_nothing(self):
        s = self.d.connect()
        s.sendall(b"PUT /images/big.iso HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Length: %d\r\n\r\n" % (64 * MiB))
        for c in data_chunks(5 * MiB, 3):
            s.sendall(c)
        time.sleep(0.2)
        self.assertEqual(self.d.ok("GET", "/state")["uploads"][0]["name"],
                         "big.iso")
        s.close()
        self.wait_idle()
        self.assertEqual(self.images(), [], "no file, no temporary file")
        self.assertEqual(self.d.ok("GET", "/images")["images"], [])
        # not "busy": the same name uploads at once
        status, reply = self.d.put("big.iso", b"x" * 1000)
        self.assertEqual(status, 200, reply)
        self.assertEqual(self.images(), ["big.iso"])

    def test_stalled_upload_is_dropped(self):
        self.d.__exit__(None, None, None)
        self.d = Mediad(["--timeout", "1"]).start()
        s = self.d.connect()
        s.sendall(b"PUT /images/slow.iso HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Length: %d\r\n\r\n" % (8 * MiB) +
                  b"s" * 100000)
        time.sleep(0.3)
        self.assertEqual(len(self.d.ok("GET", "/state")["uploads"]), 1)
        self.wait_idle(timeout=5)   # dropped after 1 s of silence
        s.close()
        self.assertEqual(self.images(), [])
        self.assertIn("aborted", self.d.log())
        status, reply = self.d.put("slow.iso", b"x" * 10)
        self.assertEqual(status, 200, reply)

    def test_stop_during_upload_leaves_nothing(self):
        s = self.d.connect()
        s.sendall(b"PUT /images/big.iso HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Length: %d\r\n\r\n" % (64 * MiB))
        for c in data_chunks(3 * MiB, 7):
            s.sendall(c)
        time.sleep(0.2)
        self.assertEqual(len(self.d.ok("GET", "/state")["uploads"]), 1)
        self.assertEqual(self.d.stop(), 0, "clean exit on SIGTERM")
        s.close()
        self.assertEqual(self.images(), [], "no file, no temporary file")
        self.d = Mediad(tmpdir=self.d.tmp).start()
        self.d.own_tmp = True
        self.assertEqual(self.d.ok("GET", "/images")["images"], [])

    def test_abort_of_overwrite_keeps_old(self):
        self.assertEqual(self.d.put("a.img", b"old")[0], 200)
        s = self.d.connect()
        s.sendall(b"PUT /images/a.img?overwrite=1 HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Length: 1000000\r\n\r\n" + b"n" * 5000)
        time.sleep(0.2)
        s.close()
        self.wait_idle()
        self.assertEqual(self.images(), ["a.img"])
        with open(os.path.join(self.d.images, "a.img"), "rb") as f:
            self.assertEqual(f.read(), b"old")

    def test_no_space_refused_before_the_body(self):
        # Far more than any disk here: refused from the headers alone.
        for expect in (False, True):
            s = self.d.connect()
            head = (b"PUT /images/huge.iso HTTP/1.1\r\nHost: x\r\n"
                    b"Content-Length: %d\r\n" % (1 << 50))
            if expect:
                head += b"Expect: 100-continue\r\n"
            s.sendall(head + b"\r\n")
            s.settimeout(5)
            status, reply = parse_reply(read_all(s))
            s.close()
            kvmtest.assert_error(self, (status, reply), 507, "no_space")
            self.assertIn("free", reply["error"]["message"])
        self.assertEqual(self.images(), [])
        self.assertEqual(self.d.ok("GET", "/state")["uploads"], [])

    def test_reserve_counts(self):
        self.d.__exit__(None, None, None)
        # A reserve larger than any disk: nothing fits.
        self.d = Mediad(["--reserve-mb", str(1 << 30)]).start()
        status, reply = self.d.put("a.img", b"x" * 100)
        kvmtest.assert_error(self, (status, reply), 507, "no_space")
        self.assertIn("reserve", reply["error"]["message"])

    def test_tmpfs_full(self):
        mnt = tempfile.mkdtemp(prefix="kvmtest-mediad-tmpfs-")
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m",
                            "tmpfs", mnt], capture_output=True)
        if r.returncode != 0:
            os.rmdir(mnt)
            self.skipTest("cannot mount a 64 MiB tmpfs here (%s); "
                          "test_reserve_counts covers the refusal"
                          % r.stderr.decode().strip())
        try:
            self.d.__exit__(None, None, None)
            self.d = Mediad(["--reserve-mb", "8"], images=mnt).start()
            size = 40 * MiB
            status, reply = self.d.upload("a.img", data_chunks(size, 4),
                                          size)
            self.assertEqual(status, 200, reply)
            status, reply = self.d.upload("b.img", data_chunks(size, 5),
                                          size, expect=True)
            kvmtest.assert_error(self, (status, reply), 507, "no_space")
            self.assertEqual(sorted(os.listdir(mnt)), ["a.img"])
            # what fits beside the reserve still goes
            status, reply = self.d.upload("c.img", data_chunks(MiB, 6),
                                          MiB)
            self.assertEqual(status, 200, reply)
        finally:
            self.d.__exit__(None, None, None)
            subprocess.run(["umount", mnt])
            os.rmdir(mnt)
            self.d = Mediad().start()

    def test_file_too_large_midway(self):
        # A store whose file system takes smaller files than the upload
        # (FAT's 4 GiB; here a 4 MiB file-size limit on mediad): the
        # error comes while the body streams, with the reason, and
        # nothing is kept; mediad lives on.
        self.d.__exit__(None, None, None)
        self.d = Mediad()
        self.d.args = ["prlimit", "--fsize=%d" % (4 * MiB), "--"] + \
            self.d.args
        self.d.start()
        size = 16 * MiB
        status, reply = self.d.upload("big.iso", data_chunks(size, 8), size)
        kvmtest.assert_error(self, (status, reply), 413, None)
        self.assertIn("File too large", reply["error"]["message"])
        self.assertIn("big.iso", reply["error"]["message"])
        self.wait_idle()
        self.assertEqual(self.images(), [], "no file, no temporary file")
        status, reply = self.d.put("small.iso", b"x" * MiB)
        self.assertEqual(status, 200, reply)
        self.assertEqual(self.images(), ["small.iso"])

    def test_bad_names(self):
        bad = ["..%2Fx", ".hidden", "a/b", "a%2Fb", "a%2fb", "x" * 300,
               "a%0Ab", "a%0Db", "%2E%2E", "..", ".", "a%00b", "%C0%AF",
               "a%7F", "%FF.iso", ""]
        for name in bad:
            for method in ("PUT", "GET", "DELETE"):
                body = b"data" if method == "PUT" else None
                status, reply = self.d.json(method, "/images/" + name,
                                            body=body)
                self.assertEqual(status, 400,
                                 "%s /images/%s -> %d %r"
                                 % (method, name, status, reply))
                kvmtest.assert_error(self, (status, reply), 400)
            try:
                image = unquote_to_bytes(name).decode()
            except UnicodeDecodeError:
                continue    # JSON cannot carry it
            status, reply = self.d.json("POST", "/mount", {"image": image})
            self.assertEqual(status, 400, (name, reply))
        # Traversal written out in the path: refused one way or another,
        # never reaching outside the store.
        out = kvmtest.raw_exchange(
            self.d.socket, b"PUT /images/../x HTTP/1.1\r\nHost: x\r\n"
            b"Content-Length: 4\r\n\r\ndata")
        self.assertRegex(out[:12], rb"HTTP/1.1 4\d\d", out)
        self.assertEqual(self.images(), [])
        self.assertFalse(os.path.exists(os.path.join(self.d.tmp, "x")))

    def test_good_unusual_names(self):
        for name, quoted in (("Win 11 (x64).iso", "Win%2011%20(x64).iso"),
                             ("\u00e9t\u00e9.img", "%C3%A9t%C3%A9.img"),
                             ("a..b", "a..b"), ("x" * 255, "x" * 255)):
            status, reply = self.d.put(quoted, b"1234")
            self.assertEqual(status, 200, (name, reply))
            status, hdrs, body = self.d.request("GET", "/images/" + quoted)
            self.assertEqual((status, body), (200, b"1234"))
            self.assertIn("filename*=UTF-8''", hdrs["content-disposition"])
            self.assertIn(name, self.images())

    def test_overwrite_rules(self):
        self.assertEqual(self.d.put("a.img", b"one")[0], 200)
        kvmtest.assert_error(self, self.d.put("a.img", b"two"), 409)
        kvmtest.assert_error(self, self.d.put("a.img", b"two",
                                              "?overwrite=0"), 409)
        kvmtest.assert_error(self, self.d.put("a.img", b"two",
                                              "?overwrite=maybe"), 400)
        status, reply = self.d.put("a.img", b"three", "?overwrite=1")
        self.assertEqual(status, 200, reply)
        with open(os.path.join(self.d.images, "a.img"), "rb") as f:
            self.assertEqual(f.read(), b"three")
        self.d.ok("POST", "/mount", {"image": "a.img", "cdrom": False})
        status, reply = self.d.put("a.img", b"four", "?overwrite=1")
        kvmtest.assert_error(self, (status, reply), 409, "busy")
        self.assertIn("mounted", reply["error"]["message"])
        with open(os.path.join(self.d.images, "a.img"), "rb") as f:
            self.assertEqual(f.read(), b"three")
        self.assertEqual(self.images(), ["a.img"])

    def test_delete_while_mounted(self):
        self.assertEqual(self.d.put("a.iso", b"x" * 614400)[0], 200)
        self.d.ok("POST", "/mount", {"image": "a.iso"})
        status, reply = self.d.json("DELETE", "/images/a.iso")
        kvmtest.assert_error(self, (status, reply), 409, "busy")
        self.assertIn("eject", reply["error"]["message"])
        self.assertEqual(self.images(), ["a.iso"])
        self.d.ok("POST", "/eject", {})
        self.assertEqual(self.d.ok("DELETE", "/images/a.iso"),
                         {"deleted": "a.iso"})
        self.assertEqual(self.images(), [])
        kvmtest.assert_error(self, self.d.json("DELETE", "/images/a.iso"),
                             404)

    def test_symlinks_never_followed(self):
        secret = os.path.join(self.d.tmp, "secret")
        with open(secret, "w") as f:
            f.write("secret")
        os.symlink(secret, os.path.join(self.d.images, "link.iso"))
        os.mkdir(os.path.join(self.d.images, "dir.iso"))
        self.assertEqual(self.d.ok("GET", "/images")["images"], [])
        for method, target, body in (
                ("GET", "/images/link.iso", None),
                ("DELETE", "/images/link.iso", None),
                ("PUT", "/images/link.iso?overwrite=1", b"evil"),
                ("POST", "/mount", {"image": "link.iso"}),
                ("GET", "/images/dir.iso", None)):
            status, reply = self.d.json(method, target, body)
            kvmtest.assert_error(self, (status, reply), 400)
        with open(secret) as f:
            self.assertEqual(f.read(), "secret")
        self.assertTrue(os.path.islink(os.path.join(self.d.images,
                                                    "link.iso")))

    def test_bad_requests(self):
        self.assertEqual(self.d.put("a.iso", b"x" * 4096)[0], 200)
        for body, status in (
                ({"image": "a.iso", "bogus": 1}, 400),
                ({"image": 5}, 400),
                ({}, 400),
                ({"image": "a.iso", "cdrom": True, "readonly": False}, 400),
                ({"image": "a.iso", "lun": 1}, 400),
                ({"image": "a.iso", "lun": -1}, 400),
                ({"image": "none.iso"}, 404)):
            kvmtest.assert_error(self, self.d.json("POST", "/mount", body),
                                 status)
        kvmtest.assert_error(self, self.d.json("POST", "/mount", "[1"), 400)
        kvmtest.assert_error(self, self.d.json("POST", "/eject",
                                               {"force": "yes"}), 400)
        self.assertEqual(self.d.lun_attr("file"), "\n", "nothing mounted")
        # chunked: the size is unknown, so free space cannot be checked
        out = kvmtest.raw_exchange(
            self.d.socket, b"PUT /images/c.iso HTTP/1.1\r\nHost: x\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n4\r\ndata\r\n0\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 400"), out)
        self.assertIn(b"Content-Length", out)

    def test_cd_too_small(self):
        self.assertEqual(self.d.put("tiny.iso", b"x" * 614399)[0], 200)
        status, reply = self.d.json("POST", "/mount", {"image": "tiny.iso"})
        kvmtest.assert_error(self, (status, reply), 400)
        self.assertIn("too small", reply["error"]["message"])
        self.assertEqual(self.d.lun_attr("file"), "\n")
        self.d.ok("POST", "/mount", {"image": "tiny.iso", "cdrom": False})

    def test_cd_size_limit(self):
        path = os.path.join(self.d.images, "win.iso")
        with open(path, "wb") as f:
            f.truncate(5 * (1 << 30))   # sparse: no disk used
        status, reply = self.d.json("POST", "/mount", {"image": "win.iso"})
        kvmtest.assert_error(self, (status, reply), 400)
        msg = reply["error"]["message"]
        self.assertIn("CD", msg)
        self.assertIn("flash", msg)
        self.assertEqual(self.d.lun_attr("file"), "\n")
        r = self.d.ok("POST", "/mount", {"image": "win.iso",
                                         "cdrom": False})
        self.assertIs(r["cdrom"], False)
        self.assertEqual(self.d.lun_attr("file"), path + "\n")


if __name__ == "__main__":
    kvmtest.main()
