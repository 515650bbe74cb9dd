"""capd's GET and POST /edid on the host: the answers for a source without
an EDID (the test pattern; /dev/null, a stand-in for a device without EDID
pads) and the checks a POSTed EDID passes before any device sees it.  The
driver's side is tests/vm/capd/capd-vivid-edid.sh."""

import os
import subprocess
import unittest

import kvmtest

CORPUS = os.path.join(kvmtest.SOURCE_ROOT, "tests", "fuzz", "corpus",
                      "capd_edid")
PATTERN = ["--source", "pattern", "--resolution", "320x240", "--fps", "10"]


def corpus_hex(name):
    with open(os.path.join(CORPUS, name), "rb") as f:
        return f.read().hex()


class EdidTest(unittest.TestCase):

    def message(self, reply, status, code=None):
        kvmtest.assert_error(self, reply, status, code)
        return reply[1]["error"]["message"]

    def test_pattern_has_none(self):
        with kvmtest.Daemon("capd", PATTERN) as d:
            msg = self.message(d.json("GET", "/edid"), 501, "not_supported")
            self.assertIn("test pattern", msg)
            # a good EDID gets as far as the source, which has no EDID
            msg = self.message(d.json("POST", "/edid", {"preset": "default"}),
                               501, "not_supported")
            self.assertIn("test pattern", msg)
            msg = self.message(
                d.json("POST", "/edid",
                       {"hex": corpus_hex("preset-1280x720.bin")}),
                501, "not_supported")
            self.assertIn("test pattern", msg)

    def test_checked_before_the_device(self):
        good = corpus_hex("preset-default.bin")
        cases = [
            ({"hex": corpus_hex("extension-bad-checksum.bin")},
             "block 1: bad checksum"),
            ({"hex": corpus_hex("base-block-only-bad-count.bin")},
             "announces 2 blocks"),
            ({"hex": good[:-1] + "x"}, "not a hex digit at 511"),
            ({"hex": good + "0"}, "this has 513 digits"),
            ({"hex": "00" * 64}, "hex"),  # shorter than a block: apispec
            ({"hex": "ff" * 128}, "no EDID header"),
            ({"preset": "4k"}, "no EDID preset '4k'"),
            ({}, "give one of"),
            ({"preset": "default", "hex": good}, "give one of"),
            ({"blocks": 2}, "blocks"),
        ]
        with kvmtest.Daemon("capd", PATTERN) as d:
            for body, words in cases:
                with self.subTest(body=body):
                    msg = self.message(d.json("POST", "/edid", body), 400,
                                       "invalid")
                    self.assertIn(words, msg)
            self.assertTrue(d.ok("GET", "/state")["online"])

    def test_device_without_edid_pads(self):
        # /dev/null stands in for a capture device that is no HDMI input
        with kvmtest.Daemon("capd", ["--source", "/dev/null"]) as d:
            msg = self.message(d.json("GET", "/edid"), 501, "not_supported")
            self.assertIn("has no EDID", msg)
            msg = self.message(d.json("POST", "/edid", {"preset": "default"}),
                               501, "not_supported")
            self.assertIn("has no EDID", msg)

    def test_capctl(self):
        with kvmtest.Daemon("capd", PATTERN) as d:
            ctl = [kvmtest.binary("capctl"), "--socket", d.socket]
            out = subprocess.run(ctl + ["edid"], capture_output=True,
                                 text=True, timeout=20)
            self.assertEqual(out.returncode, 1)
            self.assertIn("test pattern", out.stderr)
            out = subprocess.run(ctl + ["set-edid", "4k"],
                                 capture_output=True, text=True, timeout=20)
            self.assertEqual(out.returncode, 1)
            self.assertIn("no EDID preset", out.stderr)
            out = subprocess.run(ctl + ["set-edid", "hex=00"],
                                 capture_output=True, text=True, timeout=20)
            self.assertEqual(out.returncode, 64)


if __name__ == "__main__":
    kvmtest.main()
