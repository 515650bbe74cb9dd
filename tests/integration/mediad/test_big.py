"""A 1 GiB upload: the SHA-256 is right and mediad's memory stays flat.

The data comes from a seeded generator as it is sent (never on disk
twice); the test hashes it on the way.  mediad's RSS is sampled while the
upload runs, and its peak (VmHWM) read at the end.
"""

import hashlib
import os
import threading
import time
import unittest

import kvmtest
from kvmtest.mediadtest import Mediad, data_chunks

GiB = 1 << 30
MiB = 1 << 20


def vm_kib(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError(key)


def asan_in(pid):
    """gcc links libasan.so; clang links ASan into the binary itself."""
    with open("/proc/%d/maps" % pid) as f:
        if "libasan" in f.read():
            return True
    with open("/proc/%d/exe" % pid, "rb") as f:
        return b"__asan_init" in f.read()


class Big(unittest.TestCase):

    def test_1gib_upload_flat_rss(self):
        # Under AddressSanitizer freed memory sits in quarantine (256 MiB
        # by default) instead of being reused: turn that off here.
        asan = os.environ.get("ASAN_OPTIONS", "")
        env = {"ASAN_OPTIONS": (asan + ":" if asan else "") +
               "quarantine_size_mb=0"}
        with Mediad(["--reserve-mb", "64"], env=env) as d:
            sanitized = asan_in(d.pid)
            st = os.statvfs(d.images)
            if st.f_bavail * st.f_frsize < GiB + 512 * MiB:
                self.skipTest("less than 1.5 GiB free in %s" % d.images)
            d.ok("GET", "/state")
            before = vm_kib(d.pid, "VmRSS")
            samples = []
            stop = threading.Event()

            def sample():
                while not stop.is_set():
                    samples.append(vm_kib(d.pid, "VmRSS"))
                    time.sleep(0.05)

            h = hashlib.sha256()

            def chunks():
                for c in data_chunks(GiB, 42):
                    h.update(c)
                    yield c

            t = threading.Thread(target=sample)
            t.start()
            t0 = time.monotonic()
            try:
                status, reply = d.upload("big.img", chunks(), GiB)
            finally:
                stop.set()
                t.join()
            secs = time.monotonic() - t0
            self.assertEqual(status, 200, reply)
            self.assertEqual(reply["result"]["sha256"], h.hexdigest())
            self.assertEqual(os.path.getsize(
                os.path.join(d.images, "big.img")), GiB)
            peak = vm_kib(d.pid, "VmHWM")
            grow = max(samples) - before
            print("\n1 GiB in %.1f s (%.0f MiB/s incl. generating and "
                  "hashing here); mediad RSS before %d KiB, max sampled "
                  "%d KiB (%d samples), peak VmHWM %d KiB"
                  % (secs, 1024 / secs, before, max(samples), len(samples),
                     peak))
            self.assertGreater(len(samples), 3)
            self.assertLess(grow, 8 * 1024, "RSS grew by %d KiB" % grow)
            if not sanitized:   # ASan's shadow memory adds its own
                self.assertLess(peak, 16 * 1024, "peak RSS %d KiB" % peak)
            os.unlink(os.path.join(d.images, "big.img"))


if __name__ == "__main__":
    kvmtest.main()
