//! Article storage: rows and forms, lists with keyset pagination,
//! the link tables, search index, revisions and change log kept in step on every write.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use diesel::sqlite::Sqlite;

use crate::content::{MediaRef, QuoteRef, RenderContext};
use std::collections::HashMap;

use diesel::dsl::count_star;

use crate::db::schema::{
    article_media, article_quotes, article_revisions, article_tags, articles, changes, media,
    quotes, speakers, taxonomy_counts,
};
use crate::newsroom::story;
use crate::newsroom::visibility::{self, Viewer};

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

/// What a list may be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    /// Publication time (unpublished last when descending).
    PublishedAt,
    /// Last change.
    UpdatedAt,
    /// Creation.
    CreatedAt,
    /// Headline, alphabetically.
    Headline,
}

impl SortField {
    /// The column name.
    pub fn column(self) -> &'static str {
        match self {
            SortField::PublishedAt => "published_at",
            SortField::UpdatedAt => "updated_at",
            SortField::CreatedAt => "created_at",
            SortField::Headline => "headline",
        }
    }

    /// The sort key of a row, as kept in a cursor.
    pub fn key_of(self, row: &ArticleRow) -> Option<String> {
        match self {
            SortField::PublishedAt => row.published_at.clone(),
            SortField::UpdatedAt => Some(row.updated_at.clone()),
            SortField::CreatedAt => Some(row.created_at.clone()),
            SortField::Headline => Some(row.headline.clone()),
        }
    }
}

/// A list request, already checked.
#[derive(Debug, Clone)]
pub struct ListFilter {
    /// The current time, for visibility.
    pub now: String,
    /// Who is looking.
    pub viewer: Viewer,
    /// Only this section.
    pub section: Option<String>,
    /// Only articles carrying every one of these tags.
    pub tags: Vec<String>,
    /// Only articles quoting this speaker (id or slug).
    pub speaker: Option<String>,
    /// Only this shown status.
    pub status: Option<String>,
    /// Published at or after.
    pub published_after: Option<String>,
    /// Published before.
    pub published_before: Option<String>,
    /// Changed at or after.
    pub updated_since: Option<String>,
    /// An FTS5 match expression.
    pub search: Option<String>,
}

/// Where a page starts: after the item with this sort key and id.
#[derive(Debug, Clone)]
pub struct After {
    /// Sort key of the last item seen.
    pub key: Option<String>,
    /// Id of the last item seen.
    pub id: String,
}

fn filtered(filter: &ListFilter) -> articles::BoxedQuery<'static, Sqlite> {
    let now = filter.now.clone();
    let mut query = articles::table
        .into_boxed()
        .filter(visibility::articles(&filter.viewer, &now));
    if let Some(section) = &filter.section {
        query = query.filter(articles::section.eq(section.clone()));
    }
    for tag in &filter.tags {
        query = query.filter(
            articles::id.eq_any(
                article_tags::table
                    .select(article_tags::article_id)
                    .filter(article_tags::tag.eq(tag.clone())),
            ),
        );
    }
    if let Some(speaker) = &filter.speaker {
        query = query.filter(story::quoting(speaker));
    }
    if let Some(status) = &filter.status {
        query = match status.as_str() {
            "published" => query.filter(
                articles::status.eq("published").or(articles::status
                    .eq("scheduled")
                    .and(articles::published_at.assume_not_null().le(now.clone()))),
            ),
            "scheduled" => query.filter(
                articles::status
                    .eq("scheduled")
                    .and(articles::published_at.assume_not_null().gt(now.clone())),
            ),
            other => query.filter(articles::status.eq(other.to_owned())),
        };
    }
    if let Some(after) = &filter.published_after {
        query = query.filter(articles::published_at.assume_not_null().ge(after.clone()));
    }
    if let Some(before) = &filter.published_before {
        query = query.filter(articles::published_at.assume_not_null().lt(before.clone()));
    }
    if let Some(since) = &filter.updated_since {
        query = query.filter(articles::updated_at.ge(since.clone()));
    }
    if let Some(search) = &filter.search {
        query = query.filter(
            sql::<Bool>(
                "articles.id IN (SELECT article_id FROM articles_fts WHERE articles_fts MATCH ",
            )
            .bind::<Text, _>(search.clone())
            .sql(")"),
        );
    }
    query
}

