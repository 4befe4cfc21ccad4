#!/usr/bin/env bash
# server_attest_test.sh's checks with bootgated on a real PostgreSQL (scripts/postgres.sh).
set -euo pipefail
BOOTGATE_SERVER_BACKEND=postgres exec bash "$(dirname "$0")/server_attest_test.sh"
