#!/bin/sh
# init.sh -- stage 1 of the VM: the initramfs's /init (busybox sh).
# Loads the 9p/virtio modules and configfs, mounts the host root read-only
# with writable tmpfs on /run and /tmp and configfs on /sys/kernel/config,
# mounts the source, build and results shares under /run/vm, chroots into
# the host root to run guest.sh (stage 2), then powers off.  It stays PID 1
# throughout so the power-off always happens.

PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "@@vm stage1 $(cut -d' ' -f1 /proc/uptime)"

fail() {
	echo "vm-init: $*"
	echo "@@vm init-failed"
	poweroff -f
}

for m in $(cat /modules/order); do
	insmod "/modules/$m.ko" || fail "insmod $m failed"
done

# The host root, the sources and the build dir do not change while one
# scenario runs: cache them in the guest (exec over 9p is slow).
opts=trans=virtio,version=9p2000.L,msize=512000
mount -t 9p -o "$opts,ro,cache=loose" hostroot /host ||
	fail "cannot mount the host root over 9p"
mount -t tmpfs -o mode=0755,size=256m tmpfs /host/run || fail "tmpfs /run"
mount -t tmpfs -o mode=1777,size=256m tmpfs /host/tmp || fail "tmpfs /tmp"
mkdir -p /host/run/vm/src /host/run/vm/build /host/run/vm/out \
	/host/run/vm/lib /host/run/lock
mount -t 9p -o "$opts,ro,cache=loose" src /host/run/vm/src || fail "9p src"
mount -t 9p -o "$opts,ro,cache=loose" build /host/run/vm/build ||
	fail "9p build"
mount -t 9p -o "$opts" out /host/run/vm/out || fail "9p out"
mount -o bind /proc /host/proc
mount -o bind /sys /host/sys
mount -t configfs configfs /host/sys/kernel/config || fail "configfs"
mount -o bind /dev /host/dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /host/dev/pts
mount -t tmpfs tmpfs /host/dev/shm
cp /lib/* /host/run/vm/lib/ 2>/dev/null
cp /bin/busybox /host/run/vm/lib/busybox

chroot /host /bin/sh /run/vm/src/tests/vm/guest.sh
echo "vm-init: stage 2 exited with $?"
sync
umount /host/run/vm/out
poweroff -f
