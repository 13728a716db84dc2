#!/usr/bin/env bash
# The dev container's postCreateCommand (devcontainer.json): runs as the container's user (vscode,
# with sudo and no password) in the workspace folder. It works in any clone too:
#   bash .devcontainer/post-create.sh            chromium, the project setup, then the setup check
#   bash .devcontainer/post-create.sh chromium   the chromium step alone
# Installing chromium takes apt-get and root (or sudo without a password). Without them the step
# names the install command and goes on: only the browser tests need chromium.
set -euo pipefail
case "${BASH_SOURCE[0]}" in */*) cd "${BASH_SOURCE[0]%/*}/.." ;; *) cd .. ;; esac

# Chromium is found the way the checks find it: by looking for the program, not asking dpkg.
have_chromium() { python3 scripts/check_setup.py --require chromium >/dev/null; }

as_root() {  # as_root CMD...: run it as root, directly or by sudo without a password
  if [ "$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive "$@"
  else sudo -n DEBIAN_FRONTEND=noninteractive "$@"; fi
}

skip_chromium() {
  echo "post-create: not installing chromium ($1); the browser tests need it, nothing else does:"
  python3 scripts/check_setup.py --require chromium || true
}

chromium() {
  if have_chromium; then
    echo "post-create: chromium is there"
  elif ! command -v apt-get >/dev/null; then
    skip_chromium "no apt-get"
  elif [ "$(id -u)" != 0 ] && ! { command -v sudo >/dev/null && sudo -n true 2>/dev/null; }; then
    skip_chromium "not root, and no sudo without a password"
  else
    echo "post-create: installing Debian's chromium for the browser tests"
    if as_root apt-get update -qq \
      && as_root apt-get install -y -qq --no-install-recommends chromium && have_chromium; then
      echo "post-create: chromium installed"
    else
      skip_chromium "apt-get install chromium failed"
    fi
  fi
}

setup() {
  # The project's own setup: .venv (Python 3.12, every pinned package) and node_modules (osls).
  make setup node
  python3 scripts/check_setup.py
}

case "${1:-all}" in
  all) chromium && setup ;;
  chromium) chromium ;;
  *) echo "usage: bash .devcontainer/post-create.sh [chromium]" >&2; exit 2 ;;
esac
