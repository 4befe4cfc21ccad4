#!/usr/bin/env bash
# Issue 15, acceptance 1 and 2: the HTTPS JSON API and the Kubernetes admission webhook, on a
# real bootgated with mutual TLS and real swtpm hosts.
# - Every ```sh example of docs/http-api.md runs as it is (placement, history, the JWKS and a
#   JWT checked with python3-jwt, challenge + tpm2_quote + attest, an admission review).
# - Roles hold as on gRPC: an agent certificate cannot read history or another host, a
#   placement certificate cannot attest, no certificate is refused, a certificate from another
#   CA fails its handshake; refusals are in the audit log.
# - AdmissionReview documents shaped as the Kubernetes API reference gives them: a Pod binding
#   and a Pod with spec.nodeName to an eligible node are allowed; to an ineligible, revoked,
#   unknown or stale node denied, the finding in status.message; every response echoes the uid.
# - deploy/kubernetes/validating-webhook.yaml has what a working webhook configuration needs.
set -euo pipefail
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-https.XXXXXX")"
# shellcheck source=tests/integration/agent_lib.sh
source "$(dirname "$0")/agent_lib.sh"
unset SWTPM_CACHE_DIR
cli="$BOOTGATE_CLI"
out="$work/out"
ak=0x81010002

pki="$work/pki"
test_ca ca "/O=bootgate test/CN=bootgate test CA"
issue server "/CN=bootgated" "subjectAltName=IP:127.0.0.1"
issue agent "/OU=agent/CN=host-a"
issue agent-bad "/OU=agent/CN=host-bad"
issue agent-rev "/OU=agent/CN=host-rev"
issue agent-stale "/OU=agent/CN=host-stale"
issue scheduler "/OU=placement/CN=scheduler"
issue apiserver "/OU=placement/CN=kube-apiserver"
issue alice "/OU=operator/CN=alice"
issue root-ops "/OU=admin/CN=root-ops"
other="$work/other"
mkdir -p "$other"
pki="$other" test_ca ca "/CN=another CA"
pki="$other" issue_from ca mallory "/OU=admin/CN=mallory"
as() { local who="$1"; shift; "$cli" "$@" --ca "$pki/ca.pem" --cert "$pki/$who.pem" --key "$pki/$who.key"; }

boot_host host-a good-host
boot_host host-bad bootloader-replaced
boot_host host-rev good-host
boot_host host-stale good-host
cat "$work"/host-*/ek-ca.pem > "$work/ek-cas.pem"

# The fixture policy with this test's hosts in its group, and host-stale alone in a copy of the
# group whose verdicts live 3 s.
/usr/bin/python3 "$BOOTGATE_SOURCE_DIR/tests/integration/policy_with_hosts.py" \
  "$BOOTGATE_SOURCE_DIR/policies/fixtures/good-host.textproto" --hosts host-a host-bad host-rev \
  --short-ttl host-stale > "$work/policy.textproto"

cat > "$work/config.textproto" <<CONF
tls { cert_file: "$pki/server.pem" key_file: "$pki/server.key" client_ca_file: "$pki/ca.pem" }
enrollment { ek_ca_files: "$work/ek-cas.pem" }
limits { max_request_bytes: 1048576 }
CONF
echo "https_address without TLS: bootgated refuses to start"
rc=0
"$BOOTGATED" --listen 127.0.0.1:0 --http off --https 127.0.0.1:0 --data-dir "$work/data0" \
  > "$work/refused.out" 2>&1 || rc=$?
[[ "$rc" != 0 ]] || fail "bootgated served HTTPS without TLS"
expect_grep 'https_address 127\.0\.0\.1:0 needs tls' "$work/refused.out"

start_bootgated --config "$work/config.textproto" --https 127.0.0.1:0
https_port="$(sed -n 's/.*https_port=\([0-9]*\).*/\1/p' "$work/bootgated.out")"
[[ -n "$https_port" && "$https_port" != 0 ]] || fail "no HTTPS port in $(cat "$work/bootgated.out")"
export BOOTGATE="https://127.0.0.1:$https_port"

