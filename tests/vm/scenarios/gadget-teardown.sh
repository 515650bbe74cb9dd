#!/bin/sh
# gadget-teardown -- setup is idempotent (a second run keeps the same
# gadget and devices), teardown leaves configfs empty, and the gadget can be
# built again, also with functions switched off.
# vm-timeout: 300
. "$VM_LIB"

G=/sys/kernel/config/usb_gadget
vm_need gadget
vm_gadget setup --udc dummy_udc.0
# status shows the UDC state: compare once the target has configured it.
vm_wait 60 "dummy_udc.0 to be configured" \
	grep -qx configured /sys/class/udc/dummy_udc.0/state
first=$(sh "$VM_SRC/gadget/kaputtkvm-gadget" status)
ino=$(stat -c %i "$G/kaputtkvm/functions/hid.keyboard")
out=$(sh "$VM_SRC/gadget/kaputtkvm-gadget" setup --udc dummy_udc.0) ||
	vm_fail "second setup failed: $out"
echo "$out"
echo "$out" | grep -q 'already set up' || vm_fail "second setup rebuilt it"
second=$(sh "$VM_SRC/gadget/kaputtkvm-gadget" status)
[ "$second" = "$first" ] ||
	vm_fail "status changed after the second setup: '$first' -> '$second'"
[ "$(stat -c %i "$G/kaputtkvm/functions/hid.keyboard")" = "$ino" ] ||
	vm_fail "the keyboard function was recreated by the second setup"
vm_input_find keyboard >/dev/null

vm_log "teardown"
vm_gadget teardown
left=$(ls -A "$G")
[ -z "$left" ] || vm_fail "configfs not clean after teardown: $left"
[ -z "$(ls /dev/hidg* 2>/dev/null)" ] || vm_fail "hidg devices remain"
vm_log "waiting for the target side to notice"
vm_wait 60 "the target's input devices to go away" sh -c \
	'! grep -qs KaputtKVM /sys/class/input/event*/device/name'
vm_wait 60 "the target's CD drive to go away" sh -c '! ls -d /sys/block/sr*'
vm_gadget teardown

vm_log "keyboard only"
# Only the keyboard (from a config file's [gadget] section): the target
# sees it and no mouse.
cat >"$VM_RUN/k.conf" <<'EOF'
[hidd]
keyboard = /dev/hidg0
[gadget]
udc = dummy_udc.0
mouse = no
relmouse = no
storage = no
EOF
vm_gadget setup --config "$VM_RUN/k.conf"
links=
for l in "$G"/kaputtkvm/configs/c.1/*; do
	[ -L "$l" ] && links="$links ${l##*/}"
done
[ "$links" = " hid.keyboard" ] ||
	vm_fail "keyboard-only gadget has functions:$links"
vm_input_find keyboard >/dev/null
sleep 2
if _vm_have_sr; then
	vm_fail "a CD drive is there although storage is off"
fi
vm_log "full set again"
# Asking for the full set again rebuilds it.
vm_gadget setup --udc dummy_udc.0
vm_input_find mouse-abs >/dev/null
vm_gadget teardown
[ -z "$(ls -A "$G")" ] || vm_fail "configfs not clean after the 2nd teardown"

# Failures leave nothing behind: an unknown UDC, and a UDC that another
# gadget holds (the bind fails after the gadget was built).
if sh "$VM_SRC/gadget/kaputtkvm-gadget" setup --udc nope --wait 1; then
	vm_fail "setup succeeded with UDC 'nope'"
fi
[ -z "$(ls -A "$G")" ] || vm_fail "a failed setup left $(ls -A "$G")"
vm_gadget setup --udc dummy_udc.0 --name other --no-mouse --no-relmouse \
	--no-storage
if sh "$VM_SRC/gadget/kaputtkvm-gadget" setup --udc dummy_udc.0; then
	vm_fail "two gadgets bound to dummy_udc.0"
fi
[ ! -e "$G/kaputtkvm" ] || vm_fail "the gadget that could not bind is left"
vm_gadget teardown --name other
[ -z "$(ls -A "$G")" ] || vm_fail "configfs not clean at the end"
vm_pass "idempotent setup, clean teardown, rebuild with fewer functions," \
	"nothing left by failed setups"
