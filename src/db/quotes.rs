//! The `quotes` table: rows, insert and update forms, and the queries the API needs.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel::sqlite::SqliteConnection;

use crate::db::content_support::{Keyset, public_quote};
use crate::db::schema::{articles, quotes};
use crate::error::ApiError;

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
#[derive(Debug, Clone, Default)]
pub struct QuoteFilter {
    /// Only this speaker's.
    pub speaker_id: Option<String>,
    /// Only those belonging to this article.
    pub article_id: Option<String>,
    /// Only public ones, as of this time.
    pub public_at: Option<String>,
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
    if let Some(now) = &filter.public_at {
        query = query.filter(sql::<Bool>(&public_quote(now)));
    }
    query
}

/// Finds a quote by id, applying the filter's visibility.
pub fn find(
    conn: &mut SqliteConnection,
    id: &str,
    public_at: Option<&str>,
) -> Result<Option<QuoteRow>, ApiError> {
    let filter = QuoteFilter {
        public_at: public_at.map(str::to_owned),
        ..QuoteFilter::default()
    };
    Ok(filtered(&filter)
        .filter(quotes::id.eq(id.to_owned()))
        .select(QuoteRow::as_select())
        .first(conn)
        .optional()?)
}

/// Quotes with these ids (those visible under `public_at`), in no particular order.
pub fn by_ids(
    conn: &mut SqliteConnection,
    ids: &[String],
    public_at: Option<&str>,
) -> Result<Vec<QuoteRow>, ApiError> {
    let filter = QuoteFilter {
        public_at: public_at.map(str::to_owned),
        ..QuoteFilter::default()
    };
    Ok(filtered(&filter)
        .filter(quotes::id.eq_any(ids.to_vec()))
        .select(QuoteRow::as_select())
        .load(conn)?)
}

/// A page of quotes in keyset order.
pub fn list(
    conn: &mut SqliteConnection,
    filter: &QuoteFilter,
    keyset: &Keyset,
) -> Result<Vec<QuoteRow>, ApiError> {
    let mut query = filtered(filter).select(QuoteRow::as_select());
    if let Some(condition) = keyset.condition("quotes.id") {
        query = query.filter(sql::<Bool>(&condition));
    }
    Ok(query
        .order(sql::<diesel::sql_types::Text>(&keyset.order("quotes.id")))
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
