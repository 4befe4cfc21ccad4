#!/usr/bin/env bash
# Issue 15, acceptance 3: eligibility notifications, on two bootgated replicas sharing one
# PostgreSQL, real swtpm hosts, mutual TLS, and a receiver on loopback.
# - Every eligibility change reaches the receiver with a stable event id: a host made eligible,
#   made ineligible (a log that does not match its quote), revoked, and an eligible verdict
#   expiring by its TTL (3 s) with no new attestation.
# - At least once across the receiver's own restart: an event made while it is down is retried
#   with backoff and delivered once it is back.
# - One replica sends each event: no event id arrives twice, and the replicas' delivered
#   counters add up to the events.
# - Each notification's JWT verifies against the JWKS served over HTTPS.
set -euo pipefail
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-notify.XXXXXX")"
# shellcheck source=tests/integration/agent_lib.sh
source "$(dirname "$0")/agent_lib.sh"
# shellcheck source=scripts/postgres.sh
source "$BOOTGATE_SOURCE_DIR/scripts/postgres.sh"
unset SWTPM_CACHE_DIR
cli="$BOOTGATE_CLI"
out="$work/out"
ak=0x81010002
receiver_pid="" r2_pid=""
stop_others() {
  [[ -z "$receiver_pid" ]] || kill "$receiver_pid" 2>/dev/null || true
  [[ -z "$r2_pid" ]] || kill "$r2_pid" 2>/dev/null || true
  postgres_stop
  agent_cleanup
}
postgres_start
trap stop_others EXIT  # after postgres_start, whose own trap it replaces

pki="$work/pki"
test_ca ca "/O=bootgate test/CN=bootgate test CA"
issue server "/CN=bootgated" "subjectAltName=IP:127.0.0.1"
issue agent-a "/OU=agent/CN=host-a"
issue agent-s "/OU=agent/CN=host-s"
issue scheduler "/OU=placement/CN=scheduler"
issue root-ops "/OU=admin/CN=root-ops"
as() { local who="$1"; shift; "$cli" "$@" --ca "$pki/ca.pem" --cert "$pki/$who.pem" --key "$pki/$who.key"; }

boot_host host-a good-host
boot_host host-s good-host
boot_host host-bad bootloader-replaced
cat "$work"/host-*/ek-ca.pem > "$work/ek-cas.pem"
/usr/bin/python3 "$BOOTGATE_SOURCE_DIR/tests/integration/policy_with_hosts.py" \
  "$BOOTGATE_SOURCE_DIR/policies/fixtures/good-host.textproto" --hosts host-a \
  --short-ttl host-s > "$work/policy.textproto"

port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
received="$work/received.jsonl"
touch "$received"
start_receiver() {
  /usr/bin/python3 "$BOOTGATE_SOURCE_DIR/tests/integration/notify_receiver.py" "$port" "$received" &
  receiver_pid=$!
  for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
    sleep 0.1
  done
  fail "the receiver did not start"
}
start_receiver

cat > "$work/config.textproto" <<CONF
tls { cert_file: "$pki/server.pem" key_file: "$pki/server.key" client_ca_file: "$pki/ca.pem" }
enrollment { ek_ca_files: "$work/ek-cas.pem" }
notifications { urls: "http://127.0.0.1:$port/bootgate" }
CONF
# Two replicas: r1 (with the HTTPS API) creates the shared keys in data/, r2 reads them.
start_bootgated --config "$work/config.textproto" --postgres "$BOOTGATE_TEST_POSTGRES_URL" \
  --https 127.0.0.1:0
r1="$BOOTGATE_SERVER"
r1_metrics="$(sed -n 's/.*http_port=\([0-9]*\).*/\1/p' "$work/bootgated.out")"
https_port="$(sed -n 's/.*https_port=\([0-9]*\).*/\1/p' "$work/bootgated.out")"
"$BOOTGATED" --config "$work/config.textproto" --postgres "$BOOTGATE_TEST_POSTGRES_URL" \
  --listen 127.0.0.1:0 --http 127.0.0.1:0 --data-dir "$work/data" \
  > "$work/r2.out" 2> "$work/r2.log" &
r2_pid=$!
for _ in $(seq 150); do grep -q '^grpc_port=' "$work/r2.out" && break; sleep 0.1; done
r2="127.0.0.1:$(sed -n 's/^grpc_port=\([0-9]*\).*/\1/p' "$work/r2.out")"
r2_metrics="$(sed -n 's/.*http_port=\([0-9]*\).*/\1/p' "$work/r2.out")"
[[ "$r2" != "127.0.0.1:" ]] || { cat "$work/r2.log" >&2; fail "replica 2 did not start"; }

expect_rc 0 "$out" as root-ops policy push "$work/policy.textproto" --reason "notify test" --server "$r1"
sleep 1.5  # r2 reads the pushed policy from the store within its refresh interval (1 s)
for id in host-a host-s; do
  expect_rc 0 "$out" as "agent-${id#host-}" enroll "$id" --tcti "$(cat "$work/$id/tcti")" \
    --ak-handle "$ak" --server "$r1"
