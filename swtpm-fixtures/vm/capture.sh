#!/usr/bin/env bash
# Boots every scenario once (one TPM, one bootgated with no policy, the guest enrolling and
# attesting as $VM_HOST_ID) and copies what each guest sent into DEST/<scenario>/ (default:
# tests/data/realboot): eventlog.bin, pcrs-<bank>.txt ("N HEX" as the guest kernel read
# /sys/class/tpm/tpm0/pcr-<bank>/N), cmdline.txt, the evidence bundle (quote.msg, quote.sig,
# quote.pcrs, ak.pub, ak.tpm2b_public, ek.crt, meta.json), the agent's enroll/attest output and
# the serial console. DEST/versions.txt: packages, firmware, tools, boot times. Work files stay
# in $VM_BUILD/vm-capture.
#   capture.sh [DEST]
set -euo pipefail
# shellcheck source=swtpm-fixtures/vm/lib.sh
source "$(dirname "$0")/lib.sh"
dest="${1:-$VM_SOURCE_DIR/tests/data/realboot}"
cli="${BOOTGATE_CLI:-$VM_BUILD/cli/bootgate}"
work="$VM_BUILD/vm-capture"
vm_traps
vm_build_guest "$cli"
rm -rf "$work"
mkdir -p "$work" "$dest"
vm_tpm_provision "$work/tpm"
vm_pki "$work/pki"
vm_start_bootgated "$work/server" "$work/pki" "$work/tpm/ek-ca.pem"
times=()
for scenario in "${VM_SCENARIOS[@]}"; do
  vm_config "$work/$scenario" "$work/pki" "$scenario"
  vm_boot "$scenario" "$work/tpm" "$work/$scenario/config.tar" "$work/$scenario/boot"
  rm -rf "${dest:?}/$scenario"
  mkdir -p "$dest/$scenario"
  cp "$work/$scenario/boot/files/"* "$work/$scenario/boot/console.log" "$dest/$scenario/"
  rm -f "$dest/$scenario/"*.rc
  times+=("$scenario $(cat "$work/$scenario/boot/seconds") s ($(cat "$work/$scenario/boot/accel"))")
done
{
  echo "# captured $(date -u +%Y-%m-%dT%H:%M:%SZ) by swtpm-fixtures/vm/capture.sh"
  echo "# guest boot chain (apt-get download, unpacked)"
  cat "$VM_GUEST/versions"
  echo "# host: firmware, emulator, vTPM"
  dpkg-query -W ovmf qemu-system-x86 swtpm busybox-static tpm2-tools libtss2-esys-3.0.2-0
  echo "# firmware files"
  echo "$VM_FIRMWARE_CODE $(vm_sha256 "$VM_FIRMWARE_CODE")"
  echo "$VM_VARS_SB_ON $(vm_sha256 "$VM_VARS_SB_ON")"
  echo "$VM_VARS_SB_OFF $(vm_sha256 "$VM_VARS_SB_OFF")"
  echo "# boot wall times (firmware to poweroff, agent included)"
  printf '%s\n' "${times[@]}"
} > "$dest/versions.txt"
cat "$dest/versions.txt"
