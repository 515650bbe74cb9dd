#!/bin/sh
# gpiod-ctl-crash -- kill -9 during a long press, restart: the lines are
# driven inactive again at once (an active-low one back high).
# vm-timeout: 120
. "$VM_LIB"

vm_need gpio
chip=$(vm_gpiosim_chip)
G="python3 $VM_SRC/tests/vm/gpiod-ctl/gpiovm.py"

cat >"$VM_RUN/g.conf" <<CONF
[gpiod-ctl]
max-pulse-ms = 20000
reset-button = $chip:1 active-low
line.user0 = $chip:6 output
CONF
vm_daemon_start gpiod-ctl --config "$VM_RUN/g.conf"
[ "$(vm_gpiosim_value 1)" = 1 ] || vm_fail "reset-button not high at start"
$G call POST /pulse '{"line": "reset-button", "ms": 15000, "wait": false}'
$G call POST /pulse '{"line": "user0", "ms": 15000, "wait": false}'
vm_gpiosim_wait 1 0 2
vm_gpiosim_wait 6 1 2

pid=$(echo "$VM_DAEMONS" | tr ' ' '\n' | sed -n 's/^gpiod-ctl=//p')
[ -n "$pid" ] || vm_fail "no pid for gpiod-ctl"
kill -KILL "$pid"
wait "$pid" 2>/dev/null || :
vm_log "after kill -9: reset-button level $(vm_gpiosim_value 1)," \
	"user0 level $(vm_gpiosim_value 6)"
VM_DAEMONS=$(echo "$VM_DAEMONS" | tr ' ' '\n' | grep -v "^gpiod-ctl=" |
	tr '\n' ' ')

vm_daemon_start gpiod-ctl --config "$VM_RUN/g.conf"
vm_gpiosim_wait 1 1 2
vm_gpiosim_wait 6 0 2
[ "$($G state lines.reset-button.busy)" = false ] ||
	vm_fail "restarted daemon thinks reset-button is busy"
$G steady 1 1 0.5
vm_daemon_stop gpiod-ctl
vm_pass "after kill -9 mid-press, a restart drove the lines inactive"
