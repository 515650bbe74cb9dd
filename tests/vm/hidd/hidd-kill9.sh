#!/bin/sh
# hidd-kill9 -- hidd killed with SIGKILL while a key and a mouse button are
# down: the target keeps them pressed (its keyboard auto-repeats) until the
# unit's stop step runs -- the ExecStopPost= line of the built
# kaputtkvm-hidd.service, parsed from it, with only the program's path moved
# to the build tree (the unit reads the default config; here both hidd and
# the step get --config).  The key and the button must go up on the target's
# input devices within a second of the step's start.  Then the same with no
# stop step: hidd's own next start releases the key.
# (No systemd runs in this VM: the unit itself is tested by the appliance.)
# vm-timeout: 240
. "$VM_LIB"

vm_need gadget
vm_gadget setup --udc dummy_udc.0
kbd=$(vm_input_find keyboard)
abs=$(vm_input_find mouse-abs)
rel=$(vm_input_find mouse-rel)
vm_input_record "$kbd" kbd
vm_input_record "$abs" abs
# A device nobody opens on the target is not polled (usbhid), and its last
# report then waits in the gadget: the step says so and exits 1.  Open all
# three, as a desktop does.
vm_input_record "$rel" rel

conf=$VM_RUN/kaputtkvm.conf
cat >"$conf" <<EOF
[hidd]
keyboard = $(vm_hidg keyboard)
mouse = $(vm_hidg mouse)
mouse-rel = $(vm_hidg relmouse)
EOF

# The stop step, as the unit states it.
unit=$VM_BUILD/systemd/kaputtkvm-hidd.service
[ -r "$unit" ] || vm_fail "$unit is not built"
step=$(sed -n 's/^ExecStopPost=//p' "$unit")
[ -n "$step" ] || vm_fail "$unit has no ExecStopPost="
while :; do # systemd's prefixes (-, @, :, +, !) are not the command
	case $step in
	[-@:+!]*) step=${step#?} ;;
	*) break ;;
	esac
done
set -f
# shellcheck disable=SC2086 # split into words on purpose, globbing off
set -- $step
set +f
[ "${1##*/}" = hidd ] || vm_fail "ExecStopPost= runs $1, not hidd"
shift
vm_log "stop step: hidd $*"

# Centiseconds since boot into $cs, without a process.
now_cs() {
	read -r _up _ </proc/uptime
	_f=${_up#*.}
	cs=$((${_up%.*} * 100 + ${_f#0}))
}

# Whether recording $1 holds the line $2 (shell builtins only).
recorded() {
	while IFS= read -r _l; do
		[ "$_l" = "$2" ] && return 0
	done <"$VM_RUN/$1.events"
	return 1
}

# Waits at most $3 centiseconds from $t0 for line $2 in recording $1;
# sets $took to how long it took.
within() {
	while :; do
		now_cs
		if recorded "$1" "$2"; then
			took=$((cs - t0))
			return 0
		fi
		[ $((cs - t0)) -le "$3" ] ||
			vm_fail "'$2' did not reach the target within" \
				"$(($3 * 10)) ms of the stop step's start"
	done
}

hidd_pid() {
	for d in $VM_DAEMONS; do
		[ "${d%%=*}" = hidd ] && echo "${d#*=}"
	done
}

kill9() {
	_pid=$(hidd_pid)
	kill -KILL "$_pid"
	wait "$_pid" 2>/dev/null || :
	kill -0 "$_pid" 2>/dev/null && vm_fail "hidd survived SIGKILL"
	_rest=
	for d in $VM_DAEMONS; do
		[ "${d%%=*}" = hidd ] || _rest="$_rest $d"
	done
	VM_DAEMONS=$_rest
}

# 1. kill -9, then the unit's stop step.
vm_daemon_start hidd --config "$conf"
vm_http hidd POST /key '{"code": "KeyA"}' >/dev/null
vm_http hidd POST /mouse '{"button": "left"}' >/dev/null
vm_input_expect kbd 'EV_KEY KEY_A 1'
vm_input_expect abs 'EV_KEY BTN_LEFT 1'
kill9
# Held on the target: it auto-repeats the key, and nothing lets it go.
vm_input_expect kbd 'EV_KEY KEY_A 2' 10
sleep 1
recorded kbd 'EV_KEY KEY_A 0' &&
	vm_fail "KEY_A went up before the stop step ran"
recorded abs 'EV_KEY BTN_LEFT 0' &&
	vm_fail "BTN_LEFT went up before the stop step ran"

now_cs
t0=$cs
"$VM_BUILD/hidd/hidd" "$@" --config "$conf" >>"$VM_OUT/hidd-release.log" \
	2>&1 || vm_fail "the stop step failed: $(cat "$VM_OUT/hidd-release.log")"
within kbd 'EV_KEY KEY_A 0' 100
key_cs=$took
within abs 'EV_KEY BTN_LEFT 0' 100
btn_cs=$took
vm_log "after kill -9: KEY_A up $((key_cs * 10)) ms, BTN_LEFT up" \
	"$((btn_cs * 10)) ms after the stop step started"

# 2. kill -9 and no stop step: hidd's next start lets the key go.
vm_input_record "$kbd" kbd2
vm_daemon_start hidd --config "$conf"
vm_http hidd POST /key '{"code": "KeyB"}' >/dev/null
vm_input_expect kbd2 'EV_KEY KEY_B 1'
kill9
vm_input_expect kbd2 'EV_KEY KEY_B 2' 10
recorded kbd2 'EV_KEY KEY_B 0' && vm_fail "KEY_B went up before hidd restarted"
vm_daemon_start hidd --config "$conf"
vm_input_expect kbd2 'EV_KEY KEY_B 0' 10
vm_pass "a key held when hidd died goes up: stop step $((key_cs * 10)) ms," \
	"and hidd's own start"
