#!/bin/sh
# capd-vivid-source-change -- on vivid's HDMI input, new DV timings at the
# source (V4L2_EVENT_SOURCE_CHANGE) are followed: capd renegotiates and
# streams at the new resolution.
# vm-timeout: 300
. "$VM_LIB"
. "$VM_SRC/tests/vm/capd/capd-lib.sh"

vm_need capture
v4l2-ctl -d "$VM_VIDEO" --set-input 3 >/dev/null ||
	vm_fail "cannot select vivid's HDMI input"
small=$(vivid_menu dv_timings 640x480p59)
other=$(vivid_menu dv_timings 800x600p60)
[ -n "$small" ] && [ -n "$other" ] ||
	vm_skip "vivid offers no 640x480p59/800x600p60 DV timings"
v4l2-ctl -d "$VM_VIDEO" --set-ctrl dv_timings_signal_mode=4 \
	--set-ctrl dv_timings="$small" || vm_fail "cannot select 640x480"

vm_daemon_start capd --source "$VM_VIDEO" --input 3 --fps 10 \
	--config /dev/null
capd_wait_state 30 online true
[ "$(capd_state resolution)" = 640x480 ] ||
	vm_fail "started at $(capd_state resolution), want 640x480"

v4l2-ctl -d "$VM_VIDEO" --set-ctrl dv_timings="$other" ||
	vm_fail "cannot select 800x600 at the source"
capd_wait_state 30 resolution 800x600
capd_wait_state 30 online true
p=$(capd_probe)
[ "$(json_num "$p" width)" = 800 ] || vm_fail "snapshot after the change: $p"
vm_pass "640x480 -> 800x600 at the source, followed"
