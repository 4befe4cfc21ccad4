#!/usr/bin/env bash
# Fault test (issue 13, "PostgreSQL restarted under load"): attestations in a loop against
# bootgated on PostgreSQL (scripts/postgres.sh) while the database is stopped (pg_ctl -m fast:
# every backend terminated, as in a restart or a failover) and started again 3 s later.
# While it is down, calls fail with UNAVAILABLE (never another code, never a verdict that was
# not stored) and bootgated keeps running; once it is back the connection pool reconnects by
# itself: the first call after the restart succeeds (no call pays for a dead pooled
# connection) and attestations go on; every verdict an Attest returned is readable afterwards
# and `bootgated --check-store` says the store is intact.
set -euo pipefail
: "${BOOTGATE_SOURCE_DIR:?}"
src="$BOOTGATE_SOURCE_DIR"
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-pgrestart.XXXXXX")"
# shellcheck source=tests/integration/server_lib.sh
source "$src/tests/integration/server_lib.sh"
# shellcheck source=scripts/postgres.sh
source "$src/scripts/postgres.sh"
loop_pid=""
cleanup() {
  [[ -z "$loop_pid" ]] || kill "$loop_pid" 2>/dev/null || true
  server_stop_all
  swtpm_stop
  postgres_stop
  [[ -n "${KEEP_WORK:-}" ]] || rm -rf "$work"
}
postgres_start
server_tpm_boot a
trap cleanup EXIT
trap 'exit 130' INT  # a signal (ctest's timeout) runs cleanup too
trap 'exit 143' TERM
pg_bin="$(_pg_bindir)"
pg_ctl_as_owner() { _pg_as_owner "$pg_bin/pg_ctl" -D "$POSTGRES_DIR/data" "$@"; }

host=host-good-1
server_start s1 --postgres "$BOOTGATE_TEST_POSTGRES_URL" \
  --policy "$src/policies/fixtures/good-host.textproto"
client "$s1_addr" register "$host" "$work/ak-a.pem" >/dev/null

# The load: challenge, quote, attest in a loop until $work/stop exists. Each call's outcome is
# one line of $work/calls: "<start ms> <end ms> ok <id>" or "<start> <end> <rpc> <CODE: message>".
: > "$work/calls"
(
  while [[ ! -e "$work/stop" ]]; do
    t0=$(date +%s%3N)
    ch="$("$ATTEST_CLIENT" "$s1_addr" challenge "$host" 2>&1)" || {
      echo "$t0 $(date +%s%3N) challenge ${ch%%$'\n'*}" >> "$work/calls"; sleep 0.05; continue; }
    token="$(json "d['token']" <<<"$ch")"
    tpm2_flushcontext -t
    tpm2_quote -c "$work/ak-a.ctx" -l sha256:0,1,2,3,4,5,6,7,8,9,14 \
      -q "$(json "d['qualifying_data']" <<<"$ch")" -m "$work/q.msg" -s "$work/q.sig" \
      -o "$work/q.pcrs" -g sha256 >/dev/null
    if out="$("$ATTEST_CLIENT" "$s1_addr" attest "$host" "$token" "$work/q.msg" "$work/q.sig" \
      "$work/boot/eventlog.bin" "$work/q.pcrs" 2>&1)"; then
      echo "$t0 $(date +%s%3N) ok $(json "d['attestation_id']" <<<"$out")" >> "$work/calls"
    else
      echo "$t0 $(date +%s%3N) attest ${out%%$'\n'*}" >> "$work/calls"
    fi
  done
) &
loop_pid=$!
oks() { grep -c ' ok ' "$work/calls" || true; }
for _ in $(seq 200); do (( $(oks) >= 5 )) && break; sleep 0.1; done
check "the load attests before the restart" "(( \$(oks) >= 5 ))"

stop_ms=$(date +%s%3N)
pg_ctl_as_owner -m fast -w -t 30 stop >/dev/null
down_ms=$(date +%s%3N)
readyz() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$s1_http/readyz" || true; }
readyz_down="$(readyz)"
sleep 3
pg_ctl_as_owner -l "$POSTGRES_DIR/server.log" -w -t 60 -o "-c listen_addresses=127.0.0.1 \
  -c port=$POSTGRES_PORT -c unix_socket_directories=$POSTGRES_DIR -c max_connections=300 \
  -c fsync=on -c synchronous_commit=on" start >/dev/null
up_ms=$(date +%s%3N)
echo "PostgreSQL stopped at +0 ms, down at +$((down_ms - stop_ms)) ms, up again at +$((up_ms - stop_ms)) ms"
ok_before_up=$(oks)
for _ in $(seq 300); do (( $(oks) >= ok_before_up + 5 )) && break; sleep 0.1; done
touch "$work/stop"
wait "$loop_pid" 2>/dev/null || true
loop_pid=""

