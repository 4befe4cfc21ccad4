#!/usr/bin/env bash
# bootgate attest against a real bootgated and real swtpm hosts: a good host is eligible (exit
# 0), a host with a replaced grub is not (exit 1, findings printed), a host without event log
# gets no-event-log, errors (unknown host, missing AK, unreachable or non-loopback server) exit
# 2 with the gRPC status code name; --json and --watch; a policy learned from a host's bundle
# accepts the agent's default quote on that host.
set -euo pipefail
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-agent.XXXXXX")"
# shellcheck source=tests/integration/agent_lib.sh
source "$(dirname "$0")/agent_lib.sh"
cli="$BOOTGATE_CLI"
out="$work/out"

start_bootgated
expect_rc 0 "$out" "$cli" policy push "$BOOTGATE_SOURCE_DIR/policies/fixtures/good-host.textproto"
expect_grep '^policy fixtures-good-host version fixtures-1 stored at .*, active$' "$out"

boot_host host-good-1 good-host
boot_host host-bootloader-replaced bootloader-replaced
for id in host-good-1 host-bootloader-replaced; do
  expect_rc 0 "$out" "$cli" host add "$id" --group good-host --ak "$work/$id/ak.pub"
  expect_grep "^host $id$" "$out"
  expect_grep '^ak sha256 [0-9a-f]{64}$' "$out"
  expect_grep '^last attestation \(never attested\)$' "$out"
done
good=(--host host-good-1 --tcti "$(cat "$work/host-good-1/tcti")" --eventlog "$work/host-good-1/eventlog.bin")
bad=(--host host-bootloader-replaced --tcti "$(cat "$work/host-bootloader-replaced/tcti")"
     --eventlog "$work/host-bootloader-replaced/eventlog.bin")

echo "good host: eligible, exit 0"
expect_rc 0 "$out" "$cli" attest "${good[@]}"
expect_grep '^host host-good-1: affirming, placement eligible$' "$out"
expect_grep '^policy fixtures-good-host version fixtures-1, group good-host$' "$out"
expect_grep '^issued [0-9T:-]+Z, expires [0-9T:-]+Z$' "$out"
expect_grep '^no findings$' "$out"

echo "tampered host: not eligible, exit 1, the replaced grub named"
expect_rc 1 "$out" "$cli" attest "${bad[@]}"
expect_grep '^host host-bootloader-replaced: contraindicated, NOT placement eligible$' "$out"
expect_grep '^LAYER +PCR +EVENT +SEVERITY +CODE +MESSAGE$' "$out"
expect_grep '^boot-loader +4 +[0-9]+ +contraindicated ' "$out"

echo "--json: the verdict as protobuf JSON"
expect_rc 0 "$out" "$cli" attest "${good[@]}" --json
python3 - "$out" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
assert v["placement_eligible"] is True, v
assert v["tier"] == "TIER_AFFIRMING", v
assert v["host_id"] == "host-good-1", v
assert v["jwt"].count(".") == 2, v["jwt"]
assert v["attestation_id"], v
PY

echo "no event log: still attests, warns, and the server answers no-event-log"
expect_rc 1 "$out" "$cli" attest --host host-good-1 --tcti "$(cat "$work/host-good-1/tcti")" \
  --eventlog "$work/does-not-exist.bin"
expect_grep '^bootgate attest: warning: no event log at .*does-not-exist.bin' "$out"
expect_grep 'no-event-log' "$out"

echo "errors: exit 2, one line naming the gRPC status"
expect_rc 2 "$out" "$cli" attest --host host-nobody --tcti "$(cat "$work/host-good-1/tcti")" \
  --eventlog "$work/host-good-1/eventlog.bin"
expect_grep '^bootgate: Challenge: NOT_FOUND: .*\(server 127\.0\.0\.1:[0-9]+\)$' "$out"
[[ "$(wc -l < "$out")" -eq 1 ]] || fail "more than one line: $(cat "$out")"
expect_rc 2 "$out" "$cli" attest "${good[@]}" --ak-handle 0x81000099
expect_grep '^bootgate: no AK persisted at 0x81000099' "$out"
expect_rc 2 "$out" "$cli" attest "${good[@]}" --ak-handle 0x01c00002
expect_grep 'is not a persistent handle' "$out"
expect_rc 2 "$out" "$cli" attest "${good[@]}" --pcrs sha256:0-24
expect_grep 'not a PCR number' "$out"
expect_rc 2 "$out" "$cli" attest --host host-good-1 --tcti swtpm:host=127.0.0.1,port=1 \
  --eventlog "$work/host-good-1/eventlog.bin"
