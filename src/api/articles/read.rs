//! Reading articles: one by id or slug, and lists with filters, sorts, sparse fieldsets,
//! includes and keyset pagination.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::Included;
use super::include::{self, IncludeSet};
use super::{
    Article, ArticleSummary, SUMMARY_FIELDS, article_from_row, last_modified, summary_from_row,
};
use crate::api::pagination::{self, Cursor};
use crate::api::query::{Sort, parse_fields, select_fields};
use crate::auth::Caller;
use crate::db::articles::{self as store, After, ListFilter, SortField};
use crate::error::ApiError;
use crate::http::cache::{CachePolicy, conditional, conditional_resource};
use crate::newsroom::articles::visible;
use crate::newsroom::visibility::Viewer;
use crate::state::AppState;

/// Query parameters of a single-article read.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GetArticleQuery {
    /// Related resources to include, comma-separated: `quotes`, `speakers`, `media`.
    #[param(example = "quotes,speakers,media")]
    pub include: Option<String>,
}

/// Read one article by id or slug.
///
/// Readers without credentials see only published articles whose time and embargo have
/// passed; anything else is a 404, as if absent. Contributors also see their own drafts;
/// editors see everything. With `include`, the quotes, speakers and photos the article uses
/// come in `included`, in a fixed number of queries.
#[utoipa::path(
    tag = "articles",
    params(("id" = String, Path, description = "Article id or slug"), GetArticleQuery),
    responses(
        (status = 200, description = "The article", body = Article,
            headers(("ETag" = String, description = "Strong tag; its version part is what If-Match compares"),
                    ("Last-Modified" = String, description = "Time of the last change"),
                    ("Cache-Control" = String, description = "public for anonymous reads, private otherwise"))),
        (status = 304, description = "Not modified since the tag or time the client sent"),
        (status = 400, description = "Unknown parameter or include"),
        (status = 401, description = "Credentials presented but invalid"),
        (status = 404, description = "No such article, or not visible")
    ),
    security((), ("bearer" = []), ("api_key" = []))
)]
#[get("/v1/articles/{id}")]
pub async fn get_article(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<GetArticleQuery>,
) -> Result<HttpResponse, ApiError> {
    let key = path.into_inner();
    let set = IncludeSet::parse(query.include.as_deref())?;
    let policy = CachePolicy::for_caller(&caller, state.settings.cache_max_age);
    let public_url = state.public_url.to_string();
    let viewer = Viewer::of(&caller);
    let now = crate::time::now();
    let (row, included) = {
        let now = now.clone();
        let public_url = public_url.clone();
        state
            .db
            .read(move |conn| {
                let row = visible(conn, &caller, &key, &now)?;
                let included = if set.any() {
                    Some(include::load(
                        conn,
                        std::slice::from_ref(&row.id),
                        set,
                        &public_url,
                        &viewer,
                        &now,
                    )?)
                } else {
                    None
                };
                Ok((row, included))
            })
            .await?
    };
    let mut article = article_from_row(&row, &now, &public_url);
    article.included = included;
    let body = serde_json::to_vec(&article).map_err(ApiError::internal)?;
    Ok(conditional_resource(
        &req,
        body,
        row.version,
        last_modified(&row, &now),
        policy,
    ))
}

/// Query parameters of the article list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListArticlesQuery {
    /// Items per page, 1 to 100 (default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `published_at`, `updated_at`, `created_at` or `headline`; `-` before it for
    /// descending. Default `-published_at`.
    #[param(example = "-published_at")]
    pub sort: Option<String>,
    /// Only these fields of each article (comma-separated); `id` is always present.
    #[param(example = "headline,slug,published_at")]
    pub fields: Option<String>,
    /// Related resources to include, comma-separated: `quotes`, `speakers`, `media`.
    pub include: Option<String>,
    /// `true` adds `total`, the number of matching articles.
    #[param(value_type = Option<bool>)]
    pub count: Option<String>,
    /// Only this section.
    pub section: Option<String>,
    /// Only articles with this tag; repeat for several (all must match).
    #[serde(default)]
    #[param(style = Form, explode)]
    pub tag: Vec<String>,
    /// Only articles quoting this speaker (id or slug).
    pub speaker: Option<String>,
    /// Only this status (`draft`, `scheduled`, `published`, `archived`); signed-in users only.
    pub status: Option<String>,
    /// Published at or after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub published_after: Option<String>,
    /// Published before this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub published_before: Option<String>,
    /// Changed at or after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub updated_since: Option<String>,
    /// Full-text search of headline, standfirst and body; every word must match.
    pub q: Option<String>,
}

