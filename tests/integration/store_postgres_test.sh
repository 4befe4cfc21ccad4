#!/usr/bin/env bash
# The store test suite (tests/unit/store) on a real PostgreSQL server: scripts/postgres.sh starts
# a throwaway one on 127.0.0.1, every test case gets its own database, and the server is stopped
# and deleted on exit. Same cases, same expectations as on SQLite.
set -euo pipefail

: "${BOOTGATE_SOURCE_DIR:?}" "${BOOTGATE_BINARY_DIR:?}"
store_test="$BOOTGATE_BINARY_DIR/tests/unit/store_test"
[[ -x "$store_test" ]] || { echo "FAIL: $store_test not built" >&2; exit 1; }

# shellcheck source=../../scripts/postgres.sh
source "$BOOTGATE_SOURCE_DIR/scripts/postgres.sh"
postgres_start
echo "PostgreSQL on 127.0.0.1:$POSTGRES_PORT"

# [sqlite] cases poke at SQLite files; everything else is the shared suite.
BOOTGATE_TEST_STORE_BACKEND=postgresql "$store_test" '~[sqlite]'
