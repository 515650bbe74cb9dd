#!/bin/sh
# e2e-hidd-gadget -- hidd on the real gadget: a key and a pasted text sent
# over its API arrive on the target as key events, the target's Caps Lock
# LED shows in hidd's state, a mouse move arrives, and hidd exits cleanly.
# (hidd's own VM scenarios go in tests/vm/hidd/.)
# vm-timeout: 240
. "$VM_LIB"

vm_bin hidd >/dev/null
vm_need gadget
vm_gadget setup --udc dummy_udc.0
kbd=$(vm_input_find keyboard)
abs=$(vm_input_find mouse-abs)
vm_input_record "$kbd" kbd
vm_input_record "$abs" abs
vm_daemon_start hidd --keyboard "$(vm_hidg keyboard)" \
	--mouse "$(vm_hidg mouse)" --mouse-rel "$(vm_hidg relmouse)" \
	--udc-state /sys/class/udc/dummy_udc.0/state

vm_http hidd POST /key '{"code": "KeyA", "down": true}' >/dev/null
vm_input_expect kbd 'EV_KEY KEY_A 1'
vm_http hidd POST /key '{"code": "KeyA", "down": false}' >/dev/null
vm_input_expect kbd 'EV_KEY KEY_A 0'

vm_http hidd POST /paste '{"text": "Hi", "layout": "us"}' >/dev/null
vm_input_expect kbd 'EV_KEY KEY_LEFTSHIFT 1'
vm_input_expect kbd 'EV_KEY KEY_H 1'
vm_input_expect kbd 'EV_KEY KEY_LEFTSHIFT 0'
vm_input_expect kbd 'EV_KEY KEY_I 1'
vm_input_expect kbd 'EV_KEY KEY_I 0'

vm_http hidd POST /mouse '{"x": 16384, "y": 8192}' >/dev/null
vm_input_expect abs 'EV_ABS ABS_X 16384'
vm_input_expect abs 'EV_ABS ABS_Y 8192'

# The target turns Caps Lock on; hidd reads the LED report from the hidg.
python3 - "$kbd" <<'PY' || vm_fail "cannot set the LED on $kbd"
import os, struct, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
for t, c, v in ((17, 1, 1), (0, 0, 0)):  # EV_LED LED_CAPSL 1, SYN_REPORT
    os.write(fd, struct.pack("llHHi", 0, 0, t, c, v))
PY
caps_on() {
	curl -sf --unix-socket "$VM_RUN/hidd.sock" http://kvm/state |
		grep -Eq '"caps": ?true'
}
vm_wait 30 "hidd's state to show Caps Lock on" caps_on
vm_daemon_stop hidd
vm_pass "key, paste, mouse and LEDs through hidd on the real gadget"
