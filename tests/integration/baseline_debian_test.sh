#!/usr/bin/env bash
# Acceptance: `bootgate baseline add-image` gives the same Authenticode digest as
# `pesign -h -i` (which prints "hash: <hex>") on Debian's signed shim, grub and kernel,
# downloaded with apt-get from the Debian mirror (needs network; label "debian").
set -euo pipefail
: "${BOOTGATE_CLI:?}"
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-baseline-debian.XXXXXX")"
chmod 755 "$work"  # apt's _apt user downloads into it
trap 'rm -rf "$work"' EXIT
kernel=$(apt-cache search --names-only '^linux-image-[0-9.]+-[0-9]+-amd64$' | cut -d' ' -f1 | sort -V | tail -1)
[[ -n "$kernel" ]] || { echo "FAIL: no linux-image-*-amd64 package known to apt"; exit 1; }
(cd "$work" && apt-get download shim-signed grub-efi-amd64-signed "$kernel" >/dev/null)
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
checked=0
for f in "$work"/root/usr/lib/shim/shimx64.efi.signed \
         "$work"/root/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed \
         "$work"/root/boot/vmlinuz-*; do
  [[ -f "$f" ]] || { echo "FAIL: $f missing from the packages"; exit 1; }
  ours=$("$BOOTGATE_CLI" baseline add-image "$f" | awk '$1 == "sha256" {print $2}')
  theirs=$(pesign -h -i "$f" | sed -n 's/^hash: //p')
  [[ -n "$ours" && "$ours" == "$theirs" ]] || { echo "FAIL: $(basename "$f"): bootgate $ours, pesign $theirs"; exit 1; }
  echo "ok   $(basename "$f"): sha256 $ours (pesign agrees)"
  checked=$((checked + 1))
done
[[ "$checked" == 3 ]] || { echo "FAIL: checked $checked images, expected 3"; exit 1; }
