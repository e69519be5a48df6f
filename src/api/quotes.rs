//! Quotes: what speakers said, standing alone or attached to an article.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::pagination::{self, ListPage, decode_cursor, paginate};
use crate::api::patch::{Checks, not_null, patch_field};
use crate::api::query::{NoQuery, Sort, parse_fields};
use crate::auth::{Caller, Contributor, Editor, SignedIn};
use crate::db::content_support::{Keyset, latest_change_at};
use crate::db::quotes::{self as db, QuoteFilter};
use crate::error::ApiError;
use crate::http::cache::{CachePolicy, IfMatch, conditional_resource, write_response};
use crate::newsroom::policy::Actor;
use crate::newsroom::quotes::{self as core, NewQuoteInput, QuoteEdit};
use crate::newsroom::visibility::Viewer;
use crate::state::AppState;
pub use crate::views::quotes::{QUOTE_FIELDS, Quote, QuotePage};

const TEXT_MAX: usize = 5_000;
const SHORT_MAX: usize = 500;

/// A new quote.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "text": "This is a budget for growth, not for austerity.",
    "speaker_id": "0193a3c4-5b6e-7f00-8a1b-2c3d4e5f6a7b",
    "context": "said at a press conference after the vote",
    "said_on": "2026-11-29"
}))]
pub struct CreateQuote {
    /// What was said (1 to 5,000 characters).
    pub text: String,
    /// An existing speaker's id or slug.
    pub speaker_id: String,
    /// An existing article's id, or absent for a quote that stands alone.
    pub article_id: Option<String>,
    /// How it was said (at most 500 characters).
    pub context: Option<String>,
    /// The speaker's title at the time (at most 500 characters).
    pub speaker_title: Option<String>,
    /// The day it was said (`YYYY-MM-DD`).
    #[schema(format = Date)]
    pub said_on: Option<String>,
}

/// Changes to a quote, with JSON merge-patch semantics: absent fields stay as they are,
/// `null` clears a nullable field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"context": "said in a radio interview", "article_id": null}))]
pub struct UpdateQuote {
    /// What was said; cannot be null.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = String, required = false)]
    pub text: Option<Option<String>>,
    /// Another speaker's id or slug; cannot be null.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = String, required = false)]
    pub speaker_id: Option<Option<String>>,
    /// The article it belongs to; null detaches it.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    pub article_id: Option<Option<String>>,
    /// How it was said.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    pub context: Option<Option<String>>,
    /// The speaker's title at the time.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    pub speaker_title: Option<Option<String>>,
    /// The day it was said (`YYYY-MM-DD`).
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>, format = Date)]
    pub said_on: Option<Option<String>>,
}

/// Query parameters of a speaker's quote list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QuoteListQuery {
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `created_at` or `updated_at`; prefix `-` for descending (default `-created_at`).
    #[param(pattern = "^-?(created_at|updated_at)$")]
    pub sort: Option<String>,
    /// Comma-separated fields to return (`id` is always included).
    pub fields: Option<String>,
    /// `true` adds `total`.
    pub count: Option<bool>,
}

/// Query parameters of the quote list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QuotesQuery {
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `created_at` or `updated_at`; prefix `-` for descending (default `-created_at`).
    #[param(pattern = "^-?(created_at|updated_at)$")]
    pub sort: Option<String>,
    /// Comma-separated fields to return (`id` is always included).
    pub fields: Option<String>,
    /// `true` adds `total`.
    pub count: Option<bool>,
    /// Only quotes of this speaker (id).
    pub speaker_id: Option<String>,
    /// Only quotes belonging to this article (id).
    pub article_id: Option<String>,
}

const QUOTE_SORTS: &[(&str, &str)] = &[
    ("created_at", "quotes.created_at"),
    ("updated_at", "quotes.updated_at"),
];

fn quote_path(id: &str) -> String {
    format!("/v1/quotes/{id}")
}

fn policy(state: &AppState, caller: &Caller) -> CachePolicy {
    CachePolicy::for_caller(caller, state.settings.cache_max_age)
}

/// A list of quotes under `filter`, answered for `caller`; shared with the speaker's quotes.
pub async fn list_quotes_for(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    filter: QuoteFilter,
    query: QuoteListQuery,
) -> Result<HttpResponse, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let sort = Sort::parse(query.sort.as_deref(), QUOTE_SORTS, "-created_at")?;
    let fields = parse_fields(query.fields.as_deref(), QUOTE_FIELDS)?;
    let fingerprint = format!(
        "{}|{}|{}",
        sort.text(),
        filter.speaker_id.as_deref().unwrap_or(""),
        filter.article_id.as_deref().unwrap_or("")
    );
    let after = decode_cursor(query.cursor.as_deref(), &fingerprint)?;
    let keyset = Keyset {
        column: sort.column,
        descending: sort.descending,
        after,
        fetch: limit + 1,
    };
    let want_total = query.count == Some(true);
    let page = state
        .db
        .read(move |conn| {
            let rows = db::list(conn, &filter, &keyset)?;
            let (rows, next_cursor) = paginate(rows, limit, &fingerprint, |row| {
                let key = match sort.field {
                    "updated_at" => row.updated_at.clone(),
                    _ => row.created_at.clone(),
                };
                (key, row.id.clone())
            });
            let total = if want_total {
                Some(db::count(conn, &filter)?)
            } else {
                None
            };
            Ok(ListPage {
                items: rows.into_iter().map(Quote::from).collect::<Vec<_>>(),
                next_cursor,
                total,
                last_modified: latest_change_at(conn)?,
            })
        })
        .await?;
    pagination::list_response(
        &req,
        &state.public_url,
        policy(&state, &caller),
        page,
        fields.as_deref(),
    )
}

