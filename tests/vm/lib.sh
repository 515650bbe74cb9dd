# lib.sh -- helpers for VM scenarios; source it first: . "$VM_LIB"
# Runs inside the VM (the host root, chrooted, as root).  Every helper either
# succeeds or ends the scenario with vm_fail and a message that says what was
# awaited; daemons and readers started here are stopped at exit.
# See README.md for the list.

set -eu

VM_BG=""		# background pids to kill at exit
VM_DAEMONS=""		# "name=pid" of daemons started with vm_daemon_start
VM_GPIOSIM=""		# sysfs dir of the simulated chip once vm_need gpio ran
VM_GPIOCHIP=""		# its gpiochip name

# Print a progress line.
vm_log() {
	read -r _up _ </proc/uptime
	echo "vm: [$_up] $*"
}

# End the scenario as failed.
vm_fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# End the scenario as skipped (meson: SKIP), saying why.
vm_skip() {
	echo "SKIP: $*" >&2
	exit 77
}

# End the scenario as passed.
vm_pass() {
	echo "ok: $*"
	exit 0
}

# Stop what we started: daemons first (they release devices), then readers.
_vm_cleanup() {
	for d in $VM_DAEMONS; do
		kill -TERM "${d#*=}" 2>/dev/null || :
	done
	for p in $VM_BG; do
		kill -TERM "$p" 2>/dev/null || :
	done
}
trap _vm_cleanup EXIT
trap 'exit 143' TERM INT

# Seconds since boot into $_now, without a process (exec is slow under TCG).
_vm_now() {
	read -r _now _ </proc/uptime
	_now=${_now%.*}
}

# Poll CMD until it succeeds: vm_wait TIMEOUT WHAT CMD...
vm_wait() {
	_t=$1 _what=$2
	shift 2
	_vm_now
	_end=$((_now + _t))
	until "$@" >/dev/null 2>&1; do
		_vm_now
		[ "$_now" -lt "$_end" ] ||
			vm_fail "timed out after ${_t}s waiting for $_what"
		sleep 0.2
	done
}

# Load a module of the guest kernel (the host's modprobe reads its .ko.xz).
vm_modprobe() {
	modprobe "$@" || vm_fail "modprobe $* failed"
}

# Load the drivers a scenario needs: capture, gadget or gpio.
vm_need() {
	case $1 in
	capture)
		shift
		if [ $# -eq 0 ]; then
			set -- n_devs=1 node_types=0x1
		fi
		vm_modprobe vivid "$@"
		vm_wait 60 "/dev/video0 from vivid" test -c /dev/video0
		export VM_VIDEO=/dev/video0
		;;
	gadget)
		modprobe -a dummy_hcd libcomposite usb_f_hid \
			usb_f_mass_storage usbhid hid_generic evdev \
			usb_storage sr_mod sd_mod ||
			vm_fail "cannot load the USB gadget and target drivers"
		vm_wait 60 "/sys/class/udc/dummy_udc.0" \
			test -e /sys/class/udc/dummy_udc.0
		;;
	gpio)
		_vm_need_gpio
		;;
	m2m)
		shift
		_vm_need_m2m "$@"
		;;
	*)
		vm_fail "vm_need: unknown '$1' (capture, gadget, gpio or m2m)"
		;;
	esac
}

# gpio-sim (built out of tree, cached) with one 8-line chip named for ATX.
_vm_need_gpio() {
	if [ -f /run/vm/lib/gpio-sim.skip ]; then
		vm_skip "$(cat /run/vm/lib/gpio-sim.skip)"
	fi
	[ -f /run/vm/lib/gpio-simx.ko ] ||
		vm_skip "gpio-sim module missing from the initramfs"
	[ -d /sys/module/gpio_simx ] || insmod /run/vm/lib/gpio-simx.ko ||
		vm_fail "insmod gpio-simx.ko failed"
	_cfg=/sys/kernel/config/gpio-sim/kvm
	if [ ! -d "$_cfg" ]; then
		mkdir "$_cfg" "$_cfg/bank0"
		echo 8 >"$_cfg/bank0/num_lines"
		_i=0
		for _n in power-button reset-button power-led hdd-led \
			capture-reset hid-reset user0 user1; do
			mkdir "$_cfg/bank0/line$_i"
			echo "$_n" >"$_cfg/bank0/line$_i/name"
			_i=$((_i + 1))
		done
		echo 1 >"$_cfg/live"
	fi
	VM_GPIOCHIP=$(cat "$_cfg/bank0/chip_name")
	VM_GPIOSIM=/sys/devices/platform/$(cat "$_cfg/dev_name")/$VM_GPIOCHIP
	vm_wait 60 "/dev/$VM_GPIOCHIP" test -c "/dev/$VM_GPIOCHIP"
	export VM_GPIOCHIP VM_GPIOSIM
}

