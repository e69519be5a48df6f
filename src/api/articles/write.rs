//! Creating, changing and deleting articles over HTTP: the requests, merged into drafts for
//! `newsroom::articles`, which runs the save path.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, patch, post, web};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{Article, article_from_row};
use crate::auth::{Caller, Contributor, SignedIn};
use crate::content::blocks::NewBlock;
use crate::db::articles::ArticleRow;
use crate::error::{ApiError, FieldError};
use crate::http::cache::{IfMatch, resource_etag};
use crate::newsroom::articles::{self, Draft, Origin};
use crate::newsroom::policy::Actor;
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
    #[serde(default, deserialize_with = "crate::api::patch::patch_field")]
    #[schema(value_type = Option<String>, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$")]
    pub slug: Option<Option<String>>,
    /// New headline (cannot be null).
    #[serde(default, deserialize_with = "crate::api::patch::patch_field")]
    #[schema(value_type = Option<String>)]
    pub headline: Option<Option<String>>,
    /// New standfirst.
    #[serde(default, deserialize_with = "crate::api::patch::patch_field")]
    #[schema(value_type = Option<String>)]
    pub standfirst: Option<Option<String>>,
    /// New body (replaces the old one; keep block ids to keep them stable).
    #[serde(default, deserialize_with = "crate::api::patch::patch_field")]
    #[schema(value_type = Option<Vec<NewBlock>>)]
    pub body: Option<Option<Value>>,
    /// New section.
    #[serde(default, deserialize_with = "crate::api::patch::patch_field")]
    #[schema(value_type = Option<String>)]
    pub section: Option<Option<String>>,
    /// New tags.
    #[serde(default, deserialize_with = "crate::api::patch::patch_field")]
    #[schema(value_type = Option<Vec<String>>)]
    pub tags: Option<Option<Vec<String>>>,
    /// New byline.
    #[serde(default, deserialize_with = "crate::api::patch::patch_field")]
    #[schema(value_type = Option<String>)]
    pub byline: Option<Option<String>>,
    /// New source.
    #[serde(default, deserialize_with = "crate::api::patch::patch_field")]
    #[schema(value_type = Option<String>)]
    pub source: Option<Option<String>>,
    /// New dateline.
    #[serde(default, deserialize_with = "crate::api::patch::patch_field")]
    #[schema(value_type = Option<String>)]
    pub dateline: Option<Option<String>>,
    /// New language (null resets to `en`).
    #[serde(default, deserialize_with = "crate::api::patch::patch_field")]
    #[schema(value_type = Option<String>)]
    pub language: Option<Option<String>>,
    /// New embargo end.
    #[serde(default, deserialize_with = "crate::api::patch::patch_field")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub embargo_until: Option<Option<String>>,
    /// New hero photo.
    #[serde(default, deserialize_with = "crate::api::patch::patch_field")]
    #[schema(value_type = Option<String>)]
    pub hero_media_id: Option<Option<String>>,
    /// New canonical URL.
    #[serde(default, deserialize_with = "crate::api::patch::patch_field")]
    #[schema(value_type = Option<String>)]
    pub canonical_url: Option<Option<String>>,
    /// New copyright line.
    #[serde(default, deserialize_with = "crate::api::patch::patch_field")]
    #[schema(value_type = Option<String>)]
    pub copyright: Option<Option<String>>,
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
    let actor = Actor::of(&Caller::User(user))?;
    let public_url = state.public_url.to_string();
    let row = state
        .db
        .write(move |conn| articles::create(conn, &actor, checked, Origin::default(), &public_url))
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
    let key = path.into_inner();
    let patch = body.into_inner();
    let if_match = IfMatch::of(&req);
    let public_url = state.public_url.to_string();
    let actor = Actor::of(&Caller::User(user))?;
    let row = state
        .db
        .write(move |conn| {
            articles::update(
                conn,
                &actor,
                &key,
                |version| if_match.check(version),
                |row| merge(row, patch),
                &public_url,
            )
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
    let actor = Actor::of(&caller)?;
    state
        .db
        .write(move |conn| articles::delete(conn, &actor, &key, |version| if_match.check(version)))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