expect_rc 0 "$out" as root-ops policy push "$work/policy.textproto" --reason "https api test"
for id in host-a host-bad host-rev host-stale; do
  who="agent-${id#host-}"
  [[ "$id" != host-a ]] || who=agent
  expect_rc 0 "$out" as "$who" enroll "$id" --tcti "$(cat "$work/$id/tcti")" --ak-handle "$ak"
  rc=0
  as "$who" attest --host "$id" --tcti "$(cat "$work/$id/tcti")" \
    --eventlog "$work/$id/eventlog.bin" > "$out" 2>&1 || rc=$?
  [[ "$rc" == 0 || "$id" == host-bad ]] || { cat "$out" >&2; fail "attest $id: exit $rc"; }
done
expect_rc 0 "$out" as root-ops host revoke host-rev --reason "https api test: key leaked"

echo "every example of docs/http-api.md, as it is"
examples="$work/examples"
mkdir -p "$examples"
ln -s "$pki" "$examples/pki"
/usr/bin/python3 - "$BOOTGATE_SOURCE_DIR/docs/http-api.md" "$examples" <<'PY'
import re, sys
blocks = re.findall(r"^```sh\n(.*?)^```$", open(sys.argv[1]).read(), re.S | re.M)
assert len(blocks) >= 6, f"only {len(blocks)} sh examples"
for i, block in enumerate(blocks):
    open(f"{sys.argv[2]}/{i:02d}.sh", "w").write(block)
