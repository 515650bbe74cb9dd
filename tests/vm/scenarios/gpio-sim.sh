#!/bin/sh
# gpio-sim -- the simulated chip is visible to libgpiod's tools: lines carry
# their names, a gpioset output shows in the sim's value, a pull shows in
# gpioget.
# vm-timeout: 180
. "$VM_LIB"

vm_need gpio
chip=$(vm_gpiosim_chip)
command -v gpiodetect >/dev/null || vm_skip "gpiod tools not installed"
gpiodetect | grep "^$chip " | grep -q '(8 lines)' ||
	vm_fail "gpiodetect does not list $chip with 8 lines: $(gpiodetect)"
info=$(gpioinfo "$chip")
echo "$info" | grep -q '"power-button"' ||
	vm_fail "line names missing from gpioinfo: $info"

# libgpiod 1.6: gpioset holds the line until a signal with --mode=signal.
gpioset --mode=signal "$chip" 0=1 &
setter=$!
VM_BG="$VM_BG $setter"
vm_gpiosim_wait 0 1
kill "$setter"
wait "$setter" || :
vm_gpiosim_wait 0 0 5

vm_gpiosim_pull 2 up
[ "$(gpioget "$chip" 2)" = 1 ] || vm_fail "pull up on line 2: gpioget != 1"
vm_gpiosim_pull 2 down
[ "$(gpioget "$chip" 2)" = 0 ] || vm_fail "pull down on line 2: gpioget != 0"
vm_pass "gpiodetect/gpioinfo see $chip; gpioset and pulls work"
