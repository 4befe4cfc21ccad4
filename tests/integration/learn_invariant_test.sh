#!/usr/bin/env bash
# Issue 12, Acceptance 4: an invariant over every captured real boot (tests/data/realboot/*/
# with a quote and an event log) and every swtpm-fixtures scenario. For a genuine source,
# `bootgate baseline learn` then `bootgate policy check` of the same bundle is affirming with
# no finding (Secure Boot off: eligible, its only finding secure-boot-not-required), and every
# one-field change of the learned baseline (each image digest, the command line, the Secure
# Boot requirement or db) is contraindicated with a finding naming it (learn_invariant.py).
# Learn refuses forged evidence and says why. About 40 s (16 swtpm boots, two at a time).
set -euo pipefail
: "${BOOTGATE_CLI:?}" "${BOOTGATE_SOURCE_DIR:?}"
src="$BOOTGATE_SOURCE_DIR"
here="$src/tests/integration"
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-learn-invariant.XXXXXX")"
trap 'rm -rf "$work"' EXIT
failures=()
inv() { python3 "$here/learn_invariant.py" "$@" || failures+=("$3"); }

# Captured real boots (no-stub has no event log: learn refuses it, "no event log").
for dir in "$src"/tests/data/realboot/*/; do
  name="$(basename "$dir")"
  [[ -f "$dir/quote.msg" ]] || continue
  if [[ -f "$dir/eventlog.bin" ]]; then
    inv learned "$BOOTGATE_CLI" "$dir" "$work/realboot-$name"
  else
    inv refused "$BOOTGATE_CLI" "$dir" "$work/realboot-$name" "no event log"
  fi
done

# Every synthetic scenario, booted on its own swtpm, two at a time.
scenarios=()
for f in "$src"/swtpm-fixtures/scenarios/*.textproto; do scenarios+=("$(basename "$f" .textproto)"); done
# shellcheck disable=SC2016  # expanded by the inner sh
printf '%s\n' "${scenarios[@]}" | xargs -P 2 -I{} sh -c \
  '"$1/swtpm-fixtures/boot" --scenario "$2" --out "$3/$2" >"$3/$2.boot.log" 2>&1 ||
   { echo "boot $2 failed:"; cat "$3/$2.boot.log"; exit 255; }' _ "$src" {} "$work"

# What learn must say when it refuses, by scenario. Forged evidence (the expectations file's
# log-replay-mismatch scenarios): the log does not replay to the quote, naming a PCR.
# db-measured-after-separator: configuration after the PCR 7 separator. Two genuine boots a
# policy cannot pin, which learn must refuse rather than write a policy that rejects its own
# source: image-authority-not-in-db (the log says shim was verified by a certificate the
# measured db does not hold: self-contradictory, "treat the host as compromised") and
# sha1-only-tpm (the policy pins images by SHA-256 only; the log has no sha256 bank).
declare -A refuse
while IFS=$'\t' read -r s reason; do refuse[$s]="$reason"; done < <(python3 - \
  "$here/policy_expectations.json" <<'PY'
import json, sys
for name, e in sorted(json.load(open(sys.argv[1]))["scenarios"].items()):
    replay = [f for f in e["findings"] if f[3] == "log-replay-mismatch"]
    if replay:
        print(f"{name}\tdoes not replay to the quoted PCRs\tPCR {replay[0][1]}")
PY
)
refuse[db-measured-after-separator]=$'after the PCR 7 separator'
refuse[image-authority-not-in-db]=$'not in the measured db'
refuse[sha1-only-tpm]=$'sha256'
for s in log-edited-after-quote log-event-added log-event-dropped log-truncated; do
  [[ -n "${refuse[$s]:-}" ]] || { echo "FAIL: $s is not forged evidence in policy_expectations.json"; exit 1; }
done

for s in "${scenarios[@]}"; do
  if [[ -n "${refuse[$s]:-}" ]]; then
    IFS=$'\t' read -r -a reasons <<<"${refuse[$s]}"
    inv refused "$BOOTGATE_CLI" "$work/$s" "$work/$s.learn" "${reasons[@]}"
  else
    inv learned "$BOOTGATE_CLI" "$work/$s" "$work/$s.learn"
  fi
done

if ((${#failures[@]})); then
  echo "FAIL: ${#failures[@]} source(s) break the invariant:"
  printf '  %s\n' "${failures[@]}"
  exit 1
fi
echo "ok   every source: learned policies pass their source, one-field changes are named, forged evidence is refused"
