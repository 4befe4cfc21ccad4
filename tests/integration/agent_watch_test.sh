#!/usr/bin/env bash
# The agent mode (issue 15): `bootgate attest --watch 2s` keeps attesting through a bootgated
# restart and through its TPM going away and coming back, saying what failed and retrying
# (cli/agent_schedule.h: 1 s, 2 s, 4 s... up to the interval), and stops cleanly on SIGTERM.
# Real bootgated (SQLite) on loopback, real swtpm; waits are generous, times are printed.
set -euo pipefail
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-agentwatch.XXXXXX")"
# shellcheck source=tests/integration/agent_lib.sh
source "$(dirname "$0")/agent_lib.sh"
agent_pid=""
trap '[[ -z "$agent_pid" ]] || kill "$agent_pid" 2>/dev/null || true; agent_cleanup' EXIT
cli="$BOOTGATE_CLI"

good_host_agent
cp "$work/host-good-1/eventlog.bin" "$work/eventlog.bin"

"$cli" attest --watch 2s --json --host host-good-1 --tcti "$tcti" --eventlog "$work/eventlog.bin" \
  > "$work/agent.out" 2> "$work/agent.err" &
agent_pid=$!

eligible_lines() { grep -c '"placement_eligible":true' "$work/agent.out" || true; }
# wait_for WHAT SECONDS COMMAND...: polls COMMAND every 0.2 s; prints how long it took.
wait_for() {
  local what="$1" limit="$2" start=$SECONDS
  shift 2
  until "$@"; do
    kill -0 "$agent_pid" 2>/dev/null || { cat "$work/agent.err" >&2; fail "the agent exited ($what)"; }
    ((SECONDS - start < limit)) || { cat "$work/agent.err" "$work/agent.out" >&2; fail "$what"; }
    sleep 0.2
  done
  echo "ok   $what (after $((SECONDS - start)) s)"
}
more_eligible_than() { (($(eligible_lines) > $1)); }
err_has() { grep -Eq -- "$1" "$work/agent.err"; }

wait_for "the agent's first verdict: eligible" 60 more_eligible_than 0

echo "bootgated stops (SIGTERM) and starts again on the same port and store"
kill -TERM "$agent_daemon_pid"
wait "$agent_daemon_pid" 2>/dev/null || true
agent_daemon_pid=""
wait_for "the agent says the server is unreachable and retries" 60 \
  err_has 'attempt failed \(1 in a row\); next in'
seen="$(eligible_lines)"
"$BOOTGATED" --listen "$BOOTGATE_SERVER" --http 127.0.0.1:0 --data-dir "$work/data" \
  >> "$work/bootgated.out" 2>> "$work/bootgated.log" &
agent_daemon_pid=$!
wait_for "an eligible verdict from the restarted bootgated" 90 more_eligible_than "$seen"

echo "the TPM goes away (swtpm killed) and comes back on its state; the host boots again"
kill -KILL "$swtpm_pid"
failures_before="$(grep -c 'attempt failed' "$work/agent.err" || true)"
tpm_failed() { (($(grep -c 'attempt failed' "$work/agent.err" || true) > failures_before)); }
wait_for "the agent reports the TPM error and retries" 60 tpm_failed
swtpm_restart_and_boot
seen="$(eligible_lines)"
cp "$work/reboot/eventlog.bin" "$work/eventlog.bin"
wait_for "an eligible verdict once the TPM is back" 90 more_eligible_than "$seen"
echo "what the agent said meanwhile:"
grep -E 'attempt failed|bootgate' "$work/agent.err" | sort | uniq -c | sed 's/^/  /' | head -20

echo "SIGTERM: the agent stops"
start=$SECONDS
kill -TERM "$agent_pid"
rc=0
wait "$agent_pid" || rc=$?
agent_pid=""
echo "ok   the agent exited $rc after $((SECONDS - start)) s"
((SECONDS - start < 20)) || fail "the agent took $((SECONDS - start)) s to stop"
[[ "$rc" == 0 || "$rc" == 1 ]] || fail "the agent exited $rc after SIGTERM"
echo PASS
