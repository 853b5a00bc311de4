#!/usr/bin/env bash
# `npm test`: everything CI checks, set up by itself — types, lint, the element build and its size budget,
# Node tests (unit, integration on SQLite and a throwaway PostgreSQL), the packed npm package used
# from a fresh folder (it builds the pages the framework browser tests load), browser tests in Debian's
# Chromium, and end-to-end tests; then the Node tests and end-to-end tests again on Node 24 LTS
# (scripts/node24.sh), unless SKIP_NODE24=1. Fails when any step fails or a runner finds no tests.
# Without the npm registry Node 24 cannot be set up: that pass is then skipped with a warning, or
# fails the run when REQUIRE_NODE24=1 (CI sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n=== %s\n' "$*"; }

CHROME_PATH=$(bash scripts/find-chrome.sh)
export CHROME_PATH

step "typecheck"
npx tsc --noEmit -p .

step "lint (eslint.config.js: the house style)"
npx eslint .

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
node24_in_use=
cleanup() {
  # The Node 24 pass swaps better-sqlite3's binary: always put the machine's back.
  if [ -n "$node24_in_use" ]; then bash scripts/node24.sh restore; fi
  bash scripts/pg.sh stop "$PG_DIR"
  rm -f "$log"
}
trap cleanup EXIT

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

if [ "${SKIP_NODE24:-}" = "1" ]; then
  step "Node 24 pass skipped (SKIP_NODE24=1)"
else
  step "Node 24 LTS: set up (cached in .cache/node24)"
  t0=$(date +%s)
  if node24_out=$(bash scripts/node24.sh setup); then
    NODE24_BIN=$(echo "$node24_out" | sed -n 's/^NODE24_BIN=//p')
    node24_in_use=1
    bash scripts/node24.sh use
    echo "$("$NODE24_BIN/node" -v) ready in $(( $(date +%s) - t0 )) s"
    # The browser tests run in Chromium whatever the Node, and the package test installs the packed
    # package into a fresh folder (its own better-sqlite3 build): neither is repeated.
    step "node tests on Node $("$NODE24_BIN/node" -v)"
    PATH="$NODE24_BIN:$PATH" node scripts/run-node-tests.mjs | tee -a "$log"
    step "end-to-end tests on Node $("$NODE24_BIN/node" -v)"
    PATH="$NODE24_BIN:$PATH" node scripts/run-node-tests.mjs test/e2e | tee -a "$log"
    bash scripts/node24.sh restore
    node24_in_use=
    echo "Node 24 pass: $(( $(date +%s) - t0 )) s"
  elif [ "${REQUIRE_NODE24:-}" = "1" ]; then
    echo "Node 24 could not be set up (REQUIRE_NODE24=1)" >&2
    exit 1
  else
    echo "WARNING: Node 24 could not be set up (no npm registry?): its pass is skipped" >&2
  fi
fi

# One closing line over every runner, in the plain form CI reads.
passed=$(grep -oE '^(node|browser) tests: [0-9]+ passed' "$log" | grep -oE '[0-9]+' | awk '{ s += $1 } END { print s + 0 }')
failed=$(grep -oE '^(node|browser) tests: [0-9]+ passed, [0-9]+ failed' "$log" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' | awk '{ s += $1 } END { print s + 0 }')
echo
echo "total: $passed passed, $failed failed"
