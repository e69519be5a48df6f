//! Rows and queries of the `refresh_tokens` table.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use crate::db::schema::refresh_tokens;

/// A refresh token as stored: only its SHA-256 digest, never the token.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshTokenRow {
    /// The row id.
    pub id: String,
    /// SHA-256 hex digest of the token.
    pub token_hash: String,
    /// The sign-in this token descends from.
    pub family_id: String,
    /// The user it belongs to.
    pub user_id: String,
    /// The user's revocation counter when it was issued.
    pub token_version: i64,
    /// When it stops being accepted.
    pub expires_at: String,
    /// When it was exchanged (a token is single use).
    pub used_at: Option<String>,
    /// When it was revoked (logout, reuse of its family, password or role change).
    pub revoked_at: Option<String>,
    /// When it was issued.
    pub created_at: String,
}

/// The insert form of a refresh token.
#[derive(Debug, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct NewRefreshTokenRow<'a> {
    /// The row id.
    pub id: &'a str,
    /// SHA-256 hex digest of the token.
    pub token_hash: &'a str,
    /// The family.
    pub family_id: &'a str,
    /// The owner.
    pub user_id: &'a str,
    /// The owner's revocation counter.
    pub token_version: i64,
    /// Expiry time.
    pub expires_at: &'a str,
    /// Issue time.
    pub created_at: &'a str,
}

/// Finds a token by its digest.
pub fn find_by_hash(
    conn: &mut SqliteConnection,
    token_hash: &str,
) -> QueryResult<Option<RefreshTokenRow>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select(RefreshTokenRow::as_select())
        .first(conn)
        .optional()
}

/// Inserts a token.
pub fn insert(conn: &mut SqliteConnection, row: &NewRefreshTokenRow<'_>) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Marks a token as exchanged.
pub fn mark_used(conn: &mut SqliteConnection, id: &str, at: &str) -> QueryResult<()> {
    diesel::update(refresh_tokens::table.find(id))
        .set(refresh_tokens::used_at.eq(at))
        .execute(conn)
        .map(|_| ())
}

/// Revokes every not yet revoked token of a family.
pub fn revoke_family(conn: &mut SqliteConnection, family_id: &str, at: &str) -> QueryResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(at))
    .execute(conn)
    .map(|_| ())
}

/// Revokes every not yet revoked token of a user.
pub fn revoke_user(conn: &mut SqliteConnection, user_id: &str, at: &str) -> QueryResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(at))
    .execute(conn)
    .map(|_| ())
}
