#!/usr/bin/env bash
# One bootgated per port (issue 13 item 6): a second bootgated on the gRPC port, or on the HTTP
# port, of a running one exits non-zero with a message naming the port (gRPC and cpp-httplib
# would otherwise set SO_REUSEPORT and let it take part of the traffic), and the first keeps
# serving every call. Plaintext on 127.0.0.1 only; no TPM needed.
set -euo pipefail
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-one-port.XXXXXX")"
# shellcheck source=tests/integration/agent_lib.sh
source "$(dirname "$0")/agent_lib.sh"
cli="$BOOTGATE_CLI"
out="$work/out"

start_bootgated
grpc_port="${BOOTGATE_SERVER##*:}"
http_port="$(sed -n 's/.*http_port=\([0-9]*\).*/\1/p' "$work/bootgated.out")"
[[ -n "$http_port" && "$http_port" != 0 ]] || fail "no HTTP port in $(cat "$work/bootgated.out")"

# second NAME ARGS...: a second bootgated that must refuse to start (timeout: it must not serve).
second() {
  local name="$1" rc=0
  shift
  timeout 30 "$BOOTGATED" --data-dir "$work/data-$name" "$@" > "$work/$name.out" 2>&1 || rc=$?
  [[ "$rc" != 0 && "$rc" != 124 ]] \
    || { cat "$work/$name.out" >&2; fail "second bootgated ($name) started (exit $rc)"; }
  echo "ok   second bootgated ($name) exited $rc: $(grep '^bootgated:' "$work/$name.out")"
}

echo "a second bootgated on the same gRPC port"
second grpc --listen "127.0.0.1:$grpc_port" --http 127.0.0.1:0
expect_grep "^bootgated: cannot listen on listen_address 127\.0\.0\.1:$grpc_port .*port $grpc_port is already in use" \
  "$work/grpc.out"
echo "a second bootgated on the same HTTP port"
second http --listen 127.0.0.1:0 --http "127.0.0.1:$http_port"
expect_grep "^bootgated: cannot listen on http_address 127\.0\.0\.1:$http_port .*port $http_port is already in use" \
  "$work/http.out"
# Every line the refused servers logged before the error is a logfmt record (gRPC core's too).
if grep -v -e '^ts=' -e '^bootgated: ' "$work/grpc.out" "$work/http.out"; then
  fail "a line that is neither a log record nor the error"
fi

echo "the first keeps serving every call"
kill -0 "$agent_daemon_pid" || fail "the first bootgated exited"
for i in $(seq 8); do
  expect_rc 0 "$out" "$cli" host list
done
n="$(grep -c 'method=Hosts.List .*code=OK' "$work/bootgated.log" || true)"
[[ "$n" == 8 ]] || { cat "$work/bootgated.log" >&2; fail "the first bootgated logged $n of 8 calls"; }
curl -sf "http://127.0.0.1:$http_port/metrics" > "$work/metrics" || fail "the first's /metrics"
expect_grep 'Hosts.List' "$work/metrics"
echo "ok   all 8 calls answered by the first bootgated"
echo "PASS"
