#!/usr/bin/env bash
# `bootgate quote verify` on quotes made by a real swtpm with tpm2-tools: it must accept what
# tpm2_checkquote accepts (RSA-2048 and ECC P-256 AKs, per-file flags and bundle directory),
# and reject each kind of bad evidence with its own message and exit code. A quote without
# qualifying data (as cloud vTPM quotes captured elsewhere come) is refused without a nonce and
# verifies only with the explicit offline --no-freshness-check, which says freshness was not
# checked. `--json` is checked field by field against the text output and the quote's own bytes
# for every captured bundle in tests/data (valid, unchecked freshness, three rejections).
# Set QUOTE_TEST_KEEP=DIR to copy the generated evidence there (used to refresh fuzz seeds).
set -euo pipefail

: "${BOOTGATE_CLI:?}" "${BOOTGATE_SOURCE_DIR:?}"
workdir="$(mktemp -d)"
# shellcheck source=../../swtpm-fixtures/swtpm.sh
source "$BOOTGATE_SOURCE_DIR/swtpm-fixtures/swtpm.sh"
swtpm_start "$workdir" sha1,sha256
trap 'swtpm_stop; rm -rf "$workdir"' EXIT
cd "$workdir"

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# expect CODE TEXT -- CMD...: CMD must exit with CODE and print TEXT (fixed string) on
# stdout or stderr.
expect() {
  local want_code="$1" want_text="$2"
  shift 3
  local out code=0
  out="$("$@" 2>&1)" || code=$?
  if [[ "$code" != "$want_code" ]]; then
    fail "exit $code, want $want_code: $*"$'\n'"$out"
  elif [[ "$out" != *"$want_text"* ]]; then
    fail "output lacks \"$want_text\": $*"$'\n'"$out"
  else
    echo "ok ($code): $out"
  fi
}

nonce=5eed1a2b3c4d5e6f00112233445566778899aabbccddeeff0011223344556677
sel=sha256:0,1,2,3,4,5,6,7+sha1:0,7

tpm2_createek -c ek.ctx -G rsa -u ek.pub >/dev/null
tpm2_flushcontext -t
# make_ak NAME ALG HASH SCHEME: AK under the EK, public in TPM2B_PUBLIC and PEM, context saved.
make_ak() {
  tpm2_createak -C ek.ctx -c "$1.ctx" -G "$2" -g "$3" -s "$4" -u "$1.tpm2b_public" -n "$1.name" >/dev/null
  tpm2_flushcontext -t
  tpm2_readpublic -c "$1.ctx" -f pem -o "$1.pem" >/dev/null
  tpm2_flushcontext -t
}
make_ak ak_rsa rsa sha256 rsassa
make_ak ak_ecc ecc sha256 ecdsa
make_ak ak_other rsa sha256 rsassa
make_ak ak_sha1 rsa sha1 rsassa

# Something in the PCRs besides zeros, in both banks.
echo "bootgate quote test" > measured
tpm2_pcrextend "4:sha256=$(sha256sum measured | cut -c1-64),sha1=$(sha1sum measured | cut -c1-40)"
tpm2_pcrextend "7:sha256=$(sha256sum ek.pub | cut -c1-64),sha1=$(sha1sum ek.pub | cut -c1-40)"

# quote NAME AK HASH
quote() {
  tpm2_quote -c "$2.ctx" -l "$sel" -q "$nonce" -g "$3" -m "$1.msg" -s "$1.sig" -o "$1.pcrs" >/dev/null
  tpm2_flushcontext -t
}
quote rsa ak_rsa sha256
quote ecc ak_ecc sha256
quote sha1 ak_sha1 sha1
# A time attestation signed by the same AK: validly signed, but not a quote.
tpm2_gettime -c ak_rsa.ctx -q "$nonce" -g sha256 --attestation time.msg -o time.sig >/dev/null
tpm2_flushcontext -t

verify() {  # verify MSG SIG AK [more flags]
  local msg="$1" sig="$2" ak="$3"
  shift 3
  "$BOOTGATE_CLI" quote verify --message "$msg" --signature "$sig" --ak "$ak" --nonce "$nonce" "$@"
}

