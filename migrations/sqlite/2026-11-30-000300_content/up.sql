-- The four content resources, their links, revisions and the change log.
-- Times are RFC 3339 UTC text with microseconds ("2026-11-30T12:00:00.000000Z"), so they sort
-- as text. JSON columns hold arrays or objects serialised by the application.

CREATE TABLE media (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL DEFAULT 'image' CHECK (kind IN ('image')),
    content_type TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    caption TEXT,
    credit TEXT,
    alt_text TEXT,
    copyright TEXT,
    license TEXT,
    syndication_allowed BOOLEAN NOT NULL DEFAULT 0,
    usage_expires TEXT,
    focal_x REAL,
    focal_y REAL,
    renditions TEXT NOT NULL DEFAULT '[]',
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX media_by_created ON media (created_at, id);
CREATE INDEX media_by_sha256 ON media (sha256);

CREATE TABLE speakers (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    title TEXT,
    organization TEXT,
    bio TEXT,
    photo_media_id TEXT REFERENCES media (id),
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX speakers_by_name ON speakers (name, id);
CREATE INDEX speakers_by_photo ON speakers (photo_media_id);

CREATE TABLE articles (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    headline TEXT NOT NULL,
    standfirst TEXT,
    body TEXT NOT NULL DEFAULT '[]',
    body_html TEXT NOT NULL DEFAULT '',
    section TEXT,
    byline TEXT,
    source TEXT,
    dateline TEXT,
    language TEXT NOT NULL DEFAULT 'en',
    status TEXT NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'scheduled', 'published', 'archived')),
    published_at TEXT,
    embargo_until TEXT,
    hero_media_id TEXT REFERENCES media (id),
    canonical_url TEXT,
    copyright TEXT,
    corrections TEXT NOT NULL DEFAULT '[]',
    author_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
-- Public lists: visible articles newest first, overall and by section.
CREATE INDEX articles_by_status_published ON articles (status, published_at, id);
CREATE INDEX articles_by_section_published ON articles (section, status, published_at, id);
CREATE INDEX articles_by_updated ON articles (updated_at, id);
CREATE INDEX articles_by_author ON articles (author_id, updated_at, id);
CREATE INDEX articles_by_hero ON articles (hero_media_id);

CREATE TABLE article_tags (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (article_id, tag)
);
CREATE INDEX article_tags_by_tag ON article_tags (tag, article_id);

-- Every media item an article uses (hero and body blocks), kept at write time.
CREATE TABLE article_media (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    media_id TEXT NOT NULL REFERENCES media (id),
    PRIMARY KEY (article_id, media_id)
);
CREATE INDEX article_media_by_media ON article_media (media_id, article_id);

CREATE TABLE quotes (
    id TEXT PRIMARY KEY NOT NULL,
    text TEXT NOT NULL,
    speaker_id TEXT NOT NULL REFERENCES speakers (id),
    article_id TEXT REFERENCES articles (id) ON DELETE SET NULL,
    context TEXT,
    speaker_title TEXT,
    said_on TEXT,
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX quotes_by_speaker ON quotes (speaker_id, created_at, id);
CREATE INDEX quotes_by_article ON quotes (article_id, created_at, id);
CREATE INDEX quotes_by_created ON quotes (created_at, id);

-- Every quote an article's body blocks refer to, kept at write time.
CREATE TABLE article_quotes (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    quote_id TEXT NOT NULL REFERENCES quotes (id),
    PRIMARY KEY (article_id, quote_id)
);
CREATE INDEX article_quotes_by_quote ON article_quotes (quote_id, article_id);

CREATE TABLE article_revisions (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    version INTEGER NOT NULL,
    author_id TEXT,
    created_at TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    PRIMARY KEY (article_id, number)
);

-- The change feed: one row per create, update, publish, unpublish or delete, in commit order.
CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    resource TEXT NOT NULL CHECK (resource IN ('article', 'quote', 'speaker', 'media')),
    resource_id TEXT NOT NULL,
    operation TEXT NOT NULL
        CHECK (operation IN ('create', 'update', 'publish', 'unpublish', 'delete')),
    version INTEGER NOT NULL,
    at TEXT NOT NULL
);

-- Replays of POST requests sent with an Idempotency-Key.
CREATE TABLE idempotency_keys (
    caller TEXT NOT NULL,
    key TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    content_type TEXT,
    location TEXT,
    body BLOB NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (caller, key)
);
