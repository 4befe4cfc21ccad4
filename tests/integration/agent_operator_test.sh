#!/usr/bin/env bash
# The operator commands against a real bootgated after real attestations: placement (exit 0
# eligible, 1 not, and why), history list/filters/show/diff as tables and JSON, policy push
# errors, and a dry run that flips exactly the tampered host.
set -euo pipefail
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-operator.XXXXXX")"
# shellcheck source=tests/integration/agent_lib.sh
source "$(dirname "$0")/agent_lib.sh"
cli="$BOOTGATE_CLI"
out="$work/out"
policy="$BOOTGATE_SOURCE_DIR/policies/fixtures/good-host.textproto"

start_bootgated
expect_rc 0 "$out" "$cli" policy push "$policy"
boot_host host-good-1 good-host
boot_host host-bootloader-replaced bootloader-replaced
for id in host-good-1 host-bootloader-replaced; do
  expect_rc 0 "$out" "$cli" host add "$id" --group good-host --ak "$work/$id/ak.pub"
done
attest() {
  "$cli" attest --host "$1" --tcti "$(cat "$work/$1/tcti")" --eventlog "$work/$1/eventlog.bin" --json
}

echo "placement before any attestation: not eligible, never attested"
expect_rc 1 "$out" "$cli" placement host-good-1
expect_grep '^host-good-1: NOT eligible \(never attested\)$' "$out"
expect_rc 2 "$out" "$cli" placement host-nobody
expect_grep '^bootgate: Placement.Get: NOT_FOUND: ' "$out"

attest host-good-1 > "$work/good.json" || fail "good host attest"
rc=0; attest host-bootloader-replaced > "$work/bad.json" || rc=$?
[[ $rc -eq 1 ]] || fail "tampered host attest exit $rc"
attest host-bootloader-replaced > "$work/bad2.json" || true
id_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["attestation_id"])' "$1"; }
good_id="$(id_of "$work/good.json")" bad_id="$(id_of "$work/bad.json")" bad2_id="$(id_of "$work/bad2.json")"

echo "placement after attestation"
expect_rc 0 "$out" "$cli" placement host-good-1
expect_grep '^host-good-1: eligible \(latest verdict eligible and fresh\), verdict age ' "$out"
expect_rc 1 "$out" "$cli" placement host-bootloader-replaced
expect_grep '^host-bootloader-replaced: NOT eligible \(latest verdict contraindicated\)' "$out"
expect_grep '^boot-loader +4 ' "$out"
expect_rc 0 "$out" "$cli" placement host-good-1 --json
python3 - "$out" "$good_id" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
assert p["eligible"] is True and p["reason"] == "PLACEMENT_REASON_ELIGIBLE", p
assert p["verdict"]["attestation_id"] == sys.argv[2], p
PY

echo "history: all, by host, by tier, since, JSON"
expect_rc 0 "$out" "$cli" history
expect_grep '^ID +HOST +GROUP +TIER +ELIGIBLE +ISSUED +FINDINGS$' "$out"
[[ "$(grep -c ' host-' "$out")" -eq 3 ]] || { cat "$out"; fail "history should list 3 attestations"; }
expect_grep "^$good_id +host-good-1 +good-host +affirming +yes " "$out"
expect_grep "^$bad_id +host-bootloader-replaced +good-host +contraindicated +no " "$out"
expect_rc 0 "$out" "$cli" history --host host-bootloader-replaced --json
python3 - "$out" "$bad_id" "$bad2_id" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["attestations"]
assert sorted(r["attestation_id"] for r in rows) == sorted(sys.argv[2:]), rows
assert all(r["host_id"] == "host-bootloader-replaced" for r in rows), rows
PY
expect_rc 0 "$out" "$cli" history --tier affirming --json
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["attestations"]; assert [x["host_id"] for x in r]==["host-good-1"], r' "$out"
expect_rc 0 "$out" "$cli" history --since 1h
[[ "$(grep -c ' host-' "$out")" -eq 3 ]] || fail "--since 1h should keep all 3"
expect_rc 0 "$out" "$cli" history --since "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)"
expect_grep '^no attestations$' "$out"
expect_rc 2 "$out" "$cli" history --since yesterday
expect_grep '^bootgate: --since: "yesterday" is not a time' "$out"
expect_rc 2 "$out" "$cli" history --host a --group b
expect_grep 'not both' "$out"

