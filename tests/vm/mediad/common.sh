# common.sh -- shared by mediad's VM scenarios (sourced after lib.sh).

LUN=/sys/kernel/config/usb_gadget/kaputtkvm/functions/mass_storage.media/lun.0
SOCK=$VM_RUN/mediad.sock

# Upload a file: md_upload FILE NAME; fails unless the SHA-256 matches.
md_upload() {
	_code=$(curl -sS --max-time 120 --unix-socket "$SOCK" -T "$1" \
		-o "$VM_RUN/upload.body" -w '%{http_code}' \
		"http://kvm/images/$2") || vm_fail "upload of $2: curl failed"
	[ "$_code" = 200 ] ||
		vm_fail "upload of $2: HTTP $_code: $(cat "$VM_RUN/upload.body")"
	_want=$(sha256sum "$1" | cut -d' ' -f1)
	grep -q "\"sha256\":\"$_want\"" "$VM_RUN/upload.body" ||
		vm_fail "upload of $2: SHA-256 differs: $(cat "$VM_RUN/upload.body")"
}

# A request whose status is checked: md_call METHOD PATH JSON STATUS;
# prints the body.
md_call() {
	_code=$(curl -sS --max-time 30 --unix-socket "$SOCK" \
		-o "$VM_RUN/call.body" -w '%{http_code}' -X "$1" \
		-H 'Content-Type: application/json' --data-binary "$3" \
		"http://kvm$2") || vm_fail "$1 $2: curl failed"
	[ "$_code" = "$4" ] ||
		vm_fail "$1 $2 $3: HTTP $_code, want $4: $(cat "$VM_RUN/call.body")"
	cat "$VM_RUN/call.body"
}
