#!/bin/sh
# hidd-udc -- unbinding the UDC shows as "not attached" in hidd's /state,
# input is then refused as dropped (503, nothing queued), hidd keeps
# running, and binding again brings it back online.
# vm-timeout: 180
. "$VM_LIB"

vm_need gadget
vm_gadget setup --udc dummy_udc.0
kbd=$(vm_input_find keyboard)
vm_input_record "$kbd" kbd
vm_daemon_start hidd --keyboard "$(vm_hidg keyboard)" \
	--mouse "$(vm_hidg mouse)" --mouse-rel "$(vm_hidg relmouse)"
sock=$VM_RUN/hidd.sock
udc=/sys/kernel/config/usb_gadget/${VM_GADGET:-kaputtkvm}/UDC

online() {
	curl -s --unix-socket "$sock" http://kvm/state |
		python3 -c 'import json, sys
r = json.load(sys.stdin)["result"]
sys.exit(0 if r["online"] == (sys.argv[1] == "yes") else 1)' "$1"
}

vm_wait 60 "hidd online" online yes
echo "" >"$udc" || vm_fail "cannot unbind the UDC"
vm_wait 60 "hidd to report not attached" online no
code=$(curl -s -o "$VM_RUN/key.json" -w '%{http_code}' \
	--unix-socket "$sock" -X POST -H 'Content-Type: application/json' \
	--data '{"code": "KeyA"}' http://kvm/key)
[ "$code" = 503 ] || vm_fail "POST /key while unbound: HTTP $code," \
	"want 503: $(cat "$VM_RUN/key.json")"
grep -q 'not attached' "$VM_RUN/key.json" ||
	vm_fail "the refusal does not say why: $(cat "$VM_RUN/key.json")"
vm_http hidd GET /state >/dev/null

echo dummy_udc.0 >"$udc" || vm_fail "cannot bind the UDC again"
vm_wait 60 "hidd online again" online yes
kbd=$(vm_input_find keyboard)
vm_input_record "$kbd" kbd2
vm_http hidd POST /key '{"code": "KeyB"}' >/dev/null
vm_input_expect kbd2 'EV_KEY KEY_B 1'
vm_http hidd POST /key '{"code": "KeyB", "down": false}' >/dev/null
vm_input_expect kbd2 'EV_KEY KEY_B 0'
# The KeyA refused while unbound never arrives.
if grep -q 'KEY_A 1' "$VM_RUN/kbd2.events"; then
	vm_fail "KeyA pressed while unbound reached the target later"
fi
vm_pass "UDC unbind: not attached, input refused, back after rebind"
