"""capd's H.264 WebSocket (GET /h264): the stream decodes with ffmpeg and
shows the pattern, a new client starts on a keyframe at once, POST /params
changes the bitrate that is then measured, bad values change nothing, a
client that does not read skips frames without holding up the others."""

import subprocess
import time
import unittest

import kvmtest
from kvmtest.capdtest import H264Stream, h264_decode, wait_state

W, H, FPS = 640, 360, 20
ARGS = ["--source", "pattern", "--resolution", "%dx%d" % (W, H),
        "--fps", str(FPS)]
# pattern.h's bars, full-range RGB: white, yellow, cyan, green, magenta,
# red, blue, black
BARS = [(255, 255, 255), (255, 255, 0), (0, 255, 255), (0, 255, 0),
        (255, 0, 255), (255, 0, 0), (0, 0, 255), (0, 0, 0)]


def bar_error(rgb):
    """The largest channel error at the centre of the eight bars."""
    worst = 0
    y = H // 3
    for i, want in enumerate(BARS):
        x = (2 * i + 1) * W // 16
        px = rgb[(y * W + x) * 3:(y * W + x) * 3 + 3]
        worst = max(worst, max(abs(a - b) for a, b in zip(px, want)))
    return worst


def collect(s, n):
    return [s.message() for _ in range(n)]


def kbit_per_s(s, seconds):
    """Bits a second the stream carries over seconds."""
    t0 = time.monotonic()
    n = 0
    while time.monotonic() - t0 < seconds:
        n += len(s.message()[1])
    return n * 8 / 1000 / (time.monotonic() - t0)


class H264Test(unittest.TestCase):

    def test_decodes_to_the_pattern(self):
        with kvmtest.Daemon("capd", ARGS) as d:
            s = H264Stream(d.socket)
            self.assertEqual(s.status, 101)
            msgs = collect(s, 30)
            first = msgs[0][0]
            self.assertTrue(first["keyframe"], "the first message is a key")
            self.assertEqual((first["width"], first["height"]), (W, H))
            self.assertFalse(any(m[0]["keyframe"] for m in msgs[1:]))
            seqs = [m[0]["seq"] for m in msgs]
            self.assertEqual(seqs, sorted(seqs))
            now = time.time() * 1e6
            self.assertLess(abs(now - msgs[-1][0]["ts_us"]), 5e6)
            frames = h264_decode(b"".join(m[1] for m in msgs), W, H)
            self.assertEqual(len(frames), 30, "ffmpeg decodes every one")
            for f in (frames[0], frames[-1]):
                self.assertLessEqual(bar_error(f), 24)
            self.assertNotEqual(frames[0], frames[-1], "the picture moves")
            st = d.ok("GET", "/state")["h264"]
            self.assertEqual(st["encoder"], "openh264")
            self.assertIs(st["running"], True)
            self.assertEqual(len(st["clients"]), 1)
            self.assertGreater(st["encode_ms_max"], 0)
            _, _, body = d.request("GET", "/metrics")
            self.assertIn("kaputtkvm_capd_h264_clients 1", body.decode())
            s.close()
            wait_state(d, lambda r: r["h264"]["running"] is False)

    def test_new_client_starts_on_a_keyframe(self):
        with kvmtest.Daemon("capd", ARGS) as d:
            a = H264Stream(d.socket)
            collect(a, 10)
            worst = 0
            for _ in range(3):
                t0 = time.time()
                b = H264Stream(d.socket)
                hdr, _, t = b.message()
                self.assertTrue(hdr["keyframe"])
                worst = max(worst, t - t0)
                b.close()
            print("# first keyframe after %.0f ms at most (a frame: %d ms)"
                  % (worst * 1000, 1000 // FPS))
            # one frame interval, and the encode and a loaded machine
            self.assertLess(worst, 3.0 / FPS)
            a.close()

    def test_bitrate_change_is_measured(self):
        with kvmtest.Daemon("capd", ARGS) as d:
            s = H264Stream(d.socket)
            collect(s, 5)
            r = d.ok("POST", "/params", {"h264_bitrate": 100})
            self.assertEqual(r["h264"]["bitrate_kbps"], 100)
            kbit_per_s(s, 1.5)
            low = kbit_per_s(s, 3)
            # every frame a keyframe: more than the pattern's motion needs
            d.ok("POST", "/params", {"h264_bitrate": 3000, "h264_keyint": 1})
            kbit_per_s(s, 1.5)
            high = kbit_per_s(s, 3)
            print("# measured: %.0f kbit/s at 100, %.0f at 3000 with every "
                  "frame a key" % (low, high))
            self.assertGreater(low, 50)
            self.assertLess(low, 160)
            self.assertGreater(high, low * 3)
            s.close()

    def test_bad_values_change_nothing(self):
        with kvmtest.Daemon("capd", ARGS) as d:
            before = d.ok("GET", "/state")
            for body in ({"h264_bitrate": 50}, {"h264_bitrate": 50001},
                         {"h264_keyint": 0}, {"h264_fps": 61},
                         {"h264_bitrate": "fast"},
                         {"quality": 50, "h264_keyint": 601}):
                kvmtest.assert_error(
                    self, d.json("POST", "/params", body), 400)
            after = d.ok("GET", "/state")
            for k in ("bitrate_kbps", "keyint", "fps"):
                self.assertEqual(after["h264"][k], before["h264"][k])
            self.assertEqual(after["quality"], before["quality"])

    def test_slow_client_skips_alone(self):
        # 1080p keyframes only: the unread bytes pass the bound in seconds
        args = ["--source", "pattern", "--resolution", "1920x1080",
                "--fps", str(FPS)]
        with kvmtest.Daemon("capd", args) as d:
            d.ok("POST", "/params", {"h264_keyint": 1, "h264_bitrate": 8000})
            slow = H264Stream(d.socket, rcvbuf=4096)
            fast = H264Stream(d.socket)
            t0 = time.monotonic()
            got = len(collect(fast, 6 * FPS))
            rate = got / (time.monotonic() - t0)
            st = d.ok("GET", "/state")["h264"]
            peers = sorted(st["clients"], key=lambda c: c["sent"])
            print("# fast client %.1f fps; slow one: %s" % (rate, peers[0]))
            self.assertGreater(rate, FPS * 0.6)
            self.assertGreater(peers[0]["skipped"], 0)
            self.assertLess(peers[0]["pending_bytes"], 512 * 1024 + 200000)
            self.assertEqual(peers[1]["skipped"], 0)
            slow.close()
            fast.close()

    def test_encoder_choice(self):
        """--h264-encoder: openh264 asked for is used and /state says why;
        a name capd does not know stops it at start."""
        with kvmtest.Daemon("capd", ARGS + ["--h264-encoder",
                                            "openh264"]) as d:
            st = d.ok("GET", "/state")["h264"]
            self.assertEqual(st["encoder"], "openh264")
            self.assertIn("openh264 asked for", st["encoder_reason"])
            self.assertEqual(st["encoder_device"], "")
            self.assertIs(st["encoder_fallback"], False)
        out = subprocess.run([kvmtest.binary("capd"), "--config", "/dev/null",
                              "--source", "pattern", "--h264-encoder",
                              "x264", "--check-config"], capture_output=True,
                             text=True, timeout=20)
        self.assertEqual(out.returncode, 1)
        self.assertIn("auto, openh264 or m2m", out.stderr)


if __name__ == "__main__":
    kvmtest.main()