print(f"{len(blocks)} examples")
PY
declare -A ran=()
for script in "$examples"/*.sh; do
  title="$(head -1 "$script")"
  echo "example: $title"
  (cd "$examples" && HOST=host-a EVENTLOG="$work/host-a/eventlog.bin" \
    TPM2TOOLS_TCTI="$(cat "$work/host-a/tcti")" bash -euo pipefail "$script") \
    > "$script.out" 2>&1 || { cat "$script.out" >&2; tail -5 "$work/bootgated.log" >&2; fail "example failed: $title"; }
  ran["${title%%:*}"]="$script.out"
done
example() { [[ -n "${ran[$1]:-}" ]] || fail "no example \"$1\" in docs/http-api.md"; echo "${ran[$1]}"; }
/usr/bin/python3 - "$(example '# placement')" "$(example '# history')" \
  "$(example '# record')" "$(example '# jwks')" "$(example '# attest')" "$(example '# admission')" <<'PY'
import json, sys
placement, history, record, jwks, attest, admission = (open(p).read() for p in sys.argv[1:])
p = json.loads(placement)
assert p["hostId"] == "host-a" and p["eligible"] is True, p
assert p["reason"] == "PLACEMENT_REASON_ELIGIBLE" and p["verdict"]["jwt"].count(".") == 2, p
h = json.loads(history)
assert h["attestations"] and all(a["hostId"] == "host-a" for a in h["attestations"]), h
r = json.loads(record)
assert r["verdict"]["hostId"] == "host-a" and len(r["evidence"]["eventLog"]) > 1000, r.keys()
assert "verified: host-a True" in jwks, jwks
v = json.loads(attest)
assert v["tier"] == "TIER_AFFIRMING" and v["placementEligible"] is True, v
assert v["hostId"] == "host-a" and v["jwt"], v
a = json.loads(admission)
assert a["apiVersion"] == "admission.k8s.io/v1" and a["kind"] == "AdmissionReview", a
assert a["response"]["uid"] == "705ab4f5-6393-11e8-b7cc-42010a800002", a
assert a["response"]["allowed"] is True and a["response"]["status"]["code"] == 200, a
print("examples: placement eligible, history, record with its log, JWT verified, "
      "attest affirming, binding allowed")
PY

# curl_as WHO METHOD PATH [BODY_FILE]: the HTTP status on the first line, the body after it.
curl_as() {
  local who="$1" method="$2" path="$3" body="${4:-}" tls=(--cacert "$pki/ca.pem")
  [[ "$who" == none ]] || tls+=(--cert "$pki/$who.pem" --key "$pki/$who.key")
  local args=(-sS -o "$work/body" -w '%{http_code}\n' -X "$method" "${tls[@]}")
  [[ -z "$body" ]] || args+=(-H 'Content-Type: application/json' --data-binary "@$body")
  [[ -n "$body" || "$method" != POST ]] || args+=(-d '{}')
  curl "${args[@]}" "$BOOTGATE$path"
  cat "$work/body"
}
# refused WHO METHOD PATH HTTP STATUS: the answer is that HTTP status and google.rpc status.
refused() {
  local answer
  answer="$(curl_as "$1" "$2" "$3")"
  /usr/bin/python3 - "$4" "$5" "$answer" <<'PY' || fail "$1 $2 $3: want $4 $5, got: $answer"
import json, sys
http, status, answer = sys.argv[1], sys.argv[2], sys.argv[3]
code, body = answer.split("\n", 1)
error = json.loads(body)["error"]
assert code == http and error["code"] == int(http) and error["status"] == status, answer
assert error["message"], answer
PY
  echo "ok   $1 $2 $3 -> $4 $5"
}

echo "roles hold as on gRPC"
refused agent GET "/v1/attestations?hostId=host-a" 403 PERMISSION_DENIED
refused agent GET "/v1/attestations/$(printf '0%.0s' {1..64})" 403 PERMISSION_DENIED
refused agent GET /v1/hosts/host-bad/placement 403 PERMISSION_DENIED
refused agent POST /v1/hosts/host-bad/challenge 403 PERMISSION_DENIED
refused scheduler POST /v1/hosts/host-a/challenge 403 PERMISSION_DENIED
refused scheduler GET "/v1/attestations?hostId=host-a" 403 PERMISSION_DENIED
refused none GET /v1/hosts/host-a/placement 403 PERMISSION_DENIED
refused alice GET /v1/hosts/nobody/placement 404 NOT_FOUND
refused alice GET "/v1/attestations?hostId=host-a&colour=blue" 400 INVALID_ARGUMENT
refused alice GET /v1/nothing 404 NOT_FOUND
expect_rc 0 "$out" curl -sS --cacert "$pki/ca.pem" --cert "$pki/alice.pem" --key "$pki/alice.key" \
  "$BOOTGATE/v1/attestations?hostId=host-bad&tiers=TIER_CONTRAINDICATED&placementEligible=false"
expect_grep '"tier":"TIER_CONTRAINDICATED"' "$out"
rc=0
curl -sS --cacert "$pki/ca.pem" --cert "$other/mallory.pem" --key "$other/mallory.key" \
  "$BOOTGATE/v1/hosts/host-a/placement" > "$out" 2>&1 || rc=$?
[[ "$rc" != 0 ]] || fail "a certificate from another CA was served: $(cat "$out")"
expect_grep 'event=tls_refused reason=unknown_ca .*CN=mallory' "$work/bootgated.log"
echo "ok   a certificate from another CA: handshake refused (curl exit $rc), logged unknown_ca"
echo "a token used twice: 409 ALREADY_EXISTS, as on gRPC"
expect_rc 0 "$out" curl -sS -o "$work/again" -w '%{http_code}' --cacert "$pki/ca.pem" \
  --cert "$pki/agent.pem" --key "$pki/agent.key" -H 'Content-Type: application/json' \
  --data-binary "@$examples/attest.json" "$BOOTGATE/v1/hosts/host-a/attest"
expect_grep '^409$' "$out"
expect_grep '"status":"ALREADY_EXISTS"' "$work/again"

echo "a body larger than 4/3 of limits.max_request_bytes (1 MiB here): 413, before any handler"
head -c $((1500 * 1024)) /dev/zero > "$work/large.json"
refused_body() {
  local answer
  answer="$(curl_as agent POST /v1/hosts/host-a/attest "$work/large.json")"
  [[ "$(head -1 <<<"$answer")" == 413 ]] || fail "large body: $(head -c 300 <<<"$answer")"
  grep -q '"status":"RESOURCE_EXHAUSTED"' <<<"$answer" || fail "large body: $answer"
}
refused_body
echo "ok   1.5 MiB body -> 413 RESOURCE_EXHAUSTED"

expect_rc 0 "$out" as alice audit --outcome denied --limit 100 --json
/usr/bin/python3 - "$out" <<'PY'
import json, sys
records = json.load(open(sys.argv[1])).get("records", [])
want = [("host-a", "agent", "History.List", "host-a"), ("host-a", "agent", "Placement.Get", "host-bad"),
        ("host-a", "agent", "Challenge", "host-bad"), ("scheduler", "placement", "Challenge", "host-a")]
for actor, role, action, host in want:
    if not [r for r in records if (r.get("actor"), r.get("role"), r.get("action"),
                                   r.get("host_id", "")) == (actor, role, action, host)]:
        raise SystemExit(f"no denied audit record for {actor} {action} {host}: {records}")
print(f"audit: the HTTPS refusals are denied records ({len(records)} in all)")
PY

echo "admission reviews"
# review UID OPERATION SUBRESOURCE NODE: an AdmissionReview as the API server sends it, for a
# Pod binding (SUBRESOURCE binding) or a Pod create (SUBRESOURCE "", NODE its spec.nodeName).
review() {
  /usr/bin/python3 - "$@" <<'PY'
import json, sys
uid, operation, sub, node = sys.argv[1:5]
gvk = lambda kind: {"group": "", "version": "v1", "kind": kind}
pods = {"group": "", "version": "v1", "resource": "pods"}
if sub == "binding":
    obj = {"apiVersion": "v1", "kind": "Binding",
           "metadata": {"name": "virt-launcher-vm1-x7k2p", "namespace": "vms"},
           "target": {"apiVersion": "v1", "kind": "Node", "name": node}}
    kind = "Binding"
else:
    spec = {"containers": [{"name": "compute", "image": "quay.io/kubevirt/virt-launcher:v1.1.0"}]}
    if node:
        spec["nodeName"] = node
    obj = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "virt-launcher-vm1-x7k2p", "namespace": "vms",
                        "labels": {"kubevirt.io": "virt-launcher"}}, "spec": spec}
    kind = "Pod"
request = {"uid": uid, "kind": gvk(kind), "resource": pods, "requestKind": gvk(kind),
           "requestResource": pods, "name": "virt-launcher-vm1-x7k2p", "namespace": "vms",
           "operation": operation,
           "userInfo": {"username": "system:serviceaccount:kubevirt:kubevirt-controller",
                        "uid": "4c6e1f0e", "groups": ["system:serviceaccounts"]},
           "object": obj, "oldObject": None, "dryRun": False,
           "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"}}
if sub:
    request["subResource"] = sub
    request["requestSubResource"] = sub
print(json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                  "request": request}))
PY
}
# admit WANT(allowed|denied) PATTERN UID OPERATION SUBRESOURCE NODE
admit() {
  local want="$1" pattern="$2" answer
  shift 2
  review "$@" > "$work/review.json"
  answer="$(curl_as apiserver POST /v1/admission/kubernetes "$work/review.json")"
  /usr/bin/python3 - "$want" "$pattern" "$1" "$answer" <<'PY' || fail "admission $*: $answer"
import json, re, sys
want, pattern, uid, answer = sys.argv[1:5]
code, body = answer.split("\n", 1)
r = json.loads(body)
assert code == "200", code
assert r["apiVersion"] == "admission.k8s.io/v1" and r["kind"] == "AdmissionReview", r
res = r["response"]
assert res["uid"] == uid and isinstance(res["allowed"], bool), r
assert res["allowed"] == (want == "allowed"), r
assert res["status"]["code"] == (200 if want == "allowed" else 403), r
assert re.search(pattern, res["status"]["message"]), r
print(f"ok   {want}: {res['status']['message'][:150]}")
PY
}
admit allowed 'host-a\) is eligible: affirming verdict' u-1 CREATE binding host-a
admit allowed 'host-a\) is eligible' u-2 CREATE "" host-a
admit allowed 'places no Pod on a node' u-3 CREATE "" ""
admit allowed 'places no Pod on a node' u-4 UPDATE "" host-bad
admit denied 'host-bad\) is not eligible: contraindicated verdict [0-9a-f]{12} .*: image-not-allowed' \
  u-5 CREATE binding host-bad
admit denied 'host-bad\) is not eligible' u-6 CREATE "" host-bad
admit denied 'host-rev\) is not eligible: contraindicated verdict .*ak-revoked' u-7 CREATE binding host-rev
admit denied 'node node-x \(bootgate host node-x\) is not registered' u-8 CREATE binding node-x
for _ in $(seq 1 50); do
  curl_as alice GET /v1/hosts/host-stale/placement | grep -q PLACEMENT_REASON_EXPIRED && break
  sleep 0.2
done
admit denied 'host-stale\) is not eligible: its latest verdict \(affirming verdict .*\) expired at .*must attest again' \
  u-9 CREATE binding host-stale
echo "/metrics counts the hosts by group and eligibility now"
http_port="$(sed -n 's/.*http_port=\([0-9]*\).*/\1/p' "$work/bootgated.out")"
curl -sf "http://127.0.0.1:$http_port/metrics" | grep '^bootgate_hosts{' | sort > "$out"
cat "$out"
expect_grep '^bootgate_hosts\{eligible="true",group="good-host"\} 1$' "$out"  # host-a
expect_grep '^bootgate_hosts\{eligible="false",group="good-host"\} 2$' "$out"  # host-bad, -rev
expect_grep '^bootgate_hosts\{eligible="false",group="short-ttl"\} 1$' "$out"  # stale
[[ "$(wc -l < "$out")" == 3 ]] || fail "other bootgate_hosts series"

