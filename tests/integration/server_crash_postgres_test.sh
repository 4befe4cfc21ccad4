#!/usr/bin/env bash
# server_crash_test.sh on a real PostgreSQL (scripts/postgres.sh).
set -euo pipefail
BOOTGATE_SERVER_BACKEND=postgres exec bash "$(dirname "$0")/server_crash_test.sh"
