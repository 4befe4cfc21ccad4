#!/usr/bin/env bash
# Issue 13, item 4 (acceptance 3): no exception waives forged evidence.
#   - `bootgate policy validate` refuses an exception for each never-waivable code of
#     policies/README.md (a PCR-scoped code also with a pcr selector on its scope, and accepts
#     it with one off the scope);
#   - through the API: `bootgate policy push` (PolicyService.Put) and `policy dry-run` of a
#     policy holding such an exception get INVALID_ARGUMENT naming it, and the active policy
#     stays; bootgated refuses to start on a policy file holding one;
#   - every swtpm-fixtures scenario, under its policy plus a host exception for every code it
#     produces: the never-waivable codes' exceptions are refused at validation; with only the
#     waivable ones, every tampered scenario (a `tamper` block, or db-measured-after-separator)
#     stays contraindicated with its never-waivable findings unwaived, and every scenario whose
#     codes are all waivable turns warning (the exceptions do match its findings).
set -euo pipefail
: "${BOOTGATE_CLI:?}" "${BOOTGATE_SOURCE_DIR:?}" "${BOOTGATED:?}"
src="$BOOTGATE_SOURCE_DIR"
cli="$BOOTGATE_CLI"
work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-never-waivable.XXXXXX")"
daemon_pid=""
cleanup() {
  [[ -n "$daemon_pid" ]] && kill "$daemon_pid" 2>/dev/null
  [[ -n "${KEEP_WORK:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }
base="$src/policies/fixtures/good-host.textproto"

# The never-waivable codes as policies/README.md lists them: "code<TAB>on" per line
# (tests/unit/policy/never_waivable_test.cc checks that the README and the code agree).
python3 - "$src/policies/README.md" > "$work/never.tsv" <<'PY'
import sys
text = open(sys.argv[1]).read()
section = text[text.index("\n### Never waivable\n"):]
rows = [l for l in section.split("\n## ")[0].splitlines() if l.startswith("| `")]
for row in rows:
    cells = [c.strip() for c in row.strip("|").split("|")]
    print(f"{cells[0].strip('`')}\t{cells[1]}")
PY
count=$(wc -l < "$work/never.tsv")
((count >= 20)) || { echo "FAIL: only $count never-waivable codes read from policies/README.md"; exit 1; }

# with_exceptions POLICY OUT HOST [CODE[:PCR]]...: POLICY plus one exception per CODE for HOST,
# named "w-CODE[-PCR]", in argument order.
with_exceptions() {
  local policy="$1" out="$2" host="$3"; shift 3
  cp "$policy" "$out"
  local spec code pcr
  for spec in "$@"; do
    code="${spec%%:*}" pcr=""
    [[ "$spec" == *:* ]] && pcr="${spec#*:}"
    cat >> "$out" <<EOF
exceptions {
  name: "w-$code${pcr:+-$pcr}"
  owner: "secops@example.com"
  reason: "ticket SEC-13"
  compensating_control: "host cordoned"
  expires: "2099-01-01"
  host: "$host"
  finding_code: "$code"${pcr:+
  pcr: $pcr}
}
EOF
  done
}

# --- policy validate: one exception per never-waivable code, each refused by name.
mapfile -t codes < <(cut -f1 "$work/never.tsv")
with_exceptions "$base" "$work/all-never.textproto" host-good-1 "${codes[@]}"
rc=0
"$cli" policy validate "$work/all-never.textproto" > /dev/null 2> "$work/all-never.err" || rc=$?
[[ "$rc" == 2 ]] || bad "policy validate of $count never-waivable exceptions: exit $rc, want 2"
missed=0
for i in "${!codes[@]}"; do
  grep -qF "exceptions[$i].finding_code: exception \"w-${codes[$i]}\" waives \"${codes[$i]}\"" \
    "$work/all-never.err" || { bad "policy validate does not refuse ${codes[$i]}"; missed=1; }
done
refusals=$(grep -c 'which is never waivable' "$work/all-never.err" || true)
[[ "$refusals" == "$count" ]] || bad "$refusals never-waivable refusals for $count exceptions"
((missed)) || ok "policy validate refuses an exception for each of the $count never-waivable codes"

while IFS=$'\t' read -r code on; do
  [[ "$on" == any ]] && continue
  for pcr in ${on#PCR }; do
    pcr="${pcr%,}"
    with_exceptions "$base" "$work/scoped.textproto" host-good-1 "$code:$pcr"
    rc=0; "$cli" policy validate "$work/scoped.textproto" > /dev/null 2>&1 || rc=$?
    [[ "$rc" == 2 ]] || bad "$code with pcr: $pcr: exit $rc, want 2 (never waivable on $on)"
  done
  with_exceptions "$base" "$work/scoped.textproto" host-good-1 "$code:1"
  rc=0; "$cli" policy validate "$work/scoped.textproto" > "$work/scoped.out" 2>&1 || rc=$?
  [[ "$rc" == 0 ]] || bad "$code with pcr: 1 refused (only $on is never waivable): $(cat "$work/scoped.out")"
  ok "$code: refused on $on, accepted with pcr: 1"
done < "$work/never.tsv"

# --- bootgated: policy push and dry-run refuse it with INVALID_ARGUMENT; the active policy stays.
"$BOOTGATED" --listen 127.0.0.1:0 --http 127.0.0.1:0 --data-dir "$work/data" --policy "$base" \
  > "$work/bootgated.out" 2> "$work/bootgated.log" &
daemon_pid=$!
for _ in $(seq 1 150); do
  grep -q '^grpc_port=' "$work/bootgated.out" 2>/dev/null && break
  kill -0 "$daemon_pid" 2>/dev/null || { cat "$work/bootgated.log"; echo "FAIL: bootgated exited"; exit 1; }
  sleep 0.1
done
port="$(sed -n 's/^grpc_port=\([0-9]*\).*/\1/p' "$work/bootgated.out")"
[[ -n "$port" ]] || { echo "FAIL: bootgated did not report its port"; exit 1; }
export BOOTGATE_SERVER="127.0.0.1:$port"
sed 's/^version: .*/version: "waives-forged-log"/' "$base" > "$work/forged-base.textproto"
with_exceptions "$work/forged-base.textproto" "$work/forged.textproto" \
  host-log-edited-after-quote event-data-mismatch
for cmd in push dry-run; do
  rc=0; "$cli" policy "$cmd" "$work/forged.textproto" > "$work/$cmd.out" 2>&1 || rc=$?
  if [[ "$rc" == 2 ]] && grep -q ': INVALID_ARGUMENT: ' "$work/$cmd.out" &&
     grep -qF 'exception "w-event-data-mismatch" waives "event-data-mismatch", which is never waivable' \
       "$work/$cmd.out"; then
    ok "policy $cmd of an exception for event-data-mismatch: INVALID_ARGUMENT, naming it"
  else
    bad "policy $cmd of an exception for event-data-mismatch: exit $rc: $(cat "$work/$cmd.out")"
  fi
done
# The refusal stored nothing: the same version without the exception is new, and the active
# policy is still the one bootgated started with.
rc=0
"$cli" policy push "$work/forged-base.textproto" --expected-version fixtures-1 > "$work/after.out" 2>&1 || rc=$?
if [[ "$rc" == 0 ]]; then
  ok "the refused push stored nothing and left fixtures-1 active"
else
  bad "push after the refusal: exit $rc: $(cat "$work/after.out")"
fi
kill "$daemon_pid"; wait "$daemon_pid" 2>/dev/null || true; daemon_pid=""

rc=0
timeout 20 "$BOOTGATED" --listen 127.0.0.1:0 --http 127.0.0.1:0 --data-dir "$work/data2" \
  --policy "$work/forged.textproto" > /dev/null 2> "$work/refused-start.log" || rc=$?
if [[ "$rc" != 0 && "$rc" != 124 ]] && grep -q 'never waivable' "$work/refused-start.log"; then
  ok "bootgated refuses to start on a policy file waiving event-data-mismatch (exit $rc)"
else
  bad "bootgated on a policy file waiving event-data-mismatch: exit $rc: $(cat "$work/refused-start.log")"
fi

# --- every scenario under an exception for every code it produces.
expect="$src/tests/integration/policy_expectations.json"
scenarios=()
for f in "$src"/swtpm-fixtures/scenarios/*.textproto; do scenarios+=("$(basename "$f" .textproto)"); done
# shellcheck disable=SC2016  # expanded by the inner sh
printf '%s\n' "${scenarios[@]}" | xargs -P 2 -I{} sh -c \
  '"$1/swtpm-fixtures/boot" --scenario "$2" --out "$3/$2" >"$3/$2.boot.log" 2>&1 ||
   { echo "boot $2 failed:"; cat "$3/$2.boot.log"; exit 255; }' _ "$src" {} "$work"
tampered=0
for s in "${scenarios[@]}"; do
  policy="$src/policies/fixtures/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["scenarios"][sys.argv[2]]["policy"])' "$expect" "$s").textproto"
  rc=0; "$cli" policy check "$policy" "$work/$s" --json > "$work/$s.before.json" || rc=$?
  # Exceptions for every (code, pcr) the scenario produces: never-waivable ones (on their PCRs)
  # apart; a PCR-scoped code off its scope is waivable there, with a pcr selector.
  read -r host waivable forbidden < <(python3 - "$work/$s.before.json" "$work/never.tsv" <<'PY'
import json, sys
got = json.load(open(sys.argv[1]))
never = {}
for line in open(sys.argv[2]):
    code, on = line.rstrip("\n").split("\t")
    never[code] = None if on == "any" else {int(p) for p in on[len("PCR "):].split(", ")}
waivable, forbidden = [], []
for f in got["findings"]:
    code, pcr = f["code"], f["pcr"]
    if code in never and (never[code] is None or pcr is None or pcr in never[code]):
        spec = code
        if spec not in forbidden: forbidden.append(spec)
    else:
        spec = f"{code}:{pcr}" if code in never else code
        if spec not in waivable: waivable.append(spec)
print(got["host_id"], ",".join(waivable) or "-", ",".join(forbidden) or "-")
PY
)
  IFS=, read -r -a w <<<"${waivable/#-/}"
  IFS=, read -r -a x <<<"${forbidden/#-/}"
  is_tampered=0
  if grep -q '^tamper ' "$src/swtpm-fixtures/scenarios/$s.textproto" ||
     [[ "$s" == db-measured-after-separator ]]; then
    is_tampered=1 tampered=$((tampered + 1))
    ((${#x[@]})) || bad "$s: tampered, but none of its findings is never waivable"
  fi
  if ((${#x[@]})); then
    with_exceptions "$policy" "$work/$s.all.textproto" "$host" "${w[@]}" "${x[@]}"
    rc=0; "$cli" policy validate "$work/$s.all.textproto" > /dev/null 2> "$work/$s.all.err" || rc=$?
    [[ "$rc" == 2 ]] || bad "$s: a policy waiving ${x[*]} validated (exit $rc)"
    for code in "${x[@]}"; do
      grep -qF "waives \"$code\"" "$work/$s.all.err" || bad "$s: validation does not refuse $code"
    done
    [[ $(grep -c 'which is never waivable' "$work/$s.all.err") == "${#x[@]}" ]] ||
      bad "$s: validation refused other exceptions than ${x[*]}: $(cat "$work/$s.all.err")"
  fi
  with_exceptions "$policy" "$work/$s.waivable.textproto" "$host" "${w[@]}"
  rc=0; "$cli" policy check "$work/$s.waivable.textproto" "$work/$s" --json \
    > "$work/$s.after.json" 2> "$work/$s.after.err" || rc=$?
  python3 - "$work/$s.after.json" "$s" "$rc" "${#x[@]}" "$is_tampered" <<'PY' || fail=1
import json, sys
path, name, rc, forbidden, tampered = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
try:
    got = json.load(open(path))
except ValueError:
    print(f"FAIL {name}: policy check exit {rc}, no verdict"); sys.exit(1)
unwaived = [f["code"] for f in got["findings"] if not f["waived_by"]]
waived = [f["code"] for f in got["findings"] if f["waived_by"]]
problems = []
if forbidden:
    if got["tier"] != "contraindicated" or got["placement_eligible"] or rc != 1:
        problems.append(f"tier {got['tier']} (exit {rc}) with never-waivable findings {unwaived}")
    if not unwaived:
        problems.append("no finding left unwaived")
elif got["findings"]:
    if got["tier"] != "warning" or rc != 0 or unwaived:
        problems.append(f"tier {got['tier']} (exit {rc}), unwaived {unwaived}: the exceptions should waive every finding")
if problems:
    print(f"FAIL {name}: " + "; ".join(problems)); sys.exit(1)
kind = "tampered, " if tampered else ""
print(f"ok   {name}: {kind}{got['tier']} under exceptions for its waivable codes "
      f"(waived {sorted(set(waived))}, still {sorted(set(unwaived))})")
PY
done
((tampered >= 5)) || bad "only $tampered tampered scenarios found"
exit "$fail"