# vicodec (built out of tree, cached): the kernel's virtual stateful FWHT
# codec, a memory-to-memory encoder and decoder.  Args go to insmod
# (multiplanar=1).  Sets VM_M2M_ENC and VM_M2M_DEC to its /dev/videoN.
_vm_need_m2m() {
	if [ -f /run/vm/lib/vicodec.skip ]; then
		vm_skip "$(cat /run/vm/lib/vicodec.skip)"
	fi
	[ -f /run/vm/lib/vicodecx.ko ] ||
		vm_skip "vicodec module missing from the initramfs"
	modprobe -a videodev mc videobuf2_v4l2 videobuf2_vmalloc ||
		vm_fail "cannot load vicodec's dependencies (videodev, videobuf2)"
	[ -d /sys/module/vicodecx ] || insmod /run/vm/lib/vicodecx.ko "$@" ||
		vm_fail "insmod vicodecx.ko $* failed"
	vm_wait 60 "vicodec's stateful encoder node" _vm_m2m_node \
		stateful-encoder
	VM_M2M_ENC=$(_vm_m2m_node stateful-encoder)
	vm_wait 60 "vicodec's stateful decoder node" _vm_m2m_node \
		stateful-decoder
	VM_M2M_DEC=$(_vm_m2m_node stateful-decoder)
	export VM_M2M_ENC VM_M2M_DEC
}

# The /dev/videoN whose sysfs name ends in SUFFIX (with a device node).
_vm_m2m_node() {
	for _n in /sys/class/video4linux/video*; do
		[ -f "$_n/name" ] || continue
		read -r _nm <"$_n/name"
		case $_nm in
		*"$1")
			[ -c "/dev/${_n##*/}" ] || return 1
			echo "/dev/${_n##*/}"
			return 0
			;;
		esac
	done
	return 1
}

# The gpiochip name of the simulated chip.
vm_gpiosim_chip() {
	[ -n "$VM_GPIOCHIP" ] || vm_fail "vm_need gpio first"
	echo "$VM_GPIOCHIP"
}

# The value our side drives on line OFFSET (0 or 1).
vm_gpiosim_value() {
	[ -n "$VM_GPIOSIM" ] || vm_fail "vm_need gpio first"
	cat "$VM_GPIOSIM/sim_gpio$1/value"
}

# Set what an input on line OFFSET reads: vm_gpiosim_pull OFFSET up|down
vm_gpiosim_pull() {
	[ -n "$VM_GPIOSIM" ] || vm_fail "vm_need gpio first"
	case $2 in
	up | down) ;;
	*) vm_fail "vm_gpiosim_pull: pull must be up or down, not '$2'" ;;
	esac
	echo "pull-$2" >"$VM_GPIOSIM/sim_gpio$1/pull" ||
		vm_fail "cannot set the pull of line $1"
}

# Wait until line OFFSET is driven to VALUE: vm_gpiosim_wait OFFSET VALUE [T]
vm_gpiosim_wait() {
	vm_wait "${3:-30}" "gpio-sim line $1 to be driven to $2" \
		_vm_gpiosim_is "$1" "$2"
}

_vm_gpiosim_is() {
	read -r _v <"$VM_GPIOSIM/sim_gpio$1/value"
	[ "$_v" = "$2" ]
}

# Run the project's gadget setup program from the source tree.
vm_gadget() {
	sh "$VM_SRC/gadget/kaputtkvm-gadget" "$@" ||
		vm_fail "kaputtkvm-gadget $* failed (exit $?)"
}

