//! Creating, changing and deleting articles, and the save path every article write shares:
//! validate, render the body, store the row, its links, search entry, revision and change.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, patch, post, web};
use diesel::SqliteConnection;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{Article, article_from_row, double_option, require_can_edit, visible};
use crate::auth::{Caller, Contributor, SignedIn};
use crate::content::blocks::NewBlock;
use crate::content::{Block, blocks, parse_blocks, plain_text, render_html};
use crate::db::articles::{self as store, ArticleRow, NewArticle};
use crate::error::{ApiError, FieldError};
use crate::http::cache::{IfMatch, resource_etag};
use crate::state::AppState;

/// A new article. It is always created as a draft.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "headline": "Harbour tolls rise for the first time in a decade",
    "standfirst": "Shipping firms say the increase will reach shop prices by spring.",
    "section": "business",
    "tags": ["shipping", "prices"],
    "byline": "Mara Quist",
    "dateline": "Port Elan",
    "body": [
        {"type": "paragraph", "text": "The port authority raised tolls by *eight per cent* on Monday."}
    ]
}))]
pub struct CreateArticle {
    /// Lower-case letters, digits and hyphens; made from the headline when absent.
    #[schema(pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 120)]
    pub slug: Option<String>,
    /// The headline.
    #[schema(min_length = 1, max_length = 300)]
    pub headline: String,
    /// The standfirst.
    pub standfirst: Option<String>,
    /// Body blocks; each may carry its own `id`, else one is made up.
    #[serde(default)]
    #[schema(value_type = Option<Vec<NewBlock>>)]
    pub body: Option<Value>,
    /// The section, e.g. `business`.
    #[schema(pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 64)]
    pub section: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// Byline.
    pub byline: Option<String>,
    /// Outlet or agency.
    pub source: Option<String>,
    /// Dateline.
    pub dateline: Option<String>,
    /// Language tag; `en` when absent.
    pub language: Option<String>,
    /// Embargo end, RFC 3339.
    #[schema(format = DateTime)]
    pub embargo_until: Option<String>,
    /// Id of an existing photo to lead with.
    pub hero_media_id: Option<String>,
    /// The article's address on the publisher's site (http or https).
    pub canonical_url: Option<String>,
    /// Copyright line.
    pub copyright: Option<String>,
}

/// A change to an article, as a JSON merge patch (RFC 7396): fields left out stay as they
/// are, `null` clears a field, arrays (`body`, `tags`) are replaced whole. Status, publication
/// time and corrections change through their own endpoints.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"headline": "Harbour tolls rise by eight per cent", "standfirst": null}))]
pub struct UpdateArticle {
    /// New slug; refused (409) once the article has been published.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$")]
    pub slug: Option<Option<String>>,
    /// New headline (cannot be null).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub headline: Option<Option<String>>,
    /// New standfirst.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub standfirst: Option<Option<String>>,
    /// New body (replaces the old one; keep block ids to keep them stable).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Vec<NewBlock>>)]
    pub body: Option<Option<Value>>,
    /// New section.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub section: Option<Option<String>>,
    /// New tags.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Vec<String>>)]
    pub tags: Option<Option<Vec<String>>>,
    /// New byline.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub byline: Option<Option<String>>,
    /// New source.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub source: Option<Option<String>>,
    /// New dateline.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub dateline: Option<Option<String>>,
    /// New language (null resets to `en`).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub language: Option<Option<String>>,
    /// New embargo end.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub embargo_until: Option<Option<String>>,
    /// New hero photo.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub hero_media_id: Option<Option<String>>,
    /// New canonical URL.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub canonical_url: Option<Option<String>>,
    /// New copyright line.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub copyright: Option<Option<String>>,
}

/// The editable content of an article, after merging a request into what is stored.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub slug: Option<String>,
    pub headline: String,
    pub standfirst: Option<String>,
    pub body: Value,
    pub section: Option<String>,
    pub tags: Vec<String>,
    pub byline: Option<String>,
    pub source: Option<String>,
    pub dateline: Option<String>,
    pub language: String,
    pub embargo_until: Option<String>,
    pub hero_media_id: Option<String>,
    pub canonical_url: Option<String>,
    pub copyright: Option<String>,
}

