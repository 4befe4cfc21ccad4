#!/usr/bin/env bash
# kill -9 of bootgated during a stream of Attest calls (issue 6 acceptance 3): after a restart
# on the same store, every call that got a verdict is in the history, and the store passes its
# integrity check; the durability settings themselves are asserted (SQLite synchronous = 2
# (FULL) and WAL, PostgreSQL synchronous_commit = on), which a kill -9 alone cannot prove.
# BOOTGATE_SERVER_BACKEND=postgres (server_crash_postgres_test.sh) runs it on PostgreSQL.
set -euo pipefail
: "${BOOTGATE_SOURCE_DIR:?}"
src="$BOOTGATE_SOURCE_DIR"
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-crash.XXXXXX")"
# shellcheck source=tests/integration/server_lib.sh
source "$src/tests/integration/server_lib.sh"
backend="${BOOTGATE_SERVER_BACKEND:-sqlite}"
store_args=(--data-dir "$work/data")
if [[ "$backend" == postgres ]]; then
  # shellcheck source=scripts/postgres.sh
  source "$src/scripts/postgres.sh"
  postgres_start
  store_args+=(--postgres "$BOOTGATE_TEST_POSTGRES_URL")
fi
loop_pid=""
: > "$work/answered.ids"
cleanup() {
  [[ -n "$loop_pid" ]] && kill "$loop_pid" 2>/dev/null
  server_stop_all
  swtpm_stop
  if declare -F postgres_stop >/dev/null; then postgres_stop; fi
  [[ -n "${KEEP_WORK:-}" ]] || rm -rf "$work"
}
server_tpm_boot a
trap cleanup EXIT
host=host-good-1
policy="$src/policies/fixtures/good-host.textproto"

server_start s1 "${store_args[@]}" --policy "$policy"
client "$s1_addr" register "$host" "$work/ak-a.pem" >/dev/null

# The stream: quote and attest in a loop (bounded by count and time); each verdict's id is
# appended to answered.ids only once the call returned it.
(
  end=$((SECONDS + 40))
  for _ in $(seq 400); do
    (( SECONDS < end )) || break
    server_quote "$s1_addr" "$host" a 2>/dev/null || continue
    out="$("$ATTEST_CLIENT" "$s1_addr" attest "$host" "$token" "$work/q.msg" "$work/q.sig" \
      "$work/boot/eventlog.bin" "$work/q.pcrs" 2>/dev/null)" || { echo "$out" >> "$work/refused"; continue; }
    json "d['attestation_id']" <<<"$out" >> "$work/answered.ids"
  done
) &
loop_pid=$!
# Kill once a few verdicts were answered (at most ~20 s of waiting).
for _ in $(seq 200); do
  [[ -f "$work/answered.ids" && $(wc -l < "$work/answered.ids") -ge 5 ]] && break
  sleep 0.1
done
sleep 0.3
kill -9 "$s1_pid"
wait "$s1_pid" 2>/dev/null || true
sleep 0.5
kill "$loop_pid" 2>/dev/null || true
wait "$loop_pid" 2>/dev/null || true
loop_pid=""
answered=$(wc -l < "$work/answered.ids")
echo "calls answered with a verdict before kill -9: $answered"

check "bootgated --check-store: integrity ok after kill -9" \
  "'$BOOTGATED' --check-store ${store_args[*]@Q} > '$work/check' 2>&1"
cat "$work/check"
if [[ "$backend" == postgres ]]; then
  check "PostgreSQL synchronous_commit is on" "grep -qx 'synchronous_commit=on' '$work/check'"
  check "PostgreSQL fsync is on" "grep -qx 'fsync=on' '$work/check'"
else
  check "SQLite PRAGMA synchronous is 2 (FULL)" "grep -qx 'synchronous=2' '$work/check'"
  check "SQLite journal_mode is WAL" "grep -qx 'journal_mode=wal' '$work/check'"
  if command -v sqlite3 >/dev/null; then
    check "sqlite3 integrity_check of the file says ok" \
      "[[ \$(sqlite3 '$work/data/bootgate.db' 'PRAGMA integrity_check') == ok ]]"
  fi
fi

server_start s2 "${store_args[@]}" --policy "$policy"
found=$(readable_verdicts "$s2_addr" "$work/answered.ids")
echo "of those, in the history after restart: $found"
check "at least 5 calls were answered before the kill" "(( answered >= 5 ))"
check "every answered call is in the history after restart" "(( found == answered ))"
server_attest "$s2_addr" "$host" a "$work/boot/eventlog.bin"
check "the restarted server attests" "grep -q TIER_AFFIRMING '$work/$host.json'"
exit "$fail"
