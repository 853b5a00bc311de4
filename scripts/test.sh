#!/usr/bin/env bash
# `npm test`: everything CI checks, set up by itself — types, the element build and its size budget,
# Node tests (unit, integration on SQLite and a throwaway PostgreSQL), browser tests in Debian's
# Chromium, and end-to-end tests. Fails when any step fails or a runner finds no tests.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n=== %s\n' "$*"; }

CHROME_PATH=$(bash scripts/find-chrome.sh)
export CHROME_PATH

step "typecheck"
npx tsc --noEmit -p .

step "build the element"
npx vite build --logLevel warn
npx tsx bench/size.ts

step "PostgreSQL for the storage tests"
pg_out=$(bash scripts/pg.sh start)
PG_DIR=$(echo "$pg_out" | sed -n 's/^PG_DIR=//p')
export TEST_DATABASE_URL=$(echo "$pg_out" | sed -n 's/^DATABASE_URL=//p')
trap 'bash scripts/pg.sh stop "$PG_DIR"' EXIT
echo "TEST_DATABASE_URL=$TEST_DATABASE_URL"

step "node tests"
node scripts/run-node-tests.mjs

step "browser tests (Chromium: $CHROME_PATH)"
npx web-test-runner --config web-test-runner.config.mjs

if [ -d test/e2e ] && ls test/e2e/*.test.ts >/dev/null 2>&1; then
  step "end-to-end tests"
  node scripts/run-node-tests.mjs test/e2e
fi
echo
echo "all test steps passed"