/// A draft that passed every check that needs no database.
#[derive(Debug, Clone)]
pub(crate) struct CheckedDraft {
    pub draft: Draft,
    pub blocks: Vec<Block>,
}

fn is_slug(text: &str, max: usize) -> bool {
    !text.is_empty()
        && text.len() <= max
        && text.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn is_language(text: &str) -> bool {
    let mut parts = text.split('-');
    let first_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    first_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// A slug made from a headline: lower-case ASCII letters and digits joined by hyphens.
pub fn slugify(headline: &str) -> String {
    let mut slug = String::new();
    for c in headline.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ý' | 'ÿ' => 'y',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 80 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() {
        "article".to_owned()
    } else {
        slug
    }
}

fn check_text(errors: &mut Vec<FieldError>, field: &str, value: &Option<String>, max: usize) {
    if let Some(text) = value {
        if text.trim().is_empty() {
            errors.push(FieldError::new(
                field,
                "must not be empty; send null to clear it",
            ));
        } else if text.chars().count() > max {
            errors.push(FieldError::new(
                field,
                format!("must be at most {max} characters"),
            ));
        }
    }
}

impl Draft {
    /// Every check that needs no database; normalises times.
    pub(crate) fn check(mut self) -> Result<CheckedDraft, ApiError> {
        let mut errors = Vec::new();
        if let Some(slug) = &self.slug {
            if !is_slug(slug, 120) {
                errors.push(FieldError::new(
                    "slug",
                    "must be 1 to 120 lower-case letters, digits and single hyphens",
                ));
            } else if uuid::Uuid::parse_str(slug).is_ok() {
                // Slugs and ids share the path; one must never be mistaken for the other.
                errors.push(FieldError::new("slug", "must not have the form of an id"));
            }
        }
        if self.headline.trim().is_empty() {
            errors.push(FieldError::new("headline", "must not be empty"));
        } else if self.headline.chars().count() > 300 {
            errors.push(FieldError::new(
                "headline",
                "must be at most 300 characters",
            ));
        }
        check_text(&mut errors, "standfirst", &self.standfirst, 2000);
        check_text(&mut errors, "byline", &self.byline, 300);
        check_text(&mut errors, "source", &self.source, 300);
        check_text(&mut errors, "dateline", &self.dateline, 300);
        check_text(&mut errors, "copyright", &self.copyright, 300);
        if let Some(section) = &self.section
            && !is_slug(section, 64)
        {
            errors.push(FieldError::new(
                "section",
                "must be 1 to 64 lower-case letters, digits and single hyphens",
            ));
        }
        if self.tags.len() > 30 {
            errors.push(FieldError::new("tags", "at most 30 tags are allowed"));
        }
        for (i, tag) in self.tags.iter().enumerate() {
            if tag.trim().is_empty() || tag.chars().count() > 64 || tag.trim() != tag {
                errors.push(FieldError::new(
                    format!("tags[{i}]"),
                    "must be 1 to 64 characters without surrounding spaces",
                ));
            }
        }
        if !is_language(&self.language) {
            errors.push(FieldError::new(
                "language",
                "must be a language tag such as `en` or `pt-BR`",
            ));
        }
        if let Some(at) = &self.embargo_until {
            match crate::time::normalize(at) {
                Some(normal) => self.embargo_until = Some(normal),
                None => errors.push(FieldError::new(
                    "embargo_until",
                    "must be an RFC 3339 time such as 2026-12-01T09:00:00Z",
                )),
            }
        }
        if let Some(url) = &self.canonical_url {
            let ok = (url.starts_with("https://") || url.starts_with("http://"))
                && url.len() <= 2000
                && url.len() > 8
                && !url.chars().any(char::is_whitespace);
            if !ok {
                errors.push(FieldError::new(
                    "canonical_url",
                    "must be an http or https URL",
                ));
            }
        }
        if let Some(id) = &self.hero_media_id
            && id.is_empty()
        {
            errors.push(FieldError::new(
                "hero_media_id",
                "must be the id of a photo",
            ));
        }
        let blocks = match parse_blocks(&self.body) {
            Ok(blocks) => blocks,
            Err(block_errors) => {
                errors.extend(block_errors);
                Vec::new()
            }
        };
        if errors.is_empty() {
            Ok(CheckedDraft {
                draft: self,
                blocks,
            })
        } else {
            Err(ApiError::invalid(errors))
        }
    }
}

/// The body, links and search entry derived from checked content: verifies every quote and
/// media reference exists, then renders.
pub(crate) struct Rendered {
    pub body_json: String,
    pub body_html: String,
    pub text: String,
    pub quote_ids: Vec<String>,
    pub media_ids: Vec<String>,
}

pub(crate) fn render(
    conn: &mut SqliteConnection,
    checked: &CheckedDraft,
) -> Result<Rendered, ApiError> {
    let (quote_refs, media_refs) = blocks::references(&checked.blocks);
    let quote_ids: Vec<String> = quote_refs.iter().map(|(_, id)| id.clone()).collect();
    let mut media_ids: Vec<String> = media_refs.iter().map(|(_, id)| id.clone()).collect();
    if let Some(hero) = &checked.draft.hero_media_id {
        media_ids.push(hero.clone());
    }
    let ctx = store::render_context(conn, &quote_ids, &media_ids)?;
    let mut errors = Vec::new();
    if let Some(hero) = &checked.draft.hero_media_id
        && !ctx.media.contains_key(hero)
    {
        errors.push(FieldError::new(
            "hero_media_id",
            format!("no photo with id `{hero}`"),
        ));
    }
    for (index, id) in &quote_refs {
        if !ctx.quotes.contains_key(id) {
            errors.push(FieldError::new(
                format!("body[{index}].quote_id"),
                format!("no quote with id `{id}`"),
            ));
        }
    }
    for (index, id) in &media_refs {
        if !ctx.media.contains_key(id) {
            errors.push(FieldError::new(
                format!("body[{index}].media_id"),
                format!("no photo with id `{id}`"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    Ok(Rendered {
        body_json: serde_json::to_string(&checked.blocks).map_err(ApiError::internal)?,
        body_html: render_html(&checked.blocks, &ctx),
        text: plain_text(&checked.blocks, &ctx),
        quote_ids,
        media_ids,
    })
}

/// Stores the derived data of a saved article (links, search entry), its revision and its
/// change-log entry. Every article write ends here.
pub(crate) fn record(
    conn: &mut SqliteConnection,
    row: &ArticleRow,
    operation: &str,
    author_id: Option<&str>,
    public_url: &str,
    links: Option<(&[String], &[String], &str)>,
) -> Result<(), ApiError> {
    if let Some((quote_ids, media_ids, text)) = links {
        let tags: Vec<String> = serde_json::from_str(&row.tags).unwrap_or_default();
        store::sync_links(conn, &row.id, &tags, quote_ids, media_ids)?;
        store::sync_search(
            conn,
            &row.id,
            &row.headline,
            row.standfirst.as_deref().unwrap_or_default(),
            text,
        )?;
    }
    let snapshot = serde_json::to_string(&article_from_row(row, &row.updated_at, public_url))
        .map_err(ApiError::internal)?;
    store::add_revision(
        conn,
        &row.id,
        row.version,
        author_id,
        &row.updated_at,
        &snapshot,
    )?;
    store::log_change(conn, &row.id, operation, row.version, &row.updated_at)?;
    Ok(())
}

fn free_slug(conn: &mut SqliteConnection, base: &str) -> Result<String, ApiError> {
    let taken = store::slugs_like(conn, base)?;
    if !taken.iter().any(|s| s == base) {
        return Ok(base.to_owned());
    }
    let mut n = 2;
    loop {
        let candidate = format!("{base}-{n}");
        if !taken.contains(&candidate) {
            return Ok(candidate);
        }
        n += 1;
    }
}

/// Renders again the bodies that show these quotes, speakers or photos, after one of them
/// changed, inside the caller's transaction. The content is the same, so versions stay; the
/// new `body_html` and search text are stored and `updated_at` moves. Returns how many
/// articles changed.
pub fn rerender_using(
    conn: &mut SqliteConnection,
    quote_ids: &[String],
    speaker_ids: &[String],
    media_ids: &[String],
) -> Result<usize, ApiError> {
    let ids = store::using(conn, quote_ids, speaker_ids, media_ids)?;
    if ids.is_empty() {
        return Ok(0);
    }
    let now = crate::time::now();
    let mut changed = 0;
    for row in store::by_ids(conn, &ids)? {
        let blocks: Vec<Block> = serde_json::from_str(&row.body).map_err(ApiError::internal)?;
        let (quote_refs, media_refs) = blocks::references(&blocks);
        let quotes: Vec<String> = quote_refs.into_iter().map(|(_, id)| id).collect();
        let media: Vec<String> = media_refs.into_iter().map(|(_, id)| id).collect();
        let ctx = store::render_context(conn, &quotes, &media)?;
        let html = render_html(&blocks, &ctx);
        if html != row.body_html {
            store::set_body_html(conn, &row.id, &html, &now)?;
            store::sync_search(
                conn,
                &row.id,
                &row.headline,
                row.standfirst.as_deref().unwrap_or_default(),
                &plain_text(&blocks, &ctx),
            )?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// The JSON answer for a single article, with its ETag.
pub(crate) fn article_response(
    status: actix_web::http::StatusCode,
    row: &ArticleRow,
    now: &str,
    public_url: &str,
) -> Result<HttpResponse, ApiError> {
    let body =
        serde_json::to_vec(&article_from_row(row, now, public_url)).map_err(ApiError::internal)?;
    let mut response = HttpResponse::build(status);
    response
        .insert_header((header::ETAG, resource_etag(row.version, &body)))
        .insert_header((header::CACHE_CONTROL, "private, no-store"));
    if status == actix_web::http::StatusCode::CREATED {
        response.insert_header((header::LOCATION, format!("/v1/articles/{}", row.id)));
    }
    Ok(response.content_type("application/json").body(body))
}

/// Stores a new draft from checked content, inside the caller's transaction: renders the
/// body, picks or checks the slug, writes the row and everything kept with it.
pub(crate) fn create_in(
    conn: &mut SqliteConnection,
    checked: CheckedDraft,
    author_id: Option<&str>,
    public_url: &str,
) -> Result<ArticleRow, ApiError> {
    let rendered = render(conn, &checked)?;
    let draft = checked.draft;
    let slug = match &draft.slug {
        Some(slug) => {
            if store::slug_taken(conn, slug, None)? {
                return Err(ApiError::Conflict {
                    detail: format!("the slug `{slug}` is already used by another article"),
                });
            }
            slug.clone()
        }
        None => free_slug(conn, &slugify(&draft.headline))?,
    };
    let now = crate::time::now();
    let new = NewArticle {
        id: uuid::Uuid::now_v7().to_string(),
        slug,
        headline: draft.headline,
        standfirst: draft.standfirst,
        body: rendered.body_json.clone(),
        body_html: rendered.body_html.clone(),
        section: draft.section,
        byline: draft.byline,
        source: draft.source,
        dateline: draft.dateline,
        language: draft.language,
        status: "draft".to_owned(),
        embargo_until: draft.embargo_until,
        hero_media_id: draft.hero_media_id,
        canonical_url: draft.canonical_url,
        copyright: draft.copyright,
        corrections: "[]".to_owned(),
        author_id: author_id.map(str::to_owned),
        created_at: now.clone(),
        updated_at: now,
        version: 1,
        tags: serde_json::to_string(&draft.tags).map_err(ApiError::internal)?,
    };
    store::insert(conn, &new)?;
    let row = store::find(conn, &new.id)?
        .ok_or_else(|| ApiError::internal("the new article vanished"))?;
    record(
        conn,
        &row,
        "create",
        author_id,
        public_url,
        Some((&rendered.quote_ids, &rendered.media_ids, &rendered.text)),
    )?;
    Ok(row)
}

/// Create a draft article.
///
/// Always a draft, whoever creates it. Body blocks are validated (a 422 names the block, e.g.
/// `body[2].quote_id`) and rendered to `body_html` now. A slug is made from the headline
/// when none is given; a given slug already in use is a 409. Send `Idempotency-Key` to make a
/// retry safe.
#[utoipa::path(
    tag = "articles",
    request_body = CreateArticle,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer when the same key and body are sent again")),
    responses(
        (status = 201, description = "Created as a draft", body = Article,
            headers(("ETag" = String, description = "Version tag for If-Match"), ("Location" = String, description = "The new article"))),
        (status = 400, description = "Malformed JSON"),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Partner keys may not write"),
        (status = 409, description = "The slug is already in use"),
        (status = 413, description = "The body is too large"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "Invalid content, or an Idempotency-Key reused with another body")
    ),
    security(("bearer" = []))
)]
#[post("/v1/articles")]
pub async fn create_article(
    state: web::Data<AppState>,
    user: SignedIn<Contributor>,
    body: web::Json<CreateArticle>,
) -> Result<HttpResponse, ApiError> {
    let user = user.user;
    let request = body.into_inner();
    let draft = Draft {
        slug: request.slug,
        headline: request.headline,
        standfirst: request.standfirst,
        body: request.body.unwrap_or(Value::Array(Vec::new())),
        section: request.section,
        tags: request.tags.unwrap_or_default(),
        byline: request.byline,
        source: request.source,
        dateline: request.dateline,
        language: request.language.unwrap_or_else(|| "en".to_owned()),
        embargo_until: request.embargo_until,
        hero_media_id: request.hero_media_id,
        canonical_url: request.canonical_url,
        copyright: request.copyright,
    };
    let checked = draft.check()?;
    let public_url = state.public_url.to_string();
    let row = state
        .db
        .write(move |conn| create_in(conn, checked, Some(&user.id), &public_url))
        .await?;
    let now = crate::time::now();
    article_response(
        actix_web::http::StatusCode::CREATED,
        &row,
        &now,
        &state.public_url,
    )
}

/// Change an article (JSON merge patch).
///
/// Requires `If-Match` with the ETag of the current version (428 without, 412 when stale).
/// Editors may change any article; contributors only their own drafts. The body is validated
/// and rendered again; a new revision is stored.
#[utoipa::path(
    tag = "articles",
    params(
        ("id" = String, Path, description = "Article id or slug"),
        ("If-Match" = String, Header, description = "ETag of the version being changed")
    ),
    request_body(content = UpdateArticle, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed", body = Article,
            headers(("ETag" = String, description = "Version tag for If-Match"))),
        (status = 400, description = "Malformed JSON"),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Not allowed to change this article"),
        (status = 404, description = "No such article, or not visible"),
        (status = 409, description = "Slug in use, or frozen because the article was published"),
        (status = 412, description = "If-Match is stale"),
        (status = 413, description = "The body is too large"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "Invalid content"),
        (status = 428, description = "If-Match is missing")
    ),
    security(("bearer" = []))
)]
#[patch("/v1/articles/{id}")]
pub async fn update_article(
    state: web::Data<AppState>,
    user: SignedIn<Contributor>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<UpdateArticle>,
) -> Result<HttpResponse, ApiError> {
    let user = user.user;
    let caller = Caller::User(user.clone());
    let key = path.into_inner();
    let patch = body.into_inner();
    let if_match = IfMatch::of(&req);
    let public_url = state.public_url.to_string();
    let row = state
        .db
        .write(move |conn| {
            let now = crate::time::now();
            let row = visible(conn, &caller, &key, &now)?;
            require_can_edit(&caller, &row)?;
            if_match.check(row.version)?;
            let draft = merge(&row, patch)?;
            let checked = draft.check()?;
            let rendered = render(conn, &checked)?;
            let draft = checked.draft;
            let slug = draft.slug.clone().unwrap_or_else(|| row.slug.clone());
            if slug != row.slug {
                if row.first_published_at.is_some() {
                    return Err(ApiError::Conflict {
                        detail: "the slug cannot change once the article has been published"
                            .to_owned(),
                    });
                }
                if store::slug_taken(conn, &slug, Some(&row.id))? {
                    return Err(ApiError::Conflict {
                        detail: format!("the slug `{slug}` is already used by another article"),
                    });
                }
            }
            let mut changes = row.changes();
            changes.slug = slug;
            changes.headline = draft.headline;
            changes.standfirst = draft.standfirst;
            changes.body = rendered.body_json.clone();
            changes.body_html = rendered.body_html.clone();
            changes.section = draft.section;
            changes.tags = serde_json::to_string(&draft.tags).map_err(ApiError::internal)?;
            changes.byline = draft.byline;
            changes.source = draft.source;
            changes.dateline = draft.dateline;
            changes.language = draft.language;
            changes.embargo_until = draft.embargo_until;
            changes.hero_media_id = draft.hero_media_id;
            changes.canonical_url = draft.canonical_url;
            changes.copyright = draft.copyright;
            changes.updated_at = now;
            changes.version = row.version + 1;
            store::update(conn, &row.id, &changes)?;
            let saved = store::find(conn, &row.id)?
                .ok_or_else(|| ApiError::internal("the article vanished"))?;
            record(
                conn,
                &saved,
                "update",
                Some(&user.id),
                &public_url,
                Some((&rendered.quote_ids, &rendered.media_ids, &rendered.text)),
            )?;
            Ok(saved)
        })
        .await?;
    let now = crate::time::now();
    article_response(
        actix_web::http::StatusCode::OK,
        &row,
        &now,
        &state.public_url,
    )
}

fn merge(row: &ArticleRow, patch: UpdateArticle) -> Result<Draft, ApiError> {
    fn pick(current: &Option<String>, change: Option<Option<String>>) -> Option<String> {
        match change {
            None => current.clone(),
            Some(value) => value,
        }
    }
    let headline = match patch.headline {
        None => row.headline.clone(),
        Some(Some(h)) => h,
        Some(None) => {
            return Err(ApiError::invalid(vec![FieldError::new(
                "headline",
                "cannot be removed",
            )]));
        }
    };
    let slug = match patch.slug {
        None => Some(row.slug.clone()),
        Some(Some(s)) => Some(s),
        Some(None) => {
            return Err(ApiError::invalid(vec![FieldError::new(
                "slug",
                "cannot be removed",
            )]));
        }
    };
    let body = match patch.body {
        None => serde_json::from_str(&row.body).map_err(ApiError::internal)?,
        Some(None) => Value::Array(Vec::new()),
        Some(Some(body)) => body,
    };
    let tags = match patch.tags {
        None => serde_json::from_str(&row.tags).unwrap_or_default(),
        Some(value) => value.unwrap_or_default(),
    };
    Ok(Draft {
        slug,
        headline,
        standfirst: pick(&row.standfirst, patch.standfirst),
        body,
        section: pick(&row.section, patch.section),
        tags,
        byline: pick(&row.byline, patch.byline),
        source: pick(&row.source, patch.source),
        dateline: pick(&row.dateline, patch.dateline),
        language: match patch.language {
            None => row.language.clone(),
            Some(value) => value.unwrap_or_else(|| "en".to_owned()),
        },
        embargo_until: pick(&row.embargo_until, patch.embargo_until),
        hero_media_id: pick(&row.hero_media_id, patch.hero_media_id),
        canonical_url: pick(&row.canonical_url, patch.canonical_url),
        copyright: pick(&row.copyright, patch.copyright),
    })
}

/// Delete an article.
///
/// Requires `If-Match`. Editors may delete any article, contributors their own drafts. Its
/// revisions go with it; quotes attached to it stay, unattached. The change log records a
/// tombstone.
#[utoipa::path(
    tag = "articles",
    params(
        ("id" = String, Path, description = "Article id or slug"),
        ("If-Match" = String, Header, description = "ETag of the version being deleted")
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Not allowed to delete this article"),
        (status = 404, description = "No such article, or not visible"),
        (status = 412, description = "If-Match is stale"),
        (status = 428, description = "If-Match is missing")
    ),
    security(("bearer" = []))
)]
#[delete("/v1/articles/{id}")]
pub async fn delete_article(
    state: web::Data<AppState>,
    user: SignedIn<Contributor>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = Caller::User(user.user);
    let key = path.into_inner();
    let if_match = IfMatch::of(&req);
    state
        .db
        .write(move |conn| {
            let now = crate::time::now();
            let row = visible(conn, &caller, &key, &now)?;
            require_can_edit(&caller, &row)?;
            if_match.check(row.version)?;
            store::delete(conn, &row.id)?;
            store::log_change(conn, &row.id, "delete", row.version, &now)?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_made_from_headlines() {
        assert_eq!(
            slugify("Rates held at 4% — for now!"),
            "rates-held-at-4-for-now"
        );
        assert_eq!(slugify("Café society returns"), "cafe-society-returns");
        assert_eq!(slugify("???"), "article");
    }
}
