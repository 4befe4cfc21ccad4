#!/usr/bin/env bash
# Fault test (issue 13, "disk full under SQLite"): bootgated's SQLite store on a filesystem that
# fills up. While it is full, Attest answers an error status (UNAVAILABLE), never a verdict it
# did not store, and never crashes; reads (History.Get, Placement.Get) are still served; when
# space returns the same process attests again; nothing acknowledged is lost (every verdict id
# an Attest returned is in the history after a restart, and the history holds nothing else);
# `bootgated --check-store` says the store is intact.
#
# How the disk fills: a 16 MiB tmpfs mounted for the data directory (root, as in CI), filled
# by a file of zeros until ENOSPC; space returns when the file is deleted. Where mounting is
# not permitted (an unprivileged container), the fallback is a real write failure of another
# kind, said as such in the output: RLIMIT_FSIZE on the running bootgated (prlimit), so every
# write past the store files' current sizes fails with EFBIG (SIGXFSZ ignored); "space
# returns" is raising the limit again. BOOTGATE_DISK_FULL_MODE=rlimit forces the fallback.
# (SQLite's PRAGMA max_page_count is not used: it is SQLite refusing to grow, not a disk.)
set -euo pipefail
: "${BOOTGATE_SOURCE_DIR:?}"
src="$BOOTGATE_SOURCE_DIR"
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-diskfull.XXXXXX")"
# shellcheck source=tests/integration/server_lib.sh
source "$src/tests/integration/server_lib.sh"
data="$work/data"
mkdir -p "$data"
mounted=""
cleanup() {
  server_stop_all
  swtpm_stop
  sleep 0.2
  [[ -z "$mounted" ]] || umount "$data" 2>/dev/null || umount -l "$data" 2>/dev/null || true
  [[ -n "${KEEP_WORK:-}" ]] || rm -rf "$work"
}
server_tpm_boot a
trap cleanup EXIT  # after swtpm_start, whose own EXIT trap it replaces (cleanup stops the swtpm)
trap 'exit 130' INT  # a signal (ctest's timeout) runs cleanup too
trap 'exit 143' TERM

mode="${BOOTGATE_DISK_FULL_MODE:-tmpfs}"
if [[ "$mode" == tmpfs ]]; then
  if [[ $(id -u) -eq 0 ]] && mount -t tmpfs -o size=16m,mode=0700 bootgate-diskfull "$data" 2>"$work/mount.err"; then
    mounted=1
    echo "disk full by: a 16 MiB tmpfs filled up (ENOSPC)"
  else
    echo "mount -t tmpfs not permitted ($(cat "$work/mount.err" 2>/dev/null)): falling back to RLIMIT_FSIZE"
    mode=rlimit
  fi
fi
if [[ "$mode" == rlimit ]]; then
  command -v prlimit >/dev/null || { echo "FAIL prlimit (util-linux) is missing"; exit 1; }
  echo "disk full by: RLIMIT_FSIZE on bootgated (writes fail with EFBIG; SIGXFSZ ignored)"
  trap '' XFSZ  # inherited by bootgated: a write past the limit fails instead of killing it
fi

host=host-good-1
log="$work/boot/eventlog.bin"
policy="$src/policies/fixtures/good-host.textproto"
server_start s1 --data-dir "$data" --policy "$policy"
client "$s1_addr" register "$host" "$work/ak-a.pem" >/dev/null
: > "$work/acked.ids"
# attest_once -> "ok ID" (a verdict, its id appended to acked.ids) or the refusal's first line
attest_once() {
  server_attest "$s1_addr" "$host" a "$log"
  if id="$(json "d['attestation_id']" < "$work/$host.json" 2>/dev/null)"; then
    echo "$id" >> "$work/acked.ids"
    echo "ok $id"
  else
    head -1 "$work/$host.json"
  fi
}
for _ in 1 2 3; do attest_once > /dev/null; done
check "three verdicts before the disk fills" "[[ \$(wc -l < '$work/acked.ids') == 3 ]]"
first_id="$(head -1 "$work/acked.ids")"