echo "history show and diff"
expect_rc 0 "$out" "$cli" history show "$bad_id"
expect_grep '^host host-bootloader-replaced: contraindicated, NOT placement eligible$' "$out"
expect_grep '^  quote [0-9]+ bytes, signature [0-9]+ bytes, pcrs [0-9]+ bytes, event log [0-9]+ bytes$' "$out"
expect_grep '^  ak sha256 [0-9a-f]{64}$' "$out"
expect_rc 0 "$out" "$cli" history show "$bad_id" --json
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["evidence"]["event_log"] and r["verdict"]["tier"]=="TIER_CONTRAINDICATED", r["verdict"]' "$out"
expect_rc 2 "$out" "$cli" history show no-such-attestation
expect_grep '^bootgate: History.Get: (NOT_FOUND|INVALID_ARGUMENT): ' "$out"
expect_rc 0 "$out" "$cli" history diff "$good_id" "$bad_id"
expect_grep "^a: $good_id  host host-good-1  affirming, eligible" "$out"
expect_grep "^b: $bad_id  host host-bootloader-replaced  contraindicated, not eligible" "$out"
expect_grep '^boot-loader +CHANGED$' "$out"
expect_grep '^findings only in b:$' "$out"
# The replaced grub is one changed event (its digest), matched by content, not position.
expect_grep '^  PCR 4  EV_EFI_BOOT_SERVICES_APPLICATION event [0-9]+ -> [0-9]+$' "$out"
expect_rc 0 "$out" "$cli" history diff "$bad_id" "$bad2_id" --json
python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
assert not any(l["changed"] for l in d["layers"]), d["layers"]
assert not d["findings_added"] and not d["findings_removed"], d' "$out"

echo "policy dry-run: allowing the replaced grub flips exactly the tampered host"
grub="$("$cli" eventlog show --json "$work/host-bootloader-replaced/eventlog.bin" | python3 -c '
import json, sys
for e in json.load(sys.stdin)["events"]:
    if e["pcr"] == 4 and e["type_name"] == "EV_EFI_BOOT_SERVICES_APPLICATION" and "grubx64.efi" in e.get("summary", ""):
        print(e["digests"]["sha256"])')"
[[ "$grub" =~ ^[0-9a-f]{64}$ ]] || fail "no grub digest in the tampered log"
sed -e 's/^version: .*/version: "allow-new-grub"/' \
    -e "s/^  boot_loader {\$/  boot_loader {\n    allowed { name: \"grubx64.efi\" sha256: \"$grub\" }/" \
    "$policy" > "$work/candidate.textproto"
expect_rc 0 "$out" "$cli" policy dry-run "$work/candidate.textproto"
expect_grep '^2 host\(s\) evaluated, 1 verdict\(s\) would change$' "$out"
expect_grep "^host-bootloader-replaced \(attestation $bad2_id\): contraindicated, not eligible -> affirming, eligible  \[ELIGIBILITY CHANGES\]$" "$out"
grep -q '^host-good-1 ' "$out" && fail "the good host's verdict should not change"
expect_grep '^findings only under the current policy:$' "$out"
expect_rc 0 "$out" "$cli" policy dry-run "$work/candidate.textproto" --json
python3 -c '
import json,sys
r=json.load(open(sys.argv[1]))
assert [c["host_id"] for c in r["changes"]]==["host-bootloader-replaced"], r
assert r["changes"][0]["eligibility_changed"] is True
c=r["changes"][0]
assert [f["code"] for f in c["findings_removed"]]==["image-not-allowed"], c
assert not c.get("findings_added"), c' "$out"
# Nothing was stored: the tampered host is still not eligible.
expect_rc 1 "$out" "$cli" placement host-bootloader-replaced

echo "policy push: refused candidates exit 2 with the server's reason"
printf 'name: "broken"\nversion: "x"\ngroups { name: "" }\n' > "$work/broken.textproto"
expect_rc 2 "$out" "$cli" policy push "$work/broken.textproto"
expect_grep '^bootgate: PolicyService.Put: INVALID_ARGUMENT: ' "$out"
expect_rc 2 "$out" "$cli" policy push "$policy"
expect_grep '^bootgate: PolicyService.Put: ALREADY_EXISTS: ' "$out"
expect_rc 2 "$out" "$cli" policy push "$work/candidate.textproto" --expected-version not-the-active-one
expect_grep '^bootgate: PolicyService.Put: ABORTED: ' "$out"
expect_rc 0 "$out" "$cli" policy push "$work/candidate.textproto" --expected-version fixtures-1
expect_grep '^policy fixtures-good-host version allow-new-grub stored at .*, active$' "$out"
rc=0; attest host-bootloader-replaced > "$out" || rc=$?
[[ $rc -eq 0 ]] || { cat "$out"; fail "after the push the replaced grub is allowed (exit $rc)"; }
echo "PASS: agent operator commands"
