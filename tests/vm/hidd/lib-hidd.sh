# lib-hidd.sh -- helpers for hidd's VM scenarios (the target side's raw HID
# reports, hidd's /state); source it after lib.sh:
#   . "$VM_SRC/tests/vm/hidd/lib-hidd.sh"
# A recording NAME is $VM_RUN/NAME.raw: "# ready", then one line per report,
# "MS XX XX ..." (hidraw-dump.c: the monotonic milliseconds at which the
# target read the report, then its bytes).

# The /dev/hidrawN of the HID device behind an input device /dev/input/eventN
# (the same USB interface: its reports as sent, before the input layer).
vm_hidraw_of() {
	for _h in "/sys/class/input/${1##*/}/device/device/hidraw"/hidraw*; do
		if [ -c "/dev/${_h##*/}" ]; then
			echo "/dev/${_h##*/}"
			return 0
		fi
	done
	vm_fail "no hidraw node for $1 in /sys/class/input/${1##*/}/device/device"
}

# Record DEV's reports in the background: vm_hidraw_record DEV NAME
vm_hidraw_record() {
	_dump=$(vm_bin tests/vm/hidd hidraw-dump)
	_f=$VM_RUN/$2.raw
	: >"$_f"
	"$_dump" "$1" >"$_f" 2>&1 &
	VM_BG="$VM_BG $!"
	vm_wait 60 "the hidraw reader on $1" grep -q '^# ready' "$_f"
}

# Find the gadget's input device KIND on the target (vm_input_find) and
# record both its raw reports ($VM_RUN/NAME.raw) and its evdev events
# ($VM_RUN/NAME.events, vm_input_record): vm_target_record KIND NAME
vm_target_record() {
	_ev=$(vm_input_find "$1")
	_raw=$(vm_hidraw_of "$_ev")
	vm_log "target $1: $_ev, $_raw"
	vm_hidraw_record "$_raw" "$2"
	vm_input_record "$_ev" "$2"
}

# The number of reports recorded so far, into $_n: vm_hidraw_count NAME
vm_hidraw_count() {
	_n=$(grep -c -v '^#' "$VM_RUN/$1.raw") || _n=0
}

# The reports from number FROM on (default 1: all), their bytes one a line:
# vm_hidraw_bytes NAME [FROM]
vm_hidraw_bytes() {
	grep -v '^#' "$VM_RUN/$1.raw" | tail -n "+${2:-1}" | cut -d' ' -f2-
}

# Wait until NAME holds at least COUNT reports: vm_hidraw_wait NAME COUNT [T]
vm_hidraw_wait() {
	_vm_now
	_end=$((_now + ${3:-30}))
	while vm_hidraw_count "$1" && [ "$_n" -lt "$2" ]; do
		_vm_now
		if [ "$_now" -ge "$_end" ]; then
			echo "reports on $1:" >&2
			vm_hidraw_bytes "$1" | tail -n 40 >&2
			vm_fail "timed out after ${3:-30}s waiting for $2 reports" \
				"on $1 (got $_n)"
		fi
		sleep 0.2
	done
}

# Fail unless the reports from number FROM on are exactly the lines of the
# file WANT: vm_hidraw_expect NAME FROM WANT WHAT
vm_hidraw_expect() {
	vm_hidraw_bytes "$1" "$2" >"$VM_RUN/$1.got"
	if ! cmp -s "$3" "$VM_RUN/$1.got"; then
		echo "reports on $1 from number $2: wanted (<), seen (>):" >&2
		diff "$3" "$VM_RUN/$1.got" >&2 || :
		vm_fail "$4: the target saw other reports than the ones expected"
	fi
}

# Fail unless NAME gets no report for SEC seconds: vm_hidraw_quiet NAME SEC
vm_hidraw_quiet() {
	vm_hidraw_count "$1"
	_q=$_n
	sleep "$2"
	vm_hidraw_count "$1"
	if [ "$_n" != "$_q" ]; then
		echo "reports on $1 after number $_q:" >&2
		vm_hidraw_bytes "$1" $((_q + 1)) >&2
		vm_fail "$1: $((_n - _q)) reports within $2 s where none belong"
	fi
}

# hidd's GET /state, checked by a Python expression on its result r:
# vm_hidd_state 'r["macro"]["active"] is False' WHAT
vm_hidd_state() {
	curl -sS --max-time 30 --unix-socket "$VM_RUN/hidd.sock" \
		http://kvm/state >"$VM_RUN/state.json" ||
		vm_fail "GET /state: curl failed"
	python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["result"]
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$VM_RUN/state.json" "$1" ||
		vm_fail "$2: hidd's /state is not so ($1): $(cat "$VM_RUN/state.json")"
}

# Wait until hidd's /state (compact JSON) holds TEXT: vm_hidd_wait TEXT WHAT
vm_hidd_wait() {
	vm_wait 60 "$2" sh -c 'curl -s --unix-socket "$1" http://kvm/state |
		grep -qF "$2"' sh "$VM_RUN/hidd.sock" "$1"
}

# POST JSON to hidd and expect the HTTP status STATUS and TEXT in the
# answer: vm_hidd_refused PATH JSON STATUS TEXT
vm_hidd_refused() {
	_code=$(curl -sS --max-time 30 --unix-socket "$VM_RUN/hidd.sock" \
		-o "$VM_RUN/http.body" -w '%{http_code}' -X POST \
		-H 'Content-Type: application/json' --data-binary "$2" \
		"http://kvm$1") || vm_fail "POST $1: curl failed"
	[ "$_code" = "$3" ] ||
		vm_fail "POST $1 $2: HTTP $_code, not $3: $(cat "$VM_RUN/http.body")"
	grep -qF "$4" "$VM_RUN/http.body" ||
		vm_fail "POST $1 $2: the answer does not say '$4':" \
			"$(cat "$VM_RUN/http.body")"
}
