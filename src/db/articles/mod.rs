//! Article storage, split by concern: the rows and forms and single-article reads and writes
//! here; lists in `list`, the link tables and search index in `index`, what rendering needs in
//! `rendering`, and section and tag counts in `taxonomy`. Revisions and change rows are written
//! by `newsroom::revisions` and `newsroom::changes`.

use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel::sqlite::Sqlite;

use crate::db::schema::articles;
use crate::newsroom::visibility::{self, Viewer};

mod index;
mod list;
mod rendering;
mod taxonomy;

pub use index::*;
pub use list::*;
pub use rendering::*;
pub use taxonomy::*;

/// An article as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = articles, check_for_backend(Sqlite))]
pub struct ArticleRow {
    /// Primary key.
    pub id: String,
    /// Unique slug.
    pub slug: String,
    /// Headline.
    pub headline: String,
    /// Standfirst.
    pub standfirst: Option<String>,
    /// Body blocks as JSON.
    pub body: String,
    /// Body rendered at write time.
    pub body_html: String,
    /// Section.
    pub section: Option<String>,
    /// Byline.
    pub byline: Option<String>,
    /// Source outlet or agency.
    pub source: Option<String>,
    /// Dateline.
    pub dateline: Option<String>,
    /// Language tag.
    pub language: String,
    /// Stored status (`scheduled` stays stored after its time passes).
    pub status: String,
    /// Publication time.
    pub published_at: Option<String>,
    /// Embargo end.
    pub embargo_until: Option<String>,
    /// Hero photo.
    pub hero_media_id: Option<String>,
    /// Canonical URL.
    pub canonical_url: Option<String>,
    /// Copyright line.
    pub copyright: Option<String>,
    /// Corrections as a JSON array.
    pub corrections: String,
    /// The user who created it.
    pub author_id: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// Last change time.
    pub updated_at: String,
    /// Version, grows with each change.
    pub version: i64,
    /// Tags as a JSON array.
    pub tags: String,
    /// When it was first published; the slug is frozen from then on.
    pub first_published_at: Option<String>,
}

/// The insert form of an article.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = articles)]
pub struct NewArticle {
    /// Primary key.
    pub id: String,
    /// Unique slug.
    pub slug: String,
    /// Headline.
    pub headline: String,
    /// Standfirst.
    pub standfirst: Option<String>,
    /// Body blocks as JSON.
    pub body: String,
    /// Rendered body.
    pub body_html: String,
    /// Section.
    pub section: Option<String>,
    /// Byline.
    pub byline: Option<String>,
    /// Source.
    pub source: Option<String>,
    /// Dateline.
    pub dateline: Option<String>,
    /// Language.
    pub language: String,
    /// Always `draft` on create.
    pub status: String,
    /// Embargo end.
    pub embargo_until: Option<String>,
    /// Hero photo.
    pub hero_media_id: Option<String>,
    /// Canonical URL.
    pub canonical_url: Option<String>,
    /// Copyright line.
    pub copyright: Option<String>,
    /// Corrections JSON (empty).
    pub corrections: String,
    /// Creator.
    pub author_id: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// Same as creation time.
    pub updated_at: String,
    /// 1.
    pub version: i64,
    /// Tags JSON.
    pub tags: String,
}

/// The update form: every column a change may set (None sets NULL).
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = articles, treat_none_as_null = true)]
pub struct ArticleChanges {
    /// Slug.
    pub slug: String,
    /// Headline.
    pub headline: String,
    /// Standfirst.
    pub standfirst: Option<String>,
    /// Body JSON.
    pub body: String,
    /// Rendered body.
    pub body_html: String,
    /// Section.
    pub section: Option<String>,
    /// Byline.
    pub byline: Option<String>,
    /// Source.
    pub source: Option<String>,
    /// Dateline.
    pub dateline: Option<String>,
    /// Language.
    pub language: String,
    /// Status.
    pub status: String,
    /// Publication time.
    pub published_at: Option<String>,
    /// Embargo end.
    pub embargo_until: Option<String>,
    /// Hero photo.
    pub hero_media_id: Option<String>,
    /// Canonical URL.
    pub canonical_url: Option<String>,
    /// Copyright.
    pub copyright: Option<String>,
    /// Corrections JSON.
    pub corrections: String,
    /// Change time.
    pub updated_at: String,
    /// New version.
    pub version: i64,
    /// Tags JSON.
    pub tags: String,
    /// First publication time.
    pub first_published_at: Option<String>,
}

