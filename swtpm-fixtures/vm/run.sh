#!/usr/bin/env bash
# Boots one scenario by hand against a bootgated this script starts (TLS, the TPM's EK CA
# trusted), and leaves everything in OUT:
#   run.sh SCENARIO OUT        SCENARIO: golden extra-arg sb-off direct-kernel no-stub
#                              grub-extra-cmd initrd-extra-file quoted-arg
# OUT/boot/console.log is the serial console, OUT/boot/files/ what the guest sent (PCRs, event
# log, enroll and attest output, the evidence bundle). Env: VM_ACCEL=tcg|kvm, VM_TIMEOUT,
# POLICY=FILE (pushed before the boot), BOOTGATE_CLI (default build/cli/bootgate).
set -euo pipefail
# shellcheck source=swtpm-fixtures/vm/lib.sh
source "$(dirname "$0")/lib.sh"
(($# == 2)) || vm_die "usage: run.sh SCENARIO OUT"
scenario="$1" out="$2"
cli="${BOOTGATE_CLI:-$VM_BUILD/cli/bootgate}"
vm_traps
vm_scenario "$scenario"
vm_build_guest "$cli"
rm -rf "$out"
mkdir -p "$out"
vm_tpm_provision "$out/tpm"
vm_pki "$out/pki"
vm_start_bootgated "$out/server" "$out/pki" "$out/tpm/ek-ca.pem"
if [[ -n "${POLICY:-}" ]]; then "$cli" policy push "$POLICY" --reason "run.sh $scenario"; fi
vm_config "$out" "$out/pki" "$scenario"
vm_boot "$scenario" "$out/tpm" "$out/config.tar" "$out/boot"
for step in enroll attest; do
  echo "--- bootgate $step (exit $(cat "$out/boot/files/$step.rc" 2>/dev/null || echo '?'))"
  cat "$out/boot/files/$step.out" 2>/dev/null || true
done