# Calls that ended while PostgreSQL was down, and those after it was up again.
awk -v d="$down_ms" -v u="$up_ms" '$1 > d && $2 <= u' "$work/calls" > "$work/during"
awk -v u="$up_ms" '$1 > u' "$work/calls" > "$work/after"
echo "calls: $(wc -l < "$work/calls") in all, $(wc -l < "$work/during") while down, $(wc -l < "$work/after") after"
sed 's/^/  down: /' "$work/during" | cut -c1-160 | sort -k4 | uniq -f3 -c | head -5
grep -v ' ok ' "$work/after" | sed 's/^/  after: /' | cut -c1-200 | head -5 || true
check "bootgated survives the restart" "kill -0 $s1_pid"
check "/readyz is 503 while PostgreSQL is down (got $readyz_down)" "[[ $readyz_down == 503 ]]"
readyz_up="$(readyz)"
check "/readyz is 200 once it is back (got $readyz_up)" "[[ $readyz_up == 200 ]]"
check "calls while PostgreSQL is down fail" "(( \$(wc -l < '$work/during') > 0 )) && ! grep -q ' ok ' '$work/during'"
check "every call while PostgreSQL is down fails with UNAVAILABLE" \
  "! grep -v ' UNAVAILABLE: ' '$work/during'"
check "no call failed with anything but UNAVAILABLE" \
  "! grep -v ' ok ' '$work/calls' | grep -v ' UNAVAILABLE: '"
check "the first call after PostgreSQL is back succeeds (the pool reconnected)" \
  "head -1 '$work/after' | grep -q ' ok '"
check "every call after PostgreSQL is back succeeds" "! grep -v ' ok ' '$work/after'"
check "attestations go on after the restart" "(( \$(grep -c ' ok ' '$work/after') >= 5 ))"

# A quick restart while the pool holds several idle connections (no call in flight to notice
# the outage): the calls after it must not be the ones that find the dead connections.
psql_count() {
  _pg_as_owner psql -h 127.0.0.1 -p "$POSTGRES_PORT" -d postgres -Atc \
    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
}
for _ in 1 2 3; do
  server_quote "$s1_addr" "$host" a
  client "$s1_addr" attest "$host" "$token" "$work/q.msg" "$work/q.sig" "$work/boot/eventlog.bin" \
    "$work/q.pcrs" --concurrent 16 > "$work/burst"
  grep -c '^0$' "$work/burst" | grep -qx 1 || { echo "burst: $(sort "$work/burst" | uniq -c)"; }
done
pooled=$(psql_count)
echo "bootgated's connections before the quick restart: $pooled"
check "the pool holds several connections before the quick restart" "(( pooled >= 2 ))"
pg_ctl_as_owner -m fast -w -t 30 restart -l "$POSTGRES_DIR/server.log" >/dev/null
: > "$work/quick"
for _ in $(seq 6); do
  if ! ch="$("$ATTEST_CLIENT" "$s1_addr" challenge "$host" 2>&1)"; then
    echo "challenge ${ch%%$'\n'*}" >> "$work/quick"
    continue
  fi
  tpm2_flushcontext -t
  tpm2_quote -c "$work/ak-a.ctx" -l sha256:0,1,2,3,4,5,6,7,8,9,14 \
    -q "$(json "d['qualifying_data']" <<<"$ch")" -m "$work/q.msg" -s "$work/q.sig" \
    -o "$work/q.pcrs" -g sha256 >/dev/null
  if out="$("$ATTEST_CLIENT" "$s1_addr" attest "$host" "$(json "d['token']" <<<"$ch")" \
    "$work/q.msg" "$work/q.sig" "$work/boot/eventlog.bin" "$work/q.pcrs" 2>&1)"; then
    json "d['attestation_id']" <<<"$out" >> "$work/acked.quick"
    echo ok >> "$work/quick"
  else
    echo "attest ${out%%$'\n'*}" >> "$work/quick"
  fi
done
sort "$work/quick" | uniq -c | cut -c1-200
check "every call after a quick restart succeeds (dead pooled connections are not handed out)" \
  "! grep -vx ok '$work/quick'"

{ grep ' ok ' "$work/calls" | awk '{print $4}'; cat "$work/acked.quick" 2>/dev/null || true; } > "$work/acked.ids"
acked=$(wc -l < "$work/acked.ids")
found=$(readable_verdicts "$s1_addr" "$work/acked.ids")
echo "acknowledged verdicts: $acked, readable: $found"
check "every acknowledged verdict is readable after the restart" "(( found == acked ))"
check "bootgated --check-store: integrity ok after the restart" \
  "'$BOOTGATED' --check-store --postgres '$BOOTGATE_TEST_POSTGRES_URL' > '$work/check' 2>&1"
cat "$work/check"
exit "$fail"
