#!/bin/sh
# mediad-cdrom -- ISOs built with xorriso, uploaded to mediad and mounted as
# a CD: the target reads the volume label and a file's exact content from
# its CD drive; a swap shows the new medium; while a target process holds
# the drive open (door locked) a plain eject is refused with 409 and a
# forced eject works.
# vm-timeout: 240
. "$VM_LIB"
. "$VM_SRC/tests/vm/mediad/common.sh"

command -v xorriso >/dev/null || vm_skip "xorriso is not installed"
vm_need gadget
vm_gadget setup --udc dummy_udc.0
cd=$(vm_cdrom_find)
[ -f "$LUN/file" ] || vm_fail "no $LUN/file"

# Two small ISOs with a label and a file of their own.
for n in one two; do
	mkdir -p "$VM_RUN/$n"
	echo "the $n medium, $(cat /proc/sys/kernel/random/uuid)" \
		>"$VM_RUN/$n/hello.txt"
	head -c 1000000 /dev/urandom >"$VM_RUN/$n/random.bin"
	label=$(echo "KVM_$n" | tr a-z A-Z)
	xorriso -as mkisofs -quiet -V "$label" -o "$VM_RUN/$n.iso" \
		"$VM_RUN/$n" 2>/dev/null || vm_fail "xorriso failed for $n"
done

mkdir -p "$VM_RUN/images" "$VM_RUN/mnt"
vm_daemon_start mediad --images "$VM_RUN/images" --lun "$LUN" \
	--reserve-mb 1
md_upload "$VM_RUN/one.iso" one.iso
md_upload "$VM_RUN/two.iso" two.iso

# The volume label: 32 bytes at offset 40 of the primary volume descriptor
# (sector 16).
label() {
	dd if="$cd" bs=2048 skip=16 count=1 2>/dev/null |
		dd bs=1 skip=40 count=32 2>/dev/null | tr -d ' \0'
}
label_is() {
	[ "$(label)" = "$1" ]
}
# Mount the target's CD and compare a file with what went into the ISO.
check_content() {
	mount -t iso9660 -o ro "$cd" "$VM_RUN/mnt" ||
		vm_fail "the target cannot mount $cd"
	cmp "$VM_RUN/mnt/hello.txt" "$VM_RUN/$1/hello.txt" ||
		vm_fail "hello.txt on $cd differs from the $1 ISO's"
	cmp "$VM_RUN/mnt/random.bin" "$VM_RUN/$1/random.bin" ||
		vm_fail "random.bin on $cd differs from the $1 ISO's"
	umount "$VM_RUN/mnt"
}

md_call POST /mount '{"image": "one.iso"}' 200 >/dev/null
[ "$(cat "$LUN/cdrom")" = 1 ] && [ "$(cat "$LUN/ro")" = 1 ] ||
	vm_fail "cdrom/ro not set on the LUN"
vm_wait 30 "label KVM_ONE on $cd" label_is KVM_ONE
modprobe isofs 2>/dev/null || :
check_content one
vm_log "the target reads the first ISO"

md_call POST /mount '{"image": "two.iso"}' 200 >/dev/null
vm_wait 30 "label KVM_TWO on $cd after the swap" label_is KVM_TWO
check_content two
vm_log "the target sees the swapped medium"

# A target process holds the drive open: sr locks the door.
sleep 600 <"$cd" &
holder=$!
VM_BG="$VM_BG $holder"
sleep 1
out=$(md_call POST /eject '{}' 409)
case $out in
*"locked by the target"*) ;;
*) vm_fail "plain eject while locked: $out" ;;
esac
grep -q "$VM_RUN/images/two.iso" "$LUN/file" ||
	vm_fail "the medium left although the eject was refused"
md_call GET /state '' 200 | grep -q '"locked_by_target":true' ||
	vm_fail "/state does not say locked by the target"
vm_log "plain eject refused while the door is locked"

if [ -e "$LUN/forced_eject" ]; then
	md_call POST /eject '{"force": true}' 200 >/dev/null
	[ -z "$(cat "$LUN/file")" ] || vm_fail "forced eject left a medium"
	vm_log "forced eject worked"
	msg="forced eject works"
else
	out=$(md_call POST /eject '{"force": true}' 409)
	case $out in
	*forced_eject*) ;;
	*) vm_fail "forced eject without forced_eject: $out" ;;
	esac
	msg="forced eject refused clearly (no forced_eject in $VM_KVER)"
fi
kill "$holder"
vm_daemon_stop mediad
vm_pass "label and content read from $cd, swap seen, locked eject 409, $msg"
