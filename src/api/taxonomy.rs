//! Sections and tags as they appear on published articles, with how many each has.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::db::articles as store;
use crate::db::content_support::latest_change_at;
use crate::error::ApiError;
use crate::http::cache::{CachePolicy, conditional};
use crate::state::AppState;

/// A section or tag with its number of published articles.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"name": "business", "count": 12}))]
pub struct TermCount {
    /// The section or tag.
    pub name: String,
    /// How many published, visible articles carry it.
    pub count: i64,
}

/// Sections or tags, by name.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"data": [{"name": "business", "count": 12}, {"name": "culture", "count": 7}]}))]
pub struct TermList {
    /// Every section or tag in use by a published article.
    pub data: Vec<TermCount>,
}

fn respond(
    req: &HttpRequest,
    caller: &Caller,
    state: &AppState,
    (terms, changed_at): (Vec<(String, i64)>, Option<String>),
) -> Result<HttpResponse, ApiError> {
    let list = TermList {
        data: terms
            .into_iter()
            .map(|(name, count)| TermCount { name, count })
            .collect(),
    };
    let body = serde_json::to_vec(&list).map_err(ApiError::internal)?;
    Ok(conditional(
        req,
        "application/json",
        body,
        changed_at.as_deref().and_then(crate::time::parse),
        CachePolicy::for_caller(caller, state.settings.cache_max_age),
    ))
}

/// List sections with their number of published articles.
#[utoipa::path(
    tag = "taxonomy",
    responses(
        (status = 200, description = "Sections by name", body = TermList,
            headers(("ETag" = String, description = "Strong tag of the list"),
                    ("Last-Modified" = String, description = "Time of the latest change to any content"))),
        (status = 304, description = "Not modified"),
        (status = 401, description = "Credentials presented but invalid")
    ),
    security((), ("bearer" = []), ("api_key" = []))
)]
#[get("/v1/sections")]
pub async fn list_sections(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let now = crate::time::now();
    let terms = state
        .db
        .read(move |conn| Ok((store::section_counts(conn, &now)?, latest_change_at(conn)?)))
        .await?;
    respond(&req, &caller, &state, terms)
}

/// List tags with their number of published articles.
#[utoipa::path(
    tag = "taxonomy",
    responses(
        (status = 200, description = "Tags by name", body = TermList,
            headers(("ETag" = String, description = "Strong tag of the list"),
                    ("Last-Modified" = String, description = "Time of the latest change to any content"))),
        (status = 304, description = "Not modified"),
        (status = 401, description = "Credentials presented but invalid")
    ),
    security((), ("bearer" = []), ("api_key" = []))
)]
#[get("/v1/tags")]
pub async fn list_tags(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let now = crate::time::now();
    let terms = state
        .db
        .read(move |conn| Ok((store::tag_counts(conn, &now)?, latest_change_at(conn)?)))
        .await?;
    respond(&req, &caller, &state, terms)
}
