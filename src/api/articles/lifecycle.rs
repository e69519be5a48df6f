//! An article's life after writing: publish (now or at a time), unpublish, archive, and
//! corrections appended to the record.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::Article;
use super::write::article_response;
use crate::auth::{Caller, Editor, SignedIn};
use crate::error::{ApiError, FieldError};
use crate::http::cache::IfMatch;
use crate::newsroom::articles::{self, Transition};
use crate::newsroom::policy::Actor;
use crate::state::AppState;

/// When to publish.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"at": "2026-12-01T06:00:00Z"}))]
pub struct PublishArticle {
    /// Publication time, RFC 3339. Absent: now. In the future: the article is scheduled and
    /// becomes visible when the time passes, with no job to run.
    #[schema(format = DateTime)]
    pub at: Option<String>,
}

/// A correction to append.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"note": "An earlier version misspelt the minister's name."}))]
pub struct CreateCorrection {
    /// What was corrected, as readers should see it.
    #[schema(min_length = 1, max_length = 2000)]
    pub note: String,
}

/// Runs one lifecycle change through `newsroom::articles::transition`, checking the optional
/// `If-Match`, and answers with the changed article.
async fn transition(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    key: String,
    operation: &'static str,
    change: Transition<'static>,
) -> Result<HttpResponse, ApiError> {
    let actor = Actor::of(&caller)?;
    let if_match = IfMatch::of(&req);
    let public_url = state.public_url.to_string();
    let row = state
        .db
        .write(move |conn| {
            let check = |version| if_match.check_when_sent(version);
            articles::transition(conn, &actor, &key, check, operation, change, &public_url)
        })
        .await?;
    let now = crate::time::now();
    article_response(StatusCode::OK, &row, &now, &state.public_url)
}

/// Publish an article, now or at a time.
///
/// Editors only. Without a body or `at`, it is published now. With `at` in the future it is
/// `scheduled` and becomes visible to readers when the time passes (its status then reads
/// `published`). A published article is a 409. `If-Match` is optional here; when sent it must
/// match.
#[utoipa::path(
    tag = "articles",
    params(
        ("id" = String, Path, description = "Article id or slug"),
        ("If-Match" = Option<String>, Header, description = "When sent, must be the current ETag"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer when the same key and body are sent again")
    ),
    request_body(content = Option<PublishArticle>, content_type = "application/json"),
    responses(
        (status = 200, description = "Published or scheduled", body = Article),
        (status = 400, description = "Malformed JSON"),
        (status = 413, description = "The body is too large"),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Only editors may publish"),
        (status = 404, description = "No such article, or not visible"),
        (status = 409, description = "Already published"),
        (status = 412, description = "If-Match is stale"),
        (status = 422, description = "`at` is not a time")
    ),
    security(("bearer" = []))
)]
#[post("/v1/articles/{id}/publish")]
pub async fn publish_article(
    state: web::Data<AppState>,
    editor: SignedIn<Editor>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let caller = Caller::User(editor.user);
    let request: PublishArticle = super::optional_json(&body)?.unwrap_or_default();
    let at = match request.at {
        None => None,
        Some(text) => Some(crate::time::normalize(&text).ok_or_else(|| {
            ApiError::invalid(vec![FieldError::new(
                "at",
                "must be an RFC 3339 time such as 2026-12-01T06:00:00Z",
            )])
        })?),
    };
    transition(
        state,
        caller,
        req,
        path.into_inner(),
        "publish",
        Box::new(move |row, now| articles::publish_changes(row, at, now)),
    )
    .await
}

/// Take an article back to draft.
///
/// Editors only. A published or scheduled article returns to `draft` and disappears from
/// public reads; its slug stays frozen.
#[utoipa::path(
    tag = "articles",
    params(
        ("id" = String, Path, description = "Article id or slug"),
        ("If-Match" = Option<String>, Header, description = "When sent, must be the current ETag"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer when the same key and body are sent again")
    ),
    responses(
        (status = 200, description = "Back to draft", body = Article),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Only editors may unpublish"),
        (status = 404, description = "No such article, or not visible"),
        (status = 409, description = "Not published or scheduled"),
        (status = 412, description = "If-Match is stale")
    ),
    security(("bearer" = []))
)]
#[post("/v1/articles/{id}/unpublish")]
pub async fn unpublish_article(
    state: web::Data<AppState>,
    editor: SignedIn<Editor>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = Caller::User(editor.user);
    transition(
        state,
        caller,
        req,
        path.into_inner(),
        "unpublish",
        Box::new(|row, _now| articles::unpublish_changes(row)),
    )
    .await
}

/// Archive an article.
///
/// Editors only. An archived article is kept for the record but hidden from public reads.
#[utoipa::path(
    tag = "articles",
    params(
        ("id" = String, Path, description = "Article id or slug"),
        ("If-Match" = Option<String>, Header, description = "When sent, must be the current ETag"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer when the same key and body are sent again")
    ),
    responses(
        (status = 200, description = "Archived", body = Article),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Only editors may archive"),
        (status = 404, description = "No such article, or not visible"),
        (status = 409, description = "Already archived"),
        (status = 412, description = "If-Match is stale")
    ),
    security(("bearer" = []))
)]
#[post("/v1/articles/{id}/archive")]
pub async fn archive_article(
    state: web::Data<AppState>,
    editor: SignedIn<Editor>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = Caller::User(editor.user);
    transition(
        state,
        caller,
        req,
        path.into_inner(),
        "unpublish",
        Box::new(|row, _now| articles::archive_changes(row)),
    )
    .await
}

/// Append a correction.
///
/// Editors only. The note is added to `corrections` with the time; earlier corrections are
/// never changed or removed.
#[utoipa::path(
    tag = "articles",
    params(
        ("id" = String, Path, description = "Article id or slug"),
        ("If-Match" = Option<String>, Header, description = "When sent, must be the current ETag"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer when the same key and body are sent again")
    ),
    request_body = CreateCorrection,
    responses(
        (status = 200, description = "The article with the correction appended", body = Article),
        (status = 400, description = "Malformed JSON"),
        (status = 413, description = "The body is too large"),
        (status = 415, description = "The body is not JSON"),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Only editors may correct"),
        (status = 404, description = "No such article, or not visible"),
        (status = 412, description = "If-Match is stale"),
        (status = 422, description = "Empty or too long note")
    ),
    security(("bearer" = []))
)]
#[post("/v1/articles/{id}/corrections")]
pub async fn create_correction(
    state: web::Data<AppState>,
    editor: SignedIn<Editor>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<CreateCorrection>,
) -> Result<HttpResponse, ApiError> {
    let caller = Caller::User(editor.user);
    let note = body.into_inner().note;
    if note.trim().is_empty() || note.chars().count() > 2000 {
        return Err(ApiError::invalid(vec![FieldError::new(
            "note",
            "must be 1 to 2000 characters",
        )]));
    }
    transition(
        state,
        caller,
        req,
        path.into_inner(),
        "update",
        Box::new(move |row, now| articles::correction_changes(row, note, now)),
    )
    .await
}
