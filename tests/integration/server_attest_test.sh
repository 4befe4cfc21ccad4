#!/usr/bin/env bash
# bootgated end to end on 127.0.0.1 with a real swtpm and SQLite (issue 6 acceptance 1, 2, 6):
# a good host is eligible; the same TPM with an edited log (tampered host) is not, with
# findings; a replayed token, another host's token and a garbage token are refused with the
# documented codes; bad requests get their codes and the server keeps serving; the verdict JWT
# verifies with python3-jwt given only the JWKS fetched over HTTP.
# BOOTGATE_SERVER_BACKEND=postgres runs the same checks on a throwaway PostgreSQL
# (scripts/postgres.sh; server_attest_postgres_test.sh) instead of SQLite.
set -euo pipefail
: "${BOOTGATED:?}" "${ATTEST_CLIENT:?}" "${BOOTGATE_SOURCE_DIR:?}" "${BOOTGATE_BINARY_DIR:?}"
src="$BOOTGATE_SOURCE_DIR"
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-server.XXXXXX")"
server_pid=""
store_args=()
if [[ "${BOOTGATE_SERVER_BACKEND:-sqlite}" == postgres ]]; then
  # shellcheck source=scripts/postgres.sh
  source "$src/scripts/postgres.sh"
  postgres_start
  store_args=(--postgres "$BOOTGATE_TEST_POSTGRES_URL")
fi
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null
  swtpm_stop
  if declare -F postgres_stop >/dev/null; then postgres_stop; fi
  [[ -n "${KEEP_WORK:-}" ]] || rm -rf "$work"
}
# shellcheck source=swtpm-fixtures/swtpm.sh
source "$src/swtpm-fixtures/swtpm.sh"
SWTPM_NO_STARTUP=1 swtpm_start "$work" sha256
trap cleanup EXIT
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }

# The good host's boot on this TPM (PCRs extended, log written), then our own AK to quote with.
"$BOOTGATE_BINARY_DIR/swtpm-fixtures/bootgate-fixture" --scenario "$src/swtpm-fixtures/scenarios/good-host.textproto" \
  --out "$work/boot" --startup --tcti "$BOOTGATE_TCTI" >/dev/null
# Without a resource manager transient objects stay loaded: flush what the generator left.
tpm2_flushcontext -t
tpm2_createek -c "$work/ek.ctx" -G rsa >/dev/null
for h in a b; do
  tpm2_flushcontext -t; tpm2_flushcontext -s
  tpm2_createak -C "$work/ek.ctx" -c "$work/ak-$h.ctx" -G rsa -g sha256 -s rsassa \
    -u "$work/ak-$h.pem" -f pem >/dev/null
done
tpm2_flushcontext -t; tpm2_flushcontext -s
good=host-good-1 bad=host-log-edited-after-quote
# The tampered host: the good log with one event's data byte changed after the quote.
python3 - "$work/boot/eventlog.bin" "$work/tampered.bin" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[-5] ^= 0x01
open(sys.argv[2], "wb").write(data)
PY

"$BOOTGATED" --listen 127.0.0.1:0 --http 127.0.0.1:0 --data-dir "$work/data" "${store_args[@]}" \
  --policy "$src/policies/fixtures/good-host.textproto" > "$work/ports" 2> "$work/server.log" &
