#!/usr/bin/env bash
# Issue 15: the Debian packages (packaging/). Builds bootgated and bootgate-agent with cpack from
# this build directory, twice (an older version and this one), and on this machine (root, as in
# CI):
#   - checks the packages: Depends from dpkg-shlibdeps, conffiles, contents; `cmake --install
#     --prefix /usr` installs the same files;
#   - dpkg -i the older version: the system user "bootgate"; `systemd-analyze verify` of the
#     installed units passes with no warning (and fails on a broken copy, so the check is not
#     vacuous); `systemd-analyze security` rates both services' exposure at most 2.0;
#     `--version` of both installed binaries;
#   - starts the installed bootgated by hand as "bootgate" against a temporary config made from
#     the shipped /etc/bootgate/bootgated.conf, with a notify socket and a watchdog as systemd
#     gives Type=notify services: READY=1, WATCHDOG=1, /healthz and /readyz, then STOPPING=1;
#   - writes verdicts with the installed agent (a swtpm host), stops, and turns the store into
#     the schema-4 store an older bootgated kept (store_schema4.py); dpkg -i this version over
#     it; the installed bootgated migrates it to the newest schema as it starts and serves every verdict
#     as before (ids, JWTs, event logs), and attests on;
#   - dpkg --purge both: nothing left installed, running or enabled.
# PID 1 need not be systemd: nothing here asks systemd to run anything. Skips (77) unless root.
set -euo pipefail
: "${BOOTGATE_SOURCE_DIR:?}" "${BOOTGATE_BINARY_DIR:?}"

skip() { echo "SKIP: $*"; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "dpkg -i needs root"
for tool in dpkg dpkg-deb cpack systemd-analyze setpriv curl python3; do
  command -v "$tool" > /dev/null || skip "$tool is not installed"
done
for package in bootgated bootgate-agent; do
  if dpkg-query -W -f='${db:Status-Status}' "$package" 2> /dev/null | grep -qv '^not-installed$'; then
    skip "package $package is on this machine already: this test does not touch it"
  fi
done

work="$(mktemp -d "${TMPDIR:-/tmp}/bootgate-package.XXXXXX")"
# shellcheck source=tests/integration/agent_lib.sh
source "$(dirname "$0")/agent_lib.sh"
# The user "bootgate" reads the config and writes the store under $work.
chmod 0755 "$work"

user_existed=0 state_existed=0
getent passwd bootgate > /dev/null && user_existed=1
[[ ! -e /var/lib/bootgate ]] || state_existed=1
installed=0 notify_pid=""
package_cleanup() {
  local rc=$?
  [[ -z "$notify_pid" ]] || kill "$notify_pid" 2> /dev/null || true
  [[ -z "$agent_daemon_pid" ]] || kill "$agent_daemon_pid" 2> /dev/null || true
  if ((installed)); then
    dpkg --purge bootgate-agent bootgated > "$work/cleanup-purge.log" 2>&1 || cat "$work/cleanup-purge.log" >&2
  fi
  # Made by StateDirectory= when systemd ran the packaged unit (postinst starts it).
  ((state_existed)) || rm -rf /var/lib/bootgate
  if ((!user_existed)) && getent passwd bootgate > /dev/null; then userdel bootgate || true; fi
  if ((!user_existed)) && getent group bootgate > /dev/null; then groupdel bootgate || true; fi
  agent_cleanup
  exit "$rc"
}
trap package_cleanup EXIT

# --- the packages ---
# cpack installs what this build directory holds (with Ninja it builds nothing: ctest runs
# after the build); -B keeps its output and staging in $work.
version="$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$BOOTGATE_BINARY_DIR/CPackConfig.cmake")"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "no CPACK_PACKAGE_VERSION in CPackConfig.cmake"
old_version="$version~pkgtest1"
make_packages() {  # DIR [cpack -D ...]
  local dir="$1" start=$SECONDS
  shift
  (cd "$BOOTGATE_BINARY_DIR" && cpack -G DEB -B "$dir" "$@") > "$dir.log" 2>&1 ||
    { cat "$dir.log" >&2; fail "cpack $*"; }
  echo "cpack into $(basename "$dir"): $((SECONDS - start)) s"
}
make_packages "$work/old" -D "CPACK_PACKAGE_VERSION=$old_version"
make_packages "$work/new"
arch="$(dpkg --print-architecture)"
old_server="$work/old/bootgated_${old_version}_$arch.deb"
old_agent="$work/old/bootgate-agent_${old_version}_$arch.deb"
new_server="$work/new/bootgated_${version}_$arch.deb"
new_agent="$work/new/bootgate-agent_${version}_$arch.deb"
for deb in "$old_server" "$old_agent" "$new_server" "$new_agent"; do
  [[ -f "$deb" ]] || { ls -l "$work/old" "$work/new" >&2; fail "no $deb"; }
