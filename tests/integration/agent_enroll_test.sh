#!/usr/bin/env bash
# `bootgate enroll`, the agent side of enrollment on tpm2-tss, against a real bootgated and real
# swtpm TPMs that each have their own EK and CA (no provisioning cache):
#   - the EK certificate from NV 0x01c00002; the EK from the TCG default template (the Name
#     tpm2_createek -G rsa gives, the key the certificate certifies); an AK created under the EK
#     with tpm2_createak's attributes and persisted; credential activation; text and --json;
#   - the enrolled AK attests (`attest --ak-handle`) and gets a verdict;
#   - 10 enrollments in a row keep working and leave no transient object or session behind
#     (a raw swtpm has no resource manager);
#   - no certificate in NV: the message says to pass --ek-cert, which then works; an AK already
#     persisted is used as it is;
#   - refusals exit 1 (another TPM for a bound host, a TPM that speaks for another host, a
#     revoked host); host reenroll / revoke /
#     list / show, audit and placement watch follow the lifecycle.
set -euo pipefail
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-agent-enroll.XXXXXX")"
# shellcheck source=tests/integration/agent_lib.sh
source "$(dirname "$0")/agent_lib.sh"
# Distinct TPMs: every host gets a freshly provisioned swtpm with its own EK and EK CA.
unset SWTPM_CACHE_DIR
cli="$BOOTGATE_CLI"
out="$work/out"
new_ak=0x81010003  # free on a booted fixture TPM (its own AK is at 0x81010002)

# on HOST CMD...: a tpm2-tools command on HOST's swtpm.
on() { local tcti; tcti="$(cat "$work/$1/tcti")"; shift; TPM2TOOLS_TCTI="$tcti" "$@"; }
# no_leftovers HOST: nothing transient (objects, sessions) is loaded in HOST's TPM.
no_leftovers() {
  local left
  left="$(on "$1" tpm2_getcap handles-transient)$(on "$1" tpm2_getcap handles-loaded-session)"
  [[ -z "$left" ]] || fail "left loaded in $1's TPM: $left"
}
# spki_sha256 PEM: the fingerprint bootgate gives keys (SHA-256 of the DER SubjectPublicKeyInfo).
spki_sha256() { openssl pkey -pubin -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }
json_field() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

boot_host host-a good-host
boot_host tpm-b good-host
boot_host tpm-c good-host
# The fixture generator leaves its objects loaded; start from an empty TPM.
for h in host-a tpm-b tpm-c; do on "$h" tpm2_flushcontext -t; on "$h" tpm2_flushcontext -s; no_leftovers "$h"; done
tcti_a="$(cat "$work/host-a/tcti")" tcti_b="$(cat "$work/tpm-b/tcti")" tcti_c="$(cat "$work/tpm-c/tcti")"

cat "$work/host-a/ek-ca.pem" "$work/tpm-b/ek-ca.pem" "$work/tpm-c/ek-ca.pem" > "$work/ek-cas.pem"
printf 'enrollment { ek_ca_files: "%s" }\n' "$work/ek-cas.pem" > "$work/config.textproto"
start_bootgated --config "$work/config.textproto"
# The fixtures' policy with this test's hosts in the good-host group.
sed 's/^  hosts: "host-good-1"$/&\n  hosts: "host-a"\n  hosts: "host-b"/' \
  "$BOOTGATE_SOURCE_DIR/policies/fixtures/good-host.textproto" > "$work/policy.textproto"
expect_rc 0 "$out" "$cli" policy push "$work/policy.textproto" --reason "agent enroll test baseline"

echo "enroll host-a: EK certificate from NV, EK created, AK created under it and persisted"
expect_rc 0 "$out" "$cli" enroll host-a --tcti "$tcti_a" --ak-handle "$new_ak" --group good-host
expect_grep '^reading EK certificate from NV 0x01c00002 \.\.\. ok \([0-9]+ bytes\)$' "$out"
expect_grep '^EK created \(TCG default RSA 2048 template\), name 000b[0-9a-f]{64}$' "$out"
expect_grep '^AK 0x81010003 created, name 000b[0-9a-f]{64}$' "$out"
expect_grep '^Enrollment.Start \.\.\. ok, credential for enrollment .+ \(expires .+\)$' "$out"
expect_grep '^credential activated$' "$out"
expect_grep '^Enrollment.Finish \.\.\. ok$' "$out"
expect_grep '^host host-a$' "$out"
expect_grep '^trust path enrolled$' "$out"
expect_grep '^status active$' "$out"
no_leftovers host-a

