#!/usr/bin/env python3
"""Fault drills against the release server: crash safety and a busy database.

    bench/faults.py crash --bin BIN --work DIR [--rounds 20]
    bench/faults.py busy  --bin BIN --work DIR
    bench/faults.py idle  --bin BIN --work DIR [--connections 10000]

`crash`: starts the server, sends concurrent creates, kills it with SIGKILL at a random moment,
checks `PRAGMA integrity_check`, restarts it and checks that every create answered 2xx is there.
`busy`: 50 concurrent PATCHes of one article and 50 concurrent POSTs: every answer is 2xx, 412
or 503 with Retry-After, never a 500, and the rows added equal the creates acknowledged.
`idle`: opens many connections that never send a byte, then checks that ordinary requests are
still answered promptly.

The first two use an admin created from NEWSDESK_ADMIN_EMAIL/PASSWORD at the first start, and say "not
available" (exit 0) when the server does not have the endpoints they need yet. Python 3.11
standard library only; loopback only; every server started is killed on exit.
"""

from __future__ import annotations

import argparse
import atexit
import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

ADMIN_EMAIL = "fault-admin@example.com"
ADMIN_PASSWORD = "fault-admin-password-1"
JWT_SECRET = "fault-jwt-secret-that-is-long-enough-0123456789"
NOT_AVAILABLE = 0


