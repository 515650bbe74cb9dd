# capd-lib.sh -- helpers shared by capd's VM scenarios (sourced after lib.sh).

CAPD_PROBE=$VM_BUILD/tests/integration/capd/capd-jpegprobe
[ -x "$CAPD_PROBE" ] || vm_skip "capd-jpegprobe is not built"
command -v v4l2-ctl >/dev/null || vm_skip "v4l2-ctl not installed (v4l-utils)"

# A field of capd's /state: capd_state KEY (a top-level scalar).
capd_state() {
	curl -sS --max-time 10 --unix-socket "$VM_RUN/capd.sock" \
		http://kvm/state |
		sed -n "s/.*\"$1\": *\\(\"[^\"]*\"\\|[a-z0-9.]*\\).*/\\1/p" |
		tr -d '"'
}

# Does capd_state KEY print VALUE? capd_state_is KEY VALUE
capd_state_is() {
	[ "$(capd_state "$1")" = "$2" ]
}

# Wait until it does: capd_wait_state TIMEOUT KEY VALUE.
capd_wait_state() {
	vm_wait "$1" "capd state $2 = $3" capd_state_is "$2" "$3"
}

# A snapshot decoded by the probe: capd_probe -> its JSON line.
capd_probe() {
	curl -fsS --max-time 30 --unix-socket "$VM_RUN/capd.sock" \
		-o "$VM_RUN/snap.jpg" http://kvm/snapshot ||
		vm_fail "GET /snapshot failed: $(capd_state reason)"
	"$CAPD_PROBE" "$VM_RUN/snap.jpg" || vm_fail "the snapshot does not decode"
}

# A number from the probe's JSON: json_num JSON KEY.
json_num() {
	echo "$1" | sed -n "s/.*\"$2\": \\([0-9.]*\\).*/\\1/p"
}

# The index of a menu entry of a vivid control: vivid_menu CTRL TEXT.
vivid_menu() {
	v4l2-ctl -d "$VM_VIDEO" -L | awk -v c="$1" -v t="$2" '
		$1 == c { in_menu = 1; next }
		in_menu && /^[\t ]+[0-9]+: / {
			if (index($0, t)) { sub(":", "", $1); print $1; exit }
			next
		}
		in_menu { in_menu = 0 }'
}