/// Lists quotes, newest first unless `sort` says otherwise. The public sees quotes that stand
/// alone or belong to a publicly visible article; signed-in users see all.
#[utoipa::path(
    tag = "quotes",
    params(QuotesQuery),
    responses(
        (status = 200, description = "A page of quotes; `Link` points at the next page", body = QuotePage),
        (status = 304, description = "The client's copy is current"),
        (status = 400, description = "Unknown parameter, bad `limit`, `sort`, `fields` or `cursor`"),
        (status = 401, description = "Credentials were presented but are not valid")
    )
)]
#[get("/v1/quotes")]
pub async fn list_quotes(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<QuotesQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let filter = QuoteFilter {
        speaker_id: query.speaker_id,
        article_id: query.article_id,
        viewer: Viewer::of(&caller),
        now: crate::time::now(),
    };
    let list = QuoteListQuery {
        limit: query.limit,
        cursor: query.cursor,
        sort: query.sort,
        fields: query.fields,
        count: query.count,
    };
    list_quotes_for(req, state, caller, filter, list).await
}

fn check_said_on(checks: &mut Checks, said_on: Option<&str>) {
    if let Some(day) = said_on
        && chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_err()
    {
        checks.push("said_on", "must be a date written YYYY-MM-DD");
    }
}

/// Creates a quote. Contributors and above.
#[utoipa::path(
    tag = "quotes",
    request_body = CreateQuote,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created; `Location` and `ETag` are set", body = Quote),
        (status = 400, description = "The body is not JSON"),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Not a contributor, editor or admin, or a contributor attaching the quote to an article that is not their own draft"),
        (status = 413, description = "The body is too large"),
        (status = 415, description = "The body is not `application/json`"),
        (status = 422, description = "Invalid or unknown fields, or a `speaker_id` or `article_id` that does not exist")
    )
)]
#[post("/v1/quotes")]
pub async fn create_quote(
    state: web::Data<AppState>,
    author: SignedIn<Contributor>,
    body: web::Json<CreateQuote>,
    _query: web::Query<NoQuery>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let mut checks = Checks::default();
    checks.required("text", &body.text, TEXT_MAX);
    checks.optional("context", body.context.as_deref(), SHORT_MAX);
    checks.optional("speaker_title", body.speaker_title.as_deref(), SHORT_MAX);
    check_said_on(&mut checks, body.said_on.as_deref());
    let actor = Actor::of(&Caller::User(author.user))?;
    let input = NewQuoteInput {
        text: body.text,
        speaker: body.speaker_id,
        article_id: body.article_id,
        context: body.context,
        speaker_title: body.speaker_title,
        said_on: body.said_on,
    };
    let row = state
        .db
        .write(move |conn| core::create(conn, &actor, input, checks.errors))
        .await?;
    let quote = Quote::from(row);
    write_response(Some(&quote_path(&quote.id)), &quote, quote.version)
}

/// Reads a quote. The public only sees quotes that stand alone or belong to a publicly visible
/// article.
#[utoipa::path(
    tag = "quotes",
    params(("id" = String, Path, description = "Quote id")),
    responses(
        (status = 200, description = "The quote, with `ETag` and `Last-Modified`", body = Quote),
        (status = 304, description = "The client's copy is current"),
        (status = 401, description = "Credentials were presented but are not valid"),
        (status = 404, description = "No such quote, or not visible to the caller")
    )
)]
#[get("/v1/quotes/{id}")]
pub async fn get_quote(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    _query: web::Query<NoQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let viewer = Viewer::of(&caller);
    let row = state
        .db
        .read(move |conn| {
            db::find_visible(conn, &id, &viewer, &crate::time::now())?
                .ok_or_else(|| ApiError::not_found("quote", &id))
        })
        .await?;
    let version = row.version;
    let updated = crate::time::parse(&row.updated_at);
    let body = serde_json::to_vec(&Quote::from(row)).map_err(ApiError::internal)?;
    Ok(conditional_resource(
        &req,
        body,
        version,
        updated,
        policy(&state, &caller),
    ))
}

