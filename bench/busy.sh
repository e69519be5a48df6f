#!/usr/bin/env bash
# Busy-database drill: bench/busy.sh
#
# 50 concurrent PATCHes of one resource and 50 concurrent POSTs, first with the default busy
# timeout, then with a 1 ms one that forces the lock to be contended: every answer must be 2xx,
# 412 or 503 with Retry-After, never a 500, and the rows added must equal the creates
# acknowledged. Set BENCH_SKIP_BUILD=1 to use the binary already built.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
[ "${BENCH_SKIP_BUILD:-0}" = 1 ] || bench_build
WORK="$(mktemp -d)"
trap 'bench_cleanup; rm -rf "$WORK"' EXIT
status=0
for timeout_ms in 5000 1; do
    echo "== busy timeout ${timeout_ms} ms"
    python3 bench/faults.py busy --bin "$BENCH_BIN" --work "$WORK/busy-$timeout_ms" \
        --busy-timeout-ms "$timeout_ms" || status=1
done
exit "$status"
