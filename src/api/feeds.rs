//! Feed endpoints: RSS, Atom, JSON Feed and ninjs, plus one article as ninjs.

use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::auth::{Caller, Scope};
use crate::error::ApiError;
use crate::feeds::formats::{self, FeedMeta, JsonFeed};
use crate::feeds::ninjs::{self, Ninjs, NinjsFeed, NinjsVersion};
use crate::feeds::{FeedArticle, FeedFilter, load_feed};
use crate::http::cache::{CachePolicy, conditional};
use crate::state::AppState;

/// Feeds are open to everyone; a partner key must carry `feeds:read`.
fn check_feed_access(caller: &Caller) -> Result<(), ApiError> {
    match caller {
        Caller::Partner(_) if !caller.has_scope(Scope::FeedsRead) => Err(ApiError::Forbidden {
            detail: "this API key lacks the feeds:read scope".to_owned(),
        }),
        _ => Ok(()),
    }
}

/// The feed's own URL, without any `api_key` so the key never appears in a document.
fn self_url(state: &AppState, req: &HttpRequest) -> String {
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| k != "api_key")
            .collect();
    let query = serde_urlencoded::to_string(&query).unwrap_or_default();
    if query.is_empty() {
        format!("{}{}", state.public_url, req.path())
    } else {
        format!("{}{}?{query}", state.public_url, req.path())
    }
}

async fn load(
    state: &AppState,
    req: &HttpRequest,
    caller: &Caller,
) -> Result<(FeedFilter, Vec<FeedArticle>, FeedMeta), ApiError> {
    check_feed_access(caller)?;
    let filter = FeedFilter::parse(req.query_string())?;
    let meta = FeedMeta {
        title: "newsdesk".to_owned(),
        description: "The latest published articles".to_owned(),
        public_url: state.public_url.to_string(),
        self_url: self_url(state, req),
    };
    let public_url = state.public_url.to_string();
    let (f, c) = (filter.clone(), caller.clone());
    let articles = state
        .db
        .read(move |conn| load_feed(conn, &f, &c, &public_url, None))
        .await?;
    Ok((filter, articles, meta))
}

fn newest(articles: &[FeedArticle]) -> Option<chrono::DateTime<chrono::Utc>> {
    articles
        .iter()
        .filter_map(|a| crate::time::parse(&a.updated_at))
        .max()
}

/// A feed document as a conditional answer, cached publicly or privately by who asked.
fn answer(
    req: &HttpRequest,
    state: &AppState,
    caller: &Caller,
    content_type: &'static str,
    body: Vec<u8>,
    last_modified: Option<chrono::DateTime<chrono::Utc>>,
) -> HttpResponse {
    let policy = CachePolicy::for_caller(caller, state.settings.cache_max_age);
    conditional(req, content_type, body, last_modified, policy)
}

/// The newest published articles as RSS 2.0.
#[utoipa::path(
    tag = "feeds",
    params(FeedFilter),
    security((), ("api_key" = [])),
    responses(
        (status = 200, description = "RSS 2.0", body = String, content_type = "application/rss+xml"),
        (status = 304, description = "The client's copy is current"),
        (status = 400, description = "Unknown or malformed parameter"),
        (status = 401, description = "Credentials presented but invalid"),
        (status = 403, description = "The API key lacks feeds:read")
    )
)]
#[get("/v1/feeds/rss")]
pub async fn get_rss_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let (_, articles, meta) = load(&state, &req, &caller).await?;
    let body = formats::rss(&meta, &articles).into_bytes();
    Ok(answer(
        &req,
        &state,
        &caller,
        "application/rss+xml; charset=utf-8",
        body,
        newest(&articles),
    ))
}