# The /dev/hidgN of a function of the gadget: vm_hidg keyboard|mouse|relmouse
vm_hidg() {
	_f=/sys/kernel/config/usb_gadget/${VM_GADGET:-kaputtkvm}/functions/hid.$1
	[ -e "$_f/dev" ] || vm_fail "the gadget has no hid.$1 function"
	read -r _d <"$_f/dev"
	echo "/dev/hidg${_d#*:}"
}

# The gadget's mass-storage LUN directory in configfs.
vm_lun() {
	_f=/sys/kernel/config/usb_gadget/${VM_GADGET:-kaputtkvm}/functions
	[ -d "$_f/mass_storage.media/lun.0" ] ||
		vm_fail "the gadget has no mass_storage.media function"
	echo "$_f/mass_storage.media/lun.0"
}

# Path of one of our programs in the build dir, or skip: vm_bin hidd [hidctl]
vm_bin() {
	_b=$VM_BUILD/$1/${2:-$1}
	[ -x "$_b" ] || vm_skip "${2:-$1} is not built ($_b missing)"
	echo "$_b"
}

# Start one of our daemons on a private socket and wait for GET /state.
vm_daemon_start() {
	_name=$1
	shift
	_bin=$VM_BUILD/$_name/$_name
	[ -x "$_bin" ] || vm_skip "$_name is not built ($_bin missing)"
	_sock=$VM_RUN/$_name.sock
	"$_bin" --socket "$_sock" "$@" >>"$VM_OUT/$_name.log" 2>&1 &
	_pid=$!
	VM_DAEMONS="$VM_DAEMONS $_name=$_pid"
	_vm_now
	_end=$((_now + 60))
	until curl -sf --max-time 5 --unix-socket "$_sock" \
		http://kvm/state >/dev/null 2>&1; do
		if ! kill -0 "$_pid" 2>/dev/null; then
			tail -n 20 "$VM_OUT/$_name.log"
			vm_fail "$_name exited before answering on $_sock"
		fi
		_vm_now
		[ "$_now" -lt "$_end" ] ||
			vm_fail "timed out after 60s waiting for $_name on $_sock"
		sleep 0.2
	done
	vm_log "$_name running (pid $_pid)"
}

# Stop a daemon with SIGTERM; fail if it takes more than 20 s or fails.
vm_daemon_stop() {
	_pid=
	_rest=
	for d in $VM_DAEMONS; do
		if [ "${d%%=*}" = "$1" ]; then
			_pid=${d#*=}
		else
			_rest="$_rest $d"
		fi
	done
	[ -n "$_pid" ] || vm_fail "vm_daemon_stop: $1 was not started"
	VM_DAEMONS=$_rest
	kill -TERM "$_pid"
	_vm_now
	_end=$((_now + 20))
	while kill -0 "$_pid" 2>/dev/null; do
		_vm_now
		[ "$_now" -lt "$_end" ] ||
			vm_fail "$1 did not exit within 20s of SIGTERM"
		sleep 0.2
	done
	_st=0
	wait "$_pid" || _st=$?
	[ "$_st" = 0 ] || vm_fail "$1 exited with status $_st on SIGTERM"
}

# Call a daemon: vm_http NAME METHOD PATH [JSON]; prints the body.
vm_http() {
	_sock=$VM_RUN/$1.sock
	_body=$VM_RUN/http.body
	if [ $# -ge 4 ]; then
		_code=$(curl -sS --max-time 30 --unix-socket "$_sock" \
			-o "$_body" -w '%{http_code}' -X "$2" \
			-H 'Content-Type: application/json' --data-binary "$4" \
			"http://kvm$3") || vm_fail "$1 $2 $3: curl failed"
	else
		_code=$(curl -sS --max-time 30 --unix-socket "$_sock" \
			-o "$_body" -w '%{http_code}' -X "$2" \
			"http://kvm$3") || vm_fail "$1 $2 $3: curl failed"
	fi
	case $_code in
	2??) cat "$_body" ;;
	*) vm_fail "$1 $2 $3: HTTP $_code: $(cat "$_body")" ;;
	esac
}

