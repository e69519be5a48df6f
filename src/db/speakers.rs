//! The `speakers` table: rows, insert and update forms, and the queries the API needs.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use crate::db::content_support::Keyset;
use crate::db::schema::{articles, quotes, speakers};
use crate::error::ApiError;
use crate::newsroom::story;
use crate::newsroom::visibility::{self, Viewer};
use diesel::sqlite::Sqlite;

/// A stored speaker.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = speakers, check_for_backend(diesel::sqlite::Sqlite))]
pub struct SpeakerRow {
    /// Id.
    pub id: String,
    /// Unique slug.
    pub slug: String,
    /// Full name.
    pub name: String,
    /// Job title.
    pub title: Option<String>,
    /// Organisation.
    pub organization: Option<String>,
    /// Short biography.
    pub bio: Option<String>,
    /// Portrait.
    pub photo_media_id: Option<String>,
    /// Who created it.
    pub created_by: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// Grows with each change.
    pub version: i64,
}

/// A speaker to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = speakers)]
pub struct NewSpeaker {
    /// Id.
    pub id: String,
    /// Unique slug.
    pub slug: String,
    /// Full name.
    pub name: String,
    /// Job title.
    pub title: Option<String>,
    /// Organisation.
    pub organization: Option<String>,
    /// Short biography.
    pub bio: Option<String>,
    /// Portrait.
    pub photo_media_id: Option<String>,
    /// Who created it.
    pub created_by: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// Same as `created_at`.
    pub updated_at: String,
    /// 1.
    pub version: i64,
}

/// Changes to a speaker: `None` leaves a column alone, `Some(None)` clears it.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = speakers)]
pub struct SpeakerChanges {
    /// New slug.
    pub slug: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// New title.
    pub title: Option<Option<String>>,
    /// New organisation.
    pub organization: Option<Option<String>>,
    /// New biography.
    pub bio: Option<Option<String>>,
    /// New portrait.
    pub photo_media_id: Option<Option<String>>,
    /// Time of the change.
    pub updated_at: Option<String>,
    /// Next version.
    pub version: Option<i64>,
}

/// A summary of an article that quotes a speaker.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = articles, check_for_backend(diesel::sqlite::Sqlite))]
pub struct QuotingArticleRow {
    /// Id.
    pub id: String,
    /// Slug.
    pub slug: String,
    /// Headline.
    pub headline: String,
    /// Standfirst.
    pub standfirst: Option<String>,
    /// Section.
    pub section: Option<String>,
    /// Lifecycle status.
    pub status: String,
    /// Publication time.
    pub published_at: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

/// Finds a speaker by id or slug.
pub fn find(conn: &mut SqliteConnection, key: &str) -> Result<Option<SpeakerRow>, ApiError> {
    Ok(speakers::table
        .filter(speakers::id.eq(key).or(speakers::slug.eq(key)))
        .select(SpeakerRow::as_select())
        .first(conn)
        .optional()?)
}

/// Speakers with these ids, in no particular order.
pub fn by_ids(conn: &mut SqliteConnection, ids: &[String]) -> Result<Vec<SpeakerRow>, ApiError> {
    Ok(speakers::table
        .filter(speakers::id.eq_any(ids))
        .select(SpeakerRow::as_select())
        .load(conn)?)
}

/// True when another speaker than `except` uses `slug`.
pub fn slug_taken(
    conn: &mut SqliteConnection,
    slug: &str,
    except: Option<&str>,
) -> Result<bool, ApiError> {
    let found: Option<String> = speakers::table
        .filter(speakers::slug.eq(slug))
        .select(speakers::id)
        .first(conn)
        .optional()?;
    Ok(found.is_some_and(|id| Some(id.as_str()) != except))
}

/// Inserts a speaker.
pub fn insert(conn: &mut SqliteConnection, new: &NewSpeaker) -> Result<SpeakerRow, ApiError> {
    Ok(diesel::insert_into(speakers::table)
        .values(new)
        .returning(SpeakerRow::as_returning())
        .get_result(conn)?)
}

/// Applies changes to a speaker.
pub fn update(
    conn: &mut SqliteConnection,
    id: &str,
    changes: &SpeakerChanges,
) -> Result<SpeakerRow, ApiError> {
    Ok(diesel::update(speakers::table.find(id))
        .set(changes)
        .returning(SpeakerRow::as_returning())
        .get_result(conn)?)
}

/// Deletes a speaker.
pub fn delete(conn: &mut SqliteConnection, id: &str) -> Result<(), ApiError> {
    diesel::delete(speakers::table.find(id)).execute(conn)?;
    Ok(())
}

/// How many quotes a speaker has.
pub fn quote_count(conn: &mut SqliteConnection, id: &str) -> Result<i64, ApiError> {
    Ok(quotes::table
        .filter(quotes::speaker_id.eq(id))
        .count()
        .get_result(conn)?)
}

/// A page of speakers in keyset order.
pub fn list(conn: &mut SqliteConnection, keyset: &Keyset) -> Result<Vec<SpeakerRow>, ApiError> {
    let mut query = speakers::table.select(SpeakerRow::as_select()).into_boxed();
    if let Some(condition) = keyset.condition("speakers.id") {
        query = query.filter(condition);
    }
    Ok(query
        .order(keyset.order("speakers.id"))
        .limit(keyset.fetch)
        .load(conn)?)
}

/// How many speakers there are.
pub fn count(conn: &mut SqliteConnection) -> Result<i64, ApiError> {
    Ok(speakers::table.count().get_result(conn)?)
}

/// The articles that quote this speaker (linked quotes and quotes in the body alike) and that
/// `viewer` may see at `now`.
fn quoting(speaker_id: &str, viewer: &Viewer, now: &str) -> articles::BoxedQuery<'static, Sqlite> {
    articles::table
        .filter(story::quoting(speaker_id))
        .filter(visibility::articles(viewer, now))
        .into_boxed()
}

