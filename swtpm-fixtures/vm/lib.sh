# shellcheck shell=bash
# Shared by the swtpm-fixtures/vm scripts: where things are, the guest's boot chain from Debian
# packages, and the processes a boot starts (swtpm, qemu), stopped on any exit.
# Source it; set VM_BUILD first to choose the build tree (default: <repo>/build).

VM_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VM_SOURCE_DIR="$(cd "$VM_DIR/../.." && pwd)"
VM_BUILD="${VM_BUILD:-${BOOTGATE_BINARY_DIR:-$VM_SOURCE_DIR/build}}"
VM_CACHE="$VM_BUILD/vm-cache"          # downloaded .debs, unpacked roots, built guest images
VM_ROOT="$VM_CACHE/root"               # dpkg-deb -x of every fetched package
VM_GUEST="$VM_CACHE/guest"             # vmlinuz, initrd.img, disk-*.img, versions
VM_FIRMWARE_CODE=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
VM_VARS_SB_ON=/usr/share/OVMF/OVMF_VARS_4M.ms.fd   # Microsoft + Debian keys enrolled
VM_VARS_SB_OFF=/usr/share/OVMF/OVMF_VARS_4M.fd     # no keys: Secure Boot off, same code
# Fixed time for every file put into a guest image (cpio mtimes, FAT timestamps).
VM_EPOCH=1700000000
export SOURCE_DATE_EPOCH="$VM_EPOCH"

vm_log() { echo "vm: $*" >&2; }
vm_die() { echo "vm: error: $*" >&2; exit 1; }

# The kernel package linux-image-amd64 depends on (linux-image-<abi>-amd64).
vm_kernel_package() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -1
}

# Paths inside the unpacked packages (valid after fetch.sh).
vm_shim() { echo "$VM_ROOT/usr/lib/shim/shimx64.efi.signed"; }
vm_grub() { echo "$VM_ROOT/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed"; }
vm_kernel_release() { find "$VM_ROOT/lib/modules" -mindepth 1 -maxdepth 1 -printf '%f\n' | head -1; }
vm_vmlinuz() { echo "$VM_ROOT/boot/vmlinuz-$(vm_kernel_release)"; }

# sha256 of a file, hex only.
vm_sha256() { sha256sum "$1" | cut -d' ' -f1; }

# ---- Guest images -------------------------------------------------------------------------
# The kernel command line of the golden boot (what the policy expects), and the guest's host id.
VM_CMDLINE="ro console=ttyS0 panic=1"
VM_HOST_ID="${VM_HOST_ID:-realboot-vm}"
# What the one-difference scenarios add to golden: one grub.cfg command before `linuxefi`
# (grub-extra-cmd), one line in the initramfs file /etc/bootgate-extra (initrd-extra-file; the
# file is the only difference, initramfs.sh), one kernel argument holding a quoted space as
# grub.cfg has it (quoted-arg; grub passes it to the kernel quoted, one argument).
VM_GRUB_EXTRA_CMD="set bootgate_extra=1"
# shellcheck disable=SC2034  # used by initramfs.sh
VM_INITRD_EXTRA_LINE="bootgate-extra: one more file in golden's initramfs"
VM_QUOTED_ARG='"bootgate.note=a b"'

# vm_build_disks: every disk image the scenarios boot (disk.sh OUT LINUX_CMD CMDLINE [INITRD
# [GRUB_CMD]]). Each differs from disk-linuxefi.img (golden) in one thing only.
vm_build_disks() {
  local initrd="$VM_GUEST/initrd.img"
  "$VM_DIR/disk.sh" "$VM_GUEST/disk-linuxefi.img" linuxefi "$VM_CMDLINE"
  "$VM_DIR/disk.sh" "$VM_GUEST/disk-linuxefi-extra.img" linuxefi "$VM_CMDLINE bootgate.extra=1"
  "$VM_DIR/disk.sh" "$VM_GUEST/disk-linux.img" linux "$VM_CMDLINE"
  "$VM_DIR/disk.sh" "$VM_GUEST/disk-grub-extra-cmd.img" linuxefi "$VM_CMDLINE" "$initrd" \
    "$VM_GRUB_EXTRA_CMD"
  "$VM_DIR/disk.sh" "$VM_GUEST/disk-initrd-extra-file.img" linuxefi "$VM_CMDLINE" \
    "$VM_GUEST/initrd-extra.img"
  "$VM_DIR/disk.sh" "$VM_GUEST/disk-quoted-arg.img" linuxefi "$VM_CMDLINE $VM_QUOTED_ARG"
}

