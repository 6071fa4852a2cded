#!/usr/bin/env bash
# Installs what alived's tests and demo need on a fresh Debian machine:
# Debian packages (kernel tools, the real peers keepalived and FRR, capture tools)
# and a venv (.venv) with the pinned Python packages. systemd (systemd-analyze) and git serve the
# unit-file and wheel tests. Idempotent and quiet when done.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBS=(iproute2 iputils-ping curl keepalived frr nftables python3-nftables python3-venv tshark tcpdump procps psmisc systemd git)
missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections || true
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts these services on install; alived's tests run their own copies in namespaces.
for svc in keepalived frr; do
  if command -v systemctl >/dev/null 2>&1; then systemctl stop "$svc" >/dev/null 2>&1 || true; fi
done

# Debian's python3 so that python3-nftables (libnftables bindings) is importable in the venv.
PY=/usr/bin/python3
stamp=.venv/.alived-installed
if [ ! -x .venv/bin/python ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: creating .venv with pinned packages"
  "$PY" -m venv --system-site-packages .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  touch "$stamp"
fi
