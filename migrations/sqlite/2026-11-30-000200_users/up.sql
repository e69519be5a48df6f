-- Accounts and access: users, their refresh tokens, and partner API keys.
-- Secrets are never stored: passwords as Argon2id PHC strings, refresh tokens and API keys as
-- SHA-256 hex digests (both are 256-bit random values, so a fast hash is enough).

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    -- Stored lower-cased; NOCASE keeps the uniqueness case-insensitive for ASCII regardless.
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'contributor')),
    password_hash TEXT NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT 0,
    -- Carried in every access token; bumping it revokes every earlier access and refresh token.
    token_version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX users_by_created ON users (created_at, id);

CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    -- Every token rotated from one sign-in shares a family; reuse of a spent one revokes it all.
    family_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_version INTEGER NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    revoked_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_by_user ON refresh_tokens (user_id);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    -- The first characters of the key, so admins can tell keys apart without the secret.
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    -- JSON array of scope names.
    scopes TEXT NOT NULL,
    rate_limit_count INTEGER NOT NULL,
    rate_limit_period_secs INTEGER NOT NULL,
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    revoked_at TEXT,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX api_keys_by_created ON api_keys (created_at, id);
