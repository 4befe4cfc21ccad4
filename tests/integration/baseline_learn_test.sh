#!/usr/bin/env bash
# Acceptance: `bootgate baseline learn` on a golden bundle, then `bootgate policy check` on
# the same bundle -> affirming; on the kernel-cmdline-changed bundle (same host) ->
# contraindicated, naming the argument that changed. Learn refuses a forged log.
set -euo pipefail
: "${BOOTGATE_CLI:?}" "${BOOTGATE_SOURCE_DIR:?}"
src="$BOOTGATE_SOURCE_DIR"
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-baseline-learn.XXXXXX")"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

for s in good-host kernel-cmdline-changed log-event-added; do
  "$src/swtpm-fixtures/boot" --scenario "$s" --out "$work/$s" >/dev/null
done
for fmt in textproto json; do
  "$BOOTGATE_CLI" baseline learn "$work/good-host" --group golden --out "$work/learned.$fmt"
  "$BOOTGATE_CLI" policy validate "$work/learned.$fmt"
  out=$("$BOOTGATE_CLI" policy check "$work/learned.$fmt" "$work/good-host") ||
    fail "$fmt: golden bundle not eligible: $out"
  grep -q "affirming" <<<"$out" || fail "$fmt: golden bundle not affirming: $out"
  echo "ok   $fmt: learned policy affirms its own bundle"
  rc=0
  out=$("$BOOTGATE_CLI" policy check "$work/learned.$fmt" "$work/kernel-cmdline-changed" \
    --host host-good-1) || rc=$?
  [[ "$rc" == 1 ]] || fail "$fmt: cmdline-changed exit $rc"
  grep -q "contraindicated" <<<"$out" || fail "$fmt: cmdline-changed not contraindicated"
  grep -q 'cmdline-mismatch' <<<"$out" || fail "$fmt: no cmdline finding: $out"
  grep -q 'init=/bin/sh' <<<"$out" || fail "$fmt: the changed argument is not named: $out"
  echo "ok   $fmt: cmdline-changed contraindicated, names init=/bin/sh"
done
rc=0
"$BOOTGATE_CLI" baseline learn "$work/log-event-added" --out "$work/forged.textproto" 2>"$work/err" || rc=$?
[[ "$rc" == 1 && ! -e "$work/forged.textproto" ]] || fail "learn accepted a forged log (exit $rc)"
echo "ok   learn refuses a forged log: $(head -1 "$work/err")"
