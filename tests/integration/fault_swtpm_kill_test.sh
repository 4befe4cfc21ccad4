#!/usr/bin/env bash
# Fault test (issue 13, "swtpm killed mid-quote"): `bootgate attest` talks to its swtpm through
# a loopback proxy that, when it sees the TPM2_Quote command (command code 0x158) go by, kills
# the swtpm with SIGKILL before the TPM can answer, then drops the agent's connection. The
# agent says so clearly (one line naming the quote and the TPM) and exits 2, within a bounded
# time; nothing is stored: the host's history and placement are unchanged. The TPM then comes
# back (swtpm restarted on the same state: the persisted AK survives; its PCRs were lost with
# the process, so the host boots again) and the next `bootgate attest` succeeds, its verdict
# saying the TPM's clock is not safe (the unclean stop) but eligible.
# A second round stops the swtpm (SIGSTOP) when the quote reaches it: no answer and no EOF.
# tpm2-tss's synchronous calls would wait for ever (before --tpm-timeout the agent was still
# waiting after 100 s); with --tpm-timeout 3s it says so and exits 2 within seconds, nothing
# stored, and attests again once the TPM runs.
set -euo pipefail
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-swtpmkill.XXXXXX")"
# shellcheck source=tests/integration/agent_lib.sh
source "$(dirname "$0")/agent_lib.sh"
proxy_pid=""
stop_proxy() {
  [[ -z "$proxy_pid" ]] || { kill "$proxy_pid" 2>/dev/null || true; wait "$proxy_pid" 2>/dev/null || true; }
  proxy_pid=""
}
trap 'stop_proxy; agent_cleanup' EXIT
cli="$BOOTGATE_CLI"
out="$work/out"

good_host_agent
swtpm_port="$(sed -n 's/.*port=\([0-9]*\).*/\1/p' <<<"$tcti")"

echo "before: a good attestation"
expect_rc 0 "$out" "$cli" attest --host host-good-1 --tcti "$tcti" --eventlog "$work/host-good-1/eventlog.bin"
expect_grep '^host host-good-1: affirming, placement eligible$' "$out"
history_ids() {
  "$cli" history --host host-good-1 --json |
    python3 -c 'import json,sys; print(" ".join(sorted(r["attestation_id"] for r in json.load(sys.stdin)["attestations"])))'
}
ids_before="$(history_ids)"
placement_before="$("$cli" placement host-good-1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["verdict"]["attestation_id"])')"

# proxy ACTION: listens on two consecutive free loopback ports (commands, control) and forwards
# them to the swtpm's; when a command with code 0x158 (TPM2_Quote) arrives it does ACTION to
# the swtpm ("kill": SIGKILL, then the agent's connection is closed unanswered; "stop":
# SIGSTOP).
# Writes its command port to $work/proxy.port and "quote seen" to $work/proxy.log.
start_proxy() {
  rm -f "$work/proxy.port" "$work/proxy.log"
  python3 - "$swtpm_port" "$swtpm_pid" "$1" "$work/proxy.port" "$work/proxy.log" <<'PY' &
import os, signal, socket, struct, sys, threading
target, pid, action, port_file, log_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
def listen_pair():
    while True:
        a = socket.socket(); a.bind(("127.0.0.1", 0)); p = a.getsockname()[1]
        b = socket.socket()
        try:
            b.bind(("127.0.0.1", p + 1))
        except OSError:
            a.close(); b.close(); continue
        for s in (a, b): s.listen(8)
        return a, b, p
def log(msg):
    with open(log_file, "a") as f: f.write(msg + "\n")
def pump(src, dst, watch):
    buf = b""
    try:
        while True:
            data = src.recv(65536)
            if not data: break
            if watch:
                buf += data
                # TPM 2.0 commands: tag (2), size (4), command code (4), big-endian
                while len(buf) >= 10:
                    size = struct.unpack(">I", buf[2:6])[0]
                    code = struct.unpack(">I", buf[6:10])[0]
                    if code == 0x158:
                        log("quote seen")
                        os.kill(pid, signal.SIGKILL if action == "kill" else signal.SIGSTOP)
                        log(action + " sent")
                        if action == "kill":
                            src.close(); dst.close(); return
                    if len(buf) < size or size < 10: break
                    buf = buf[size:]
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try: s.shutdown(socket.SHUT_RDWR)
        except OSError: pass
def serve(listener, target_port, watch):
    while True:
        c, _ = listener.accept()
        try:
            t = socket.create_connection(("127.0.0.1", target_port))
        except OSError:
            c.close(); continue
        threading.Thread(target=pump, args=(c, t, watch), daemon=True).start()
        threading.Thread(target=pump, args=(t, c, False), daemon=True).start()
cmd, ctrl, port = listen_pair()
threading.Thread(target=serve, args=(ctrl, target + 1, False), daemon=True).start()
with open(port_file + ".tmp", "w") as f: f.write(str(port))
os.rename(port_file + ".tmp", port_file)
serve(cmd, target, True)
PY
  proxy_pid=$!
  for _ in $(seq 100); do [[ -s "$work/proxy.port" ]] && break; sleep 0.05; done
  [[ -s "$work/proxy.port" ]] || fail "the proxy did not start"
  proxy_tcti="swtpm:host=127.0.0.1,port=$(cat "$work/proxy.port")"
}

