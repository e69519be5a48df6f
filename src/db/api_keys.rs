//! Rows and queries of the `api_keys` table.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use crate::db::schema::api_keys;

/// A partner API key as stored: only its SHA-256 digest, never the key.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
pub struct ApiKeyRow {
    /// The key's id (not secret).
    pub id: String,
    /// What the key is for, e.g. the partner's name.
    pub name: String,
    /// The first characters of the key, to tell keys apart.
    pub prefix: String,
    /// SHA-256 hex digest of the key.
    pub key_hash: String,
    /// JSON array of scope names.
    pub scopes: String,
    /// Requests allowed per period; 0 means unlimited.
    pub rate_limit_count: i64,
    /// The period of the limit, in seconds.
    pub rate_limit_period_secs: i64,
    /// The admin who created it.
    pub created_by: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// When it was revoked; a revoked key is refused.
    pub revoked_at: Option<String>,
    /// Grows with each change.
    pub version: i64,
}

/// The insert form of an API key.
#[derive(Debug, Insertable)]
#[diesel(table_name = api_keys)]
pub struct NewApiKeyRow<'a> {
    /// The id.
    pub id: &'a str,
    /// The name.
    pub name: &'a str,
    /// The visible prefix.
    pub prefix: &'a str,
    /// SHA-256 hex digest of the key.
    pub key_hash: &'a str,
    /// JSON array of scope names.
    pub scopes: &'a str,
    /// Requests per period.
    pub rate_limit_count: i64,
    /// Period in seconds.
    pub rate_limit_period_secs: i64,
    /// The creating admin, if any (the CLI has none).
    pub created_by: Option<&'a str>,
    /// Creation time.
    pub created_at: &'a str,
    /// Same as `created_at`.
    pub updated_at: &'a str,
}

/// Finds a key by id.
pub fn find(conn: &mut SqliteConnection, id: &str) -> QueryResult<Option<ApiKeyRow>> {
    api_keys::table
        .find(id)
        .select(ApiKeyRow::as_select())
        .first(conn)
        .optional()
}

/// Finds a key by the digest of its secret (one unique-index read).
pub fn find_by_hash(conn: &mut SqliteConnection, key_hash: &str) -> QueryResult<Option<ApiKeyRow>> {
    api_keys::table
        .filter(api_keys::key_hash.eq(key_hash))
        .select(ApiKeyRow::as_select())
        .first(conn)
        .optional()
}

/// Inserts a key.
pub fn insert(conn: &mut SqliteConnection, row: &NewApiKeyRow<'_>) -> QueryResult<()> {
    diesel::insert_into(api_keys::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Revokes a key.
pub fn revoke(conn: &mut SqliteConnection, id: &str, at: &str, version: i64) -> QueryResult<()> {
    diesel::update(api_keys::table.find(id))
        .set((
            api_keys::revoked_at.eq(at),
            api_keys::updated_at.eq(at),
            api_keys::version.eq(version),
        ))
        .execute(conn)
        .map(|_| ())
}

/// A page of keys in creation order, after the `(created_at, id)` position when given.
pub fn list(
    conn: &mut SqliteConnection,
    after: Option<(&str, &str)>,
    limit: i64,
) -> QueryResult<Vec<ApiKeyRow>> {
    let mut query = api_keys::table
        .select(ApiKeyRow::as_select())
        .order((api_keys::created_at.asc(), api_keys::id.asc()))
        .limit(limit)
        .into_boxed();
    if let Some((created_at, id)) = after {
        query = query.filter(
            api_keys::created_at
                .gt(created_at.to_owned())
                .or(api_keys::created_at
                    .eq(created_at.to_owned())
                    .and(api_keys::id.gt(id.to_owned()))),
        );
    }
    query.load(conn)
}
