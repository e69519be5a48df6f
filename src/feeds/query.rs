//! Loading what a feed shows: the newest visible articles with their tags, lead photo and the
//! people quoted, in four queries.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::db::schema::{article_tags, articles, speakers};
use crate::error::ApiError;
use crate::newsroom::story;
use crate::newsroom::visibility::{self, Viewer};

/// Items in a feed when `limit` is not given.
pub const DEFAULT_FEED_LIMIT: i64 = 20;
/// The most items a feed carries.
pub const MAX_FEED_LIMIT: i64 = 100;

/// Query parameters every feed accepts.
#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedFilter {
    /// Only articles in this section.
    pub section: Option<String>,
    /// Only articles with every one of these tags (repeat the parameter).
    #[serde(default)]
    #[param(style = Form, explode = true)]
    pub tag: Vec<String>,
    /// Only articles quoting this speaker (id or slug).
    pub speaker: Option<String>,
    /// Only articles published at or after this time (RFC 3339).
    pub published_after: Option<String>,
    /// Only articles published before this time (RFC 3339).
    pub published_before: Option<String>,
    /// How many items, 1 to 100 (default 20).
    pub limit: Option<i64>,
    /// A partner API key, for feed readers that cannot send headers.
    pub api_key: Option<String>,
    /// ninjs only: `3.1` (default) or `2.2`.
    pub version: Option<String>,
}

impl FeedFilter {
    /// Parses a query string, naming any unknown or malformed parameter in a 400.
    pub fn parse(query: &str) -> Result<FeedFilter, ApiError> {
        serde_html_form::from_str::<FeedFilter>(query)
            .map_err(|e| crate::http::fallback::query_problem(&e.to_string()))
    }

    fn time(field: &str, value: &Option<String>) -> Result<Option<String>, ApiError> {
        value
            .as_deref()
            .map(|v| {
                crate::time::normalize(v)
                    .ok_or_else(|| ApiError::bad_field(field, "must be an RFC 3339 time"))
            })
            .transpose()
    }
}

/// A photo as feeds show it.
#[derive(Debug, Clone)]
pub struct FeedMedia {
    /// Media id.
    pub id: String,
    /// Absolute URL of the file.
    pub url: String,
    /// Media type.
    pub content_type: String,
    /// Width in pixels.
    pub width: i32,
    /// Height in pixels.
    pub height: i32,
    /// Size in bytes.
    pub bytes: i64,
    /// Caption.
    pub caption: Option<String>,
    /// Credit line.
    pub credit: Option<String>,
    /// Alternative text.
    pub alt_text: Option<String>,
    /// Copyright notice.
    pub copyright: Option<String>,
}

/// Someone quoted in an article.
#[derive(Debug, Clone)]
pub struct FeedPerson {
    /// Speaker id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Job title.
    pub title: Option<String>,
    /// Organisation.
    pub organization: Option<String>,
}

/// One article as feeds show it.
#[derive(Debug, Clone)]
pub struct FeedArticle {
    /// Article id.
    pub id: String,
    /// Slug.
    pub slug: String,
    /// Headline.
    pub headline: String,
    /// Standfirst.
    pub standfirst: Option<String>,
    /// Sanitised HTML body.
    pub body_html: String,
    /// Section.
    pub section: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Byline.
    pub byline: Option<String>,
    /// Source outlet or agency.
    pub source: Option<String>,
    /// Dateline.
    pub dateline: Option<String>,
    /// Language tag.
    pub language: String,
    /// Publication time.
    pub published_at: String,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// Embargo end, if any.
    pub embargo_until: Option<String>,
    /// Canonical URL on the publisher's site.
    pub canonical_url: Option<String>,
    /// Copyright notice.
    pub copyright: Option<String>,
    /// Version number.
    pub version: i64,
    /// The lead photo, when there is one this caller may see.
    pub hero: Option<FeedMedia>,
    /// People quoted.
    pub people: Vec<FeedPerson>,
}

type ArticleRow = (
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    Option<String>,
);