done
for deb in "$new_server" "$new_agent"; do echo "package $(basename "$deb"): $(stat -c %s "$deb") bytes"; done

echo "package metadata: Depends, conffiles, contents"
dpkg-deb -f "$new_server" Depends > "$work/depends" && expect_grep 'libsystemd0' "$work/depends"
expect_grep 'libgrpc\+\+' "$work/depends"
expect_grep '(^|, )adduser($|,)' "$work/depends"
dpkg-deb -f "$new_agent" Depends > "$work/depends" && expect_grep 'libtss2-esys' "$work/depends"
dpkg-deb -I "$new_server" conffiles > "$work/conffiles" && expect_grep '^/etc/bootgate/bootgated.conf$' "$work/conffiles"
dpkg-deb -I "$new_agent" conffiles > "$work/conffiles" && expect_grep '^/etc/bootgate/agent.env$' "$work/conffiles"
for deb in "$new_server" "$new_agent"; do
  dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $NF}' | sed 's|^\./|/|'
done | sort > "$work/package-files"
cat > "$work/expected-files" << 'EOF'
/etc/bootgate/agent.env
/etc/bootgate/bootgated.conf
/usr/bin/bootgate
/usr/lib/systemd/system/bootgate-agent.service
/usr/lib/systemd/system/bootgate-agent.timer
/usr/lib/systemd/system/bootgated.service
/usr/sbin/bootgated
/usr/share/doc/bootgate-agent/operations.md
/usr/share/doc/bootgated/operations.md
EOF
diff -u "$work/expected-files" "$work/package-files" || fail "the packages hold other files"
echo "cmake --install --prefix /usr installs what the packages hold"
for component in bootgated agent; do
  DESTDIR="$work/cmake-install" cmake --install "$BOOTGATE_BINARY_DIR" --prefix /usr \
    --component "$component" > "$work/cmake-install.log" 2>&1 ||
    { cat "$work/cmake-install.log" >&2; fail "cmake --install --component $component"; }
done
(cd "$work/cmake-install" && find . -type f | sed 's|^\./|/|' | sort) > "$work/installed-files"
diff -u "$work/package-files" "$work/installed-files" || fail "cmake --install differs from the packages"
mkdir "$work/new-unpacked"
dpkg-deb -x "$new_server" "$work/new-unpacked"
dpkg-deb -x "$new_agent" "$work/new-unpacked"
for f in lib/systemd/system/bootgated.service lib/systemd/system/bootgate-agent.service \
  lib/systemd/system/bootgate-agent.timer; do
  cmp "$work/cmake-install/usr/$f" "$work/new-unpacked/usr/$f" || fail "$f differs"
done

echo "dpkg -i $old_version"
installed=1
dpkg -i "$old_server" "$old_agent" > "$work/dpkg-old.log" 2>&1 || { cat "$work/dpkg-old.log" >&2; fail "dpkg -i $old_version"; }
[[ "$(dpkg-query -W -f='${Version}' bootgated)" == "$old_version" ]] || fail "bootgated is not $old_version"
uid="$(id -u bootgate)" || fail "no user bootgate"
((uid < 1000)) || fail "bootgate is not a system user (uid $uid)"
[[ "$(id -gn bootgate)" == bootgate ]] || fail "bootgate's group is $(id -gn bootgate)"
[[ -x /usr/sbin/bootgated && -x /usr/bin/bootgate ]] || fail "binaries not installed"
if [[ -d /run/systemd/system ]]; then
  # systemd runs here: the postinst started bootgated.service on its default ports, and
  # `systemctl start` of a Type=notify unit returns once READY=1 came (or the start failed).
  echo "systemd is PID 1: bootgated.service started by the postinst"
  systemctl is-active --quiet bootgated.service || {
    systemctl status bootgated.service >&2 || true
    journalctl -u bootgated.service -n 30 --no-pager >&2 || true
    fail "bootgated.service is not active after dpkg -i"
  }
fi

echo "systemd-analyze verify: the installed units pass without a warning"
units=(/usr/lib/systemd/system/bootgated.service /usr/lib/systemd/system/bootgate-agent.service
  /usr/lib/systemd/system/bootgate-agent.timer)
expect_rc 0 "$work/verify.log" systemd-analyze verify "${units[@]}"
[[ ! -s "$work/verify.log" ]] || { cat "$work/verify.log" >&2; fail "systemd-analyze verify warned"; }
mkdir "$work/broken"
sed 's|^ExecStart=/usr/sbin/bootgated|ExecStart=/usr/sbin/bootgated-missing|' \
  /usr/lib/systemd/system/bootgated.service > "$work/broken/bootgated-missing.service"
