#!/bin/sh
# gadget-cdrom -- a medium written to the LUN's file is read back from the
# target's /dev/sr0 byte for byte; emptying the file ejects it.
# vm-timeout: 240
. "$VM_LIB"

vm_need gadget
vm_gadget setup --udc dummy_udc.0
lun=$(vm_lun)
[ "$(cat "$lun/cdrom")" = 1 ] || vm_fail "the LUN is not in CD-ROM mode"
[ "$(cat "$lun/removable")" = 1 ] || vm_fail "the LUN is not removable"
sr=$(vm_cdrom_find)
img=$VM_RUN/medium.img
head -c 1048576 /dev/urandom >"$img"
want=$(sha256sum <"$img" | cut -d' ' -f1)
echo "$img" >"$lun/file" || vm_fail "cannot insert $img into $lun"
got=$(vm_sr_read "$sr" 1048576)
[ "$got" = "$want" ] || vm_fail "$sr reads back $got, want $want"
echo >"$lun/file" || vm_fail "cannot eject (is $sr open?)"
[ -z "$(cat "$lun/file")" ] || vm_fail "the LUN still has a medium"
vm_wait 60 "$sr to report no medium" sh -c \
	"! dd if=$sr of=/dev/null bs=2048 count=1"
vm_pass "1 MiB medium read back from $sr, then ejected"
