#!/bin/sh
# test-cli.sh -- kaputtkvm-gadget's command line, without configfs.
# Usage: test-cli.sh PATH-TO-kaputtkvm-gadget
# Prints TAP-like lines; exits 1 on the first wrong exit status or message.
set -u
prog=$1
n=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect STATUS PATTERN ARGS...: run, compare the status, grep the output.
expect() {
	want=$1 pat=$2
	shift 2
	n=$((n + 1))
	KAPUTTKVM_CONFIGFS=$tmp/none sh "$prog" --config "$tmp/empty.conf" \
		"$@" >"$tmp/out" 2>&1
	got=$?
	if [ "$got" != "$want" ] || ! grep -q -- "$pat" "$tmp/out"; then
		echo "not ok $n - $*: exit $got (want $want), output:"
		sed 's/^/# /' "$tmp/out"
		exit 1
	fi
	echo "ok $n - $*"
}

: >"$tmp/empty.conf"
expect 0 'Usage:' --help
expect 0 'kaputtkvm-gadget 0' --version
expect 2 "unknown argument '--frobnicate'" --frobnicate
expect 2 '--udc needs a value' setup --udc
expect 1 "--wait takes whole seconds, not '1.5'" --wait 1.5
expect 1 'USB ids are 16-bit hex' --vendor-id 0x12345
expect 1 'USB ids are 16-bit hex' --product-id 1234
expect 1 'storage-mode must be cdrom or disk' --storage-mode tape
expect 1 'nothing to set up' --no-keyboard --no-mouse --no-relmouse \
	--no-storage
expect 1 'usb_gadget missing' setup
expect 1 'usb_gadget missing' teardown
printf '[gadget]\nmouse = maybe\n' >"$tmp/empty.conf"
expect 1 'mouse must be yes or no' status
printf '[other]\nx = 1\n[gadget]\nbogus = 1\n' >"$tmp/empty.conf"
expect 1 "unknown key 'bogus'" status
printf '[gadget]\nkeyboard = no\nmouse=no\nrelmouse = no\nstorage = no\n' \
	>"$tmp/empty.conf"
expect 1 'nothing to set up' setup
expect 1 'usb_gadget missing' setup --storage-mode disk --keyboard
echo "1..$n"
