//! An article as the API shows it, whole and as listed, and what an `include=` adds.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::content::Block;
use crate::db::articles::{self as store, ArticleRow};
use crate::views::media::Media;
use crate::views::quotes::Quote;
use crate::views::speakers::Speaker;

/// A correction notice appended to an article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"at": "2026-11-30T14:00:00.000000Z", "note": "An earlier version misspelt the minister's name."}))]
pub struct Correction {
    /// When the correction was made.
    pub at: String,
    /// What was corrected.
    pub note: String,
}

/// Links of an article.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ArticleLinks {
    /// This article in the API.
    #[serde(rename = "self")]
    pub self_: String,
    /// The article on the publisher's site, when a canonical URL is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

/// An article with its full body, as returned by single-article reads and writes.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "019ad5d2-7c1e-7a51-9a44-0c2b8f7e3a10",
    "slug": "harbour-tolls-rise-for-the-first-time-in-a-decade",
    "headline": "Harbour tolls rise for the first time in a decade",
    "standfirst": "Shipping firms say the increase will reach shop prices by spring.",
    "body": [
        {"id": "b1", "type": "paragraph", "text": "The port authority raised tolls by *eight per cent* on Monday."},
        {"id": "b2", "type": "quote", "quote_id": "019ad5d2-7c1e-7a51-9a44-0c2b8f7e3a11"}
    ],
    "body_html": "<p>The port authority raised tolls by <em>eight per cent</em> on Monday.</p>\n",
    "section": "business",
    "tags": ["shipping", "prices"],
    "byline": "Mara Quist",
    "source": "example-news.com",
    "dateline": "Port Elan",
    "language": "en",
    "status": "published",
    "published_at": "2026-11-30T09:00:00.000000Z",
    "embargo_until": null,
    "hero_media_id": null,
    "canonical_url": "https://example-news.com/business/harbour-tolls",
    "copyright": "© 2026 Example News",
    "corrections": [],
    "links": {
        "self": "http://127.0.0.1:8080/v1/articles/019ad5d2-7c1e-7a51-9a44-0c2b8f7e3a10",
        "html": "https://example-news.com/business/harbour-tolls"
    },
    "created_at": "2026-11-30T08:00:00.000000Z",
    "updated_at": "2026-11-30T09:00:00.000000Z",
    "version": 3
}))]
pub struct Article {
    /// Opaque, time-ordered id.
    pub id: String,
    /// Unique; usable wherever the id is. Frozen once the article is first published.
    pub slug: String,
    /// The headline.
    pub headline: String,
    /// The standfirst (summary under the headline).
    pub standfirst: Option<String>,
    /// The body blocks.
    pub body: Vec<Block>,
    /// The body rendered to sanitised HTML when it was saved.
    pub body_html: String,
    /// The section, e.g. `business`.
    pub section: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Who wrote it, as printed.
    pub byline: Option<String>,
    /// The outlet or agency, e.g. `example-news.com`.
    pub source: Option<String>,
    /// Where it was written.
    pub dateline: Option<String>,
    /// Language tag, e.g. `en`.
    pub language: String,
    /// `draft`, `scheduled`, `published` or `archived`. A scheduled article whose time has
    /// passed shows as `published`.
    #[schema(pattern = "^(draft|scheduled|published|archived)$")]
    pub status: String,
    /// When it was (or will be) published.
    pub published_at: Option<String>,
    /// Hidden from readers without `embargoed:read` until this time.
    pub embargo_until: Option<String>,
    /// The lead photo.
    pub hero_media_id: Option<String>,
    /// The article's address on the publisher's site.
    pub canonical_url: Option<String>,
    /// Copyright line.
    pub copyright: Option<String>,
    /// Corrections, oldest first; never rewritten.
    pub corrections: Vec<Correction>,
    /// Links.
    pub links: ArticleLinks,
    /// When it was created.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
    /// Grows with every change; `If-Match` compares it.
    pub version: i64,
    /// Related resources, with `include=`.
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub included: Option<Included>,
}

