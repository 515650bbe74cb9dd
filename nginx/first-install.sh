#!/bin/sh
# first-install -- the first install's secrets, for KaputtKVM's own nginx:
# a self-signed certificate and a random password for the user admin,
# printed once and kept in SYSCONFDIR/kaputtkvm/initial-password (root
# only) until kaputtkvm-passwd sets another.  Run by kaputtkvm-setup and by
# the Debian package's postinst, after the users exist (the key belongs to
# group kaputtkvm-www, which nginx runs as; the password file to
# kaputtkvm-auth: nginx and redfishd).
# Never overwrites what exists: put your own certificate in
# SYSCONFDIR/kaputtkvm/tls/{cert,key}.pem, change the password with
# kaputtkvm-passwd.  Staged (DESTDIR) and non-root runs do nothing.
#
# Debian's nginx, pulled in as the package's dependency, starts with its
# stock default site on port 80, which KaputtKVM's nginx wants too.  When
# that site is the only one enabled in NGINXDIR (nothing else uses that
# nginx), it is disabled, and the file disabled-nginx-default remembers it
# so a purge enables it again.  Any other enabled site is left alone: then
# move the KVM's ports (listen-http.conf, listen-https.conf).
#
# usage: first-install SYSCONFDIR SBINDIR [NGINXDIR]
set -eu
sysconfdir=$1
sbindir=$2
nginxdir=${3:-/etc/nginx}
dir="$sysconfdir/kaputtkvm"

if [ -n "${DESTDIR:-}" ]; then
	echo "kaputtkvm: staged install (DESTDIR): no certificate or password made"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "kaputtkvm: not root: no certificate or password made"
	exit 0
fi
group=
if getent group kaputtkvm-www >/dev/null 2>&1; then
	group=kaputtkvm-www
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
# nginx's master process runs as kaputtkvm-www and reads the key itself.
if [ -n "$group" ] && [ -f "$dir/tls/key.pem" ] &&
    [ "$(stat -c %U:%G "$dir/tls/key.pem")" = root:root ]; then
	chgrp "$group" "$dir/tls/key.pem"
	chmod 0640 "$dir/tls/key.pem"
fi

# Installs before kaputtkvm-nginx gave these to Debian nginx's www-data.
for f in "$dir/htpasswd" "$dir/nginx-secret.conf"; do
	if [ -n "$group" ] && [ -f "$f" ] &&
	    [ "$(stat -c %G "$f")" = www-data ]; then
		chgrp "$group" "$f"
		echo "kaputtkvm: $f now belongs to group $group (was www-data)"
	fi
done
# Installs before redfishd: the password file goes to group kaputtkvm-auth
# (nginx and redfishd, which checks Redfish logins), the secret stays
# nginx's alone.
if getent group kaputtkvm-auth >/dev/null 2>&1 && [ -f "$dir/htpasswd" ] &&
    [ "$(stat -c %G "$dir/htpasswd")" = kaputtkvm-www ]; then
	chgrp kaputtkvm-auth "$dir/htpasswd"
	echo "kaputtkvm: $dir/htpasswd now belongs to group kaputtkvm-auth (nginx and redfishd)"
fi

if [ ! -e "$dir/htpasswd" ]; then
	umask 077
	out=$("$sbindir/kaputtkvm-passwd" --random --no-reload \
	    --file "$dir/htpasswd" --secret-file "$dir/nginx-secret.conf")
	{
		echo "# The first password of KaputtKVM's web interface, made by"
		echo "# the first install.  kaputtkvm-passwd removes this file when"
		echo "# it sets the password of admin."
		echo "$out"
	} >"$dir/initial-password"
	chmod 0600 "$dir/initial-password"
	umask 022
	echo "kaputtkvm: no password yet; here is a random one (also in $dir/initial-password, root only):"
	echo "$out"
elif [ ! -e "$dir/nginx-secret.conf" ]; then
	"$sbindir/kaputtkvm-passwd" --renew-secret --no-reload \
	    --file "$dir/htpasswd" --secret-file "$dir/nginx-secret.conf"
fi

enabled="$nginxdir/sites-enabled"
if [ -L "$enabled/default" ] && [ "$(ls -A "$enabled")" = default ] &&
    [ ! -e "$dir/disabled-nginx-default" ]; then
	rm "$enabled/default"
	echo "$enabled/default" >"$dir/disabled-nginx-default"
	echo "kaputtkvm: disabled Debian nginx's default site (it wants port 80 too):"
	echo "           ln -s ../sites-available/default $enabled/ brings it back"
	if command -v systemctl >/dev/null 2>&1 &&
	    systemctl is-active --quiet nginx.service 2>/dev/null; then
		systemctl reload nginx.service ||
			echo "kaputtkvm: warning: Debian's nginx did not reload"
	fi
fi
