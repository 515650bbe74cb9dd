#!/bin/sh
# gadget-keyboard -- a boot keyboard report written to the keyboard's hidg
# reaches the target as KEY_A press and release; the target's Caps Lock LED
# comes back as the 1-byte output report.
# vm-timeout: 240
. "$VM_LIB"

vm_need gadget
vm_gadget setup --udc dummy_udc.0
hidg=$(sh "$VM_SRC/gadget/kaputtkvm-gadget" status |
	awk '$1 == "keyboard" { print $2 }')
[ -c "$hidg" ] || vm_fail "no keyboard hidg device in the gadget's status"
kbd=$(vm_input_find keyboard)
vm_input_record "$kbd" kbd

printf '\000\000\004\000\000\000\000\000' >"$hidg" ||
	vm_fail "writing the KEY_A report to $hidg failed"
vm_input_expect kbd 'EV_KEY KEY_A 1'
printf '\000\000\000\000\000\000\000\000' >"$hidg" ||
	vm_fail "writing the release report to $hidg failed"
vm_input_expect kbd 'EV_KEY KEY_A 0'

# Left Shift (modifier bit 1) + B: two keys down, then both up.
printf '\002\000\005\000\000\000\000\000' >"$hidg"
vm_input_expect kbd 'EV_KEY KEY_LEFTSHIFT 1'
vm_input_expect kbd 'EV_KEY KEY_B 1'
printf '\000\000\000\000\000\000\000\000' >"$hidg"
vm_input_expect kbd 'EV_KEY KEY_B 0'

# The target switches Caps Lock on: the gadget reads LED byte 0x02.
python3 - "$kbd" <<'PY' || vm_fail "cannot set the LED on $kbd"
import os, struct, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
for t, c, v in ((17, 1, 1), (0, 0, 0)):  # EV_LED LED_CAPSL 1, SYN_REPORT
    os.write(fd, struct.pack("llHHi", 0, 0, t, c, v))
PY
# The host sent LED reports at enumeration already: read until 0x02 comes.
python3 - "$hidg" <<'PY' || vm_fail "no Caps Lock LED report (02) on $hidg"
import os, select, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
end, seen = time.monotonic() + 10, []
while time.monotonic() < end:
    if select.select([fd], [], [], 0.5)[0]:
        seen += list(os.read(fd, 64))
        if seen and seen[-1] == 0x02:
            sys.exit(0)
print("LED output reports seen: %s" % seen)
sys.exit(1)
PY
vm_pass "KEY_A press/release, Shift+B, Caps Lock LED output report"
