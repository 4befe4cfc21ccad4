# shellcheck shell=bash
# Start and stop an isolated swtpm (TPM 2.0) for tests and fixtures. Source this file, then:
#
#   swtpm_start WORKDIR [BANKS]   # BANKS: comma list, default "sha1,sha256"
#
# provisions a fresh TPM in WORKDIR/tpm with an EK certificate and a platform certificate
# signed by a private swtpm-localca CA in WORKDIR/ca (never /var/lib/swtpm-localca), starts
# swtpm on free loopback TCP ports, sends TPM2_Startup(CLEAR) unless SWTPM_NO_STARTUP=1, and
# exports:
#   BOOTGATE_TCTI     tpm2-tss TCTI string, "swtpm:host=127.0.0.1,port=N"
#   TPM2TOOLS_TCTI    the same, for tpm2-tools
#   SWTPM_CA_ROOT     PEM of the private root CA (what a verifier trusts for EK certificates)
#   SWTPM_CA_ISSUER   PEM of the intermediate CA that signed the EK and platform certificates
#   SWTPM_PID         swtpm's process id
# With SWTPM_CACHE_DIR set, provisioning (swtpm_setup: EK key, EK and platform certificates,
# about 2 s) happens once per bank set under that directory and each instance starts from a
# copy of it: instances then share one EK (a clone of the same TPM), which is what tests of the
# boot chain want. Leave it unset where distinct TPMs matter (enrollment).
# The swtpm is stopped by swtpm_stop, which swtpm_start registers for EXIT, INT, TERM and HUP,
# so it goes away also when a test fails or is interrupted. Several instances can run side
# by side (each retries until it gets a free port pair).

# True while process PID runs. A zombie does not count: swtpm --daemon is reparented to init,
# and an init that does not reap (as in some sandboxes) leaves killed daemons as zombies,
# which `kill -0` would report as alive.
swtpm_alive() {
  local state
  state="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1
  [[ -n "$state" && "$state" != Z* ]]
}

swtpm_stop() {
  # A signal that arrives while `swtpm --daemon` is starting is handled once that command
  # returns, before SWTPM_PID is set: the pid file tells which process to stop then.
  if [[ -z "${SWTPM_PID:-}" && -s "${SWTPM_PIDFILE:-}" ]]; then
    SWTPM_PID="$(cat "$SWTPM_PIDFILE")"
  fi
  if [[ -n "${SWTPM_PID:-}" ]]; then
    kill "$SWTPM_PID" 2>/dev/null || true
    # swtpm exits within milliseconds of SIGTERM; do not leave it behind even if it hangs.
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      swtpm_alive "$SWTPM_PID" || break
      sleep 0.05
    done
    kill -9 "$SWTPM_PID" 2>/dev/null || true
    unset SWTPM_PID SWTPM_PIDFILE
  fi
}

_swtpm_write_ca_config() {
  local ca="$1"
  mkdir -p "$ca"
  cat > "$ca/swtpm-localca.conf" <<CONF
statedir = $ca
signingkey = $ca/signkey.pem
issuercert = $ca/issuercert.pem
certserial = $ca/certserial
CONF
  cat > "$ca/swtpm-localca.options" <<CONF
--platform-manufacturer bootgate
--platform-version 2.1
--platform-model swtpm-fixture
CONF
  cat > "$ca/swtpm_setup.conf" <<CONF
create_certs_tool = /usr/bin/swtpm_localca
create_certs_tool_config = $ca/swtpm-localca.conf
create_certs_tool_options = $ca/swtpm-localca.options
CONF
}

# Provisions a new TPM state in DIR/tpm with its CA in DIR/ca.
_swtpm_provision() {
  local dir="$1" banks="$2"
  mkdir -p "$dir/tpm"
  _swtpm_write_ca_config "$dir/ca"
  if ! swtpm_setup --tpm2 --tpmstate "$dir/tpm" --pcr-banks "$banks" \
      --create-ek-cert --create-platform-cert --overwrite \
      --config "$dir/ca/swtpm_setup.conf" --logfile "$dir/swtpm_setup.log" >/dev/null 2>&1; then
    echo "swtpm_start: swtpm_setup failed, see $dir/swtpm_setup.log" >&2
    tail -5 "$dir/swtpm_setup.log" >&2
    return 1
  fi
}

# Copies a provisioned TPM from the cache (provisioning it there first, under a lock).
_swtpm_from_cache() {
  local workdir="$1" banks="$2" cached="$SWTPM_CACHE_DIR/${2//,/-}"
  mkdir -p "$SWTPM_CACHE_DIR"
  (
    flock 9
    if [[ ! -f "$cached/ready" ]]; then
      rm -rf "$cached"
      _swtpm_provision "$cached" "$banks" && touch "$cached/ready"
    fi
  ) 9> "$SWTPM_CACHE_DIR/lock" || return 1
  mkdir -p "$workdir"
  cp -r "$cached/tpm" "$cached/ca" "$workdir/"
}

swtpm_start() {
  local workdir="$1" banks="${2:-sha1,sha256}"
  local state="$workdir/tpm" ca="$workdir/ca"
  if [[ -n "${SWTPM_CACHE_DIR:-}" ]]; then
    _swtpm_from_cache "$workdir" "$banks" || return 1
  else
    _swtpm_provision "$workdir" "$banks" || return 1
  fi
  export SWTPM_CA_ROOT="$ca/swtpm-localca-rootca-cert.pem"
  export SWTPM_CA_ISSUER="$ca/issuercert.pem"

  trap 'swtpm_stop' EXIT
  trap 'swtpm_stop; exit 143' TERM
  trap 'swtpm_stop; exit 130' INT
  trap 'swtpm_stop; exit 129' HUP

  local attempt port
  for attempt in $(seq 1 20); do
    port=$((20000 + (RANDOM % 20000) * 2))
    rm -f "$workdir/swtpm.pid"
    export SWTPM_PIDFILE="$workdir/swtpm.pid"
    swtpm socket --tpm2 --tpmstate dir="$state" \
      --server type=tcp,port="$port",bindaddr=127.0.0.1 \
      --ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 \
      --flags not-need-init --pid file="$workdir/swtpm.pid" \
      --log file="$workdir/swtpm.log" --daemon 2>>"$workdir/swtpm.err" || continue
    if [[ -s "$workdir/swtpm.pid" ]]; then
      SWTPM_PID="$(cat "$workdir/swtpm.pid")"
      export SWTPM_PID
      break
    fi
  done
  if [[ -z "${SWTPM_PID:-}" ]]; then
    echo "swtpm_start: could not start swtpm after $attempt attempts, see $workdir/swtpm.err" >&2
    return 1
  fi
  export BOOTGATE_TCTI="swtpm:host=127.0.0.1,port=$port"
  export TPM2TOOLS_TCTI="$BOOTGATE_TCTI"
  if [[ "${SWTPM_NO_STARTUP:-0}" != 1 ]]; then
    tpm2_startup -c >/dev/null 2>&1 || { echo "swtpm_start: TPM2_Startup failed" >&2; return 1; }
  fi
}
