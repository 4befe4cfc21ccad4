#!/usr/bin/env bash
# Mutual TLS roles against a real bootgated on 127.0.0.1 and real swtpm hosts (issue 7,
# acceptance 2): an agent certificate for host-a cannot attest, enroll or read anything for
# host-b, and cannot read history, the audit log or change policy; placement, operator and admin
# certificates get exactly their calls. Every refusal is PERMISSION_DENIED and is in the audit
# log with who, what and why. Also: bootgated refuses TLS without a client CA.
set -euo pipefail
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-access.XXXXXX")"
# shellcheck source=tests/integration/agent_lib.sh
source "$(dirname "$0")/agent_lib.sh"
unset SWTPM_CACHE_DIR
cli="$BOOTGATE_CLI"
out="$work/out"
ak=0x81010002

# A client/server PKI: one CA; the server's certificate for 127.0.0.1; one client certificate
# per caller, subject OU = role, CN = identity (an agent's CN is its host id).
pki="$work/pki"
test_ca ca "/O=bootgate test/CN=bootgate test CA"
issue server "/CN=bootgated" "subjectAltName=IP:127.0.0.1"
issue agent-a "/OU=agent/CN=host-a"
issue agent-b "/OU=agent/CN=host-b"
issue scheduler "/OU=placement/CN=scheduler"
issue alice "/OU=operator/CN=alice"
issue root-ops "/OU=admin/CN=root-ops"
issue nobody "/CN=nobody"
as() { local who="$1"; shift; "$cli" "$@" --ca "$pki/ca.pem" --cert "$pki/$who.pem" --key "$pki/$who.key"; }

boot_host host-a good-host
boot_host host-b good-host
bundle="$work/ek-cas.pem"
cat "$work/host-a/ek-ca.pem" "$work/host-b/ek-ca.pem" > "$bundle"

echo "TLS without a client CA: bootgated refuses to start"
cat > "$work/no-client-ca.textproto" <<CONF
tls { cert_file: "$pki/server.pem" key_file: "$pki/server.key" }
CONF
rc=0
"$BOOTGATED" --config "$work/no-client-ca.textproto" --listen 127.0.0.1:0 --http off \
  --data-dir "$work/data0" > "$work/refused.out" 2>&1 || rc=$?
[[ "$rc" != 0 ]] || fail "bootgated started with TLS but no client CA"
expect_grep 'client_ca_file is required' "$work/refused.out"

cat > "$work/config.textproto" <<CONF
tls { cert_file: "$pki/server.pem" key_file: "$pki/server.key" client_ca_file: "$pki/ca.pem" }
enrollment { ek_ca_files: "$bundle" }
CONF
# The fixture hosts' policy, with this test's host ids in its group.
sed 's/^  hosts: "host-good-1"$/  hosts: "host-good-1"\n  hosts: "host-a"\n  hosts: "host-b"/' \
  "$BOOTGATE_SOURCE_DIR/policies/fixtures/good-host.textproto" > "$work/policy.textproto"
grep -q 'hosts: "host-a"' "$work/policy.textproto" || fail "could not add host-a to the policy"
start_bootgated --config "$work/config.textproto"
echo "no client certificate: the TLS handshake itself fails"
expect_rc 2 "$out" "$cli" placement host-a --ca "$pki/ca.pem"
expect_grep 'UNAVAILABLE' "$out"

echo "admin pushes the policy; agents enroll and attest their own host"
expect_rc 0 "$out" as root-ops policy push "$work/policy.textproto" \
  --reason "fixture baseline for the access test"
for id in host-a host-b; do
  expect_rc 0 "$out" as "agent-${id#host-}" enroll "$id" --tcti "$(cat "$work/$id/tcti")" --ak-handle "$ak"
  expect_rc 0 "$out" as "agent-${id#host-}" attest --host "$id" --tcti "$(cat "$work/$id/tcti")" \
    --eventlog "$work/$id/eventlog.bin"
  expect_grep "^host $id: affirming, placement eligible$" "$out"
done
expect_rc 0 "$out" as agent-a placement host-a
expect_rc 0 "$out" as agent-a host show host-a

