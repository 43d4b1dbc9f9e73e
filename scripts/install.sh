#!/usr/bin/env bash
# Install what jpkitool needs on Debian/Ubuntu: the apt packages that are missing,
# then a virtual environment in .venv with jpkitool, its development tools and its
# test kit (testkit/, the pytest-jpkitool distribution).
# Idempotent; needs root or sudo only when an apt package is missing.
set -euo pipefail

cd "$(dirname "$0")/.."
APT_PACKAGES=(pcscd libpcsclite-dev vsmartcard-vpcd swig opensc chromium chromium-driver fonts-noto-cjk)
PYTHON=${PYTHON:-python3}

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
if ((${#missing[@]})); then
    if [ "$(id -u)" -eq 0 ]; then
        SUDO=()
    elif command -v sudo >/dev/null; then
        SUDO=(sudo)
    else
        echo "install.sh: missing apt packages ${missing[*]} and no root or sudo to install them" >&2
        exit 1
    fi
    echo "install.sh: installing apt packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "install.sh: jpkitool needs Python 3.11 or newer ($PYTHON is $("$PYTHON" -V 2>&1))" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    echo "install.sh: creating .venv"
    "$PYTHON" -m venv .venv
fi
echo "install.sh: installing jpkitool into .venv"
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e ".[dev,ui]" -e ./testkit
echo "install.sh: done. Try: .venv/bin/jpkitool --emulator retries"
