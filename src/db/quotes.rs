//! The `quotes` table: rows, insert and update forms, and the queries the API needs.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use crate::db::content_support::Keyset;
use crate::db::schema::{articles, quotes};
use crate::error::ApiError;
use crate::newsroom::visibility::{self, Viewer};

/// A stored quote.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = quotes, check_for_backend(diesel::sqlite::Sqlite))]
pub struct QuoteRow {
    /// Id.
    pub id: String,
    /// What was said.
    pub text: String,
    /// Who said it.
    pub speaker_id: String,
    /// The article it belongs to.
    pub article_id: Option<String>,
    /// How it was said.
    pub context: Option<String>,
    /// The speaker's title at the time.
    pub speaker_title: Option<String>,
    /// The day it was said (`YYYY-MM-DD`).
    pub said_on: Option<String>,
    /// Who created it.
    pub created_by: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// Grows with each change.
    pub version: i64,
}

/// A quote to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = quotes)]
pub struct NewQuote {
    /// Id.
    pub id: String,
    /// What was said.
    pub text: String,
    /// Who said it.
    pub speaker_id: String,
    /// The article it belongs to.
    pub article_id: Option<String>,
    /// How it was said.
    pub context: Option<String>,
    /// The speaker's title at the time.
    pub speaker_title: Option<String>,
    /// The day it was said.
    pub said_on: Option<String>,
    /// Who created it.
    pub created_by: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// Same as `created_at`.
    pub updated_at: String,
    /// 1.
    pub version: i64,
}

/// Changes to a quote: `None` leaves a column alone, `Some(None)` clears it.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = quotes)]
pub struct QuoteChanges {
    /// New text.
    pub text: Option<String>,
    /// New speaker.
    pub speaker_id: Option<String>,
    /// New article.
    pub article_id: Option<Option<String>>,
    /// New context.
    pub context: Option<Option<String>>,
    /// New title at the time.
    pub speaker_title: Option<Option<String>>,
    /// New date.
    pub said_on: Option<Option<String>>,
    /// Time of the change.
    pub updated_at: Option<String>,
    /// Next version.
    pub version: Option<i64>,
}

/// Which quotes a list shows.
#[derive(Debug, Clone)]
pub struct QuoteFilter {
    /// Only this speaker's.
    pub speaker_id: Option<String>,
    /// Only those belonging to this article.
    pub article_id: Option<String>,
    /// Who is looking.
    pub viewer: Viewer,
    /// The time visibility is judged at.
    pub now: String,
}

type BoxedQuotes<'a> = quotes::BoxedQuery<'a, diesel::sqlite::Sqlite>;

fn filtered(filter: &QuoteFilter) -> BoxedQuotes<'static> {
    let mut query = quotes::table.into_boxed();
    if let Some(speaker) = &filter.speaker_id {
        query = query.filter(quotes::speaker_id.eq(speaker.clone()));
    }
    if let Some(article) = &filter.article_id {
        query = query.filter(quotes::article_id.eq(article.clone()));
    }
    query.filter(visibility::quotes(&filter.viewer, &filter.now))
}

/// The quote with this id, whoever may see it.
pub fn find(conn: &mut SqliteConnection, id: &str) -> Result<Option<QuoteRow>, ApiError> {
    Ok(quotes::table
        .find(id)
        .select(QuoteRow::as_select())
        .first(conn)
        .optional()?)
}

/// The quote with this id, if `viewer` may see it at `now`.
pub fn find_visible(
    conn: &mut SqliteConnection,
    id: &str,
    viewer: &Viewer,
    now: &str,
) -> Result<Option<QuoteRow>, ApiError> {
    Ok(quotes::table
        .find(id)
        .filter(visibility::quotes(viewer, now))
        .select(QuoteRow::as_select())
        .first(conn)
        .optional()?)
}

/// A page of quotes in keyset order.
pub fn list(
    conn: &mut SqliteConnection,
    filter: &QuoteFilter,
    keyset: &Keyset,
) -> Result<Vec<QuoteRow>, ApiError> {
    let mut query = filtered(filter).select(QuoteRow::as_select());
    if let Some(condition) = keyset.condition("quotes.id") {
        query = query.filter(condition);
    }
    Ok(query
        .order(keyset.order("quotes.id"))
        .limit(keyset.fetch)
        .load(conn)?)
}

/// How many quotes match the filter.
pub fn count(conn: &mut SqliteConnection, filter: &QuoteFilter) -> Result<i64, ApiError> {
    Ok(filtered(filter).count().get_result(conn)?)
}

/// The author and status of an article, when it exists.
pub fn article_owner(
    conn: &mut SqliteConnection,
    id: &str,
) -> Result<Option<(Option<String>, String)>, ApiError> {
    Ok(articles::table
        .find(id)
        .select((articles::author_id, articles::status))
        .first::<(Option<String>, String)>(conn)
        .optional()?)
}

/// Inserts a quote.
pub fn insert(conn: &mut SqliteConnection, new: &NewQuote) -> Result<QuoteRow, ApiError> {
    Ok(diesel::insert_into(quotes::table)
        .values(new)
        .returning(QuoteRow::as_returning())
        .get_result(conn)?)
}

/// Applies changes to a quote.
pub fn update(
    conn: &mut SqliteConnection,
    id: &str,
    changes: &QuoteChanges,
) -> Result<QuoteRow, ApiError> {
    Ok(diesel::update(quotes::table.find(id))
        .set(changes)
        .returning(QuoteRow::as_returning())
        .get_result(conn)?)
}

/// How many articles use a quote in their body.
pub fn article_use_count(conn: &mut SqliteConnection, id: &str) -> Result<i64, ApiError> {
    use crate::db::schema::article_quotes;
    Ok(article_quotes::table
        .filter(article_quotes::quote_id.eq(id))
        .count()
        .get_result(conn)?)
}

/// Deletes a quote.
pub fn delete(conn: &mut SqliteConnection, id: &str) -> Result<(), ApiError> {
    diesel::delete(quotes::table.find(id)).execute(conn)?;
    Ok(())
}
