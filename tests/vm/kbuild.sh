# kbuild.sh -- sourced by the out-of-tree module builds (gpio-sim.sh,
# vicodec.sh).  kbuild_find NAME VERSION sets kbuild (the kernel's headers),
# tarball (linux-source) and top (its top directory), or exits 77 with a
# one-line reason naming the package to install.

skip() {
	echo "$*"
	exit 77
}

kbuild_find() {
	kbuild=/lib/modules/$2/build
	[ -f "$kbuild/Makefile" ] ||
		skip "$1: no headers for $2: install linux-headers-amd64" \
			"(scripts/packages/vm.txt)"
	series=$(echo "$2" | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p')
	tarball=
	for t in /usr/src/linux-source-"$series".tar.xz \
		/usr/src/linux-source-"$series".tar.bz2; do
		[ -f "$t" ] && tarball=$t && break
	done
	[ -n "$tarball" ] ||
		skip "$1: /usr/src/linux-source-$series.tar.xz missing:" \
			"install linux-source-$series (scripts/packages/vm.txt)"
	command -v make >/dev/null || skip "$1: make not installed"
	# shellcheck disable=SC2034 # used by the caller
	top=linux-source-$series
}
