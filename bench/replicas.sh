#!/usr/bin/env bash
# Replicas on one PostgreSQL (issue 14, docs/scaling.md): one bootgated pinned to CPU 0 against
# two bootgated pinned to CPU 0 and CPU 1 (taskset), all on one throwaway PostgreSQL
# (scripts/postgres.sh), each replica loaded at max rate by its own bootgate_load (the agents
# split between them). PostgreSQL and the generators are not pinned. Prints, per setup, the
# attestations/s and the CPU per attestation of the replicas, PostgreSQL and the generators.
#   bench/replicas.sh
# Environment: BOOTGATE_BUILD_DIR (default build/), LOAD_AGENTS (16 in all), LOAD_SECONDS (15).
# Loopback only; everything started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
src="$PWD"
build="${BOOTGATE_BUILD_DIR:-build}"
agents="${LOAD_AGENTS:-16}"
seconds="${LOAD_SECONDS:-15}"
(($(nproc) >= 2)) || { echo "replicas: needs 2 CPUs" >&2; exit 1; }
out="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-replicas.XXXXXX")"
pids=()
stop_servers() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}
cleanup() {
  stop_servers
  [[ "$(type -t postgres_stop)" == function ]] && postgres_stop
  rm -rf "$out"
}
trap 'exit 130' INT
trap 'exit 143' TERM

# shellcheck source=load_common.sh
source "$src/bench/load_common.sh"
write_load_policy "$src" "$out/policy.textproto" replica-0-agent- replica-1-agent-

# shellcheck source=../scripts/postgres.sh
source "$src/scripts/postgres.sh"
postgres_start
trap cleanup EXIT

# start_replica N CPU: bootgated pinned to CPU; sets port_N.
start_replica() {
  local n="$1" cpu="$2"
  taskset -c "$cpu" "$build/server/bootgated/bootgated" --listen 127.0.0.1:0 --http 127.0.0.1:0 \
    --data-dir "$out/data-$n" --policy "$out/policy.textproto" \
    --postgres "$BOOTGATE_TEST_POSTGRES_URL" > "$out/ports-$n" 2> "$out/server-$n.log" &
  pids+=($!)
  for _ in $(seq 100); do grep -qs grpc_port "$out/ports-$n" && break; sleep 0.1; done
  grep -qs grpc_port "$out/ports-$n" || { cat "$out/server-$n.log" >&2; exit 1; }
  eval "port_$n=$(sed -n 's/^grpc_port=//p' "$out/ports-$n")"
}

# run SETUP REPLICAS: every replica loaded at once, agents split between them.
run() {
  local setup="$1" replicas="$2" r per=$((agents / $2)) loads=() cpu0 pg0
  for ((r = 0; r < replicas; r++)); do start_replica "$r" "$r"; done
  # A warm-up round registers the agents' hosts.
  for ((r = 0; r < replicas; r++)); do
    local port_var="port_$r"
    "$build/bench/bootgate_load" --server "127.0.0.1:${!port_var}" --agents "$per" --register \
      --rate max --requests 500 --duration-max 3 --host-prefix "replica-$r-agent-" >/dev/null
  done
  cpu0="$(cpu_seconds "${pids[@]}")"
  pg0="$(cpu_seconds $(postgres_pids))"
  for ((r = 0; r < replicas; r++)); do
    local port_var="port_$r"
    "$build/bench/bootgate_load" --server "127.0.0.1:${!port_var}" --agents "$per" --register \
      --rate max --requests 1000000 --duration-max "$seconds" --host-prefix "replica-$r-agent-" \
      --json "$out/$setup-$r.json" >/dev/null &
    loads+=($!)
  done
  for r in "${loads[@]}"; do wait "$r"; done
  python3 - "$setup" "$replicas" "$(python3 -c "print($(cpu_seconds "${pids[@]}") - $cpu0)")" \
    "$(python3 -c "print($(cpu_seconds $(postgres_pids)) - $pg0)")" "$out" <<'PY'
import json, sys
setup, replicas, server_cpu, pg_cpu, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
runs = [json.load(open(f"{out}/{setup}-{r}.json")) for r in range(replicas)]
n = sum(r["verdicts"] for r in runs)
rate = sum(r["attestations_per_s"] for r in runs)
gen = sum(r["client_cpu_s"] for r in runs)
errors = sum(r["error_count"] for r in runs)
print(f"| {setup} | {rate:,.0f} | {1000 * server_cpu / n:.3f} | {1000 * pg_cpu / n:.3f} "
      f"| {1000 * gen / n:.3f} | {errors} |")
PY
  stop_servers
}

echo "| setup | attestations/s | replicas' CPU ms/attestation | PostgreSQL CPU ms/attestation | generators' CPU ms/attestation | errors |"
echo "|---|---:|---:|---:|---:|---:|"
run "one replica (CPU 0)" 1
run "two replicas (CPU 0, CPU 1)" 2
