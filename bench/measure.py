#!/usr/bin/env python3
"""Drive a running newsdesk with wrk and report each endpoint against the ceiling.

Called by `bench/run`, which builds the server, prepares the data and starts it. This script
finds out which endpoints the server has (from its own /openapi.json), prepares each case
(a slug, a cursor deep in a list, ETags), runs wrk at each connection count, then prints the
table and the targets of issue 6 and writes the figures as JSON.

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
MIB = 1024 * 1024


@dataclass
class Case:
    """One endpoint to measure."""

    name: str
    label: str
    path: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    read: bool = True
    script: str = "summary.lua"
    script_args: list[str] = field(default_factory=list)
    expect: tuple[int, ...] = (200,)
    signed_in: bool = False
    prepare: object = None  # called before each wrk run of this case
    available: bool = True
    reason: str = ""


def http(base: str, method: str, path: str, headers: dict[str, str] | None = None,
         body: bytes | None = None, timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def get_json(base: str, path: str, headers: dict[str, str] | None = None):
    status, response_headers, body = http(base, "GET", path, headers)
    if status != 200:
        raise LookupError(f"GET {path} answered {status}: {body[:200]!r}")
    return json.loads(body), response_headers


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of the server, in bytes."""
    values = {}
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    name, amount, _unit = line.split()
                    values[name.rstrip(":")] = int(amount) * 1024
    except OSError:
        pass
    return values


def login(base: str, email: str, password: str, db_path: str, secret: str) -> str | None:
    """Signs in with the password; falls back to a token minted by bench/mint_token.py."""
    body = json.dumps({"email": email, "password": password}).encode()
    status, _, answer = http(base, "POST", "/v1/auth/token", {"Content-Type": "application/json"}, body)
    if status == 200:
        return json.loads(answer).get("access_token")
    if not secret:
        print(f"  sign-in as {email} answered {status}: {answer[:200]!r}", file=sys.stderr)
        return None
    sys.path.insert(0, HERE)
    import mint_token as bench_token  # bench/mint_token.py

    print(f"  sign-in as {email} answered {status}; using a minted editor token", file=sys.stderr)
    user_id, version = bench_token.ensure_user(db_path, email, "editor")
    return bench_token.access_token(user_id, version, secret)


