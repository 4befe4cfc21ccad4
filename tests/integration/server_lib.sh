# Helpers for the bootgated integration tests (source it after setting `work` and `src`):
# a real swtpm with the good host's boot, AKs to quote with, bootgated on 127.0.0.1, the test
# client, and attest-by-quote. Needs BOOTGATED, ATTEST_CLIENT, BOOTGATE_SOURCE_DIR,
# BOOTGATE_BINARY_DIR.
# shellcheck shell=bash
: "${BOOTGATED:?}" "${ATTEST_CLIENT:?}" "${BOOTGATE_SOURCE_DIR:?}" "${BOOTGATE_BINARY_DIR:?}"
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

# server_tpm_boot AK_NAMES...: swtpm with the good host's boot; one AK per name in $work/ak-NAME.*
server_tpm_boot() {
  # shellcheck source=swtpm-fixtures/swtpm.sh
  source "$BOOTGATE_SOURCE_DIR/swtpm-fixtures/swtpm.sh"
  SWTPM_NO_STARTUP=1 swtpm_start "$work" sha256
  "$BOOTGATE_BINARY_DIR/swtpm-fixtures/bootgate-fixture" \
    --scenario "$BOOTGATE_SOURCE_DIR/swtpm-fixtures/scenarios/good-host.textproto" \
    --out "$work/boot" --startup --tcti "$BOOTGATE_TCTI" >/dev/null
  # Without a resource manager transient objects stay loaded: flush what the generator left.
  tpm2_flushcontext -t
  tpm2_createek -c "$work/ek.ctx" -G rsa >/dev/null
  local h
  for h in "$@"; do
    tpm2_flushcontext -t; tpm2_flushcontext -s
    tpm2_createak -C "$work/ek.ctx" -c "$work/ak-$h.ctx" -G rsa -g sha256 -s rsassa \
      -u "$work/ak-$h.pem" -f pem >/dev/null
  done
  tpm2_flushcontext -t; tpm2_flushcontext -s
}

# server_start NAME ARGS...: bootgated on free loopback ports; sets NAME_pid, NAME_addr,
# NAME_http (and appends the pid to server_pids for cleanup).
server_pids=()
server_start() {
  local name="$1"; shift
  "$BOOTGATED" --listen 127.0.0.1:0 --http 127.0.0.1:0 "$@" > "$work/$name.ports" 2>> "$work/$name.log" &
  local pid=$!
  server_pids+=("$pid")
  local i
  for i in $(seq 100); do grep -q grpc_port "$work/$name.ports" && break; sleep 0.1; done
  local grpc_port http_port
  eval "$(cat "$work/$name.ports")"
  printf -v "${name}_pid" %s "$pid"
  printf -v "${name}_addr" %s "127.0.0.1:$grpc_port"
  printf -v "${name}_http" %s "$http_port"
}

server_stop_all() {
  local p
  for p in "${server_pids[@]}"; do kill "$p" 2>/dev/null || true; done
}

# client ADDR ARGS...: refusals print "CODE: message" and exit 1; callers look at the output.
client() { "$ATTEST_CLIENT" "$@" || true; }

# readable_verdicts ADDR IDS_FILE: prints how many of the attestation ids in IDS_FILE (one per
# line) History.Get on ADDR returns; each one it does not is named on stderr.
readable_verdicts() {
  local addr="$1" ids="$2" id found=0
  while read -r id; do
    if client "$addr" get "$id" | grep -q "\"attestation_id\": *\"$id\""; then
      found=$((found + 1))
    else
      echo "acknowledged but not readable: $id: $(client "$addr" get "$id" | head -1 | cut -c1-160)" >&2
    fi
  done < "$ids"
  echo "$found"
}

# server_quote ADDR HOST AK: a fresh challenge and a quote over it in $work/q.*; sets $token
server_quote() {
  local addr="$1" host="$2" ak="$3" ch
  ch="$(client "$addr" challenge "$host")"
  token="$(json "d['token']" <<<"$ch")"
  tpm2_flushcontext -t
  tpm2_quote -c "$work/ak-$ak.ctx" -l sha256:0,1,2,3,4,5,6,7,8,9,14 -q "$(json "d['qualifying_data']" <<<"$ch")" \
    -m "$work/q.msg" -s "$work/q.sig" -o "$work/q.pcrs" -g sha256 >/dev/null
}

# server_attest ADDR HOST AK LOG -> verdict JSON (or "CODE: message") in $work/HOST.json
server_attest() {
  server_quote "$1" "$2" "$3"
  client "$1" attest "$2" "$token" "$work/q.msg" "$work/q.sig" "$4" "$work/q.pcrs" > "$work/$2.json"
}
