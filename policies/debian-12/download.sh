#!/usr/bin/env bash
# Downloads Debian's signed boot chain for amd64 and unpacks it, for make-baseline.sh and
# tests/integration/baseline_debian_test.sh (one copy of the download steps):
#   source policies/debian-12/download.sh; debian_boot_chain_download DIR
# Needs network access to the Debian mirror apt is configured with. Fills in DIR:
#   DIR/root/...                    the unpacked packages (dpkg-deb -x)
#   DIR/versions                    "package version" per line
# and sets DEBIAN_SHIM, DEBIAN_GRUB, DEBIAN_KERNEL to the signed images' paths and
# DEBIAN_KERNEL_PACKAGE to the kernel package chosen (the newest linux-image-<abi>-amd64 apt
# knows, i.e. the current bookworm ABI). Returns non-zero with a message on failure.
debian_boot_chain_download() {
  local dir="$1"
  mkdir -p "$dir"
  chmod 755 "$dir"  # apt's _apt user downloads into it
  DEBIAN_KERNEL_PACKAGE=$(apt-cache search --names-only '^linux-image-[0-9.]+-[0-9]+-amd64$' |
    cut -d' ' -f1 | sort -V | tail -1)
  if [[ -z "$DEBIAN_KERNEL_PACKAGE" ]]; then
    echo "no linux-image-*-amd64 package known to apt (apt-get update?)" >&2
    return 1
  fi
  (cd "$dir" && apt-get download shim-signed grub-efi-amd64-signed "$DEBIAN_KERNEL_PACKAGE" >/dev/null) || {
    echo "apt-get download failed (network?)" >&2
    return 1
  }
  : > "$dir/versions"
  local deb
  for deb in "$dir"/*.deb; do
    dpkg-deb -x "$deb" "$dir/root"
    dpkg-deb -f "$deb" Package Version | paste -sd' ' | sed 's/^Package: \(.*\) Version: /\1 /' >> "$dir/versions"
  done
  DEBIAN_SHIM="$dir/root/usr/lib/shim/shimx64.efi.signed"
  DEBIAN_GRUB="$dir/root/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed"
  DEBIAN_KERNEL=$(ls "$dir"/root/boot/vmlinuz-* 2>/dev/null | head -1)
  local f
  for f in "$DEBIAN_SHIM" "$DEBIAN_GRUB" "$DEBIAN_KERNEL"; do
    [[ -n "$f" && -f "$f" ]] || { echo "${f:-vmlinuz} missing from the packages" >&2; return 1; }
  done
}