def plan(base: str, db_path: str, work_dir: str, email: str, password: str,
         secret: str) -> list[Case]:
    """Every case, each marked available or not (with the reason) on this server."""
    document, _ = get_json(base, "/openapi.json")
    paths = set(document.get("paths", {}))

    def has(template: str, method: str = "get") -> bool:
        return method in document.get("paths", {}).get(template, {})

    cases = [Case("ceiling", "ceiling (fixed 2 KB JSON)", "/__bench/ceiling")]
    article_cases = [
        Case("article_include", "article by slug, include=quotes,speakers,media"),
        Case("first_page", "first page of 20 articles", "/v1/articles?limit=20"),
        Case("first_page_compressed", "first page, Accept-Encoding: gzip, br",
             "/v1/articles?limit=20", headers={"Accept-Encoding": "gzip, br"}),
        Case("deep_page", "section page deep in the keyset"),
        Case("not_modified", "304 revalidation (If-None-Match)", expect=(304,)),
        Case("media_file", "media file (original)"),
        Case("media_rendition", "media rendition (?w=320)"),
        Case("patch_article", "authenticated PATCH with If-Match", read=False,
             script="patch.lua", expect=(200,)),
    ]
    cases += article_cases
    extra = [
        ("search", "search ?q=budget", "/v1/search", "/v1/search?q=budget", False),
        ("feed_json", "JSON Feed (20 items, full text)", "/v1/feeds/json", "/v1/feeds/json", False),
        ("feed_rss", "RSS feed (20 items, full text)", "/v1/feeds/rss", "/v1/feeds/rss", False),
        ("changes", "change feed, first page (signed in)", "/v1/changes", "/v1/changes", True),
        ("speakers", "first page of speakers", "/v1/speakers", "/v1/speakers?limit=20", False),
        ("quotes", "first page of quotes", "/v1/quotes", "/v1/quotes?limit=20", False),
        ("sections", "sections with counts", "/v1/sections", "/v1/sections", False),
        ("tags", "tags with counts", "/v1/tags", "/v1/tags", False),
    ]
    for name, label, template, path, signed_in in extra:
        case = Case(name, label, path, signed_in=signed_in)
        if not has(template):
            case.available, case.reason = False, f"no GET {template} on this server"
        cases.append(case)

    # A signed-in editor, for the PATCH and for reads that need credentials.
    token = None
    if has("/v1/auth/token", "post"):
        token = login(base, email, password, db_path, secret)
    for case in cases:
        if case.signed_in and case.available:
            if token:
                case.headers["Authorization"] = f"Bearer {token}"
            else:
                case.available, case.reason = False, f"cannot sign in as {email}"

    status, _, _ = http(base, "GET", "/__bench/ceiling")
    if status != 200:
        raise SystemExit("the ceiling route answers %d: build with --features bench" % status)

    def unavailable(names: list[str], reason: str) -> None:
        for case in cases:
            if case.name in names and case.available:
                case.available, case.reason = False, reason

    article_names = [c.name for c in article_cases]
    if not has("/v1/articles") or not has("/v1/articles/{id}"):
        unavailable(article_names, "no GET /v1/articles on this server")
        return cases

    try:
        page, _ = get_json(base, "/v1/articles?limit=20")
        first = page["data"][0]
        slug = first["slug"]
        article, headers = get_json(base, f"/v1/articles/{urllib.parse.quote(slug)}")
        by_name = {c.name: c for c in cases}
        by_name["article_include"].path = f"/v1/articles/{slug}?include=quotes,speakers,media"
        by_name["not_modified"].path = f"/v1/articles/{slug}"
        by_name["not_modified"].headers = {"If-None-Match": headers.get("etag", '"none"')}
    except (LookupError, KeyError, IndexError, ValueError) as error:
        unavailable(article_names, f"article reads fail: {error}")
        return cases

    # A page deep in one section: follow the cursors about halfway down (bounded).
    try:
        section = article.get("section") or "politics"
        path = f"/v1/articles?section={urllib.parse.quote(section)}&limit=20"
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
            in_section = db.execute(
                "SELECT count(*) FROM articles WHERE section = ? AND status = 'published'", (section,)
            ).fetchone()[0]
        hops = max(1, min(200, in_section // 40))
        cursor = None
        for _ in range(hops):
            page, _ = get_json(base, path + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else ""))
            if not page.get("next_cursor"):
                break
            cursor = page["next_cursor"]
        by_name["deep_page"].path = path + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
        by_name["deep_page"].label = f"section page {hops} pages deep"
    except (LookupError, KeyError, ValueError, sqlite3.Error) as error:
        unavailable(["deep_page"], f"section pages fail: {error}")

    # Media: the hero image of the first article, which is public.
    media_id = article.get("hero_media_id")
    if not has("/v1/media/{id}/file"):
        unavailable(["media_file", "media_rendition"], "no GET /v1/media/{id}/file on this server")
    elif not media_id:
        unavailable(["media_file", "media_rendition"], "the first article has no hero image")
    else:
        by_name["media_file"].path = f"/v1/media/{media_id}/file"
        by_name["media_rendition"].path = f"/v1/media/{media_id}/file?w=320"
        for name in ("media_file", "media_rendition"):
            status, _, _ = http(base, "GET", by_name[name].path)
            if status != 200:
                unavailable([name], f"GET {by_name[name].path} answers {status}")

    # PATCH: an editor's token and the current ETags of the oldest articles.
    if not has("/v1/articles/{id}", "patch"):
        unavailable(["patch_article"], "no PATCH /v1/articles/{id} on this server")
    elif not has("/v1/auth/token", "post"):
        unavailable(["patch_article"], "no POST /v1/auth/token on this server")
    else:
        if not token:
            unavailable(["patch_article"], f"cannot sign in as {email}")
        else:
            with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
                slugs = [row[0] for row in db.execute(
                    "SELECT slug FROM articles WHERE status = 'published' ORDER BY published_at LIMIT 512")]
            targets = os.path.join(work_dir, "patch-targets.txt")

            def refresh_etags() -> None:
                # Every run starts from the current versions: an earlier run changed them.
                lines = []
                for slug in slugs:
                    status, response_headers, _ = http(
                        base, "GET", f"/v1/articles/{slug}", {"Authorization": f"Bearer {token}"})
                    if status == 200 and "etag" in response_headers:
                        lines.append(f"{slug} {response_headers['etag']}")
                with open(targets, "w") as handle:
                    handle.write("\n".join(lines) + "\n")

            by_name["patch_article"].path = "/v1/articles/"
            by_name["patch_article"].script_args = [targets, token]
            by_name["patch_article"].prepare = refresh_etags
    return cases


def run_wrk(base: str, case: Case, connections: int, duration: float) -> dict:
    threads = 1 if connections == 1 else 2
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--timeout", "5s",
        "-s", os.path.join(HERE, "wrk", case.script),
    ]
    for name, value in case.headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(base + case.path)
    if case.script_args:
        command += ["--", *case.script_args, str(threads)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60)
    match = re.search(r"^BENCH_JSON (.*)$", completed.stdout, re.M)
    if not match:
        raise RuntimeError(f"wrk gave no figures: {completed.stdout[-400:]} {completed.stderr[-400:]}")
    figures = json.loads(match.group(1))
    seconds = figures["duration_us"] / 1e6
    figures["rps"] = figures["requests"] / seconds if seconds else 0.0
    return figures


