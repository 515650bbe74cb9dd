#!/bin/sh
# hidd-gadget-rebuilt -- the gadget rebuilt underneath running hidd and
# mediad (gadget/kaputtkvm-gadget teardown, then setup: what a restart of
# kaputtkvm-gadget.service runs): the /dev/hidgN hidd holds and the LUN
# directory mediad holds are removed and made again.  Without restarting
# either daemon, a key then reaches the target's new keyboard, and the CD
# mediad had mounted is back in the target's new drive.
# vm-timeout: 240
. "$VM_LIB"
. "$VM_SRC/tests/vm/mediad/common.sh"

vm_need gadget
vm_gadget setup --udc dummy_udc.0
vm_bin mediad >/dev/null
kbd=$(vm_input_find keyboard)
vm_input_record "$kbd" kbd
vm_daemon_start hidd --keyboard "$(vm_hidg keyboard)" \
	--mouse "$(vm_hidg mouse)" --mouse-rel "$(vm_hidg relmouse)"
mkdir -p "$VM_RUN/images"
vm_daemon_start mediad --images "$VM_RUN/images" --lun "$LUN" \
	--reserve-mb 1
hidd_pid=$(pidof hidd)
mediad_pid=$(pidof mediad)

head -c $((2048 * 1024)) /dev/urandom >"$VM_RUN/disc.iso"
want=$(head -c 8192 "$VM_RUN/disc.iso" | sha256sum | cut -d' ' -f1)
md_upload "$VM_RUN/disc.iso" disc.iso
md_call POST /mount '{"image": "disc.iso"}' 200 >/dev/null
[ "$(vm_sr_read "$(vm_cdrom_find)" 8192)" = "$want" ] ||
	vm_fail "the target does not read disc.iso"
vm_http hidd POST /key '{"code": "KeyA"}' >/dev/null
vm_http hidd POST /key '{"code": "KeyA", "down": false}' >/dev/null
vm_input_expect kbd 'EV_KEY KEY_A 0'
vm_log "before: a key and the CD reach the target"

vm_gadget teardown
[ ! -e "$LUN" ] || vm_fail "the teardown left $LUN"
vm_wait 60 "the target's CD drive to go" sh -c '! ls /sys/block/sr* >/dev/null 2>&1'
vm_gadget setup --udc dummy_udc.0
vm_log "gadget rebuilt: $(vm_hidg keyboard), $LUN made again"

# mediad mounts disc.iso on the new LUN by itself
vm_wait 30 "mediad to mount disc.iso on the new LUN" \
	grep -q "/disc.iso" "$LUN/file"
cd=$(vm_cdrom_find)
[ "$(vm_sr_read "$cd" 8192)" = "$want" ] ||
	vm_fail "after the rebuild the target does not read disc.iso from $cd"
md_call GET /state '' 200 | grep -q '"image":"disc.iso"' ||
	vm_fail "mediad's /state does not show disc.iso mounted"

# hidd writes to the new /dev/hidg0
kbd=$(vm_input_find keyboard)
vm_input_record "$kbd" kbd2
online() {
	curl -s --unix-socket "$VM_RUN/hidd.sock" http://kvm/state |
		grep -q '"online":true'
}
vm_wait 60 "hidd online on the rebuilt gadget" online
vm_http hidd POST /key '{"code": "KeyB"}' >/dev/null
vm_input_expect kbd2 'EV_KEY KEY_B 1'
vm_http hidd POST /key '{"code": "KeyB", "down": false}' >/dev/null
vm_input_expect kbd2 'EV_KEY KEY_B 0'

[ "$(pidof hidd)" = "$hidd_pid" ] && [ "$(pidof mediad)" = "$mediad_pid" ] ||
	vm_fail "a daemon was restarted"
vm_daemon_stop hidd
vm_daemon_stop mediad
vm_pass "after the gadget rebuild a key reaches the target and disc.iso is back, same daemons"