echo "the EK is tpm2_createek's and the certified key; the AK is the persisted one, as tpm2_createak makes them"
ek_name="$(sed -n 's/^EK created .*, name \(000b[0-9a-f]*\)$/\1/p' "$out")"
ak_name="$(sed -n 's/^AK 0x81010003 created, name \(000b[0-9a-f]*\)$/\1/p' "$out")"
ek_fp="$(sed -n 's/^ek sha256 \([0-9a-f]\{64\}\)$/\1/p' "$out")"
ak_fp="$(sed -n 's/^ak sha256 \([0-9a-f]\{64\}\)$/\1/p' "$out")"
on host-a tpm2_createek -c "$work/ek-a.ctx" -G rsa -u "$work/ek-a.pem" -f pem > /dev/null
on host-a tpm2_readpublic -c "$work/ek-a.ctx" > "$work/ek-a.txt"
on host-a tpm2_flushcontext -t
expect_grep "^name: $ek_name$" "$work/ek-a.txt"
[[ "$(spki_sha256 "$work/ek-a.pem")" == "$ek_fp" ]] || fail "EK fingerprint $ek_fp is not tpm2_createek's key"
on host-a tpm2_nvread 0x01c00002 -C o -o "$work/ek-a-cert.der" > /dev/null 2>&1
openssl x509 -inform DER -in "$work/ek-a-cert.der" -noout -pubkey > "$work/ek-a-cert-key.pem"
[[ "$(spki_sha256 "$work/ek-a-cert-key.pem")" == "$ek_fp" ]] || fail "the EK is not the certified key"
on host-a tpm2_readpublic -c "$new_ak" -f pem -o "$work/ak-a.pem" > "$work/ak-a.txt"
expect_grep "^name: $ak_name$" "$work/ak-a.txt"
expect_grep '^  value: fixedtpm\|fixedparent\|sensitivedataorigin\|userwithauth\|restricted\|sign$' "$work/ak-a.txt"
expect_grep '^  value: rsassa$' "$work/ak-a.txt"
[[ "$(spki_sha256 "$work/ak-a.pem")" == "$ak_fp" ]] || fail "AK fingerprint $ak_fp is not the persisted AK's"
no_leftovers host-a

echo "the enrolled AK attests: a verdict"
expect_rc 0 "$out" "$cli" attest --host host-a --tcti "$tcti_a" --ak-handle "$new_ak" \
  --eventlog "$work/host-a/eventlog.bin"
expect_grep '^host host-a: affirming, placement eligible$' "$out"

echo "10 enrollments in a row: the AK is found, every run activates, nothing stays loaded"
for i in $(seq 1 10); do
  expect_rc 0 "$out" "$cli" enroll host-a --tcti "$tcti_a" --ak-handle "$new_ak" --json
  expect_grep '^AK 0x81010003 found, name '"$ak_name"'$' "$out"
  expect_grep '^credential activated$' "$out"
  no_leftovers host-a
done

echo "SIGTERM while the EK is loaded and Start is waiting: the handles are flushed before exiting"
# (SIGTERM: a non-interactive shell starts background jobs with SIGINT ignored.)
# A loopback listener that accepts and never answers: Enrollment.Start waits for its deadline.
/usr/bin/python3 -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); c = s.accept(); time.sleep(30)' > "$work/silent.port" &
silent_pid=$!
for _ in $(seq 1 50); do [[ -s "$work/silent.port" ]] && break; sleep 0.1; done
"$cli" enroll host-a --tcti "$tcti_a" --ak-handle "$new_ak" --server "127.0.0.1:$(cat "$work/silent.port")" \
  --timeout 3 > "$work/interrupted.out" 2>&1 &
enroll_pid=$!
for _ in $(seq 1 50); do grep -q '^EK created' "$work/interrupted.out" && break; sleep 0.1; done
sleep 0.5
kill -TERM "$enroll_pid"
rc=0; wait "$enroll_pid" || rc=$?
kill "$silent_pid" 2>/dev/null || true
[[ "$rc" == 143 ]] || fail "interrupted enroll exited $rc, not by its SIGTERM (143): $(cat "$work/interrupted.out")"
no_leftovers host-a
# --json: stdout is the Host alone.
"$cli" enroll host-a --tcti "$tcti_a" --ak-handle "$new_ak" --json > "$work/host-a.json" 2> "$work/progress"
[[ "$(json_field "$work/host-a.json" trust_path)" == enrolled ]] || fail "--json: $(cat "$work/host-a.json")"
[[ "$(json_field "$work/host-a.json" ek_fingerprint)" == "$ek_fp" ]] || fail "--json: EK fingerprint"
[[ "$(json_field "$work/host-a.json" ak_fingerprint)" == "$ak_fp" ]] || fail "--json: AK fingerprint"
expect_grep '^enrolled host-a$' "$work/progress"

