# shellcheck shell=bash
# Shared by the fixtures_*.sh integration tests: where the generator and scenarios are.
set -euo pipefail
FIXTURE_GEN="$BOOTGATE_BINARY_DIR/swtpm-fixtures/bootgate-fixture"
SCENARIOS="$BOOTGATE_SOURCE_DIR/swtpm-fixtures/scenarios"
[[ -x "$FIXTURE_GEN" ]] || { echo "bootgate-fixture not built: $FIXTURE_GEN" >&2; exit 1; }
# shellcheck source=swtpm-fixtures/swtpm.sh
source "$BOOTGATE_SOURCE_DIR/swtpm-fixtures/swtpm.sh"

scenario_banks() { sed -n 's/^pcr_banks: *\[\(.*\)\]/\1/p' "$1" | tr -d ' "'; }
meta_field() { python3 -c "import json,sys;print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }
