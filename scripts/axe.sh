#!/usr/bin/env bash
# Refresh tests/axe/axe.min.js (and its LICENSE) from the npm registry at the version pinned in
# tests/axe/package.json and package-lock.json (integrity-checked by `npm ci`). Run it by hand
# after changing the pin; the copy is committed, so `make test` needs neither node nor a network.
# axe-core is MPL-2.0, which allows redistributing the file unchanged with its licence; its source
# is the npm package named in the lock file.
set -euo pipefail
cd "$(dirname "$0")/../tests/axe"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp package.json package-lock.json "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
cp "$work/node_modules/axe-core/axe.min.js" axe.min.js
cp "$work/node_modules/axe-core/LICENSE" LICENSE
head -c 120 axe.min.js; echo
