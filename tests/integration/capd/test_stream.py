"""capd's MJPEG stream with the test pattern: framing, colours, the frame
counter, ?fps=, slow clients, many clients."""

import os
import selectors
import sys
import time
import unittest

import kvmtest
from kvmtest.capdtest import Stream, probe


class StreamTest(unittest.TestCase):

    def test_frames_colours_counter(self):
        with kvmtest.Daemon("capd", ["--source", "pattern", "--resolution",
                                     "640x360", "--fps", "30"]) as d:
            s = Stream(d.socket)
            self.assertEqual(s.status, 200)
            self.assertIn("no-store", s.headers.get("cache-control", ""))
            counters, stamps = [], []
            for i in range(15):
                hdrs, jpeg, _ = s.part()
                self.assertEqual(hdrs["content-type"], "image/jpeg")
                self.assertEqual(int(hdrs["content-length"]), len(jpeg))
                self.assertTrue(jpeg.startswith(b"\xff\xd8"))
                self.assertTrue(jpeg.endswith(b"\xff\xd9"))
                ts = float(hdrs["x-timestamp"])
                self.assertLess(abs(ts - time.time()), 5)
                stamps.append(ts)
                if i in (0, 7, 14):
                    p = probe(jpeg)
                    self.assertEqual((p["width"], p["height"]), (640, 360))
                    self.assertLessEqual(p["bar_error"], 12, p["bars"])
                    counters.append(p["counter"])
            s.close()
            self.assertEqual(sorted(counters), counters)
            self.assertEqual(len(set(counters)), 3, counters)
            self.assertEqual(sorted(stamps), stamps)

    def test_fps_cap(self):
        with kvmtest.Daemon("capd", ["--source", "pattern", "--resolution",
                                     "320x240", "--fps", "30"]) as d:
            fast = Stream(d.socket)
            slow = Stream(d.socket, "?fps=5")
            sel = selectors.DefaultSelector()
            sel.register(fast.sock, selectors.EVENT_READ, fast)
            sel.register(slow.sock, selectors.EVENT_READ, slow)
            counts = {fast: 0, slow: 0}
            for st in counts:
                st.part()  # the first one comes at once
            start = time.monotonic()
            while time.monotonic() - start < 3.0:
                for key, _ in sel.select(0.2):
                    st = key.data
                    st._fill()
                    while True:
                        try:
                            i = st.buf.index(b"\r\n\r\n")
                        except ValueError:
                            break
                        n = int(st.buf[:i].split(b"Content-Length: ")[1]
                                .split(b"\r\n")[0])
                        end = i + 4 + n + len(st.boundary) + 6
                        if len(st.buf) < end:
                            break
                        st.buf = st.buf[end:]
                        counts[st] += 1
            fast.close()
            slow.close()
            self.assertGreaterEqual(counts[fast], 70, counts[fast])
            self.assertGreaterEqual(counts[slow], 12, counts[slow])
            self.assertLessEqual(counts[slow], 17, counts[slow])
            st = d.ok("GET", "/state")
            self.assertGreaterEqual(st["captured_fps"], 0)

    def test_slow_client_bounded(self):
        """A client that stops reading for 10 s neither grows capd's memory
        by more than a few frames nor slows another client."""
        # under AddressSanitizer freed memory sits in a quarantine and
        # would count as growth: no quarantine for this measurement
        env = {"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") +
               ":quarantine_size_mb=0"}
        with kvmtest.Daemon("capd", ["--source", "pattern", "--resolution",
                                     "1280x720", "--fps", "30"],
                            env=env) as d:
            reader = Stream(d.socket)
            for _ in range(30):          # warm up: pools filled
                reader.part()
            start = time.monotonic()     # the reader alone, as a baseline
            n = 0
            while time.monotonic() - start < 3.0:
                reader.part()
                n += 1
            fps0 = n / (time.monotonic() - start)
            stalled = Stream(d.socket, rcvbuf=4096)
            stalled.part()
            for _ in range(10):
                reader.part()
            rss0 = kvmtest.rss_kib(d.pid)
            pub0 = d.ok("GET", "/state")["frames"]["published"]
            start = time.monotonic()
            n = 0
            while time.monotonic() - start < 10.0:
                _, jpeg, _ = reader.part()
                n += 1
            fps = n / (time.monotonic() - start)
            rss1 = kvmtest.rss_kib(d.pid)
            st = d.ok("GET", "/state")
            published = st["frames"]["published"] - pub0
            stalled_state = [c for c in st["clients"]
                             if c["sent"] < 10]
            reader.close()
            stalled.close()
            frame_kib = len(jpeg) / 1024
            raw_kib = 1280 * 720 * 2 / 1024
            sys.stderr.write("reader %.1f fps alone, %.1f fps beside a "
                             "stalled client; RSS %d -> %d KiB; "
                             "JPEG %.0f KiB\n"
                             % (fps0, fps, rss0, rss1, frame_kib))
            # the reader gets (nearly) every frame capd makes, however fast
            # this machine is today
            self.assertGreaterEqual(n, 0.9 * published - 3,
                                    "the reader got %d of %d frames: slowed "
                                    "down" % (n, published))
            # a few frames: raw and encoded buffers of the pools
            self.assertLess(rss1 - rss0, 4 * raw_kib + 4 * frame_kib + 2048)
            self.assertEqual(len(stalled_state), 1, st["clients"])
            self.assertGreater(stalled_state[0]["skipped"], 100)

    def test_drop_same_frames_and_resend(self):
        """A still picture with --drop-same-frames is encoded once and sent
        again about once a second; without the option every frame goes."""
        args = ["--source", "pattern:static", "--resolution", "320x240",
                "--fps", "20"]
        with kvmtest.Daemon("capd", args + ["--drop-same-frames"]) as d:
            s = Stream(d.socket)
            start = time.monotonic()
            stamps = []
            while time.monotonic() - start < 3.6:
                _, jpeg, t = s.part()
                stamps.append(t)
            s.close()
            self.assertGreaterEqual(len(stamps), 3, stamps)
            self.assertLessEqual(len(stamps), 6, "identical frames were "
                                 "sent %d times in 3.6 s" % len(stamps))
            gaps = [b - a for a, b in zip(stamps, stamps[1:])]
            self.assertTrue(all(0.7 < g < 1.5 for g in gaps[1:]), gaps)
            st = d.ok("GET", "/state")
            self.assertGreater(st["frames"]["dropped_same"], 40)
            self.assertLessEqual(st["encoder"]["submitted"], 2)
            self.assertLessEqual(probe(jpeg)["bar_error"], 12)
        with kvmtest.Daemon("capd", args) as d:
            s = Stream(d.socket)
            start = time.monotonic()
            n = 0
            while time.monotonic() - start < 2.0:
                s.part()
                n += 1
            s.close()
            self.assertGreaterEqual(n, 30, "without the option frames flow")

    def test_50_clients(self):
        with kvmtest.Daemon("capd", ["--source", "pattern", "--resolution",
                                     "320x240", "--fps", "15"]) as d:
            streams = [Stream(d.socket, timeout=20) for _ in range(50)]
            st = d.ok("GET", "/state")
            self.assertEqual(len(st["clients"]), 50)
            sel = selectors.DefaultSelector()
            for s in streams:
                sel.register(s.sock, selectors.EVENT_READ, s)
            got = {s: 0 for s in streams}
            start = time.monotonic()
            while time.monotonic() - start < 3.0:
                for key, _ in sel.select(0.2):
                    s = key.data
                    s._fill()
                    got[s] = s.buf.count(b"\r\n--" + s.boundary.encode())
            for s in streams:
                self.assertGreaterEqual(got[s], 20, "a client got %d "
                                        "frames in 3 s" % got[s])
                s.close()
            st = d.ok("GET", "/state")
            # every frame was encoded once, whatever the number of clients
            enc = st["encoder"]["encoded"]
            self.assertLess(enc, 15 * 6, enc)


if __name__ == "__main__":
    kvmtest.main()
