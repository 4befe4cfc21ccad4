#!/usr/bin/env bash
# Issue 13 item 1: a TPM rollback stays caught. A real swtpm host attests (eligible), its state
# (permanent + volatile: PCRs, counters, the persisted AK) is saved, the TPM restarts twice
# (TPM2_Shutdown(STATE) + Startup(STATE): restartCount 0 -> 2, PCRs kept) and attests again;
# then the saved state is put back (restartCount 0 again). The next three attestations are all
# contraindicated, naming the rollback: the first and later ones because the quote is below the
# highest counters the AK ever had accepted (kept in their own store table, not the latest
# attestation row), and every one because the rollback is still unacknowledged. `host show`
# says so, also after a policy push re-appraised the rolled-back quote (the rollback findings stay;
# no second rollback is caught). After `host ack-rollback` (admin, audited with who and why) the host is eligible again.
set -euo pipefail
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-rollback.XXXXXX")"
# shellcheck source=tests/integration/agent_lib.sh
source "$(dirname "$0")/agent_lib.sh"
cli="$BOOTGATE_CLI"
out="$work/out"

start_bootgated
# The fixtures' policy with this test's host in the good-host group.
sed 's/^  hosts: "host-good-1"$/&\n  hosts: "host-rb"/' \
  "$BOOTGATE_SOURCE_DIR/policies/fixtures/good-host.textproto" > "$work/policy.textproto"
expect_rc 0 "$out" "$cli" policy push "$work/policy.textproto"
boot_host host-rb good-host
expect_rc 0 "$out" "$cli" host add host-rb --group good-host --ak "$work/host-rb/ak.pub"
# shellcheck disable=SC1091
source "$work/host-rb/swtpm.env"  # BOOTGATE_TCTI, SWTPM_PID, SWTPM_WORKDIR
port="${BOOTGATE_TCTI##*port=}"
ctrl="127.0.0.1:$((port + 1))"
export TPM2TOOLS_TCTI="$BOOTGATE_TCTI"
state="$SWTPM_WORKDIR/tpm"
agent=(--host host-rb --tcti "$BOOTGATE_TCTI" --eventlog "$work/host-rb/eventlog.bin")

counters() { tpm2_readclock | awk '/reset_count|restart_count/ {sub(":", "", $1); printf "%s=%s ", $1, $2}'; }

echo "booted host: eligible ($(counters))"
expect_rc 0 "$out" "$cli" attest "${agent[@]}"
expect_grep '^host host-rb: affirming, placement eligible$' "$out"

echo "save the TPM's whole state (swtpm_ioctl -v: the volatile state too)"
swtpm_ioctl --tcp "$ctrl" -v
cp -a "$state" "$work/tpm-saved"
rm -f "$state/tpm2-00.volatilestate"  # the running TPM must not come back to it on -i

for _ in 1 2; do  # TPM Resume: restartCount + 1, PCRs kept
  tpm2_shutdown
  swtpm_ioctl --tcp "$ctrl" -i
  tpm2_startup
done
echo "after two restarts: $(counters)"
expect_rc 0 "$out" "$cli" attest "${agent[@]}"
expect_grep '^host host-rb: affirming, placement eligible$' "$out"

echo "roll the TPM back: stop swtpm, put the saved state back, start it on the same port"
swtpm_ioctl --tcp "$ctrl" -s
for _ in $(seq 1 50); do kill -0 "$SWTPM_PID" 2>/dev/null || break; sleep 0.1; done
rm -rf "$state"
cp -a "$work/tpm-saved" "$state"
rm -f "$SWTPM_WORKDIR/swtpm.pid"
swtpm socket --tpm2 --tpmstate dir="$state" \
  --server type=tcp,port="$port",bindaddr=127.0.0.1 \
  --ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 \
  --flags not-need-init --pid file="$SWTPM_WORKDIR/swtpm.pid" \
  --log file="$SWTPM_WORKDIR/swtpm.log" --daemon
for _ in $(seq 1 50); do [[ -s "$SWTPM_WORKDIR/swtpm.pid" ]] && break; sleep 0.1; done
agent_swtpm_pids+=("$(cat "$SWTPM_WORKDIR/swtpm.pid")")
rolled="$(counters)"
echo "rolled back: $rolled"
[[ "$rolled" == *"restart_count=0 "* ]] || fail "the restored TPM's restartCount is not 0: $rolled"