echo "not an admission.k8s.io/v1 review: 400, so the API server applies failurePolicy"
printf '%s' '{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}}' \
  > "$work/v1beta1.json"
answer="$(curl_as apiserver POST /v1/admission/kubernetes "$work/v1beta1.json")"
[[ "$(head -1 <<<"$answer")" == 400 ]] || fail "v1beta1 review: $answer"
grep -q 'admissionReviewVersions: \[v1\]' <<<"$answer" || fail "v1beta1 review: $answer"
refused agent-bad GET /v1/hosts/host-a/placement 403 PERMISSION_DENIED

echo "SIGHUP with a new server certificate: the next HTTPS handshake presents it"
issue server-2 "/CN=bootgated-2" "subjectAltName=IP:127.0.0.1"
sed -i "s|$pki/server\.pem|$pki/server-2.pem|; s|$pki/server\.key|$pki/server-2.key|" \
  "$work/config.textproto"
kill -HUP "$agent_daemon_pid"
for _ in $(seq 50); do grep -q 'event=reloaded' "$work/bootgated.log" && break; sleep 0.1; done
expect_grep 'event=reloaded' "$work/bootgated.log"
openssl s_client -connect "127.0.0.1:$https_port" -CAfile "$pki/ca.pem" -cert "$pki/alice.pem" \
  -key "$pki/alice.key" < /dev/null 2> /dev/null | openssl x509 -noout -subject > "$out"
