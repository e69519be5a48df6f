#!/usr/bin/env python3
"""Fill a newsdesk database with a deterministic newsroom for benchmarks.

Run `newsdesk migrate` on the database first, then:

    bench/generate.py DB_PATH [--articles N] [--seed S] [--media-dir DIR]

It inserts N published articles over several sections and tags, with speakers, quotes attached
to articles and referenced from their bodies, media records (whose files are a few small real
PNG images written into the media directory under their SHA-256 name), the link tables and the
change log. The same N and seed always give the same rows, byte for byte. Only the Python 3.11
standard library is used; everything goes in one transaction with executemany.
"""

from __future__ import annotations

import argparse
import binascii
import hashlib
import html
import json
import os
import random
import sqlite3
import struct
import sys
import time
import zlib
from datetime import datetime, timedelta, timezone

SECTIONS = [
    "politics", "business", "world", "sport", "culture",
    "science", "technology", "climate", "health", "opinion",
]
PLACES = [
    "London", "Paris", "Berlin", "Nairobi", "Lagos", "Mumbai", "Jakarta", "Sydney",
    "Toronto", "Mexico City", "Sao Paulo", "Tokyo", "Seoul", "Cairo", "Madrid", "Warsaw",
]
ORGANIZATIONS = [
    "Ministry of Finance", "City Council", "Central Bank", "National Health Service",
    "University of Northfield", "Harbour Authority", "Workers' Union", "Chamber of Commerce",
    "Football Association", "Climate Institute", "Supreme Court", "Space Agency",
]
TITLES = [
    "minister", "spokesperson", "chief executive", "professor", "director", "mayor",
    "chair", "economist", "coach", "researcher", "judge", "senior analyst",
]
FIRST = [
    "Amara", "Ben", "Chen", "Dana", "Elif", "Farid", "Grace", "Hugo", "Ines", "Jonas",
    "Kemi", "Lars", "Maya", "Nikhil", "Olga", "Pablo", "Quinn", "Rosa", "Sami", "Tess",
    "Umar", "Vera", "Wei", "Ximena", "Yusuf", "Zoe",
]
LAST = [
    "Adeyemi", "Bauer", "Castillo", "Dubois", "Eriksen", "Fischer", "Gupta", "Haddad",
    "Ito", "Jansen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov",
    "Quispe", "Rossi", "Schmidt", "Tanaka", "Usman", "Varga", "Wright", "Yilmaz", "Zhou",
]
SUBJECTS = [
    "budget", "rail strike", "housing plan", "trade deal", "heatwave", "vaccine rollout",
    "election", "flood defences", "tax reform", "port expansion", "school funding",
    "chip factory", "wind farm", "transfer window", "museum reopening", "drought",
    "interest rates", "bridge repairs", "water prices", "border talks", "cup final",
    "satellite launch", "hospital waiting lists", "tram line", "fishing quotas",
]
VERBS = [
    "approves", "rejects", "delays", "unveils", "defends", "questions", "expands",
    "cuts", "backs", "reviews", "announces", "halts",
]
ACTORS = [
    "Government", "Council", "Court", "Regulator", "Parliament", "Union", "Board",
    "Ministers", "Mayor", "League", "Scientists", "Investors",
]
WORDS = (
    "the a new plan would city country year people said officials government report data "
    "growth cost public local national week month million percent budget rise fall support "
    "workers families schools hospitals transport energy prices market policy vote debate "
    "committee proposal change decision future region agency expert study evidence impact "
    "community service project funding investment sector industry record level pressure "
    "talks agreement deal opposition critics analysts residents leaders council response"
).split()
TAG_STEMS = [
    "economy", "elections", "transport", "housing", "energy", "education", "health", "crime",
    "courts", "football", "tennis", "cycling", "art", "music", "film", "books", "space",
    "ai", "climate", "oceans", "farming", "trade", "jobs", "inflation", "migration",
    "europe", "africa", "asia", "americas", "cities", "water", "weather", "science",
    "privacy", "startups", "banking", "tax", "pensions", "defence", "diplomacy",
]

BASE_TIME = datetime(2026, 11, 1, 6, 0, 0, tzinfo=timezone.utc)