echo "no EK certificate in NV: exit 2 and the way out; --ek-cert FILE (PEM) then works"
on tpm-b tpm2_nvread 0x01c00002 -C o -o "$work/ek-b-cert.der" > /dev/null 2>&1
openssl x509 -inform DER -in "$work/ek-b-cert.der" -out "$work/ek-b-cert.pem"
on tpm-b tpm2_nvundefine -C p 0x01c00002 > /dev/null
expect_rc 2 "$out" "$cli" enroll host-b --tcti "$tcti_b"
expect_grep '^bootgate: no EK certificate in NV 0x01c00002: pass --ek-cert FILE$' "$out"
[[ "$(wc -l < "$out")" -eq 1 ]] || fail "more than one line: $(cat "$out")"
expect_rc 0 "$out" "$cli" enroll host-b --tcti "$tcti_b" --ek-cert "$work/ek-b-cert.pem"
expect_grep "^EK certificate from $work/ek-b-cert.pem \([0-9]+ bytes\)$" "$out"
expect_grep '^AK 0x81010002 found, name 000b[0-9a-f]{64}$' "$out"
expect_grep '^host host-b$' "$out"
ek_b_fp="$(sed -n 's/^ek sha256 \([0-9a-f]\{64\}\)$/\1/p' "$out")"
no_leftovers tpm-b

echo "refused by the server: exit 1 (host-a is bound to its own TPM; the new AK stays persisted)"
expect_rc 1 "$out" "$cli" enroll host-a --tcti "$tcti_b" --ek-cert "$work/ek-b-cert.der" --ak-handle 0x81010004
expect_grep '^AK 0x81010004 created, name 000b[0-9a-f]{64}$' "$out"
expect_grep '^bootgate: Enrollment.Start: FAILED_PRECONDITION: .*\(server 127\.0\.0\.1:[0-9]+\)$' "$out"
no_leftovers tpm-b

echo "host reenroll: host-a may move to another TPM, but not to one that speaks for host-b"
expect_rc 2 "$out" "$cli" host reenroll host-a
expect_grep '--reason is required' "$out"
expect_rc 0 "$out" "$cli" host reenroll host-a --reason "board replaced"
expect_grep '^status active, re-enrollment allowed$' "$out"
expect_rc 1 "$out" "$cli" enroll host-a --tcti "$tcti_b" --ek-cert "$work/ek-b-cert.der" --ak-handle 0x81010004
expect_grep 'FAILED_PRECONDITION: this TPM .* is already enrolled as host "host-b"' "$out"
no_leftovers tpm-b
echo "host-a moves to TPM C; host revoke: enrolling again is refused"
expect_rc 0 "$out" "$cli" enroll host-a --tcti "$tcti_c" --ak-handle 0x81010004
expect_grep '^AK 0x81010004 created, name 000b[0-9a-f]{64}$' "$out"
ek_c_fp="$(sed -n 's/^ek sha256 \([0-9a-f]\{64\}\)$/\1/p' "$out")"
[[ -n "$ek_c_fp" && "$ek_c_fp" != "$ek_b_fp" ]] || fail "host-a is not on TPM C: $(cat "$out")"
expect_rc 0 "$out" "$cli" host revoke host-a --reason "decommissioned"
expect_grep '^status REVOKED$' "$out"
expect_grep '^status changed [0-9T:-]+Z by .+: decommissioned$' "$out"
expect_rc 1 "$out" "$cli" enroll host-a --tcti "$tcti_c" --ak-handle 0x81010004
expect_grep '^bootgate: Enrollment.Start: FAILED_PRECONDITION: ' "$out"
no_leftovers tpm-c
expect_rc 0 "$out" "$cli" host show host-a
expect_grep '^status REVOKED$' "$out"
expect_grep "^ek sha256 $ek_c_fp$" "$out"

echo "host list: both hosts, trust path, status, fingerprint prefixes"
expect_rc 0 "$out" "$cli" host list
expect_grep '^HOST +TRUST PATH +STATUS +EK SHA256 +AK SHA256$' "$out"
expect_grep "^host-a +enrolled +REVOKED +${ek_c_fp:0:16} +[0-9a-f]{16}$" "$out"
expect_grep "^host-b +enrolled +active +${ek_b_fp:0:16} +[0-9a-f]{16}$" "$out"
expect_rc 0 "$out" "$cli" host list --json
/usr/bin/python3 - "$out" <<'PY'
import json, sys
hosts = {h["host_id"]: h for h in json.load(open(sys.argv[1]))["hosts"]}
assert set(hosts) == {"host-a", "host-b"}, hosts
assert hosts["host-a"]["revoked"] is True and hosts["host-b"]["revoked"] is False, hosts
PY

