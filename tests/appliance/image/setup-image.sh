#!/bin/sh
# setup-image.sh -- run once in the image's chroot by image.py (then removed):
# the test machine's own settings, none of them the package's.
set -eu
echo kvm-appliance >/etc/hostname
printf '127.0.0.1\tlocalhost\n127.0.1.1\tkvm-appliance\n' >/etc/hosts
printf '/dev/vda\t/\text4\trw,errors=remount-ro\t0\t0\n' >/etc/fstab
# No root password: nobody logs in, the checks use qemu-guest-agent.
passwd -d root >/dev/null
systemctl enable systemd-networkd.service kvmtest-gpiosim.service
# Nothing that runs on its own clock or waits for a network we do not have.
systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer \
	e2scrub_reap.service fstrim.timer systemd-networkd-wait-online.service \
	serial-getty@ttyS0.service getty@tty1.service >/dev/null 2>&1
# The gadget's keyboard is this kernel's own (the machine is its own
# target): Ctrl+Alt+Del typed through the KVM must not reboot it.
systemctl mask ctrl-alt-del.target >/dev/null 2>&1
ln -sf /proc/self/mounts /etc/mtab
mkdir -p /mnt/kvmtest
apt-get clean
rm -f /setup-image.sh
