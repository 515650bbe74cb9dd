#!/bin/sh
# capd-vivid-edid -- capd --edid loads an EDID into vivid's HDMI input (pad
# 3) before it looks for a signal: with the driver's EDID cleared (vivid
# then reports no link) capd comes online, and the EDID read back from the
# driver is the file given, byte for byte.  A malformed EDID file is
# refused at start with the check that failed, and the driver keeps its
# EDID.  POST /edid loads a preset (read back equal, capd online again at
# the source's timings) and refuses a malformed one, naming the check, with
# the driver's EDID unchanged.  Without --edid capd loads its built-in
# default into the empty pad; with --edid none the pad stays empty and the
# reason (and the no-signal frame) says "no EDID" until POST /edid.
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

# Is EDID file $1 the preset $2 (default 1280x720)?  vivid's G_EDID writes
# its CEC physical address into bytes 143-144 (cmp counts from 1: block 1's
# HDMI vendor block) and fixes block 1's checksum (byte 256): those may
# differ.
same_edid() {
	[ "$(wc -c <"$1")" -eq 256 ] || return 1
	cmp -l "$1" "$corpus/preset-${2:-1280x720}.bin" |
		awk '$1 != 143 && $1 != 144 && $1 != 256 { bad = 1 } END { exit bad }'
}

# Is the driver's EDID the preset $1?  Else fail, saying $2.
driver_edid_is() {
	v4l2-ctl -d "$VM_VIDEO" --get-edid pad=3,format=raw,file="$VM_RUN/d.bin" ||
		vm_fail "cannot read the EDID back"
	same_edid "$VM_RUN/d.bin" "$1" || vm_fail "$2"
}

# capd on vivid's HDMI input, with more options $@.
start_capd() {
	vm_daemon_start capd --source "$VM_VIDEO" --input 3 --fps 10 "$@" \
		--config /dev/null
}

# Does capd say the pad holds no EDID?
reason_no_edid() {
	capd_state reason | grep -q '^no EDID'
}

# POST /edid with body $1: prints the status, the reply in $VM_RUN/post.json.
post_edid() {
	curl -sS --max-time 30 --unix-socket "$VM_RUN/capd.sock" \
		-o "$VM_RUN/post.json" -w '%{http_code}' \
		-H 'Content-Type: application/json' -d "$1" http://kvm/edid
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

# POST /edid: a preset, then a malformed EDID refused
start_capd
capd_wait_state 30 online true
code=$(post_edid '{"preset": "default"}')
[ "$code" = 200 ] || vm_fail "POST /edid preset: $code $(cat "$VM_RUN/post.json")"
grep -q '"width": *1920, *"height": *1080, *"hz": *60' "$VM_RUN/post.json" ||
	vm_fail "the answer does not list 1920x1080@60: $(cat "$VM_RUN/post.json")"
driver_edid_is default \
	"the driver's EDID is not the default preset after POST /edid"
capd_wait_state 30 online true
bad=$(od -An -v -tx1 "$corpus/extension-bad-checksum.bin" | tr -d ' \n')
code=$(post_edid "{\"hex\": \"$bad\"}")
[ "$code" = 400 ] || vm_fail "a malformed EDID got $code"
grep -q "block 1: bad checksum" "$VM_RUN/post.json" ||
	vm_fail "refusal does not name the check: $(cat "$VM_RUN/post.json")"
driver_edid_is default "the refused EDID changed the driver's"
vm_daemon_stop capd

# an empty pad: the built-in default, or with --edid none "no EDID"
for opt in "" none; do
	v4l2-ctl -d "$VM_VIDEO" --clear-edid 3 || vm_fail "cannot clear the EDID"
	start_capd ${opt:+--edid "$opt"}
	[ -n "$opt" ] && break
	capd_wait_state 30 online true
	driver_edid_is default \
		"capd did not load its default EDID into the empty pad"
	vm_daemon_stop capd
done
vm_wait 30 "the reason no EDID" reason_no_edid
p=$(capd_probe)
code=$(post_edid '{"preset": "1280x720"}')
[ "$code" = 200 ] || vm_fail "POST /edid on an empty pad: $code"
capd_wait_state 30 online true
driver_edid_is 1280x720 \
	"the driver's EDID is not the 1280x720 preset after POST /edid"
vm_pass "EDID from a file, the default and POST /edid read back equal; malformed ones refused; no EDID said"