impl ArticleRow {
    /// The update form that would store this row as it is now.
    pub fn changes(&self) -> ArticleChanges {
        ArticleChanges {
            slug: self.slug.clone(),
            headline: self.headline.clone(),
            standfirst: self.standfirst.clone(),
            body: self.body.clone(),
            body_html: self.body_html.clone(),
            section: self.section.clone(),
            byline: self.byline.clone(),
            source: self.source.clone(),
            dateline: self.dateline.clone(),
            language: self.language.clone(),
            status: self.status.clone(),
            published_at: self.published_at.clone(),
            embargo_until: self.embargo_until.clone(),
            hero_media_id: self.hero_media_id.clone(),
            canonical_url: self.canonical_url.clone(),
            copyright: self.copyright.clone(),
            corrections: self.corrections.clone(),
            updated_at: self.updated_at.clone(),
            version: self.version,
            tags: self.tags.clone(),
            first_published_at: self.first_published_at.clone(),
        }
    }
}

/// A boxed condition on the articles table.
pub type ArticleCondition = Box<dyn BoxableExpression<articles::table, Sqlite, SqlType = Bool>>;

/// The status as readers see it: a scheduled article whose time has passed is `published`.
pub fn shown_status(row: &ArticleRow, now: &str) -> String {
    if row.status == "scheduled" && row.published_at.as_deref().is_some_and(|at| at <= now) {
        "published".to_owned()
    } else {
        row.status.clone()
    }
}

/// The article with this id or slug, if `viewer` may see it at `now`.
pub fn find_visible(
    conn: &mut SqliteConnection,
    key: &str,
    viewer: &Viewer,
    now: &str,
) -> QueryResult<Option<ArticleRow>> {
    articles::table
        .filter(articles::id.eq(key).or(articles::slug.eq(key)))
        .filter(visibility::articles(viewer, now))
        .select(ArticleRow::as_select())
        .first(conn)
        .optional()
}

/// The article with this id or slug, whoever may see it.
pub fn find(conn: &mut SqliteConnection, key: &str) -> QueryResult<Option<ArticleRow>> {
    articles::table
        .filter(articles::id.eq(key).or(articles::slug.eq(key)))
        .select(ArticleRow::as_select())
        .first(conn)
        .optional()
}

/// True when another article (not `except_id`) already has this slug.
pub fn slug_taken(
    conn: &mut SqliteConnection,
    slug: &str,
    except_id: Option<&str>,
) -> QueryResult<bool> {
    let mut query = articles::table
        .select(articles::id)
        .filter(articles::slug.eq(slug))
        .into_boxed();
    if let Some(id) = except_id {
        query = query.filter(articles::id.ne(id.to_owned()));
    }
    Ok(query.first::<String>(conn).optional()?.is_some())
}

/// Stores a new article.
pub fn insert(conn: &mut SqliteConnection, new: &NewArticle) -> QueryResult<()> {
    diesel::insert_into(articles::table)
        .values(new)
        .execute(conn)?;
    Ok(())
}

/// Stores changes to an article.
pub fn update(conn: &mut SqliteConnection, id: &str, changes: &ArticleChanges) -> QueryResult<()> {
    diesel::update(articles::table.find(id))
        .set(changes)
        .execute(conn)?;
    Ok(())
}

/// Removes an article, its links and its search entry (revisions go with it).
pub fn delete(conn: &mut SqliteConnection, id: &str) -> QueryResult<()> {
    index::remove_search_entry(conn, id)?;
    diesel::delete(articles::table.find(id)).execute(conn)?;
    Ok(())
}

/// Loads several articles by id.
pub fn by_ids(conn: &mut SqliteConnection, ids: &[String]) -> QueryResult<Vec<ArticleRow>> {
    articles::table
        .filter(articles::id.eq_any(ids))
        .select(ArticleRow::as_select())
        .load(conn)
}