echo "agent host-a may do nothing for host-b, and nothing an operator or admin does"
denied() {  # WHO CMD...: exits non-zero with PERMISSION_DENIED
  local rc=0
  as "$@" > "$out" 2>&1 || rc=$?
  [[ "$rc" != 0 ]] || { cat "$out" >&2; fail "allowed: $*"; }
  expect_grep 'PERMISSION_DENIED' "$out"
}
tcti_b="$(cat "$work/host-b/tcti")"
denied agent-a attest --host host-b --tcti "$tcti_b" --eventlog "$work/host-b/eventlog.bin"
denied agent-a enroll host-b --tcti "$tcti_b" --ak-handle "$ak"
denied agent-a placement host-b
denied agent-a host show host-b
denied agent-a history --host host-b
denied agent-a history --host host-a
denied agent-a host list
denied agent-a audit
denied agent-a policy push "$work/policy.textproto" --reason "agent tries"
denied agent-a policy dry-run "$work/policy.textproto"
denied agent-a host revoke host-b --reason "agent tries"
echo "placement, operator, certificate without a role"
expect_rc 0 "$out" as scheduler placement host-b
denied scheduler history --host host-b
denied scheduler host show host-b
expect_rc 0 "$out" as alice history --host host-b
expect_rc 0 "$out" as alice host list
denied alice policy push "$work/policy.textproto" --reason "operator tries"
denied alice host revoke host-b --reason "operator tries"
denied alice attest --host host-b --tcti "$tcti_b" --eventlog "$work/host-b/eventlog.bin"
denied root-ops attest --host host-b --tcti "$tcti_b" --eventlog "$work/host-b/eventlog.bin"
denied nobody placement host-a

echo "every refusal is in the audit log: who, what, why"
expect_rc 0 "$out" as alice audit --outcome denied --limit 100 --json
/usr/bin/python3 - "$out" <<'PY'
import json, sys
records = json.load(open(sys.argv[1])).get("records", [])  # a ListAuditResponse
want = [
    ("host-a", "agent", "Challenge", "host-b"),
    ("host-a", "agent", "Enrollment.Start", "host-b"),
    ("host-a", "agent", "Placement.Get", "host-b"),
    ("host-a", "agent", "Hosts.Get", "host-b"),
    ("host-a", "agent", "History.List", "host-b"),
    ("host-a", "agent", "History.List", "host-a"),
    ("host-a", "agent", "Hosts.List", ""),
    ("host-a", "agent", "Audit.List", ""),
    ("host-a", "agent", "PolicyService.Put", ""),
    ("host-a", "agent", "PolicyService.DryRun", ""),
    ("host-a", "agent", "Hosts.Revoke", "host-b"),
    ("scheduler", "placement", "History.List", "host-b"),
    ("scheduler", "placement", "Hosts.Get", "host-b"),
    ("alice", "operator", "PolicyService.Put", ""),
    ("alice", "operator", "Hosts.Revoke", "host-b"),
    ("alice", "operator", "Challenge", "host-b"),
    ("root-ops", "admin", "Challenge", "host-b"),
]
for actor, role, action, host in want:
    hits = [r for r in records if r.get("actor") == actor and r.get("role") == role and
            r.get("action") == action and r.get("host_id", "") == host and
            r.get("outcome") == "denied" and r.get("reason")]
    if not hits:
        raise SystemExit(f"no denied audit record for {actor} ({role}) {action} {host}: {records}")
unidentified = [r for r in records if r.get("actor") == "unidentified" and "role" in r.get("reason", "")]
if not unidentified:
    raise SystemExit(f"no audit record for the certificate without a role: {records}")
print(f"audit: {len(records)} denied records, each expected one present with its reason")
PY
expect_rc 0 "$out" as alice audit --action policy.put
expect_grep 'root-ops' "$out"
expect_grep 'fixture baseline for the access test' "$out"
echo "refusals are counted"
http_port="$(sed -n 's/.*http_port=\([0-9]*\).*/\1/p' "$work/bootgated.out")"
curl -sf "http://127.0.0.1:$http_port/metrics" > "$work/metrics" || true
if [[ -s "$work/metrics" ]]; then
  expect_grep '^bootgate_refused_calls_total\{.*reason="permission-denied".*\} [1-9]' "$work/metrics"
fi
echo "PASS"