# Fill the disk.
if [[ "$mode" == tmpfs ]]; then
  dd if=/dev/zero of="$data/filler" bs=64k status=none 2>/dev/null || true
  dd if=/dev/zero of="$data/filler2" bs=512 status=none 2>/dev/null || true
  df -k "$data" | tail -1
  check "the filesystem is full" "! (echo x > '$data/probe') 2>/dev/null"
  rm -f "$data/probe"
else
  # The write-ahead log's current size (where the next commit appends): no write may go past
  # it. Only the soft limit: raising it again needs no privilege.
  limit=$(stat -c %s "$data/bootgate.db-wal" 2>/dev/null || echo 0)
  ((limit > 0)) || limit=$(stat -c %s "$data/bootgate.db")
  prlimit --pid "$s1_pid" --fsize="$limit:unlimited"
  echo "fsize limit $limit bytes on pid $s1_pid"
fi

# While full: every Attest is refused with an error status or (only where SQLite still had
# room in a file it had already grown) answered; nothing is acknowledged unless stored.
: > "$work/full.out"
for _ in 1 2 3 4 5 6; do attest_once >> "$work/full.out"; done
cat "$work/full.out"
check "bootgated survives the full disk" "kill -0 $s1_pid"
check "Attest on a full disk answers UNAVAILABLE naming the store" \
  "grep -Eq '^UNAVAILABLE: .*(full|disk|I/O|write|sqlite)' '$work/full.out'"
check "no Attest on a full disk answers anything but a verdict or UNAVAILABLE/INTERNAL" \
  "! grep -Ev '^(ok [0-9a-f]{64}|UNAVAILABLE: |INTERNAL: )' '$work/full.out'"
check "History.Get of an earlier verdict is served while the disk is full" \
  "client '$s1_addr' get '$first_id' | grep -q '\"attestation_id\": *\"$first_id\"'"
check "Placement.Get is served while the disk is full" \
  "client '$s1_addr' placement '$host' | grep -q '\"hostId\": *\"$host\"\\|\"host_id\": *\"$host\"'"

# Space returns: the same process attests again, without a restart.
if [[ "$mode" == tmpfs ]]; then
  rm -f "$data/filler" "$data/filler2"
else
  prlimit --pid "$s1_pid" --fsize=unlimited:unlimited 2>/dev/null ||
    prlimit --pid "$s1_pid" --fsize=unlimited:
fi
attest_once > "$work/after.out"
cat "$work/after.out"
check "the same bootgated attests once space returns" \
  "grep -q TIER_AFFIRMING '$work/$host.json'"
attest_once > /dev/null
check "and again" "grep -q TIER_AFFIRMING '$work/$host.json'"

kill "$s1_pid"
wait "$s1_pid" 2>/dev/null || true
check "bootgated --check-store: integrity ok after the full disk" \
  "'$BOOTGATED' --check-store --data-dir '$data' > '$work/check' 2>&1"
cat "$work/check"
if command -v sqlite3 >/dev/null; then
  check "sqlite3 PRAGMA integrity_check says ok" \
    "[[ \$(sqlite3 '$data/bootgate.db' 'PRAGMA integrity_check') == ok ]]"
fi

server_start s2 --data-dir "$data" --policy "$policy"
acked=$(wc -l < "$work/acked.ids")
found=$(readable_verdicts "$s2_addr" "$work/acked.ids")
echo "acknowledged verdicts: $acked, in the history after restart: $found"
check "every acknowledged verdict is in the history after restart" "(( found == acked ))"
stored=$(client "$s2_addr" history "$host" | json "len(d['attestations'])")
check "the history holds no verdict that was not acknowledged ($stored stored)" "(( stored == acked ))"
exit "$fail"
