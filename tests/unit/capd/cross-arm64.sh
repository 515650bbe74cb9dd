#!/bin/sh
# cross-arm64.sh SRCDIR OUTDIR -- planes.c's NEON code, as ARM boards run
# it: test_planes.c built with the arm64 cross compiler and run under
# qemu-user.  The host build only ever runs the SSE2 code.  Prints TAP.
set -eu
src=$1
out=$2/cross-arm64
cc=aarch64-linux-gnu-gcc
if ! command -v "$cc" >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
	echo "1..0 # SKIP no $cc or qemu-aarch64 (scripts/deps installs gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)"
	exit 0
fi
mkdir -p "$out"
# -static: qemu-user then needs no arm64 libraries
"$cc" -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -static \
	-I"$src/capd" -I"$src/common" -I"$src/tests" \
	-o "$out/test-capd-planes" \
	"$src/tests/unit/capd/test_planes.c" "$src/capd/planes.c" \
	"$src/capd/frame.c" "$src/common/xmalloc.c" "$src/common/log.c" \
	-lpthread -lm >&2
# the NEON code must be in there, or this tests the scalar code twice
if ! aarch64-linux-gnu-objdump -d "$out/test-capd-planes" | grep -q 'ld4'; then
	echo "Bail out! no NEON (ld4) in the arm64 build of planes.c"
	exit 1
fi
exec qemu-aarch64 "$out/test-capd-planes"