/// An article as listed (no `body_html`). With `fields=`, only the named fields (and `id`)
/// are present.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "019ad5d2-7c1e-7a51-9a44-0c2b8f7e3a10",
    "slug": "harbour-tolls-rise-for-the-first-time-in-a-decade",
    "headline": "Harbour tolls rise for the first time in a decade",
    "section": "business",
    "status": "published",
    "published_at": "2026-11-30T09:00:00.000000Z"
}))]
pub struct ArticleSummary {
    /// Opaque, time-ordered id.
    pub id: String,
    /// Unique slug.
    #[schema(required = false)]
    pub slug: String,
    /// The headline.
    #[schema(required = false)]
    pub headline: String,
    /// The standfirst.
    #[schema(required = false)]
    pub standfirst: Option<String>,
    /// The body blocks.
    #[schema(required = false)]
    pub body: Vec<Block>,
    /// The section.
    #[schema(required = false)]
    pub section: Option<String>,
    /// Tags.
    #[schema(required = false)]
    pub tags: Vec<String>,
    /// Byline.
    #[schema(required = false)]
    pub byline: Option<String>,
    /// Outlet or agency.
    #[schema(required = false)]
    pub source: Option<String>,
    /// Dateline.
    #[schema(required = false)]
    pub dateline: Option<String>,
    /// Language tag.
    #[schema(required = false)]
    pub language: String,
    /// Status as readers see it.
    #[schema(required = false, pattern = "^(draft|scheduled|published|archived)$")]
    pub status: String,
    /// Publication time.
    #[schema(required = false)]
    pub published_at: Option<String>,
    /// Embargo end.
    #[schema(required = false)]
    pub embargo_until: Option<String>,
    /// Lead photo.
    #[schema(required = false)]
    pub hero_media_id: Option<String>,
    /// Canonical URL.
    #[schema(required = false)]
    pub canonical_url: Option<String>,
    /// Copyright line.
    #[schema(required = false)]
    pub copyright: Option<String>,
    /// Corrections.
    #[schema(required = false)]
    pub corrections: Vec<Correction>,
    /// Links.
    #[schema(required = false)]
    pub links: ArticleLinks,
    /// Creation time.
    #[schema(required = false)]
    pub created_at: String,
    /// Last change time.
    #[schema(required = false)]
    pub updated_at: String,
    /// Version.
    #[schema(required = false)]
    pub version: i64,
}

/// The fields `fields=` may name.
pub const SUMMARY_FIELDS: &[&str] = &[
    "id",
    "slug",
    "headline",
    "standfirst",
    "body",
    "section",
    "tags",
    "byline",
    "source",
    "dateline",
    "language",
    "status",
    "published_at",
    "embargo_until",
    "hero_media_id",
    "canonical_url",
    "copyright",
    "corrections",
    "links",
    "created_at",
    "updated_at",
    "version",
];

fn json_list<T: serde::de::DeserializeOwned>(text: &str) -> Vec<T> {
    serde_json::from_str(text).unwrap_or_default()
}

fn links(row: &ArticleRow, public_url: &str) -> ArticleLinks {
    ArticleLinks {
        self_: format!("{public_url}/v1/articles/{}", row.id),
        html: row.canonical_url.clone(),
    }
}

/// The full representation of a stored article at time `now`.
pub fn article_from_row(row: &ArticleRow, now: &str, public_url: &str) -> Article {
    Article {
        id: row.id.clone(),
        slug: row.slug.clone(),
        headline: row.headline.clone(),
        standfirst: row.standfirst.clone(),
        body: json_list(&row.body),
        body_html: row.body_html.clone(),
        section: row.section.clone(),
        tags: json_list(&row.tags),
        byline: row.byline.clone(),
        source: row.source.clone(),
        dateline: row.dateline.clone(),
        language: row.language.clone(),
        status: store::shown_status(row, now),
        published_at: row.published_at.clone(),
        embargo_until: row.embargo_until.clone(),
        hero_media_id: row.hero_media_id.clone(),
        canonical_url: row.canonical_url.clone(),
        copyright: row.copyright.clone(),
        corrections: json_list(&row.corrections),
        links: links(row, public_url),
        created_at: row.created_at.clone(),
        updated_at: row.updated_at.clone(),
        version: row.version,
        included: None,
    }
}

/// The list representation of a stored article at time `now`: the full one less what lists
/// leave out, so the two never map a row differently.
pub fn summary_from_row(row: &ArticleRow, now: &str, public_url: &str) -> ArticleSummary {
    ArticleSummary::from(article_from_row(row, now, public_url))
}

impl From<Article> for ArticleSummary {
    fn from(article: Article) -> Self {
        // Destructured in full, so a field added to `Article` must be placed here too.
        let Article {
            id,
            slug,
            headline,
            standfirst,
            body,
            body_html: _,
            section,
            tags,
            byline,
            source,
            dateline,
            language,
            status,
            published_at,
            embargo_until,
            hero_media_id,
            canonical_url,
            copyright,
            corrections,
            links,
            created_at,
            updated_at,
            version,
            included: _,
        } = article;
        ArticleSummary {
            id,
            slug,
            headline,
            standfirst,
            body,
            section,
            tags,
            byline,
            source,
            dateline,
            language,
            status,
            published_at,
            embargo_until,
            hero_media_id,
            canonical_url,
            copyright,
            corrections,
            links,
            created_at,
            updated_at,
            version,
        }
    }
}

/// When the representation last changed: the later of the last edit and the moment a
/// scheduled article went live.
pub fn last_modified(row: &ArticleRow, now: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let mut latest = row.updated_at.as_str();
    if let Some(at) = row.published_at.as_deref()
        && at <= now
        && at > latest
    {
        latest = at;
    }
    crate::time::parse(latest)
}

/// Related resources of the articles in a response. Each list is present when asked for.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Included {
    /// Quotes used in the article bodies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quotes: Option<Vec<Quote>>,
    /// Speakers of those quotes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speakers: Option<Vec<Speaker>>,
    /// Photos used by the articles (hero and body).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<Vec<Media>>,
}
