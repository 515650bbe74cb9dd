"""mediad's requests against its API description (mediad/spec.c): the
server refuses what does not match a route's fields before the handler
runs, with a message naming the field, and nothing changes; what no single
field says (the name's rules, CD mode is read-only) is refused by mediad
itself.  The image routes share /images/ and are told apart by method."""

import unittest

import kvmtest
from kvmtest.mediadtest import Mediad


class Api(unittest.TestCase):

    def setUp(self):
        self.d = Mediad().start()
        self.assertEqual(self.d.put("a.img", b"x" * 4096)[0], 200)

    def tearDown(self):
        self.d.__exit__(None, None, None)

    def refused(self, method, target, body, words):
        """A 400 whose message has words, the LUN left empty."""
        status, reply = self.d.json(method, target, body)
        kvmtest.assert_error(self, (status, reply), 400, "invalid")
        self.assertIn(words, reply["error"]["message"])
        self.assertEqual(self.d.lun_attr("file"), "\n")
        return reply["error"]["message"]

    def test_mount_fields(self):
        self.refused("POST", "/mount", {"image": "a.img", "imag": "b"},
                     'unknown field "imag"')
        self.refused("POST", "/mount", {"image": "a.img", "lun": 64},
                     'the field "lun" is 64; it must be from 0 to 63')
        self.refused("POST", "/mount", {"image": "a.img", "lun": "0"},
                     '"lun" must be a whole number from 0 to 63')
        self.refused("POST", "/mount", {"image": "a.img", "cdrom": 0},
                     'the field "cdrom" must be true or false')
        self.refused("POST", "/mount", {"image": 5},
                     'the field "image" must be a string')
        self.refused("POST", "/mount", {"cdrom": False},
                     'the field "image" is missing')
        self.refused("POST", "/mount", None, "JSON object")
        self.refused("POST", "/mount", [1], "JSON object")

    def test_mount_rules_beyond_fields(self):
        self.refused("POST", "/mount", {"image": "a.img", "readonly": False},
                     "CD mode is read-only")
        self.refused("POST", "/mount", {"image": ".hidden"},
                     "must not start with '.'")
        self.refused("POST", "/mount", {"image": "a/b"},
                     "must not contain '/'")
        lun = self.d.ok("POST", "/mount", {"image": "a.img", "cdrom": False})
        self.assertTrue(lun["mounted"])
        self.assertTrue(self.d.lun_attr("file").endswith("/a.img\n"))
        self.assertEqual(self.d.lun_attr("ro"), "1\n")

    def test_eject_fields(self):
        self.d.ok("POST", "/mount", {"image": "a.img", "cdrom": False})
        for body, words in (({"lun": -1}, '"lun" is -1'),
                            ({"force": "yes"}, '"force" must be true or'),
                            ({"lunn": 0}, 'unknown field "lunn"')):
            status, reply = self.d.json("POST", "/eject", body)
            kvmtest.assert_error(self, (status, reply), 400, "invalid")
            self.assertIn(words, reply["error"]["message"])
            self.assertTrue(self.d.lun_attr("file").endswith("/a.img\n"))
        # every field is optional: an empty body is {}
        self.assertFalse(self.d.ok("POST", "/eject")["mounted"])
        self.assertEqual(self.d.lun_attr("file"), "\n")

    def test_upload_overwrite_parameter(self):
        status, reply = self.d.put("a.img", b"two", "?overwrite=maybe")
        kvmtest.assert_error(self, (status, reply), 400, "invalid")
        self.assertIn('"overwrite" is "maybe"', reply["error"]["message"])
        self.assertIn("true or false", reply["error"]["message"])
        for words in ("true", "1"):
            status, reply = self.d.put("a.img", words.encode(),
                                       "?overwrite=" + words)
            self.assertEqual(status, 200, reply)
        for words in ("false", "0"):
            kvmtest.assert_error(self, self.d.put("a.img", b"no",
                                                  "?overwrite=" + words),
                                 409, "exists")
        status, _, body = self.d.request("GET", "/images/a.img")
        self.assertEqual((status, body), (200, b"1"))

    def test_image_routes_by_method(self):
        status, hdrs, body = self.d.request("HEAD", "/images/a.img")
        self.assertEqual((status, hdrs["content-length"]), (200, "4096"))
        status, hdrs, _ = self.d.request("POST", "/images/a.img", b"{}")
        self.assertEqual(status, 405)
        self.assertEqual(hdrs["allow"], "GET, HEAD, PUT, DELETE")
        self.assertEqual(self.d.ok("DELETE", "/images/a.img"),
                         {"deleted": "a.img"})
        kvmtest.assert_error(self, self.d.json("GET", "/images/a.img"),
                             404, "not_found")

    def test_no_field_routes(self):
        self.d.ok("GET", "/state")
        kvmtest.assert_error(self, self.d.json("GET", "/images", {"x": 1}),
                             400, "invalid")


if __name__ == "__main__":
    kvmtest.main()
