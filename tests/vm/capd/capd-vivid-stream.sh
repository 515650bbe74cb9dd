#!/bin/sh
# capd-vivid-stream -- capd streams real V4L2 frames from vivid at two
# resolutions, and the decoded snapshot shows vivid's 100% colour bars in
# the right colours at the right places.
# vm-timeout: 240
. "$VM_LIB"
. "$VM_SRC/tests/vm/capd/capd-lib.sh"

vm_need capture
# vivid's webcam input; 100% bars (the same order as capd's pattern), no
# text overlay over the bars
v4l2-ctl -d "$VM_VIDEO" --set-input 0 >/dev/null ||
	vm_fail "cannot select vivid's webcam input"
v4l2-ctl -d "$VM_VIDEO" --set-ctrl test_pattern=1 ||
	vm_fail "cannot select vivid's 100% colour bars"
v4l2-ctl -d "$VM_VIDEO" --set-ctrl osd_text_mode=2 ||
	vm_fail "cannot turn vivid's text overlay off"

vm_daemon_start capd --source "$VM_VIDEO" --resolution 320x180 --fps 15 \
	--config /dev/null
capd_wait_state 20 online true
[ "$(capd_state format)" = YUYV ] ||
	vm_fail "capd picked $(capd_state format), want vivid's YUYV"

# Is the snapshot WxH? (the first frames after a change may still be old)
snapshot_is() {
	p=$(capd_probe)
	[ "$(json_num "$p" width)x$(json_num "$p" height)" = "$1x$2" ]
}

check_bars() {
	vm_wait 30 "a $1x$2 snapshot" snapshot_is "$1" "$2"
	p=$(capd_probe)
	vm_log "probe: $p"
	err=$(json_num "$p" bar_error)
	[ "$err" -le 24 ] ||
		vm_fail "bars off by $err/255 at $1x$2: $p"
}
check_bars 320 180

# a stream, parsed by curl: several parts within 3 s
curl -sS --max-time 3 --unix-socket "$VM_RUN/capd.sock" \
	-o "$VM_RUN/stream.bin" http://kvm/stream 2>/dev/null || :
parts=$(grep -c -a 'Content-Type: image/jpeg' "$VM_RUN/stream.bin")
[ "$parts" -ge 3 ] || vm_fail "only $parts stream parts in 3 s"
# the raw frames went to the encoder lent from vivid's buffers, not copied
lent=$(capd_state raw_lent)
[ "${lent:-0}" -gt 0 ] ||
	vm_fail "no raw frame lent (lent ${lent:-none}, copied $(capd_state raw_copied))"

# the second resolution, changed at run time
vm_http capd POST /params '{"resolution": "640x360"}' >/dev/null
capd_wait_state 20 resolution 640x360
check_bars 640 360

# a size vivid does not offer is refused and nothing changes
code=$(curl -sS --max-time 10 --unix-socket "$VM_RUN/capd.sock" \
	-o /dev/null -w '%{http_code}' -X POST -d '{"resolution": "12x12"}' \
	http://kvm/params)
[ "$code" = 400 ] || vm_fail "an impossible resolution gave HTTP $code"
[ "$(capd_state resolution)" = 640x360 ] || vm_fail "resolution changed"
vm_pass "vivid at 320x180 and 640x360, bars right, $parts parts in 3 s, $lent frames lent, $(capd_state raw_copied) copied"
