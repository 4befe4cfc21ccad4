#!/usr/bin/env bash
# Every policy under policies/ (the examples users copy and the fixtures' policies) loads and
# validates with `bootgate policy validate`; templates (*.template.*) are not policies.
set -euo pipefail
: "${BOOTGATE_CLI:?}" "${BOOTGATE_SOURCE_DIR:?}"
count=0
fail=0
while IFS= read -r -d '' f; do
  if "$BOOTGATE_CLI" policy validate "$f" >/dev/null 2>"${TMPDIR:-/tmp}/bootgate-validate.$$"; then
    echo "ok   ${f#"$BOOTGATE_SOURCE_DIR"/}"
  else
    echo "FAIL ${f#"$BOOTGATE_SOURCE_DIR"/}: $(cat "${TMPDIR:-/tmp}/bootgate-validate.$$")"
    fail=$((fail + 1))
  fi
  count=$((count + 1))
done < <(find "$BOOTGATE_SOURCE_DIR/policies" \( -name '*.textproto' -o -name '*.json' \) \
           ! -name '*.template.*' -print0 | sort -z)
rm -f "${TMPDIR:-/tmp}/bootgate-validate.$$"
# The examples the README promises must be among them.
for required in debian-12/host.textproto generic-uefi-vm/vm.textproto hypervisor-host/xen.textproto \
                fixtures/good-host.textproto fixtures/hypervisor-host.textproto; do
  [[ -f "$BOOTGATE_SOURCE_DIR/policies/$required" ]] || { echo "FAIL policies/$required missing"; fail=$((fail + 1)); }
done
echo "$count policies, $fail failed"
[[ "$fail" == 0 && "$count" -ge 6 ]]
