#!/bin/sh
# capd-m2m-vicodec -- capd's V4L2 memory-to-memory encoder (capd/m2m.c)
# against vicodec, the kernel's virtual stateful FWHT codec, built out of
# tree (vicodec stands in for a board's H.264 encoder): the probe finds the
# encoder node by its capabilities and not the decoders; 640x360 YUYV frames
# from vivid go in by DMABUF import of vivid's buffers, then by copy; every
# coded buffer carries a valid FWHT header of the right size, the stream
# varies, a forced keyframe comes at once; a resize to 1280x720 drains and
# restarts; the handle drains and stops.
# vm-timeout: 300
. "$VM_LIB"

enc=$(vm_bin capd m2m-encode)
vm_need capture
vm_need m2m
v4l2-ctl -d "$VM_VIDEO" --set-input 0 >/dev/null 2>&1 ||
	vm_fail "cannot select vivid's webcam input"

found=$("$enc" --probe) || vm_fail "m2m_probe found no FWHT encoder"
vm_log "probe: $found"
[ "$(echo "$found" | wc -l)" -eq 1 ] ||
	vm_fail "the probe found more than vicodec's encoder: $found"
[ "${found%% *}" = "$VM_M2M_ENC" ] ||
	vm_fail "the probe found ${found%% *}, vicodec's encoder is $VM_M2M_ENC"

for feed in dmabuf copy; do
	out=$("$enc" "$VM_VIDEO" 640 360 1280 720 8 "$feed" decode 2>&1) || {
		echo "$out"
		vm_fail "m2m-encode with $feed feed failed"
	}
	echo "$out"
	last=$(echo "$out" | tail -n 1)
	case $last in
	"ok frames 16 "*) ;;
	*) vm_fail "m2m-encode ($feed) ended with: $last" ;;
	esac
	want=1
	[ "$feed" = dmabuf ] || want=0
	[ "${last##*dmabuf }" = "$want" ] ||
		vm_fail "$feed feed: dmabuf is ${last##*dmabuf }, want $want"
	echo "$out" | grep -q "^frame 7 1280x720 " ||
		vm_fail "no 1280x720 frames after the resize ($feed)"
done
vm_pass "vicodec encodes vivid's frames by DMABUF and by copy, resizes"
