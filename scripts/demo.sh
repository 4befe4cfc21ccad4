#!/usr/bin/env bash
# The main job, end to end on a software TPM: boots a good host and a tampered one on fresh
# swtpm instances (swtpm-fixtures), then verifies each bundle offline with bootgate: quote
# signature, nonce, PCR digest, and the event log replayed into the quoted PCRs.
# Exits 0 when the good host is accepted and the tampered host is rejected.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh release > /dev/null
cli=build/cli/bootgate
out="${BOOTGATE_DEMO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/bootgate-demo.XXXXXX")}"

step() { printf '\n== %s\n' "$*"; }

step "1. Boot a good host on a fresh swtpm (UEFI firmware, Secure Boot, shim, grub, Linux)"
swtpm-fixtures/boot --scenario good-host --out "$out/good-host" --nonce "$(openssl rand -hex 32)"

step "2. Boot the same host, then edit its event log after the quote (grub's digest swapped)"
swtpm-fixtures/boot --scenario log-edited-after-quote --out "$out/tampered-host" \
  --nonce "$(openssl rand -hex 32)"

step "3. What the good host's log says it booted (events whose digest covers their data are 'verified')"
"$cli" eventlog show "$out/good-host/eventlog.bin" | grep -E 'EV_EFI_VARIABLE_DRIVER_CONFIG|EV_EFI_BOOT_SERVICES_APPLICATION|kernel_cmdline|PCR +type' || true

step "4. Verdicts"
good_rc=0; bad_rc=0
printf 'good-host:     '; "$cli" quote verify "$out/good-host" 2>&1 || good_rc=$?
printf 'tampered-host: '; "$cli" quote verify "$out/tampered-host" 2>&1 || bad_rc=$?

echo
echo "Evidence bundles are in $out (try: $cli eventlog show --json $out/good-host/eventlog.bin)"
if [[ $good_rc -eq 0 && $bad_rc -eq 1 ]]; then
  echo "demo: good host ACCEPTED, tampered host REJECTED, as expected"
else
  echo "demo: unexpected result (good host exit $good_rc, tampered host exit $bad_rc)" >&2
  exit 1
fi
