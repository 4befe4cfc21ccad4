#!/usr/bin/env bash
# Fault test (issue 13, "the clock moved"): bootgated under libfaketime (Debian package
# faketime; LD_PRELOAD on bootgated only, never the machine's clock), its wall clock moved
# forward and back while it runs (FAKETIME_TIMESTAMP_FILE re-read on every call; the monotonic
# clock is left alone, so gRPC's own timers run normally). The token and verdict logic hold:
#   - a challenge token used after its TTL (5 min) is refused with FAILED_PRECONDITION;
#   - a verdict past its verdict_ttl (1 h, good-host policy) leaves the host not eligible
#     (PLACEMENT_REASON_EXPIRED);
#   - a clock that goes back does not extend freshness: a verdict or a token issued "in the
#     future" of the server's clock (more than a few seconds) is not fresh, so a host is not
#     eligible on it and the token is refused;
#   - a clock that goes back never accepts a token twice.
set -euo pipefail
: "${BOOTGATE_SOURCE_DIR:?}"
src="$BOOTGATE_SOURCE_DIR"
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-clock.XXXXXX")"
# shellcheck source=tests/integration/server_lib.sh
source "$src/tests/integration/server_lib.sh"
cleanup() {
  server_stop_all
  swtpm_stop
  [[ -n "${KEEP_WORK:-}" ]] || rm -rf "$work"
}
faketime_lib=""
for f in /usr/lib/*/faketime/libfaketimeMT.so.1 /usr/lib/faketime/libfaketimeMT.so.1; do
  [[ -e "$f" ]] && { faketime_lib="$f"; break; }
done
[[ -n "$faketime_lib" ]] || { echo "FAIL libfaketime is missing (apt-get install faketime)"; exit 1; }
server_tpm_boot a
trap cleanup EXIT
trap 'exit 130' INT  # a signal (ctest's timeout) runs cleanup too
trap 'exit 143' TERM

# setclock OFFSET SECONDS: bootgated's wall clock = the real one + OFFSET ("+0", "+61m", "-1h"),
# SECONDS the same in seconds. absl::Now() interpolates between clock_gettime samples taken
# about every 2 s, so a jump shows after up to that long: wait until a challenge token's
# expiry (issue time + 5 min) says bootgated's clock moved.
clockfile="$work/faketime.rc"
setclock() {
  echo "$1" > "$clockfile"
  [[ -n "${addr:-}" ]] || return 0
  local _
  for _ in $(seq 60); do
    local d=$(( $(server_now) - $(date +%s) - $2 ))
    (( d > -20 && d < 20 )) && return 0
    sleep 0.2
  done
  echo "FAIL bootgated's clock did not move to $1"; exit 1
}
# The server's clock in unix seconds: a fresh challenge token's expiry (bytes 3+len(host) ..
# +8, big-endian) minus the 5 min token TTL.
server_now() {
  "$ATTEST_CLIENT" "$addr" challenge "$host" | python3 -c '
import base64, json, sys
t = json.load(sys.stdin)["token"]; b = base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))
print(int.from_bytes(b[3 + b[2]:11 + b[2]], "big") - 300)'
}
setclock +0 0
host=host-good-1
log="$work/boot/eventlog.bin"
LD_PRELOAD="$faketime_lib" FAKETIME_TIMESTAMP_FILE="$clockfile" FAKETIME_NO_CACHE=1 \
  FAKETIME_DONT_FAKE_MONOTONIC=1 server_start s1 --data-dir "$work/data" \
  --policy "$src/policies/fixtures/good-host.textproto"
addr="$s1_addr"
client "$addr" register "$host" "$work/ak-a.pem" >/dev/null
placement() { client "$addr" placement "$host" > "$work/placement.json"; }
eligible() { json "d.get('eligible', False)" < "$work/placement.json"; }
reason() { json "d.get('reason')" < "$work/placement.json"; }
# attest_with TOKEN (the quote over it in $work/q.*) -> "ok ID" or the refusal's first line
attest_with() {
  local out
  out="$(client "$addr" attest "$host" "$1" "$work/q.msg" "$work/q.sig" "$log" "$work/q.pcrs")"
  if id="$(json "d['attestation_id']" <<<"$out" 2>/dev/null)"; then echo "ok $id"; else head -1 <<<"$out"; fi
}

setclock +2h 7200
echo "libfaketime moves bootgated's clock: +2h is $(( $(server_now) - $(date +%s) )) s ahead"
setclock +0 0

# A verdict at +0: eligible.
server_quote "$addr" "$host" a
t1="$token"
check "attest at +0 gives a verdict" "[[ \$(attest_with '$t1') == ok* ]]"
placement
check "eligible at +0" "[[ \$(eligible) == True ]]"

# Clock back 1 h: the verdict was issued in the server's future; its token cannot come again.
setclock -1h -3600
placement
echo "at -1h: eligible=$(eligible) reason=$(reason)"
check "a clock gone back 1 h does not keep the verdict fresh (not eligible on it)" \
  "[[ \$(eligible) == False ]]"
r="$(attest_with "$t1")"
echo "the used token again at -1h: $r"
check "a clock gone back 1 h does not accept the used token again" \
  "[[ \$r =~ ^(ALREADY_EXISTS|FAILED_PRECONDITION): ]]"

# Forward past the verdict's TTL (1 h): expired.
setclock +0 0
placement
check "eligible again once the clock is back at +0" "[[ \$(eligible) == True ]]"
setclock +61m 3660
placement
check "61 min later the verdict has expired (PLACEMENT_REASON_EXPIRED, not eligible)" \
  "[[ \$(eligible) == False && \$(reason) == PLACEMENT_REASON_EXPIRED ]]"

# A token used after its TTL (5 min): refused; back at its own time it is accepted once only.
setclock +0 0
server_quote "$addr" "$host" a
t2="$token"
setclock +6m 360
r="$(attest_with "$t2")"
echo "token after 6 min: $r"
check "a token used 6 min after its challenge is refused as expired (FAILED_PRECONDITION)" \
  "[[ \$r =~ ^FAILED_PRECONDITION:.*expired ]]"
setclock +0 0
check "the refused token, at its own time, is accepted once" "[[ \$(attest_with '$t2') == ok* ]]"
r="$(attest_with "$t2")"
check "and only once (ALREADY_EXISTS)" "[[ \$r =~ ^ALREADY_EXISTS: ]]"

# A token and a verdict made at +2h, then the clock goes back to +0.
setclock +2h 7200
server_quote "$addr" "$host" a
t3="$token"
setclock +0 0
r="$(attest_with "$t3")"
echo "token issued at +2h, used at +0: $r"
check "a token issued 2 h in the server's future is refused (FAILED_PRECONDITION)" \
  "[[ \$r =~ ^FAILED_PRECONDITION: ]]"
setclock +2h 7200
server_quote "$addr" "$host" a
check "attest at +2h gives a verdict" "[[ \$(attest_with '$token') == ok* ]]"
placement
check "eligible at +2h" "[[ \$(eligible) == True ]]"
setclock +0 0
placement
echo "verdict of +2h seen at +0: eligible=$(eligible) reason=$(reason)"
check "a verdict issued 2 h in the server's future does not make the host eligible" \
  "[[ \$(eligible) == False ]]"
# And the next attestation at the clock's new time makes it eligible again.
server_quote "$addr" "$host" a
check "attest at +0 again gives a verdict" "[[ \$(attest_with '$token') == ok* ]]"
placement
check "eligible again on the new verdict" "[[ \$(eligible) == True ]]"
check "bootgated survived the clock's jumps" "kill -0 $s1_pid"
exit "$fail"
