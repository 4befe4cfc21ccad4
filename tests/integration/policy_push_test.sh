#!/usr/bin/env bash
# Issue 14 acceptance 4: `bootgate policy push` applies at once. Real bootgated on 127.0.0.1
# (SQLite), real swtpm hosts, the bootgate CLI:
#   host A (bootloader-replaced) attests contraindicated for image-not-allowed (waivable),
#   host B (good) attests affirming; a push grants A an exception for that finding and drops
#   B's grub from the baseline. With no new attestation: placement says A eligible, B not; a
#   watch started before the push sees both changes; the re-appraised verdicts keep the
#   original expires_at, name their original (reappraisal_of) and carry the pushed version;
#   the log and the audit say what the push changed; DryRun of the pushed policy then changes
#   nothing. The same policy as a policy_file reloaded on SIGHUP (nothing pushed) applies at once.
set -euo pipefail
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-push.XXXXXX")"
# shellcheck source=tests/integration/agent_lib.sh
source "$(dirname "$0")/agent_lib.sh"
cli="$BOOTGATE_CLI"
out="$work/out"
policy="$BOOTGATE_SOURCE_DIR/policies/fixtures/good-host.textproto"
a=host-bootloader-replaced b=host-good-1
watch_pid=""
cleanup() {
  [[ -z "$watch_pid" ]] || kill "$watch_pid" 2>/dev/null || true
  agent_cleanup
}
trap cleanup EXIT

start_bootgated
expect_rc 0 "$out" "$cli" policy push "$policy"
boot_host "$b" good-host
boot_host "$a" bootloader-replaced
for id in "$a" "$b"; do
  expect_rc 0 "$out" "$cli" host add "$id" --group good-host --ak "$work/$id/ak.pub"
done
attest() {
  "$cli" attest --host "$1" --tcti "$(cat "$work/$1/tcti")" --eventlog "$work/$1/eventlog.bin" --json
}
rc=0; attest "$a" > "$work/a.json" || rc=$?
[[ $rc -eq 1 ]] || { cat "$work/a.json" >&2; fail "host A attest exit $rc (want 1: contraindicated)"; }
attest "$b" > "$work/b.json" || { cat "$work/b.json" >&2; fail "host B attest"; }
python3 - "$work/a.json" "$work/b.json" <<'PY' || fail "verdicts before the push"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert a["tier"] == "TIER_CONTRAINDICATED", a
assert {f["code"] for f in a["findings"] if f.get("severity") == "contraindicated"} == {"image-not-allowed"}, a["findings"]
assert b["tier"] == "TIER_AFFIRMING", b
PY
expect_rc 1 "$out" "$cli" placement "$a"
expect_rc 0 "$out" "$cli" placement "$b"

# The pushed policy: an exception for A's finding; the good grub no longer in the baseline.
python3 - "$policy" "$work/pushed.textproto" "$a" <<'PY'
import re, sys
text, out, host = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
text = text.replace('version: "fixtures-1"', 'version: "push-2"', 1)
tight = re.sub(r'    allowed \{\n      name: "grubx64.efi"\n(?:      .*\n)*?    \}\n', '', text, count=1)
assert tight != text and tight.count('grubx64.efi') == text.count('grubx64.efi') - 1
tight += f'''exceptions {{
  name: "replaced-grub-ticket-7"
  owner: "ops@example.com"
  reason: "vendor grub under review"
  compensating_control: "no tenant secrets on this host"
  created: "2020-01-01"
  expires: "2099-01-01"
  host: "{host}"
  finding_code: "image-not-allowed"
}}
'''
open(out, 'w').write(tight)
PY

# A watch of both hosts started before the push: 2 INITIAL, then one change per host.
"$cli" placement watch "$a" "$b" --json --count 4 > "$work/watch.out" 2> "$work/watch.err" &
watch_pid=$!
for _ in $(seq 50); do [[ "$(grep -c KIND_INITIAL "$work/watch.out" || true)" -ge 2 ]] && break; sleep 0.1; done
[[ "$(grep -c KIND_INITIAL "$work/watch.out" || true)" -eq 2 ]] || { cat "$work/watch.out" "$work/watch.err" >&2; fail "watch did not start"; }

expect_rc 0 "$out" "$cli" policy push "$work/pushed.textproto" --reason "ticket 7"
expect_grep '^policy fixtures-good-host version push-2 stored at .*, active$' "$out"
expect_grep '^re-appraised 2 host\(s\) under it: 2 verdict\(s\) changed, 2 eligibility change\(s\)$' "$out"

echo "placement right after the push, with no new attestation"
expect_rc 0 "$out" "$cli" placement "$a" --json
cp "$out" "$work/a.placement.json"
expect_rc 1 "$out" "$cli" placement "$b" --json
cp "$out" "$work/b.placement.json"
for _ in $(seq 50); do kill -0 "$watch_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$watch_pid" 2>/dev/null && { cat "$work/watch.out" >&2; fail "the watch did not see both changes"; }
wait "$watch_pid" || true
watch_pid=""
python3 - "$work" "$a" "$b" <<'PY' || fail "re-appraised verdicts"
import json, sys
work, a, b = sys.argv[1:]
orig = {a: json.load(open(f"{work}/a.json")), b: json.load(open(f"{work}/b.json"))}
place = {a: json.load(open(f"{work}/a.placement.json")), b: json.load(open(f"{work}/b.placement.json"))}
assert place[a]["eligible"] is True, place[a]
assert place[b]["eligible"] is False, place[b]
for h in (a, b):
    v = place[h]["verdict"]
    assert v["attestation_id"] != orig[h]["attestation_id"], (h, v)
    assert v["reappraisal_of"] == orig[h]["attestation_id"], (h, v)
    assert v["policy_version"] == "push-2", (h, v)
    assert v["expires_at"] == orig[h]["expires_at"], (h, v["expires_at"], orig[h]["expires_at"])
