#!/usr/bin/env bash
# `npm test`: everything CI checks, set up by itself — types, the element build and its size budget,
# Node tests (unit, integration on SQLite and a throwaway PostgreSQL), the packed npm package used
# from a fresh folder (it builds the pages the framework browser tests load), browser tests in Debian's
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

log=$(mktemp)
trap 'bash scripts/pg.sh stop "$PG_DIR"; rm -f "$log"' EXIT

step "node tests"
node scripts/run-node-tests.mjs | tee -a "$log"

step "the npm package: pack, install into a fresh folder, SSR import, types, the React and Vue pages"
node scripts/run-node-tests.mjs test/package | tee -a "$log"

step "browser tests (Chromium: $CHROME_PATH)"
npx web-test-runner --config web-test-runner.config.mjs 2>&1 | tee "$log.wtr"
tail -n 5 "$log.wtr" | grep -oE '[0-9]+ passed, [0-9]+ failed' | tail -n 1 | sed 's/^/browser tests: /' >> "$log"
rm -f "$log.wtr"

step "end-to-end tests"
node scripts/run-node-tests.mjs test/e2e | tee -a "$log"

# One closing line over every runner, in the plain form CI reads.
passed=$(grep -oE '^(node|browser) tests: [0-9]+ passed' "$log" | grep -oE '[0-9]+' | awk '{ s += $1 } END { print s + 0 }')
failed=$(grep -oE '^(node|browser) tests: [0-9]+ passed, [0-9]+ failed' "$log" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' | awk '{ s += $1 } END { print s + 0 }')
echo
echo "total: $passed passed, $failed failed"
