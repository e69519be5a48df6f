# Shared by the scripts in bench/: building the release binary, starting and stopping servers.
# Source it from bash after `cd` to the repository root; it defines functions and sets nothing
# else. Every server started here is remembered and killed by `bench_cleanup` (use a trap).

BENCH_ROOT="$(pwd)"
BENCH_BIN="${BENCH_BIN:-$BENCH_ROOT/target/release/newsdesk}"
# Servers start from their data folder, so a relative BENCH_BIN is taken from the repository root.
case "$BENCH_BIN" in /*) ;; *) BENCH_BIN="$BENCH_ROOT/$BENCH_BIN" ;; esac
BENCH_JWT_SECRET="bench-jwt-secret-that-is-long-enough-0123456789"
BENCH_SERVER_PIDS=()

# Builds the release binary with the hidden ceiling route (niced: the machine may be shared).
bench_build() {
    echo "== building the release binary (--features bench)" >&2
    nice -n 10 cargo build --release --features bench --quiet
}

# Prints a free loopback port.
bench_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# bench_start DB MEDIA_DIR LOG [VAR=VALUE...]: starts `newsdesk serve` on a free port and waits
# until it answers /healthz. Sets BENCH_PID and BENCH_URL.
bench_start() {
    local db="$1" media="$2" log="$3"
    shift 3
    local port
    port="$(bench_free_port)"
    mkdir -p "$media"
    # Run from the data folder so a developer's .env in the repository is not read.
    (
        cd "$(dirname "$db")" &&
            exec env \
                DATABASE_URL="$db" \
                NEWSDESK_BIND="127.0.0.1:$port" \
                NEWSDESK_MEDIA_DIR="$media" \
                NEWSDESK_DEMO=false \
                NEWSDESK_RATE_LIMIT=0 \
                NEWSDESK_LOGIN_RATE_LIMIT=0 \
                NEWSDESK_JWT_SECRET="$BENCH_JWT_SECRET" \
                RUST_LOG="${BENCH_RUST_LOG:-warn}" \
                "$@" \
                "$BENCH_BIN" serve
    ) >>"$log" 2>&1 &
    BENCH_PID=$!
    BENCH_SERVER_PIDS+=("$BENCH_PID")
    BENCH_URL="http://127.0.0.1:$port"
    local tries=0
    until curl -fsS -o /dev/null "$BENCH_URL/healthz" 2>/dev/null; do
        tries=$((tries + 1))
        if [ "$tries" -gt 300 ] || ! kill -0 "$BENCH_PID" 2>/dev/null; then
            echo "the server did not start; its log ($log) ends with:" >&2
            tail -n 20 "$log" >&2
            return 1
        fi
        sleep 0.1
    done
}

# Stops one server with SIGTERM (or the given signal) and waits for it.
bench_stop() {
    local pid="$1" signal="${2:-TERM}"
    kill "-$signal" "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# Kills every server this script started.
bench_cleanup() {
    local pid
    for pid in "${BENCH_SERVER_PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}

# True when the binary knows the subcommand (e.g. `user`), which lands with the auth work.
bench_has_command() {
    "$BENCH_BIN" "$1" --help >/dev/null 2>&1
}

# bench_add_user DB EMAIL ROLE PASSWORD: creates a user through the CLI when it exists.
bench_add_user() {
    local db="$1" email="$2" role="$3" password="$4"
    if ! bench_has_command user; then
        echo "   (no \`newsdesk user\` command in this build: no $role user)" >&2
        return 0
    fi
    printf '%s\n' "$password" |
        env DATABASE_URL="$db" NEWSDESK_DEMO=false NEWSDESK_JWT_SECRET="$BENCH_JWT_SECRET" RUST_LOG=warn \
            "$BENCH_BIN" user add --email "$email" --role "$role" --password-stdin >/dev/null 2>&1 ||
        echo "   (could not add $email; it may exist already)" >&2
}

# bench_token URL EMAIL PASSWORD: prints an access token, or nothing.
bench_token() {
    curl -sS -X POST "$1/v1/auth/token" -H 'Content-Type: application/json' \
        -d "{\"email\":\"$2\",\"password\":\"$3\"}" 2>/dev/null |
        python3 -c 'import json, sys
try:
    print(json.load(sys.stdin).get("access_token") or "")
except ValueError:
    print("")'
}

# bench_has_table DB TABLE: true when the database has that table.
bench_has_table() {
    python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
sys.exit(0 if c.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (sys.argv[2],)).fetchone() else 1)' "$1" "$2"
}

# Installs wrk from Debian's packages when it is missing.
bench_ensure_wrk() {
    command -v wrk >/dev/null 2>&1 && return 0
    echo "== installing wrk (apt-get)" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null &&
        DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq wrk >/dev/null
    command -v wrk >/dev/null 2>&1 || {
        echo "wrk is not installed and could not be installed; install it (apt-get install wrk) and retry" >&2
        return 1
    }
}

# bench_ensure_venv DIR: makes a Python virtual environment at DIR unless one is there. A bare
# Debian python3 lacks the venv module (package python3-venv), so that is installed with
# apt-get when the first attempt fails.
bench_ensure_venv() {
    local dir="$1"
    [ -x "$dir/bin/pip" ] && return 0
    if python3 -m venv "$dir" >/dev/null 2>&1; then
        return 0
    fi
    rm -rf "$dir"
    echo "== installing python3-venv (apt-get)" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null &&
        DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
            python3 python3-venv >/dev/null
    python3 -m venv "$dir" || {
        echo "cannot make a Python virtual environment; install python3-venv and retry" >&2
        return 1
    }
}
