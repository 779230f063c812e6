#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL 15 and Redis on loopback, for the service-backed
# test run (CI) or for trying the production configuration locally.
#
#   eval "$(scripts/services.sh start)"   # prints export DATABASE_URL=… REDIS_URL=…
#   scripts/services.sh stop
#
# State lives in $SERVICES_DIR (default .services/); nothing outside it is touched.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
SERVICES_DIR=${SERVICES_DIR:-$(pwd)/.services}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

as_postgres() {
  # PostgreSQL refuses to run as root: run it as the 'postgres' system user then.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  command -v redis-server >/dev/null || { echo "redis-server is not installed" >&2; exit 1; }
  [ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL 15 binaries not found in $PG_BIN" >&2; exit 1; }
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home postgres
  fi
  rm -rf "$SERVICES_DIR" && mkdir -p "$SERVICES_DIR/pg"
  [ "$(id -u)" -eq 0 ] && chown -R postgres "$SERVICES_DIR/pg"
  local pg_port redis_port
  pg_port=$(free_port)
  redis_port=$(free_port)

  as_postgres "$PG_BIN/initdb" -D "$SERVICES_DIR/pg/data" -U collabhub --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 >"$SERVICES_DIR/initdb.log" 2>&1
  # Durability off: a throwaway test server only.
  as_postgres "$PG_BIN/pg_ctl" -D "$SERVICES_DIR/pg/data" -l "$SERVICES_DIR/pg/server.log" -w \
    -o "-p $pg_port -k $SERVICES_DIR/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null
  as_postgres "$PG_BIN/createdb" -h 127.0.0.1 -p "$pg_port" -U collabhub collabhub

  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --pidfile "$SERVICES_DIR/redis.pid" --logfile "$SERVICES_DIR/redis.log"
  for _ in $(seq 50); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  redis-cli -p "$redis_port" ping >/dev/null

  echo "export DATABASE_URL=postgres://collabhub@127.0.0.1:$pg_port/collabhub"
  echo "export REDIS_URL=redis://127.0.0.1:$redis_port/0"
}

stop() {
  if [ -d "$SERVICES_DIR/pg/data" ]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$SERVICES_DIR/pg/data" -m fast stop >/dev/null 2>&1 || true
  fi
  if [ -f "$SERVICES_DIR/redis.pid" ]; then
    kill "$(cat "$SERVICES_DIR/redis.pid")" 2>/dev/null || true
  fi
  rm -rf "$SERVICES_DIR"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
