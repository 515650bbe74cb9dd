#!/bin/sh
# vicodec.sh -- build vicodec out of tree for Debian's kernel.
# Usage: vicodec.sh KERNEL-VERSION OUTDIR  (writes OUTDIR/vicodecx.ko)
# Debian builds neither VIDEO_VICODEC nor V4L2_MEM2MEM_DEV (no
# v4l2-mem2mem.ko), so vicodec's three files and v4l2-mem2mem.c are taken
# from linux-source and built as one module (v4l2-mem2mem's "debug"
# parameter renamed m2m_debug); it needs only videodev, mc and videobuf2,
# which Debian ships.  Exit 77 with a one-line reason when a
# package is missing.
set -eu
ver=$1
out=$2

kbuild='' tarball='' top='' # set by kbuild_find
. "$(dirname "$0")/kbuild.sh"
kbuild_find vicodec "$ver"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src=$top/drivers/media/test-drivers/vicodec
tar -xf "$tarball" -C "$work" "$src" \
	"$top/drivers/media/v4l2-core/v4l2-mem2mem.c"
cp "$work/$src"/*.c "$work/$src"/*.h \
	"$work/$top/drivers/media/v4l2-core/v4l2-mem2mem.c" "$work/"
# Both files declare a module parameter "debug": one module has one name
# space, so v4l2-mem2mem's becomes m2m_debug.
sed -i 's/^module_param(debug, bool, 0644);/module_param_named(m2m_debug, debug, bool, 0644);/' \
	"$work/v4l2-mem2mem.c"
if grep -q '^module_param(debug' "$work/v4l2-mem2mem.c"; then
	echo "vicodec: v4l2-mem2mem.c still declares 'debug' after the edit"
	exit 1
fi
cat >"$work/Makefile" <<'MK'
obj-m := vicodecx.o
vicodecx-objs := vicodec-core.o codec-fwht.o codec-v4l2-fwht.o v4l2-mem2mem.o
MK
make -s -C "$kbuild" M="$work" modules
mkdir -p "$out"
cp "$work/vicodecx.ko" "$out/vicodecx.ko.tmp"
mv "$out/vicodecx.ko.tmp" "$out/vicodecx.ko"
echo "vicodec: built $out/vicodecx.ko"
