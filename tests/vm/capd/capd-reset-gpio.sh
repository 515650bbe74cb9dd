#!/bin/sh
# capd-reset-gpio -- with no picture for --reset-after seconds, capd asks
# gpiod-ctl (the real daemon, on gpio-sim) to pulse capture-reset, and the
# line really pulses.
# vm-timeout: 150
. "$VM_LIB"

vm_need gpio
chip=$(vm_gpiosim_chip)
cat >"$VM_RUN/g.conf" <<CONF
[gpiod-ctl]
press-ms = 600
capture-reset = $chip:4
CONF
vm_daemon_start gpiod-ctl --config "$VM_RUN/g.conf"
[ "$(vm_gpiosim_value 4)" = 0 ] || vm_fail "capture-reset is not idle"

# no such device: no picture from the start
vm_daemon_start capd --config /dev/null --source /dev/video7 \
	--reset-after 2 --gpiod-socket "$VM_RUN/gpiod-ctl.sock"
vm_gpiosim_wait 4 1 20
vm_log "capture-reset pulsed"
vm_gpiosim_wait 4 0 10
requested=$(curl -sS --max-time 10 --unix-socket "$VM_RUN/capd.sock" \
	http://kvm/state | sed -n 's/.*"requested": *\([0-9]*\).*/\1/p')
[ "${requested:-0}" -ge 1 ] || vm_fail "capd counted $requested resets"
grep -q "capture-reset pulsed" "$VM_OUT/capd.log" ||
	vm_fail "capd did not log gpiod-ctl's answer"
vm_pass "no picture for 2 s -> capture-reset pulsed through gpiod-ctl"
