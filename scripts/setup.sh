#!/usr/bin/env bash
# Installs everything wenze needs on a fresh Debian machine with Python 3.11:
# Debian's graphviz (dot), a CJK font for rendered graphs, python3-venv, Chromium (the browser
# tests drive Debian's own) and node/npm (the web page is built from web/), then the package with
# its test extras into a virtual environment `.venv` (Debian's own python3 refuses system-wide pip
# installs, PEP 668), then the web page (web/ → wenze/serve/static/, git-ignored).
# Afterwards: `.venv/bin/wenze …`, `.venv/bin/python -m pytest`.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=sudo; fi
PYTHON=${PYTHON:-python3}

apt_install() {
  command -v apt-get >/dev/null 2>&1 || { echo "setup: please install: $*" >&2; return 1; }
  if [ -z "${APT_UPDATED:-}" ]; then $SUDO apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-noto-cjk)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
# venv needs ensurepip, which Debian ships in python3-venv (python3.X-venv)
if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  missing+=("python3-venv")
  ver=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  if command -v apt-cache >/dev/null 2>&1 && apt-cache show "python${ver}-venv" >/dev/null 2>&1; then
    missing+=("python${ver}-venv")
  fi
fi
if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys' >/dev/null 2>&1; then
  rm -rf .venv
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
# the web page: Playwright drives Debian's Chromium in tests/web (it downloads no browser)
if command -v npm >/dev/null 2>&1; then
  (cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
else
  echo "setup: npm not found — the web page is not built (wenze serve says so at /)" >&2
fi
echo "setup: wenze installed in $(pwd)/.venv (run .venv/bin/wenze, or 'source .venv/bin/activate')"
