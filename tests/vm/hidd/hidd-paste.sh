#!/bin/sh
# hidd-paste -- text pasted through hidd with layout L arrives on the target
# as key events that, run back through libxkbcommon with L (and the compose
# table, for dead keys), give exactly the same text: us, de, fr and
# us(intl), 1000+ characters each, every character each layout can type.
# vm-timeout: 900
. "$VM_LIB"

tool=$(vm_bin tests/vm/hidd hidd-xkbdecode)
vm_need gadget
vm_gadget setup --udc dummy_udc.0
kbd=$(vm_input_find keyboard)
# TCG on a busy machine can leave the host polling late: a long bounded
# wait keeps hidd from calling it a stall (paste never loses keystrokes
# either way: one report in flight at a time).
vm_daemon_start hidd --keyboard "$(vm_hidg keyboard)" \
	--mouse "$(vm_hidg mouse)" --mouse-rel "$(vm_hidg relmouse)" \
	--stuck-key-timeout 0 --write-timeout-ms 2000
# The decoder must keep up with the target's evdev buffer (a reader that
# falls behind gets SYN_DROPPED).  Under TCG on a busy host a vCPU can
# stall for a long time, so hidd and the decoder share CPU 0 and the
# decoder runs at real-time priority: hidd, which keeps one report in
# flight, only runs when the decoder has read everything.
rt=
if command -v chrt >/dev/null 2>&1 && command -v taskset >/dev/null 2>&1; then
	taskset -acp 0 "$(pgrep -x hidd)" >/dev/null ||
		vm_fail "cannot pin hidd to CPU 0"
	rt="taskset -c 0 chrt -f 50"
fi

for layout in us de fr 'us(intl)'; do
	want=$VM_RUN/want.txt
	"$tool" sample "$layout" 1000 >"$want" ||
		vm_fail "$layout: no sample text"
	python3 -c 'import json, sys
print(json.dumps({"text": open(sys.argv[1], encoding="utf-8").read(),
                  "layout": sys.argv[2], "delay_ms": 2}))' \
		"$want" "$layout" >"$VM_RUN/body.json"
	: >"$VM_RUN/decode.err"
	$rt "$tool" decode "$kbd" "$layout" "$want" 400 >"$VM_RUN/got.txt" \
		2>"$VM_RUN/decode.err" &
	dec=$!
	vm_wait 60 "the decoder on $kbd" grep -q ready "$VM_RUN/decode.err"
	_vm_now
	t0=$_now
	vm_http hidd POST /paste "$(cat "$VM_RUN/body.json")" >/dev/null
	st=0
	wait "$dec" || st=$?
	_vm_now
	[ "$st" = 0 ] || vm_fail "$layout: $(cat "$VM_RUN/decode.err")"
	vm_wait 60 "the paste to finish" sh -c \
		"curl -s --unix-socket $VM_RUN/hidd.sock http://kvm/state |
		 grep -q '\"active\":false'"
	held=$(vm_http hidd GET /state | python3 -c 'import json, sys
r = json.load(sys.stdin)["result"]
print(" ".join(r["held"]["keys"] + r["held"]["modifiers"]))')
	[ -z "$held" ] || vm_fail "$layout: keys left held after the paste: $held"
	vm_log "$layout: $(wc -m <"$want") characters typed and decoded" \
		"back exactly in $((_now - t0)) s"
done
vm_pass "paste decoded back exactly for us, de, fr, us(intl)"
