#!/bin/sh
# first-install.sh -- run by `meson install`: on the first install, make a
# self-signed certificate and a random password (printed once), and enable
# the nginx site.  Never overwrites what exists: put your own certificate in
# SYSCONFDIR/kaputtkvm/tls/{cert,key}.pem, change the password with
# kaputtkvm-passwd.  Staged installs (DESTDIR) and non-root installs skip
# this: a package does it in its postinst.
set -eu
sysconfdir=$1
sbindir=$2
nginxdir=$3
dir="$sysconfdir/kaputtkvm"

if [ -n "${DESTDIR:-}" ]; then
	echo "kaputtkvm: staged install (DESTDIR): no certificate or password made"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "kaputtkvm: not root: no certificate or password made"
	exit 0
fi

mkdir -p "$dir/tls"
if [ ! -e "$dir/tls/cert.pem" ] && [ ! -e "$dir/tls/key.pem" ]; then
	host=$(hostname 2>/dev/null || echo kaputtkvm)
	umask 077
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -days 3650 -subj "/CN=$host" \
	    -addext "subjectAltName=DNS:$host,DNS:$host.local,DNS:localhost,IP:127.0.0.1,IP:::1" \
	    -keyout "$dir/tls/key.pem" -out "$dir/tls/cert.pem" 2>/dev/null
	umask 022
	chmod 0644 "$dir/tls/cert.pem"
	echo "kaputtkvm: made a self-signed certificate for $host in $dir/tls"
	echo "kaputtkvm: its SHA-256 fingerprint (compare it when the browser warns):"
	openssl x509 -in "$dir/tls/cert.pem" -noout -fingerprint -sha256
fi
if [ ! -e "$dir/htpasswd" ]; then
	echo "kaputtkvm: no password yet; here is a random one (shown only now):"
	"$sbindir/kaputtkvm-passwd" --random --no-reload \
	    --file "$dir/htpasswd" --secret-file "$dir/nginx-secret.conf"
elif [ ! -e "$dir/nginx-secret.conf" ]; then
	"$sbindir/kaputtkvm-passwd" --renew-secret --no-reload \
	    --file "$dir/htpasswd" --secret-file "$dir/nginx-secret.conf"
fi

if [ -d "$nginxdir/sites-enabled" ] &&
    [ ! -e "$nginxdir/sites-enabled/kaputtkvm.conf" ]; then
	ln -s ../sites-available/kaputtkvm.conf \
	    "$nginxdir/sites-enabled/kaputtkvm.conf"
	echo "kaputtkvm: enabled the nginx site $nginxdir/sites-enabled/kaputtkvm.conf"
	if [ -L "$nginxdir/sites-enabled/default" ]; then
		rm "$nginxdir/sites-enabled/default"
		echo "kaputtkvm: disabled Debian's default nginx site (it also wants port 80);"
		echo "           ln -s ../sites-available/default $nginxdir/sites-enabled/ brings it back"
	fi
fi

# systemd/post-install.sh reloads nginx once www-data is in group kaputtkvm.