va, vb = place[a]["verdict"], place[b]["verdict"]
assert va["tier"] == "TIER_WARNING" and va["exceptions_used"] == ["replaced-grub-ticket-7"], va
assert all(f.get("waived_by") == "replaced-grub-ticket-7" for f in va["findings"] if f["code"] == "image-not-allowed"), va
assert vb["tier"] == "TIER_CONTRAINDICATED", vb
assert [f["code"] for f in vb["findings"] if f.get("severity") == "contraindicated"] == ["image-not-allowed"], vb["findings"]

changes = [json.loads(l) for l in open(f"{work}/watch.out") if l.startswith("{")]
assert [c["kind"] for c in changes] == ["KIND_INITIAL"] * 2 + ["KIND_NEW_VERDICT"] * 2, changes
seen = {c["status"]["host_id"]: c for c in changes[2:]}
assert seen[a]["status"].get("eligible", False) is True and not seen[a].get("previously_eligible"), seen[a]
assert seen[b]["status"].get("eligible", False) is False and seen[b]["previously_eligible"] is True, seen[b]
for h in (a, b):
    assert seen[h]["status"]["verdict"]["reappraisal_of"] == orig[h]["attestation_id"], seen[h]
PY

echo "history, log and audit name the re-appraisal"
expect_rc 0 "$out" "$cli" history --host "$a" --json
python3 - "$out" "$work/a.json" <<'PY' || fail "history of A"
import json, sys
rows = json.load(open(sys.argv[1]))["attestations"]
orig = json.load(open(sys.argv[2]))
assert len(rows) == 2, rows
assert rows[0]["reappraisal_of"] == orig["attestation_id"] and rows[0]["policy_version"] == "push-2", rows
assert not rows[1].get("reappraisal_of") and rows[1]["attestation_id"] == orig["attestation_id"], rows
PY
a_id="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["attestation_id"])' "$work/a.json")"
expect_rc 0 "$out" "$cli" history --host "$a"
expect_grep "^[0-9a-f]{64} +$a +good-host +warning +yes +.*  re-appraisal of $a_id under policy push-2\$" "$out"
expect_grep "^$a_id +$a +good-host +contraindicated +no +.* [0-9]+\$" "$out"
new_id="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["verdict"]["attestation_id"])' "$work/a.placement.json")"
expect_rc 0 "$out" "$cli" history show "$new_id"
expect_grep "^re-appraisal of attestation $a_id: its evidence judged again when policy version push-2 was put in use \(no new quote\)\$" "$out"
grep -Eq 'event=reappraisal .*policy_version=push-2 hosts=2 evaluated=2 changed=2 eligibility_changed=2 complete=true' "$work/bootgated.log" \
  || { grep reappraisal "$work/bootgated.log" >&2; fail "no event=reappraisal line for the push"; }
expect_rc 0 "$out" "$cli" audit --json
python3 - "$out" "$a" "$b" <<'PY' || fail "audit of the re-appraisal"
import json, sys
records = json.load(open(sys.argv[1]))["records"]
r = [x for x in records if x["action"] == "policy.reappraise"]
assert len(r) == 2, r  # the first push (no host had evidence) and this one
assert "policy_version=push-2" in r[0]["details"] and "changed=2" in r[0]["details"], r[0]
assert sys.argv[2] in r[0]["details"] and sys.argv[3] in r[0]["details"], r[0]
PY

echo "a second look changes nothing: DryRun of the active policy, and placement is stable"
expect_rc 0 "$out" "$cli" policy dry-run "$work/pushed.textproto" --json
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert not r.get("changes") and r["hosts_evaluated"] == 2, r' "$out" \
  || fail "DryRun of the pushed policy"

echo "a policy_file reloaded on SIGHUP (no policy pushed) applies at once too"
kill "$agent_daemon_pid"; wait "$agent_daemon_pid" || true
mv "$work/data" "$work/data-push"
cp "$policy" "$work/file.textproto"
start_bootgated --policy "$work/file.textproto"
for id in "$a" "$b"; do
  expect_rc 0 "$out" "$cli" host add "$id" --group good-host --ak "$work/$id/ak.pub"
done
rc=0; attest "$a" > "$work/a2.json" || rc=$?
[[ $rc -eq 1 ]] || fail "host A attest under the policy_file: exit $rc (want 1)"
attest "$b" > "$work/b2.json" || fail "host B attest under the policy_file"
cp "$work/pushed.textproto" "$work/file.textproto"
kill -HUP "$agent_daemon_pid"
for _ in $(seq 100); do grep -q 'event=reappraisal trigger="reload policy_file"' "$work/bootgated.log" && break; sleep 0.1; done
grep -Eq 'event=reappraisal trigger="reload policy_file" policy_version=push-2 hosts=2 evaluated=2 changed=2 eligibility_changed=2 complete=true' "$work/bootgated.log" \
  || { grep -E 'reload|reappraisal' "$work/bootgated.log" >&2; fail "no event=reappraisal line for the reload"; }
expect_rc 0 "$out" "$cli" placement "$a" --json
python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["verdict"]; o=json.load(open(sys.argv[2])); assert v["reappraisal_of"]==o["attestation_id"] and v["expires_at"]==o["expires_at"], (v, o)' "$out" "$work/a2.json" \
  || fail "host A's re-appraised verdict after the reload"
expect_rc 1 "$out" "$cli" placement "$b"
echo "PASS: policy push applies at once"
