#!/bin/sh
# post-install.sh -- run by `meson install`: create the users and groups,
# directories and device permissions now rather than at the next boot, and
# let systemd see the new units.  Staged installs (DESTDIR) skip this.
set -eu
libdir=$1
if [ -n "${DESTDIR:-}" ] || [ "$(id -u)" != 0 ] || [ ! -d /run/systemd/system ]; then
	echo "kaputtkvm: not a live root install under systemd: run systemd-sysusers,"
	echo "           systemd-tmpfiles --create and systemctl daemon-reload yourself"
	exit 0
fi
systemd-sysusers "$libdir/sysusers.d/kaputtkvm.conf"
systemd-tmpfiles --create "$libdir/tmpfiles.d/kaputtkvm.conf"
udevadm control --reload-rules || :
udevadm trigger --action=change --sysname-match='hidg*' || :
udevadm trigger --action=change --subsystem-match=gpio || :
systemctl daemon-reload
# nginx's workers pick up www-data's new group (kaputtkvm, for the sockets)
# and the site only when reloaded; only if the configuration is good.
if systemctl is-active --quiet nginx; then
	if nginx -t -q 2>/dev/null; then
		systemctl reload nginx && echo "kaputtkvm: nginx reloaded"
	else
		echo "kaputtkvm: nginx -t fails: fix it, then systemctl reload nginx"
	fi
fi
echo "kaputtkvm: next: systemctl enable --now kaputtkvm.target nginx"
