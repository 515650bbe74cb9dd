#!/bin/sh
# capd-vivid-edid -- capd --edid loads an EDID into vivid's HDMI input (pad
# 3) before it looks for a signal: with the driver's EDID cleared (vivid
# then reports no link) capd comes online, and the EDID read back from the
# driver is the file given, byte for byte.  A malformed EDID file is
# refused at start with the check that failed, and the driver keeps its
# EDID.
# vm-timeout: 300
. "$VM_LIB"
. "$VM_SRC/tests/vm/capd/capd-lib.sh"

corpus=$VM_SRC/tests/fuzz/corpus/capd_edid
vm_need capture
v4l2-ctl -d "$VM_VIDEO" --set-input 3 >/dev/null ||
	vm_fail "cannot select vivid's HDMI input"
v4l2-ctl -d "$VM_VIDEO" --clear-edid 3 || vm_fail "cannot clear the EDID"
v4l2-ctl -d "$VM_VIDEO" --query-dv-timings >/dev/null 2>&1 &&
	vm_fail "vivid reports a link with no EDID"

capd=$VM_BUILD/capd/capd

# Is EDID file $1 the 1280x720 preset?  vivid's G_EDID writes its CEC
# physical address into bytes 143-144 (cmp counts from 1: block 1's HDMI
# vendor block) and fixes block 1's checksum (byte 256): those may differ.
same_edid() {
	[ "$(wc -c <"$1")" -eq 256 ] || return 1
	cmp -l "$1" "$corpus/preset-1280x720.bin" |
		awk '$1 != 143 && $1 != 144 && $1 != 256 { bad = 1 } END { exit bad }'
}
if "$capd" --edid "$corpus/extension-bad-checksum.bin" --check-config \
	--config /dev/null >"$VM_RUN/bad.txt" 2>&1; then
	vm_fail "a malformed EDID file was taken"
fi
grep -q "block 1: bad checksum" "$VM_RUN/bad.txt" ||
	vm_fail "refusal does not say which check failed: $(cat "$VM_RUN/bad.txt")"

vm_daemon_start capd --source "$VM_VIDEO" --input 3 --fps 10 \
	--edid "$corpus/preset-1280x720.bin" --config /dev/null
capd_wait_state 30 online true
v4l2-ctl -d "$VM_VIDEO" --get-edid pad=3,format=raw,file="$VM_RUN/got.bin" ||
	vm_fail "cannot read the EDID back"
same_edid "$VM_RUN/got.bin" ||
	vm_fail "the driver's EDID is not the one capd was given:" \
		"$(wc -c <"$VM_RUN/got.bin") bytes;" \
		"$(cmp -l "$VM_RUN/got.bin" "$corpus/preset-1280x720.bin" | head -5)"
vm_daemon_stop capd

"$capd" --source "$VM_VIDEO" --input 3 --socket "$VM_RUN/c2.sock" \
	--edid "$corpus/base-block-only-bad-count.bin" --config /dev/null \
	>"$VM_RUN/bad2.txt" 2>&1 && vm_fail "capd started with a malformed EDID"
grep -q "announces 2 blocks" "$VM_RUN/bad2.txt" ||
	vm_fail "refusal does not say which check failed: $(cat "$VM_RUN/bad2.txt")"
v4l2-ctl -d "$VM_VIDEO" --get-edid pad=3,format=raw,file="$VM_RUN/after.bin" ||
	vm_fail "cannot read the EDID back"
same_edid "$VM_RUN/after.bin" ||
	vm_fail "the refused EDID changed the driver's"
vm_pass "EDID loaded from a file and read back equal; malformed ones refused"
