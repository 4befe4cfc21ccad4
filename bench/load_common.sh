# Shared by bench/load.sh and bench/replicas.sh (sourced): the load's policy, CPU accounting.

# write_load_policy SRC_DIR DST PREFIX... : the good-host policy with N hosts PREFIX0..PREFIX<N-1>
# added to its group for each PREFIX (N: $agents).
write_load_policy() {
  local src="$1" dst="$2"
  shift 2
  python3 - "$src/policies/fixtures/good-host.textproto" "$dst" "$agents" "$@" <<'PY'
import sys
src, dst, n, prefixes = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
text = open(src).read()
anchor = '  hosts: "host-good-1"\n'
assert anchor in text, "good-host policy lost host-good-1"
extra = "".join(f'  hosts: "{p}{i}"\n' for p in prefixes for i in range(n))
open(dst, "w").write(text.replace(anchor, anchor + extra, 1))
PY
}

# CPU seconds (user + system) the given processes have used so far.
cpu_seconds() {
  local pid ticks=0
  for pid in "$@"; do
    [[ -r "/proc/$pid/stat" ]] && ticks=$((ticks + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  python3 -c "print($ticks / $(getconf CLK_TCK))"
}

# The throwaway PostgreSQL's processes (scripts/postgres.sh: postmaster and its backends), none
# without one.
postgres_pids() {
  [[ -n "${POSTGRES_DIR:-}" && -r "$POSTGRES_DIR/data/postmaster.pid" ]] || return 0
  local postmaster
  postmaster="$(head -1 "$POSTGRES_DIR/data/postmaster.pid")"
  echo "$postmaster" $(pgrep -P "$postmaster")
}
