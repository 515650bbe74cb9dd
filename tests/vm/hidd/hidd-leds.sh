#!/bin/sh
# hidd-leds -- the target turns Caps Lock on (an LED event on its input
# device); the host sends the LED output report, hidd reads it from the
# keyboard's hidg and /state shows it; off again likewise.
# vm-timeout: 180
. "$VM_LIB"

vm_need gadget
vm_gadget setup --udc dummy_udc.0
kbd=$(vm_input_find keyboard)
vm_daemon_start hidd --keyboard "$(vm_hidg keyboard)" \
	--mouse "$(vm_hidg mouse)" --mouse-rel "$(vm_hidg relmouse)"

set_led() {
	python3 - "$kbd" "$1" <<'PY' || vm_fail "cannot set the LED on $kbd"
import os, struct, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
for t, c, v in ((17, 1, int(sys.argv[2])), (0, 0, 0)):
    os.write(fd, struct.pack("llHHi", 0, 0, t, c, v))
PY
}

caps() {
	curl -s --unix-socket "$VM_RUN/hidd.sock" http://kvm/state |
		python3 -c 'import json, sys
l = json.load(sys.stdin)["result"]["leds"]
sys.exit(0 if l["known"] and l["caps"] == (sys.argv[1] == "on") else 1)' "$1"
}

set_led 1
vm_wait 60 "Caps Lock on in hidd's /state" caps on
set_led 0
vm_wait 60 "Caps Lock off in hidd's /state" caps off
vm_pass "Caps Lock LED round trip: target -> host -> hidg -> /state"