fn keyset(field: SortField, descending: bool, after: &After) -> ArticleCondition {
    let col = format!("articles.{}", field.column());
    let (cmp, id_cmp) = if descending { ("<", "<") } else { (">", ">") };
    match (&after.key, descending) {
        (Some(key), true) if field == SortField::PublishedAt => Box::new(
            sql::<Bool>(&format!("({col} {cmp} "))
                .bind::<Text, _>(key.clone())
                .sql(&format!(" OR ({col} = "))
                .bind::<Text, _>(key.clone())
                .sql(&format!(" AND articles.id {id_cmp} "))
                .bind::<Text, _>(after.id.clone())
                .sql(&format!(") OR {col} IS NULL)")),
        ),
        (Some(key), _) => Box::new(
            sql::<Bool>(&format!("({col} {cmp} "))
                .bind::<Text, _>(key.clone())
                .sql(&format!(" OR ({col} = "))
                .bind::<Text, _>(key.clone())
                .sql(&format!(" AND articles.id {id_cmp} "))
                .bind::<Text, _>(after.id.clone())
                .sql("))"),
        ),
        (None, true) => Box::new(
            sql::<Bool>(&format!("({col} IS NULL AND articles.id < "))
                .bind::<Text, _>(after.id.clone())
                .sql(")"),
        ),
        (None, false) => Box::new(
            sql::<Bool>(&format!("(({col} IS NULL AND articles.id > "))
                .bind::<Text, _>(after.id.clone())
                .sql(&format!(") OR {col} IS NOT NULL)")),
        ),
    }
}

/// One page of articles matching `filter` in `sort` order, starting after `after`; asks for
/// `limit` rows (callers ask one more than they show to learn whether a next page exists).
pub fn list(
    conn: &mut SqliteConnection,
    filter: &ListFilter,
    sort: SortField,
    descending: bool,
    after: Option<&After>,
    limit: i64,
) -> QueryResult<Vec<ArticleRow>> {
    let mut query = filtered(filter);
    if let Some(after) = after {
        query = query.filter(keyset(sort, descending, after));
    }
    query = match (sort, descending) {
        (SortField::PublishedAt, true) => {
            query.order((articles::published_at.desc(), articles::id.desc()))
        }
        (SortField::PublishedAt, false) => {
            query.order((articles::published_at.asc(), articles::id.asc()))
        }
        (SortField::UpdatedAt, true) => {
            query.order((articles::updated_at.desc(), articles::id.desc()))
        }
        (SortField::UpdatedAt, false) => {
            query.order((articles::updated_at.asc(), articles::id.asc()))
        }
        (SortField::CreatedAt, true) => {
            query.order((articles::created_at.desc(), articles::id.desc()))
        }
        (SortField::CreatedAt, false) => {
            query.order((articles::created_at.asc(), articles::id.asc()))
        }
        (SortField::Headline, true) => {
            query.order((articles::headline.desc(), articles::id.desc()))
        }
        (SortField::Headline, false) => query.order((articles::headline.asc(), articles::id.asc())),
    };
    query
        .select(ArticleRow::as_select())
        .limit(limit)
        .load(conn)
}