echo "round 1: swtpm killed (SIGKILL) when the quote command reaches it"
start_proxy kill
start_s=$SECONDS
rc=0
timeout 60 "$cli" attest --host host-good-1 --tcti "$proxy_tcti" \
  --eventlog "$work/host-good-1/eventlog.bin" > "$out" 2>&1 || rc=$?
took=$((SECONDS - start_s))
cat "$out"
echo "agent exit $rc after ${took}s"
grep -qx "quote seen" "$work/proxy.log" || fail "the proxy never saw TPM2_Quote: $(cat "$work/proxy.log" 2>/dev/null)"
state="$(ps -o stat= -p "$swtpm_pid" 2>/dev/null || true)"
[[ -z "$state" || "$state" == Z* ]] || fail "swtpm still runs ($state)"
[[ "$rc" == 2 ]] || fail "agent exit $rc, want 2 (an error, not a verdict)"
[[ "$(wc -l < "$out")" -eq 1 ]] || fail "more than one line of error"
expect_grep '^bootgate: .*[Qq]uote.*' "$out"
expect_grep 'TPM|tcti|TCTI|I/O|IO' "$out"
[[ "$(history_ids)" == "$ids_before" ]] || fail "the history changed: $(history_ids)"
now_latest="$("$cli" placement host-good-1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["verdict"]["attestation_id"])')"
[[ "$now_latest" == "$placement_before" ]] || fail "placement's verdict changed to $now_latest"
echo "ok: clear error, exit 2, nothing stored"
stop_proxy

echo "the TPM comes back: swtpm restarted on its state, the host boots again, attest succeeds"
swtpm_restart_and_boot
expect_rc 0 "$out" "$cli" attest --host host-good-1 --tcti "$tcti" --eventlog "$work/reboot/eventlog.bin"
# The TPM went down uncleanly: its clock is not safe any more, which the verdict says (a
# warning); the host is eligible again.
expect_grep '^host host-good-1: (affirming|warning), placement eligible$' "$out"
expect_grep 'clock-not-safe' "$out"
echo "ok: the next attempt succeeds"

echo "round 2: swtpm stopped (SIGSTOP) when the quote command reaches it: no answer, no EOF"
ids_before="$(history_ids)"
start_proxy stop
start_s=$SECONDS
rc=0
timeout 60 "$cli" attest --host host-good-1 --tcti "$proxy_tcti" --tpm-timeout 3s \
  --eventlog "$work/reboot/eventlog.bin" > "$out" 2>&1 || rc=$?
stopped_took=$((SECONDS - start_s))
kill -CONT "$swtpm_pid" 2>/dev/null || true
stop_proxy
cat "$out"
echo "agent exit $rc after ${stopped_took}s"
grep -qx "quote seen" "$work/proxy.log" || fail "the proxy never saw TPM2_Quote"
[[ "$rc" == 2 ]] || fail "agent exit $rc, want 2 (124: it waited for ever)"
(( stopped_took <= 15 )) || fail "the agent took ${stopped_took}s with --tpm-timeout 3s"
[[ "$(wc -l < "$out")" -eq 1 ]] || fail "more than one line of error"
expect_grep '^bootgate: no answer from the TPM within 3s while quoting \(--tpm-timeout\)$' "$out"
[[ "$(history_ids)" == "$ids_before" ]] || fail "the history changed"
echo "ok: a TPM that never answers: clear error, exit 2, nothing stored"
expect_rc 0 "$out" "$cli" attest --host host-good-1 --tcti "$tcti" --eventlog "$work/reboot/eventlog.bin"
expect_grep '^host host-good-1: (affirming|warning), placement eligible$' "$out"
echo "ok: and the next attempt, the TPM running again, succeeds"

echo "PASS: swtpm killed mid-quote (agent exit 2 after ${took}s), stopped mid-quote (exit 2 after ${stopped_took}s)"
