#!/usr/bin/env bash
# Two bootgated replicas on one PostgreSQL (scripts/postgres.sh) sharing the token key and the
# signing keys (issue 6 acceptance 1): 16 concurrent Attest calls with ONE token, released
# together behind a barrier and spread over both replicas -> exactly one accepted, the 15
# others ALREADY_EXISTS; a verdict of one replica is in the other's history under the same id.
set -euo pipefail
: "${BOOTGATE_SOURCE_DIR:?}"
src="$BOOTGATE_SOURCE_DIR"
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-replicas.XXXXXX")"
# shellcheck source=tests/integration/server_lib.sh
source "$src/tests/integration/server_lib.sh"
# shellcheck source=scripts/postgres.sh
source "$src/scripts/postgres.sh"
postgres_start
cleanup() {
  server_stop_all
  swtpm_stop
  postgres_stop
  [[ -n "${KEEP_WORK:-}" ]] || rm -rf "$work"
}
server_tpm_boot a
trap cleanup EXIT
host=host-good-1
policy="$src/policies/fixtures/good-host.textproto"
# One data dir for the keys (token.key, signing/): the first replica creates them, the second
# starts after it and reads them.
server_start r1 --data-dir "$work/data" --postgres "$BOOTGATE_TEST_POSTGRES_URL" --policy "$policy"
server_start r2 --data-dir "$work/data" --postgres "$BOOTGATE_TEST_POSTGRES_URL" --policy "$policy"
client "$r1_addr" register "$host" "$work/ak-a.pem" >/dev/null

server_quote "$r2_addr" "$host" a  # a token from replica 2
client "$r1_addr,$r2_addr" attest "$host" "$token" "$work/q.msg" "$work/q.sig" \
  "$work/boot/eventlog.bin" "$work/q.pcrs" --concurrent 16 > "$work/codes"
echo "status codes: $(sort "$work/codes" | uniq -c | tr -s ' \n' ' ')"
check "16 concurrent calls with one token on two replicas: exactly one accepted" \
  "[[ \$(grep -cx 0 '$work/codes') == 1 ]]"
check "the 15 others are ALREADY_EXISTS" "[[ \$(grep -cx 6 '$work/codes') == 15 ]]"
check "both replicas' history holds exactly one attestation" \
  "[[ \$(client '$r1_addr' history $host | json \"len(d['attestations'])\") == 1 && \$(client '$r2_addr' history $host | json \"len(d['attestations'])\") == 1 ]]"
# Replicas agree (issue 15): a Watch on replica 2 sees what replica 1 records (PostgreSQL
# LISTEN/NOTIFY, Store::FollowAttestations). Started before, it prints the INITIAL state first.
"$BOOTGATE_CLI" placement watch "$host" --server "$r2_addr" --json > "$work/watch.out" 2> "$work/watch.err" &
watch_pid=$!
server_pids+=("$watch_pid")
for _ in $(seq 100); do [[ -s "$work/watch.out" ]] && break; sleep 0.1; done
# seen_within SECONDS PATTERN: waits for a watch line matching PATTERN; prints how long it took.
seen_within() {
  local start_ns now_ns
  start_ns="$(date +%s%N)"
  for _ in $(seq $(($1 * 20))); do
    if grep -q -- "$2" "$work/watch.out"; then
      now_ns="$(date +%s%N)"
      echo "seen on replica 2 after $(((now_ns - start_ns) / 1000000)) ms"
      return 0
    fi
    sleep 0.05
  done
  return 1
}
server_attest "$r1_addr" "$host" a "$work/boot/eventlog.bin"
id="$(json "d['attestation_id']" < "$work/$host.json")"
check "a Watch on replica 2 sees the verdict recorded through replica 1" \
  "seen_within 30 '\"attestation_id\":\"$id\"'"
check "replica 2 serves replica 1's verdict under the same id" \
  "client '$r2_addr' get '$id' | grep -q '\"attestation_id\":\"$id\"'"
check "the JWT of replica 1 verifies with replica 2's JWKS" \
  "python3 - '$work/$host.json' '$r2_http' <<'PY'
import json, sys, urllib.request, jwt
v = json.load(open(sys.argv[1]))
jwks = json.load(urllib.request.urlopen(f'http://127.0.0.1:{sys.argv[2]}/.well-known/jwks.json'))
kid = jwt.get_unverified_header(v['jwt'])['kid']
key = next(k for k in jwks['keys'] if k['kid'] == kid)
claims = jwt.decode(v['jwt'], jwt.algorithms.ECAlgorithm.from_jwk(json.dumps(key)), algorithms=['ES256'])
assert claims['bootgate.attestation_id'] == v['attestation_id'], claims
PY"

"$BOOTGATE_CLI" host revoke "$host" --server "$r1_addr" --reason "replica test" > "$work/revoke.out" 2>&1 ||
  { cat "$work/revoke.out"; fail=1; }
check "a Watch on replica 2 sees the revocation made through replica 1" \
  "seen_within 30 'ak-revoked'"
check "each change reached the Watch once" \
  "[[ \$(grep -c '\"attestation_id\":\"$id\"' '$work/watch.out') == 1 && \$(grep -c 'ak-revoked' '$work/watch.out') == 1 ]]"
exit "$fail"
