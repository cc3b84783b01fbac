#!/usr/bin/env bash
# The test suite: installs what it needs, builds, type-checks the tests, then
# runs every unit and integration test. Integration tests start real
# processes (apiserver-lite, kubectl, dig) on loopback and, as root, real
# network namespaces, which they always remove.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
echo "==> build"
npm run build --silent
echo "==> type-check tests"
npx tsc -p tsconfig.test.json
echo "==> vitest"
npx vitest run "$@"