# vm_build_guest [BOOTGATE_CLI]: fetch, initramfs and the disks the scenarios boot (each step is
# cached under $VM_CACHE and redone only when its inputs change).
vm_build_guest() {
  "$VM_DIR/fetch.sh" >/dev/null
  "$VM_DIR/initramfs.sh" "$@"
  cp -p "$VM_CACHE/versions" "$VM_GUEST/versions"
  cp "$(vm_vmlinuz)" "$VM_GUEST/vmlinuz"
  local key
  key="$( { cat "$VM_GUEST/initrd.key" "$VM_DIR/disk.sh"; declare -f vm_build_disks;
            echo "$VM_CMDLINE|$VM_GRUB_EXTRA_CMD|$VM_QUOTED_ARG"; } | sha256sum | cut -d' ' -f1)"
  if [[ "$(cat "$VM_GUEST/disk.key" 2>/dev/null)" != "$key" ]]; then
    vm_build_disks
    echo "$key" > "$VM_GUEST/disk.key"
  fi
}

# vm_scenario NAME: what that boot is. Sets VM_SB (on|off), VM_DISK (an image, or empty for a
# kernel started by the firmware through QEMU's -kernel) and VM_APPEND (for -kernel).
VM_SCENARIOS=(golden extra-arg sb-off direct-kernel no-stub
              grub-extra-cmd initrd-extra-file quoted-arg)
vm_scenario() {
  VM_APPEND=""
  case "$1" in
    golden) VM_SB=on VM_DISK="$VM_GUEST/disk-linuxefi.img" ;;          # shim -> grub -> kernel
    extra-arg) VM_SB=on VM_DISK="$VM_GUEST/disk-linuxefi-extra.img" ;; # one more kernel argument
    sb-off) VM_SB=off VM_DISK="$VM_GUEST/disk-linuxefi.img" ;;         # same disk, SB off
    # OVMF's own loader starts the EFI-stub kernel: the only PCR 4 application. Debian's kernel
    # is signed by Debian's key, which is not in the firmware db, so Secure Boot is off.
    direct-kernel) VM_SB=off VM_DISK="" VM_APPEND="$VM_CMDLINE" ;;
    # grub's plain `linux` with Secure Boot off: no EFI stub, so the kernel gets no event log.
    no-stub) VM_SB=off VM_DISK="$VM_GUEST/disk-linux.img" ;;
    # Golden with one difference each (Secure Boot on): one more grub.cfg command before
    # `linuxefi`; one more file in the initramfs; one more kernel argument with a quoted space.
    grub-extra-cmd) VM_SB=on VM_DISK="$VM_GUEST/disk-grub-extra-cmd.img" ;;
    initrd-extra-file) VM_SB=on VM_DISK="$VM_GUEST/disk-initrd-extra-file.img" ;;
    quoted-arg) VM_SB=on VM_DISK="$VM_GUEST/disk-quoted-arg.img" ;;
    *) vm_die "unknown scenario $1 (known: ${VM_SCENARIOS[*]})" ;;
  esac
}

# ---- Processes ----------------------------------------------------------------------------
# Every process started here is in VM_PIDS and is stopped by vm_cleanup, which vm_traps registers
# for EXIT, INT, TERM and HUP (callers with their own EXIT handler call vm_cleanup from it).
VM_PIDS=()
vm_cleanup() {
  local pid
  for pid in "${VM_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${VM_PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  VM_PIDS=()
}
vm_traps() {
  trap 'vm_cleanup' EXIT
  trap 'vm_cleanup; exit 130' INT
  trap 'vm_cleanup; exit 143' TERM
  trap 'vm_cleanup; exit 129' HUP
}
vm_forget() {  # PID: it has exited; no longer stop it on exit
  local pid keep=()
  for pid in "${VM_PIDS[@]}"; do [[ "$pid" == "$1" ]] || keep+=("$pid"); done
  VM_PIDS=("${keep[@]}")
}

# vm_tpm_provision DIR: a TPM state DIR/tpm (SHA-1 and SHA-256 banks) with an EK certificate in
# NV from a private swtpm-localca CA in DIR/ca (swtpm.sh); DIR/ek-ca.pem is that CA's chain.
vm_tpm_provision() {
  # shellcheck source=swtpm-fixtures/swtpm.sh
  source "$VM_SOURCE_DIR/swtpm-fixtures/swtpm.sh"
  _swtpm_provision "$1" sha1,sha256 || return 1
  cat "$1/ca/swtpm-localca-rootca-cert.pem" "$1/ca/issuercert.pem" > "$1/ek-ca.pem"
}

