#!/usr/bin/env bash
# Mutual TLS refusals, SIGHUP and SIGTERM (issue 13 items 8 and 10) against a real bootgated on
# 127.0.0.1; no TPM needed.
#  (a) a client certificate that is expired, from an unknown CA, signed by a key that is not the
#      CA's, for serverAuth only, issued by a non-CA, from an intermediate not sent, or none at
#      all: each attempt gives exactly one event=tls_refused line with its reason, and the
#      client's error is printed (documented in docs/operations.md); valid certificates (straight
#      from the CA, or from an intermediate sent along) are accepted.
#  (b) SIGHUP with a client CA bundle that adds a new CA, while a loop of calls and a Placement
#      watch run on the old CA's certificate: the new CA's client is refused before and accepted
#      after, no call of the loop fails, the watch stays open, the pid stays. Also on SIGHUP: an
#      invalid bundle is refused (event=reload_failed, the running CAs kept), a new server
#      certificate is served, the enrollment CA bundle is reloaded (an invalid one refused),
#      policy_file is reloaded while no policy was pushed and a pushed policy wins over it after,
#      a setting that needs a restart is reported as such.
#  (c) SIGTERM: event=stopped with the watch drained, exit 0.
set -euo pipefail
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-tls-reload.XXXXXX")"
# shellcheck source=tests/integration/agent_lib.sh
source "$(dirname "$0")/agent_lib.sh"
cli="$BOOTGATE_CLI"
out="$work/out"
log="$work/bootgated.log"

pki="$work/pki"
test_ca ca1 "/O=bootgate test/CN=client CA 1"
test_ca ca2 "/O=bootgate test/CN=client CA 2"
test_ca stranger "/O=bootgate test/CN=someone else's CA"
# Same subject as client CA 1, another key: what it signs claims CA 1 as issuer.
test_ca forger "/O=bootgate test/CN=client CA 1"
issue_from ca1 server "/CN=bootgated" "subjectAltName=IP:127.0.0.1"
issue_from ca1 server2 "/CN=bootgated renewed" "subjectAltName=IP:127.0.0.1"
issue_from ca1 admin1 "/OU=admin/CN=admin-one"
issue_from ca2 admin2 "/OU=admin/CN=admin-two"
issue_from stranger unknown "/OU=admin/CN=from-a-stranger"
issue_from forger forged "/OU=admin/CN=forged-by-ca1-name"
issue_from ca1 serveronly "/OU=admin/CN=server-auth-only" "extendedKeyUsage=serverAuth"
# An intermediate CA under CA 1 (its clients send it with their certificate), and a certificate
# "issued" by a client certificate, which is no CA.
issue_from ca1 inter "/O=bootgate test/CN=client intermediate" \
  $'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign'
issue_from inter viainter "/OU=admin/CN=via-intermediate"
cat "$pki/viainter.pem" "$pki/inter.pem" > "$pki/viainter-chain.pem"
issue_from admin1 byleaf "/OU=admin/CN=issued-by-a-leaf"
cat "$pki/byleaf.pem" "$pki/admin1.pem" > "$pki/byleaf-chain.pem"
# Expired yesterday: openssl x509 cannot backdate, so python's cryptography signs it.
/usr/bin/python3 - "$pki" <<'PY'
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
d = sys.argv[1]
ca_key = serialization.load_pem_private_key(open(f"{d}/ca1.key", "rb").read(), None)
ca = x509.load_pem_x509_certificate(open(f"{d}/ca1.pem", "rb").read())
key = ec.generate_private_key(ec.SECP256R1())
now = datetime.datetime.now(datetime.timezone.utc)
cert = (x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "admin"),
                                 x509.NameAttribute(NameOID.COMMON_NAME, "expired-admin")]))
        .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=10))
        .not_valid_after(now - datetime.timedelta(days=1))
        .sign(ca_key, hashes.SHA256()))