/// Loads the newest articles visible to `caller` that match `filter`, newest first.
pub fn load_feed(
    conn: &mut SqliteConnection,
    filter: &FeedFilter,
    caller: &Caller,
    public_url: &str,
    only_id: Option<&str>,
) -> Result<Vec<FeedArticle>, ApiError> {
    let limit = match filter.limit {
        None => DEFAULT_FEED_LIMIT,
        Some(n) if (1..=MAX_FEED_LIMIT).contains(&n) => n,
        Some(_) => {
            return Err(ApiError::bad_field(
                "limit",
                format!("must be between 1 and {MAX_FEED_LIMIT}"),
            ));
        }
    };
    let after = FeedFilter::time("published_after", &filter.published_after)?;
    let before = FeedFilter::time("published_before", &filter.published_before)?;
    let now = crate::time::now();
    let viewer = Viewer::reader_of(caller);
    let mut query = articles::table
        .filter(visibility::articles(&viewer, &now))
        .into_boxed();
    if let Some(id) = only_id {
        query = query.filter(
            articles::id
                .eq(id.to_owned())
                .or(articles::slug.eq(id.to_owned())),
        );
    }
    if let Some(section) = &filter.section {
        query = query.filter(articles::section.eq(section.clone()));
    }
    // An empty `tag=` counts as absent, like every other empty parameter.
    for tag in filter.tag.iter().filter(|t| !t.is_empty()) {
        query = query.filter(
            articles::id.eq_any(
                article_tags::table
                    .filter(article_tags::tag.eq(tag.clone()))
                    .select(article_tags::article_id),
            ),
        );
    }
    if let Some(speaker) = &filter.speaker {
        query = query.filter(story::quoting(speaker));
    }
    if let Some(after) = after {
        query = query.filter(articles::published_at.ge(after));
    }
    if let Some(before) = before {
        query = query.filter(articles::published_at.lt(before));
    }
    let rows: Vec<ArticleRow> = query
        .order((articles::published_at.desc(), articles::id.desc()))
        .limit(limit)
        .select((
            articles::id,
            articles::slug,
            articles::headline,
            articles::standfirst,
            articles::body_html,
            articles::section,
            articles::byline,
            articles::source,
            articles::dateline,
            articles::language,
            articles::published_at,
            articles::created_at,
            articles::updated_at,
            articles::embargo_until,
            articles::canonical_url,
            articles::copyright,
            articles::version,
            articles::hero_media_id,
        ))
        .load(conn)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();

    let mut tags: HashMap<String, Vec<String>> = HashMap::new();
    for (article_id, tag) in article_tags::table
        .filter(article_tags::article_id.eq_any(&ids))
        .order((article_tags::article_id, article_tags::tag))
        .select((article_tags::article_id, article_tags::tag))
        .load::<(String, String)>(conn)?
    {
        tags.entry(article_id).or_default().push(tag);
    }

    let mut photos = story::photos_of(conn, &ids, &viewer, &now)?;
    let mut heroes: HashMap<String, FeedMedia> = HashMap::new();
    for row in &rows {
        let lead = row.17.as_deref().and_then(|hero| {
            photos.get_mut(&row.0).and_then(|list| {
                list.iter()
                    .position(|m| m.id == hero)
                    .map(|at| list.remove(at))
            })
        });
        if let Some(m) = lead {
            let url = format!("{public_url}/v1/media/{}/file", m.id);
            heroes.insert(
                row.0.clone(),
                FeedMedia {
                    url,
                    id: m.id,
                    content_type: m.content_type,
                    width: m.width,
                    height: m.height,
                    bytes: m.bytes,
                    caption: m.caption,
                    credit: m.credit,
                    alt_text: m.alt_text,
                    copyright: m.copyright,
                },
            );
        }
    }

    let quoted = story::quotes_of(conn, &ids, &viewer, &now)?;
    let speaker_ids: Vec<&String> = quoted.values().flatten().map(|q| &q.speaker_id).collect();
    let speakers_by_id: HashMap<String, FeedPerson> = speakers::table
        .filter(speakers::id.eq_any(speaker_ids))
        .select((
            speakers::id,
            speakers::name,
            speakers::title,
            speakers::organization,
        ))
        .load::<(String, String, Option<String>, Option<String>)>(conn)?
        .into_iter()
        .map(|(id, name, title, organization)| {
            (
                id.clone(),
                FeedPerson {
                    id,
                    name,
                    title,
                    organization,
                },
            )
        })
        .collect();
    let mut people: HashMap<String, Vec<FeedPerson>> = HashMap::new();
    for (article_id, said) in quoted {
        let list = people.entry(article_id).or_default();
        for quote in said {
            if let Some(person) = speakers_by_id.get(&quote.speaker_id)
                && !list.iter().any(|p| p.id == person.id)
            {
                list.push(person.clone());
            }
        }
    }

    Ok(rows
        .into_iter()
        .map(|r| FeedArticle {
            tags: tags.remove(&r.0).unwrap_or_default(),
            people: people.remove(&r.0).unwrap_or_default(),
            hero: heroes.remove(&r.0),
            id: r.0,
            slug: r.1,
            headline: r.2,
            standfirst: r.3,
            body_html: absolute_links(&r.4, public_url),
            section: r.5,
            byline: r.6,
            source: r.7,
            dateline: r.8,
            language: r.9,
            published_at: r.10.unwrap_or_default(),
            created_at: r.11,
            updated_at: r.12,
            embargo_until: r.13,
            canonical_url: r.14,
            copyright: r.15,
            version: r.16,
        })
        .collect())
}

/// Makes the server-relative links of stored HTML (`src="/v1/media/..."`) absolute, since a feed
/// is read away from the API and readers resolve relative links against the wrong base.
/// Protocol-relative (`//host`) and absolute links are left alone.
pub fn absolute_links(html: &str, public_url: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find("=\"/") {
        let (before, after) = rest.split_at(at + 2);
        out.push_str(before);
        let attribute_ok = before.ends_with(" src=\"") || before.ends_with(" href=\"");
        if attribute_ok && !after.starts_with("//") {
            out.push_str(public_url);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::absolute_links;

    #[test]
    fn server_relative_links_become_absolute_and_others_stay() {
        let html = r#"<img src="/v1/media/m/file" alt="x"><a href="/v1/articles/a">a</a><a href="//cdn.example/x">c</a><a href="https://e.example/">e</a><p>x="/not-an-attribute"</p>"#;
        assert_eq!(
            absolute_links(html, "https://api.example"),
            r#"<img src="https://api.example/v1/media/m/file" alt="x"><a href="https://api.example/v1/articles/a">a</a><a href="//cdn.example/x">c</a><a href="https://e.example/">e</a><p>x="/not-an-attribute"</p>"#
        );
    }
}
