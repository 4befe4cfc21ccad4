#!/usr/bin/env bash
# Builds the guest initramfs $VM_GUEST/initrd.img: busybox-static, the bootgate CLI (stripped)
# and tpm2-tools' tpm2, every library ldd lists for them, libtss2-tcti-device (dlopened by the
# TCTI loader) with its libraries, the virtio network and fw_cfg modules of the fetched kernel
# with their dependencies, and ./init. Deterministic: sorted file list, owner 0:0, fixed mtimes,
# gzip -n, so the same inputs give the same digest (and the same PCR 9).
# Also $VM_GUEST/initrd-extra.img (scenario initrd-extra-file): the same tree with one more
# file, /etc/bootgate-extra ($VM_INITRD_EXTRA_LINE and a newline), and nothing else different.
#   initramfs.sh [BOOTGATE_CLI]     (default: $VM_BUILD/cli/bootgate)
set -euo pipefail
# shellcheck source=swtpm-fixtures/vm/lib.sh
source "$(dirname "$0")/lib.sh"

cli="${1:-$VM_BUILD/cli/bootgate}"
[[ -x "$cli" ]] || vm_die "no bootgate CLI at $cli (build it first)"
[[ -s "$VM_CACHE/versions" ]] || vm_die "run fetch.sh first"
release="$(vm_kernel_release)"
moddir="$VM_ROOT/lib/modules/$release/kernel"
tcti=/usr/lib/x86_64-linux-gnu/libtss2-tcti-device.so.0
# Modules the guest loads, dependencies first. Their dependencies come from each module's
# .modinfo "depends=" (what depmod builds modules.dep from; the package ships no modules.dep).
wanted=(virtio_pci virtio_net qemu_fw_cfg)

mkdir -p "$VM_GUEST"
key="$( { vm_sha256 "$cli"; vm_sha256 "$VM_DIR/init"; vm_sha256 "$0"; vm_sha256 /bin/busybox;
          vm_sha256 /usr/bin/tpm2; cat "$VM_CACHE/versions"; echo "$VM_INITRD_EXTRA_LINE"; } |
        sha256sum | cut -d' ' -f1)"
if [[ -f "$VM_GUEST/initrd.img" && -f "$VM_GUEST/initrd-extra.img" &&
      "$(cat "$VM_GUEST/initrd.key" 2>/dev/null)" == "$key" ]]; then
  exit 0
fi

tree="$VM_CACHE/initramfs"
rm -rf "$tree"
mkdir -p "$tree"/{bin,usr/bin,lib/modules,etc,proc,sys,dev,tmp}

# copy_with_libs FILE DEST: FILE at DEST in the tree, and every library ldd lists at its path.
copy_with_libs() {
  install -D -m 755 "$1" "$tree$2"
  local lib
  for lib in $(ldd "$1" | grep -o '/[^ ]*'); do
    [[ -e "$tree$lib" ]] || install -D -m 755 "$(readlink -f "$lib")" "$tree$lib"
  done
}

install -m 755 /bin/busybox "$tree/bin/busybox"
for applet in $(/bin/busybox --list); do
  [[ "$applet" == busybox ]] || ln -s busybox "$tree/bin/$applet"
done
strip -o "$VM_CACHE/bootgate.stripped" "$cli"
copy_with_libs "$VM_CACHE/bootgate.stripped" /usr/bin/bootgate
copy_with_libs /usr/bin/tpm2 /usr/bin/tpm2
copy_with_libs "$tcti" "$tcti"
install -m 755 "$VM_DIR/init" "$tree/init"

# Modules: name -> path, then a depth-first walk of depends= so dependencies load first.
declare -A module_path=() loaded=()
while IFS= read -r path; do
  name="$(basename "$path" .ko)"
  module_path[${name//-/_}]="$path"
done < <(find "$moddir" -name '*.ko')
order=()
add_module() {
  local name="${1//-/_}" dep
  [[ -n "${loaded[$name]:-}" ]] && return
  [[ -n "${module_path[$name]:-}" ]] || vm_die "module $name is not in $release (built in?)"
  loaded[$name]=1
  # Into a file of our own: objcopy replaces its output by renaming a temporary file over it,
  # which would turn /dev/stdout's target (e.g. /dev/null) into a regular file.
  objcopy -O binary --only-section=.modinfo "${module_path[$name]}" "$VM_CACHE/modinfo"
  for dep in $(tr '\0' '\n' < "$VM_CACHE/modinfo" | sed -n 's/^depends=//p' | tr ',' ' '); do
    add_module "$dep"
  done
  install -m 644 "${module_path[$name]}" "$tree/lib/modules/$name.ko"
  order+=("$name")
}
for m in "${wanted[@]}"; do add_module "$m"; done
printf '%s\n' "${order[@]}" > "$tree/etc/modules"

# pack NAME: the tree as $VM_GUEST/NAME.
pack() {
  find "$tree" -exec touch -h -d "@$VM_EPOCH" {} +
  (cd "$tree" && find . -mindepth 1 | LC_ALL=C sort |
     cpio -o -H newc --reproducible --owner=0:0 --quiet) | gzip -n -9 > "$VM_GUEST/$1.tmp"
  mv "$VM_GUEST/$1.tmp" "$VM_GUEST/$1"
  vm_log "$1 $(du -h "$VM_GUEST/$1" | cut -f1) sha256 $(vm_sha256 "$VM_GUEST/$1")"
}
pack initrd.img
vm_log "modules: ${order[*]}"
# The same tree with one more file (mode 644, same owner and mtime as the rest).
printf '%s\n' "$VM_INITRD_EXTRA_LINE" > "$tree/etc/bootgate-extra"
chmod 644 "$tree/etc/bootgate-extra"
pack initrd-extra.img
echo "$key" > "$VM_GUEST/initrd.key"
