#!/bin/sh
# gpiod-ctl-atx -- ATX on gpio-sim: the power LED (active-low) driven through
# gpio-sim's pull changes /state; "on" while the LED is on is 409 and
# presses nothing; off-hard holds power for its duration while /state keeps
# answering; reset while off is refused; on while off presses; a polled
# input follows its pull.
# vm-timeout: 150
. "$VM_LIB"

vm_need gpio
chip=$(vm_gpiosim_chip)
G="python3 $VM_SRC/tests/vm/gpiod-ctl/gpiovm.py"

cat >"$VM_RUN/g.conf" <<CONF
[gpiod-ctl]
press-ms = 150
hold-ms = 3000
lockout-ms = 500
power-button = $chip:0
reset-button = $chip:1
power-led = $chip:2 active-low
hdd-led = $chip:3 poll
CONF
vm_gpiosim_pull 2 up # active-low LED: high = dark
vm_daemon_start gpiod-ctl --config "$VM_RUN/g.conf"

power_is() {
	[ "$($G state atx.power)" = "$1" ]
}
hdd_lit() {
	[ "$($G state lines.hdd-led.value)" = 1 ]
}
vm_wait 5 "power off in /state" power_is off
vm_gpiosim_pull 2 down # LED lit
vm_wait 5 "power on in /state" power_is on

out=$($G call POST /atx '{"action": "on"}')
case $out in 409*"already on"*) ;; *) vm_fail "on while on: $out" ;; esac
$G steady 0 0 0.5
[ "$($G state lines.power-button.pulses)" = 0 ] ||
	vm_fail "on while on pressed power"

$G press /atx '{"action": "off-hard"}' 0 1 3000 300 --state
[ "$($G state atx.last_action.action)" = off-hard ] ||
	vm_fail "last action is not off-hard"

vm_gpiosim_pull 2 up
vm_wait 5 "power off in /state" power_is off
sleep 0.6 # the lockout
out=$($G call POST /atx '{"action": "reset"}')
case $out in 409*"is off"*) ;; *) vm_fail "reset while off: $out" ;; esac
$G steady 1 0 0.3

$G press /atx '{"action": "on"}' 0 1 150 250
# hdd-led is read by polling ("poll"): the fallback for chips without
# edge events, on the real backend.
[ "$($G state lines.hdd-led.edge_events)" = false ] ||
	vm_fail "hdd-led with 'poll' should not use edge events"
vm_gpiosim_pull 3 up
vm_wait 5 "hdd-led lit in /state" hdd_lit
vm_daemon_stop gpiod-ctl
vm_pass "ATX follows the LED on gpio-sim; off-hard held while /state answered"
