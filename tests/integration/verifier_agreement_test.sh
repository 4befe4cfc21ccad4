#!/usr/bin/env bash
# bootgate's verifier agrees with independent tools on every scenario in
# swtpm-fixtures/scenarios/ (issue 4, acceptance 3). Each scenario is booted on its own swtpm
# (swtpm-fixtures/boot), two at a time, then verifier_agreement.py compares bootgate with
# the TPM's PCRs, tpm2_eventlog, tpm2_checkquote, openssl x509 and pesign on that bundle.
# Prints one line per scenario and "verifier_agreement: N passed, M failed".
#   verifier_agreement_test.sh [SCENARIO_NAME...]   (default: all)
source "$BOOTGATE_SOURCE_DIR/tests/integration/fixtures_lib.sh"
PE_WRITER="$BOOTGATE_BINARY_DIR/tests/unit/fixtures_write_pe_images"
[[ -x "$PE_WRITER" ]] || { echo "fixtures_write_pe_images not built: $PE_WRITER" >&2; exit 1; }
for tool in tpm2_eventlog tpm2_checkquote pesign openssl; do
  command -v "$tool" > /dev/null || { echo "$tool not installed" >&2; exit 1; }
done

# One scenario: boot, write its PE images, compare. Runs in its own process (xargs), so each
# swtpm has its own EXIT trap in swtpm-fixtures/boot.
if [[ "${1:-}" == --one ]]; then
  file="$2" ak="$3" dir="$4/$(basename "$2" .textproto)"
  mkdir -p "$dir/images"
  start=$(date +%s%N)
  if ! TMPDIR="$dir" "$BOOTGATE_SOURCE_DIR/swtpm-fixtures/boot" --scenario "$file" \
      --out "$dir/bundle" --ak "$ak" > "$dir/boot.log" 2>&1; then
    echo "$(basename "$file" .textproto): FAILED: fixture generation"; cat "$dir/boot.log"
    exit 1
  fi
  boot_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  "$PE_WRITER" "$file" "$dir/images" > /dev/null
  python3 "$BOOTGATE_SOURCE_DIR/tests/integration/verifier_agreement.py" \
    "$file" "$dir/bundle" "$dir/images" | sed "1s/\$/ (boot $boot_ms ms, $ak AK)/"
  exit "${PIPESTATUS[0]}"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export BOOTGATE_FIXTURE="$FIXTURE_GEN"
files=()
if (($#)); then
  for name in "$@"; do files+=("$SCENARIOS/$name.textproto"); done
else
  files=("$SCENARIOS"/*.textproto)
fi
start=$(date +%s%N)
# Two scenarios at a time (2 cores); RSA and ECC AKs alternate. xargs appends FILE AK to
# `sh -c SCRIPT _ WORK SELF`, so in SCRIPT: $1 work dir, $2 this script, $3 file, $4 AK.
i=0
for file in "${files[@]}"; do
  ak=rsa; ((i % 2)) && ak=ecc
  printf '%s\0%s\0' "$file" "$ak"
  i=$((i + 1))
done | xargs -0 -n2 -P2 sh -c \
  'bash "$2" --one "$3" "$4" "$1" > "$1/$(basename "$3" .textproto).result" 2>&1' \
  _ "$work" "${BASH_SOURCE[0]}" || true
total_ms=$(( ($(date +%s%N) - start) / 1000000 ))

passed=0 failed=0
for file in "${files[@]}"; do
  result="$work/$(basename "$file" .textproto).result"
  cat "$result" 2>/dev/null || echo "$(basename "$file" .textproto): FAILED: no result"
  if [[ -f "$result" ]] && head -1 "$result" | grep -q ': ok;'; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
done
if pgrep -f "swtpm socket.*$work" > /dev/null; then
  echo "swtpm left running under $work" >&2
  failed=$((failed + 1))
fi
echo "verifier_agreement: $passed passed, $failed failed (${#files[@]} scenarios, ${total_ms} ms)"
((failed == 0))