expect_grep '^bootgate: (cannot open TPM|TPM) ' "$out"
# A closed loopback port: nothing listens on port 1.
expect_rc 2 "$out" "$cli" attest "${good[@]}" --server 127.0.0.1:1
expect_grep '^bootgate: Challenge: UNAVAILABLE: .*\(server 127\.0\.0\.1:1\)$' "$out"
expect_rc 2 "$out" "$cli" placement host-good-1 --server 192.0.2.1:7443
expect_grep '^bootgate: server 192\.0\.2\.1:7443 is not on loopback: pass --ca FILE' "$out"
BOOTGATE_SERVER=127.0.0.1:1 expect_rc 2 "$out" "$cli" history
expect_grep '^bootgate: History.List: UNAVAILABLE: .*\(server 127\.0\.0\.1:1\)$' "$out"

echo "--watch: re-attests every interval until interrupted"
rc=0
timeout --preserve-status -s INT 5 "$cli" attest "${good[@]}" --json --watch 1s > "$out" 2>&1 || rc=$?
[[ $rc -eq 0 ]] || { cat "$out" >&2; fail "watch exit $rc"; }
lines="$(grep -c '"placement_eligible":true' "$out")"
[[ "$lines" -ge 3 ]] || { cat "$out" >&2; fail "watch made $lines attestations in 5 s"; }
echo "a policy learned from a host's bundle accepts bootgate attest with default flags on that host"
# good-vm's TPM allocates sha1 and sha256. Its bundle is quoted by hand over both banks (as
# tpm2_quote users do): learn requires sha1:0-9 and sha256:0-9, which the agent's default (0-9
# and 14 in every allocated bank) covers; before, the default sha256:0-9 left sha1
# pcr-not-quoted. An explicit --pcrs that leaves the sha1 bank out is still refused.
boot_host host-vm-1 good-vm
mkdir "$work/vm-bundle"
cp "$work/host-vm-1/eventlog.bin" "$work/host-vm-1/ak.pub" "$work/vm-bundle/"
nonce="$(openssl rand -hex 32)"
TPM2TOOLS_TCTI="$(cat "$work/host-vm-1/tcti")" tpm2_quote -c 0x81010002 \
  -l sha1:0,1,2,3,4,5,6,7,8,9+sha256:0,1,2,3,4,5,6,7,8,9 \
  -q "$nonce" -m "$work/vm-bundle/quote.msg" -s "$work/vm-bundle/quote.sig" \
  -o "$work/vm-bundle/quote.pcrs" > /dev/null
echo "{\"nonce\": \"$nonce\", \"host_id\": \"host-vm-1\"}" > "$work/vm-bundle/meta.json"
expect_rc 0 "$out" "$cli" baseline learn "$work/vm-bundle" --group vm --name learned-vm \
  --version 1 --out "$work/learned-vm.textproto"
grep -q '^  required_pcrs: "sha1:0-9"$' "$work/learned-vm.textproto" ||
  fail "learned policy does not require sha1:0-9: $(cat "$work/learned-vm.textproto")"
grep -q '^  required_pcrs: "sha256:0-9"$' "$work/learned-vm.textproto" ||
  fail "learned policy does not require sha256:0-9: $(cat "$work/learned-vm.textproto")"
expect_rc 0 "$out" "$cli" policy push "$work/learned-vm.textproto"
expect_rc 0 "$out" "$cli" host add host-vm-1 --group vm --ak "$work/host-vm-1/ak.pub"
vm=(--host host-vm-1 --tcti "$(cat "$work/host-vm-1/tcti")" --eventlog "$work/host-vm-1/eventlog.bin")
expect_rc 0 "$out" "$cli" attest "${vm[@]}"
expect_grep '^host host-vm-1: affirming, placement eligible$' "$out"
expect_grep '^no findings$' "$out"
expect_rc 1 "$out" "$cli" attest "${vm[@]}" --pcrs sha256:0-9
expect_grep 'pcr-not-quoted' "$out"

echo "PASS: agent attest ($lines attestations in watch mode)"
