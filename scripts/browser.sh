#!/usr/bin/env bash
# Make sure Debian's Chromium is installed at /usr/bin/chromium, for the dashboard's browser tests
# (tests/test_dashboard.py drives it with playwright; no browser is ever downloaded by a test tool).
# Idempotent: does nothing when it is already there. Needs root (or sudo) and Debian's apt.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
echo "installing Debian's chromium (for the dashboard's browser tests)"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
if [ ! -x "$CHROMIUM" ]; then
  echo "$CHROMIUM is still missing after apt-get install chromium" >&2
  exit 1
fi
"$CHROMIUM" --version
