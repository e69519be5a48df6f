//! Rows and queries of the `users` table.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use crate::db::schema::users;

/// A user as stored, password hash included: never serialised into a response.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    /// The id (UUIDv7).
    pub id: String,
    /// The lower-cased email.
    pub email: String,
    /// The name shown in the admin tools.
    pub display_name: String,
    /// `admin`, `editor` or `contributor`.
    pub role: String,
    /// The Argon2id PHC string.
    pub password_hash: String,
    /// A disabled user can neither sign in nor use earlier tokens.
    pub disabled: bool,
    /// The revocation counter carried in access tokens.
    pub token_version: i64,
    /// When the user was created.
    pub created_at: String,
    /// When the user last changed.
    pub updated_at: String,
    /// Grows with each change.
    pub version: i64,
}

/// The insert form of a user.
#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUserRow<'a> {
    /// The id (UUIDv7).
    pub id: &'a str,
    /// The lower-cased email.
    pub email: &'a str,
    /// The display name.
    pub display_name: &'a str,
    /// The role name.
    pub role: &'a str,
    /// The Argon2id PHC string.
    pub password_hash: &'a str,
    /// Creation time.
    pub created_at: &'a str,
    /// Same as `created_at`.
    pub updated_at: &'a str,
}

/// The update form of a user; `None` leaves a column as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    /// A new display name.
    pub display_name: Option<String>,
    /// A new role name.
    pub role: Option<String>,
    /// A new password hash.
    pub password_hash: Option<String>,
    /// Disable or enable.
    pub disabled: Option<bool>,
    /// A new revocation counter.
    pub token_version: Option<i64>,
    /// The time of the change.
    pub updated_at: Option<String>,
    /// The new version.
    pub version: Option<i64>,
}

/// Finds a user by id: one primary-key read.
pub fn find(conn: &mut SqliteConnection, id: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// Finds a user by email (already lower-cased).
pub fn find_by_email(conn: &mut SqliteConnection, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// Inserts a user.
pub fn insert(conn: &mut SqliteConnection, row: &NewUserRow<'_>) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Applies changes to a user.
pub fn update(conn: &mut SqliteConnection, id: &str, changes: &UserChanges) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set(changes)
        .execute(conn)
        .map(|_| ())
}

/// How many users exist.
pub fn count(conn: &mut SqliteConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

/// A page of users in creation order, after the `(created_at, id)` position when given.
pub fn list(
    conn: &mut SqliteConnection,
    after: Option<(&str, &str)>,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    let mut query = users::table
        .select(UserRow::as_select())
        .order((users::created_at.asc(), users::id.asc()))
        .limit(limit)
        .into_boxed();
    if let Some((created_at, id)) = after {
        query = query.filter(
            users::created_at
                .gt(created_at.to_owned())
                .or(users::created_at
                    .eq(created_at.to_owned())
                    .and(users::id.gt(id.to_owned()))),
        );
    }
    query.load(conn)
}
