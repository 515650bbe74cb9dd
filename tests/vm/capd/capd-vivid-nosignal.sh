#!/bin/sh
# capd-vivid-nosignal -- vivid's "no signal" on an S-Video input gives the
# no-signal frame with its reason, then the picture comes back; vivid's
# simulated disconnect gives "no device", and capd reopens the device by
# itself once it is back.
# vm-timeout: 300
. "$VM_LIB"
. "$VM_SRC/tests/vm/capd/capd-lib.sh"

vm_need capture
vm_daemon_start capd --source "$VM_VIDEO" --input 2 --standard pal \
	--fps 10 --config /dev/null
capd_wait_state 30 online true
p=$(capd_probe)
vm_log "picture: $p"

v4l2-ctl -d "$VM_VIDEO" --set-ctrl standard_signal_mode=1 ||
	vm_fail "cannot switch vivid's S-Video input to no signal"
capd_wait_state 20 online false
reason=$(capd_state reason)
[ "$reason" = "no signal" ] || vm_fail "reason is '$reason'"
p=$(capd_probe)
mean=$(json_num "$p" mean)
vm_log "no-signal frame: $p"
[ "${mean%.*}" -lt 80 ] || vm_fail "no dark no-signal frame: $p"

v4l2-ctl -d "$VM_VIDEO" --set-ctrl standard_signal_mode=0 ||
	vm_fail "cannot give vivid its signal back"
capd_wait_state 30 online true

# a simulated USB disconnect: capd sees the device go and, once it is back
# (at once, or after vivid is loaded again), reopens it by itself
v4l2-ctl -d "$VM_VIDEO" --set-ctrl disconnect=1 2>/dev/null || :
vm_wait 20 "capd to log that the device is gone" \
	grep -q "no device" "$VM_OUT/capd.log"
sleep 3
if ! capd_state_is online true; then
	reason=$(capd_state reason)
	case $reason in
	"no device"*) ;;
	*) vm_fail "after disconnect the reason is '$reason'" ;;
	esac
	vm_wait 30 "vivid unloaded" rmmod vivid
	vm_modprobe vivid n_devs=1 node_types=0x1
	vm_wait 30 "/dev/video0 again" test -c "$VM_VIDEO"
fi
capd_wait_state 60 online true
vm_pass "no signal -> no-signal frame -> picture; disconnect -> reopened"