# vm_pki DIR: a throwaway TLS PKI: DIR/ca.pem, server (127.0.0.1 and the guest's 10.0.2.100),
# admin (OU=admin) and the guest agent (OU=agent, CN=$VM_HOST_ID), each NAME.pem + NAME.key.
vm_pki() {
  local dir="$1"
  mkdir -p "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/O=bootgate vm test/CN=bootgate vm test CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
  _vm_issue() {
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$2" \
      -keyout "$dir/$1.key" -out "$dir/$1.csr" 2>/dev/null
    openssl x509 -req -in "$dir/$1.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
      -days 2 -out "$dir/$1.pem" ${3:+-extfile <(printf '%s\n' "$3")} 2>/dev/null
  }
  _vm_issue server "/CN=bootgated" "subjectAltName=IP:127.0.0.1,IP:10.0.2.100"
  _vm_issue admin "/OU=admin/CN=vm-test-admin"
  _vm_issue agent "/OU=agent/CN=$VM_HOST_ID"
}

# vm_start_bootgated DIR PKI EK_CA: bootgated with TLS (client CA: PKI) and EK CA trust on
# 127.0.0.1, its store in DIR. Exports VM_PORT and, for the host-side CLI as admin,
# BOOTGATE_SERVER / BOOTGATE_CA / BOOTGATE_CERT / BOOTGATE_KEY.
vm_start_bootgated() {
  local dir="$1" pki="$2" ek_ca="$3" bootgated="$VM_BUILD/server/bootgated/bootgated"
  [[ -x "$bootgated" ]] || vm_die "no bootgated at $bootgated"
  mkdir -p "$dir"
  cat > "$dir/config.textproto" <<CONF
tls { cert_file: "$pki/server.pem" key_file: "$pki/server.key" client_ca_file: "$pki/ca.pem" }
enrollment { ek_ca_files: "$ek_ca" }
CONF
  setpriv --pdeathsig KILL "$bootgated" --config "$dir/config.textproto" --listen 127.0.0.1:0 --http 127.0.0.1:0 \
    --data-dir "$dir/data" > "$dir/bootgated.out" 2> "$dir/bootgated.log" &
  VM_PIDS+=($!)
  for _ in $(seq 1 150); do
    grep -q '^grpc_port=' "$dir/bootgated.out" 2>/dev/null && break
    kill -0 "${VM_PIDS[-1]}" 2>/dev/null || { cat "$dir/bootgated.log" >&2; vm_die "bootgated exited"; }
    sleep 0.1
  done
  VM_PORT="$(sed -n 's/^grpc_port=\([0-9]*\).*/\1/p' "$dir/bootgated.out")"
  [[ -n "$VM_PORT" ]] || vm_die "bootgated did not report its port"
  export VM_PORT BOOTGATE_SERVER="127.0.0.1:$VM_PORT" BOOTGATE_CA="$pki/ca.pem"
  export BOOTGATE_CERT="$pki/admin.pem" BOOTGATE_KEY="$pki/admin.key"
}

# vm_config DIR PKI SCENARIO: DIR/config.tar, what the guest reads from fw_cfg: its host id,
# the server as the guest reaches it (QEMU's guestfwd address) and its TLS files.
vm_config() {
  local dir="$1" pki="$2" scenario="$3"
  mkdir -p "$dir/config"
  cp "$pki/ca.pem" "$dir/config/ca.pem"
  cp "$pki/agent.pem" "$dir/config/agent.pem"
  cp "$pki/agent.key" "$dir/config/agent.key"
  cat > "$dir/config/env" <<ENV
HOST_ID=$VM_HOST_ID
SCENARIO=$scenario
BOOTGATE_SERVER=10.0.2.100:7443
BOOTGATE_CA=/cfg/ca.pem
BOOTGATE_CERT=/cfg/agent.pem
BOOTGATE_KEY=/cfg/agent.key
ENV
  tar -C "$dir/config" -cf "$dir/config.tar" env ca.pem agent.pem agent.key
}

# vm_accel: "kvm" when a KVM guest actually runs here (in nested sandboxes /dev/kvm may exist
# and QEMU still aborts setting MSRs: a 3 s trial run tells), else "tcg". VM_ACCEL forces one.
vm_accel() {
  if [[ -n "${VM_ACCEL:-}" ]]; then echo "$VM_ACCEL"; return; fi
  local rc=0
  if [[ -r /dev/kvm && -w /dev/kvm ]]; then
    { timeout 3 qemu-system-x86_64 -accel kvm -machine q35 -cpu max -nodefaults -display none \
        -serial none; } > /dev/null 2>&1 || rc=$?
  fi
  if [[ "$rc" == 124 ]]; then echo kvm; else echo tcg; fi
}

