#!/bin/sh
# capd-h264-m2m -- capd's H.264 stage on its M2M backend (capd/h264-m2m.c)
# against vicodec (built out of tree), vivid as the source, 640x360 (vicodec
# takes no less).  vicodec codes FWHT, not H.264: --m2m-codec fwht is the
# test stand-in for a board's H.264 encoder, so the WebSocket carries FWHT
# frames (checked by their magic), the first a keyframe, and /state names
# the m2m encoder and its device, fed by DMABUF import of vivid's buffers.  Then vicodec is unbound (the stand-in
# for the encoder's loss, as in capd-m2m-loss) and capd falls back to
# openh264: messages go on, ffmpeg decodes them as H.264, /state says why.
# vm-timeout: 400
. "$VM_LIB"
. "$VM_SRC/tests/vm/capd/capd-lib.sh"

vm_need capture
vm_need m2m
v4l2-ctl -d "$VM_VIDEO" --set-input 0 >/dev/null 2>&1 ||
	vm_fail "cannot select vivid's webcam input"
unbind=/sys/bus/platform/drivers/vicodec/unbind
[ -w "$unbind" ] || vm_fail "no $unbind"

vm_daemon_start capd --source "$VM_VIDEO" --resolution 640x360 --fps 15 \
	--config /dev/null --h264-encoder m2m --m2m-codec fwht
capd_wait_state 20 online true

PYTHONPATH=$VM_SRC/tests/lib python3 - "$VM_RUN/capd.sock" "$VM_M2M_ENC" \
	"$unbind" <<'PY' || vm_fail "the H.264 stream on vicodec, then openh264"
import sys
import time

from kvmtest import http
from kvmtest.capdtest import H264Stream, h264_decode

sock, dev, unbind = sys.argv[1:4]
FWHT = b"\x4f\x4f\x4f\x4f\xff\xff\xff\xff"  # fwht_cframe_hdr magic1, 2


def h264_state():
    _, st = http.json_request(sock, "GET", "/state")
    return st["result"]["h264"]


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        sys.exit(1)


s = H264Stream(sock)
check(s.status == 101, "the WebSocket opens (%s)" % s.status)
msgs = [s.message() for _ in range(10)]
check(msgs[0][0]["keyframe"], "the first message is a keyframe")
check(all(m[1].startswith(FWHT) for m in msgs),
      "every payload is an FWHT frame from vicodec")
st = h264_state()
print("state: %s" % {k: st[k] for k in st if k.startswith("encode")})
check(st["encoder"] == "m2m" and st["encoder_device"] == dev,
      "/state: encoder m2m on %s" % dev)
check(not st["encoder_fallback"], "no fallback yet")
check(st["encoder_dmabuf"], "frames go in by DMABUF import of vivid's buffers")

with open(unbind, "w") as f:
    f.write("vicodec.0")
t0 = time.monotonic()
h264 = []
while len(h264) < 20 and time.monotonic() - t0 < 60:
    hd, au, _ = s.message()
    if not au.startswith(FWHT) and (h264 or hd["keyframe"]):
        h264.append(au)
check(len(h264) == 20, "20 messages after the loss, from a keyframe on")
frames = h264_decode(b"".join(h264), 640, 360)
check(len(frames) == 20, "ffmpeg decodes them as H.264 (%d)" % len(frames))
st = h264_state()
print("state: %s" % {k: st[k] for k in st if k.startswith("encode")})
check(st["encoder"] == "openh264" and st["encoder_fallback"] and
      "m2m encoder lost" in st["encoder_reason"],
      "/state: fell back to openh264, and why")
s.close()
PY
vm_pass "capd streams from vicodec (m2m), falls back to openh264 on its loss"