server_pid=$!
for _ in $(seq 100); do grep -q grpc_port "$work/ports" && break; sleep 0.1; done
eval "$(cat "$work/ports")"
addr="127.0.0.1:$grpc_port"
# Refusals print "CODE: message" and exit 1; the checks look at the output.
client() { "$ATTEST_CLIENT" "$addr" "$@" || true; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

client register "$good" "$work/ak-a.pem" >/dev/null
client register "$bad" "$work/ak-b.pem" >/dev/null

# attest HOST AK LOG -> verdict JSON in $work/HOST.json; sets $token
attest() {
  local host="$1" ak="$2" log="$3" ch
  ch="$(client challenge "$host")"
  token="$(json "d['token']" <<<"$ch")"
  tpm2_flushcontext -t
  tpm2_quote -c "$work/ak-$ak.ctx" -l sha256:0,1,2,3,4,5,6,7,8,9,14 -q "$(json "d['qualifying_data']" <<<"$ch")" \
    -m "$work/q.msg" -s "$work/q.sig" -o "$work/q.pcrs" -g sha256 >/dev/null
  client attest "$host" "$token" "$work/q.msg" "$work/q.sig" "$log" "$work/q.pcrs" > "$work/$host.json" || true
}

attest "$good" a "$work/boot/eventlog.bin"
check "good host gets an affirming, eligible verdict" \
  "[[ \$(json \"d['tier'], d.get('placement_eligible')\" < '$work/$good.json') == \"('TIER_AFFIRMING', True)\" ]]"
check "good host is eligible for placement" \
  "[[ \$(client placement $good | json \"d.get('eligible')\") == True ]]"
good_token="$token"
check "a replayed token is refused with ALREADY_EXISTS" \
  "client attest $good '$good_token' '$work/q.msg' '$work/q.sig' '$work/boot/eventlog.bin' - | grep -q '^ALREADY_EXISTS: token already used'"
check "another host's token is refused with PERMISSION_DENIED" \
  "client attest $bad '$good_token' '$work/q.msg' '$work/q.sig' '$work/boot/eventlog.bin' - | grep -q '^PERMISSION_DENIED'"
check "a forged token is refused with UNAUTHENTICATED or INVALID_ARGUMENT" \
  "client attest $good '${good_token:0:20}$([[ ${good_token:20:1} == A ]] && echo B || echo A)${good_token:21}' '$work/q.msg' '$work/q.sig' '$work/boot/eventlog.bin' - | grep -Eq '^(UNAUTHENTICATED|INVALID_ARGUMENT)'"

attest "$bad" b "$work/tampered.bin"
check "tampered host is contraindicated with an event-data-mismatch finding" \
  "[[ \$(json \"d['tier'], [f['code'] for f in d['findings']][0]\" < '$work/$bad.json') == \"('TIER_CONTRAINDICATED', 'event-data-mismatch')\" ]]"
check "tampered host is not eligible" \
  "[[ \$(client placement $bad | json \"d.get('reason')\") == PLACEMENT_REASON_CONTRAINDICATED ]]"

# Bad requests: each its code and a message naming the problem; the server keeps serving.
ch="$(client challenge "$good")"; t="$(json "d['token']" <<<"$ch")"
head -c $((17 * 1024 * 1024)) /dev/zero > "$work/huge.bin"
check "oversized event log: RESOURCE_EXHAUSTED naming event_log" \
  "client attest $good '$t' '$work/q.msg' '$work/q.sig' '$work/huge.bin' - | grep -q '^RESOURCE_EXHAUSTED: event_log is'"
head -c 100 /dev/urandom > "$work/garbage"
head -c 20 "$work/q.msg" > "$work/truncated.msg"
check "truncated quote: INVALID_ARGUMENT naming the evidence" \
  "client attest $good '$t' '$work/truncated.msg' '$work/q.sig' '$work/boot/eventlog.bin' - | grep -q '^INVALID_ARGUMENT: evidence does not parse'"
# Attributable (valid token) but malformed: stored as a contraindicated verdict, token consumed.
check "malformed evidence makes the host ineligible" \
  "[[ \$(client placement $good | json \"d.get('eligible', False)\") == False ]]"
check "malformed evidence is in the history with a malformed-evidence finding" \
  "client history $good | json \"d['attestations'][0]['attestation_id']\" > '$work/malformed.id' && client get \$(cat '$work/malformed.id') | grep -q '\"code\": *\"malformed-evidence\"'"
check "the malformed request consumed its token" \
  "client attest $good '$t' '$work/q.msg' '$work/q.sig' '$work/boot/eventlog.bin' - | grep -q '^ALREADY_EXISTS'"
check "unknown host: NOT_FOUND naming the host" \
  "client challenge nobody | grep -q '^NOT_FOUND: host \"nobody\" is not registered'"
check "missing quote: INVALID_ARGUMENT naming quote" \
  "client attest $good '$t' - '$work/q.sig' '$work/boot/eventlog.bin' - | grep -q '^INVALID_ARGUMENT: quote is required'"
check "bad AK at registration: INVALID_ARGUMENT naming ak_public" \
  "client register x '$work/garbage' | grep -q '^INVALID_ARGUMENT: ak_public'"
attest "$good" a "$work/boot/eventlog.bin"
check "the server still attests after the bad requests" \
  "[[ \$(json \"d['tier']\" < '$work/$good.json') == TIER_AFFIRMING ]]"

# History and diff between the good and the tampered attestation.
check "history lists the good host's three attestations (two good, one malformed)" \
  "[[ \$(client history $good | json \"len(d['attestations'])\") == 3 ]]"
check "one attestation id: Verdict.attestation_id, the JWT claim and History.Get agree" \
  "python3 - '$work/$good.json' <<'PY' && client get \$(json \"d['attestation_id']\" < '$work/$good.json') | grep -q '\"tier\": *\"TIER_AFFIRMING\"'
import base64, json, sys
v = json.load(open(sys.argv[1]))
payload = v['jwt'].split('.')[1]
claims = json.loads(base64.urlsafe_b64decode(payload + '=' * (-len(payload) % 4)))
assert claims['bootgate.attestation_id'] == v['attestation_id'], (claims, v['attestation_id'])
assert len(v['attestation_id']) == 64, v['attestation_id']
PY"

# Acceptance 2: the JWT verifies with python3-jwt and only the JWKS fetched over HTTP.
check "verdict JWT verifies with python3-jwt against /.well-known/jwks.json" \
  "python3 - '$work/$good.json' '$http_port' <<'PY'
import json, sys, urllib.request, jwt
verdict = json.load(open(sys.argv[1]))
jwks = json.load(urllib.request.urlopen(f'http://127.0.0.1:{sys.argv[2]}/.well-known/jwks.json'))
kid = jwt.get_unverified_header(verdict['jwt'])['kid']
key = next(k for k in jwks['keys'] if k['kid'] == kid)
claims = jwt.decode(verdict['jwt'], jwt.algorithms.ECAlgorithm.from_jwk(json.dumps(key)), algorithms=['ES256'])
assert claims['bootgate.host'] == 'host-good-1', claims
assert claims['submods']['host-good-1']['ear.status'] == 'affirming', claims
PY"
# Two reuses: the replayed good token and the token the malformed request consumed.
check "metrics count attestations by tier and token rejections" \
  "curl -sf http://127.0.0.1:$http_port/metrics > '$work/metrics' && grep -q 'bootgate_token_rejections_total{reason=\"reused\"} 2' '$work/metrics' && grep -q 'bootgate_attestations_total{tier=\"affirming\"} 2' '$work/metrics'"
check "one log line per request" "grep -q 'method=Attest host=$good code=OK' '$work/server.log'"
[[ $fail == 0 ]] || { echo "--- server log"; tail -30 "$work/server.log"; }
exit "$fail"
