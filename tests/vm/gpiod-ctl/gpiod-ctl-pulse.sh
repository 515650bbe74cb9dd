#!/bin/sh
# gpiod-ctl-pulse -- the real libgpiod backend on gpio-sim: outputs start at
# their inactive level (active-low ones high), a pulse shows on the sim
# line's value with the requested length, chips are found by name, /dev
# path and label, and bad requests drive nothing.
# vm-timeout: 150
. "$VM_LIB"

vm_need gpio
chip=$(vm_gpiosim_chip)
label=$(gpiodetect | sed -n "s/^$chip \[\(.*\)\] .*/\1/p")
[ -n "$label" ] || vm_fail "no label for $chip in: $(gpiodetect)"
G="python3 $VM_SRC/tests/vm/gpiod-ctl/gpiovm.py"

cat >"$VM_RUN/g.conf" <<CONF
[gpiod-ctl]
lockout-ms = 200
max-pulse-ms = 60000
power-button = $chip:0
reset-button = $chip:1 active-low
power-led = $chip:2 active-low
hdd-led = $chip:3
capture-reset = /dev/$chip:4
hid-reset = $label:5
line.user0 = $chip:6 output
CONF
"$VM_BUILD/gpiod-ctl/gpiod-ctl" --config "$VM_RUN/g.conf" --check-config ||
	vm_fail "--check-config refused a good config"
vm_daemon_start gpiod-ctl --config "$VM_RUN/g.conf"

for l in 0 4 5 6; do
	[ "$(vm_gpiosim_value $l)" = 0 ] || vm_fail "line $l not low at start"
done
[ "$(vm_gpiosim_value 1)" = 1 ] ||
	vm_fail "active-low reset-button not high (inactive) at start"
[ "$($G state backend)" = gpiod ] || vm_fail "backend is not gpiod"
[ "$($G state lines.hdd-led.edge_events)" = true ] ||
	vm_fail "gpio-sim inputs should get edge events"
[ "$($G state lines.hid-reset.chip)" = "$chip" ] ||
	vm_fail "the label $label did not resolve to $chip"

$G press /pulse '{"line": "capture-reset", "ms": 300}' 4 1 300 250
$G press /pulse '{"line": "reset-button", "ms": 200}' 1 0 200 250
$G press /pulse '{"line": "user0", "ms": 100}' 6 1 100 250
[ "$(vm_gpiosim_value 1)" = 1 ] || vm_fail "reset-button not back high"

out=$($G call POST /pulse '{"line": "hid-reset", "ms": 999999}')
case $out in 400*) ;; *) vm_fail "ms out of range: $out" ;; esac
out=$($G call POST /pulse '{"line": "nope"}')
case $out in 400*) ;; *) vm_fail "unknown line: $out" ;; esac
$G steady 5 0 0.3

# One press at a time per line.  The first press is long: under TCG on a
# loaded machine starting the next request alone can take seconds.
out=$($G call POST /pulse '{"line": "hid-reset", "ms": 40000, "wait": false}')
case $out in 200*) ;; *) vm_fail "hid-reset pulse: $out" ;; esac
vm_gpiosim_wait 5 1 2
out=$($G call POST /pulse '{"line": "hid-reset", "ms": 10}')
case $out in 409*busy*) ;; *) vm_fail "second pulse not busy: $out" ;; esac
# stopping mid-press drives the line inactive at once
vm_daemon_stop gpiod-ctl
vm_gpiosim_wait 5 0 5
vm_pass "pulses seen on gpio-sim with their lengths; active-low inverts"
