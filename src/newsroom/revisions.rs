//! The revision history of articles: every change of an article (its own edits, lifecycle
//! changes, and re-renders after a quote, speaker or photo it shows changed) stores the whole
//! article as it then was, with who made the change and, when it was not an edit of the article
//! itself, why.

use diesel::SqliteConnection;
use diesel::prelude::*;
use diesel::sqlite::Sqlite;

use crate::auth::Caller;
use crate::db::articles::ArticleRow;
use crate::db::schema::article_revisions;
use crate::error::ApiError;
use crate::newsroom::articles::visible;
use crate::newsroom::policy::{self, Actor};

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
    /// Why, when the article itself was not what was edited.
    pub note: Option<String>,
}

/// Appends a revision of `row` (its `snapshot`), numbered after the last one.
pub fn add(
    conn: &mut SqliteConnection,
    row: &ArticleRow,
    author_id: Option<&str>,
    note: Option<&str>,
    snapshot: &str,
) -> Result<i64, ApiError> {
    let last: Option<i64> = article_revisions::table
        .filter(article_revisions::article_id.eq(&row.id))
        .select(diesel::dsl::max(article_revisions::number))
        .first(conn)?;
    let number = last.unwrap_or(0) + 1;
    diesel::insert_into(article_revisions::table)
        .values((
            article_revisions::article_id.eq(&row.id),
            article_revisions::number.eq(number),
            article_revisions::version.eq(row.version),
            article_revisions::author_id.eq(author_id),
            article_revisions::created_at.eq(&row.updated_at),
            article_revisions::snapshot.eq(snapshot),
            article_revisions::note.eq(note),
        ))
        .execute(conn)?;
    Ok(number)
}

/// The revisions of the article `key` that `caller` may read, oldest first: 404 when the
/// article is not visible to them; a contributor reading another's article gets those from its
/// first publication on.
pub fn list(
    conn: &mut SqliteConnection,
    caller: &Caller,
    key: &str,
    now: &str,
) -> Result<Vec<RevisionRow>, ApiError> {
    let actor = Actor::of(caller)?;
    let article = visible(conn, caller, key, now)?;
    let from = policy::revisions_from(conn, &actor, &article)?;
    Ok(article_revisions::table
        .filter(article_revisions::article_id.eq(&article.id))
        .filter(article_revisions::version.ge(from))
        .order(article_revisions::number.asc())
        .select(RevisionRow::as_select())
        .load(conn)?)
}

/// Revision `number` of the article `key`, under the same rule as [`list`].
pub fn get(
    conn: &mut SqliteConnection,
    caller: &Caller,
    key: &str,
    number: i64,
    now: &str,
) -> Result<RevisionRow, ApiError> {
    let actor = Actor::of(caller)?;
    let article = visible(conn, caller, key, now)?;
    let from = policy::revisions_from(conn, &actor, &article)?;
    article_revisions::table
        .find((&article.id, number))
        .filter(article_revisions::version.ge(from))
        .select(RevisionRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::NotFound {
            detail: format!("article `{key}` has no revision {number}"),
        })
}
