#!/bin/sh
# guest.sh -- the appliance checks' hands inside the VM (run as root by
# qemu-guest-agent, from the 9p share): find the target side's input
# devices and CD drive, record input events, read the gpio-sim lines.
# Reuses tests/vm/lib.sh (copied beside it) for what it already does.
# Usage: guest.sh COMMAND ARGS...; prints the answer, exits non-zero with a
# message on stderr when something is not there in time.
here=$(dirname "$0")
VM_RUN=/run/kvmtest
VM_BUILD=$here/build
mkdir -p "$VM_RUN"
# shellcheck source=../vm/lib.sh
. "$here/lib.sh"
trap - EXIT

gpiosim() {
	_cfg=/sys/kernel/config/gpio-sim/kvm
	[ -d "$_cfg" ] || vm_fail "no gpio-sim chip 'kvm' (kvmtest-gpiosim.service)"
	echo "/sys/devices/platform/$(cat "$_cfg/dev_name")/$(cat "$_cfg/bank0/chip_name")"
}

# The hidraw node of the HID device behind an input device (the target's
# view of one gadget function, reports as received).
hidraw_of() {
	for _h in "/sys/class/input/${1##*/}/device/device/hidraw/"hidraw*; do
		if [ -e "$_h" ]; then
			echo "/dev/${_h##*/}"
			return 0
		fi
	done
	vm_fail "no hidraw device beside $1"
}

# Appends each report read from the hidraw nodes to LOG as "UPTIME LABEL:
# xx xx ..." (one read is one report), and touches READY once they are
# open.  Perl is perl-base (essential): no tool to add to the image.
# shellcheck disable=SC2016
HID_DUMP='
use strict;
my ($log, $ready, @devs) = @ARGV;
open(my $out, ">>", $log) or die "$log: $!\n";
my (@fh, @label);
for (@devs) {
	my ($d, $l) = split /,/;
	$l =~ s{/}{ };
	open(my $h, "<", $d) or die "$d: $!\n";
	push @fh, $h;
	push @label, $l;
}
open(my $r, ">", $ready) or die "$ready: $!\n";
close $r;
my $rin = "";
vec($rin, fileno($_), 1) = 1 for @fh;
for (;;) {
	next unless select(my $rout = $rin, undef, undef, undef) > 0;
	for my $i (0 .. $#fh) {
		next unless vec($rout, fileno($fh[$i]), 1);
		my $n = sysread($fh[$i], my $buf, 64);
		die "$devs[$i]: " . (defined $n ? "gone" : $!) . "\n" unless $n;
		open(my $u, "<", "/proc/uptime") or die "/proc/uptime: $!\n";
		my ($up) = split / /, <$u>;
		close $u;
		syswrite($out, sprintf("%s %s: %s\n", $up, $label[$i],
		    join(" ", unpack("(H2)*", $buf))));
	}
}'

cmd=$1
shift
case $cmd in
input-find)
	# input-find keyboard|mouse-abs|mouse-rel [TIMEOUT]
	vm_input_find "$1" KaputtKVM "${2:-60}"
	;;
record)
	# record DEV NAME: decode DEV's events into $VM_RUN/NAME.events, in
	# the background, until "record-stop NAME"
	f=$VM_RUN/$2.events
	: >"$f"
	echo 0 >"$VM_RUN/$2.pos"
	setsid "$VM_BUILD/tests/vm/evdev-dump" "$1" >"$f" 2>&1 </dev/null &
	echo $! >"$VM_RUN/$2.pid"
	vm_wait 60 "the event reader on $1" grep -q '^# ready' "$f"
	;;
record-stop)
	kill "$(cat "$VM_RUN/$1.pid")" 2>/dev/null || :
	;;
expect)
	# expect NAME 'EV_KEY KEY_A 1' [TIMEOUT]
	vm_input_expect "$1" "$2" "${3:-30}"
	;;
led)
	# led DEV VALUE: the target sets Caps Lock's LED (struct input_event:
	# 16 bytes of time, type EV_LED = 0x11, code LED_CAPSL = 1, value),
	# then EV_SYN.
	z8='\0\0\0\0\0\0\0\0'
	v=$(printf '\\%03o' "$2")
	{
		# shellcheck disable=SC2059
		printf "$z8$z8\\021\\0\\001\\0$v\\0\\0\\0"
		printf "$z8$z8$z8"
	} >"$1" || vm_fail "cannot write the LED event to $1"
	;;
