"""capd's snapshot, state, metrics and params, and capctl."""

import json
import os
import subprocess
import tempfile
import time
import unittest

import kvmtest
from kvmtest.capdtest import Stream, probe, sampling, wait_state

ARGS = ["--source", "pattern", "--resolution", "640x360", "--fps", "20"]


class ApiTest(unittest.TestCase):

    def test_snapshot(self):
        with kvmtest.Daemon("capd", ARGS) as d:
            status, hdrs, jpeg = d.request("GET", "/snapshot")
            self.assertEqual(status, 200)
            self.assertEqual(hdrs["content-type"], "image/jpeg")
            self.assertEqual(int(hdrs["content-length"]), len(jpeg))
            self.assertIn("x-timestamp", hdrs)
            p = probe(jpeg)
            self.assertEqual((p["width"], p["height"]), (640, 360))
            self.assertLessEqual(p["bar_error"], 12)
            time.sleep(0.3)
            _, _, jpeg2 = d.request("GET", "/snapshot")
            self.assertGreater(probe(jpeg2)["counter"], p["counter"],
                               "a second snapshot is a fresh frame")

    def test_nothing_encoded_while_nobody_watches(self):
        with kvmtest.Daemon("capd", ARGS) as d:
            d.request("GET", "/snapshot")
            time.sleep(0.5)
            before = d.ok("GET", "/state")
            time.sleep(1.5)
            after = d.ok("GET", "/state")
            self.assertEqual(before["encoder"]["submitted"],
                             after["encoder"]["submitted"])
            self.assertEqual(before["frames"]["captured"],
                             after["frames"]["captured"])
            s = Stream(d.socket)
            for _ in range(5):
                s.part()
            s.close()
            st = d.ok("GET", "/state")
            self.assertGreater(st["encoder"]["encoded"],
                               after["encoder"]["encoded"])

    def test_state_and_metrics(self):
        with kvmtest.Daemon("capd", ARGS + ["--quality", "70"]) as d:
            s = Stream(d.socket, "?fps=10")
            for _ in range(3):
                s.part()
            st = wait_state(d, lambda r: r["captured_fps"] > 0)
            for key in ("source", "online", "reason", "resolution", "format",
                        "captured_fps", "encoded_fps", "quality", "encoder",
                        "clients", "dropped_frames"):
                self.assertIn(key, st)
            self.assertEqual(st["source"], "pattern")
            self.assertIs(st["online"], True)
            self.assertIsNone(st["reason"])
            self.assertEqual(st["resolution"], "640x360")
            self.assertEqual(st["quality"], 70)
            self.assertEqual(st["encoder"]["library"], "libjpeg-turbo")
            self.assertEqual(len(st["clients"]), 1)
            self.assertEqual(st["clients"][0]["fps_cap"], 10)
            lat = st["send_latency"]
            self.assertGreaterEqual(lat["samples"], 3)
            self.assertGreater(lat["p50_ms"], 0)
            self.assertLess(lat["p50_ms"], 1000)
            status, hdrs, body = d.request("GET", "/metrics")
            self.assertEqual(status, 200)
            text = body.decode()
            self.assertIn("kaputtkvm_capd_clients 1", text)
            self.assertIn("kaputtkvm_capd_online 1", text)
            self.assertIn("kaputtkvm_capd_client_fps{client=", text)
            s.close()

    def test_params_validation(self):
        with kvmtest.Daemon("capd", ARGS) as d:
            before = d.ok("GET", "/state")
            bad = [{"quality": 0}, {"quality": 101}, {"quality": "high"},
                   {"fps": 0}, {"fps": 121}, {"resolution": "abc"},
                   {"resolution": "641x360"}, {"resolution": "100x100"},
                   {"colour": "red"}, {"quality": 50, "fps": 500},
                   {"quality": 50, "resolution": "1x1"}]
            for body in bad:
                kvmtest.assert_error(self, d.json("POST", "/params", body),
                                     400, "invalid")
            kvmtest.assert_error(self, d.json("POST", "/params", "nope"),
                                 400)
            after = d.ok("GET", "/state")
            for key in ("quality", "fps", "resolution"):
                self.assertEqual(before[key], after[key],
                                 "a refused request changed %s" % key)
            for q in ("?fps=abc", "?fps=0", "?fps=1000", "?fps="):
                s = Stream(d.socket, q)
                self.assertEqual(s.status, 400, q)
                self.assertIn(b'"ok":false', s.body().replace(b" ", b""))
                s.close()
            res = d.ok("POST", "/params", {"quality": 40, "fps": 10,
                                           "resolution": "320x240"})
            self.assertEqual((res["quality"], res["fps"], res["resolution"]),
                             (40, 10, "320x240"))
            _, _, jpeg = d.request("GET", "/snapshot")
            p = probe(jpeg)
            self.assertEqual((p["width"], p["height"]), (320, 240))
            self.assertLessEqual(p["bar_error"], 16)

    def refused_unchanged(self, d, field, bad_values):
        """Each bad value of field (with a good quality beside it) is a
        400 naming the field, and neither changes."""
        before = d.ok("GET", "/state")
        for bad in bad_values:
            reply = d.json("POST", "/params", {field: bad, "quality": 30})
            kvmtest.assert_error(self, reply, 400, "invalid")
            self.assertIn(field, reply[1]["error"]["message"])
        after = d.ok("GET", "/state")
        self.assertEqual((after[field], after["quality"]),
                         (before[field], before["quality"]),
                         "a refused request changed them")

    def test_subsampling(self):
        yuv422, yuv420 = [(2, 1), (1, 1), (1, 1)], [(2, 2), (1, 1), (1, 1)]
        with kvmtest.Daemon("capd", ARGS) as d:
            self.assertEqual(d.ok("GET", "/state")["subsampling"], 422)
            _, _, jpeg = d.request("GET", "/snapshot")
            self.assertEqual(sampling(jpeg), yuv422)
            self.refused_unchanged(d, "subsampling", (421, 444, "420", None))
            res = d.ok("POST", "/params", {"subsampling": 420})
            self.assertEqual(res["subsampling"], 420)
            for _ in range(50):
                _, _, jpeg = d.request("GET", "/snapshot")
                if sampling(jpeg) == yuv420:
                    break
                time.sleep(0.1)
            self.assertEqual(sampling(jpeg), yuv420)
            p = probe(jpeg)
            self.assertEqual((p["width"], p["height"]), (640, 360))
            self.assertLessEqual(p["bar_error"], 12)
        with kvmtest.Daemon("capd", ARGS + ["--subsampling", "420"]) as d:
            self.assertEqual(d.ok("GET", "/state")["subsampling"], 420)
            _, _, jpeg = d.request("GET", "/snapshot")
            self.assertEqual(sampling(jpeg), yuv420)
            s = Stream(d.socket)
            _, jpeg, _ = s.part()
            self.assertEqual(sampling(jpeg), yuv420)
            s.close()

    def test_pattern_mode(self):
        with kvmtest.Daemon("capd", ARGS) as d:
            self.assertEqual(d.ok("GET", "/state")["pattern"], "bars")
            self.refused_unchanged(d, "pattern", ("Console", "snow", "", 1))
            _, _, jpeg = d.request("GET", "/snapshot")
            self.assertLessEqual(probe(jpeg)["bar_error"], 12)
            res = d.ok("POST", "/params", {"pattern": "console"})
            self.assertEqual(res["pattern"], "console")
            for _ in range(50):
                _, _, jpeg = d.request("GET", "/snapshot")
                if probe(jpeg)["bar_error"] > 40:
                    break
                time.sleep(0.1)
            self.assertGreater(probe(jpeg)["bar_error"], 40,
                               "the console, not the bars")
            s = Stream(d.socket)
            parts = [s.part()[1] for _ in range(20)]
            s.close()
            self.assertGreater(len(set(parts)), 1,
                               "the console moves (20 frames all the same)")
        with kvmtest.Daemon("capd", ARGS + ["--pattern", "console"]) as d:
            self.assertEqual(d.ok("GET", "/state")["pattern"], "console")

    def test_resolution_change_reaches_open_stream(self):
        with kvmtest.Daemon("capd", ARGS) as d:
            s = Stream(d.socket)
            _, jpeg, _ = s.part()
            self.assertEqual(probe(jpeg)["width"], 640)
            d.ok("POST", "/params", {"resolution": "320x240"})
            for _ in range(10):
                _, jpeg, _ = s.part()
            self.assertEqual(probe(jpeg)["width"], 320)
            s.close()

    def test_capctl(self):
        with kvmtest.Daemon("capd", ARGS) as d:
            ctl = [kvmtest.binary("capctl"), "--socket", d.socket]
            out = subprocess.run(ctl + ["state"], capture_output=True,
                                 text=True, timeout=20)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertIn("640x360", out.stdout)
            self.assertIn("online", out.stdout)
            self.assertIn("chroma 422", out.stdout)
            out = subprocess.run(
                ctl + ["params", "--subsampling", "420", "pattern=console"],
                capture_output=True, text=True, timeout=20)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertIn("chroma 420", out.stdout)
            self.assertIn("pattern     console", out.stdout)
            d.ok("POST", "/params", {"subsampling": 422, "pattern": "bars"})
            path = os.path.join(d.tmp, "snap.jpg")
            out = subprocess.run(ctl + ["snapshot", path],
                                 capture_output=True, text=True, timeout=20)
            self.assertEqual(out.returncode, 0, out.stderr)
            with open(path, "rb") as f:
                self.assertEqual(probe(f.read())["width"], 640)
            out = subprocess.run(ctl + ["params", "--quality", "55"],
                                 capture_output=True, text=True, timeout=20)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertEqual(d.ok("GET", "/state")["quality"], 55)
            out = subprocess.run(ctl + ["params", "--resolution", "9x9"],
                                 capture_output=True, text=True, timeout=20)
            self.assertEqual(out.returncode, 1)
            self.assertIn("resolution", out.stderr)
            out = subprocess.run(ctl + ["--json", "state"],
                                 capture_output=True, text=True, timeout=20)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertEqual(json.loads(out.stdout)["quality"], 55)
            # fields by name, range-checked before the request
            out = subprocess.run(ctl + ["params", "quality=60", "--fps=7"],
                                 capture_output=True, text=True, timeout=20)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertEqual((d.ok("GET", "/state")["quality"],
                              d.ok("GET", "/state")["fps"]), (60, 7))
            out = subprocess.run(ctl + ["params", "--quality", "500"],
                                 capture_output=True, text=True, timeout=20)
            self.assertEqual(out.returncode, 64)
            self.assertIn("from 1 to 100", out.stderr)
            self.assertEqual(d.ok("GET", "/state")["quality"], 60)
            out = subprocess.run(ctl + ["snapshot", "-"],
                                 capture_output=True, timeout=20)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertEqual(probe(out.stdout)["width"], 640)
            out = subprocess.run([kvmtest.binary("capctl"), "--socket",
                                  os.path.join(d.tmp, "nobody.sock"),
                                  "state"], capture_output=True, text=True,
                                 timeout=20)
            self.assertEqual(out.returncode, 2)

    def test_config_file(self):
        conf = ("[capd]\nsource = pattern\nresolution = 320x240\n"
                "fps = 12\nquality = 61\ndrop-same-frames = yes\n")
        with kvmtest.Daemon("capd", [], config=conf) as d:
            st = d.ok("GET", "/state")
            self.assertEqual((st["source"], st["resolution"], st["fps"],
                              st["quality"], st["drop_same_frames"]),
                             ("pattern", "320x240", 12, 61, True))
        # the command line wins over the file
        with kvmtest.Daemon("capd", ["--quality", "33"], config=conf) as d:
            self.assertEqual(d.ok("GET", "/state")["quality"], 33)

    def test_check_config(self):
        out = subprocess.run([kvmtest.binary("capd"), "--config", "/dev/null",
                              "--source", "pattern", "--resolution", "10x",
                              "--check-config"], capture_output=True,
                             text=True, timeout=20)
        self.assertEqual(out.returncode, 1)
        self.assertIn("capd: resolution", out.stderr)
        out = subprocess.run([kvmtest.binary("capd"), "--config", "/dev/null",
                              "--source", "pattern", "--format", "h264",
                              "--check-config"], capture_output=True,
                             text=True, timeout=20)
        self.assertEqual(out.returncode, 1)
        self.assertIn("unknown format", out.stderr)
        out = subprocess.run([kvmtest.binary("capd"), "--config", "/dev/null",
                              "--source", "pattern", "--check-config"],
                             capture_output=True, text=True, timeout=20)
        self.assertEqual(out.returncode, 0, out.stderr)

    def test_gpiod_socket_option(self):
        """gpiod-ctl's socket is --gpiod-socket, as in the other daemons;
        the old --gpio-socket is refused, on the command line and in the
        file, so a config that still has it is noticed."""
        base = [kvmtest.binary("capd"), "--source", "pattern",
                "--check-config"]
        out = subprocess.run(base + ["--config", "/dev/null",
                                     "--gpiod-socket", "/run/x.sock"],
                             capture_output=True, text=True, timeout=20)
        self.assertEqual(out.returncode, 0, out.stderr)
        out = subprocess.run(base + ["--config", "/dev/null",
                                     "--gpio-socket", "/run/x.sock"],
                             capture_output=True, text=True, timeout=20)
        self.assertEqual(out.returncode, 1)
        self.assertIn("unknown option --gpio-socket", out.stderr)
        with tempfile.TemporaryDirectory() as tmp:
            conf = os.path.join(tmp, "kvm.conf")
            for key, rc in (("gpiod-socket", 0), ("gpio-socket", 1)):
                with open(conf, "w") as f:
                    f.write("[capd]\n%s = /run/x.sock\n" % key)
                out = subprocess.run(base + ["--config", conf],
                                     capture_output=True, text=True,
                                     timeout=20)
                self.assertEqual(out.returncode, rc, out.stderr)
            self.assertIn('unknown key "gpio-socket"', out.stderr)


if __name__ == "__main__":
    kvmtest.main()
