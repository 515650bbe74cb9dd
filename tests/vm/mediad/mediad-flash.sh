#!/bin/sh
# mediad-flash -- an empty image mounted as a read-write flash drive: the
# target writes a file system onto it, mediad ejects, and the image in the
# store (and its download) holds what the target wrote.
# vm-timeout: 240
. "$VM_LIB"
. "$VM_SRC/tests/vm/mediad/common.sh"

command -v mkfs.ext4 >/dev/null && command -v debugfs >/dev/null ||
	vm_skip "e2fsprogs (mkfs.ext4, debugfs) is not installed"
vm_need gadget
# A disk from the start: the target learns the device type when it
# enumerates the gadget.
vm_gadget setup --udc dummy_udc.0 --storage-mode disk
mkdir -p "$VM_RUN/images" "$VM_RUN/content"
head -c 16777216 /dev/zero >"$VM_RUN/blank.img"
vm_daemon_start mediad --images "$VM_RUN/images" --lun "$LUN" \
	--reserve-mb 1
md_upload "$VM_RUN/blank.img" disk.img
rm "$VM_RUN/blank.img"
md_call POST /mount '{"image": "disk.img", "cdrom": false, "readonly": false}' \
	200 >/dev/null
[ "$(cat "$LUN/ro")" = 0 ] && [ "$(cat "$LUN/cdrom")" = 0 ] ||
	vm_fail "ro/cdrom not 0 on the LUN"

# The target's disk: the sd device whose model is the gadget's.
find_disk() {
	for s in /sys/block/sd*; do
		[ -e "$s" ] || continue
		case $(cat "$s/device/model") in
		"Virtual Media"*)
			# The target stopped polling the empty drive at probe
			# time (as udisks would, reading it makes it look).
			dd if="/dev/${s##*/}" of=/dev/null bs=512 count=1 \
				2>/dev/null || continue
			[ "$(cat "$s/size")" -gt 0 ] || continue
			echo "/dev/${s##*/}"
			return 0
			;;
		esac
	done
	return 1
}
vm_wait 30 "the gadget's disk with a medium on the target" find_disk
disk=$(find_disk)
vm_log "target disk $disk"

echo "written by the target $(cat /proc/sys/kernel/random/uuid)" \
	>"$VM_RUN/content/hello.txt"
mkfs.ext4 -q -F -L TARGETFS -d "$VM_RUN/content" "$disk" ||
	vm_fail "the target cannot write a file system on $disk"
sync
blockdev --flushbufs "$disk" 2>/dev/null || :
md_call POST /eject '{}' 200 >/dev/null
[ -z "$(cat "$LUN/file")" ] || vm_fail "eject left a medium"

img=$VM_RUN/images/disk.img
[ "$(blkid -o value -s LABEL "$img")" = TARGETFS ] ||
	vm_fail "the image has no file system labelled TARGETFS"
debugfs -R "cat /hello.txt" "$img" 2>/dev/null >"$VM_RUN/got.txt"
cmp "$VM_RUN/got.txt" "$VM_RUN/content/hello.txt" ||
	vm_fail "hello.txt in the image differs from what the target wrote"
curl -sS --unix-socket "$SOCK" -o "$VM_RUN/download.img" \
	http://kvm/images/disk.img || vm_fail "download failed"
cmp "$VM_RUN/download.img" "$img" || vm_fail "the download differs"
vm_daemon_stop mediad
vm_pass "the target wrote an ext4 file system; after the eject the image and its download hold it"
