#!/usr/bin/env bash
# A store that holds a fleet (issue 14, acceptance 3): fills a store with bench/fill_store.cc
# (1,000,000 hosts and 10,000,000 attestations by default) or reuses one filled before, shows the
# query plans of the reads (bootgate_fill_store explain); on PostgreSQL (its own server gets a
# quarter of the memory as shared_buffers) runs VACUUM (ANALYZE) and reads the fleet's working
# set into the buffers (pg_prewarm); starts bootgated on it (127.0.0.1 only), measures over
# gRPC Placement.Get of random hosts, History.List of one host (latest 50)
# and the latest verdict of a group (bootgate_fill_store read), attests as one filled host,
# then the attestation rate with bench/load.sh's generator (bootgate_load --register --rate max)
# against this store and against an empty one with the same policy and settings (both up, in
# turn, FLEET_ROUNDS times), and the time
# of one retention pass at start. Prints the markdown section "A store that holds a fleet" and
# writes it into docs/performance.md (bench/fleet_report.py) unless --no-write.
#   bench/fleet.sh [--no-write]
# Environment:
#   FLEET_STORE         sqlite (default) or postgres
#   FLEET_HOSTS, FLEET_ATTESTATIONS   the size of a new fill (1000000, 10000000)
#   LOAD_DATA_DIR       the data dir (SQLite store, signing keys, fleet.json, the policy) to fill,
#                       or to reuse when it holds a fill (its fleet.json); default: a temp dir,
#                       deleted on exit
#   LOAD_POSTGRES_URL   (postgres) a loopback PostgreSQL to fill, or to reuse when LOAD_DATA_DIR
#                       holds its fill; default: a throwaway server (scripts/postgres.sh). The
#                       empty-store run uses another database of the same server (a keyword=value
#                       conninfo, as scripts/postgres.sh gives, with " dbname=..." appended)
#   FLEET_REQUESTS      read calls of each kind (2000)
#   FLEET_ROUNDS        rounds of the rate runs, each a run on the filled then the empty store (3)
#   FLEET_LOAD=0        no attestation-rate runs (they add their hosts and their attestations
#                       to a reused store); FLEET_RETENTION=0: no retention pass
#   LOAD_AGENTS (32), LOAD_SECONDS (20), LOAD_REQUESTS (20000): as bench/load.sh's peak run
#                       (see there why 32)
#   BOOTGATE_BUILD_DIR (build/); FLEET_NO_BUILD=1 uses the binaries as they are; KEEP_WORK=1
# Every run is bounded in count and time; everything started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
src="$PWD"
build="${BOOTGATE_BUILD_DIR:-build}"
if [[ -z "${FLEET_NO_BUILD:-}" ]]; then
  cmake --build "$build" --target bootgated bootgate_load bootgate_fill_store >/dev/null
fi
store="${FLEET_STORE:-sqlite}"
hosts="${FLEET_HOSTS:-1000000}"
attestations="${FLEET_ATTESTATIONS:-10000000}"
requests="${FLEET_REQUESTS:-2000}"
agents="${LOAD_AGENTS:-32}"
seconds="${LOAD_SECONDS:-20}"
peak_requests="${LOAD_REQUESTS:-20000}"
fill_bin="$build/bench/bootgate_fill_store"
load_bin="$build/bench/bootgate_load"
bootgated="$build/server/bootgated/bootgated"
case "$store" in sqlite | postgres) ;; *) echo "fleet: FLEET_STORE is sqlite or postgres" >&2; exit 64 ;; esac

