#!/bin/sh
# guest.sh -- stage 2 of the VM: runs in the chroot of the host root.
# Sets up what every scenario shares (configfs, the environment), runs the
# scenario under a hard time limit, prints the kernel log tail and the
# daemon logs when it fails, and leaves its exit status in $VM_OUT/status
# for vmrun.py (tests/lib/kvmtest).

export PATH=/usr/bin:/usr/sbin:/bin:/sbin
export HOME=/tmp LANG=C.UTF-8 TERM=dumb
export VM_SRC=/run/vm/src VM_BUILD=/run/vm/build VM_OUT=/run/vm/out
export VM_RUN=/run/vm VM_LIB=/run/vm/src/tests/vm/lib.sh
# the tests' Python helpers (tests/lib/kvmtest), for gpiovm.py
export PYTHONPATH=$VM_SRC/tests/lib
VM_KVER=$(uname -r)
export VM_KVER
echo "@@vm stage2 $(cut -d' ' -f1 /proc/uptime)"

. "$VM_OUT/job"
export VM_NAME VM_TIMEOUT

status=1
finish() {
	echo "$status" >"$VM_OUT/status.tmp" && mv "$VM_OUT/status.tmp" \
		"$VM_OUT/status"
	sync
	exit 0
}

# Stage 1 mounted configfs already; a builtin read loop spares a process.
have_configfs=
while read -r _dev mnt fstype _rest; do
	[ "$mnt $fstype" != "/sys/kernel/config configfs" ] || have_configfs=1
done </proc/mounts
if [ -z "$have_configfs" ]; then
	if ! modprobe configfs || ! mount -t configfs configfs /sys/kernel/config
	then
		echo "FAIL: cannot mount configfs"
		finish
	fi
fi
mkdir -p "$VM_RUN/work"
cd "$VM_RUN/work" || finish

read -r t_start _ </proc/uptime
echo "@@vm scenario-start $t_start"
timeout -k 10 "$VM_TIMEOUT" sh "$VM_OUT/scenario.sh"
status=$?
echo "@@vm scenario-end $(cut -d' ' -f1 /proc/uptime) status $status"

case $status in
0)
	echo "PASS: $VM_NAME"
	;;
77)
	echo "SKIPPED: $VM_NAME"
	;;
*)
	if [ "$status" = 124 ] || [ "$status" = 137 ]; then
		echo "FAIL: $VM_NAME: the scenario did not finish within" \
			"${VM_TIMEOUT}s (killed)"
	else
		echo "FAIL: $VM_NAME: exit status $status"
	fi
	echo "---- kernel log since the scenario started (last 80 lines) ----"
	dmesg | awk -v t="$t_start" '
		/^\[/ { s = $0; sub(/^\[ */, "", s); sub(/\].*/, "", s)
			keep = (s + 0 >= t + 0) }
		keep' | tail -n 80
	for f in "$VM_OUT"/*.log; do
		[ -f "$f" ] || continue
		echo "---- $(basename "$f") (last 80 lines) ----"
		tail -n 80 "$f"
	done
	echo "----"
	;;
esac
finish