for kind in rsa ecc; do
  tpm2_checkquote -u "ak_$kind.pem" -m "$kind.msg" -s "$kind.sig" -f "$kind.pcrs" -g sha256 \
    -q "$nonce" >/dev/null || fail "tpm2_checkquote rejects the $kind quote"
  desc=$([[ $kind == rsa ]] && echo rsa-2048 || echo ecc-p256)
  for ak in "ak_$kind.pem" "ak_$kind.tpm2b_public"; do
    expect 0 "quote OK: $desc AK, nonce 5eed1a2b3c4d5e6f…, sha256:0-7+sha1:0,7 digest matches" -- \
      verify "$kind.msg" "$kind.sig" "$ak" --pcrs "$kind.pcrs" --require sha256:0-7
  done
done

# The same evidence as a bundle directory.
mkdir bundle
cp rsa.msg bundle/quote.msg; cp rsa.sig bundle/quote.sig; cp rsa.pcrs bundle/quote.pcrs
cp ak_rsa.pem bundle/ak.pub
printf '{"nonce": "%s", "host_id": "swtpm-test"}\n' "$nonce" > bundle/meta.json
expect 0 "quote OK: rsa-2048 AK" -- "$BOOTGATE_CLI" quote verify bundle

# Rejections: exit 1, one message per kind.
expect 1 "quote rejected (nonce-mismatch): quote nonce $nonce does not match the expected nonce 00112233" -- \
  "$BOOTGATE_CLI" quote verify bundle --nonce 00112233
cp rsa.pcrs changed.pcrs
python3 - changed.pcrs <<'PY'
import sys
# First PCR value: after TPML_PCR_SELECTION (132), the list count (4), TPML_DIGEST.count (4)
# and TPM2B_DIGEST.size (2).
p = sys.argv[1]; b = bytearray(open(p, 'rb').read()); b[142] ^= 0x01; open(p, 'wb').write(b)
PY
expect 1 "quote rejected (pcr-digest-mismatch): PCR digest mismatch: quote covers sha256:0,1,2,3,4,5,6,7+sha1:0,7 and the supplied values hash to" -- \
  verify rsa.msg rsa.sig ak_rsa.pem --pcrs changed.pcrs
tpm2_checkquote -u ak_rsa.pem -m rsa.msg -s rsa.sig -f changed.pcrs -g sha256 -q "$nonce" \
  >/dev/null 2>&1 && fail "tpm2_checkquote accepts a changed PCR value"
expect 1 "quote rejected (bad-signature): rsassa/sha256 signature does not verify with the AK" -- \
  verify rsa.msg rsa.sig ak_other.pem --pcrs rsa.pcrs
expect 1 "quote rejected (key-scheme-mismatch): ecdsa signature but the AK is not an EC key" -- \
  verify ecc.msg ecc.sig ak_rsa.pem --pcrs ecc.pcrs
expect 1 "quote rejected (not-a-quote): attestation type is 0x8019 (time), not a quote" -- \
  verify time.msg time.sig ak_rsa.pem --pcrs rsa.pcrs
expect 1 "quote rejected (pcr-selection-missing): quote covers sha256:0,1,2,3,4,5,6,7+sha1:0,7 but not sha256:8,9" -- \
  verify rsa.msg rsa.sig ak_rsa.pem --pcrs rsa.pcrs --require sha256:0-9
expect 1 "quote rejected (unsupported-scheme): rsassa signature uses sha1, which is refused unless explicitly allowed" -- \
  verify sha1.msg sha1.sig ak_sha1.pem --pcrs sha1.pcrs
expect 0 "quote OK: rsa-2048 AK" -- verify sha1.msg sha1.sig ak_sha1.pem --pcrs sha1.pcrs --allow-sha1
cp rsa.sig ecdaa.sig
printf '\x00\x1a' | dd of=ecdaa.sig bs=1 count=2 conv=notrunc status=none
expect 1 "quote rejected (unsupported-scheme): signature scheme ecdaa is not supported" -- \
  verify rsa.msg ecdaa.sig ak_rsa.pem --pcrs rsa.pcrs