/// How many articles match `filter` in all.
pub fn count(conn: &mut SqliteConnection, filter: &ListFilter) -> QueryResult<i64> {
    filtered(filter).count().get_result(conn)
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

/// Every slug starting with `prefix` (to pick a free `prefix-N`).
pub fn slugs_like(conn: &mut SqliteConnection, prefix: &str) -> QueryResult<Vec<String>> {
    articles::table
        .select(articles::slug)
        .filter(
            articles::slug
                .eq(prefix)
                .or(articles::slug.like(format!("{prefix}-%"))),
        )
        .load(conn)
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
    remove_search_entry(conn, id)?;
    diesel::delete(articles::table.find(id)).execute(conn)?;
    Ok(())
}

/// Replaces the tag, quote and media links of an article.
pub fn sync_links(
    conn: &mut SqliteConnection,
    id: &str,
    tags: &[String],
    quote_ids: &[String],
    media_ids: &[String],
) -> QueryResult<()> {
    diesel::delete(article_tags::table.filter(article_tags::article_id.eq(id))).execute(conn)?;
    diesel::delete(article_quotes::table.filter(article_quotes::article_id.eq(id)))
        .execute(conn)?;
    diesel::delete(article_media::table.filter(article_media::article_id.eq(id))).execute(conn)?;
    let tag_rows: Vec<_> = dedup(tags)
        .into_iter()
        .map(|t| (article_tags::article_id.eq(id), article_tags::tag.eq(t)))
        .collect();
    if !tag_rows.is_empty() {
        diesel::insert_into(article_tags::table)
            .values(tag_rows)
            .execute(conn)?;
    }
    let quote_rows: Vec<_> = dedup(quote_ids)
        .into_iter()
        .map(|q| {
            (
                article_quotes::article_id.eq(id),
                article_quotes::quote_id.eq(q),
            )
        })
        .collect();
    if !quote_rows.is_empty() {
        diesel::insert_into(article_quotes::table)
            .values(quote_rows)
            .execute(conn)?;
    }
    let media_rows: Vec<_> = dedup(media_ids)
        .into_iter()
        .map(|m| {
            (
                article_media::article_id.eq(id),
                article_media::media_id.eq(m),
            )
        })
        .collect();
    if !media_rows.is_empty() {
        diesel::insert_into(article_media::table)
            .values(media_rows)
            .execute(conn)?;
    }
    Ok(())
}

fn dedup(items: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        if !out.contains(item) {
            out.push(item.clone());
        }
    }
    out
}

/// Replaces the search index entry of an article.
pub fn sync_search(
    conn: &mut SqliteConnection,
    id: &str,
    headline: &str,
    standfirst: &str,
    body: &str,
) -> QueryResult<()> {
    remove_search_entry(conn, id)?;
    diesel::sql_query(
        "INSERT INTO articles_fts (article_id, headline, standfirst, body) VALUES (?, ?, ?, ?)",
    )
    .bind::<Text, _>(id)
    .bind::<Text, _>(headline)
    .bind::<Text, _>(standfirst)
    .bind::<Text, _>(body)
    .execute(conn)?;
    diesel::sql_query(
        "INSERT OR REPLACE INTO articles_fts_rows (article_id, fts_rowid) VALUES (?, last_insert_rowid())",
    )
    .bind::<Text, _>(id)
    .execute(conn)?;
    Ok(())
}

/// Drops an article's search entry, found through `articles_fts_rows` by primary key: the FTS
/// table itself cannot index `article_id`, so a `WHERE article_id = ?` there reads every row.
fn remove_search_entry(conn: &mut SqliteConnection, id: &str) -> QueryResult<()> {
    diesel::sql_query(
        "DELETE FROM articles_fts WHERE rowid = \
         (SELECT fts_rowid FROM articles_fts_rows WHERE article_id = ?)",
    )
    .bind::<Text, _>(id)
    .execute(conn)?;
    diesel::sql_query("DELETE FROM articles_fts_rows WHERE article_id = ?")
        .bind::<Text, _>(id)
        .execute(conn)?;
    Ok(())
}

/// Turns a reader's search words into a safe FTS5 expression (every word must match; a
/// trailing word matches as a prefix). None when there are no words.
pub fn fts_expression(q: &str) -> Option<String> {
    let words: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(|w| format!("\"{}\"", w.replace('"', "")))
        .collect();
    if words.is_empty() {
        None
    } else {
        Some(words.join(" "))
    }
}

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

