#!/usr/bin/env bash
# Crash drill: bench/crash.sh   (ROUNDS=20 by default; ROUNDS=3 for CI)
#
# Starts the release server, sends concurrent creates, kills it with SIGKILL at a random moment,
# checks `PRAGMA integrity_check`, restarts it and checks every create answered 2xx is there.
# Set BENCH_SKIP_BUILD=1 to use the binary already built.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
[ "${BENCH_SKIP_BUILD:-0}" = 1 ] || bench_build
WORK="$(mktemp -d)"
trap 'bench_cleanup; rm -rf "$WORK"' EXIT
python3 bench/faults.py crash --bin "$BENCH_BIN" --work "$WORK" --rounds "${ROUNDS:-20}"
