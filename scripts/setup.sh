#!/usr/bin/env bash
# Set up socketchat on a fresh Debian/Ubuntu machine.
#   scripts/setup.sh          - the server and clients: python3-venv, python3-tk, a local .venv
#   scripts/setup.sh --test   - also everything the test suite needs (Xvfb, tmux, Chromium,
#                               peer IRC servers and clients, Redis, nginx, PostgreSQL) and the
#                               test extras
# Idempotent: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

apt_packages=()
need_pkg() { dpkg -s "$1" >/dev/null 2>&1 || apt_packages+=("$1"); }

python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need_pkg python3-venv
python3 -c 'import tkinter' >/dev/null 2>&1 || need_pkg python3-tk
if [ "$want_test" = 1 ]; then
    for p in xvfb xdotool x11-utils imagemagick tmux chromium chromium-driver \
             ngircd inspircd irssi weechat-headless redis-server nodejs mount faketime nginx systemd \
             postgresql gettext; do
        need_pkg "$p"
    done
fi

if [ "${#apt_packages[@]}" -gt 0 ]; then
    echo "setup: installing Debian packages: ${apt_packages[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
        "${apt_packages[@]}" >/dev/null
    # Some daemons start themselves on install; the tests run their own instances.
    for svc in ngircd inspircd redis-server nginx postgresql; do
        if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl stop "$svc" >/dev/null 2>&1 || true; fi
        if [ -x "/etc/init.d/$svc" ]; then $SUDO "/etc/init.d/$svc" stop >/dev/null 2>&1 || true; fi
    done
fi

if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    python3 -m venv .venv
fi
extras="fast,push"
[ "$want_test" = 1 ] && extras="fast,push,test,bench,redis"
stamp=".venv/.installed-$extras-$(cat pyproject.toml | cksum | cut -d' ' -f1)"
if [ ! -e "$stamp" ]; then
    echo "setup: installing Python packages ($extras) into .venv"
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null
    .venv/bin/python -m pip install -q -e ".[$extras]" 2>&1 | grep -v -e '^WARNING: Location' || true
    .venv/bin/python -c 'import socketchat' # fail here if the install did not work
    touch "$stamp"
fi