# vm_boot SCENARIO TPMDIR CONFIG_TAR OUT: boots the scenario on the TPM state in TPMDIR/tpm,
# the guest reaching bootgated on 127.0.0.1:$VM_PORT only. Writes OUT/console.log (serial
# console), OUT/capture.txt (what the guest sent) unpacked into OUT/files/, OUT/seconds (wall
# time of the boot). Fails when the guest did not finish within VM_TIMEOUT (default 240 s).
vm_boot() {
  local scenario="$1" tpmdir="$2" config="$3" out="$4" accel
  vm_scenario "$scenario"
  accel="$(vm_accel)"
  rm -rf "$out"
  mkdir -p "$out/files"
  local vars="$out/OVMF_VARS.fd" sock="$out/swtpm.sock"
  if [[ "$VM_SB" == on ]]; then cp "$VM_VARS_SB_ON" "$vars"; else cp "$VM_VARS_SB_OFF" "$vars"; fi
  # Even when this shell is killed with SIGKILL (no trap runs), swtpm and qemu go with it:
  # --pdeathsig, and swtpm's --terminate when qemu's connection closes.
  setpriv --pdeathsig KILL swtpm socket --tpm2 --tpmstate dir="$tpmdir/tpm" \
    --ctrl type=unixio,path="$sock" --terminate --log file="$out/swtpm.log" 2>> "$out/swtpm.log" &
  local swtpm_pid=$!
  VM_PIDS+=("$swtpm_pid")
  for _ in $(seq 1 50); do [[ -S "$sock" ]] && break; sleep 0.1; done
  [[ -S "$sock" ]] || vm_die "swtpm did not start, see $out/swtpm.log"
  local boot=()
  if [[ -n "$VM_DISK" ]]; then
    boot=(-drive "if=none,id=disk0,format=raw,readonly=on,file=$VM_DISK" -device "virtio-blk-pci,drive=disk0")
  else
    boot=(-kernel "$VM_GUEST/vmlinuz" -initrd "$VM_GUEST/initrd.img" -append "$VM_APPEND")
  fi
  local start rc=0
  start="$(date +%s.%N)"
  setpriv --pdeathsig KILL timeout -k 5 "${VM_TIMEOUT:-240}" \
    setpriv --pdeathsig KILL qemu-system-x86_64 -accel "$accel" \
    -machine q35,smm=on -cpu max -m 512 -smp 1 -nodefaults -display none -no-reboot \
    -global driver=cfi.pflash01,property=secure,value=on \
    -global ICH9-LPC.disable_s3=1 \
    -drive "if=pflash,format=raw,unit=0,file=$VM_FIRMWARE_CODE,readonly=on" \
    -drive "if=pflash,format=raw,unit=1,file=$vars" \
    -chardev "socket,id=chrtpm,path=$sock" -tpmdev emulator,id=tpm0,chardev=chrtpm \
    -device tpm-tis,tpmdev=tpm0 \
    -netdev "user,id=n0,restrict=on,guestfwd=tcp:10.0.2.100:7443-cmd:socat - TCP:127.0.0.1:$VM_PORT" \
    -device virtio-net-pci,netdev=n0 \
    -fw_cfg "name=opt/bootgate/config.tar,file=$config" \
    -serial "file:$out/console.log" -serial "file:$out/capture.txt" \
    "${boot[@]}" > "$out/qemu.log" 2>&1 &
  local qemu_pid=$!
  VM_PIDS+=("$qemu_pid")
  wait "$qemu_pid" || rc=$?
  vm_forget "$qemu_pid"
  echo "$(date +%s.%N) $start" | awk '{ printf "%.1f\n", $1 - $2 }' > "$out/seconds"
  # swtpm exits with QEMU (--terminate); make sure.
  for _ in $(seq 1 30); do kill -0 "$swtpm_pid" 2>/dev/null || break; sleep 0.1; done
  kill "$swtpm_pid" 2>/dev/null || true
  wait "$swtpm_pid" 2>/dev/null || true
  vm_forget "$swtpm_pid"
  echo "$accel" > "$out/accel"
  vm_unpack "$out/capture.txt" "$out/files"
  if [[ "$rc" != 0 ]] || ! grep -q '^=== done' "$out/capture.txt" 2>/dev/null; then
    vm_log "$scenario: the guest did not finish (qemu exit $rc); console:"
    tail -20 "$out/console.log" >&2
    return 1
  fi
  vm_log "$scenario: booted in $(cat "$out/seconds") s ($accel)"
}

# vm_unpack CAPTURE DIR: the files the guest sent (base64 between "=== begin/end NAME").
vm_unpack() {
  local name
  [[ -f "$1" ]] || return 0
  for name in $(tr -d '\r' < "$1" | sed -n 's/^=== begin \([A-Za-z0-9._-]*\)$/\1/p'); do
    tr -d '\r' < "$1" | sed -n "/^=== begin $name\$/,/^=== end $name\$/p" | sed '1d;$d' |
      base64 -d > "$2/$name"
  done
}