done

# wait_for KIND HOST: the receiver got an event of that kind for that host (up to 30 s).
wait_for() {
  local start_ns
  start_ns="$(date +%s%N)"
  for _ in $(seq 300); do
    if /usr/bin/python3 -c 'import json, sys; sys.exit(not any(
        r["body"]["kind"] == sys.argv[2] and r["body"]["hostId"] == sys.argv[3]
        for r in map(json.loads, open(sys.argv[1]))))' "$received" "$1" "$2"; then
      echo "ok   $1 $2: received after $((($(date +%s%N) - start_ns) / 1000000)) ms"
      return 0
    fi
    sleep 0.1
  done
  cat "$received" "$work/bootgated.log" "$work/r2.log" >&2
  fail "no $1 event for $2"
}

echo "host-a attests through r1: eligible"
expect_rc 0 "$out" as agent-a attest --host host-a --tcti "$(cat "$work/host-a/tcti")" \
  --eventlog "$work/host-a/eventlog.bin" --server "$r1"
wait_for eligible host-a
echo "host-s attests through r2: eligible, then expired after its 3 s TTL with no new attestation"
expect_rc 0 "$out" as agent-s attest --host host-s --tcti "$(cat "$work/host-s/tcti")" \
  --eventlog "$work/host-s/eventlog.bin" --server "$r2"
wait_for eligible host-s
wait_for expired host-s

echo "the receiver goes down; host-a sends a log its quote does not match (through r2): ineligible"
kill "$receiver_pid"
wait "$receiver_pid" 2>/dev/null || true
receiver_pid=""
expect_rc 1 "$out" as agent-a attest --host host-a --tcti "$(cat "$work/host-a/tcti")" \
  --eventlog "$work/host-bad/eventlog.bin" --server "$r2"
for _ in $(seq 100); do
  grep -qh 'event=notification_failed' "$work/bootgated.log" "$work/r2.log" && break
  sleep 0.1
done
grep -h 'event=notification_failed' "$work/bootgated.log" "$work/r2.log" | head -2
grep -qh 'event=notification_failed .*attempt=1 ' "$work/bootgated.log" "$work/r2.log" ||
  fail "no failed delivery logged while the receiver was down"
sleep 2
echo "the receiver is back: the event is delivered on a retry"
start_receiver
wait_for ineligible host-a

echo "an admin revokes host-a (through r1): revoked"
expect_rc 0 "$out" as root-ops host revoke host-a --reason "notify test" --server "$r1"
wait_for revoked host-a

sleep 2  # a duplicate, if a second replica were to send an event, would arrive by now
curl -sS --fail-with-body --cacert "$pki/ca.pem" --cert "$pki/scheduler.pem" \
  --key "$pki/scheduler.key" "https://127.0.0.1:$https_port/.well-known/jwks.json" > "$work/jwks.json"
delivered=0
for m in "$r1_metrics" "$r2_metrics"; do
  n="$(curl -sf "http://127.0.0.1:$m/metrics" | sed -n 's/^bootgate_notifications_total{result="delivered"} \([0-9.e+]*\)$/\1/p')"
  delivered=$((delivered + ${n:-0}))
done
/usr/bin/python3 - "$received" "$work/jwks.json" "$delivered" <<'PY'
import collections, json, sys
import jwt
records = [json.loads(line) for line in open(sys.argv[1])]
keys = {k["kid"]: jwt.PyJWK(k) for k in json.load(open(sys.argv[2]))["keys"]}
delivered = int(sys.argv[3])
ids = collections.Counter(r["body"]["eventId"] for r in records)
assert all(n == 1 for n in ids.values()), f"an event arrived twice: {ids}"
kinds = sorted((r["body"]["kind"], r["body"]["hostId"]) for r in records)
want = sorted([("eligible", "host-a"), ("eligible", "host-s"), ("expired", "host-s"),
               ("ineligible", "host-a"), ("revoked", "host-a")])
assert kinds == want, f"events {kinds}, want {want}"
assert delivered == len(records), f"the replicas delivered {delivered}, the receiver got {len(records)}"
for r in records:
    body = r["body"]
    assert r["header"] == body["eventId"] and r["path"] == "/bootgate", r
    prefix = "expired-" if body["kind"] == "expired" else "verdict-"
    assert body["eventId"] == prefix + body["attestationId"], body
    assert body["eligible"] == (body["kind"] == "eligible"), body
    token = body["jwt"]
    claims = jwt.decode(token, keys[jwt.get_unverified_header(token)["kid"]].key,
                        algorithms=["ES256"], options={"verify_exp": False})
    assert claims["bootgate.host"] == body["hostId"], claims
    assert claims["bootgate.attestation_id"] == body["attestationId"], claims
    if body["kind"] != "expired":
        assert claims["bootgate.placement_eligible"] == body["eligible"], claims
print(f"ok   {len(records)} events, each once, ids stable (verdict-/expired-<attestation id>), "
      f"{delivered} delivered by the two replicas together, every JWT verified with the JWKS "
      "read over HTTPS")
PY
echo "PASS"
