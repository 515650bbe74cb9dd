#!/bin/sh
# capd-m2m-vicodec -- capd's V4L2 memory-to-memory encoder (capd/m2m.c)
# against vicodec, the kernel's virtual stateful FWHT codec, built out of
# tree (vicodec stands in for a board's H.264 encoder): the probe finds the
# encoder node by its capabilities and not the decoders; 640x360 YUYV frames
# from vivid go in by DMABUF import of vivid's buffers, then by copy; every
# coded buffer carries a valid FWHT header of the right size, the stream
# varies, a forced keyframe comes at once; a resize to 1280x720 drains and
# restarts; the handle drains and stops; frames lent by capd's capture.c
# go in by DMABUF import of the buffers it exports.
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

# auto: DMABUF until a frame comes without its dmabuf, then copies (one
# restart more)
for feed in dmabuf copy auto; do
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
	want="restarts 2 distinct 8 8 dmabuf 1"
	[ "$feed" = copy ] && want="restarts 2 distinct 8 8 dmabuf 0"
	[ "$feed" = auto ] && want="restarts 3 distinct 8 8 dmabuf 0"
	[ "${last#ok frames 16 }" = "$want" ] ||
		vm_fail "$feed feed: '$last', want '$want'"
	echo "$out" | grep -q "^frame 7 1280x720 " ||
		vm_fail "no 1280x720 frames after the resize ($feed)"
done
# capd's own capture.c exports its buffers (VIDIOC_EXPBUF): its lent frames
# go in by DMABUF import, and decode back to what it captured
out=$("$enc" --capd "$VM_VIDEO" 640 360 6 2>&1) || {
	echo "$out"
	vm_fail "m2m-encode from capture.c's exported buffers failed"
}
echo "$out"
[ "$(echo "$out" | tail -n 1)" = "ok capd 6" ] ||
	vm_fail "capture.c run ended with: $(echo "$out" | tail -n 1)"
vm_pass "vicodec encodes vivid's frames by DMABUF (capture.c's too) and" \
	"by copy, resizes"