class Server:
    """One `newsdesk serve` process on a free loopback port."""

    running: list["Server"] = []

    def __init__(self, binary: str, work: str, extra_env: dict[str, str] | None = None):
        self.binary = binary
        self.work = work
        self.db = os.path.join(work, "faults.db")
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None
        self.port = 0

    def start(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        env = {
            "PATH": os.environ.get("PATH", ""),
            "DATABASE_URL": self.db,
            "NEWSDESK_BIND": f"127.0.0.1:{self.port}",
            "NEWSDESK_MEDIA_DIR": os.path.join(self.work, "media"),
            "NEWSDESK_DEMO": "false",
            "NEWSDESK_RATE_LIMIT": "0",
            "NEWSDESK_LOGIN_RATE_LIMIT": "0",
            "NEWSDESK_JWT_SECRET": JWT_SECRET,
            "NEWSDESK_ADMIN_EMAIL": ADMIN_EMAIL,
            "NEWSDESK_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "RUST_LOG": "warn",
            **self.extra_env,
        }
        log = open(os.path.join(self.work, "server.log"), "ab")
        self.process = subprocess.Popen([self.binary, "serve"], cwd=self.work, env=env,
                                        stdout=log, stderr=log)
        Server.running.append(self)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited with {self.process.returncode}; see {log.name}")
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise SystemExit("the server did not answer /healthz within 30 s")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=60)

    def request(self, method: str, path: str, body: dict | None = None,
                headers: dict[str, str] | None = None, timeout: float = 30.0):
        """(status, lower-cased headers, parsed JSON or raw bytes)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            all_headers = dict(headers or {})
            payload = None
            if body is not None:
                payload = json.dumps(body).encode()
                all_headers["Content-Type"] = "application/json"
            connection.request(method, path, body=payload, headers=all_headers)
            response = connection.getresponse()
            raw = response.read()
            answer_headers = {k.lower(): v for k, v in response.getheaders()}
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = raw
            return response.status, answer_headers, parsed
        finally:
            connection.close()

    def operations(self) -> set[tuple[str, str]]:
        status, _, document = self.request("GET", "/openapi.json")
        if status != 200:
            return set()
        return {(method.upper(), path) for path, item in document.get("paths", {}).items()
                for method in item if method in ("get", "post", "patch", "put", "delete")}

    def token(self) -> str | None:
        """The admin's access token: signed in with the password, or minted by bench/mint_token.py
        on builds that cannot create the admin from the environment yet."""
        status, _, answer = self.request("POST", "/v1/auth/token",
                                         {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        if status == 200 and isinstance(answer, dict) and answer.get("access_token"):
            return answer["access_token"]
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import mint_token as bench_token  # bench/mint_token.py

        user_id, version = bench_token.ensure_user(self.db, ADMIN_EMAIL, "admin")
        return bench_token.access_token(user_id, version, JWT_SECRET)


@atexit.register
def _kill_everything() -> None:
    for server in Server.running:
        if server.process and server.process.poll() is None:
            server.process.kill()
            server.process.wait()


def integrity(db: str) -> str:
    with sqlite3.connect(db) as connection:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]


def speaker_body(tag: str) -> dict:
    return {"name": f"Speaker {tag}", "slug": f"speaker-{tag}", "title": "spokesperson",
            "organization": "Fault Drill Office"}


def needs(server: Server, wanted: list[tuple[str, str]]) -> bool:
    have = server.operations()
    missing = [f"{m} {p}" for m, p in wanted if (m, p) not in have]
    if missing:
        print(f"not available: this server has no {', '.join(missing)} yet")
        return False
    return True


def crash(args: argparse.Namespace) -> int:
    server = Server(args.bin, args.work)
    server.start()
    if not needs(server, [("POST", "/v1/auth/token"), ("POST", "/v1/speakers"), ("GET", "/v1/speakers/{id}")]):
        return NOT_AVAILABLE
    rng = random.Random(args.seed)
    acknowledged: list[str] = []
    failures = 0
    for round_number in range(1, args.rounds + 1):
        token = server.token()
        if not token:
            print("cannot sign in as the admin", file=sys.stderr)
            return 1
        auth = {"Authorization": f"Bearer {token}"}
        stop = threading.Event()
        lock = threading.Lock()
        round_acks: list[str] = []
        bad_answers: list[str] = []

        def writer(number: int) -> None:
            for sequence in range(10_000):
                if stop.is_set():
                    return
                tag = f"r{round_number}-w{number}-{sequence}"
                try:
                    status, _, answer = server.request("POST", "/v1/speakers", speaker_body(tag), auth, timeout=10)
                except OSError:
                    return  # the server is gone: this write was never acknowledged
                if 200 <= status < 300 and isinstance(answer, dict) and answer.get("id"):
                    with lock:
                        round_acks.append(answer["id"])
                elif status >= 500 and status != 503:
                    with lock:
                        bad_answers.append(f"{status} {answer}")

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(args.writers)]
        for thread in threads:
            thread.start()
        time.sleep(rng.uniform(0.2, 1.5))
        server.kill(signal.SIGKILL)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        acknowledged.extend(round_acks)

        check = integrity(server.db)
        server.start()
        missing = []
        for speaker_id in acknowledged:
            status, _, _ = server.request("GET", f"/v1/speakers/{speaker_id}", headers=auth)
            if status != 200:
                missing.append((speaker_id, status))
        ok = check == "ok" and not missing and not bad_answers
        failures += 0 if ok else 1
        print(f"round {round_number:2}/{args.rounds}: {len(round_acks):4} creates acknowledged, "
              f"{len(acknowledged):5} in all; integrity_check {check}; "
              f"missing {len(missing)}; 5xx {len(bad_answers)} -> {'ok' if ok else 'FAIL'}")
        for speaker_id, status in missing[:5]:
            print(f"   missing {speaker_id} (GET answered {status})")
        for answer in bad_answers[:5]:
            print(f"   bad answer: {answer}")
    server.kill(signal.SIGTERM)
    print("crash drill:", "PASS" if failures == 0 else f"FAIL ({failures} rounds)")
    return 0 if failures == 0 else 1


def busy(args: argparse.Namespace) -> int:
    server = Server(args.bin, args.work, {"NEWSDESK_DB_BUSY_TIMEOUT_MS": args.busy_timeout_ms})
    server.start()
    if not needs(server, [("POST", "/v1/auth/token"), ("POST", "/v1/speakers"),
                          ("PATCH", "/v1/speakers/{id}"), ("GET", "/v1/speakers/{id}")]):
        return NOT_AVAILABLE
    token = server.token()
    if not token:
        return 1
    auth = {"Authorization": f"Bearer {token}"}
    status, headers, target = server.request("POST", "/v1/speakers", speaker_body("busy-target"), auth)
    if status != 201 or not isinstance(target, dict):
        print(f"creating the PATCH target answered {status}: {target}", file=sys.stderr)
        return 1
    etag = headers.get("etag") or f"\"{target.get('version', 1)}-0\""
    with sqlite3.connect(server.db) as connection:
        before = connection.execute("SELECT count(*) FROM speakers").fetchone()[0]

    answers: list[tuple[str, int, str | None, object]] = []
    lock = threading.Lock()
    start = threading.Barrier(100, timeout=30)

    def patch(number: int) -> None:
        start.wait()
        outcome = server.request("PATCH", f"/v1/speakers/{target['id']}",
                                 {"bio": f"Changed by PATCH {number}."}, {**auth, "If-Match": etag})
        with lock:
            answers.append(("PATCH", outcome[0], outcome[1].get("retry-after"), outcome[2]))

    def post(number: int) -> None:
        start.wait()
        outcome = server.request("POST", "/v1/speakers", speaker_body(f"busy-{number}"), auth)
        with lock:
            answers.append(("POST", outcome[0], outcome[1].get("retry-after"), outcome[2]))

    threads = [threading.Thread(target=patch, args=(n,)) for n in range(50)]
    threads += [threading.Thread(target=post, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    problems = []
    counts: dict[str, int] = {}
    for method, status, retry_after, body in answers:
        counts[f"{method} {status}"] = counts.get(f"{method} {status}", 0) + 1
        if 200 <= status < 300 or status == 412:
            continue
        if status == 503 and retry_after:
            continue
        problems.append(f"{method} answered {status} (Retry-After {retry_after}): {body}")
    created = sum(1 for method, status, _, _ in answers if method == "POST" and 200 <= status < 300)
    patched = sum(1 for method, status, _, _ in answers if method == "PATCH" and 200 <= status < 300)
    with sqlite3.connect(server.db) as connection:
        after = connection.execute("SELECT count(*) FROM speakers").fetchone()[0]
    if len(answers) != 100:
        problems.append(f"only {len(answers)} of 100 requests were answered")
    if after - before != created:
        problems.append(f"{after - before} rows were added but {created} creates were acknowledged")
    if patched > 1:
        problems.append(f"{patched} PATCHes with the same If-Match succeeded; at most one may")
    print("answers:", ", ".join(f"{k}×{v}" for k, v in sorted(counts.items())))
    print(f"rows added {after - before}, creates acknowledged {created}, PATCHes applied {patched}")
    for problem in problems[:10]:
        print("  ", problem)
    server.kill(signal.SIGTERM)
    print("busy drill:", "PASS" if not problems else "FAIL")
    return 0 if not problems else 1


def idle(args: argparse.Namespace) -> int:
    import resource

    # Both this process and the server (which inherits the limit) need a descriptor each.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = args.connections + 1024
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    count = min(args.connections, soft - 512)
    if count < args.connections:
        print(f"the descriptor limit is {soft}: opening {count} connections, not {args.connections}")
    # Idle connections are closed by the client timeout; give them longer than the drill takes.
    server = Server(args.bin, args.work, {"NEWSDESK_CLIENT_TIMEOUT_MS": "120000"})
    server.start()
    sockets = []
    started = time.monotonic()
    refused = 0
    for _ in range(count):
        if time.monotonic() - started > 60:
            break
        try:
            sockets.append(socket.create_connection(("127.0.0.1", server.port), timeout=5))
        except OSError:
            refused += 1
    opened = time.monotonic() - started
    latencies = []
    failures = []
    for _ in range(50):
        begun = time.monotonic()
        try:
            status = server.request("GET", "/healthz", timeout=5)[0]
        except OSError as error:
            status = str(error)
        latencies.append(time.monotonic() - begun)
        if status != 200:
            failures.append(status)
    for sock in sockets:
        sock.close()
    latencies.sort()
    p50, p99 = latencies[len(latencies) // 2], latencies[-1]
    ok = not failures and p99 < 1.0 and len(sockets) == count
    print(f"{len(sockets)} idle connections open ({refused} refused) in {opened:.1f} s; "
          f"50 GET /healthz meanwhile: {50 - len(failures)} answered 200, "
          f"p50 {p50 * 1000:.1f} ms, max {p99 * 1000:.1f} ms")
    server.kill(signal.SIGTERM)
    print("idle drill:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="drill", required=True)
    for name in ("crash", "busy", "idle"):
        p = sub.add_parser(name)
        p.add_argument("--bin", required=True)
        p.add_argument("--work", required=True)
        if name == "crash":
            p.add_argument("--rounds", type=int, default=20)
            p.add_argument("--writers", type=int, default=8)
            p.add_argument("--seed", type=int, default=int(time.time()))
        elif name == "busy":
            p.add_argument("--busy-timeout-ms", default="5000")
        else:
            p.add_argument("--connections", type=int, default=10_000)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    return {"crash": crash, "busy": busy, "idle": idle}[args.drill](args)


if __name__ == "__main__":
    sys.exit(main())