# The gadget's input device on the target side:
# vm_input_find keyboard|mouse-abs|mouse-rel [PRODUCT] [TIMEOUT]
vm_input_find() {
	_kind=$1
	_prod=${2:-KaputtKVM}
	_t=${3:-60}
	case $_kind in
	keyboard | mouse-abs | mouse-rel) ;;
	*) vm_fail "vm_input_find: unknown kind '$_kind'" ;;
	esac
	_vm_now
	_end=$((_now + _t))
	while :; do
		for _e in /sys/class/input/event*; do
			[ -e "$_e/device/name" ] || continue
			read -r _nm <"$_e/device/name"
			case $_nm in
			*"$_prod"*) ;;
			*) continue ;;
			esac
			read -r _ev <"$_e/device/capabilities/ev"
			_ev=$((0x$_ev))
			_ok=
			case $_kind in
			keyboard) [ $((_ev & 0x20000)) = 0 ] || _ok=1 ;;
			mouse-abs) [ $((_ev & 0x8)) = 0 ] || _ok=1 ;;
			mouse-rel)
				[ $((_ev & 0x4)) = 0 ] ||
					[ $((_ev & 0x8)) != 0 ] || _ok=1
				;;
			esac
			if [ -n "$_ok" ] && [ -c "/dev/input/${_e##*/}" ]; then
				echo "/dev/input/${_e##*/}"
				return 0
			fi
		done
		_vm_now
		[ "$_now" -lt "$_end" ] || break
		sleep 0.2
	done
	echo "input devices:" >&2
	for _e in /sys/class/input/event*; do
		[ -e "$_e/device/name" ] &&
			echo "  ${_e##*/}: $(cat "$_e/device/name")" \
				"ev=$(cat "$_e/device/capabilities/ev")" >&2
	done
	vm_fail "timed out after ${_t}s waiting for a $_kind named *$_prod*"
}

# Decode DEV's events in the background into $VM_RUN/NAME.events.
vm_input_record() {
	_f=$VM_RUN/$2.events
	: >"$_f"
	echo 0 >"$VM_RUN/$2.pos"
	[ -x "$VM_BUILD/tests/vm/evdev-dump" ] ||
		vm_fail "$VM_BUILD/tests/vm/evdev-dump is not built"
	"$VM_BUILD/tests/vm/evdev-dump" "$1" >"$_f" 2>&1 &
	VM_BG="$VM_BG $!"
	vm_wait 60 "the event reader on $1" grep -q '^# ready' "$_f"
}

# Wait until LINE was recorded after the previous match:
# vm_input_expect NAME 'EV_KEY KEY_A 1' [TIMEOUT]
vm_input_expect() {
	_f=$VM_RUN/$1.events
	read -r _pos <"$VM_RUN/$1.pos"
	_t=${3:-30}
	_vm_now
	_end=$((_now + _t))
	while :; do
		_n=$(awk -v from="$_pos" -v want="$2" \
			'NR > from && $0 == want { print NR; exit }' "$_f")
		if [ -n "$_n" ]; then
			echo "$_n" >"$VM_RUN/$1.pos"
			return 0
		fi
		_vm_now
		if [ "$_now" -ge "$_end" ]; then
			echo "events recorded on $1 after line $_pos:" >&2
			tail -n "+$((_pos + 1))" "$_f" | head -n 40 >&2
			vm_fail "timed out after ${_t}s waiting for '$2' on $1"
		fi
		sleep 0.2
	done
}

# The target's CD drive: its /dev/srN, once the kernel has it.
vm_cdrom_find() {
	vm_wait "${1:-60}" "a CD drive (/sys/block/sr*) on the target" \
		_vm_have_sr
	for _s in /sys/block/sr*; do
		echo "/dev/${_s##*/}"
		return 0
	done
}

_vm_have_sr() {
	for _s in /sys/block/sr*; do
		[ -e "$_s" ] && [ -b "/dev/${_s##*/}" ] && return 0
	done
	return 1
}

# sha256 of the first BYTES of the medium: vm_sr_read [DEV] [BYTES] [T]
vm_sr_read() {
	_dev=${1:-/dev/sr0}
	_bytes=${2:-2048}
	vm_wait "${3:-60}" "a readable medium in $_dev" \
		dd if="$_dev" of=/dev/null bs=2048 count=1
	dd if="$_dev" bs=2048 count=$(((_bytes + 2047) / 2048)) 2>/dev/null |
		head -c "$_bytes" | sha256sum | cut -d' ' -f1
}