/// The newest published articles as Atom 1.0.
#[utoipa::path(
    tag = "feeds",
    params(FeedFilter),
    security((), ("api_key" = [])),
    responses(
        (status = 200, description = "Atom 1.0", body = String, content_type = "application/atom+xml"),
        (status = 304, description = "The client's copy is current"),
        (status = 400, description = "Unknown or malformed parameter"),
        (status = 401, description = "Credentials presented but invalid"),
        (status = 403, description = "The API key lacks feeds:read")
    )
)]
#[get("/v1/feeds/atom")]
pub async fn get_atom_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let (_, articles, meta) = load(&state, &req, &caller).await?;
    let body = formats::atom(&meta, &articles).into_bytes();
    Ok(answer(
        &req,
        &state,
        &caller,
        "application/atom+xml; charset=utf-8",
        body,
        newest(&articles),
    ))
}

/// The newest published articles as JSON Feed 1.1.
#[utoipa::path(
    tag = "feeds",
    params(FeedFilter),
    security((), ("api_key" = [])),
    responses(
        (status = 200, description = "JSON Feed 1.1", body = JsonFeed, content_type = "application/feed+json"),
        (status = 304, description = "The client's copy is current"),
        (status = 400, description = "Unknown or malformed parameter"),
        (status = 401, description = "Credentials presented but invalid"),
        (status = 403, description = "The API key lacks feeds:read")
    )
)]
#[get("/v1/feeds/json")]
pub async fn get_json_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let (_, articles, meta) = load(&state, &req, &caller).await?;
    let body =
        serde_json::to_vec(&formats::json_feed(&meta, &articles)).map_err(ApiError::internal)?;
    Ok(answer(
        &req,
        &state,
        &caller,
        "application/feed+json",
        body,
        newest(&articles),
    ))
}

/// The newest published articles as IPTC ninjs items (3.1, or 2.2 with `version=2.2`).
#[utoipa::path(
    tag = "feeds",
    params(FeedFilter),
    security((), ("api_key" = [])),
    responses(
        (status = 200, description = "ninjs items", body = NinjsFeed),
        (status = 304, description = "The client's copy is current"),
        (status = 400, description = "Unknown or malformed parameter"),
        (status = 401, description = "Credentials presented but invalid"),
        (status = 403, description = "The API key lacks feeds:read")
    )
)]
#[get("/v1/feeds/ninjs")]
pub async fn get_ninjs_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let (filter, articles, _) = load(&state, &req, &caller).await?;
    let version = NinjsVersion::parse(filter.version.as_deref())?;
    let feed = NinjsFeed {
        data: articles
            .iter()
            .map(|a| ninjs::article_item(a, &state.public_url, version))
            .collect(),
    };
    let body = serde_json::to_vec(&feed).map_err(ApiError::internal)?;
    Ok(answer(
        &req,
        &state,
        &caller,
        "application/json",
        body,
        newest(&articles),
    ))
}

/// Query parameters of a single ninjs item.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NinjsParams {
    /// `3.1` (default) or `2.2`.
    pub version: Option<String>,
}

/// One published article as an IPTC ninjs item.
#[utoipa::path(
    tag = "feeds",
    params(("id" = String, Path, description = "Article id or slug"), NinjsParams),
    security((), ("api_key" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The ninjs item", body = Ninjs),
        (status = 304, description = "The client's copy is current"),
        (status = 400, description = "Unknown or malformed parameter"),
        (status = 401, description = "Credentials presented but invalid"),
        (status = 404, description = "No published article with this id or slug")
    )
)]
#[get("/v1/articles/{id}/ninjs")]
pub async fn get_article_ninjs(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    params: web::Query<NinjsParams>,
) -> Result<HttpResponse, ApiError> {
    let version = NinjsVersion::parse(params.version.as_deref())?;
    let key = path.into_inner();
    let public_url = state.public_url.to_string();
    let (k, c) = (key.clone(), caller.clone());
    let mut found = state
        .db
        .read(move |conn| load_feed(conn, &FeedFilter::default(), &c, &public_url, Some(&k)))
        .await?;
    let article = found
        .pop()
        .ok_or_else(|| ApiError::not_found("article", &key))?;
    let body = serde_json::to_vec(&ninjs::article_item(&article, &state.public_url, version))
        .map_err(ApiError::internal)?;
    Ok(answer(
        &req,
        &state,
        &caller,
        "application/json",
        body,
        crate::time::parse(&article.updated_at),
    ))
}
