#!/usr/bin/env bash
# Configures (once) and builds bootgate.
#   scripts/build.sh            release build in build/
#   scripts/build.sh sanitize   clang + ASan/UBSan + libFuzzer targets in build-sanitize/
set -euo pipefail
cd "$(dirname "$0")/.."

flavor="${1:-release}"
case "$flavor" in
  release)
    dir=build
    args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
    ;;
  sanitize)
    dir=build-sanitize
    args=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
          -DBOOTGATE_FUZZ=ON -DBOOTGATE_BENCH=OFF)
    ;;
  *) echo "usage: $0 [release|sanitize]" >&2; exit 64 ;;
esac

if [[ ! -f "$dir/build.ninja" ]]; then
  cmake -S . -B "$dir" -G Ninja "${args[@]}"
fi
cmake --build "$dir" -j "$(nproc)"
echo "build: $flavor build ready in $dir/"
