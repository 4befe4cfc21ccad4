#!/usr/bin/env bash
# The generator's good-host boot follows the event order of the captured real boot
# (tests/data/realboot/golden: OVMF + shim 16.1 + Debian grub 2.06 + kernel 6.1 on swtpm),
# layer by layer: firmware and Secure Boot configuration with the PCR 7 separator, ReadyToBoot
# separators, shim's authority and GPT, shim's PCR 14/7 events, grub's config reads, and the
# kernel grub loads from memory before kernel_cmdline, then ExitBootServices. Which layers are
# compared and what is tolerated (firmware-internal PCR 0/2 events, how many Boot#### options,
# grub.cfg's own commands) is in fixtures_realboot_order.py. The helper must also tell a log in
# another order apart: the Secure-Boot-off capture (no shim authority, no kernel application)
# fails it.
source "$BOOTGATE_SOURCE_DIR/tests/integration/fixtures_lib.sh"
work="$(mktemp -d)"
trap 'swtpm_stop; rm -rf "$work"' EXIT
realboot="$BOOTGATE_SOURCE_DIR/tests/data/realboot"
compare="$BOOTGATE_SOURCE_DIR/tests/integration/fixtures_realboot_order.py"

file="$SCENARIOS/good-host.textproto"
SWTPM_NO_STARTUP=1 swtpm_start "$work/tpm" "$(scenario_banks "$file")"
"$FIXTURE_GEN" --scenario "$file" --out "$work/good-host" --startup > /dev/null
swtpm_stop

python3 "$compare" "$realboot/golden/eventlog.bin" "$work/good-host/eventlog.bin"
echo "good-host follows the real boot's order"

set +e
python3 "$compare" "$realboot/golden/eventlog.bin" "$realboot/sb-off/eventlog.bin" \
  > "$work/sb-off.out" 2>&1
rc=$?
set -e
if ((rc != 1)); then
  cat "$work/sb-off.out" >&2
  echo "the comparison accepted a boot in another order (exit $rc)" >&2
  exit 1
fi
echo "a boot in another order (Secure Boot off) is told apart"
