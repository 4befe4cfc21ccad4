#!/usr/bin/env bash
# Every scenario in swtpm-fixtures/scenarios/, each on its own fresh swtpm:
#  - tpm2_eventlog parses the log, and its final PCRs equal tpm2_pcrread on the same swtpm,
#    except the PCRs a scenario changes on purpose (tampered logs; tpm2-tools 5.4 ignores
#    StartupLocality, so PCR 0 of hypervisor-host), where the difference is asserted;
#  - tpm2_checkquote accepts the quote (RSA and ECC AKs alternate);
#  - the EK certificate read from NV certifies the EK the generator made;
#  - the generator's own PCR read (pcrs.json) equals tpm2_pcrread.
# Prints the total generation time.
source "$BOOTGATE_SOURCE_DIR/tests/integration/fixtures_lib.sh"
work="$(mktemp -d)"
trap 'swtpm_stop; rm -rf "$work"' EXIT

declare -A expected_diff=(
  [log-edited-after-quote]=4   # grub image digest edited
  [log-event-dropped]=8        # kernel_cmdline event gone
  [log-event-added]=4          # an action the TPM never saw
  [log-truncated]=4,5           # events after the grub image gone (PCRs 8, 9 not in the log at all)
  [hypervisor-host]=0          # StartupLocality 3, which tpm2_eventlog does not apply
)

gen_ms=0 n=0 ak=rsa
for file in "$SCENARIOS"/*.textproto; do
  name="$(basename "$file" .textproto)"
  echo "== $name ($ak AK)"
  dir="$work/$name"
  mkdir -p "$dir"
  SWTPM_NO_STARTUP=1 swtpm_start "$dir/tpm" "$(scenario_banks "$file")"
  start=$(date +%s%N)
  "$FIXTURE_GEN" --scenario "$file" --out "$dir/bundle" --startup --ak "$ak"
  gen_ms=$((gen_ms + ($(date +%s%N) - start) / 1000000))
  b="$dir/bundle"
  banks="$(scenario_banks "$file")"
  tpm2_pcrread "${banks//,/:all+}:all" > "$dir/pcrread.yaml"
  swtpm_stop

  tpm2_eventlog "$b/eventlog.bin" > "$dir/eventlog.yaml"
  python3 "$BOOTGATE_SOURCE_DIR/tests/integration/fixtures_compare_pcrs.py" \
    "$dir/eventlog.yaml" "$dir/pcrread.yaml" "${expected_diff[$name]:-}"

  # pcrs.json (the generator's Esys_PCR_Read) against tpm2_pcrread.
  python3 - "$b/pcrs.json" "$dir/pcrread.yaml" <<'PY'
import json, sys, yaml
mine = json.load(open(sys.argv[1])); tpm = yaml.safe_load(open(sys.argv[2]))
for bank, values in mine.items():
    for pcr, v in values.items():
        t = tpm[bank][int(pcr)]
        t = "%0*x" % (len(v), t) if isinstance(t, int) else t.lower().removeprefix("0x")
        assert v == t, f"pcrs.json {bank}:{pcr} {v} != tpm2_pcrread {t}"
PY

  quote_bank=sha256; [[ "$banks" == sha1 ]] && quote_bank=sha1
  tpm2_checkquote -u "$b/ak.pub" -m "$b/quote.msg" -s "$b/quote.sig" -f "$b/quote.pcrs" \
    -g "$quote_bank" -q "$(meta_field "$b/meta.json" nonce)" > /dev/null
  echo "  tpm2_checkquote: accepted"

  cmp <(openssl x509 -inform DER -in "$b/ek.crt" -noout -pubkey) "$b/ek.pub"
  echo "  EK certificate certifies the EK"
  [[ "$(meta_field "$b/meta.json" scenario)" == "$name" ]]
  n=$((n + 1))
  if [[ $ak == rsa ]]; then ak=ecc; else ak=rsa; fi
done
echo "generated $n scenarios; generator time ${gen_ms} ms in total (swtpm provisioning excluded)"
