#!/usr/bin/env bash
# Half-sent requests cannot take bootgated's memory (issue 13 item 2, acceptance 2): over mutual
# TLS, a caller with an agent certificate the CA trusts opens 16 connections carrying 64 Attest
# streams that each announce a 1 GiB message and send as fast as flow control lets them, plus 4
# connections that trickle 1 byte a second (tests/integration/h2_flood.py, raw HTTP/2). Every
# stream is refused: the fast ones with RESOURCE_EXHAUSTED after at most max_request_bytes (or,
# never read, when limits.queue_wait ran out), the slow ones by limits.receive_deadline;
# bootgated's RSS, sampled every 50 ms, stays under 256 MiB throughout; a
# well-behaved agent's `bootgate attest` during the flood gets its verdict. 1 GiB announced to
# Challenge (a method gRPC reads whole) is reset by the ResourceQuota. Prints the measured
# figures (bytes each stream got to send, when it was refused, RSS peak, the agent's time).
set -euo pipefail
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-flood.XXXXXX")"
# shellcheck source=tests/integration/agent_lib.sh
source "$(dirname "$0")/agent_lib.sh"
cli="$BOOTGATE_CLI"
out="$work/out"
mib=$((1024 * 1024))

pki="$work/pki"
test_ca ca "/O=bootgate test/CN=bootgate test CA"
issue server "/CN=bootgated" "subjectAltName=IP:127.0.0.1"
issue agent "/OU=agent/CN=host-good-1"
issue hostile "/OU=agent/CN=host-hostile"
issue admin "/OU=admin/CN=root-ops"
as() { local who="$1"; shift; "$cli" "$@" --ca "$pki/ca.pem" --cert "$pki/$who.pem" --key "$pki/$who.key"; }

# The documented defaults but for shorter waits, so that the test ends sooner, and an in-flight
# budget of 6 reads (128 MiB / max_request_bytes) instead of 3: the hostile caller may hold 5,
# so that its 4 slow senders (started first) are all read and must be ended by the receive
# deadline while its fast streams still get read (and refused as too large) one at a time; the
# agent's read is the one a single caller can never hold.
cat > "$work/config.textproto" <<CONF
tls { cert_file: "$pki/server.pem" key_file: "$pki/server.key" client_ca_file: "$pki/ca.pem" }
limits {
  receive_deadline { seconds: 10 }
  queue_wait { seconds: 5 }
  inflight_request_bytes: 134217728
}
CONF
start_bootgated --config "$work/config.textproto"
pid="$agent_daemon_pid"
max_request=$((20 * mib))  # limits.max_request_bytes, default

boot_host host-good-1 good-host
expect_rc 0 "$out" as admin policy push "$BOOTGATE_SOURCE_DIR/policies/fixtures/good-host.textproto" \
  --reason "fixture baseline"
expect_rc 0 "$out" as admin host add host-good-1 --group good-host --ak "$work/host-good-1/ak.pub"
agent=(attest --host host-good-1 --tcti "$(cat "$work/host-good-1/tcti")"
       --eventlog "$work/host-good-1/eventlog.bin")
echo "before the flood: the agent attests"
expect_rc 0 "$out" as agent "${agent[@]}"
expect_grep '^host host-good-1: affirming, placement eligible$' "$out"
echo "RSS before the flood: $(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status") KiB"

echo "the flood: 16 connections x 4 streams announcing 1 GiB, fast; 4 trickling 1 byte/s"
python3 "$BOOTGATE_SOURCE_DIR/tests/integration/h2_flood.py" --addr "$BOOTGATE_SERVER" \
  --tls-ca "$pki/ca.pem" --tls-cert "$pki/hostile.pem" --tls-key "$pki/hostile.key" \
  --fast-connections 16 --streams-per-connection 4 --slow-connections 4 --announce $((1 << 30)) \
  --pid "$pid" --wait 120 --out "$work/flood.json" &
flood=$!
sleep 2
echo "during the flood: the agent attests"
agent_start=$(date +%s.%N)
rc=0
as agent "${agent[@]}" > "$work/agent.out" 2>&1 || rc=$?
agent_seconds=$(python3 -c "print(round($(date +%s.%N) - $agent_start, 2))")
flood_running=no
kill -0 "$flood" 2> /dev/null && flood_running=yes
wait "$flood"
cat "$work/agent.out"
echo "the agent's attest took ${agent_seconds} s (exit $rc); flood still running then: $flood_running"
[[ "$rc" == 0 ]] || fail "the agent's attest during the flood failed"
expect_grep '^host host-good-1: affirming, placement eligible$' "$work/agent.out"
[[ "$flood_running" == yes ]] || fail "the flood ended before the agent's attest did"

