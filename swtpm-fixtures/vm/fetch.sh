#!/usr/bin/env bash
# Downloads the guest's boot chain from the Debian mirror apt is configured with and unpacks it
# (apt-get download + dpkg-deb -x; nothing is installed): shim-signed, grub-efi-amd64-signed and
# the kernel package linux-image-amd64 depends on. Writes "package version" lines to
# $VM_CACHE/versions. Does nothing when that file exists (delete vm-cache to fetch again).
set -euo pipefail
# shellcheck source=swtpm-fixtures/vm/lib.sh
source "$(dirname "$0")/lib.sh"

[[ -s "$VM_CACHE/versions" ]] && exit 0
kernel="$(vm_kernel_package)"
[[ -n "$kernel" ]] || vm_die "apt-cache depends linux-image-amd64 names no kernel package (apt-get update?)"
debs="$VM_CACHE/debs"
rm -rf "$debs" "$VM_ROOT"
mkdir -p "$debs"
chmod 755 "$VM_CACHE" "$debs"  # apt's _apt user downloads into it
vm_log "apt-get download shim-signed grub-efi-amd64-signed $kernel"
(cd "$debs" && apt-get download -q shim-signed grub-efi-amd64-signed "$kernel" >/dev/null) ||
  vm_die "apt-get download failed (network? apt-get update?)"
: > "$VM_CACHE/versions.tmp"
for deb in "$debs"/*.deb; do
  dpkg-deb -x "$deb" "$VM_ROOT"
  dpkg-deb -f "$deb" Package Version | paste -sd' ' |
    sed 's/^Package: \(.*\) Version: /\1 /' >> "$VM_CACHE/versions.tmp"
done
for f in "$(vm_shim)" "$(vm_grub)" "$(vm_vmlinuz)"; do
  [[ -f "$f" ]] || vm_die "$f is not in the packages"
done
sort "$VM_CACHE/versions.tmp" > "$VM_CACHE/versions"
rm "$VM_CACHE/versions.tmp"
cat "$VM_CACHE/versions"
