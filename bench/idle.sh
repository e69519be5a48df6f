#!/usr/bin/env bash
# Idle-connection drill: bench/idle.sh   (CONNECTIONS=10000 by default)
#
# Opens that many connections to the release server that never send a byte, then checks that
# ordinary requests are still answered promptly. Set BENCH_SKIP_BUILD=1 to use the binary
# already built.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
[ "${BENCH_SKIP_BUILD:-0}" = 1 ] || bench_build
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
WORK="$(mktemp -d)"
trap 'bench_cleanup; rm -rf "$WORK"' EXIT
python3 bench/faults.py idle --bin "$BENCH_BIN" --work "$WORK" --connections "${CONNECTIONS:-10000}"
