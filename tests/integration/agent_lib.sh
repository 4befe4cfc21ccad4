# shellcheck shell=bash
# Shared by the agent_* integration tests: a real bootgated on loopback and booted hosts whose
# swtpm stays up as their TPM. Source after setting `work` (a scratch directory) and
# BOOTGATE_CLI / BOOTGATE_SOURCE_DIR / BOOTGATE_BINARY_DIR (set by ctest). Everything started
# is stopped by agent_cleanup, registered for EXIT.

BOOTGATED="$BOOTGATE_BINARY_DIR/server/bootgated/bootgated"
export BOOTGATE_FIXTURE="$BOOTGATE_BINARY_DIR/swtpm-fixtures/bootgate-fixture"
agent_daemon_pid="" agent_swtpm_pids=() agent_swtpm_dirs=()

agent_cleanup() {
  [[ -z "$agent_daemon_pid" ]] || kill "$agent_daemon_pid" 2>/dev/null || true
  local pid
  for pid in "${agent_swtpm_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  ((${#agent_swtpm_dirs[@]} == 0)) || rm -rf "${agent_swtpm_dirs[@]}"
  rm -rf "$work"
}
trap agent_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() { echo "FAIL: $*" >&2; exit 1; }

# A throwaway PKI for mutual TLS in "$pki" (set it first), EC P-256, valid 2 days:
#   test_ca NAME SUBJECT                      a self-signed CA: $pki/NAME.pem, $pki/NAME.key
#   issue_from CA NAME SUBJECT [EXTENSIONS]   a certificate CA signs: $pki/NAME.pem, .key
#   issue NAME SUBJECT [EXTENSIONS]           one the CA named "ca" signs
test_ca() {
  mkdir -p "$pki"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "$2" \
    -keyout "$pki/$1.key" -out "$pki/$1.pem" 2> /dev/null
}
issue_from() {
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$3" \
    -keyout "$pki/$2.key" -out "$pki/$2.csr" 2> /dev/null
  openssl x509 -req -in "$pki/$2.csr" -CA "$pki/$1.pem" -CAkey "$pki/$1.key" -CAcreateserial \
    -days 2 -out "$pki/$2.pem" ${4:+-extfile <(printf '%s\n' "$4")} 2> /dev/null
}
issue() { issue_from ca "$@"; }

# Starts bootgated on free loopback ports with a fresh SQLite store; exports BOOTGATE_SERVER.
start_bootgated() {
  [[ -x "$BOOTGATED" ]] || fail "bootgated not built at $BOOTGATED"
  "$BOOTGATED" --listen 127.0.0.1:0 --http 127.0.0.1:0 --data-dir "$work/data" "$@" \
    > "$work/bootgated.out" 2> "$work/bootgated.log" &
  agent_daemon_pid=$!
  local _
  for _ in $(seq 1 150); do
    grep -q '^grpc_port=' "$work/bootgated.out" 2>/dev/null && break
    kill -0 "$agent_daemon_pid" 2>/dev/null || { cat "$work/bootgated.log" >&2; fail "bootgated exited"; }
    sleep 0.1
  done
  local port
  port="$(sed -n 's/^grpc_port=\([0-9]*\).*/\1/p' "$work/bootgated.out")"
  [[ -n "$port" ]] || fail "bootgated did not report its port"
  export BOOTGATE_SERVER="127.0.0.1:$port"
}

# boot_host ID SCENARIO: boots the scenario on its own swtpm, left running with the AK persisted
# at 0x81010002; the bundle is in $work/ID and the TCTI in $work/ID/tcti.
boot_host() {
  local id="$1" scenario="$2"
  "$BOOTGATE_SOURCE_DIR/swtpm-fixtures/boot" --scenario "$scenario" --out "$work/$id" \
    --nonce "$(openssl rand -hex 32)" --persist-ak 0x81010002 --keep-running > "$work/$id.boot.log" \
    || { cat "$work/$id.boot.log" >&2; fail "boot of $scenario"; }
  local BOOTGATE_TCTI SWTPM_PID SWTPM_WORKDIR
  # shellcheck disable=SC1090
  source "$work/$id/swtpm.env"
  agent_swtpm_pids+=("$SWTPM_PID")
  agent_swtpm_dirs+=("$SWTPM_WORKDIR")
  echo "$BOOTGATE_TCTI" > "$work/$id/tcti"
}

# expect_rc WANT OUTFILE CMD...: runs CMD with stdout+stderr to OUTFILE; fails unless it exits WANT.
expect_rc() {
  local want="$1" out="$2" rc=0
  shift 2
  "$@" > "$out" 2>&1 || rc=$?
  if [[ "$rc" != "$want" ]]; then
    cat "$out" >&2
    fail "exit $rc (want $want): $*"
  fi
}

# expect_grep PATTERN FILE: fails unless FILE has a line matching the extended regex.
expect_grep() {
  grep -Eq -- "$1" "$2" || { cat "$2" >&2; fail "no /$1/ in $2"; }
}

# good_host_agent: bootgated with the fixtures' policy and host-good-1 booted (good-host) and
# registered; sets tcti, swtpm_pid and swtpm_cmd (the swtpm's command line, to start it again).
good_host_agent() {
  start_bootgated
  expect_rc 0 "$work/out" "$BOOTGATE_CLI" policy push \
    "$BOOTGATE_SOURCE_DIR/policies/fixtures/good-host.textproto"
  boot_host host-good-1 good-host
  expect_rc 0 "$work/out" "$BOOTGATE_CLI" host add host-good-1 --group good-host \
    --ak "$work/host-good-1/ak.pub"
  tcti="$(cat "$work/host-good-1/tcti")"
  swtpm_pid="${agent_swtpm_pids[0]}"
  mapfile -d '' swtpm_cmd < "/proc/$swtpm_pid/cmdline"
}

# swtpm_restart_and_boot: after host-good-1's swtpm died, starts it again on its state (the
# persisted AK survives, the PCRs do not) and boots good-host into it again; sets swtpm_pid.
# The new event log is $work/reboot/eventlog.bin.
swtpm_restart_and_boot() {
  "${swtpm_cmd[@]}" 2>> "$work/swtpm-restart.err"
  swtpm_pid="$(cat "$(python3 -c 'import sys; a=sys.argv[1:]; i=a.index("--pid"); print(a[i+1].split("=",1)[1])' "${swtpm_cmd[@]}")")"
  agent_swtpm_pids+=("$swtpm_pid")
  "$BOOTGATE_FIXTURE" --scenario "$BOOTGATE_SOURCE_DIR/swtpm-fixtures/scenarios/good-host.textproto" \
    --out "$work/reboot" --startup --tcti "$tcti" > "$work/reboot.log" 2>&1 ||
    { cat "$work/reboot.log" >&2; fail "boot after the swtpm restart"; }
}
