#!/bin/sh
# gadget-enumerate -- kaputtkvm-gadget builds the gadget on dummy_udc.0 and
# the same kernel, as the target, sees a keyboard, an absolute mouse, a
# relative mouse and a CD drive.
# vm-timeout: 240
. "$VM_LIB"

vm_need gadget
vm_gadget setup --udc dummy_udc.0
vm_wait 60 "dummy_udc.0 to be configured" \
	grep -qx configured /sys/class/udc/dummy_udc.0/state
kbd=$(vm_input_find keyboard)
abs=$(vm_input_find mouse-abs)
rel=$(vm_input_find mouse-rel)
vm_log "keyboard $kbd, absolute mouse $abs, relative mouse $rel"
[ "$kbd" != "$abs" ] && [ "$abs" != "$rel" ] ||
	vm_fail "functions share an input device"
# The absolute mouse reports 0..32767 on both axes.
for ax in 0 1; do
	hex=$(cat "/sys/class/input/${abs##*/}/device/capabilities/abs")
	[ $((0x$hex & (1 << ax))) != 0 ] || vm_fail "no ABS axis $ax on $abs"
done
cd=$(vm_cdrom_find)
model=$(cat "/sys/block/${cd##*/}/device/model")
case $model in
"Virtual Media"*) ;;
*) vm_fail "the CD drive's model is '$model', want 'Virtual Media'" ;;
esac
[ "$(cat "/sys/block/${cd##*/}/removable")" = 1 ] ||
	vm_fail "$cd is not removable"
vm_gadget status
for f in keyboard mouse relmouse; do
	dev=$(sh "$VM_SRC/gadget/kaputtkvm-gadget" status |
		awk -v f="$f" '$1 == f { print $2 }')
	[ -c "$dev" ] || vm_fail "status names '$dev' for $f: not a device"
done
vm_pass "keyboard, absolute and relative mouse, CD drive ($cd) enumerated"