/// A page of the articles quoting a speaker that `viewer` may see at `now`.
pub fn quoting_articles(
    conn: &mut SqliteConnection,
    speaker_id: &str,
    viewer: &Viewer,
    now: &str,
    keyset: &Keyset,
) -> Result<Vec<QuotingArticleRow>, ApiError> {
    let mut query = quoting(speaker_id, viewer, now);
    if let Some(condition) = keyset.condition("articles.id") {
        query = query.filter(condition);
    }
    Ok(query
        .select(QuotingArticleRow::as_select())
        .order(keyset.order("articles.id"))
        .limit(keyset.fetch)
        .load(conn)?)
}

/// How many articles quoting a speaker `viewer` may see (see [`quoting_articles`]).
pub fn quoting_article_count(
    conn: &mut SqliteConnection,
    speaker_id: &str,
    viewer: &Viewer,
    now: &str,
) -> Result<i64, ApiError> {
    Ok(quoting(speaker_id, viewer, now).count().get_result(conn)?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::Text;
    use diesel_migrations::MigrationHarness;

    #[test]
    fn every_speaker_sort_walks_an_index_instead_of_sorting_every_speaker() {
        #[derive(QueryableByName)]
        struct Step {
            #[diesel(sql_type = Text)]
            detail: String,
        }
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        conn.run_pending_migrations(crate::db::MIGRATIONS).unwrap();
        for order in [
            "speakers.name COLLATE NOCASE",
            "speakers.created_at",
            "speakers.updated_at",
        ] {
            for direction in ["ASC", "DESC"] {
                let sql = format!(
                    "EXPLAIN QUERY PLAN SELECT * FROM speakers \
                     ORDER BY {order} {direction}, speakers.id {direction} LIMIT 21"
                );
                let plan: Vec<String> = diesel::sql_query(sql)
                    .load::<Step>(&mut conn)
                    .unwrap()
                    .into_iter()
                    .map(|s| s.detail)
                    .collect();
                let plan = plan.join("\n");
                assert!(!plan.contains("TEMP B-TREE"), "{order} {direction}: {plan}");
            }
        }
    }
}