/// What a quote block needs from the quote and its speaker.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(check_for_backend(Sqlite))]
struct QuoteRefRow {
    #[diesel(select_expression = quotes::id)]
    id: String,
    #[diesel(select_expression = quotes::text)]
    text: String,
    #[diesel(select_expression = quotes::speaker_title)]
    speaker_title: Option<String>,
    #[diesel(select_expression = speakers::name)]
    name: String,
    #[diesel(select_expression = speakers::title)]
    title: Option<String>,
    #[diesel(select_expression = speakers::organization)]
    organization: Option<String>,
}

/// What a media block needs from the photo.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = media, check_for_backend(Sqlite))]
struct MediaRefRow {
    id: String,
    caption: Option<String>,
    credit: Option<String>,
    alt_text: Option<String>,
    width: i32,
    height: i32,
}

/// What the renderer needs about the given quotes and media (absent ids are simply missing
/// from the result, which is how dangling references are found). Two queries.
pub fn render_context(
    conn: &mut SqliteConnection,
    quote_ids: &[String],
    media_ids: &[String],
) -> QueryResult<RenderContext> {
    let mut ctx = RenderContext::default();
    if !quote_ids.is_empty() {
        let rows: Vec<QuoteRefRow> = quotes::table
            .inner_join(speakers::table)
            .filter(quotes::id.eq_any(quote_ids))
            .select(QuoteRefRow::as_select())
            .load(conn)?;
        for row in rows {
            ctx.quotes.insert(
                row.id,
                QuoteRef {
                    text: row.text,
                    speaker_name: row.name,
                    speaker_title: row.speaker_title.or(row.title),
                    organization: row.organization,
                },
            );
        }
    }
    if !media_ids.is_empty() {
        let rows: Vec<MediaRefRow> = media::table
            .filter(media::id.eq_any(media_ids))
            .select(MediaRefRow::as_select())
            .load(conn)?;
        for row in rows {
            ctx.media.insert(
                row.id,
                MediaRef {
                    caption: row.caption,
                    credit: row.credit,
                    alt_text: row.alt_text,
                    width: row.width,
                    height: row.height,
                },
            );
        }
    }
    Ok(ctx)
}

/// The ids of the articles whose bodies use any of these quotes, quotes by these speakers, or
/// these photos (to render them again after one of those changes).
pub fn using(
    conn: &mut SqliteConnection,
    quote_ids: &[String],
    speaker_ids: &[String],
    media_ids: &[String],
) -> QueryResult<Vec<String>> {
    let mut ids: Vec<String> = Vec::new();
    if !quote_ids.is_empty() {
        ids.extend(
            article_quotes::table
                .filter(article_quotes::quote_id.eq_any(quote_ids))
                .select(article_quotes::article_id)
                .load::<String>(conn)?,
        );
    }
    if !speaker_ids.is_empty() {
        ids.extend(
            article_quotes::table
                .inner_join(quotes::table)
                .filter(quotes::speaker_id.eq_any(speaker_ids))
                .select(article_quotes::article_id)
                .load::<String>(conn)?,
        );
    }
    if !media_ids.is_empty() {
        ids.extend(
            article_media::table
                .filter(article_media::media_id.eq_any(media_ids))
                .select(article_media::article_id)
                .load::<String>(conn)?,
        );
    }
    Ok(dedup(&ids))
}

/// Loads several articles by id.
pub fn by_ids(conn: &mut SqliteConnection, ids: &[String]) -> QueryResult<Vec<ArticleRow>> {
    articles::table
        .filter(articles::id.eq_any(ids))
        .select(ArticleRow::as_select())
        .load(conn)
}

