#!/bin/sh
# vivid-frames -- the V4L2 capture driver gives frames of the asked size.
# Until capd has its own VM scenarios this uses v4l2-ctl, the same ioctls
# (S_FMT, REQBUFS, mmap, QBUF/DQBUF, STREAMON).
# vm-timeout: 240
. "$VM_LIB"

vm_need capture
command -v v4l2-ctl >/dev/null || vm_skip "v4l2-ctl not installed (v4l-utils)"
v4l2-ctl -d "$VM_VIDEO" --set-fmt-video=width=320,height=180,pixelformat=YUYV ||
	vm_fail "cannot set 320x180 YUYV on $VM_VIDEO"
fmt=$(v4l2-ctl -d "$VM_VIDEO" --get-fmt-video)
echo "$fmt" | grep -q 'Width/Height *: *320/180' ||
	vm_fail "format not applied: $fmt"
v4l2-ctl -d "$VM_VIDEO" --stream-mmap=3 --stream-count=10 \
	--stream-to="$VM_RUN/frames.yuyv" ||
	vm_fail "streaming 10 frames from $VM_VIDEO failed"
size=$(stat -c %s "$VM_RUN/frames.yuyv")
[ "$size" = $((10 * 320 * 180 * 2)) ] ||
	vm_fail "captured $size bytes, want 10 frames of 320x180x2"
# The test pattern is not a constant: frames are real pictures.
distinct=$(head -c 115200 "$VM_RUN/frames.yuyv" | od -An -tx1 -v |
	tr ' ' '\n' | sort -u | wc -l)
[ "$distinct" -gt 8 ] || vm_fail "frame 1 has only $distinct byte values"
vm_pass "10 frames of 320x180 YUYV from vivid"