cp rsa.msg badmagic.msg
printf '\xff\x54\x43\x46' | dd of=badmagic.msg bs=1 count=4 conv=notrunc status=none
expect 1 "quote rejected (bad-magic): attestation magic is 0xff544346, not TPM_GENERATED_VALUE" -- \
  verify badmagic.msg rsa.sig ak_rsa.pem --pcrs rsa.pcrs

# The PCR values from an event log instead of (or as well as) the PCR file: a SHA-1 legacy log
# of the two extends above, replayed by bootgate, against a quote of the sha1 bank.
write_log() {  # write_log OUT [corrupt]: EV_POST_CODE events for PCR 4 and 7
  python3 - "$1" "${2:-}" measured ek.pub <<'PY'
import hashlib, struct, sys
out = b""
for pcr, path in ((4, sys.argv[3]), (7, sys.argv[4])):
    data = open(path, "rb").read()
    digest = bytearray(hashlib.sha1(data).digest())
    if sys.argv[2] and pcr == 7:
        digest[0] ^= 1
    out += struct.pack("<II", pcr, 1) + bytes(digest) + struct.pack("<I", len(data)) + data
open(sys.argv[1], "wb").write(out)
PY
}
write_log eventlog.bin
write_log edited.bin corrupt
tpm2_quote -c ak_rsa.ctx -l sha1:0,1,2,3,4,5,6,7 -q "$nonce" -g sha256 -m log.msg -s log.sig \
  -o log.pcrs >/dev/null
tpm2_flushcontext -t
expect 0 "sha1:0-7 digest matches (event log replay, sha256)" -- \
  verify log.msg log.sig ak_rsa.pem --log eventlog.bin
expect 0 "sha1:0-7 digest matches (PCR file and event log replay, sha256)" -- \
  verify log.msg log.sig ak_rsa.pem --log eventlog.bin --pcrs log.pcrs
expect 1 "quote rejected (pcr-digest-mismatch): event log replay: PCR digest mismatch: quote covers sha1:0,1,2,3,4,5,6,7" -- \
  verify log.msg log.sig ak_rsa.pem --log edited.bin
expect 1 "quote rejected (pcr-digest-mismatch): event log does not replay to the quoted PCRs: sha1 PCR 7" -- \
  verify log.msg log.sig ak_rsa.pem --log edited.bin --pcrs log.pcrs
expect 1 "quote rejected (pcr-values-missing): event log replay: supplied PCR values lack sha256:0,1,2,3,4,5,6,7" -- \
  verify rsa.msg rsa.sig ak_rsa.pem --log eventlog.bin

# Quotes captured elsewhere: no nonce of ours. A cloud-vTPM-like quote (tpm2_quote without -q:
# empty qualifying data) over sha1:0-23.
sha1_all=sha1:0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23
tpm2_quote -c ak_rsa.ctx -l "$sha1_all" -g sha256 -m empty.msg -s empty.sig -o empty.pcrs >/dev/null
tpm2_flushcontext -t
tpm2_checkquote -u ak_rsa.pem -m empty.msg -s empty.sig -f empty.pcrs -g sha256 >/dev/null ||
  fail "tpm2_checkquote rejects the quote without qualifying data"
offline() {  # offline MSG SIG AK [more flags]: no nonce
  local msg="$1" sig="$2" ak="$3"
  shift 3
  "$BOOTGATE_CLI" quote verify --message "$msg" --signature "$sig" --ak "$ak" "$@"
}
# Without the option: refused as before (a quote with no nonce of ours proves nothing about now).
expect 2 "error: give BUNDLE_DIR, or all of --ak, --message, --signature and --nonce" -- \
  offline empty.msg empty.sig ak_rsa.pem --pcrs empty.pcrs