for i in 1 2 3; do
  echo "attestation $i of the rolled-back TPM: contraindicated, naming the rollback"
  expect_rc 1 "$out" "$cli" attest "${agent[@]}"
  expect_grep '^host host-rb: contraindicated, NOT placement eligible$' "$out"
  # The quote itself is below the highest counters the AK had accepted (restartCount 2), on
  # every attestation: the baseline did not follow the rolled-back quotes down.
  expect_grep '^evidence +- +- +contraindicated +restart-count-decreased +TPM rollback: the quote.s restartCount went below the highest this AK ever had accepted \(quote: resetCount [0-9]+, restartCount 0, .*; accepted: at least resetCount [0-9]+, restartCount 2, ' "$out"
  # From the second on, the rollback caught before is named too, until an admin clears it.
  if ((i > 1)); then
    expect_grep '^evidence +- +- +contraindicated +tpm-rollback-unacknowledged +TPM rollback caught earlier and not yet acknowledged \(restart-count-decreased caught at ' "$out"
  fi
done

echo "a policy push re-appraises the rolled-back quote (issue 14): the rollback findings stay"
# A tightened baseline (grub no longer allowed) changes the verdict, so a re-appraisal is
# recorded; the server's rollback findings must survive it, and no second rollback is caught.
python3 - "$work/policy.textproto" "$work/tight.textproto" <<'PY'
import re, sys
text = open(sys.argv[1]).read().replace('version: "fixtures-1"', 'version: "no-grub"', 1)
tight = re.sub(r'    allowed \{\n      name: "grubx64.efi"\n(?:      .*\n)*?    \}\n', '', text, count=1)
assert tight != text
open(sys.argv[2], 'w').write(tight)
PY
expect_rc 0 "$out" "$cli" policy push "$work/tight.textproto"
expect_rc 1 "$out" "$cli" placement host-rb --json
/usr/bin/python3 - "$out" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))["verdict"]
assert v.get("reappraisal_of") and v["policy_version"] == "no-grub", v
codes = [f["code"] for f in v["findings"] if f.get("severity") == "contraindicated"]
for c in ("restart-count-decreased", "tpm-rollback-unacknowledged", "image-not-allowed"):
    assert c in codes, (c, codes)
PY
sed -i 's/^version: .*/version: "fixtures-2"/' "$work/policy.textproto"
expect_rc 0 "$out" "$cli" policy push "$work/policy.textproto"
expect_rc 1 "$out" "$cli" placement host-rb

echo "host show names the open rollback"
expect_rc 0 "$out" "$cli" host show host-rb
expect_grep '^status active, TPM ROLLBACK$' "$out"
expect_grep '^TPM rollback \(unacknowledged: `bootgate host ack-rollback`\) restart-count-decreased at ' "$out"
[[ "$(grep -c '^TPM rollback ' "$out")" -eq 1 ]] || { cat "$out"; fail "re-appraisal caught a second rollback"; }

echo "ack-rollback needs a reason; an unknown host is NOT_FOUND"
expect_rc 2 "$out" "$cli" host ack-rollback host-rb
expect_rc 2 "$out" "$cli" host ack-rollback host-nobody --reason x
expect_grep 'NOT_FOUND' "$out"

echo "the admin acknowledges it: the host is eligible again, and the audit log says who and why"
expect_rc 0 "$out" "$cli" host ack-rollback host-rb --reason "restored the TPM on purpose, ticket 99"
expect_grep '^status active$' "$out"
expect_rc 0 "$out" "$cli" attest "${agent[@]}"
expect_grep '^host host-rb: affirming, placement eligible$' "$out"
expect_rc 0 "$out" "$cli" attest "${agent[@]}"
expect_grep '^host host-rb: affirming, placement eligible$' "$out"
expect_rc 2 "$out" "$cli" host ack-rollback host-rb --reason "again"
expect_grep 'FAILED_PRECONDITION: .*no unacknowledged TPM rollback' "$out"
expect_rc 0 "$out" "$cli" audit --host host-rb --json
/usr/bin/python3 - "$out" <<'PY'
import json, sys
records = json.load(open(sys.argv[1])).get("records", [])  # a ListAuditResponse
acks = [r for r in records if r.get("action") == "host.rollback-acknowledged"]
assert len(acks) == 1, records
ack = acks[0]
assert ack.get("outcome") == "ok", ack
assert ack.get("reason") == "restored the TPM on purpose, ticket 99", ack
assert ack.get("actor"), ack
assert "restart-count-decreased" in ack.get("details", ""), ack
PY

echo "PASS: agent rollback (three contraindicated attestations after the rollback, eligible after ack)"
