#!/bin/sh
# capd-m2m-loss -- capd/m2m.c against vicodec (built out of tree) with the
# multi-planar API (multiplanar=1, as the Raspberry Pi's bcm2835-codec
# has it): frames from vivid by DMABUF import, a resize; then the encoder
# is unbound from its driver mid-stream (the stand-in for a board's codec
# going away) and the next frame reports -ENODEV, without a hang.
# vm-timeout: 300
. "$VM_LIB"

enc=$(vm_bin capd m2m-encode)
vm_need capture
vm_need m2m multiplanar=1
v4l2-ctl -d "$VM_VIDEO" --set-input 0 >/dev/null 2>&1 ||
	vm_fail "cannot select vivid's webcam input"

found=$("$enc" --probe) || vm_fail "m2m_probe found no FWHT encoder"
case $found in
"$VM_M2M_ENC vicodec vicodec mplane") ;;
*) vm_fail "the probe found '$found', want $VM_M2M_ENC with mplane" ;;
esac

out=$("$enc" "$VM_VIDEO" 640 360 1280 720 6 dmabuf 2>&1) || {
	echo "$out"
	vm_fail "m2m-encode on the multi-planar API failed"
}
echo "$out"
case $(echo "$out" | tail -n 1) in
"ok frames 12 "*"dmabuf 1") ;;
*) vm_fail "multi-planar run ended with: $(echo "$out" | tail -n 1)" ;;
esac

unbind=/sys/bus/platform/drivers/vicodec/unbind
[ -w "$unbind" ] || vm_fail "no $unbind"
out=$(timeout 60 "$enc" --lose "$VM_VIDEO" 640 360 \
	"echo vicodec.0 >$unbind" 2>&1) || {
	echo "$out"
	vm_fail "the encoder's loss was not reported cleanly"
}
echo "$out"
vm_pass "multi-planar vicodec encodes, resizes; its loss reads -ENODEV"