expect 2 "error: --nonce is empty" -- offline empty.msg empty.sig ak_rsa.pem --pcrs empty.pcrs --nonce ""
mkdir empty_bundle
cp empty.msg empty_bundle/quote.msg; cp empty.sig empty_bundle/quote.sig
cp empty.pcrs empty_bundle/quote.pcrs; cp ak_rsa.pem empty_bundle/ak.pub
printf '{"nonce": "", "host_id": "cloud-vm"}\n' > empty_bundle/meta.json
expect 2 "no expected nonce given (meta.json \"nonce\" is empty)" -- "$BOOTGATE_CLI" quote verify empty_bundle
# With it: verified, and the output says freshness was NOT checked and shows the qualifying data.
expect 0 "quote OK: rsa-2048 AK, qualifying data (empty) NOT checked, sha1:0-23 digest matches (PCR file, sha256)" -- \
  offline empty.msg empty.sig ak_rsa.pem --pcrs empty.pcrs --no-freshness-check
expect 0 "warning: freshness NOT checked (--no-freshness-check)" -- \
  offline empty.msg empty.sig ak_rsa.pem --pcrs empty.pcrs --no-freshness-check
expect 0 "qualifying data (empty) NOT checked" -- \
  "$BOOTGATE_CLI" quote verify empty_bundle --no-freshness-check
# A quote that does carry qualifying data: still verifies; shown in full, not compared.
expect 0 "quote OK: rsa-2048 AK, qualifying data $nonce NOT checked, sha256:0-7+sha1:0,7 digest matches" -- \
  offline rsa.msg rsa.sig ak_rsa.pem --pcrs rsa.pcrs --no-freshness-check
expect 0 "qualifying data $nonce NOT checked" -- \
  "$BOOTGATE_CLI" quote verify bundle --no-freshness-check
# --json says the same for scripts.
check_json() {  # check_json WANT_QUALIFYING_DATA -- CMD...: valid, freshness_checked false
  local want="$1" out code=0
  shift 2
  out="$("$@" 2>&1)" || code=$?
  if [[ "$code" != 0 ]] || ! python3 -c '
import json, sys
j = json.loads(sys.argv[1])
assert j["result"] == "valid", j
assert j["freshness_checked"] is False, j
assert j["qualifying_data"] == sys.argv[2], j
assert "freshness NOT checked" in j["warning"], j
' "$out" "$want"; then
    fail "JSON of $*: exit $code"$'\n'"$out"
  else
    echo "ok (0): JSON freshness_checked false, qualifying_data \"$want\""
  fi
}
check_json "" -- offline empty.msg empty.sig ak_rsa.pem --pcrs empty.pcrs --no-freshness-check --json
check_json "$nonce" -- offline rsa.msg rsa.sig ak_rsa.pem --pcrs rsa.pcrs --no-freshness-check --json
out="$(verify rsa.msg rsa.sig ak_rsa.pem --pcrs rsa.pcrs --json)" || fail "checked quote, --json"
python3 -c 'import json, sys; j = json.loads(sys.argv[1]); assert j["freshness_checked"] is True and "warning" not in j, j' \
  "$out" || fail "checked quote: JSON does not say freshness_checked true"$'\n'"$out"
