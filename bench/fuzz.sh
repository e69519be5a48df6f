#!/usr/bin/env bash
# Fuzzing against the OpenAPI document: bench/fuzz.sh
#
# Installs a pinned schemathesis from PyPI into bench/.venv (once), starts the server (the release
# binary unless BENCH_BIN names another) with demo content and an admin, signs in, and runs schemathesis against the live /openapi.json for
# every operation, with the admin's token, failing on any 5xx and on any response that does not
# match its documented schema. .ci/run runs it on the debug binary after `cargo test`.
#
# Environment:
#   FUZZ_EXAMPLES      examples per operation (default 50)
#   FUZZ_SEED          a fixed seed, so a run draws the same inputs again (as far as the
#                      server's own answers, such as new ids, let it)
#   FUZZ_CHECKS        default not_a_server_error,response_schema_conformance
#   FUZZ_MAX_TIME      seconds (default 600): the fuzzing phase repeats until it is spent; 0
#                      sets no budget, so the examples alone bound the run
#   FUZZ_WORKERS       concurrent workers (default 2; CI uses 1, see .ci/run)
#   FUZZ_SCHEMATHESIS  the pinned schemathesis version
#   BENCH_SKIP_BUILD=1 use the binary already built; BENCH_BIN names it
# The report (JUnit XML and a pytest file reproducing each failure) goes to bench/results/fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

# Pinned, so that a new release cannot change what passes; bump it deliberately.
SCHEMATHESIS_VERSION="${FUZZ_SCHEMATHESIS:-4.32.5}"
VENV="$BENCH_ROOT/bench/.venv"
installed="$("$VENV/bin/schemathesis" --version 2>/dev/null || true)"
if [ "${installed##* }" != "$SCHEMATHESIS_VERSION" ]; then
    echo "== installing schemathesis $SCHEMATHESIS_VERSION into $VENV" >&2
    bench_ensure_venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
"$VENV/bin/schemathesis" --version >&2

[ "${BENCH_SKIP_BUILD:-0}" = 1 ] || bench_build
WORK="$(mktemp -d)"
REPORT="$BENCH_ROOT/bench/results/fuzz"
mkdir -p "$REPORT"
# FUZZ_KEEP=1 keeps the server's database and media for a post-mortem (the path is printed).
trap 'bench_cleanup; if [ "${FUZZ_KEEP:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi' EXIT

ADMIN_EMAIL="fuzz-admin@example.com"
ADMIN_PASSWORD="fuzz-admin-password-1"
bench_start "$WORK/fuzz.db" "$WORK/media" "$REPORT/server.log" \
    NEWSDESK_DEMO=true NEWSDESK_ADMIN_EMAIL="$ADMIN_EMAIL" NEWSDESK_ADMIN_PASSWORD="$ADMIN_PASSWORD"
echo "== server at $BENCH_URL" >&2

AUTH=()
TOKEN="$(bench_token "$BENCH_URL" "$ADMIN_EMAIL" "$ADMIN_PASSWORD")"
if [ -z "$TOKEN" ] && bench_has_table "$WORK/fuzz.db" users; then
    echo "   (the admin cannot sign in on this build: using a token minted by bench/mint_token.py)" >&2
    TOKEN="$(python3 bench/mint_token.py "$WORK/fuzz.db" --email "$ADMIN_EMAIL" --role admin --secret "$BENCH_JWT_SECRET")"
fi
if [ -n "$TOKEN" ]; then
    AUTH=(-H "Authorization: Bearer $TOKEN")
else
    echo "   (no token: sign-in is not available on this server; fuzzing as an anonymous caller)" >&2
fi

SEED=()
[ -z "${FUZZ_SEED:-}" ] || SEED=(--seed "$FUZZ_SEED" --generation-database none)
MAX_TIME="${FUZZ_MAX_TIME:-600}"
BUDGET=()
[ "$MAX_TIME" = 0 ] || BUDGET=(--max-time "$MAX_TIME")
# Operations that end the admin's own session (sign-out, password change, changing or deleting
# a user, who may be the admin) would revoke the token every later request carries; they are
# fuzzed in a second, anonymous pass instead.
SESSION_ENDERS=("POST /v1/auth/logout" "POST /v1/auth/password" "PATCH /v1/users/{id}" "DELETE /v1/users/{id}")
EXCLUDE=() INCLUDE=()
for name in "${SESSION_ENDERS[@]}"; do
    EXCLUDE+=(--exclude-name "$name")
    INCLUDE+=(--include-name "$name")
done

fuzz() {
    "$VENV/bin/schemathesis" run "$BENCH_URL/openapi.json" \
        --checks "${FUZZ_CHECKS:-not_a_server_error,response_schema_conformance}" \
        --max-examples "${FUZZ_EXAMPLES:-50}" \
        --workers "${FUZZ_WORKERS:-2}" \
        --request-timeout 10 \
        --suppress-health-check too_slow,filter_too_much \
        --report "${FUZZ_REPORTS:-junit,pytest}" --report-dir "$REPORT" \
        "${SEED[@]}" "$@"
}

status=0
echo "== pass 1: every other operation, as the admin" >&2
fuzz "${BUDGET[@]}" "${AUTH[@]}" "${EXCLUDE[@]}" || status=1
echo "== pass 2: operations that end a session, anonymously" >&2
[ "$MAX_TIME" = 0 ] || BUDGET=(--max-time 60)
fuzz "${BUDGET[@]}" "${INCLUDE[@]}" || status=1
if [ "$status" != 0 ]; then
    echo "== the server's log ends with:" >&2
    tail -n 40 "$REPORT/server.log" >&2 || true
fi
echo "fuzzing: $([ "$status" = 0 ] && echo PASS || echo FAIL); report in $REPORT" >&2
exit "$status"