echo "audit: the lifecycle with who and why; filters; paging up to --limit"
expect_rc 0 "$out" "$cli" audit --host host-a
expect_grep '^TIME +ACTOR +ACTION +HOST +OUTCOME +REASON$' "$out"
expect_grep '^[0-9T:-]+Z +[^ ]+ +[^ ]*revoke[^ ]* +host-a +ok +decommissioned$' "$out"
expect_grep '^[0-9T:-]+Z +[^ ]+ +[^ ]*(reenroll|Reenroll)[^ ]* +host-a +ok +board replaced$' "$out"
expect_rc 0 "$out" "$cli" audit --outcome refused --json
/usr/bin/python3 - "$out" <<'PY'
import json, sys
records = json.load(open(sys.argv[1]))["records"]
assert records and all(r["outcome"] == "refused" for r in records), records
assert any(r["host_id"] == "host-a" and "Enrollment" in r["action"] for r in records), records
PY
expect_rc 0 "$out" "$cli" audit --limit 3
[[ "$(grep -cE '^[0-9]{4}-' "$out")" -eq 3 ]] || fail "--limit 3: $(cat "$out")"
expect_grep '^\(more records: raise --limit\)$' "$out"
expect_rc 0 "$out" "$cli" audit --limit 1000 --json
# Every enrollment is recorded: 13 of host-a (1 + 10 + --json + on TPM C), and push's --reason.
/usr/bin/python3 - "$out" <<'PY'
import json, sys
records = json.load(open(sys.argv[1]))["records"]
enrolled = [r for r in records if r["host_id"] == "host-a" and r["outcome"] == "ok"
            and "enroll" in r["action"].lower() and "reenroll" not in r["action"].lower()]
assert len(enrolled) == 13, [(r["action"], r["host_id"], r["outcome"]) for r in records]
assert any(r["reason"] == "agent enroll test baseline" for r in records), records
PY
expect_rc 0 "$out" "$cli" audit --since 1h --actor nobody-at-all
expect_grep '^no audit records$' "$out"
expect_rc 2 "$out" "$cli" audit --since yesterday
expect_grep '^bootgate: --since: "yesterday" is not a time' "$out"

echo "placement watch: the current state first, then host-b's attestation as it happens"
expect_rc 0 "$out" "$cli" placement watch host-a host-b --count 2 --json
/usr/bin/python3 - "$out" <<'PY'
import json, sys
changes = [json.loads(line) for line in open(sys.argv[1])]
assert [c["kind"] for c in changes] == ["KIND_INITIAL"] * 2, changes
assert {c["status"]["host_id"] for c in changes} == {"host-a", "host-b"}, changes
PY
"$cli" placement watch host-b --count 2 > "$work/watch.out" 2>&1 &
watch_pid=$!
for _ in $(seq 1 50); do grep -q 'host-b initial' "$work/watch.out" && break; sleep 0.1; done
expect_grep '^[0-9T:-]+Z host-b initial: NOT eligible \(never attested\)$' "$work/watch.out"
expect_rc 0 "$out" "$cli" attest --host host-b --tcti "$tcti_b" --eventlog "$work/tpm-b/eventlog.bin"
rc=0; timeout 10 tail --pid "$watch_pid" -f /dev/null || rc=$?
[[ $rc -eq 0 ]] || fail "placement watch --count 2 did not end: $(cat "$work/watch.out")"
wait "$watch_pid" || fail "placement watch exit $?: $(cat "$work/watch.out")"
expect_grep '^[0-9T:-]+Z host-b new-verdict: NOT eligible -> eligible \(latest verdict eligible and fresh\), verdict affirming .+$' "$work/watch.out"
echo "placement watch: Ctrl-C ends it with exit 0; a watch needs hosts or a group"
rc=0
timeout --preserve-status -s INT 2 "$cli" placement watch --group good-host > "$out" 2>&1 || rc=$?
[[ $rc -eq 0 ]] || { cat "$out" >&2; fail "watch interrupted: exit $rc"; }
expect_grep '^[0-9T:-]+Z host-b initial: eligible ' "$out"
expect_rc 2 "$out" "$cli" placement watch
expect_grep '^bootgate: placement watch: give HOST\.\.\. or --group G' "$out"
echo "PASS: agent enroll"
