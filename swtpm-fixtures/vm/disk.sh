#!/usr/bin/env bash
# Builds a GPT disk image with one EFI System Partition laid out as Debian installs it:
#   \EFI\BOOT\BOOTX64.EFI   shimx64.efi.signed (the removable-media path OVMF boots)
#   \EFI\BOOT\grubx64.efi   grubx64.efi.signed (shim loads grubx64.efi from its own directory)
#   \EFI\debian\grub.cfg    where Debian's signed grub looks (its prefix is /EFI/debian)
#   \vmlinuz, \initrd.img
# with sfdisk and mtools only (no loop device, no mount), fixed disk and partition GUIDs, a fixed
# FAT serial and fixed timestamps: the same inputs give a byte-identical image.
#   disk.sh OUT.img LINUX_CMD CMDLINE [INITRD [GRUB_CMD]]
# LINUX_CMD is grub's command: linuxefi (EFI stub via shim, with initrdefi) or linux (Debian's
# grub then boots through the EFI stub only when Secure Boot is on; otherwise it exits boot
# services itself and jumps to the kernel, which then has no TPM event log). CMDLINE is
# written into grub.cfg as it is (grub's own quoting applies: '"name=a b"' is one argument).
# INITRD is the file put at \initrd.img (default $VM_GUEST/initrd.img); GRUB_CMD, when not
# empty, is one more grub.cfg line right before the LINUX_CMD line.
set -euo pipefail
# shellcheck source=swtpm-fixtures/vm/lib.sh
source "$(dirname "$0")/lib.sh"

out="$1" linux_cmd="$2" cmdline="$3" initrd="${4:-$VM_GUEST/initrd.img}" grub_cmd="${5:-}"
case "$linux_cmd" in
  linuxefi) initrd_cmd=initrdefi ;;
  linux) initrd_cmd=initrd ;;
  *) vm_die "LINUX_CMD is linuxefi or linux, not $linux_cmd" ;;
esac
[[ -f "$initrd" ]] || vm_die "no $initrd (run initramfs.sh first)"

work="$(mktemp -d "${TMPDIR:-/tmp}/vm-disk.XXXXXX")"
trap 'rm -rf "$work"' EXIT
{
  echo "set timeout=0"
  [[ -z "$grub_cmd" ]] || echo "$grub_cmd"
  echo "$linux_cmd /vmlinuz $cmdline"
  echo "$initrd_cmd /initrd.img"
  echo "boot"
} > "$work/grub.cfg"
cp "$(vm_shim)" "$work/BOOTX64.EFI"
cp "$(vm_grub)" "$work/grubx64.efi"
cp "$(vm_vmlinuz)" "$work/vmlinuz"
cp "$initrd" "$work/initrd.img"
touch -d "@$VM_EPOCH" "$work"/*

# 128 MiB disk, ESP from sector 2048 to the end.
rm -f "$out.tmp"
truncate -s 128M "$out.tmp"
sfdisk --quiet "$out.tmp" <<PART
label: gpt
label-id: 6B6F6F74-6761-7465-0000-000000000001
first-lba: 2048
start=2048, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=6B6F6F74-6761-7465-0000-000000000002, name="EFI System Partition"
PART
start=2048
sectors="$(sfdisk --dump "$out.tmp" | sed -n 's/.*start= *2048, size= *\([0-9]*\).*/\1/p')"
img="$out.tmp@@$((start * 512))"
export MTOOLS_SKIP_CHECK=1
mformat -i "$img" -T "$sectors" -h 64 -s 32 -F -N 62677465 -v ESP ::
mmd -i "$img" ::/EFI ::/EFI/BOOT ::/EFI/debian
mcopy -i "$img" -m "$work/BOOTX64.EFI" "$work/grubx64.efi" ::/EFI/BOOT/
mcopy -i "$img" -m "$work/grub.cfg" ::/EFI/debian/
mcopy -i "$img" -m "$work/vmlinuz" "$work/initrd.img" ::/
mv "$out.tmp" "$out"