leds)
	# leds DEV BYTE: the target sets its keyboard LEDs as an LED output
	# report's byte says (1 Num Lock, 2 Caps Lock, 4 Scroll Lock): EV_LED
	# LED_NUML, LED_CAPSL, LED_SCROLLL, then EV_SYN, as struct input_event
	{
		for _c in 0 1 2; do
			_v=$((($2 >> _c) & 1))
			# shellcheck disable=SC2059
			printf '\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\021\0'"\\00$_c"'\0'"\\00$_v"'\0\0\0'
		done
		printf '\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0'
	} >"$1" || vm_fail "cannot write the LED events to $1"
	;;
hid-record)
	# hid-record LOG: every report the target receives from the gadget's
	# keyboard, absolute and relative mouse (their /dev/hidraw*), appended
	# to LOG in the demo's hid-reports.log format ("UPTIME hidg0 keyboard:
	# 02 00 0b 00 00 00 00 00"; hidg0-2 are the demo's names of these
	# three functions), in the background until "record-stop hid"
	_args=
	for _k in keyboard:hidg0/keyboard mouse-abs:hidg1/mouse \
		mouse-rel:hidg2/relmouse; do
		_ev=$(vm_input_find "${_k%%:*}" KaputtKVM 60) || exit 1
		_raw=$(hidraw_of "$_ev") || exit 1
		_args="$_args $_raw,${_k#*:}"
	done
	mkdir -p "$(dirname "$1")"
	: >>"$1"
	rm -f "$VM_RUN/hid.ready"
	# shellcheck disable=SC2086
	setsid perl -e "$HID_DUMP" "$1" "$VM_RUN/hid.ready" $_args \
		</dev/null >"$VM_RUN/hid.err" 2>&1 &
	echo $! >"$VM_RUN/hid.pid"
	vm_wait 30 "the hidraw reader ($(cat "$VM_RUN/hid.err"))" \
		test -e "$VM_RUN/hid.ready"
	;;
cdrom)
	vm_cdrom_find "${1:-60}"
	;;
sr-sha)
	# sr-sha DEV [TIMEOUT]: sha256 of the whole medium once one is in
	vm_wait "${2:-60}" "a readable medium in $1" \
		dd if="$1" of=/dev/null bs=2048 count=1
	sha256sum <"$1" | cut -d' ' -f1
	;;
gpiosim-dev)
	# the gpio-sim chip's character device, /dev/gpiochipN
	echo "/dev/$(basename "$(gpiosim)")"
	;;
usb-target)
	# the gadget as the target enumerated it: "BUS DEVNUM" (a new
	# enumeration, e.g. after the gadget was rebuilt, gets a new DEVNUM)
	for _d in /sys/bus/usb/devices/*; do
		[ -r "$_d/manufacturer" ] || continue
		read -r _m <"$_d/manufacturer"
		[ "$_m" = KaputtKVM ] || continue
		read -r _b <"$_d/busnum"
		read -r _n <"$_d/devnum"
		echo "$_b $_n"
		exit 0
	done
	vm_fail "the target sees no USB device from manufacturer KaputtKVM"
	;;
gpio-pull)
	echo "pull-$2" >"$(gpiosim)/sim_gpio$1/pull"
	;;
gpio-value)
	cat "$(gpiosim)/sim_gpio$1/value"
	;;
gpio-watch)
	# gpio-watch OFFSET NAME: log each change of the driven value of a
	# line into $VM_RUN/NAME.gpio, in the background, until
	# "record-stop NAME" (shell builtins only: a process per sample
	# would miss a 100 ms press under TCG)
	d=$(gpiosim)/sim_gpio$1/value
	f=$VM_RUN/$2.gpio
	: >"$f"
	setsid sh -c '
		last=x
		while :; do
			read -r v <"$1"
			if [ "$v" != "$last" ]; then
				echo "$v" >>"$2"
				last=$v
			fi
		done' watch "$d" "$f" </dev/null >/dev/null 2>&1 &
	echo $! >"$VM_RUN/$2.pid"
	vm_wait 30 "the first sample of line $1" test -s "$f"
	;;
*)
	vm_fail "guest.sh: unknown command '$cmd'"
	;;
esac
