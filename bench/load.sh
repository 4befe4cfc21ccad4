#!/usr/bin/env bash
# The service end to end (issue 6, acceptance 5): bootgated on 127.0.0.1 with SQLite, then with
# PostgreSQL (scripts/postgres.sh), loaded by bench/load_generator.cc at max rate (the peak) and
# then at half the peak (its p99); next to the in-process full appraisal of the same evidence
# under the same policy (bootgate_bench BM_AppraiseEvidence, same run). Writes the
# "Service, end to end" section of docs/performance.md through bench/report.py.
#   bench/load.sh [--no-write]
# Environment: BOOTGATE_BUILD_DIR (default build/, built by scripts/build.sh; when set, only the
# three targets are built there), LOAD_AGENTS (32), LOAD_SECONDS (bound of each run, 20),
# LOAD_REQUESTS (bound of the peak run, 20000), LOAD_STORES ("sqlite postgres"), KEEP_WORK=1
# (keep the work directory: JSON, /metrics scrapes, server logs).
# Every run is bounded in count and time; everything started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
src="$PWD"
if [[ -n "${BOOTGATE_BUILD_DIR:-}" ]]; then
  build="$BOOTGATE_BUILD_DIR"
  ninja -C "$build" -j "$(nproc)" bootgated bootgate_load bootgate_bench >/dev/null
else
  build=build
  ./scripts/build.sh release >/dev/null
fi
# A fleet is an open system: its hosts do not wait for each other. N agents in a closed loop
# offer at most N rounds per round time (Little's law), and a round waits for a durable commit:
# 16 agents with a ~9.5 ms round (Challenge, signing, Attest with its group commit's fdatasync)
# top out near 1,700/s whatever the server's CPU could do. 32 leave the server's CPU the limit
# (the report's "CPUs at the peak rate" shows how close to 2 it runs).
agents="${LOAD_AGENTS:-32}"
seconds="${LOAD_SECONDS:-20}"
peak_requests="${LOAD_REQUESTS:-20000}"
stores="${LOAD_STORES:-sqlite postgres}"

out="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-load.XXXXXX")"
server_pid=""
stop_server() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
cleanup() {
  stop_server
  [[ "$(type -t postgres_stop)" == function ]] && postgres_stop
  if [[ -n "${KEEP_WORK:-}" ]]; then echo "load: kept $out" >&2; else rm -rf "$out"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# shellcheck source=load_common.sh
source "$src/bench/load_common.sh"
# The good-host policy with the agents' hosts added to its group.
write_load_policy "$src" "$out/policy.textproto" load-agent-

cut -d' ' -f1-3 /proc/loadavg > "$out/loadavg-start"
echo "load: in-process full appraisal (bootgate_bench BM_AppraiseEvidence)"
"$build/bench/bootgate_bench" --benchmark_filter='BM_AppraiseEvidence/0/' --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true --benchmark_min_time=1 --benchmark_format=json \
  > "$out/inprocess.json"

metrics() { curl -sf "http://127.0.0.1:$http_port/metrics" > "$1"; }

# Samples bootgated's call stacks for 6 s, 3 s into the peak run, when perf can: where its CPU
# goes. 99 Hz: the sampling costs the run little; the samples are read (perf script,
# bench/cpu_breakdown.py) only after the run, so that work is not taken from the server. Without
# perf the report says so.
profile_peak() {
  local dir="$1"
  command -v perf >/dev/null || return 0
  sleep 3
  perf record -q -F 99 --call-graph dwarf,16384 -p "$server_pid" -o "$dir/perf.data" \
    -- sleep 6 >/dev/null 2>&1 || rm -f "$dir/perf.data"
}
breakdown_of_profile() {
  local dir="$1"
  [[ -s "$dir/perf.data" ]] || return 0
  perf script -i "$dir/perf.data" -F ip,sym,dso 2>/dev/null \
    | python3 "$src/bench/cpu_breakdown.py" > "$dir/breakdown.json" || rm -f "$dir/breakdown.json"
  rm -f "$dir/perf.data"
}

# run_store NAME [bootgated store args...]: peak then half-peak against a fresh server.
run_store() {
  local name="$1" dir="$out/$1"
  shift
  mkdir -p "$dir"
  "$build/server/bootgated/bootgated" --listen 127.0.0.1:0 --http 127.0.0.1:0 \
    --data-dir "$dir/data" --policy "$out/policy.textproto" "$@" > "$dir/ports" 2> "$dir/server.log" &
  server_pid=$!
  for _ in $(seq 100); do grep -qs grpc_port "$dir/ports" && break; sleep 0.1; done
  grep -q grpc_port "$dir/ports" || { cat "$dir/server.log" >&2; echo "load: bootgated did not start" >&2; exit 1; }
  eval "$(cat "$dir/ports")"
  local addr="127.0.0.1:$grpc_port"
  local load=("$build/bench/bootgate_load" --server "$addr" --agents "$agents")

  echo "load: $name: peak (rate max, at most $peak_requests rounds or $seconds s)"
  metrics "$dir/metrics-0.txt"
  cut -d' ' -f1-3 /proc/loadavg > "$dir/loadavg-peak"
  local server_cpu0 postgres_cpu0 profiler
  server_cpu0="$(cpu_seconds "$server_pid")"
  postgres_cpu0="$(cpu_seconds $(postgres_pids))"
  profile_peak "$dir" &
  profiler=$!
  "${load[@]}" --register --rate max --requests "$peak_requests" --duration-max "$seconds" \
    --json "$dir/peak.json"
  printf '{"bootgated_cpu_s": %s, "postgres_cpu_s": %s}\n' \
    "$(python3 -c "print($(cpu_seconds "$server_pid") - $server_cpu0)")" \
    "$(python3 -c "print($(cpu_seconds $(postgres_pids)) - $postgres_cpu0)")" > "$dir/cpu-peak.json"
  wait "$profiler"
  metrics "$dir/metrics-1.txt"
  breakdown_of_profile "$dir"
  local half requests
  half="$(python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['attestations_per_s'] / 2, 1))" "$dir/peak.json")"
  requests="$(python3 -c "import math,sys; print(max(1, math.floor(float(sys.argv[1]) * float(sys.argv[2]))))" "$half" "$seconds")"
  echo "load: $name: half the peak ($half/s, $requests rounds, at most $seconds s + 5)"
  cut -d' ' -f1-3 /proc/loadavg > "$dir/loadavg-half"
  # A new generator makes a new software AK: --register again (Register replaces the AK).
  "${load[@]}" --register --rate "$half" --requests "$requests" --duration-max "$((seconds + 5))" \
    --json "$dir/half.json"
  metrics "$dir/metrics-2.txt"
  stop_server
}

for store in $stores; do
  case "$store" in
    sqlite) run_store sqlite ;;
    postgres)
      # shellcheck source=../scripts/postgres.sh
      source "$src/scripts/postgres.sh"
      postgres_start
      trap cleanup EXIT
      run_store postgres --postgres "$BOOTGATE_TEST_POSTGRES_URL"
      postgres_stop
      ;;
    *) echo "load: unknown store $store" >&2; exit 64 ;;
  esac
done

build_type="$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")"
BOOTGATE_BUILD_TYPE="${build_type:-unknown}" python3 bench/report.py --service "$out" \
  $([[ "${1:-}" == --no-write ]] || echo docs/performance.md)
