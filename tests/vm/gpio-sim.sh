#!/bin/sh
# gpio-sim.sh -- build gpio-sim out of tree for Debian's kernel.
# Usage: gpio-sim.sh KERNEL-VERSION OUTDIR  (writes OUTDIR/gpio-simx.ko)
# Debian builds neither GPIO_SIM nor IRQ_SIM and does not export irq_to_desc,
# so gpio-sim.c and irq_sim.c are taken from linux-source and built as one
# module, with irq_sim.c's handle_simple_irq(irq_to_desc(irq)) replaced by
# generic_handle_irq(irq).  Exit 77 with a one-line reason when a package
# is missing.
set -eu
ver=$1
out=$2

kbuild='' tarball='' top='' # set by kbuild_find
. "$(dirname "$0")/kbuild.sh"
kbuild_find gpio-sim "$ver"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xf "$tarball" -C "$work" "$top/drivers/gpio/gpio-sim.c" \
	"$top/drivers/gpio/gpiolib.h" "$top/kernel/irq/irq_sim.c"
cp "$work/$top/drivers/gpio/gpio-sim.c" "$work/$top/drivers/gpio/gpiolib.h" \
	"$work/$top/kernel/irq/irq_sim.c" "$work/"
sed -i 's/handle_simple_irq(irq_to_desc(\([a-z_]*\)));/generic_handle_irq(\1);/' \
	"$work/irq_sim.c"
if grep -q 'irq_to_desc' "$work/irq_sim.c"; then
	echo "gpio-sim: irq_sim.c still calls irq_to_desc after the edit"
	exit 1
fi
cat >"$work/Makefile" <<'MK'
obj-m := gpio-simx.o
gpio-simx-objs := gpio-sim.o irq_sim.o
MK
make -s -C "$kbuild" M="$work" modules
mkdir -p "$out"
cp "$work/gpio-simx.ko" "$out/gpio-simx.ko.tmp"
mv "$out/gpio-simx.ko.tmp" "$out/gpio-simx.ko"
echo "gpio-sim: built $out/gpio-simx.ko"
