#!/bin/sh
# mediad-private-ns -- a CD mounted by mediad in a private mount namespace,
# as systemd runs it (ProtectSystem=strict with StateDirectory= bind-mounts
# the store into the service's own namespace), survives a restart of mediad
# while the target holds its drive open (the door locked, as udev does on a
# desktop): the real kernel then reports the LUN's file relative to the old
# namespace's bind mount, mediad recognises the medium by its inode, leaves
# the locked drive alone and says what is mounted.  The namespace is made
# with unshare -m and a bind mount here, the same kernel mechanism systemd
# uses.
# vm-timeout: 240
. "$VM_LIB"
. "$VM_SRC/tests/vm/mediad/common.sh"

vm_need gadget
vm_gadget setup --udc dummy_udc.0
bin=$(vm_bin mediad)
cd=$(vm_cdrom_find)
[ -f "$LUN/file" ] || vm_fail "no $LUN/file"

# The store lives in $VM_RUN/store; mediad sees it at $VM_RUN/images, a
# bind mount in its own mount namespace (outside, $VM_RUN/images is empty).
mkdir -p "$VM_RUN/store" "$VM_RUN/images"
head -c $((2048 * 1024)) /dev/urandom >"$VM_RUN/disc.iso"
want=$(head -c 8192 "$VM_RUN/disc.iso" | sha256sum | cut -d' ' -f1)

# md_start_private: mediad in a fresh private mount namespace; the pid of
# unshare is mediad's (sh and unshare exec).
md_start_private() {
	unshare -m --propagation private sh -c \
		'mount --bind "$1" "$2" && shift 2 && exec "$@"' sh \
		"$VM_RUN/store" "$VM_RUN/images" \
		"$bin" --socket "$SOCK" --images "$VM_RUN/images" --lun "$LUN" \
		--state-file "$VM_RUN/store/.mediad-state.json" --reserve-mb 1 \
		>>"$VM_OUT/mediad.log" 2>&1 &
	md_pid=$!
	VM_BG="$VM_BG $md_pid"
	vm_wait 60 "mediad answering on $SOCK" \
		curl -sf --max-time 5 --unix-socket "$SOCK" -o /dev/null \
		http://kvm/state
}
md_stop_private() {
	kill -TERM "$md_pid"
	_st=0
	wait "$md_pid" || _st=$?
	[ "$_st" = 0 ] || vm_fail "mediad exited with $_st on SIGTERM"
}

md_start_private
md_upload "$VM_RUN/disc.iso" disc.iso
md_call POST /mount '{"image": "disc.iso"}' 200 >/dev/null
[ "$(vm_sr_read "$cd" 8192)" = "$want" ] ||
	vm_fail "the target does not read disc.iso from $cd"
vm_log "mounted from the private namespace: the LUN says $(cat "$LUN/file")"

# The target opens its drive: sr locks the door.
sleep 600 <"$cd" &
holder=$!
VM_BG="$VM_BG $holder"
sleep 1

md_stop_private
read -r seen <"$LUN/file"
vm_log "mediad stopped; the kernel now reports the LUN's file as '$seen'"
case $seen in
"$VM_RUN/images/disc.iso")
	vm_fail "the kernel still reports the full path: no private-namespace difference to test"
	;;
*/disc.iso) ;;
*) vm_fail "the LUN lost its medium when mediad stopped: '$seen'" ;;
esac

md_start_private
st=$(md_call GET /state '' 200)
case $st in
*'"image":"disc.iso"'*) ;;
*) vm_fail "after the restart mediad does not see disc.iso mounted: $st" ;;
esac
case $st in
*'"problem":"'*) vm_fail "after the restart /state reports a problem: $st" ;;
esac
read -r now <"$LUN/file"
[ "$now" = "$seen" ] ||
	vm_fail "mediad changed the locked drive's medium: '$now' (was '$seen')"
[ "$(vm_sr_read "$cd" 8192)" = "$want" ] ||
	vm_fail "the target no longer reads disc.iso"
# what is mounted cannot be deleted
md_call DELETE /images/disc.iso '' 409 >/dev/null
kill "$holder"
md_stop_private
vm_pass "a restart in a new private namespace keeps disc.iso (the kernel says '$seen'), the locked drive untouched"
