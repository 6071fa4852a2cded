#!/bin/sh
# Installs an alived wheel in the Debian-style layout of docs/packaging.md. As root:
#   sh packaging/install.sh dist/alived-VERSION-py3-none-any.whl [extra pip options]
# The program lives in its own venv (/opt/alived: Debian's python refuses a system-wide pip
# install, PEP 668), seeing python3-nftables through --system-site-packages. Links:
#   /usr/sbin/alived, /usr/sbin/alivectl       the commands
#   /usr/lib/alived/keepalived                 the drop-in name the unit runs, kept off PATH so that
#                                              `keepalived` stays the distribution's binary
# and /lib/systemd/system/alived.service, /etc/default/keepalived (kept if it exists: the same
# DAEMON_ARGS keepalived.service reads), /usr/share/doc/alived. Nothing is enabled or started.
# DESTDIR=DIR stages everything under DIR instead of / (the tests do).
set -eu
[ $# -ge 1 ] || { echo "usage: $0 WHEEL [pip options]" >&2; exit 2; }
wheel=$1
shift
root=${DESTDIR:-}
venv=/opt/alived

python3 -m venv --system-site-packages "$root$venv"
"$root$venv/bin/python" -m pip install --quiet --force-reinstall "$@" "$wheel"
share=$root$venv/share

install -d "$root/usr/sbin" "$root/usr/lib/alived" "$root/lib/systemd/system" \
  "$root/etc/default" "$root/etc/keepalived" "$root/usr/share/doc/alived"
# Relative links, so that a staged tree (DESTDIR) points inside itself.
ln -sfn ../../opt/alived/bin/alived "$root/usr/sbin/alived"
ln -sfn ../../opt/alived/bin/alivectl "$root/usr/sbin/alivectl"
ln -sfn ../../../opt/alived/bin/keepalived "$root/usr/lib/alived/keepalived"
install -m 0644 "$share/alived/systemd/alived.service" "$root/lib/systemd/system/alived.service"
if [ ! -e "$root/etc/default/keepalived" ]; then
  install -m 0644 "$share/alived/default/keepalived" "$root/etc/default/keepalived"
fi
cp -r "$share/doc/alived/." "$root/usr/share/doc/alived/"
echo "alived installed; next: systemctl daemon-reload, then docs/packaging.md (switching over)"
