#!/bin/sh
# hidd-macro -- macros on the real gadget: a macro stored and played through
# hidd's HTTP API reaches the target as exactly the boot keyboard reports it
# says (read on the target's /dev/hidraw) and the key events they mean (its
# evdev device), in order, with its delay, ending with every key up; a long
# macro cancelled while it holds keys leaves nothing held and hidd idle; a
# key the user holds is let up before a macro plays (hid.h), and live keys
# are refused (409) while it plays, so nothing is interleaved.
# vm-timeout: 300
. "$VM_LIB"
. "$VM_SRC/tests/vm/hidd/lib-hidd.sh"

# A boot keyboard report as hidraw-dump prints it: k MODS [USAGE]
k() {
	echo "$1 00 ${2:-00} 00 00 00 00 00"
}

# The EV_KEY presses and releases recorded on the target (no repeats).
keys_seen() {
	grep -E '^EV_KEY [A-Z0-9_]+ [01]$' "$VM_RUN/$1.events" || :
}

vm_need gadget
vm_gadget setup --udc dummy_udc.0
vm_target_record keyboard kbd
vm_daemon_start hidd --keyboard "$(vm_hidg keyboard)" \
	--mouse "$(vm_hidg mouse)" --mouse-rel "$(vm_hidg relmouse)" \
	--macros "$VM_RUN/macros.json" --jiggler-state none \
	--stuck-key-timeout 0 --write-timeout-ms 2000
# hidd lets everything up at start; then nothing is held.
vm_hidraw_wait kbd 1 60
sleep 1
vm_hidraw_count kbd
base=$_n
vm_hidraw_bytes kbd | grep -qv "^$(k 00)\$" &&
	vm_fail "a key is held at start: $(vm_hidraw_bytes kbd | tr '\n' '|')"

# 1. Keys, a delay, text, a key left down: exactly these reports.
vm_http hidd PUT /macros/greet '{"steps": [
	{"keys": ["ControlLeft", "AltLeft", "KeyT"]},
	{"delay_ms": 400},
	{"text": "Hi!", "layout": "us"},
	{"key": "Enter"},
	{"key": "ShiftLeft", "down": true}]}' >/dev/null
{
	# Control, Alt, T down in order; up in reverse
	k 01
	k 05
	k 05 17
	k 05
	k 01
	k 00
	# (400 ms) "Hi!" as paste types it: H, i, Shift+1
	k 02
	k 02 0b
	k 02
	k 00
	k 00 0c
	k 00
	k 02
	k 02 1e
	k 02
	k 00
	# Enter tapped, Shift pressed, and every key up at the end
	k 00 28
	k 00
	k 02
	k 00
} >"$VM_RUN/want.greet"
cat >"$VM_RUN/keys.greet" <<'EOF'
EV_KEY KEY_LEFTCTRL 1
EV_KEY KEY_LEFTALT 1
EV_KEY KEY_T 1
EV_KEY KEY_T 0
EV_KEY KEY_LEFTALT 0
EV_KEY KEY_LEFTCTRL 0
EV_KEY KEY_LEFTSHIFT 1
EV_KEY KEY_H 1
EV_KEY KEY_H 0
EV_KEY KEY_LEFTSHIFT 0
EV_KEY KEY_I 1
EV_KEY KEY_I 0
EV_KEY KEY_LEFTSHIFT 1
EV_KEY KEY_1 1
EV_KEY KEY_1 0
EV_KEY KEY_LEFTSHIFT 0
EV_KEY KEY_ENTER 1
EV_KEY KEY_ENTER 0
EV_KEY KEY_LEFTSHIFT 1
EV_KEY KEY_LEFTSHIFT 0
EOF
vm_http hidd POST /macro/run '{"name": "greet"}' >/dev/null
vm_hidd_wait '"macro":{"active":false,"result":"done"' "the macro greet to end"
vm_hidraw_wait kbd $((base + 20))
sleep 1
vm_hidraw_expect kbd $((base + 1)) "$VM_RUN/want.greet" "macro greet"
# The delay: between the 6th report (Control up) and the 7th (Shift).
gap=$(grep -v '^#' "$VM_RUN/kbd.raw" | awk -v a=$((base + 6)) \
	'NR == a { t = $1 } NR == a + 1 { print $1 - t }')