expect_rc 1 "$work/verify-broken.log" systemd-analyze verify "$work/broken/bootgated-missing.service"
expect_grep 'bootgated-missing is not executable' "$work/verify-broken.log"
sed 's|^Type=notify$|Tpye=notify|' /usr/lib/systemd/system/bootgated.service > "$work/broken/typo.service"
systemd-analyze verify "$work/broken/typo.service" > "$work/verify-typo.log" 2>&1 || true
expect_grep "Unknown key 'Tpye'" "$work/verify-typo.log"
echo "systemd-analyze security: both services' exposure at most 2.0 (of 10)"
for unit in bootgated.service bootgate-agent.service; do
  systemd-analyze security --offline=true --threshold=20 "/usr/lib/systemd/system/$unit" \
    > "$work/security.log" 2>&1 || { cat "$work/security.log" >&2; fail "$unit: exposure above 2.0"; }
  grep -o "Overall exposure level for $unit: [0-9.]*" "$work/security.log"
done

echo "--version of the installed binaries: version and git revision"
expect_rc 0 "$work/v" /usr/sbin/bootgated --version
expect_grep "^bootgated $version \([0-9a-f]{7,}(-dirty)?\)$" "$work/v"
revision="$(sed 's/.*(\(.*\))$/\1/' "$work/v")"
expect_rc 0 "$work/v" /usr/bin/bootgate --version
expect_grep "^bootgate $version \($revision\)$" "$work/v"

# --- the installed bootgated, by hand, as systemd would run it ---
mkdir -m 0700 "$work/state"
chown bootgate:bootgate "$work/state"
sed "s|^data_dir: .*|data_dir: \"$work/state\"|" /etc/bootgate/bootgated.conf > "$work/bootgated.conf"
printf 'listen_address: "127.0.0.1:0"\nhttp_address: "127.0.0.1:0"\n' >> "$work/bootgated.conf"

# A notify socket as systemd's manager listens on one: each datagram one line (newlines as |).
python3 - "$work/notify.sock" "$work/notify.log" << 'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        log.write(s.recv(4096).decode().replace("\n", "|") + "\n")
PY
notify_pid=$!
for _ in $(seq 50); do [[ -S "$work/notify.sock" ]] && break; sleep 0.1; done

# start_installed NAME: /usr/sbin/bootgated as "bootgate" with NOTIFY_SOCKET and a 2 s watchdog
# (WATCHDOG_USEC, as systemd sets them); sets agent_daemon_pid and BOOTGATE_SERVER, http_port.
start_installed() {
  local name="$1" _
  : > "$work/notify.log"
  (cd "$work" && exec env NOTIFY_SOCKET="$work/notify.sock" WATCHDOG_USEC=2000000 \
    setpriv --reuid=bootgate --regid=bootgate --init-groups \
    /usr/sbin/bootgated --config "$work/bootgated.conf") > "$work/$name.out" 2> "$work/$name.log" &
  agent_daemon_pid=$!
  for _ in $(seq 150); do
    grep -q '^READY=1' "$work/notify.log" && break
    kill -0 "$agent_daemon_pid" 2> /dev/null || { cat "$work/$name.log" >&2; fail "bootgated exited"; }
    sleep 0.1
  done
  expect_grep '^READY=1\|STATUS=serving: gRPC port [0-9]+, HTTP port [0-9]+, HTTPS port [0-9]+$' "$work/notify.log"
  local grpc_port
  eval "$(grep '^grpc_port=' "$work/$name.out")"
  [[ -n "$grpc_port" && -n "$http_port" ]] || fail "bootgated did not print its ports"
  export BOOTGATE_SERVER="127.0.0.1:$grpc_port"
  [[ "$(ps -o user= -p "$agent_daemon_pid")" == bootgate ]] || fail "bootgated does not run as bootgate"
}
stop_installed() {
  kill -TERM "$agent_daemon_pid"
  local rc=0
  wait "$agent_daemon_pid" || rc=$?
  agent_daemon_pid=""
  [[ "$rc" == 0 ]] || fail "bootgated exited $rc on SIGTERM"
  expect_grep '^STOPPING=1\|STATUS=stopping on SIGTERM' "$work/notify.log"
}
health() {
  expect_rc 0 "$work/healthz" curl -fsS "http://127.0.0.1:$http_port/healthz"
  expect_rc 0 "$work/readyz" curl -fsS "http://127.0.0.1:$http_port/readyz"
}

echo "installed bootgated $old_version: READY=1, the watchdog, health"
start_installed old
health
sleep 1.2  # the watchdog: every half of WATCHDOG_USEC (1 s), the first at once
[[ "$(grep -c '^WATCHDOG=1$' "$work/notify.log")" -ge 2 ]] || { cat "$work/notify.log" >&2; fail "no watchdog pings"; }

