#!/usr/bin/env bash
# Log injection (issue 13 item 7): a client certificate whose CN holds a newline followed by a
# whole forged log record is refused, and bootgated's log (logfmt on stderr) has exactly one
# event=denied record and one request record for the call, the CN escaped inside their values:
# every line parses as logfmt from its first byte to its last, and no record is the forged one.
# Mutual TLS on 127.0.0.1; no TPM needed.
set -euo pipefail
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-log-injection.XXXXXX")"
# shellcheck source=tests/integration/agent_lib.sh
source "$(dirname "$0")/agent_lib.sh"
cli="$BOOTGATE_CLI"
out="$work/out"

pki="$work/pki"
test_ca ca "/O=bootgate test/CN=bootgate test CA"
issue server "/CN=bootgated" "subjectAltName=IP:127.0.0.1"
# The agent's CN (at most 64 characters): host-a, a newline, then a record that would read as a
# successful revocation; a CR and a terminal escape sequence for good measure.
forged='ts=1 method=Hosts.Revoke host=host-b code=OK'
printf -v cn 'host-a\n%s\r\033[2K' "$forged"
issue evil "/OU=agent/CN=$cn"
openssl x509 -in "$pki/evil.pem" -noout -subject -nameopt RFC2253 | grep -q 'host-a\\0A' \
  || fail "openssl did not put the newline into the CN"

cat > "$work/config.textproto" <<CONF
tls { cert_file: "$pki/server.pem" key_file: "$pki/server.key" client_ca_file: "$pki/ca.pem" }
CONF
start_bootgated --config "$work/config.textproto"

echo "the agent with the forging CN asks for another host's placement: denied"
rc=0
"$cli" placement host-b --ca "$pki/ca.pem" --cert "$pki/evil.pem" --key "$pki/evil.key" \
  > "$out" 2>&1 || rc=$?
[[ "$rc" != 0 ]] || { cat "$out" >&2; fail "the forging agent was allowed"; }
expect_grep 'PERMISSION_DENIED' "$out"
# The request record is written after the reply; give it a moment.
for _ in $(seq 50); do grep -q 'method=Placement.Get' "$work/bootgated.log" && break; sleep 0.1; done

echo "the log: every line one logfmt record, one denied record, no forged record"
if /usr/bin/python3 - "$work/bootgated.log" "$cn" <<'PY'
import re, sys
raw = open(sys.argv[1], "rb").read()
cn = sys.argv[2]
field = re.compile(rb'([A-Za-z0-9_.-]+)=("(?:[^"\\\x00-\x1f\x7f-\xff]|\\["\\nrt]|\\x[0-9a-f]{2})*"|[!#-<>-\[\]-~]+)')
def unquote(v):
    if not v.startswith(b'"'):
        return v.decode()
    out, i, s = bytearray(), 0, v[1:-1]
    while i < len(s):
        if s[i:i+1] == b'\\':
            c = s[i+1:i+2]
            if c == b'x':
                out.append(int(s[i+2:i+4], 16)); i += 4; continue
            out += {b'n': b'\n', b'r': b'\r', b't': b'\t'}.get(c, c); i += 2; continue
        out.append(s[i]); i += 1
    return out.decode()
records = []
assert raw.endswith(b"\n"), "the log does not end with a newline"
for n, line in enumerate(raw.split(b"\n")[:-1], 1):
    pos, rec = 0, []
    while pos < len(line):
        m = field.match(line, pos)
        if not m:
            raise SystemExit(f"line {n} is not logfmt at byte {pos}: {line!r}")
        rec.append((m.group(1).decode(), unquote(m.group(2))))
        pos = m.end()
        if pos < len(line):
            if line[pos:pos+1] != b" ":
                raise SystemExit(f"line {n}: no space after a field at byte {pos}: {line!r}")
            pos += 1
    if not rec or rec[0][0] != "ts":
        raise SystemExit(f"line {n} does not start with ts=: {line!r}")
    records.append(dict(rec))
denied = [r for r in records if r.get("event") == "denied"]
if len(denied) != 1:
    raise SystemExit(f"want exactly one event=denied record, got {len(denied)}: {records}")
d = denied[0]
assert d["caller"] == cn, f"the denied record's caller is not the CN as sent: {d['caller']!r}"
assert d["method"] == "Placement.Get" and d["host"] == "host-b" and d["role"] == "agent", d
calls = [r for r in records if r.get("method") == "Placement.Get" and "event" not in r]
if len(calls) != 1 or calls[0].get("code") != "PERMISSION_DENIED":
    raise SystemExit(f"want one PERMISSION_DENIED request record, got {calls}")
assert cn in calls[0]["msg"], calls[0]
forged = [r for r in records
          if r.get("method") == "Hosts.Revoke" or r.get("ts") == "1"]
if forged:
    raise SystemExit(f"forged records in the log: {forged}")
print(f"ok   {len(records)} records, every line logfmt; one denied record, caller = the CN unchanged")
PY
then :; else cat -A "$work/bootgated.log" >&2; fail "the log above"; fi
grep -c '' "$work/bootgated.log" | sed 's/^/     log lines: /'
echo "PASS"
