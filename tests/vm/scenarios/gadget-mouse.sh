#!/bin/sh
# gadget-mouse -- reports written to the absolute and the relative mouse
# reach the target: X/Y up to 32767, five buttons, both wheels; relative
# moves in the boot layout plus the wheel byte.
# vm-timeout: 240
. "$VM_LIB"

vm_need gadget
vm_gadget setup --udc dummy_udc.0
hid_abs=$(vm_hidg mouse)
hid_rel=$(vm_hidg relmouse)
vm_input_record "$(vm_input_find mouse-abs)" abs
vm_input_record "$(vm_input_find mouse-rel)" rel

# Absolute: buttons, X (LE16), Y (LE16), wheel, AC pan.
printf '\000\000\100\377\177\000\000' >"$hid_abs"
vm_input_expect abs 'EV_ABS ABS_X 16384'
vm_input_expect abs 'EV_ABS ABS_Y 32767'
printf '\001\000\000\000\000\377\000' >"$hid_abs"
vm_input_expect abs 'EV_KEY BTN_LEFT 1'
vm_input_expect abs 'EV_REL REL_WHEEL -1'
printf '\020\000\000\000\000\000\001' >"$hid_abs"
vm_input_expect abs 'EV_KEY BTN_EXTRA 1'
vm_input_expect abs 'EV_REL REL_HWHEEL 1'
printf '\000\000\000\000\000\000\000' >"$hid_abs"
vm_input_expect abs 'EV_KEY BTN_EXTRA 0'

# Relative: buttons, dx, dy, wheel.
printf '\002\005\373\001' >"$hid_rel"
vm_input_expect rel 'EV_KEY BTN_RIGHT 1'
vm_input_expect rel 'EV_REL REL_X 5'
vm_input_expect rel 'EV_REL REL_Y -5'
vm_input_expect rel 'EV_REL REL_WHEEL 1'
printf '\000\000\000\000' >"$hid_rel"
vm_input_expect rel 'EV_KEY BTN_RIGHT 0'
vm_pass "absolute and relative mouse reports arrive"