/// A page of articles.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticlePage {
    /// The articles of this page.
    pub data: Vec<ArticleSummary>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// How many articles match in all; only with `count=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    /// Related resources of the page's articles; only with `include`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub included: Option<Included>,
}

/// The items of a page: whole, or cut down to the asked-for fields.
#[derive(Serialize)]
#[serde(untagged)]
enum PageItems {
    Whole(Vec<ArticleSummary>),
    Sparse(Vec<Value>),
}

/// The serialised page, with sparse fieldsets applied to its items.
#[derive(Serialize)]
struct PageOut {
    data: PageItems,
    next_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    included: Option<Included>,
}

/// The sorts of the article list, by the name clients write.
const ARTICLE_SORTS: &[(&str, &str)] = &[
    ("published_at", "published_at"),
    ("updated_at", "updated_at"),
    ("created_at", "created_at"),
    ("headline", "headline"),
];

fn parse_sort(text: Option<&str>) -> Result<(SortField, bool, String), ApiError> {
    let sort = Sort::parse(text, ARTICLE_SORTS, "-published_at")?;
    let field = match sort.field {
        "updated_at" => SortField::UpdatedAt,
        "created_at" => SortField::CreatedAt,
        "headline" => SortField::Headline,
        _ => SortField::PublishedAt,
    };
    Ok((field, sort.descending, sort.text()))
}

fn parse_time(name: &str, value: Option<String>) -> Result<Option<String>, ApiError> {
    match value {
        None => Ok(None),
        Some(text) => crate::time::normalize(&text).map(Some).ok_or_else(|| {
            ApiError::bad_field(
                name,
                "must be an RFC 3339 time such as 2026-11-30T00:00:00Z",
            )
        }),
    }
}

/// Reads the query string, naming any unknown parameter in a 400. Repeated `tag` parameters
/// are kept; other parameters may appear once.
pub fn parse_list_query(query: &str) -> Result<ListArticlesQuery, ApiError> {
    serde_html_form::from_str(query)
        .map_err(|e| crate::http::fallback::query_problem(&e.to_string()))
}