expect_grep 'CN ?= ?bootgated-2' "$out"
echo "ok   $(cat "$out")"

echo "the example ValidatingWebhookConfiguration"
/usr/bin/python3 - "$BOOTGATE_SOURCE_DIR/deploy/kubernetes/validating-webhook.yaml" <<'PY'
import base64, sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
assert doc["apiVersion"] == "admissionregistration.k8s.io/v1", doc["apiVersion"]
assert doc["kind"] == "ValidatingWebhookConfiguration", doc["kind"]
(hook,) = doc["webhooks"]
assert hook["admissionReviewVersions"] == ["v1"], hook
assert hook["sideEffects"] == "None", hook
assert hook["failurePolicy"] == "Fail", hook
assert isinstance(hook["timeoutSeconds"], int) and 1 <= hook["timeoutSeconds"] <= 30, hook
url = hook["clientConfig"]["url"]
assert url.startswith("https://") and url.endswith("/v1/admission/kubernetes"), url
assert b"-----BEGIN CERTIFICATE-----" in base64.b64decode(hook["clientConfig"]["caBundle"]), hook
(rule,) = hook["rules"]
assert rule["operations"] == ["CREATE"] and rule["apiGroups"] == [""], rule
assert rule["apiVersions"] == ["v1"] and sorted(rule["resources"]) == ["pods", "pods/binding"], rule
assert rule.get("scope", "*") in ("*", "Namespaced"), rule
print("ok   validating-webhook.yaml: v1 reviews, no side effects, fail closed, pods and "
      "pods/binding CREATE, caBundle and url")
PY
echo "PASS"
