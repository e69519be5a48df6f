//! The revision history of an article: who changed it, when, and its full content then.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Article;
use crate::auth::{Caller, Contributor, SignedIn};
use crate::error::ApiError;
use crate::http::cache::{CachePolicy, conditional};
use crate::newsroom::revisions::{self, RevisionRow};
use crate::state::AppState;

/// One saved change of an article, without its content.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"number": 2, "version": 2, "author_id": "019ad5d2-7c1e-7a51-9a44-0c2b8f7e3a20", "created_at": "2026-11-30T09:00:00.000000Z"}))]
pub struct RevisionSummary {
    /// 1 for the first save, then 2, 3...
    pub number: i64,
    /// The article version this revision records.
    pub version: i64,
    /// The user who made the change.
    pub author_id: Option<String>,
    /// When.
    pub created_at: String,
    /// Why, when the article itself was not what was edited (e.g. a quote it shows changed).
    pub note: Option<String>,
}

/// One saved change of an article, with the article as it was after it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Revision {
    /// 1 for the first save, then 2, 3...
    pub number: i64,
    /// The article version this revision records.
    pub version: i64,
    /// The user who made the change.
    pub author_id: Option<String>,
    /// When.
    pub created_at: String,
    /// Why, when the article itself was not what was edited (e.g. a quote it shows changed).
    pub note: Option<String>,
    /// The full article as saved.
    pub article: Article,
}

/// The revisions of an article, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RevisionList {
    /// Every revision.
    pub data: Vec<RevisionSummary>,
}

fn summary(row: &RevisionRow) -> RevisionSummary {
    RevisionSummary {
        number: row.number,
        version: row.version,
        author_id: row.author_id.clone(),
        created_at: row.created_at.clone(),
        note: row.note.clone(),
    }
}

/// List an article's revisions.
///
/// Signed-in users only, for articles they may see; a contributor reading another's article
/// gets the revisions from its first publication on. Every saved change (create, edit,
/// publish, unpublish, archive, correction, and a re-render after a quote, speaker or photo it
/// shows changed, with a `note` saying so) is a revision.
#[utoipa::path(
    tag = "articles",
    params(("id" = String, Path, description = "Article id or slug")),
    responses(
        (status = 200, description = "The revisions, oldest first", body = RevisionList),
        (status = 304, description = "Not modified"),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Partner keys may not read revisions"),
        (status = 404, description = "No such article, or not visible")
    ),
    security(("bearer" = []))
)]
#[get("/v1/articles/{id}/revisions")]
pub async fn list_article_revisions(
    state: web::Data<AppState>,
    user: SignedIn<Contributor>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = Caller::User(user.user);
    let key = path.into_inner();
    let rows = state
        .db
        .read(move |conn| revisions::list(conn, &caller, &key, &crate::time::now()))
        .await?;
    let latest = rows.last().and_then(|r| crate::time::parse(&r.created_at));
    let list = RevisionList {
        data: rows.iter().map(summary).collect(),
    };
    let body = serde_json::to_vec(&list).map_err(ApiError::internal)?;
    Ok(conditional(
        &req,
        "application/json",
        body,
        latest,
        CachePolicy::Private,
    ))
}

/// Read one revision of an article, with its full content.
#[utoipa::path(
    tag = "articles",
    params(
        ("id" = String, Path, description = "Article id or slug"),
        ("n" = i64, Path, description = "Revision number, from 1")
    ),
    responses(
        (status = 200, description = "The revision", body = Revision),
        (status = 304, description = "Not modified"),
        (status = 400, description = "The number is not a number"),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Partner keys may not read revisions"),
        (status = 404, description = "No such article or revision, or not visible")
    ),
    security(("bearer" = []))
)]
#[get("/v1/articles/{id}/revisions/{n}")]
pub async fn get_article_revision(
    state: web::Data<AppState>,
    user: SignedIn<Contributor>,
    req: HttpRequest,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, ApiError> {
    let caller = Caller::User(user.user);
    let (key, number) = path.into_inner();
    let row = state
        .db
        .read(move |conn| revisions::get(conn, &caller, &key, number, &crate::time::now()))
        .await?;
    let article: Article = serde_json::from_str(&row.snapshot).map_err(ApiError::internal)?;
    let revision = Revision {
        number: row.number,
        version: row.version,
        author_id: row.author_id.clone(),
        created_at: row.created_at.clone(),
        note: row.note.clone(),
        article,
    };
    let body = serde_json::to_vec(&revision).map_err(ApiError::internal)?;
    Ok(conditional(
        &req,
        "application/json",
        body,
        crate::time::parse(&row.created_at),
        CachePolicy::Private,
    ))
}
