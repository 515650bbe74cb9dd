#!/bin/sh
# cross-arm.sh SRCDIR OUTDIR arm64|armhf -- planes.c's NEON code, as ARM
# boards run it: test_planes.c built with the cross compiler for 64-bit
# (arm64) or 32-bit (armhf, ARMv7 with NEON) ARM and run under qemu-user.
# The host build only ever runs the SSE2 code.  Prints TAP.
set -eu
src=$1
arch=$3
case $arch in
arm64)
	cc=aarch64-linux-gnu-gcc qemu=qemu-aarch64 flags=
	pkgs="gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user" ;;
armhf)
	cc=arm-linux-gnueabihf-gcc qemu=qemu-arm
	flags="-march=armv7-a -mfpu=neon -mfloat-abi=hard"
	pkgs="gcc-arm-linux-gnueabihf libc6-dev-armhf-cross qemu-user" ;;
*)
	echo "Bail out! unknown architecture $arch"
	exit 1 ;;
esac
out=$2/cross-$arch
if ! command -v "$cc" >/dev/null || ! command -v "$qemu" >/dev/null; then
	echo "1..0 # SKIP no $cc or $qemu (scripts/deps installs $pkgs)"
	exit 0
fi
mkdir -p "$out"
# -static: qemu-user then needs no ARM libraries
# shellcheck disable=SC2086
"$cc" -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -static $flags \
	-I"$src/capd" -I"$src/common" -I"$src/tests" \
	-o "$out/test-capd-planes" \
	"$src/tests/unit/capd/test_planes.c" "$src/capd/planes.c" \
	"$src/capd/frame.c" "$src/common/xmalloc.c" "$src/common/log.c" \
	"$src/common/utf8.c" \
	-lpthread -lm >&2
# the NEON code must be in there, or this tests the scalar code twice
if ! "${cc%gcc}objdump" -d "$out/test-capd-planes" | grep -q 'ld4'; then
	echo "Bail out! no NEON (ld4) in the $arch build of planes.c"
	exit 1
fi
exec "$qemu" "$out/test-capd-planes"