def stamp(at: datetime) -> str:
    """The stored time form: RFC 3339 UTC with microseconds."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def uuid7(rng: random.Random, at: datetime) -> str:
    """A time-ordered UUIDv7 text whose random part comes from `rng` (so it is repeatable)."""
    millis = int(at.timestamp() * 1000)
    rand_a = rng.getrandbits(12)
    rand_b = rng.getrandbits(62)
    value = (millis << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def sentence(rng: random.Random, low: int = 8, high: int = 22) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def paragraph(rng: random.Random) -> str:
    text = " ".join(sentence(rng) for _ in range(rng.randint(2, 4)))
    if rng.random() < 0.3:
        word = rng.choice(WORDS)
        text = text.replace(f" {word} ", f" **{word}** ", 1)
    return text


def inline_html(text: str) -> str:
    """Renders the tiny Markdown subset the generator uses (strong) after escaping."""
    escaped = html.escape(text, quote=False)
    parts = escaped.split("**")
    out = []
    for i, part in enumerate(parts):
        out.append(part if i % 2 == 0 else f"<strong>{part}</strong>")
    return "".join(out)


def png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    """A valid RGB PNG: a horizontal gradient from `colour`, built with zlib alone."""
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            shade = (x * 255) // max(1, width - 1)
            row += bytes(((colour[0] + shade) % 256, (colour[1] + y) % 256, colour[2]))
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = binascii.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def write_images(media_dir: str | None) -> list[dict]:
    """The few real image files every media row points at: (sha256, width, height, bytes)."""
    specs = [
        (320, 213, (200, 40, 40)), (320, 240, (40, 160, 60)), (240, 320, (30, 60, 200)),
        (400, 225, (220, 180, 20)), (300, 300, (120, 40, 160)), (360, 240, (10, 140, 150)),
    ]
    images = []
    for width, height, colour in specs:
        data = png(width, height, colour)
        digest = hashlib.sha256(data).hexdigest()
        if media_dir:
            # The media store's layout: originals/<first two hex digits>/<sha256>.
            folder = os.path.join(media_dir, "originals", digest[:2])
            os.makedirs(folder, exist_ok=True)
            path = os.path.join(folder, digest)
            if not os.path.exists(path):
                with open(path, "wb") as handle:
                    handle.write(data)
        images.append({"sha256": digest, "width": width, "height": height, "bytes": len(data)})
    return images


def generate(db_path: str, articles: int, seed: int, media_dir: str | None) -> dict:
    rng = random.Random(seed)
    started = time.monotonic()
    connection = sqlite3.connect(db_path, isolation_level=None)
    have = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    missing = {"articles", "speakers", "quotes", "media", "article_tags", "changes"} - have
    if missing:
        raise SystemExit(f"{db_path}: tables {sorted(missing)} are missing; run `newsdesk migrate` first")
    if connection.execute("SELECT count(*) FROM articles").fetchone()[0]:
        raise SystemExit(f"{db_path}: already has articles; generate into a fresh database")

    # Columns and tables added by later migrations are filled when the schema has them.
    article_columns = {row[1] for row in connection.execute("PRAGMA table_info(articles)")}
    has_tags_column = "tags" in article_columns
    has_first_published = "first_published_at" in article_columns
    has_fts = "articles_fts" in have

    # Speed only matters while loading; the server reopens the file with its own pragmas.
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute("BEGIN")

    images = write_images(media_dir)
    tags = [f"{stem}" for stem in TAG_STEMS] + [f"{stem}-{n}" for n in range(1, 6) for stem in TAG_STEMS]
    tag_weights = [1.0 / (i + 1) for i in range(len(tags))]

    # The timeline: articles every few minutes, newest at BASE_TIME.
    span_minutes = max(articles * 7, 60)
    start = BASE_TIME - timedelta(minutes=span_minutes)

    # Media.
    media_count = max(20, articles // 5)
    media_rows = []
    changes = []
    for i in range(media_count):
        at = start + timedelta(minutes=(i * span_minutes) // media_count, seconds=rng.randint(0, 59))
        image = images[i % len(images)]
        media_id = uuid7(rng, at)
        photographer = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        media_rows.append((
            media_id, "image", "image/png", image["width"], image["height"], image["bytes"],
            image["sha256"], f"{rng.choice(SUBJECTS).capitalize()} in {rng.choice(PLACES)}",
            f"Photo by {photographer}/Newsdesk Agency", f"A scene of {rng.choice(SUBJECTS)}",
            "Newsdesk Agency", None, 0, None, round(rng.random(), 3), round(rng.random(), 3),
            "[]", None, stamp(at), stamp(at), 1,
        ))
        changes.append((stamp(at), "media", media_id, "create", 1))
    connection.executemany(
        "INSERT INTO media (id, kind, content_type, width, height, bytes, sha256, caption, credit,"
        " alt_text, copyright, license, syndication_allowed, usage_expires, focal_x, focal_y,"
        " renditions, created_by, created_at, updated_at, version)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        media_rows,
    )
    media_ids = [row[0] for row in media_rows]

    # Speakers.
    speaker_count = max(50, articles // 20)
    speaker_rows = []
    for i in range(speaker_count):
        at = start + timedelta(minutes=(i * span_minutes) // (speaker_count * 4))
        speaker_id = uuid7(rng, at)
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        slug = f"{name.lower().replace(' ', '-')}-{i + 1}"
        title = rng.choice(TITLES)
        organization = rng.choice(ORGANIZATIONS)
        photo = media_ids[i % len(media_ids)] if i % 3 == 0 else None
        speaker_rows.append((
            speaker_id, slug, name, title, organization,
            f"{name} is {title} at the {organization}. {sentence(rng)}", photo, None,
            stamp(at), stamp(at), 1,
        ))
        changes.append((stamp(at), "speaker", speaker_id, "create", 1))
    connection.executemany(
        "INSERT INTO speakers (id, slug, name, title, organization, bio, photo_media_id,"
        " created_by, created_at, updated_at, version) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        speaker_rows,
    )
    speakers = [(row[0], row[3]) for row in speaker_rows]

    # Articles, their quotes, tags and media links, in batches to bound memory at 1,000,000.
    extra_columns = (["tags"] if has_tags_column else []) + (["first_published_at"] if has_first_published else [])
    article_sql = (
        "INSERT INTO articles (id, slug, headline, standfirst, body, body_html, section, byline,"
        " source, dateline, language, status, published_at, embargo_until, hero_media_id,"
        " canonical_url, copyright, corrections, author_id, created_at, updated_at, version"
        + "".join(f", {c}" for c in extra_columns) + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?"
        + ",?" * len(extra_columns) + ")"
    )
    quote_sql = (
        "INSERT INTO quotes (id, text, speaker_id, article_id, context, speaker_title, said_on,"
        " created_by, created_at, updated_at, version) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
    )
    batch_size = 5000
    fts_rows: list[tuple] = []
    totals = {"articles": 0, "quotes": 0, "article_tags": 0, "article_media": 0, "article_quotes": 0}
    for batch_start in range(0, articles, batch_size):
        article_rows, quote_rows, tag_rows, media_link_rows, quote_link_rows = [], [], [], [], []
        for i in range(batch_start, min(articles, batch_start + batch_size)):
            published = start + timedelta(minutes=i * 7, seconds=rng.randint(0, 59),
                                          microseconds=rng.randint(0, 999_999))
            created = published - timedelta(minutes=rng.randint(20, 600))
            article_id = uuid7(rng, created)
            subject = rng.choice(SUBJECTS)
            headline = f"{rng.choice(ACTORS)} {rng.choice(VERBS)} {subject} after {rng.choice(WORDS)} {rng.choice(['vote', 'review', 'protest', 'report', 'talks', 'delay'])}"
            slug = f"{headline.lower().replace(' ', '-')}-{i + 1}"
            section = SECTIONS[rng.randrange(len(SECTIONS))]
            hero = media_ids[rng.randrange(len(media_ids))]

            # Quotes said for this article, by one or two speakers.
            quote_ids = []
            for _ in range(rng.randint(1, 3)):
                speaker_id, title = speakers[rng.randrange(len(speakers))]
                quote_id = uuid7(rng, created)
                quote_rows.append((
                    quote_id, f"{sentence(rng, 10, 25)}", speaker_id, article_id,
                    f"said at a {rng.choice(['press conference', 'hearing', 'briefing', 'rally'])}",
                    title if rng.random() < 0.8 else None,
                    published.date().isoformat(), None, stamp(created), stamp(created), 1,
                ))
                quote_ids.append(quote_id)
                changes.append((stamp(created), "quote", quote_id, "create", 1))

            body_media = media_ids[rng.randrange(len(media_ids))]
            blocks = []
            block_number = 0

            def block(kind: str, **fields) -> None:
                nonlocal block_number
                block_number += 1
                blocks.append({"id": f"b{block_number}", "type": kind, **fields})

            for _ in range(rng.randint(2, 4)):
                block("paragraph", text=paragraph(rng))
            block("heading", level=2, text=sentence(rng, 3, 7).rstrip("."))
            block("quote", quote_id=quote_ids[0])
            block("paragraph", text=paragraph(rng))
            block("media", media_id=body_media, caption=f"{subject.capitalize()} in {rng.choice(PLACES)}")
            for quote_id in quote_ids[1:]:
                block("paragraph", text=paragraph(rng))
                block("quote", quote_id=quote_id)
            if rng.random() < 0.3:
                block("list", ordered=False, items=[sentence(rng, 4, 9) for _ in range(3)])
            block("paragraph", text=paragraph(rng))

            quote_text = {q[0]: (q[1], q[2]) for q in quote_rows[-len(quote_ids):]}
            html_parts = []
            for b in blocks:
                if b["type"] == "paragraph":
                    html_parts.append(f"<p>{inline_html(b['text'])}</p>")
                elif b["type"] == "heading":
                    html_parts.append(f"<h{b['level']}>{inline_html(b['text'])}</h{b['level']}>")
                elif b["type"] == "quote":
                    html_parts.append(f"<blockquote>{html.escape(quote_text[b['quote_id']][0], quote=False)}</blockquote>")
                elif b["type"] == "media":
                    html_parts.append(f"<figure><img src=\"/v1/media/{b['media_id']}/file\" alt=\"\"><figcaption>{html.escape(b['caption'], quote=False)}</figcaption></figure>")
                elif b["type"] == "list":
                    items = "".join(f"<li>{inline_html(item)}</li>" for item in b["items"])
                    html_parts.append(f"<ul>{items}</ul>")

            corrections = []
            if rng.random() < 0.05:
                corrections.append({"at": stamp(published + timedelta(hours=3)),
                                    "note": "An earlier version misspelled a name."})
            article_tags = sorted(set(rng.choices(tags, weights=tag_weights, k=rng.randint(2, 4))))
            standfirst = sentence(rng, 14, 28)
            row = (
                article_id, slug, headline, standfirst, json.dumps(blocks, separators=(",", ":")),
                "".join(html_parts), section, f"By {rng.choice(FIRST)} {rng.choice(LAST)}",
                "example-news.com", rng.choice(PLACES), "en", "published", stamp(published), None,
                hero, f"https://example-news.com/{section}/{slug}", "© Example News",
                json.dumps(corrections, separators=(",", ":")), None, stamp(created), stamp(published), 1,
            )
            if has_tags_column:
                row += (json.dumps(article_tags, separators=(",", ":")),)
            if has_first_published:
                row += (stamp(published),)
            article_rows.append(row)
            if has_fts:
                text = "\n".join(
                    b["text"] if "text" in b else "\n".join(b.get("items", [])) for b in blocks
                    if b["type"] in ("paragraph", "heading", "list")
                )
                fts_rows.append((article_id, headline, standfirst, text))
            for tag in article_tags:
                tag_rows.append((article_id, tag))
            for media_id in sorted({hero, body_media}):
                media_link_rows.append((article_id, media_id))
            for quote_id in quote_ids:
                quote_link_rows.append((article_id, quote_id))
            changes.append((stamp(created), "article", article_id, "create", 1))
            changes.append((stamp(published), "article", article_id, "publish", 1))

        connection.executemany(article_sql, article_rows)
        connection.executemany(quote_sql, quote_rows)
        connection.executemany("INSERT INTO article_tags (article_id, tag) VALUES (?,?)", tag_rows)
        connection.executemany("INSERT INTO article_media (article_id, media_id) VALUES (?,?)", media_link_rows)
        connection.executemany("INSERT INTO article_quotes (article_id, quote_id) VALUES (?,?)", quote_link_rows)
        if fts_rows:
            connection.executemany(
                "INSERT INTO articles_fts (article_id, headline, standfirst, body) VALUES (?,?,?,?)", fts_rows)
            fts_rows.clear()
        totals["articles"] += len(article_rows)
        totals["quotes"] += len(quote_rows)
        totals["article_tags"] += len(tag_rows)
        totals["article_media"] += len(media_link_rows)
        totals["article_quotes"] += len(quote_link_rows)
        if sys.stderr.isatty():
            print(f"\r{totals['articles']}/{articles} articles", end="", file=sys.stderr, flush=True)

    # The change log in time order, as the server would have written it.
    changes.sort()
    connection.executemany(
        "INSERT INTO changes (resource, resource_id, operation, version, at) VALUES (?,?,?,?,?)",
        [(resource, rid, operation, version, at) for at, resource, rid, operation, version in changes],
    )
    connection.execute("COMMIT")
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("ANALYZE")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    if sys.stderr.isatty():
        print(file=sys.stderr)
    totals.update({"media": media_count, "speakers": speaker_count, "changes": len(changes),
                   "seconds": round(time.monotonic() - started, 1)})
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database", help="path of an SQLite database created by `newsdesk migrate`")
    parser.add_argument("--articles", "-n", type=int, default=10_000, help="published articles (default 10000)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    parser.add_argument("--media-dir", help="where to write the image files (NEWSDESK_MEDIA_DIR)")
    args = parser.parse_args()
    totals = generate(args.database, args.articles, args.seed, args.media_dir)
    print(json.dumps(totals))


if __name__ == "__main__":
    main()