echo "verdicts through the installed agent"
cli=/usr/bin/bootgate
expect_rc 0 "$work/out" "$cli" policy push "$BOOTGATE_SOURCE_DIR/policies/fixtures/good-host.textproto"
boot_host host-good-1 good-host
expect_rc 0 "$work/out" "$cli" host add host-good-1 --group good-host --ak "$work/host-good-1/ak.pub"
good=(--host host-good-1 --tcti "$(cat "$work/host-good-1/tcti")" --eventlog "$work/host-good-1/eventlog.bin")
for _ in 1 2; do
  expect_rc 0 "$work/out" "$cli" attest "${good[@]}"
  expect_grep '^host host-good-1: affirming, placement eligible$' "$work/out"
done
expect_rc 0 "$work/history-old.json" "$cli" history --json
stop_installed

echo "the store as an older bootgated kept it: schema 4"
db="$work/state/bootgate.db"
[[ ! -e "$db-wal" ]] || [[ ! -s "$db-wal" ]] || fail "bootgated left a WAL behind"
expect_rc 0 "$work/schema4.log" python3 "$BOOTGATE_SOURCE_DIR/tests/integration/store_schema4.py" \
  "$db" "$work/schema4.db" "$BOOTGATE_SOURCE_DIR/server/store/migrations/sqlite"
expect_grep '^schema_version=4 .*attestations=2 ' "$work/schema4.log"
rm -f "$db" "$db-wal" "$db-shm"
install -o bootgate -g bootgate -m 0600 "$work/schema4.db" "$db"
rm -f "$work/schema4.db"

echo "dpkg -i $version over it"
dpkg -i "$new_server" "$new_agent" > "$work/dpkg-new.log" 2>&1 || { cat "$work/dpkg-new.log" >&2; fail "dpkg -i $version"; }
[[ "$(dpkg-query -W -f='${Version}' bootgated)" == "$version" ]] || fail "bootgated is not $version"
[[ "$(dpkg-query -W -f='${Version}' bootgate-agent)" == "$version" ]] || fail "bootgate-agent is not $version"
start_installed new
health
expect_rc 0 "$work/history-new.json" "$cli" history --json
python3 - "$work/history-old.json" "$work/history-new.json" << 'PY'
import json, sys
old, new = (json.load(open(p))["attestations"] for p in sys.argv[1:3])
assert len(old) == 2, old
assert old == new, (old, new)
PY
id="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["attestations"][0]["attestation_id"])' "$work/history-new.json")"
expect_rc 0 "$work/show.json" "$cli" history show "$id" --json
python3 - "$work/show.json" "$work/host-good-1/eventlog.bin" << 'PY'
import base64, json, sys
shown = json.load(open(sys.argv[1]))
assert base64.b64decode(shown["evidence"]["event_log"]) == open(sys.argv[2], "rb").read(), "event log"
assert shown["verdict"]["tier"] == "TIER_AFFIRMING", shown["verdict"]
PY
expect_rc 0 "$work/out" "$cli" placement host-good-1
expect_rc 0 "$work/out" "$cli" attest "${good[@]}"
stop_installed
expect_rc 0 "$work/check-store" setpriv --reuid=bootgate --regid=bootgate --init-groups \
  /usr/sbin/bootgated --config "$work/bootgated.conf" --check-store
newest="$(find "$BOOTGATE_SOURCE_DIR/server/store/migrations/sqlite" -name '*.sql' | wc -l)"
expect_grep "^backend=sqlite schema_version=$newest durable=true\$" "$work/check-store"
expect_grep '^integrity=ok$' "$work/check-store"
echo "migrated: $(grep -o "schema_version=$newest" "$work/check-store"), 2 verdicts of $old_version read back, a third recorded"

echo "dpkg --purge: nothing left"
dpkg --purge bootgate-agent bootgated > "$work/purge.log" 2>&1 || { cat "$work/purge.log" >&2; fail "dpkg --purge"; }
installed=0
for package in bootgated bootgate-agent; do
  dpkg-query -W -f='${db:Status-Status}' "$package" 2> /dev/null | grep -qv '^not-installed$' &&
    fail "$package is still known to dpkg"
done
for f in "${units[@]}" /usr/sbin/bootgated /usr/bin/bootgate /etc/bootgate/bootgated.conf \
  /etc/bootgate/agent.env /etc/systemd/system/multi-user.target.wants/bootgated.service \
  /etc/systemd/system/bootgated.service /etc/systemd/system/bootgate-agent.timer; do
  [[ ! -e "$f" && ! -L "$f" ]] || fail "$f is left after the purge"
done
if pgrep -u bootgate > /dev/null; then fail "processes of bootgate still run: $(pgrep -a -u bootgate)"; fi
echo "ok: packages built, installed, verified, started, upgraded over a schema-4 store, purged"
