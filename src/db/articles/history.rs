//! An article's past: numbered revisions and the change log entries its writes leave.

use diesel::prelude::*;
use diesel::sqlite::Sqlite;

use crate::db::schema::{article_revisions, changes};

/// A stored revision.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = article_revisions, check_for_backend(Sqlite))]
pub struct RevisionRow {
    /// The article.
    pub article_id: String,
    /// 1, 2, 3... per article.
    pub number: i64,
    /// The article version it records.
    pub version: i64,
    /// Who made the change.
    pub author_id: Option<String>,
    /// When.
    pub created_at: String,
    /// The full article as JSON.
    pub snapshot: String,
}

/// Appends a revision, numbered after the last one.
pub fn add_revision(
    conn: &mut SqliteConnection,
    article_id: &str,
    version: i64,
    author_id: Option<&str>,
    at: &str,
    snapshot: &str,
) -> QueryResult<i64> {
    let last: Option<i64> = article_revisions::table
        .filter(article_revisions::article_id.eq(article_id))
        .select(diesel::dsl::max(article_revisions::number))
        .first(conn)?;
    let number = last.unwrap_or(0) + 1;
    diesel::insert_into(article_revisions::table)
        .values((
            article_revisions::article_id.eq(article_id),
            article_revisions::number.eq(number),
            article_revisions::version.eq(version),
            article_revisions::author_id.eq(author_id),
            article_revisions::created_at.eq(at),
            article_revisions::snapshot.eq(snapshot),
        ))
        .execute(conn)?;
    Ok(number)
}

/// Every revision of an article, oldest first.
pub fn revisions(conn: &mut SqliteConnection, article_id: &str) -> QueryResult<Vec<RevisionRow>> {
    article_revisions::table
        .filter(article_revisions::article_id.eq(article_id))
        .order(article_revisions::number.asc())
        .select(RevisionRow::as_select())
        .load(conn)
}

/// One revision of an article.
pub fn revision(
    conn: &mut SqliteConnection,
    article_id: &str,
    number: i64,
) -> QueryResult<Option<RevisionRow>> {
    article_revisions::table
        .find((article_id, number))
        .select(RevisionRow::as_select())
        .first(conn)
        .optional()
}

/// Appends to the change log.
pub fn log_change(
    conn: &mut SqliteConnection,
    article_id: &str,
    operation: &str,
    version: i64,
    at: &str,
) -> QueryResult<()> {
    diesel::insert_into(changes::table)
        .values((
            changes::resource.eq("article"),
            changes::resource_id.eq(article_id),
            changes::operation.eq(operation),
            changes::version.eq(version),
            changes::at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}
