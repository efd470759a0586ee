#!/usr/bin/env bash
# Sets up everything Liver MDT needs on a Debian 12 machine, idempotently.
#   bash scripts/setup.sh          runtime: system libraries for Qt, fonts, .venv with requirements.txt
#   bash scripts/setup.sh --dev    also test/build tools: PostgreSQL server, Xvfb, poppler, requirements-dev.txt
# Needs root (or sudo) only for the apt step, and only when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=0
[ "${1:-}" = "--dev" ] && DEV=1

RUNTIME_PKGS=(python3-venv python3-dev libglib2.0-0 libgl1 libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3
              fonts-dejavu-core fonts-wqy-microhei libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0
              libxcb-keysyms1 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 xdg-utils)
DEV_PKGS=(postgresql xvfb xauth poppler-utils binutils icu-devtools)

pkgs=("${RUNTIME_PKGS[@]}")
[ "$DEV" = 1 ] && pkgs+=("${DEV_PKGS[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" != 0 ] && SUDO="sudo"
  echo "setup: installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
REQ=requirements.txt
[ "$DEV" = 1 ] && REQ=requirements-dev.txt
stamp=".venv/.installed-$(sha256sum requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)-$DEV"
if [ ! -f "$stamp" ]; then
  echo "setup: installing Python packages from $REQ"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$REQ"
  touch "$stamp"
fi
