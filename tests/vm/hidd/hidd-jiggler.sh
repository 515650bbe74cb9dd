#!/bin/sh
# hidd-jiggler -- the jiggler on the real gadget: off at first start; when
# on (every 2 s, hidd's minimum is 1 s), the target's relative mouse gets
# one unit right and back (boot mouse reports 00 01 00 00, 00 ff 00 00 on
# its /dev/hidraw; REL_X 1, REL_X -1 on its evdev device) about every
# interval, never within an interval of the user's own mouse input, and
# nothing any more once it is switched off; without the relative mouse, one
# step right on the absolute one and back (00 e9 03 .., 00 e8 03 ..).
# vm-timeout: 240
. "$VM_LIB"
. "$VM_SRC/tests/vm/hidd/lib-hidd.sh"

interval=2000 # ms, as set below
tol=300       # ms the target's read times may be off hidd's (TCG)
slack=2000    # ms a nudge may come late (250 ms ticks; a loaded TCG host)

# Uptime in milliseconds (the monotonic clock hidraw-dump uses: the VM is
# never suspended), into $_ms.
uptime_ms() {
	read -r _up _ </proc/uptime
	_ms=$((${_up%.*} * 1000 + 1${_up#*.}0 - 1000))
}

# Check the reports from number $base on: nudges (out and back at once),
# the user's moves (00 02 00 00), nothing else; a nudge never within an
# interval of the user's input or of the previous nudge, nor later than
# interval + slack after the later of the two; the first not before
# $t_on + interval.  Sets $nudges and $moves (a nudge whose way back is
# still on its way is not counted).  "check final", once all is quiet: the
# way back must be there, and the target's evdev events must be exactly
# what the reports mean.
check() {
	grep -v '^#' "$VM_RUN/rel.raw" | tail -n "+$base" |
		awk -v iv="$interval" -v tol="$tol" -v slack="$slack" \
			-v on="$t_on" -v want="$VM_RUN/rel.want" \
			-v final="${1:-}" '
		function bad(m) { print "report " NR ": " m; err = 1; exit 1 }
		{ t = $1; b = $2 " " $3 " " $4 " " $5 }
		NF != 5 { bad("not a 4-byte report: " $0) }
		pending && b != "00 ff 00 00" { bad("a nudge out without its way back: " b) }
		b == "00 01 00 00" {
			if (t < on + iv - tol)
				bad("a nudge " (t - on) " ms after the jiggler went on")
			if (user != "" && t - user < iv - tol)
				bad("a nudge " (t - user) " ms after the user moved the mouse")
			if (last != "" && t - last < iv - tol)
				bad("nudges " (t - last) " ms apart")
			if (last != "" && (user == "" || user < last) &&
			    t - last > iv + slack)
				bad("nudges " (t - last) " ms apart, with no input between")
			if (user != "" && user > last && t - user > iv + slack)
				bad("a nudge " (t - user) " ms after the user moved the mouse")
			if (last != "" && (user == "" || user < last)) {
				if (min == "" || t - last < min) min = t - last
				if (t - last > max) max = t - last
			}
			last = t; pending = 1; n++
			print "EV_REL REL_X 1" >want
			next
		}
		b == "00 ff 00 00" {
			if (!pending)
				bad("a way back without a nudge out")
			pending = 0
			print "EV_REL REL_X -1" >want
			next
		}
		b == "00 02 00 00" { user = t; moves++; print "EV_REL REL_X 2" >want; next }
		{ bad("a report neither the user nor the jiggler sent: " b) }
		END {
			if (!err && pending && final) {
				print "a nudge out without its way back"
				exit 1
			}
			if (!err)
				print n - pending, moves + 0, min, max + 0
		}' >"$VM_RUN/check.out" ||
		vm_fail "jiggler: $(cat "$VM_RUN/check.out"); reports:" \
			"$(vm_hidraw_bytes rel "$base" | tr '\n' '|')"
	read -r nudges moves gapmin gapmax <"$VM_RUN/check.out"
	[ -n "${1:-}" ] || return 0
	grep '^EV_REL' "$VM_RUN/rel.events" >"$VM_RUN/rel.got" || :
	cmp -s "$VM_RUN/rel.want" "$VM_RUN/rel.got" || {
		diff "$VM_RUN/rel.want" "$VM_RUN/rel.got" >&2 || :
		vm_fail "jiggler: the target's events differ (< wanted, > seen)"
	}
}

# The nudges hidd counted, into $_nudges.
state_nudges() {
	curl -sS --max-time 30 --unix-socket "$VM_RUN/hidd.sock" \
		http://kvm/state >"$VM_RUN/state.json" ||
		vm_fail "GET /state: curl failed"
	_nudges=$(grep -o '"jiggler":{[^}]*}' "$VM_RUN/state.json" |
		sed -n 's/.*"nudges":\([0-9]*\).*/\1/p')
	[ -n "$_nudges" ] || vm_fail "no jiggler nudges in hidd's /state"
}

# The last report recorded is a nudge's way back, after number $1.
nudged_after() {
	vm_hidraw_count rel
	[ "$_n" -gt "$1" ] && [ "$(vm_hidraw_bytes rel "$_n")" = "00 ff 00 00" ]
}

vm_need gadget
vm_gadget setup --udc dummy_udc.0
vm_target_record mouse-rel rel
# --jiggler-interval 1: were it on at first start, 3 s would show it.
vm_daemon_start hidd --keyboard "$(vm_hidg keyboard)" \
	--mouse "$(vm_hidg mouse)" --mouse-rel "$(vm_hidg relmouse)" \
	--macros none --jiggler-state none --jiggler-interval 1 \
	--write-timeout-ms 2000
# hidd lets everything up at start: one all-zero report, then nothing.
vm_hidraw_wait rel 1 60
vm_hidd_state 'r["jiggler"]["enabled"] is False and
	r["jiggler"]["interval"] == 1' "at first start"
vm_hidraw_quiet rel 3
printf '00 00 00 00\n' >"$VM_RUN/want.start"
vm_hidraw_expect rel 1 "$VM_RUN/want.start" "the jiggler off at first start"
base=2

uptime_ms
t_on=$_ms
vm_http hidd POST /jiggler '{"enabled": true, "interval": 2}' >/dev/null
vm_hidraw_wait rel $((base + 5)) 30
check
[ "$nudges" -ge 3 ] && [ "$moves" = 0 ] ||
	vm_fail "jiggler: $nudges nudges and $moves moves, not 3 (or more) and 0"
vm_log "jiggler on: $nudges nudges one unit out and back," \
	"$gapmin..$gapmax ms apart"

# The user moves the mouse for three intervals (24 moves, 4 a second, from
# one curl: a process per move is too slow under TCG): no nudge meanwhile;
# one again an interval after the last move.
vm_hidraw_count rel
ubase=$_n
set --
while [ $# -lt 24 ]; do
	set -- "$@" http://kvm/mouse
done
curl -sS --max-time 60 --unix-socket "$VM_RUN/hidd.sock" --rate 4/s \
	-X POST -H 'Content-Type: application/json' \
	--data-binary '{"dx": 2, "dy": 0}' -w '\n%{http_code}\n' "$@" \
	>"$VM_RUN/moves.out" || vm_fail "POST /mouse: curl failed"
[ "$(grep -c '^200$' "$VM_RUN/moves.out")" = 24 ] ||
	vm_fail "POST /mouse: not 24 times 200: $(cat "$VM_RUN/moves.out")"
vm_wait 30 "a nudge after the user's last move" nudged_after "$ubase"
check
[ "$moves" = 24 ] || vm_fail "jiggler: $moves of the user's 24 moves seen"
[ "$nudges" -ge 4 ] || vm_fail "jiggler: no nudge after the user's moves"
vm_log "jiggler: none within 2 s of the user's $moves moves, then again"

# Off: hidd's count stops, and the target sees nothing for four intervals.
vm_http hidd POST /jiggler '{"enabled": false}' >/dev/null
state_nudges
off=$_nudges
sleep 8
state_nudges
[ "$_nudges" = "$off" ] ||
	vm_fail "jiggler: hidd nudged $((_nudges - off)) times after going off"
check final
[ "$nudges" = "$off" ] ||
	vm_fail "jiggler: the target saw $nudges nudges, hidd counted $off"
vm_log "jiggler off: nothing for 8 s, $off nudges on both sides," \
	"$gapmin..$gapmax ms apart without input between"

# Without the relative mouse: one step right on the absolute one and back.
vm_daemon_stop hidd
vm_hidraw_count rel
relbase=$_n
vm_target_record mouse-abs abs
vm_daemon_start hidd --keyboard "$(vm_hidg keyboard)" \
	--mouse "$(vm_hidg mouse)" --mouse-rel none \
	--macros none --jiggler-state none --write-timeout-ms 2000
vm_hidraw_wait abs 1 60
vm_http hidd POST /mouse '{"x": 1000, "y": 2000}' >/dev/null
vm_input_expect abs 'EV_ABS ABS_X 1000'
vm_hidraw_count abs
abase=$_n
vm_http hidd POST /jiggler '{"enabled": true, "interval": 2}' >/dev/null
vm_hidraw_wait abs $((abase + 2))
vm_http hidd POST /jiggler '{"enabled": false}' >/dev/null
vm_hidraw_quiet abs 3
printf '%s\n' '00 e9 03 d0 07 00 00' '00 e8 03 d0 07 00 00' \
	>"$VM_RUN/want.abs"
vm_hidraw_expect abs $((abase + 1)) "$VM_RUN/want.abs" \
	"the jiggler on the absolute mouse"
vm_input_expect abs 'EV_ABS ABS_X 1001'
vm_input_expect abs 'EV_ABS ABS_X 1000'
vm_hidraw_count rel
[ "$_n" = "$relbase" ] ||
	vm_fail "jiggler: the relative mouse hidd does not use got reports"
vm_pass "jiggler: one unit out and back every interval on the real gadget" \
	"(relative, or absolute without it), none while the user moves," \
	"none when off"