/// List articles.
///
/// Newest first by default (`sort=-published_at`). Keyset pagination: pass `next_cursor` as
/// `cursor` (or follow the `Link: rel="next"` header); no article is skipped or repeated while
/// others are published. Readers without credentials see only published, visible articles;
/// `status` is for signed-in users. Any unknown parameter is a 400 naming it.
#[utoipa::path(
    tag = "articles",
    params(ListArticlesQuery),
    responses(
        (status = 200, description = "A page of articles", body = ArticlePage,
            headers(("ETag" = String, description = "Strong tag of this page"),
                    ("Last-Modified" = String, description = "Latest change among the page's articles"),
                    ("Link" = String, description = "`<...>; rel=\"next\"` when there is a next page"),
                    ("Cache-Control" = String, description = "public for anonymous reads, private otherwise"))),
        (status = 304, description = "Not modified since the tag or time the client sent"),
        (status = 400, description = "Unknown parameter, bad value, limit out of range or foreign cursor"),
        (status = 401, description = "Credentials presented but invalid")
    ),
    security((), ("bearer" = []), ("api_key" = []))
)]
#[get("/v1/articles")]
pub async fn list_articles(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = parse_list_query(req.query_string())?;
    let limit = match query.limit.as_deref() {
        None => pagination::limit(None)?,
        Some(text) => pagination::limit(Some(text.parse::<i64>().map_err(|_| {
            ApiError::bad_field(
                "limit",
                format!("must be a whole number from 1 to {}", pagination::MAX_LIMIT),
            )
        })?))?,
    };
    let (sort, descending, sort_text) = parse_sort(query.sort.as_deref())?;
    let fields = parse_fields(query.fields.as_deref(), SUMMARY_FIELDS)?;
    let set = IncludeSet::parse(query.include.as_deref())?;
    let count = match query.count.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::bad_field("count", "must be true or false")),
    };
    if let Some(status) = &query.status {
        if caller.user().is_none() {
            return Err(ApiError::bad_field(
                "status",
                "is only available to signed-in users",
            ));
        }
        if !matches!(
            status.as_str(),
            "draft" | "scheduled" | "published" | "archived"
        ) {
            return Err(ApiError::bad_field(
                "status",
                "must be draft, scheduled, published or archived",
            ));
        }
    }
    let search = match query.q.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(q) => Some(
            store::fts_expression(q)
                .ok_or_else(|| ApiError::bad_field("q", "must contain at least one word"))?,
        ),
    };
    let after = match &query.cursor {
        None => None,
        Some(text) => {
            let cursor = Cursor::decode(text, &sort_text)?;
            let key = match cursor.key {
                Value::Null => None,
                Value::String(s) => Some(s),
                _ => {
                    return Err(ApiError::bad_field(
                        "cursor",
                        "is not a cursor from this list",
                    ));
                }
            };
            Some(After { key, id: cursor.id })
        }
    };
    let now = crate::time::now();
    let filter = ListFilter {
        now: now.clone(),
        viewer: Viewer::of(&caller),
        section: query.section,
        // An empty `tag=` counts as absent, like every other empty parameter.
        tags: query.tag.into_iter().filter(|t| !t.is_empty()).collect(),
        speaker: query.speaker,
        status: query.status,
        published_after: parse_time("published_after", query.published_after)?,
        published_before: parse_time("published_before", query.published_before)?,
        updated_since: parse_time("updated_since", query.updated_since)?,
        search,
    };
    let policy = CachePolicy::for_caller(&caller, state.settings.cache_max_age);
    let public_url = state.public_url.to_string();
    let (mut rows, total, included) = {
        let public_url = public_url.clone();
        state
            .db
            .read(move |conn| {
                let rows = store::list(conn, &filter, sort, descending, after.as_ref(), limit + 1)?;
                let total = if count {
                    Some(store::count(conn, &filter)?)
                } else {
                    None
                };
                let shown: Vec<String> = rows
                    .iter()
                    .take(limit as usize)
                    .map(|r| r.id.clone())
                    .collect();
                let included = if set.any() {
                    Some(include::load(
                        conn,
                        &shown,
                        set,
                        &public_url,
                        &filter.viewer,
                        &filter.now,
                    )?)
                } else {
                    None
                };
                Ok((rows, total, included))
            })
            .await?
    };
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = match (has_more, rows.last()) {
        (true, Some(last)) => Some(
            Cursor {
                sort: sort_text,
                key: sort.key_of(last).map(Value::String).unwrap_or(Value::Null),
                id: last.id.clone(),
            }
            .encode(),
        ),
        _ => None,
    };
    let latest = rows
        .iter()
        .filter_map(|row| last_modified(row, &now))
        .max()
        .or_else(|| crate::time::parse(&now));
    let whole = rows
        .iter()
        .map(|row| summary_from_row(row, &now, &public_url));
    let data = match &fields {
        None => PageItems::Whole(whole.collect()),
        Some(fields) => PageItems::Sparse(
            whole
                .map(|summary| {
                    let value = serde_json::to_value(summary).map_err(ApiError::internal)?;
                    Ok(select_fields(value, fields))
                })
                .collect::<Result<Vec<Value>, ApiError>>()?,
        ),
    };
    let page = PageOut {
        data,
        next_cursor: next_cursor.clone(),
        total,
        included,
    };
    let body = serde_json::to_vec(&page).map_err(ApiError::internal)?;
    let mut response = conditional(&req, "application/json", body, latest, policy);
    if let Some(cursor) = next_cursor {
        let link = pagination::next_link(&public_url, req.path(), req.query_string(), &cursor);
        if let Ok(value) = header::HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}