/// Changes a quote (JSON merge patch). Editors, and contributors for quotes they created that
/// no published or scheduled article shows; `If-Match` required. Articles showing it are
/// rendered again, each a new version and revision.
#[utoipa::path(
    tag = "quotes",
    params(
        ("id" = String, Path, description = "Quote id"),
        ("If-Match" = String, Header, description = "The ETag of the quote as last read")
    ),
    request_body = UpdateQuote,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed quote, with its new `ETag`", body = Quote),
        (status = 400, description = "The body is not JSON"),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "A partner key, a contributor changing a quote they did not create or one a published or scheduled article shows, or attaching it to an article that is not their own draft"),
        (status = 404, description = "No such quote"),
        (status = 412, description = "`If-Match` does not match the current version"),
        (status = 413, description = "The body is too large"),
        (status = 415, description = "The body is not `application/json`"),
        (status = 422, description = "Invalid, null or unknown fields, or a `speaker_id` or `article_id` that does not exist"),
        (status = 428, description = "`If-Match` is missing")
    )
)]
#[patch("/v1/quotes/{id}")]
pub async fn update_quote(
    req: HttpRequest,
    state: web::Data<AppState>,
    author: SignedIn<Contributor>,
    path: web::Path<String>,
    body: web::Json<UpdateQuote>,
    _query: web::Query<NoQuery>,
) -> Result<HttpResponse, ApiError> {
    let if_match = IfMatch::required(&req)?;
    let id = path.into_inner();
    let body = body.into_inner();
    let mut checks = Checks::default();
    let text = not_null(&mut checks, "text", body.text);
    let speaker_key = not_null(&mut checks, "speaker_id", body.speaker_id);
    if let Some(text) = &text {
        checks.required("text", text, TEXT_MAX);
    }
    for (field, value) in [
        ("context", &body.context),
        ("speaker_title", &body.speaker_title),
    ] {
        checks.optional(field, value.as_ref().and_then(|v| v.as_deref()), SHORT_MAX);
    }
    check_said_on(
        &mut checks,
        body.said_on.as_ref().and_then(|v| v.as_deref()),
    );
    let actor = Actor::of(&Caller::User(author.user))?;
    let edit = QuoteEdit {
        text,
        speaker: speaker_key,
        article_id: body.article_id,
        context: body.context,
        speaker_title: body.speaker_title,
        said_on: body.said_on,
    };
    let public_url = state.public_url.to_string();
    let row = state
        .db
        .write(move |conn| {
            core::update(
                conn,
                &actor,
                &id,
                |version| if_match.check(version),
                edit,
                checks.errors,
                &public_url,
            )
        })
        .await?;
    let quote = Quote::from(row);
    write_response(None, &quote, quote.version)
}

/// Deletes a quote no article body uses. Editors and admins; `If-Match` required.
#[utoipa::path(
    tag = "quotes",
    params(
        ("id" = String, Path, description = "Quote id"),
        ("If-Match" = String, Header, description = "The ETag of the quote as last read")
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Not an editor or admin"),
        (status = 404, description = "No such quote"),
        (status = 409, description = "An article's body still uses the quote; the detail says how many"),
        (status = 412, description = "`If-Match` does not match the current version"),
        (status = 428, description = "`If-Match` is missing")
    )
)]
#[delete("/v1/quotes/{id}")]
pub async fn delete_quote(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: SignedIn<Editor>,
    path: web::Path<String>,
    _query: web::Query<NoQuery>,
) -> Result<HttpResponse, ApiError> {
    let if_match = IfMatch::required(&req)?;
    let id = path.into_inner();
    let actor = Actor::of(&Caller::User(user.user))?;
    state
        .db
        .write(move |conn| core::delete(conn, &actor, &id, |version| if_match.check(version)))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Lists what a speaker said: for the public, only quotes that are public (standing alone or
/// in a visible article); for signed-in users, all of them.
#[utoipa::path(
    tag = "speakers",
    params(("id" = String, Path, description = "Speaker id or slug"), QuoteListQuery),
    responses(
        (status = 200, description = "A page of quotes; `Link` points at the next page", body = QuotePage),
        (status = 304, description = "The client's copy is current"),
        (status = 400, description = "Unknown parameter, bad `limit`, `sort`, `fields` or `cursor`"),
        (status = 401, description = "Credentials were presented but are not valid"),
        (status = 404, description = "No such speaker")
    )
)]
#[get("/v1/speakers/{id}/quotes")]
pub async fn list_speaker_quotes(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<QuoteListQuery>,
) -> Result<HttpResponse, ApiError> {
    let key = path.into_inner();
    let speaker = state
        .db
        .read(move |conn| crate::newsroom::speakers::find(conn, &key))
        .await?;
    let filter = QuoteFilter {
        speaker_id: Some(speaker.id),
        article_id: None,
        viewer: Viewer::of(&caller),
        now: crate::time::now(),
    };
    list_quotes_for(req, state, caller, filter, query.into_inner()).await
}