/// Stores a new rendering of an article's body (same content, so the version stays).
pub fn set_body_html(
    conn: &mut SqliteConnection,
    id: &str,
    body_html: &str,
    at: &str,
) -> QueryResult<()> {
    diesel::update(articles::table.find(id))
        .set((
            articles::body_html.eq(body_html),
            articles::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The kept counts of `kind` (`section` or `tag`) less those of the released articles still
/// waiting for their time (`waiting`), by name, without the terms that come to zero.
fn visible_counts(
    conn: &mut SqliteConnection,
    kind: &str,
    waiting: HashMap<String, i64>,
) -> QueryResult<Vec<(String, i64)>> {
    let kept: Vec<(String, i64)> = taxonomy_counts::table
        .filter(taxonomy_counts::kind.eq(kind))
        .filter(taxonomy_counts::released.gt(0))
        .order(taxonomy_counts::name.asc())
        .select((taxonomy_counts::name, taxonomy_counts::released))
        .load(conn)?;
    Ok(kept
        .into_iter()
        .map(|(name, n)| {
            let n = n - waiting.get(&name).copied().unwrap_or(0);
            (name, n)
        })
        .filter(|(_, n)| *n > 0)
        .collect())
}

/// Sections of publicly visible articles with how many each has, by name. Reads the counts
/// the `taxonomy_counts` triggers keep, so its cost does not grow with the archive.
pub fn section_counts(conn: &mut SqliteConnection, now: &str) -> QueryResult<Vec<(String, i64)>> {
    let waiting = visibility::waiting(conn, now)?;
    let pending: HashMap<String, i64> = articles::table
        .filter(articles::id.eq_any(&waiting))
        .filter(articles::section.is_not_null())
        .group_by(articles::section)
        .select((articles::section.assume_not_null(), count_star()))
        .load(conn)?
        .into_iter()
        .collect();
    visible_counts(conn, "section", pending)
}

/// Tags of publicly visible articles with how many each has, by name (see [`section_counts`]).
pub fn tag_counts(conn: &mut SqliteConnection, now: &str) -> QueryResult<Vec<(String, i64)>> {
    let waiting = visibility::waiting(conn, now)?;
    let pending: HashMap<String, i64> = article_tags::table
        .filter(article_tags::article_id.eq_any(&waiting))
        .group_by(article_tags::tag)
        .select((article_tags::tag, count_star()))
        .load(conn)?
        .into_iter()
        .collect();
    visible_counts(conn, "tag", pending)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_are_quoted_so_no_fts_syntax_gets_through() {
        assert_eq!(
            fts_expression("rates AND \"bank\" NEAR(x)").as_deref(),
            Some("\"rates\" \"AND\" \"bank\" \"NEAR\" \"x\"")
        );
        assert_eq!(fts_expression(" -- ** "), None);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod plan_tests {
    use super::*;
    use diesel::connection::SimpleConnection;
    use diesel_migrations::MigrationHarness;

    /// The SQL text of a query with its bound strings put in place, for EXPLAIN.
    fn inline_sql(query: &articles::BoxedQuery<'static, Sqlite>) -> String {
        let debug = diesel::debug_query::<Sqlite, _>(query).to_string();
        let (sql, binds) = debug.split_once(" -- binds: ").unwrap();
        let binds: Vec<serde_json::Value> = serde_json::from_str(binds).unwrap();
        let mut values = binds.iter();
        let mut text = String::new();
        for c in sql.chars() {
            match (c, values.len()) {
                ('?', n) if n > 0 => match values.next().unwrap() {
                    serde_json::Value::String(v) => {
                        text.push_str(&format!("'{}'", v.replace('\'', "''")))
                    }
                    other => text.push_str(&other.to_string()),
                },
                _ => text.push(c),
            }
        }
        text
    }

    fn plan(conn: &mut SqliteConnection, query: &articles::BoxedQuery<'static, Sqlite>) -> String {
        plan_of(conn, &inline_sql(query))
    }

    /// The steps of `EXPLAIN QUERY PLAN` for an SQL statement, one a line.
    fn plan_of(conn: &mut SqliteConnection, sql: &str) -> String {
        #[derive(QueryableByName)]
        struct Step {
            #[diesel(sql_type = Text)]
            detail: String,
        }
        diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
            .load::<Step>(conn)
            .unwrap()
            .into_iter()
            .map(|s| s.detail)
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn public_lists_walk_an_index_in_order_without_sorting() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        conn.run_pending_migrations(crate::db::MIGRATIONS).unwrap();
        let mut filter = ListFilter {
            now: "2026-11-30T00:00:00.000000Z".into(),
            viewer: Viewer::Public,
            section: None,
            tags: Vec::new(),
            speaker: None,
            status: None,
            published_after: None,
            published_before: None,
            updated_since: None,
            search: None,
        };
        for section in [None, Some("business".to_owned())] {
            filter.section = section;
            let query = filtered(&filter)
                .order((articles::published_at.desc(), articles::id.desc()))
                .limit(21);
            let plan = plan(&mut conn, &query);
            assert!(!plan.contains("TEMP B-TREE"), "{plan}");
            assert!(plan.contains("USING INDEX articles_by_"), "{plan}");
        }
    }

    #[test]
    fn rewriting_an_article_s_search_entry_is_a_lookup_not_a_scan() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        conn.run_pending_migrations(crate::db::MIGRATIONS).unwrap();
        let plan = plan_of(
            &mut conn,
            "DELETE FROM articles_fts WHERE rowid = \
             (SELECT fts_rowid FROM articles_fts_rows WHERE article_id = 'a')",
        );
        // FTS5 reports a rowid lookup as its virtual index with an `=` constraint; a bare
        // `INDEX 0:` is a read of the whole index.
        assert!(
            plan.lines()
                .any(|l| l.starts_with("SCAN articles_fts VIRTUAL TABLE") && l.ends_with(":=")),
            "{plan}"
        );
        assert!(plan.contains("SEARCH articles_fts_rows USING"), "{plan}");

        // Writing the same article twice leaves one search row, found by its words.
        sync_search(&mut conn, "a", "Harbour tolls", "", "first body").unwrap();
        sync_search(&mut conn, "a", "Harbour tolls rise", "", "second body").unwrap();
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        fn count(conn: &mut SqliteConnection, sql: &str) -> i64 {
            diesel::sql_query(sql).get_result::<Count>(conn).unwrap().n
        }
        assert_eq!(
            count(&mut conn, "SELECT count(*) AS n FROM articles_fts"),
            1
        );
        assert_eq!(
            count(
                &mut conn,
                "SELECT count(*) AS n FROM articles_fts WHERE articles_fts MATCH 'second'"
            ),
            1
        );
        delete(&mut conn, "a").unwrap();
        assert_eq!(
            count(&mut conn, "SELECT count(*) AS n FROM articles_fts"),
            0
        );
        assert_eq!(
            count(&mut conn, "SELECT count(*) AS n FROM articles_fts_rows"),
            0
        );
    }

    type Counts = Vec<(String, i64)>;

    /// Counting every visible article the slow way, to check the kept counts against.
    fn counted(conn: &mut SqliteConnection, now: &str) -> (Counts, Counts) {
        let sections = articles::table
            .filter(visibility::articles(&Viewer::Public, now))
            .filter(articles::section.is_not_null())
            .group_by(articles::section)
            .select((
                articles::section.assume_not_null(),
                diesel::dsl::count_star(),
            ))
            .order(articles::section.asc())
            .load(conn)
            .unwrap();
        let visible: Vec<String> = articles::table
            .select(articles::id)
            .filter(visibility::articles(&Viewer::Public, now))
            .load(conn)
            .unwrap();
        let tags = article_tags::table
            .filter(article_tags::article_id.eq_any(visible))
            .group_by(article_tags::tag)
            .select((article_tags::tag, diesel::dsl::count_star()))
            .order(article_tags::tag.asc())
            .load(conn)
            .unwrap();
        (sections, tags)
    }

    #[test]
    fn kept_section_and_tag_counts_match_a_full_count_through_every_kind_of_write() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        conn.batch_execute("PRAGMA foreign_keys = ON").unwrap();
        conn.run_pending_migrations(crate::db::MIGRATIONS).unwrap();
        let now = "2026-11-30T12:00:00.000000Z";
        let sections = ["'business'", "'flash'", "NULL"];
        let statuses = ["draft", "scheduled", "published", "archived"];
        // Past, future (scheduled or not yet visible) and none.
        let times = [
            "'2026-11-01T00:00:00.000000Z'",
            "'2026-12-24T00:00:00.000000Z'",
            "NULL",
        ];
        let tags = ["economy", "rates", "energy"];
        // A fixed linear congruential sequence: the same writes on every run.
        let mut seed: u64 = 7;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(seed >> 33).unwrap() % n
        };
        let mut live: Vec<usize> = Vec::new();
        for step in 0..600 {
            let op = if live.is_empty() { 0 } else { next(5) };
            let sql = match op {
                0 | 1 => {
                    let id = step;
                    live.push(id);
                    let mut sql = format!(
                        "INSERT INTO articles (id, slug, headline, section, status, published_at, \
                         embargo_until, created_at, updated_at) VALUES ('a{id}', 'a{id}', 'h', {}, \
                         '{}', {}, {}, 't', 't');",
                        sections[next(3)],
                        statuses[next(4)],
                        times[next(3)],
                        times[next(3)],
                    );
                    for (i, tag) in tags.iter().enumerate() {
                        if next(2) == 0 || i == 0 {
                            sql.push_str(&format!(
                                "INSERT INTO article_tags VALUES ('a{id}', '{tag}');"
                            ));
                        }
                    }
                    sql
                }
                2 => {
                    let id = live[next(live.len())];
                    format!(
                        "UPDATE articles SET status = '{}', published_at = {}, section = {}, \
                         embargo_until = {} WHERE id = 'a{id}';",
                        statuses[next(4)],
                        times[next(3)],
                        sections[next(3)],
                        times[next(3)],
                    )
                }
                3 => {
                    let id = live[next(live.len())];
                    format!(
                        "DELETE FROM article_tags WHERE article_id = 'a{id}';
                         INSERT INTO article_tags VALUES ('a{id}', '{}');",
                        tags[next(3)]
                    )
                }
                _ => {
                    let id = live.swap_remove(next(live.len()));
                    format!("DELETE FROM articles WHERE id = 'a{id}';")
                }
            };
            conn.batch_execute(&sql).unwrap();
            let expected = counted(&mut conn, now);
            let kept = (
                section_counts(&mut conn, now).unwrap(),
                tag_counts(&mut conn, now).unwrap(),
            );
            assert_eq!(kept, expected, "after step {step}: {sql}");
        }
        // The sequence exercised visible and not-yet-visible articles alike.
        let (sections, tags) = counted(&mut conn, now);
        assert!(!sections.is_empty() && !tags.is_empty());
    }

    #[test]
    fn finding_the_articles_waiting_for_their_time_walks_indexes() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        conn.run_pending_migrations(crate::db::MIGRATIONS).unwrap();
        let now = "2026-11-30T00:00:00.000000Z";
        let not_yet = articles::table
            .filter(articles::status.eq_any(["published", "scheduled"]))
            .filter(articles::published_at.gt(now))
            .select(articles::id);
        let embargoed = articles::table
            .filter(articles::embargo_until.gt(now))
            .filter(sql::<Bool>(
                "+articles.status IN ('published', 'scheduled')",
            ))
            .filter(articles::published_at.is_not_null())
            .select(articles::id);
        for query in [
            diesel::debug_query::<Sqlite, _>(&not_yet).to_string(),
            diesel::debug_query::<Sqlite, _>(&embargoed).to_string(),
        ] {
            let (sql, _) = query.split_once(" -- binds: ").unwrap();
            let sql = sql.replace('?', &format!("'{now}'"));
            let plan = plan_of(&mut conn, &sql);
            assert!(!plan.contains("SCAN articles"), "{plan}");
        }
    }
}