python3 - "$work/flood.json" "$max_request" <<'PY'
import collections, json, sys
r = json.load(open(sys.argv[1]))
max_request = int(sys.argv[2])
streams = r["streams"]
problems = []
for mode in ("fast", "slow"):
    ss = [s for s in streams if s["mode"] == mode]
    outcomes = collections.Counter(
        (s["how"], s["grpc_status"], (s["grpc_message"] or "")[:48]) for s in ss)
    ended = [s["ended_after_s"] for s in ss if s["ended_after_s"] is not None]
    print(f"{mode}: {len(ss)} streams; sent at most {max(s['sent'] for s in ss)} bytes "
          f"(max_request_bytes {max_request}); refused after {min(ended, default=0)}.."
          f"{max(ended, default=0)} s")
    for (how, status, message), n in sorted(outcomes.items(), key=str):
        print(f"  {n:3d} x {how} grpc-status {status}: {message}")
    for s in ss:
        if s["how"] != "trailers":
            problems.append(f"{mode} stream {s['connection']}/{s['stream']} was not refused "
                            f"with a gRPC status: {s['how']}")
        elif mode == "fast" and s["grpc_status"] != 8:  # RESOURCE_EXHAUSTED
            problems.append(f"fast stream {s['connection']}/{s['stream']}: {s}")
        elif mode == "slow" and s["grpc_status"] != 4:  # DEADLINE_EXCEEDED
            problems.append(f"slow stream {s['connection']}/{s['stream']}: {s}")
        # Generous: what the server read (at most max_request_bytes and one poll's worth of
        # bytes) plus what sat in the sockets' buffers; far from the 1 GiB announced.
        if s["sent"] > 2 * max_request:
            problems.append(f"{mode} stream {s['connection']}/{s['stream']} sent {s['sent']} bytes")
print(f"bootgated RSS peak during the flood: {r['rss_peak_kib'] // 1024} MiB "
      f"({r['rss_samples']} samples over {r['elapsed_s']} s)")
if r["rss_peak_kib"] is None or r["rss_peak_kib"] >= 256 * 1024:
    problems.append(f"RSS peak {r['rss_peak_kib']} KiB is not under 256 MiB")
for p in problems[:20]:
    print("FAIL", p)
sys.exit(1 if problems else 0)
PY
grep -o 'msg="the request is larger than limits.max_request_bytes ([0-9]* bytes): [0-9]* bytes' \
  "$work/bootgated.log" | awk '{print $(NF-1)}' | sort -n | tail -1 |
  sed 's/^/largest connection byte count at a too-large refusal: /'

echo "1 GiB announced to another method (Challenge, registered with gRPC and read whole by it):"
echo "gRPC's ResourceQuota (limits.transport_memory_bytes) resets the streams"
python3 "$BOOTGATE_SOURCE_DIR/tests/integration/h2_flood.py" --addr "$BOOTGATE_SERVER" \
  --tls-ca "$pki/ca.pem" --tls-cert "$pki/hostile.pem" --tls-key "$pki/hostile.key" \
  --fast-connections 2 --streams-per-connection 2 --slow-connections 0 \
  --path /bootgate.v1.Attestation/Challenge --pid "$pid" --wait 60 --out "$work/challenge.json"
python3 - "$work/challenge.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for s in r["streams"]:
    print(f"  stream {s['connection']}/{s['stream']}: {s['how']} (RST code {s['rst_code']}, "
          f"grpc-status {s['grpc_status']}) after {s['ended_after_s']} s, {s['sent']} bytes sent")
print(f"  bootgated RSS peak: {r['rss_peak_kib'] // 1024} MiB")
bad = [s for s in r["streams"] if s["how"] == "open" or s["sent"] >= 1 << 30]
sys.exit(1 if bad or r["rss_peak_kib"] >= 256 * 1024 else 0)
PY

echo "after the flood: the agent attests again"
expect_rc 0 "$out" as agent "${agent[@]}"
expect_grep '^host host-good-1: affirming, placement eligible$' "$out"
echo "RSS after the flood: $(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status") KiB"
echo "PASS"