# The captured bundles (tests/data): for the same inputs, --json says what the text says, and
# both say what the quote's own bytes (TPMS_ATTEST, decoded here independently) hold; a
# rejection's JSON names the rejection and message the text names.
python3 - "$BOOTGATE_CLI" "$BOOTGATE_SOURCE_DIR/tests/data" <<'PY' || fail "quote verify --json disagrees with the text output"
import glob, json, os, re, struct, subprocess, sys
cli, data = sys.argv[1], sys.argv[2]
ALGS = {0x0004: "sha1", 0x000B: "sha256", 0x000C: "sha384", 0x000D: "sha512"}
failures = 0
def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print(f"FAIL: {what}", file=sys.stderr)
def run(*args):
    p = subprocess.run([cli, "quote", "verify", *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr
def attest(path):  # TPMS_ATTEST of a quote, TPM 2.0 Part 2 10.12.12 (big-endian)
    b = open(path, "rb").read()
    o = 6
    def tpm2b():
        nonlocal o
        (n,) = struct.unpack_from(">H", b, o)
        v = b[o + 2:o + 2 + n]
        o += 2 + n
        return v
    tpm2b()  # qualifiedSigner
    extra = tpm2b()
    clock, reset, restart, _safe, firmware = struct.unpack_from(">QIIBQ", b, o)
    o += 25
    (count,) = struct.unpack_from(">I", b, o)
    o += 4
    banks = []
    for _ in range(count):
        alg, size = struct.unpack_from(">HB", b, o)
        bits = int.from_bytes(b[o + 3:o + 3 + size], "little")
        o += 3 + size
        banks.append((ALGS[alg], [i for i in range(8 * size) if bits >> i & 1]))
    digest = tpm2b()
    return extra, clock, reset, restart, firmware, banks, digest
def compact(banks):
    out = []
    for name, pcrs in banks:
        runs, i = [], 0
        while i < len(pcrs):
            j = i
            while j + 1 < len(pcrs) and pcrs[j + 1] == pcrs[j] + 1:
                j += 1
            runs.append(str(pcrs[i]) if j == i else f"{pcrs[i]}-{pcrs[j]}")
            i = j + 1
        out.append(f"{name}:{','.join(runs)}")
    return "+".join(out)
TEXT = re.compile(r"quote OK: (\S+) AK, (?:nonce ([0-9a-f]+)…|qualifying data (\S+) NOT checked), "
                  r"(\S+) digest matches \((.+), (\w+)\), resetCount (\d+), restartCount (\d+), "
                  r"clock (\d+) ms, firmware (0x[0-9a-f]{16})$")
bundles = sorted(glob.glob(f"{data}/appraisal/*/quote.msg") + glob.glob(f"{data}/realboot/*/quote.msg"))
check(len(bundles) >= 8, f"only {len(bundles)} captured bundles")
for msg in bundles:
    d = os.path.dirname(msg)
    meta = json.load(open(f"{d}/meta.json"))
    extra, clock, reset, restart, firmware, banks, digest = attest(msg)
    for opts in ([], ["--no-freshness-check"]):
        what = f"{d} {' '.join(opts)}"
        rc_t, text, _ = run(d, *opts)
        rc_j, out, err = run(d, *opts, "--json")
        check(rc_t == 0 and rc_j == 0, f"{what}: exit {rc_t} (text), {rc_j} (--json): {err}")
        m = TEXT.match(text.splitlines()[0]) if text else None
        check(m is not None, f"{what}: text output not understood: {text!r}")
        if m is None or rc_j != 0:
            continue
        j = json.loads(out)
        ak, nonce_prefix, shown_qd, sel, sources, sig_hash = m.group(1, 2, 3, 4, 5, 6)
        checked = not opts
        pairs = [
            (j["result"], "valid"), (j["ak"], ak), (j["pcr_selection"], sel),
            (j["pcr_sources"], sources), (j["signature_hash"], sig_hash),
            (j["reset_count"], int(m.group(7))), (j["restart_count"], int(m.group(8))),
            (j["clock_ms"], int(m.group(9))), (j["firmware_version"], m.group(10)),
            (j["freshness_checked"], checked), ("warning" in j, not checked),
            ("warning: freshness NOT checked" in text, not checked),
            # and what the quote itself holds
            (j["qualifying_data"], extra.hex()), (j["reset_count"], reset),
            (j["restart_count"], restart), (j["clock_ms"], clock),
            (j["firmware_version"], f"0x{firmware:016x}"), (j["pcr_selection"], compact(banks)),
            (j["pcr_digest"], digest.hex()),
        ]
        if checked:
            pairs += [(j["qualifying_data"][:16], nonce_prefix), (j["qualifying_data"], meta["nonce"])]
        else:
            pairs += [(j["qualifying_data"], shown_qd)]
        for n, (got, want) in enumerate(pairs):
            check(got == want, f"{what}: check {n}: JSON {got!r}, want {want!r}")
    # Rejections: the text's "quote rejected (R): M" on stderr, the JSON's rejection and message.
    other = next(b for b in bundles if os.path.dirname(b) != d and
                 open(f"{os.path.dirname(b)}/ak.pub", "rb").read() != open(f"{d}/ak.pub", "rb").read())
    for opts, want in ((["--nonce", "00"], "nonce-mismatch"),
                       (["--require", "sha256:0-23"], "pcr-selection-missing"),
                       (["--ak", f"{os.path.dirname(other)}/ak.pub"], "bad-signature")):
        what = f"{d} {' '.join(opts)}"
        rc_t, _, err_t = run(d, *opts)
        rc_j, out, _ = run(d, *opts, "--json")
        m = re.match(r"quote rejected \(([a-z0-9-]+)\): (.*)$", err_t.strip())
        check(rc_t == 1 and rc_j == 1 and m is not None, f"{what}: exit {rc_t}/{rc_j}: {err_t!r}")
        if m is None or rc_j != 1:
            continue
        j = json.loads(out)
        check(j == {"result": "rejected", "rejection": m.group(1), "message": m.group(2),
                    "freshness_checked": True} and m.group(1) == want,
              f"{what}: JSON {j}, text {err_t!r}, want {want}")
print(f"ok: quote verify --json matches the text output and the quote bytes for {len(bundles)} captured bundles"
      if failures == 0 else f"{failures} JSON check(s) failed")
sys.exit(1 if failures else 0)
PY
# Everything else is still checked.
expect 1 "quote rejected (bad-signature)" -- \
  offline empty.msg empty.sig ak_other.pem --pcrs empty.pcrs --no-freshness-check
expect 1 "quote rejected (not-a-quote)" -- \
  offline time.msg time.sig ak_rsa.pem --pcrs rsa.pcrs --no-freshness-check
expect 1 "quote rejected (pcr-digest-mismatch)" -- \
  offline rsa.msg rsa.sig ak_rsa.pem --pcrs changed.pcrs --no-freshness-check
expect 1 "quote rejected (pcr-selection-missing)" -- \
  offline empty.msg empty.sig ak_rsa.pem --pcrs empty.pcrs --no-freshness-check --require sha256:0-7
expect 1 '"rejection": "bad-signature"' -- \
  offline empty.msg empty.sig ak_other.pem --pcrs empty.pcrs --no-freshness-check --json
# A nonce and no freshness check contradict each other: a usage error.
expect 2 "excludes" -- \
  verify rsa.msg rsa.sig ak_rsa.pem --pcrs rsa.pcrs --no-freshness-check
# The service never opts out: nothing outside the offline CLI names the option.
if grep -rn "kNotCheckedOfflineOnly\|no_freshness_check" "$BOOTGATE_SOURCE_DIR/server" \
  "$BOOTGATE_SOURCE_DIR/verifier/appraisal" "$BOOTGATE_SOURCE_DIR/cli/attest_command.cc" \
  "$BOOTGATE_SOURCE_DIR/cli/tpm_agent.cc"; then
  fail "the service or the agent can skip the freshness check"
fi

# Malformed input: exit 2.
head -c 50 rsa.msg > truncated.msg
expect 2 "error: quote message (TPMS_ATTEST, 50 bytes) is truncated or malformed" -- \
  verify truncated.msg rsa.sig ak_rsa.pem --pcrs rsa.pcrs
cat rsa.msg measured > trailing.msg
expect 2 "trailing bytes after the TPMS_ATTEST structure" -- \
  verify trailing.msg rsa.sig ak_rsa.pem --pcrs rsa.pcrs
expect 2 "error: no PCR values to check the quote's PCR digest against" -- \
  verify rsa.msg rsa.sig ak_rsa.pem
expect 2 "ak.pem: no such file" -- verify rsa.msg rsa.sig ak.pem --pcrs rsa.pcrs
expect 2 "AK public key: not PEM, TPM2B_PUBLIC, TPMT_PUBLIC or DER" -- \
  verify rsa.msg rsa.sig measured --pcrs rsa.pcrs

if [[ -n "${QUOTE_TEST_KEEP:-}" ]]; then
  mkdir -p "$QUOTE_TEST_KEEP"
  cp ./*.msg ./*.sig ./*.pcrs ./*.pem ./*.tpm2b_public ./*.name "$QUOTE_TEST_KEEP"/
fi

if ((failures > 0)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all quote verify checks passed"