open(f"{d}/expired.pem", "wb").write(cert.public_bytes(serialization.Encoding.PEM))
open(f"{d}/expired.key", "wb").write(key.private_bytes(serialization.Encoding.PEM,
     serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
PY
# The server's trust for its own certificate, for the clients (server2 is from CA 1 as well).
as() { local who="$1"; shift; "$cli" "$@" --ca "$pki/ca1.pem" --cert "$pki/$who.pem" --key "$pki/$who.key"; }

cp "$pki/ca1.pem" "$work/client-cas.pem"
cp "$pki/server.pem" "$work/server.pem"
cp "$pki/server.key" "$work/server.key"
sed 's/^version: "fixtures-1"$/version: "file-1"/' \
  "$BOOTGATE_SOURCE_DIR/policies/fixtures/good-host.textproto" > "$work/policy.textproto"
grep -q '^version: "file-1"$' "$work/policy.textproto" || fail "could not set the policy version"
cp "$pki/stranger.pem" "$work/ek-cas.pem"  # any CA will do as the EK CA bundle here
cat > "$work/config.textproto" <<CONF
tls { cert_file: "$work/server.pem" key_file: "$work/server.key" client_ca_file: "$work/client-cas.pem" }
policy_file: "$work/policy.textproto"
enrollment { ek_ca_files: "$work/ek-cas.pem" }
CONF
start_bootgated --config "$work/config.textproto"
pid="$agent_daemon_pid"

# refused NAME REASON CMD...: the call fails, and the log gains exactly one tls_refused line, with
# REASON (and, when the client sent one, the certificate's subject CN).
refused() {
  local name="$1" reason="$2" before after rc=0
  shift 2
  before="$(grep -c 'event=tls_refused' "$log" || true)"
  "$@" > "$out" 2>&1 || rc=$?
  [[ "$rc" != 0 ]] || { cat "$out" >&2; fail "$name: the call was accepted"; }
  echo "     client sees ($name, exit $rc): $(tr '\n' ' ' < "$out")"
  # The server logs the refusal as the handshake ends; the client may return first.
  for _ in $(seq 30); do
    after="$(grep -c 'event=tls_refused' "$log" || true)"
    ((after > before)) && break
    sleep 0.1
  done
  sleep 0.5  # a second line, if the client had retried, would be here by now
  after="$(grep -c 'event=tls_refused' "$log" || true)"
  ((after == before + 1)) || { cat "$log" >&2; fail "$name: $((after - before)) tls_refused lines, want 1"; }
  local line
  line="$(grep 'event=tls_refused' "$log" | tail -n 1)"
  [[ "$line" == *" reason=$reason "* ]] || fail "$name: want reason=$reason in: $line"
  echo "ok   $name: $line"
}

echo "(a) refused handshakes: one structured line each, with the reason"
refused "expired certificate" expired as expired audit --limit 1
refused "unknown CA" unknown_ca as unknown audit --limit 1
refused "signed by another key under the CA's name" bad_signature as forged audit --limit 1
refused "extendedKeyUsage serverAuth only" wrong_purpose as serveronly audit --limit 1
refused "no certificate" no_certificate "$cli" audit --limit 1 --ca "$pki/ca1.pem"
refused "issued by a client certificate (sent along)" invalid_ca \
  "$cli" audit --limit 1 --ca "$pki/ca1.pem" --cert "$pki/byleaf-chain.pem" --key "$pki/byleaf.key"
refused "an intermediate's client that does not send the intermediate" unknown_ca \
  as viainter audit --limit 1
grep 'event=tls_refused' "$log" | grep -q 'subject="CN=expired-admin,OU=admin"' \
  || fail "the expired certificate's line does not name its subject"
if grep 'event=grpc' "$log" | grep -qi 'handshake'; then
  grep 'event=grpc' "$log" >&2
  fail "gRPC core logged its own handshake lines"
fi
expect_rc 0 "$out" as admin1 audit --limit 1
echo "ok   a valid certificate is accepted"
expect_rc 0 "$out" "$cli" audit --limit 1 --ca "$pki/ca1.pem" --cert "$pki/viainter-chain.pem" \
  --key "$pki/viainter.key"
echo "ok   a certificate from an intermediate CA, sent with the intermediate, is accepted"

echo "(b) SIGHUP"
refused "CA 2 before the reload" unknown_ca as admin2 audit --limit 1
# Calls on CA 1's certificate run all through the reload: a loop of calls and a watch.
"$cli" placement watch --group good-host --ca "$pki/ca1.pem" --cert "$pki/admin1.pem" --key "$pki/admin1.key" \
  > "$work/watch.out" 2>&1 &
watch_pid=$!
touch "$work/loop.run"
(
  n=0
  while [[ -e "$work/loop.run" ]]; do
    rc=0
    as admin1 audit --limit 1 > "$work/loop.last" 2>&1 || rc=$?
    n=$((n + 1))
    echo "$n $rc" >> "$work/loop.codes"
    [[ "$rc" == 0 ]] || cp "$work/loop.last" "$work/loop.failed.$n"
  done
) &
loop_pid=$!
for _ in $(seq 100); do [[ -s "$work/loop.codes" ]] && break; sleep 0.1; done
reloads() { grep -c 'event=reloaded' "$log" || true; }
# wait_reload N: until the log has N event=reloaded or event=reload_failed lines in all
wait_reload() {
  for _ in $(seq 100); do
    (($(grep -cE 'event=(reloaded|reload_failed)' "$log" || true) >= $1)) && return 0
    sleep 0.1
  done
  cat "$log" >&2
  fail "no reload line"
}

echo "     an invalid client CA bundle: refused, the running CAs kept"
echo "not a certificate" > "$work/client-cas.new"
mv "$work/client-cas.new" "$work/client-cas.pem"
kill -HUP "$pid"
wait_reload 1
expect_grep 'event=reload_failed .*client_ca_file' "$log"
expect_rc 0 "$out" as admin1 audit --limit 1
refused "CA 2 after a failed reload" unknown_ca as admin2 audit --limit 1

echo "     the bundle with both CAs"
calls_before="$(wc -l < "$work/loop.codes")"
cat "$pki/ca1.pem" "$pki/ca2.pem" > "$work/client-cas.new"
mv "$work/client-cas.new" "$work/client-cas.pem"
kill -HUP "$pid"
wait_reload 2
expect_grep 'event=reloaded changed=client_ca needs_restart=none policy_in_use=policy_file policy_version=file-1' "$log"
expect_rc 0 "$out" as admin2 audit --limit 1
echo "ok   CA 2's client is accepted after the reload"
for _ in $(seq 100); do (($(wc -l < "$work/loop.codes") >= calls_before + 5)) && break; sleep 0.1; done
rm -f "$work/loop.run"
wait "$loop_pid"
calls="$(wc -l < "$work/loop.codes")"
failed="$(awk '$2 != 0' "$work/loop.codes" | wc -l)"
((failed == 0)) || { cat "$work"/loop.failed.* >&2; fail "$failed of $calls calls failed during the reloads"; }
((calls >= calls_before + 5)) || fail "only $calls calls ran"
echo "ok   $calls calls on CA 1's certificate across the reloads, none failed"
kill -0 "$watch_pid" 2> /dev/null || { cat "$work/watch.out" >&2; fail "the watch ended"; }
echo "ok   the watch opened before the reload is still open"
kill -0 "$pid" || fail "bootgated is gone"
echo "ok   bootgated kept its pid ($pid)"

echo "     a renewed server certificate"
serial() {  # the serial of the certificate the server presents now
  { openssl s_client -connect "$BOOTGATE_SERVER" -cert "$pki/admin1.pem" -key "$pki/admin1.key" \
      < /dev/null 2> /dev/null || true; } | openssl x509 -noout -serial
}
old_serial="$(serial)"
cp "$pki/server2.key" "$work/server.key"
cp "$pki/server2.pem" "$work/server.pem"
kill -HUP "$pid"
wait_reload 3
expect_grep 'event=reloaded changed=server_certificate .*server_certificate="CN=bootgated renewed"' "$log"
new_serial=""
for _ in $(seq 50); do
  new_serial="$(serial)"
  [[ "$new_serial" != "$old_serial" ]] && break
  sleep 0.1
done
[[ "$new_serial" == "$(openssl x509 -in "$pki/server2.pem" -noout -serial)" ]] \
  || fail "still served: $new_serial (want server2's)"
expect_rc 0 "$out" as admin1 audit --limit 1
echo "ok   the renewed certificate is served ($old_serial -> $new_serial)"

echo "     the enrollment CA bundle: an invalid one refused, then one more CA"
echo "not a certificate" > "$work/ek-cas.pem"
kill -HUP "$pid"
wait_reload 4
expect_grep 'event=reload_failed error="[^"]*/ek-cas.pem: no PEM certificate' "$log"
cat "$pki/stranger.pem" "$pki/ca2.pem" > "$work/ek-cas.pem"
kill -HUP "$pid"
wait_reload 5
expect_grep 'event=reloaded changed=enrollment needs_restart=none' "$log"
echo "ok   enrollment CAs reloaded; an invalid bundle changed nothing"

echo "     policy_file, then a pushed policy"
sed -i 's/^version: "file-1"$/version: "file-2"/' "$work/policy.textproto"
kill -HUP "$pid"
wait_reload 6
expect_grep 'event=reloaded changed=policy_file needs_restart=none policy_in_use=policy_file policy_version=file-2' "$log"
sed 's/^version: "file-2"$/version: "pushed-1"/' "$work/policy.textproto" > "$work/pushed.textproto"
expect_rc 0 "$out" as admin1 policy push "$work/pushed.textproto" --reason "tls reload test"
sed -i 's/^version: "file-2"$/version: "file-3"/' "$work/policy.textproto"
echo 'reflection: true' >> "$work/config.textproto"
kill -HUP "$pid"
wait_reload 7
expect_grep 'event=reloaded changed=policy_file needs_restart=reflection policy_in_use=pushed policy_version=pushed-1' "$log"
echo "ok   policy_file reloaded; a pushed policy wins over it; reflection needs a restart"

echo "(c) SIGTERM"
kill -0 "$watch_pid" 2> /dev/null || { cat "$work/watch.out" >&2; fail "the watch ended early"; }
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
agent_daemon_pid=""
((rc == 0)) || { cat "$log" >&2; fail "bootgated exited $rc on SIGTERM"; }
expect_grep 'event=stopped why=SIGTERM in_flight=[1-9][0-9]* drained=[1-9][0-9]* cancelled=0' "$log"
echo "ok   $(grep 'event=stopped' "$log")"
rc=0
wait "$watch_pid" || rc=$?
echo "     the watch ended (exit $rc): $(tail -n 1 "$work/watch.out")"
echo "PASS"