def check(case: Case, figures: dict) -> str:
    """`ok`, or what went wrong with the answers."""
    e = figures["errors"]
    socket_errors = e["connect"] + e["read"] + e["write"] + e["timeout"]
    if "statuses" in figures:
        bad = {k: v for k, v in figures["statuses"].items() if int(k) not in case.expect}
        if bad:
            return "unexpected statuses " + ", ".join(f"{k}×{v}" for k, v in sorted(bad.items()))
    if e["status"]:
        return f"{e['status']} answers ≥ 400"
    if socket_errors:
        return f"{socket_errors} socket errors/timeouts"
    return "ok"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--articles", type=int, required=True)
    parser.add_argument("--sha", required=True)
    parser.add_argument("--results", required=True)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--connections", default="1,64")
    parser.add_argument("--email", default="bench-editor@example.com")
    parser.add_argument("--password", default="bench-editor-password-1")
    parser.add_argument("--only", default="", help="comma-separated case names")
    parser.add_argument("--secret", default="", help="the server's JWT secret, to mint a token")
    args = parser.parse_args()

    os.makedirs(args.results, exist_ok=True)
    connection_counts = [int(c) for c in args.connections.split(",")]
    cases = plan(args.base, args.db, args.results, args.email, args.password, args.secret)
    if args.only:
        wanted = set(args.only.split(",")) | {"ceiling"}
        cases = [c for c in cases if c.name in wanted]
    # The PATCH changes articles: run it last so the read cases see the data as generated.
    cases.sort(key=lambda c: not c.read)

    rows = []
    for case in cases:
        if not case.available:
            rows.append({"case": case.name, "label": case.label, "available": False, "reason": case.reason})
            print(f"  {case.name:16} not available: {case.reason}", file=sys.stderr)
            continue
        for connections in connection_counts:
            print(f"  {case.name:16} {connections:3} connection(s), {args.duration:g} s ...", file=sys.stderr)
            try:
                if case.prepare:
                    case.prepare()
                figures = run_wrk(args.base, case, connections, args.duration)
                verdict = check(case, figures)
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                figures, verdict = {}, f"failed: {error}"
            memory = proc_status(args.pid)
            rows.append({
                "case": case.name, "label": case.label, "available": True, "path": case.path,
                "read": case.read, "connections": connections, "verdict": verdict,
                "rps": round(figures.get("rps", 0.0), 1),
                "p50_ms": round(figures.get("p50_us", 0) / 1000, 3),
                "p99_ms": round(figures.get("p99_us", 0) / 1000, 3),
                "max_ms": round(figures.get("max_us", 0) / 1000, 3),
                "requests": figures.get("requests", 0),
                "statuses": figures.get("statuses"),
                "rss_mib": round(memory.get("VmRSS", 0) / MIB, 1),
            })

    ceiling = {r["connections"]: r["rps"] for r in rows if r["case"] == "ceiling" and r.get("rps")}
    for row in rows:
        if row.get("available") and ceiling.get(row["connections"]):
            row["ratio"] = round(row["rps"] / ceiling[row["connections"]], 3)
    peak_rss = proc_status(args.pid).get("VmHWM", 0)

    # The table.
    print()
    print(f"newsdesk {args.sha} · {args.articles:,} articles · {args.duration:g} s per case · "
          f"{os.cpu_count()} CPUs (wrk and the server share them)")
    print(f"{'case':46} {'conns':>5} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6}  check")
    for row in rows:
        if not row.get("available"):
            print(f"{row['label'][:46]:46} {'':>5} {'not available':>10}  ({row['reason']})")
            continue
        print(f"{row['label'][:46]:46} {row['connections']:>5} {row['rps']:>10,.0f} {row['p50_ms']:>8.2f} "
              f"{row['p99_ms']:>8.2f} {row.get('ratio', 0):>6.2f}  {row['verdict']}")
    print(f"server peak memory (VmHWM): {peak_rss / MIB:.1f} MiB")

    # The targets of issue 6.
    top = max(connection_counts)
    at_top = {r["case"]: r for r in rows if r.get("available") and r.get("connections") == top}
    targets = []

    def target(name: str, passed: bool | None, detail: str) -> None:
        targets.append({"target": name, "result": {True: "PASS", False: "MISS", None: "n/a"}[passed],
                        "detail": detail})

    for case_name, minimum in (("article_include", 0.35), ("first_page", 0.25), ("not_modified", 0.6)):
        row = at_top.get(case_name)
        if row and "ratio" in row and row["verdict"] == "ok":
            target(f"{case_name} ≥ {minimum} of the ceiling at {top} connections",
                   row["ratio"] >= minimum, f"{row['ratio']:.2f}")
        else:
            target(f"{case_name} ≥ {minimum} of the ceiling at {top} connections", None,
                   "not measured" if not row else row["verdict"])
    reads = [r for c, r in at_top.items() if r["read"] and c != "ceiling"]
    if reads:
        worst = max(reads, key=lambda r: r["p99_ms"])
        target(f"p99 < 20 ms at {top} connections for every read", all(r["p99_ms"] < 20 for r in reads),
               f"worst {worst['case']} {worst['p99_ms']:.2f} ms")
    else:
        target(f"p99 < 20 ms at {top} connections for every read", None, "no reads measured")
    if args.articles <= 10_000:
        target("peak memory < 150 MiB", peak_rss < 150 * MIB, f"{peak_rss / MIB:.1f} MiB")
    baseline_path = os.path.join(args.results, f"{args.sha}-10000.json")
    if args.articles > 10_000:
        if os.path.exists(baseline_path):
            with open(baseline_path) as handle:
                baseline = {(r["case"], r.get("connections")): r for r in json.load(handle)["rows"]}
            worst_name, worst_factor = None, 0.0
            for row in rows:
                base_row = baseline.get((row["case"], row.get("connections")))
                if (row.get("available") and row["read"] and row["case"] != "ceiling"
                        and row.get("connections") == 1 and base_row and base_row.get("p50_ms")):
                    factor = row["p50_ms"] / base_row["p50_ms"]
                    if factor > worst_factor:
                        worst_name, worst_factor = row["case"], factor
            target("reads within 1.5× of their 10,000-article p50 (1 connection)",
                   worst_factor <= 1.5 if worst_name else None,
                   f"worst {worst_name} ×{worst_factor:.2f}" if worst_name else "nothing comparable")
        else:
            target("reads within 1.5× of their 10,000-article p50 (1 connection)", None,
                   f"run `bench/run` with N=10000 first ({baseline_path} is missing)")
    print("targets (issue 6):")
    for t in targets:
        print(f"  {t['result']:4}  {t['target']}: {t['detail']}")

    out = os.path.join(args.results, f"{args.sha}-{args.articles}.json")
    with open(out, "w") as handle:
        json.dump({"sha": args.sha, "articles": args.articles, "duration_s": args.duration,
                   "cpus": os.cpu_count(), "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                   "peak_rss_mib": round(peak_rss / MIB, 1), "rows": rows, "targets": targets},
                  handle, indent=2)
        handle.write("\n")
    print(f"figures written to {os.path.relpath(out)}")


if __name__ == "__main__":
    main()
