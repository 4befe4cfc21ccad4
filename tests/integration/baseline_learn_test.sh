#!/usr/bin/env bash
# Acceptance: `bootgate baseline learn` on a golden bundle, then `bootgate policy check` on
# the same bundle -> affirming; on the kernel-cmdline-changed bundle (same host) ->
# contraindicated, naming the argument that changed. Learn refuses a forged log. A policy
# learned from a host with Secure Boot off passes that host (eligible, its only finding
# secure-boot-not-required) and says so in a comment; a meta.json without host id is named, and
# --host works.
set -euo pipefail
: "${BOOTGATE_CLI:?}" "${BOOTGATE_SOURCE_DIR:?}"
src="$BOOTGATE_SOURCE_DIR"
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-baseline-learn.XXXXXX")"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

for s in good-host kernel-cmdline-changed log-event-added secureboot-disabled; do
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

# Secure Boot off on the source host: not an empty layer that rejects it.
"$BOOTGATE_CLI" baseline learn "$work/secureboot-disabled" --group nosb --out "$work/nosb.textproto" \
  2>"$work/err"
grep -q 'required: false' "$work/nosb.textproto" || fail "no required: false: $(cat "$work/nosb.textproto")"
grep -q '# Secure Boot is off on the host this was learned from: it is not required.' \
  "$work/nosb.textproto" || fail "no comment saying Secure Boot is not required"
grep -q 'note: Secure Boot is off on' "$work/err" || fail "learn did not say it: $(cat "$work/err")"
out=$("$BOOTGATE_CLI" policy check "$work/nosb.textproto" "$work/secureboot-disabled") ||
  fail "Secure-Boot-off source not eligible under its own policy: $out"
grep -q 'warning, placement eligible' <<<"$out" || fail "not eligible with a warning: $out"
codes=$(awk '$4 == "warning" || $4 == "contraindicated" {print $5}' <<<"$out" | sort -u | xargs)
[[ "$codes" == "secure-boot-not-required" ]] || fail "findings beyond secure-boot-not-required: $codes"
echo "ok   Secure-Boot-off source: eligible, its only finding secure-boot-not-required"

# meta.json without host_id: learn names it (exit 2); --host gives it.
cp -r "$work/good-host" "$work/nohost"
python3 - "$work/nohost/meta.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d.pop("host_id", None); json.dump(d, open(sys.argv[1], "w"))
PY
rc=0
"$BOOTGATE_CLI" baseline learn "$work/nohost" >/dev/null 2>"$work/err" || rc=$?
[[ "$rc" == 2 ]] || fail "no host id: exit $rc"
grep -q 'no host id: meta.json has none, give --host' "$work/err" || fail "$(cat "$work/err")"
"$BOOTGATE_CLI" baseline learn "$work/nohost" --host host-x --out "$work/nohost.textproto"
grep -q 'hosts: "host-x"' "$work/nohost.textproto" || fail "--host not used"
out=$("$BOOTGATE_CLI" policy check "$work/nohost.textproto" "$work/nohost" --host host-x) ||
  fail "--host policy does not pass its bundle: $out"
echo "ok   meta.json without host id: named; --host works"

# add-image --layer initrd: the initrd's plain SHA-256 (sha256sum is the peer), into
# kernel.initrd; the modified-initrd host then passes (issue 16).
"$BOOTGATE_CLI" baseline learn "$work/good-host" --out "$work/initrd.textproto" >/dev/null
head -c 300000 /dev/urandom > "$work/initrd.img"
want=$(sha256sum "$work/initrd.img" | cut -d' ' -f1)
out=$("$BOOTGATE_CLI" baseline add-image --policy "$work/initrd.textproto" --group learned \
  --layer initrd "$work/initrd.img" 2>&1) || fail "add-image --layer initrd: $out"
grep -q "^sha256 $want " <<<"$out" || fail "add-image --layer initrd printed $out, sha256sum says $want"
python3 - "$work/initrd.textproto" "$want" <<'PY' || fail "digest not in kernel.initrd.allowed"
import re, sys
text = open(sys.argv[1]).read()
block = re.search(r"\n    initrd \{\n(.*?)\n    \}\n", text, re.S)
sys.exit(0 if block and sys.argv[2] in block.group(1) else 1)
PY
echo "ok   add-image --layer initrd adds sha256sum's digest to kernel.initrd"