[ "$gap" -ge 400 ] ||
	vm_fail "macro greet: the 400 ms delay step lasted $gap ms"
vm_log "greet: 20 reports exactly, the delay step $gap ms"
keys_seen kbd >"$VM_RUN/keys.got"
cmp -s "$VM_RUN/keys.greet" "$VM_RUN/keys.got" || {
	diff "$VM_RUN/keys.greet" "$VM_RUN/keys.got" >&2 || :
	vm_fail "macro greet: the target's key events differ (< wanted, > seen)"
}
vm_hidd_state 'r["macro"]["steps"] == r["macro"]["done"] and
	not r["held"]["keys"] and not r["held"]["modifiers"]' \
	"after macro greet"

# 2. A long macro cancelled while it holds Control+X: one all-up report,
#    nothing after it, hidd idle.
vm_http hidd PUT /macros/hold '{"steps": [
	{"key": "ControlLeft", "down": true},
	{"key": "KeyX", "down": true},
	{"delay_ms": 60000},
	{"key": "KeyY"}]}' >/dev/null
vm_hidraw_count kbd
base=$_n
vm_http hidd POST /macro/run '{"name": "hold"}' >/dev/null
vm_hidraw_wait kbd $((base + 2))
vm_hidd_state 'r["macro"]["active"] and r["macro"]["result"] == "playing"' \
	"macro hold playing"
vm_http hidd POST /macro/cancel | grep -qF '"cancelled":true' ||
	vm_fail "POST /macro/cancel did not say it cancelled the macro"
vm_hidraw_wait kbd $((base + 3))
vm_hidraw_quiet kbd 2
{
	k 01
	k 01 1b
	k 00
} >"$VM_RUN/want.hold"
vm_hidraw_expect kbd $((base + 1)) "$VM_RUN/want.hold" "macro hold cancelled"
vm_hidd_state 'not r["macro"]["active"] and
	r["macro"]["result"] == "cancelled" and not r["paste"]["active"] and
	not r["held"]["keys"] and not r["held"]["modifiers"]' \
	"after cancelling macro hold"
# Every key the target saw pressed, it saw released.
keys_seen kbd | awk '{ v[$2] = $3 } END { for (k in v) if (v[k] != 0) {
	print k; bad = 1 }; exit bad }' >"$VM_RUN/held" ||
	vm_fail "the target still holds after the cancel: $(cat "$VM_RUN/held")"
vm_log "hold: cancelled with Control+X down: one all-up report, nothing after"

# 3. The user holds Shift; a macro plays: Shift goes up first (not typed
#    into the macro), live keys are refused while it plays.
vm_http hidd PUT /macros/hi '{"steps": [
	{"key": "KeyH"}, {"delay_ms": 15000}, {"key": "KeyI"}]}' >/dev/null
vm_hidraw_count kbd
base=$_n
vm_http hidd POST /key '{"code": "ShiftLeft", "down": true}' >/dev/null
vm_hidraw_wait kbd $((base + 1))
vm_http hidd POST /macro/run '{"name": "hi"}' >/dev/null
# Shift held, then the macro's first key down (Shift up before it, or not).
vm_hidraw_wait kbd $((base + 3))
vm_hidd_refused /key '{"code": "KeyC"}' 409 'macro \"hi\" is being played'
vm_hidd_refused /key '{"code": "ShiftLeft", "down": false}' 409 \
	'macro \"hi\" is being played'
vm_hidd_refused /paste '{"text": "c"}' 409 'macro \"hi\" is being played'
vm_hidd_wait '"macro":{"active":false,"result":"done"' "the macro hi to end"
vm_hidraw_wait kbd $((base + 6))
sleep 1
{
	k 02
	k 00
	k 00 0b
	k 00
	k 00 0c
	k 00
} >"$VM_RUN/want.hi"
vm_hidraw_expect kbd $((base + 1)) "$VM_RUN/want.hi" \
	"macro hi played while Shift was held"
vm_hidd_state 'not r["held"]["keys"] and not r["held"]["modifiers"]' \
	"after macro hi"
vm_log "hi: the user's Shift let up first, live keys and paste refused (409)"
vm_pass "macros type exactly what they say on the real gadget; a cancel" \
	"leaves nothing held; a held key is let up first, live keys refused"
