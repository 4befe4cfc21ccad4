#!/usr/bin/env bash
# Memory of large valid attestations (issue 13 item 3, acceptance 2): the good host's log grown
# to 16 MiB with EV_IPL events whose digests the swtpm's PCR 14 really got, then 16 Attest
# calls with it at once (16 tokens, 16 quotes) against bootgated on 127.0.0.1. Every call is
# answered (a verdict, or RESOURCE_EXHAUSTED from the in-flight budget, which it says), and
# bootgated's RSS, sampled every 50 ms, stays under 256 MiB + 3x limits.inflight_request_bytes.
# Prints the figures (RSS before, peak and after; how many verdicts; the longest call).
set -euo pipefail
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-large-logs.XXXXXX")"
# shellcheck source=tests/integration/server_lib.sh
source "$(dirname "$0")/server_lib.sh"
cleanup() {
  server_stop_all
  swtpm_stop
  [[ -n "${KEEP_WORK:-}" ]] || rm -rf "$work"
}
src="$BOOTGATE_SOURCE_DIR"
mib=$((1024 * 1024))
budget=$((64 * mib))  # limits.inflight_request_bytes, the documented default
calls="${LARGE_LOG_CALLS:-16}"

server_tpm_boot a
trap cleanup EXIT  # after swtpm_start, which sets its own
echo "grow the good host's log to 16 MiB on PCR 14, extending the swtpm to match"
python3 "$src/tests/integration/eventlog_grow.py" "$work/boot/eventlog.bin" "$work/large.bin" \
  --size $((16 * mib)) > "$work/extends"
while read -r pcr digests; do
  tpm2_pcrextend "$pcr:$digests"
done < "$work/extends"
echo "log: $(stat -c %s "$work/large.bin") bytes, $(wc -l < "$work/extends") events added"

server_start srv --data-dir "$work/data" --policy "$src/policies/fixtures/good-host.textproto"
client "$srv_addr" register host-good-1 "$work/ak-a.pem" > /dev/null
# One token and quote per call, made first: the calls then run at once.
for i in $(seq "$calls"); do
  server_quote "$srv_addr" host-good-1 a
  mkdir -p "$work/call$i"
  cp "$work/q.msg" "$work/q.sig" "$work/q.pcrs" "$work/call$i/"
  echo "$token" > "$work/call$i/token"
done

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$srv_pid/status"; }
rss_before=$(rss)
python3 - "$srv_pid" "$work/rss" <<'PY' &
import os, sys, time
pid, out = sys.argv[1], sys.argv[2]
peak = 0
end = time.monotonic() + 240
while time.monotonic() < end:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    peak = max(peak, int(line.split()[1]))
    except OSError:
        break
    with open(out + ".tmp", "w") as f:
        f.write(str(peak))
    os.replace(out + ".tmp", out)  # whole: the kill below may come at any point
    time.sleep(0.05)
PY
sampler=$!
sleep 0.3
start=$(date +%s.%N)
pids=()
for i in $(seq "$calls"); do
  d="$work/call$i"
  ( s=$(date +%s.%N)
    client "$srv_addr" attest host-good-1 "$(cat "$d/token")" "$d/q.msg" "$d/q.sig" \
      "$work/large.bin" "$d/q.pcrs" > "$d/out"
    echo "$(date +%s.%N) $s" > "$d/time" ) &
  pids+=($!)
done
wait "${pids[@]}"
elapsed=$(python3 -c "import sys; print(round($(date +%s.%N) - $start, 2))")
sleep 0.5
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
rss_peak=$(cat "$work/rss")
rss_after=$(rss)

verdicts=0 exhausted=0 other=0 longest=0
for i in $(seq "$calls"); do
  d="$work/call$i"
  if grep -q '"tier"' "$d/out"; then
    verdicts=$((verdicts + 1))
  elif grep -q '^RESOURCE_EXHAUSTED: bootgated is busy' "$d/out"; then
    exhausted=$((exhausted + 1))
  else
    other=$((other + 1))
    echo "call $i: $(head -c 300 "$d/out")"
  fi
  longest=$(python3 -c "a, b = map(float, open('$d/time').read().split()); print(max($longest, round(a - b, 2)))")
done
bound_kib=$(((256 * mib + 3 * budget) / 1024))
echo "16 concurrent Attest calls with a $(stat -c %s "$work/large.bin")-byte log:" \
  "$verdicts verdicts, $exhausted RESOURCE_EXHAUSTED (budget), $other other;" \
  "all answered in ${elapsed} s (longest call ${longest} s)"
echo "bootgated RSS: before $((rss_before / 1024)) MiB, peak $((rss_peak / 1024)) MiB," \
  "after $((rss_after / 1024)) MiB; bound 256 MiB + 3 x $((budget / mib)) MiB = $((bound_kib / 1024)) MiB"
check "every call is answered with a verdict or the budget's RESOURCE_EXHAUSTED" "[[ $other == 0 ]]"
check "at least one large log is appraised" "[[ $verdicts -ge 1 ]]"
check "RSS peak under 256 MiB + 3 x the in-flight budget" "[[ $rss_peak -lt $bound_kib ]]"
# A verdict after the flood of large logs: the server still serves small ones.
server_attest "$srv_addr" host-good-1 a "$work/large.bin"
check "an Attest after them gets a verdict" "grep -q '\"tier\"' '$work/host-good-1.json'"
exit "$fail"
