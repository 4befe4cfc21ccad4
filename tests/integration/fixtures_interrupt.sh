#!/usr/bin/env bash
# SIGTERM to a fixture run while its swtpm is up: the run exits and no swtpm of it remains.
source "$BOOTGATE_SOURCE_DIR/tests/integration/fixtures_lib.sh"
source "$BOOTGATE_SOURCE_DIR/swtpm-fixtures/swtpm.sh"  # swtpm_alive
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export BOOTGATE_FIXTURE="$FIXTURE_GEN" TMPDIR="$work"
for attempt in 1 2 3; do
  "$BOOTGATE_SOURCE_DIR/swtpm-fixtures/boot" --scenario hypervisor-host --out "$work/b" > /dev/null 2>&1 &
  run=$!
  # Wait until this run's swtpm is up, then interrupt.
  pid_file=""
  for _ in $(seq 1 200); do
    pid_file="$(ls "$work"/bootgate-swtpm.*/swtpm.pid 2>/dev/null | head -1 || true)"
    [[ -n "$pid_file" && -s "$pid_file" ]] && break
    sleep 0.01
  done
  [[ -s "$pid_file" ]] || { echo "swtpm never started" >&2; exit 1; }
  swtpm_pid="$(cat "$pid_file")"
  kill -TERM "$run"
  rc=0; wait "$run" || rc=$?
  for _ in $(seq 1 100); do swtpm_alive "$swtpm_pid" || break; sleep 0.01; done
  if swtpm_alive "$swtpm_pid"; then echo "swtpm $swtpm_pid survived SIGTERM of its run" >&2; exit 1; fi
  echo "attempt $attempt: run exited with $rc, swtpm $swtpm_pid gone"
  rm -rf "$work"/b "$work"/bootgate-swtpm.*
done
