#!/bin/sh
# hidd-mouse -- absolute and relative mouse events from hidd arrive on the
# target with the right coordinates, buttons and wheel.
# vm-timeout: 180
. "$VM_LIB"

vm_need gadget
vm_gadget setup --udc dummy_udc.0
abs=$(vm_input_find mouse-abs)
rel=$(vm_input_find mouse-rel)
vm_input_record "$abs" abs
vm_input_record "$rel" rel
vm_daemon_start hidd --keyboard "$(vm_hidg keyboard)" \
	--mouse "$(vm_hidg mouse)" --mouse-rel "$(vm_hidg relmouse)"

vm_http hidd POST /mouse '{"x": 1000, "y": 30000}' >/dev/null
vm_input_expect abs 'EV_ABS ABS_X 1000'
vm_input_expect abs 'EV_ABS ABS_Y 30000'
vm_http hidd POST /mouse '{"x": 32767, "y": 0, "button": "left"}' >/dev/null
vm_input_expect abs 'EV_ABS ABS_X 32767'
vm_input_expect abs 'EV_ABS ABS_Y 0'
vm_input_expect abs 'EV_KEY BTN_LEFT 1'
vm_http hidd POST /mouse '{"button": "left", "down": false}' >/dev/null
vm_input_expect abs 'EV_KEY BTN_LEFT 0'
vm_http hidd POST /mouse '{"wheel_dy": -2}' >/dev/null
vm_input_expect abs 'EV_REL REL_WHEEL 2'
vm_http hidd POST /mouse '{"wheel_dx": 1}' >/dev/null
vm_input_expect abs 'EV_REL REL_HWHEEL 1'

vm_http hidd POST /mouse '{"dx": 5, "dy": -7}' >/dev/null
vm_input_expect rel 'EV_REL REL_X 5'
vm_input_expect rel 'EV_REL REL_Y -7'
vm_http hidd POST /mouse '{"dx": 300, "dy": 0}' >/dev/null
vm_input_expect rel 'EV_REL REL_X 127'
vm_input_expect rel 'EV_REL REL_X 127'
vm_input_expect rel 'EV_REL REL_X 46'
vm_http hidd POST /mouse '{"button": "right"}' >/dev/null
vm_input_expect rel 'EV_KEY BTN_RIGHT 1'
vm_http hidd POST /release >/dev/null
vm_input_expect rel 'EV_KEY BTN_RIGHT 0'
vm_pass "absolute and relative pointer, buttons and wheels arrive exactly"