out="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-fleet.XXXXXX")"
data_dir="${LOAD_DATA_DIR:-$out/fleet}"
empty_db=""
pg_url=""
server_pids=()
# Stops every bootgated started here.
stop_server() {
  local pid
  for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${server_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  server_pids=()
}
cleanup() {
  stop_server
  if [[ -n "$empty_db" ]]; then psql "$pg_url" -qc "DROP DATABASE IF EXISTS $empty_db" >/dev/null 2>&1 || true; fi
  [[ "$(type -t postgres_stop)" == function ]] && postgres_stop
  if [[ -n "${KEEP_WORK:-}" ]]; then echo "fleet: kept $out" >&2; else rm -rf "$out"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

store_args=()
if [[ "$store" == postgres ]]; then
  if [[ -n "${LOAD_POSTGRES_URL:-}" ]]; then
    pg_url="$LOAD_POSTGRES_URL"
  else
    # Sized as a server holding a fleet's database, not PostgreSQL's 128 MB default: a quarter
    # of the memory for shared_buffers, the starting point PostgreSQL's manual gives. With the
    # default, each Placement.Get copied its pages in from the kernel's page cache (or the disk)
    # again: the hosts' latest rows alone (the last 10 minutes of inserts, 1 M rows) and their
    # indexes are a few GB.
    shared_mb="$(awk '/^MemTotal:/ {print int($2 / 1024 / 4)}' /proc/meminfo)"
    export POSTGRES_SERVER_OPTIONS="-c shared_buffers=${shared_mb}MB ${POSTGRES_SERVER_OPTIONS:-}"
    # shellcheck source=../scripts/postgres.sh
    source "$src/scripts/postgres.sh"
    postgres_start
    trap cleanup EXIT
    pg_url="$BOOTGATE_TEST_POSTGRES_URL"
  fi
  store_args=(--postgres "$pg_url")
fi

# 1. The fleet: reused when the data dir holds a fill (and, for PostgreSQL, the database is
# the caller's), else filled now.
if [[ -f "$data_dir/fleet.json" && ("$store" == sqlite || -n "${LOAD_POSTGRES_URL:-}") ]]; then
  echo "fleet: reusing the fill in $data_dir"
  echo '{"reused": true}' > "$out/fill.json"
else
  echo "fleet: filling $store with $hosts hosts and $attestations attestations ($data_dir)"
  "$fill_bin" fill --data-dir "$data_dir" "${store_args[@]}" --hosts "$hosts" \
    --attestations "$attestations" --json "$out/fill.json"
fi
cp "$data_dir/fleet.json" "$out/fleet.json"

# The fill's policy (its groups learned from the fleet's boot chains) with the load agents in
# the good-host chain's group: bootgate_load sends the good-host evidence.
python3 - "$data_dir/fleet-policy.textproto" "$out/policy.textproto" "$agents" <<'PY'
import sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
text = open(src).read()
anchor = '  name: "fleet-good-host"\n'
assert anchor in text, "the fleet policy has no fleet-good-host group"
extra = "".join(f'  hosts: "load-agent-{i}"\n' for i in range(n))
open(dst, "w").write(text.replace(anchor, anchor + extra, 1))
PY
# Retention off while measuring: with its defaults a pass walks every host at start and every
# hour (its cost is measured on its own below).
printf 'retention { keep_last: 0 }\n' > "$out/bootgated.conf"

# start_server NAME DATA_DIR CONFIG [store args]: bootgated on 127.0.0.1, ports in $grpc_port.
start_server() {
  local name="$1" dir="$2" config="$3"
  shift 3
  "$bootgated" --config "$config" --listen 127.0.0.1:0 --http 127.0.0.1:0 --data-dir "$dir" \
    --policy "$out/policy.textproto" "$@" > "$out/$name.ports" 2> "$out/$name.log" &
  server_pids+=($!)
  for _ in $(seq 300); do grep -qs grpc_port "$out/$name.ports" && break; sleep 0.1; done
  grep -q grpc_port "$out/$name.ports" || { tail -5 "$out/$name.log" >&2; echo "fleet: bootgated did not start" >&2; exit 1; }
  eval "$(cat "$out/$name.ports")"
}

# 2. Query plans of the reads and of an Attest's lookups, on the filled store.
"$fill_bin" explain --data-dir "$data_dir" "${store_args[@]}" > "$out/explain.md"

# 3. Reads through bootgated on the filled store, one filled host's Attest, then the rate.
if [[ "$store" == postgres ]]; then
  # A fleet's database has long been vacuumed; one just loaded has not, and the vacuum that
  # 10 M inserts trigger would run through the reads and rates below. Run it first, timed.
  echo "fleet: VACUUM (ANALYZE) after the load"
  vacuum_start="$(date +%s.%N)"
  psql "$pg_url" -Atqc "VACUUM (ANALYZE)"
  python3 -c "print(round($(date +%s.%N) - $vacuum_start, 1))" > "$out/vacuum-s"
  # A fleet that re-attests every 10 minutes keeps touching the same pages: the hosts table,
  # the attestations' indexes by host and by id, and the newest part of their heap, where each
  # host's latest row is (the last hosts/attestations of it). A bulk load leaves them out of
  # PostgreSQL's buffers (COPY writes through a small ring), so they are read in first, as a
  # server that has been serving its fleet holds them; SQLite reads through the page cache.
  echo "fleet: the fleet's working set into PostgreSQL's buffers (pg_prewarm)"
  psql "$pg_url" -Atqc "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS pg_prewarm" &&
    psql "$pg_url" -Atc "SELECT (pg_prewarm('hosts') + pg_prewarm('hosts_pkey')
      + pg_prewarm('attestations_by_host') + pg_prewarm('attestations_pkey')
      + CASE WHEN blocks = 0 THEN 0 ELSE pg_prewarm('attestations', 'buffer', 'main',
          GREATEST(0, blocks - newest - 1), blocks - 1) END) * block / 1048576
      FROM (SELECT pg_relation_size('attestations') / block AS blocks,
                   ceil(pg_relation_size('attestations') / block * GREATEST(h.reltuples, 0)
                        / GREATEST(a.reltuples, 1))::bigint AS newest, block
            FROM pg_class h, pg_class a,
                 (SELECT current_setting('block_size')::bigint AS block) AS setting
            WHERE h.relname = 'hosts' AND a.relname = 'attestations') AS heap" \
      > "$out/prewarm-mb" || echo "fleet: pg_prewarm failed; the reads start cold" >&2
fi
start_server fleet "$data_dir" "$out/bootgated.conf" "${store_args[@]}"
echo "fleet: reads ($requests calls of each kind)"
cut -d' ' -f1-3 /proc/loadavg > "$out/loadavg-read"
"$fill_bin" read --server "127.0.0.1:$grpc_port" --data-dir "$data_dir" --requests "$requests" \
  --json "$out/read.json" || echo "fleet: reads had errors (see above)"
"$fill_bin" attest --server "127.0.0.1:$grpc_port" --data-dir "$data_dir" --host fleet-0000000 \
  > "$out/attest.txt" 2>&1 || true
cat "$out/attest.txt"

# 4. The attestation rate on the filled store against an empty one with the same policy and
# settings: both servers up, the load sent to each in turn, FLEET_ROUNDS times, so that a time
# when the machine is slower (a shared host) weighs on both alike.
if [[ "${FLEET_LOAD:-1}" != 0 ]]; then
  filled_port="$grpc_port"
  empty_args=()
  if [[ "$store" == postgres ]]; then
    empty_db="bootgate_fleet_empty_$$"
    psql "$pg_url" -qc "CREATE DATABASE $empty_db" >/dev/null
    empty_args=(--postgres "$pg_url dbname=$empty_db")
  fi
  start_server empty "$out/empty" "$out/bootgated.conf" "${empty_args[@]}"
  empty_port="$grpc_port"
  for round in $(seq "${FLEET_ROUNDS:-3}"); do
    for kind in filled empty; do
      port="${kind}_port"
      echo "fleet: attestation rate on the $kind store (round $round)"
      cut -d' ' -f1-3 /proc/loadavg > "$out/loadavg-$kind-$round"
      # A new generator makes new software AKs: --register each time (Register replaces them).
      "$load_bin" --agents "$agents" --register --rate max --requests "$peak_requests" \
        --duration-max "$seconds" --server "127.0.0.1:${!port}" \
        --json "$out/load-$kind-$round.json" || true
    done
  done
fi
stop_server

# 5. One retention pass with its defaults (keep the last 100 and 30 days per host), as
# bootgated runs it at start and every hour: its time, from its own log line.
if [[ "${FLEET_RETENTION:-1}" != 0 ]]; then
  printf '' > "$out/default.conf"
  start_server retention "$data_dir" "$out/default.conf" "${store_args[@]}"
  echo "fleet: waiting for bootgated's retention pass (at most 15 min)"
  for _ in $(seq 9000); do grep -qs 'event=retention' "$out/retention.log" && break; sleep 0.1; done
  grep -s 'event=retention' "$out/retention.log" | head -1 > "$out/retention.txt" || true
  stop_server
fi

# The store's size now (it holds what the runs above added).
if [[ "$store" == sqlite ]]; then
  du -cb "$data_dir"/bootgate.db* | tail -1 | cut -f1 > "$out/size-after"
else
  psql "$pg_url" -Atc "SELECT pg_database_size(current_database())" > "$out/size-after"
  psql "$pg_url" -Atc "SELECT string_agg(n || ' ' || current_setting(n), ', ')
    FROM unnest(ARRAY['shared_buffers', 'fsync', 'synchronous_commit']) AS n" \
    > "$out/postgres-settings"
fi
git -C "$src" describe --always --dirty > "$out/revision" 2>/dev/null || echo unknown > "$out/revision"
date -u +%F > "$out/date"
python3 bench/fleet_report.py "$out" "$store" \
  $([[ "${1:-}" == --no-write ]] || echo docs/performance.md)
