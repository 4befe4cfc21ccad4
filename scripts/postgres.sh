#!/usr/bin/env bash
# A throwaway PostgreSQL server on 127.0.0.1 for tests: its own data directory under a temp dir,
# a free port, trust authentication (loopback only), stopped and deleted on exit or signal.
#
#   scripts/postgres.sh -- CMD ARGS...  runs CMD with BOOTGATE_TEST_POSTGRES_URL set, then stops
#   scripts/postgres.sh                 prints the libpq connection string and serves until ^C
#   source scripts/postgres.sh; postgres_start   (exports BOOTGATE_TEST_POSTGRES_URL and
#                                                 POSTGRES_PORT; postgres_stop, or the EXIT trap)
#
# POSTGRES_SERVER_OPTIONS: more server settings ("-c name=value ..."), after the defaults below.
#
# As root (this machine) the server runs as the "postgres" user via runuser: PostgreSQL refuses
# to run as root. The connection string is keyword=value so that callers can append dbname=...
set -euo pipefail

_pg_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x "$d/postgres" ]] && { echo "$d"; return 0; }
  done
  echo "postgres.sh: no PostgreSQL server found (apt-get install postgresql)" >&2
  return 1
}

# _pg_as_owner CMD...: runs CMD as the data directory's owner.
_pg_as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

_pg_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

POSTGRES_DIR=""

postgres_stop() {
  [[ -n "$POSTGRES_DIR" ]] || return 0
  local bindir
  bindir="$(_pg_bindir)" || true
  if [[ -f "$POSTGRES_DIR/data/postmaster.pid" ]]; then
    _pg_as_owner "$bindir/pg_ctl" -D "$POSTGRES_DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
      kill -KILL "$(head -1 "$POSTGRES_DIR/data/postmaster.pid")" 2>/dev/null || true
  fi
  rm -rf "$POSTGRES_DIR"
  POSTGRES_DIR=""
}

postgres_start() {
  local bindir port attempt user
  bindir="$(_pg_bindir)"
  POSTGRES_DIR="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-postgres-XXXXXX")"
  trap 'postgres_stop' EXIT
  trap 'postgres_stop; exit 130' INT
  trap 'postgres_stop; exit 143' TERM
  user="$(id -un)"
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$POSTGRES_DIR"
    user=postgres
  fi
  _pg_as_owner "$bindir/initdb" -D "$POSTGRES_DIR/data" -U "$user" --auth=trust \
    --encoding=UTF8 --locale=C >"$POSTGRES_DIR/initdb.log" 2>&1 || {
    cat "$POSTGRES_DIR/initdb.log" >&2
    return 1
  }
  # A free port can be taken between the probe and the bind: try a few.
  for attempt in 1 2 3 4 5; do
    port="$(_pg_free_port)"
    if _pg_as_owner "$bindir/pg_ctl" -D "$POSTGRES_DIR/data" -l "$POSTGRES_DIR/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$POSTGRES_DIR \
          -c max_connections=300 -c fsync=on -c synchronous_commit=on ${POSTGRES_SERVER_OPTIONS:-}" \
      start >/dev/null; then
      POSTGRES_PORT="$port"
      export POSTGRES_PORT
      export BOOTGATE_TEST_POSTGRES_URL="host=127.0.0.1 port=$port user=$user dbname=postgres"
      return 0
    fi
    echo "postgres.sh: start on port $port failed (attempt $attempt)" >&2
  done
  cat "$POSTGRES_DIR/server.log" >&2
  return 1
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  postgres_start
  if [[ "${1:-}" == "--" ]]; then
    shift
    code=0
    "$@" || code=$?
    exit "$code"
  fi
  echo "$BOOTGATE_TEST_POSTGRES_URL"
  echo "postgres.sh: serving on 127.0.0.1:$POSTGRES_PORT until interrupted" >&2
  while true; do sleep 3600 & wait $!; done  # wait: a signal runs the trap at once
fi
