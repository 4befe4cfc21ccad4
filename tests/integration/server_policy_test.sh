#!/usr/bin/env bash
# bootgated on 127.0.0.1 with SQLite and a real swtpm (issue 6 acceptance 1):
#   an expired token is refused with FAILED_PRECONDITION (token TTL 1 s in the config);
#   placement turns ineligible after the verdict TTL (3 s) with no new attestation, and
#   Placement.Watch streams INITIAL (eligible) -> EXPIRED (not eligible) -> NEW_VERDICT;
#   DryRun of a policy change reports exactly the host whose verdict it flips.
set -euo pipefail
: "${BOOTGATE_SOURCE_DIR:?}"
src="$BOOTGATE_SOURCE_DIR"
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-policy.XXXXXX")"
# shellcheck source=tests/integration/server_lib.sh
source "$src/tests/integration/server_lib.sh"
watch_pid=""
cleanup() {
  [[ -n "$watch_pid" ]] && kill "$watch_pid" 2>/dev/null
  server_stop_all
  swtpm_stop
  [[ -n "${KEEP_WORK:-}" ]] || rm -rf "$work"
}
server_tpm_boot a b
trap cleanup EXIT
good=host-good-1 other=host-kernel-cmdline-changed
policy="$src/policies/fixtures/good-host.textproto"

# --- expired token: a server whose tokens live 1 s.
echo 'tokens { ttl { seconds: 1 } }' > "$work/short-token.textproto"
server_start short --config "$work/short-token.textproto" --data-dir "$work/short" --policy "$policy"
client "$short_addr" register "$good" "$work/ak-a.pem" >/dev/null
server_quote "$short_addr" "$good" a
sleep 1.5
check "an expired token is refused with FAILED_PRECONDITION" \
  "client '$short_addr' attest $good '$token' '$work/q.msg' '$work/q.sig' '$work/boot/eventlog.bin' '$work/q.pcrs' | grep -q '^FAILED_PRECONDITION'"
check "the expired token left no attestation" \
  "[[ \$(client '$short_addr' history $good | json \"len(d.get('attestations', []))\") == 0 ]]"

# --- verdict TTL 3 s, Watch.
sed 's/seconds: 3600/seconds: 3/' "$policy" > "$work/ttl3.textproto"
server_start main --data-dir "$work/main" --policy "$work/ttl3.textproto"
client "$main_addr" register "$good" "$work/ak-a.pem" >/dev/null
client "$main_addr" register "$other" "$work/ak-b.pem" >/dev/null
server_attest "$main_addr" "$good" a "$work/boot/eventlog.bin"
check "good host is eligible right after attesting" \
  "[[ \$(client '$main_addr' placement $good | json \"d.get('eligible', False)\") == True ]]"
"$ATTEST_CLIENT" "$main_addr" watch "$good" 9 > "$work/watch.out" 2>&1 &
watch_pid=$!
sleep 4  # past the 3 s verdict TTL, no new attestation
check "placement turns ineligible after the verdict TTL with no new attestation" \
  "[[ \$(client '$main_addr' placement $good | json \"d.get('eligible', False)\") == False ]]"
server_attest "$main_addr" "$good" a "$work/boot/eventlog.bin"
wait "$watch_pid" || true
watch_pid=""
check "Watch streams INITIAL eligible -> EXPIRED not eligible -> NEW_VERDICT eligible" \
  "python3 - '$work/watch.out' <<'PY'
import json, sys
changes = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
kinds = [(c['kind'], c.get('status', {}).get('eligible', False)) for c in changes]
assert kinds[:3] == [('KIND_INITIAL', True), ('KIND_EXPIRED', False), ('KIND_NEW_VERDICT', True)], kinds
assert changes[1].get('previously_eligible') is True, changes[1]
PY"

# --- DryRun: both hosts affirming now; a candidate moving $other to a group whose baseline
# lacks grub flips exactly that host.
server_attest "$main_addr" "$other" b "$work/boot/eventlog.bin"
check "second host affirming before the policy change" "grep -q TIER_AFFIRMING '$work/$other.json'"
python3 - "$work/ttl3.textproto" "$work/candidate.textproto" "$other" <<'PY'
import re, sys
text, out, host = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
start = text.index('groups {')
group = text[start:]
main = group.replace(f'  hosts: "{host}"\n', '')
canary = re.sub(r'  hosts: "[^"]*"\n', '', group).replace('name: "good-host"', f'name: "canary"\n  hosts: "{host}"', 1)
canary = re.sub(r'    allowed \{\n      name: "grubx64.efi"\n(?:      .*\n)*?    \}\n', '', canary)
assert 'grubx64' not in canary and 'grubx64' in main
open(out, 'w').write(text[:start] + main + canary)
PY
client "$main_addr" dry-run "$work/candidate.textproto" > "$work/dryrun.json"
check "DryRun reports exactly the host whose verdict the change flips" \
  "python3 - '$work/dryrun.json' '$other' <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
changes = d.get('changes', [])
assert [c['host_id'] for c in changes] == [sys.argv[2]], d
assert changes[0]['eligibility_changed'] is True, changes[0]
assert changes[0]['candidate'].get('placement_eligible', False) is False, changes[0]
assert d['hosts_evaluated'] == 2, d
assert not d.get('hosts_without_evidence'), d
PY"
check "DryRun changed nothing: the host is still eligible" \
  "[[ \$(client '$main_addr' placement $other | json \"d.get('eligible', False)\") == True ]]"
exit "$fail"
