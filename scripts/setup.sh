#!/usr/bin/env bash
# Installs everything wenze needs on a fresh Debian machine with Python 3.11:
# Debian's graphviz (dot) and a CJK font for rendered graphs, then the package with its test extras.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=sudo; fi
if command -v apt-get >/dev/null 2>&1; then
  if ! command -v dot >/dev/null 2>&1 || ! fc-list :lang=zh 2>/dev/null | grep -q .; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq graphviz fonts-noto-cjk >/dev/null
  fi
fi
python3 -m pip install -q --disable-pip-version-check -e '.[dev]'
