#!/usr/bin/env bash
# Installs every build and test dependency from Debian bookworm packages, then configures and builds.
# Idempotent: safe to run again; apt-get skips what is installed and CMake rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libtss2-dev libssl-dev
  libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc
  libabsl-dev catch2 libcli11-dev libbenchmark-dev
  swtpm swtpm-tools tpm2-tools
  nlohmann-json3-dev python3 python3-yaml python3-jwt python3-cryptography pesign zlib1g-dev openssl procps
  clang clang-format libclang-rt-14-dev
  libsqlite3-dev libpq-dev postgresql libcpp-httplib-dev prometheus-cpp-dev curl
  # bootgated's and bootgate_load's allocator (CMakeLists.txt: bootgate_malloc)
  libgoogle-perftools-dev
  # ctest -L fault: bootgated's clock moved under libfaketime (fault_clock_test.sh)
  faketime
  # ctest -L vm: QEMU/OVMF guests booting Debian's signed chain (swtpm-fixtures/vm/)
  qemu-system-x86 ovmf mtools fdisk cpio socat busybox-static
  # bootgated's sd_notify readiness and watchdog under systemd (server/bootgated/systemd_notify)
  libsystemd-dev
  # ctest -L package: systemd-analyze verify of the packaged units, adduser for their postinst
  systemd adduser
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

./scripts/build.sh
