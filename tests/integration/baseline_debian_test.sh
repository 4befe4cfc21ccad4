#!/usr/bin/env bash
# Acceptance: `bootgate baseline add-image` gives the same Authenticode digest as
# `pesign -h -i` (which prints "hash: <hex>") on Debian's signed shim, grub and kernel,
# downloaded with apt-get from the Debian mirror (needs network; label "debian"), and
# policies/debian-12/make-baseline.sh writes a policy from them that validates and pins them.
set -euo pipefail
: "${BOOTGATE_CLI:?}" "${BOOTGATE_SOURCE_DIR:?}"
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-baseline-debian.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# shellcheck source=../../policies/debian-12/download.sh
source "$BOOTGATE_SOURCE_DIR/policies/debian-12/download.sh"
debian_boot_chain_download "$work/debs" || { echo "FAIL: download"; exit 1; }
checked=0
for f in "$DEBIAN_SHIM" "$DEBIAN_GRUB" "$DEBIAN_KERNEL"; do
  ours=$("$BOOTGATE_CLI" baseline add-image "$f" | awk '$1 == "sha256" {print $2}')
  theirs=$(pesign -h -i "$f" | sed -n 's/^hash: //p')
  [[ -n "$ours" && "$ours" == "$theirs" ]] || { echo "FAIL: $(basename "$f"): bootgate $ours, pesign $theirs"; exit 1; }
  echo "ok   $(basename "$f"): sha256 $ours (pesign agrees)"
  grep -q "\"$ours\"" "$BOOTGATE_SOURCE_DIR/policies/debian-12/host.textproto" ||
    echo "note $(basename "$f"): not in the checked-in policies/debian-12/host.textproto (Debian published a newer one: re-run make-baseline.sh)"
  checked=$((checked + 1))
done
[[ "$checked" == 3 ]] || { echo "FAIL: checked $checked images, expected 3"; exit 1; }

# make-baseline.sh on the same mirror: a valid policy that pins exactly these digests.
BOOTGATE_CLI="$BOOTGATE_CLI" bash "$BOOTGATE_SOURCE_DIR/policies/debian-12/make-baseline.sh" "$work/host.textproto"
"$BOOTGATE_CLI" policy validate "$work/host.textproto"
for f in "$DEBIAN_SHIM" "$DEBIAN_GRUB" "$DEBIAN_KERNEL"; do
  d=$("$BOOTGATE_CLI" baseline add-image "$f" | awk '$1 == "sha256" {print $2}')
  grep -q "sha256: \"$d\"" "$work/host.textproto" || { echo "FAIL: make-baseline.sh did not pin $(basename "$f")"; exit 1; }
done
echo "ok   make-baseline.sh: valid policy pinning shim, grub and kernel"
