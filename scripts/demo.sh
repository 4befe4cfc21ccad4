#!/usr/bin/env bash
# The main job, end to end on software TPMs and a real bootgated on loopback:
#   1. boots two hosts, each on its own swtpm that stays up as that host's TPM: a good one and
#      a tampered one whose grub was replaced by another binary. Each TPM has an EK certificate
#      from its own private swtpm-localca CA, the stand-in for a TPM manufacturer;
#   2. starts bootgated (SQLite in a temporary data dir, free loopback ports) trusting those
#      CAs for EK certificates, and pushes the fixture hosts' policy;
#   3. enrolls both hosts (`bootgate enroll`: EK certificate chain, AK created in the TPM,
#      credential made by the server and activated by the TPM);
#   4. runs the host agent on each (`bootgate attest`: challenge, TPM2_Quote over SHA-256 of the
#      token, event log) and prints the two verdicts;
#   5. shows the history and placement;
#   6. a dry run of a policy change (allowing the replaced grub) that would flip the tampered host;
#   7. revokes the good host's AK: Placement turns it ineligible at once; the audit log says who
#      did what and why;
# then stops everything it started. Exits 0 when the good host was eligible and the tampered one
# was not. BOOTGATE_BUILD_DIR picks an existing build (default: scripts/build.sh into build/);
# BOOTGATE_DEMO_DIR keeps the work files.
set -euo pipefail
cd "$(dirname "$0")/.."
start_time=$SECONDS
if [[ -n "${BOOTGATE_BUILD_DIR:-}" ]]; then
  build="$BOOTGATE_BUILD_DIR"
else
  ./scripts/build.sh release > /dev/null
  build=build
fi
cli="$build/cli/bootgate"
daemon="$build/server/bootgated/bootgated"
export BOOTGATE_FIXTURE="$build/swtpm-fixtures/bootgate-fixture"
for tool in "$cli" "$daemon" "$BOOTGATE_FIXTURE"; do
  [[ -x "$tool" ]] || { echo "demo: $tool is not built" >&2; exit 2; }
done
keep_work=0
if [[ -n "${BOOTGATE_DEMO_DIR:-}" ]]; then
  work="$BOOTGATE_DEMO_DIR" keep_work=1
  mkdir -p "$work"
else
  work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-demo.XXXXXX")"
fi

