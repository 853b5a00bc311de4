#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the tests.
#   scripts/pg.sh start   → prints DATABASE_URL (postgres://…), data dir under /tmp
#   scripts/pg.sh stop DIR
#   scripts/pg.sh halt DIR / resume DIR → stop the server and start it again on the same port (tests of outages)
# Installs Debian's postgresql with apt when running as root and it is missing.
set -euo pipefail
cmd=${1:-}
find_bin() {
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }; done
  command -v pg_ctl >/dev/null && { dirname "$(command -v pg_ctl)"; return 0; }
  return 1
}
case "$cmd" in
  start)
    bin=$(find_bin || true)
    if [ -z "$bin" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
      echo "installing Debian's postgresql with apt-get…" >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
      bin=$(find_bin || true)
    fi
    [ -n "$bin" ] || { echo "PostgreSQL not found: apt-get install -y postgresql" >&2; exit 1; }
    dir=$(mktemp -d /tmp/onpay-pg.XXXXXX)
    port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
    run=()
    if [ "$(id -u)" = "0" ]; then chown postgres "$dir"; run=(runuser -u postgres --); fi
    "${run[@]}" "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    opts="-h 127.0.0.1 -p $port -k $dir -F -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    echo "$opts" > "$dir/.opts"
    "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o "$opts" start >/dev/null
    echo "$dir" > "$dir/.dir"
    echo "PG_DIR=$dir"
    echo "DATABASE_URL=postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    dir=${2:?data dir}
    bin=$(find_bin)
    run=()
    [ "$(id -u)" = "0" ] && run=(runuser -u postgres --)
    "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  halt|resume)
    dir=${2:?data dir}
    bin=$(find_bin)
    run=()
    [ "$(id -u)" = "0" ] && run=(runuser -u postgres --)
    if [ "$cmd" = halt ]; then
      "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    else
      "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o "$(cat "$dir/.opts")" start >/dev/null
    fi
    ;;
  *) echo "usage: scripts/pg.sh start | stop DIR | halt DIR | resume DIR" >&2; exit 2 ;;
esac