# Everything started here is stopped on every exit: bootgated, then each host's swtpm.
daemon_pid="" swtpm_pids=() swtpm_dirs=()
cleanup() {
  [[ -z "$daemon_pid" ]] || { kill "$daemon_pid" 2>/dev/null; wait "$daemon_pid" 2>/dev/null || true; }
  local pid
  for pid in "${swtpm_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  ((${#swtpm_dirs[@]} == 0)) || rm -rf "${swtpm_dirs[@]}"
  ((keep_work)) || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step() { printf '\n== %s\n' "$*"; }
show() { printf '$'; printf ' %q' "$@"; printf '\n'; "$@"; }

# boot_host ID SCENARIO: a measured boot on a fresh swtpm that stays up as the host's TPM.
boot_host() {
  local id="$1" scenario="$2"
  swtpm-fixtures/boot --scenario "$scenario" --out "$work/$id" --nonce "$(openssl rand -hex 32)" \
    --keep-running | grep -v '^bundle:'
  # shellcheck disable=SC1090
  local BOOTGATE_TCTI SWTPM_PID SWTPM_WORKDIR
  source "$work/$id/swtpm.env"
  swtpm_pids+=("$SWTPM_PID")
  swtpm_dirs+=("$SWTPM_WORKDIR")
  echo "$BOOTGATE_TCTI" > "$work/$id/tcti"
}

step "1. Boot a good host and a host whose grub was replaced (UEFI, Secure Boot, shim, grub, Linux)"
boot_host host-good-1 good-host
boot_host host-bootloader-replaced bootloader-replaced
# Each swtpm's EK certificate was issued by its own CA (boot writes it to ek-ca.pem): these are
# the "manufacturer" CAs bootgated trusts for enrollment.
cat "$work/host-good-1/ek-ca.pem" "$work/host-bootloader-replaced/ek-ca.pem" > "$work/ek-cas.pem"

step "2. Start bootgated (SQLite in $work/data, loopback only) and push the fixture hosts' policy"
cat > "$work/bootgated.textproto" <<CONF
enrollment { ek_ca_files: "$work/ek-cas.pem" }
CONF
echo "config: enrollment { ek_ca_files: \"$work/ek-cas.pem\" }"
"$daemon" --config "$work/bootgated.textproto" --listen 127.0.0.1:0 --http 127.0.0.1:0 \
  --data-dir "$work/data" > "$work/bootgated.out" 2> "$work/bootgated.log" &
daemon_pid=$!
for _ in $(seq 1 100); do
  grep -q '^grpc_port=' "$work/bootgated.out" 2>/dev/null && break
  kill -0 "$daemon_pid" 2>/dev/null || { echo "demo: bootgated exited:" >&2; cat "$work/bootgated.log" >&2; exit 1; }
  sleep 0.1
done
grpc_port="$(sed -n 's/^grpc_port=\([0-9]*\).*/\1/p' "$work/bootgated.out")"
[[ -n "$grpc_port" ]] || { echo "demo: bootgated did not start" >&2; cat "$work/bootgated.log" >&2; exit 1; }
export BOOTGATE_SERVER="127.0.0.1:$grpc_port"
echo "bootgated pid $daemon_pid listening on $BOOTGATE_SERVER"
show "$cli" policy push policies/fixtures/good-host.textproto --reason "demo: the fixture hosts' baseline"

step "3. Enroll both hosts: EK certificate chain, AK made in the TPM, credential activated by the TPM"
for id in host-good-1 host-bootloader-replaced; do
  show "$cli" enroll "$id" --group good-host --tcti "$(cat "$work/$id/tcti")"
  echo
done

step "4. Each host's agent attests: challenge, TPM2_Quote(SHA-256(token)), event log -> verdict"
good_rc=0 bad_rc=0
show "$cli" attest --host host-good-1 --tcti "$(cat "$work/host-good-1/tcti")" \
  --eventlog "$work/host-good-1/eventlog.bin" || good_rc=$?
echo
show "$cli" attest --host host-bootloader-replaced --tcti "$(cat "$work/host-bootloader-replaced/tcti")" \
  --eventlog "$work/host-bootloader-replaced/eventlog.bin" || bad_rc=$?

step "5. History and placement (what an admission controller asks)"
show "$cli" history
for id in host-good-1 host-bootloader-replaced; do
  "$cli" placement "$id" | head -1 || true
done

step "6. Dry run of a policy change: also allow the replaced grub"
# The candidate: the active policy plus the replaced grub's Authenticode digest, read from the
# tampered host's own event log (the PCR 4 load of grubx64.efi).
grub_digest="$("$cli" eventlog show --json "$work/host-bootloader-replaced/eventlog.bin" | python3 -c '
import json, sys
for e in json.load(sys.stdin)["events"]:
    if e["pcr"] == 4 and e["type_name"] == "EV_EFI_BOOT_SERVICES_APPLICATION" and "grubx64.efi" in e.get("summary", ""):
        print(e["digests"]["sha256"])')"
python3 - "$grub_digest" policies/fixtures/good-host.textproto > "$work/candidate.textproto" <<'PY'
import re, sys
digest, path = sys.argv[1], sys.argv[2]
text = open(path).read()
text = re.sub(r'version: "[^"]*"', 'version: "demo-allow-new-grub"', text, count=1)
entry = ('    allowed {\n      name: "grubx64.efi"\n      sha256: "%s"\n'
         '      source: "demo: the replaced grub"\n    }\n' % digest)
text = text.replace("  boot_loader {\n", "  boot_loader {\n" + entry, 1)
print(text, end="")
PY
echo "candidate: policies/fixtures/good-host.textproto + grubx64.efi sha256 $grub_digest"
show "$cli" policy dry-run "$work/candidate.textproto"

step "7. Revoke the good host's AK: ineligible at once; the audit log keeps who, what and why"
show "$cli" host revoke host-good-1 --reason "demo: AK compromise drill"
"$cli" placement host-good-1 | head -1 || true
show "$cli" audit --limit 12

echo
elapsed=$((SECONDS - start_time))
if [[ $good_rc -eq 0 && $bad_rc -eq 1 ]]; then
  echo "demo: good host was ELIGIBLE (until its AK was revoked), tampered host NOT ELIGIBLE, as expected (${elapsed}s)"
else
  echo "demo: unexpected result (good host exit $good_rc, tampered host exit $bad_rc)" >&2
  exit 1
fi
