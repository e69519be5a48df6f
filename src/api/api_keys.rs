//! Partner API keys: the admin-only `/v1/api-keys` endpoints. The key itself appears once, in
//! the answer to its creation.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::pagination::{CREATION_ORDER, ListQuery, Page, private_page};
use crate::auth::keys::{self, NewApiKey};
use crate::auth::{Admin, Scope, SignedIn};
use crate::db;
use crate::error::ApiError;
use crate::http::cache::{CachePolicy, IfMatch, resource_response};
use crate::state::AppState;
pub use crate::views::api_keys::ApiKey;

/// A key just created, with the key itself: store it now, it is never shown again.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    /// The key's details.
    #[serde(flatten)]
    pub details: ApiKey,
    /// The key: send it as `X-Api-Key` (or `?api_key=` on feed URLs).
    #[schema(example = "ndk_q3X9aB1cEXAMPLEEXAMPLEEXAMPLEEXAMPLE")]
    pub key: String,
}

/// A key's rate limit: a rate such as `120/min` or `10/s`, or a number of requests per minute;
/// `0` is unlimited.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum RateSpec {
    /// A rate such as `120/min` or `10/s`; `0` is unlimited.
    Rate(String),
    /// Requests per minute; `0` is unlimited.
    PerMinute(u64),
}

/// A new key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Example Wire feed reader", "scopes": ["feeds:read"], "rate_limit": "120/min"}))]
pub struct CreateApiKey {
    /// What the key is for, e.g. the partner's name.
    pub name: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// Its own rate limit: a rate such as `120/min` or `10/s`, or a number of requests per
    /// minute; `0` is unlimited. Default `600/min`.
    #[schema(value_type = Option<RateSpec>, example = "120/min")]
    pub rate_limit: Option<serde_json::Value>,
}

/// Lists keys, oldest first, revoked ones included; never with their secrets.
#[utoipa::path(
    tag = "admin",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of keys", body = Page<ApiKey>),
        (status = 304, description = "The client's copy is current"),
        (status = 400, description = "A bad limit, cursor or unknown parameter"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Only admins manage API keys")
    ),
    security(("bearer" = []))
)]
#[get("/v1/api-keys")]
pub async fn list_api_keys(
    req: HttpRequest,
    state: web::Data<AppState>,
    _admin: SignedIn<Admin>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = query.position(CREATION_ORDER)?;
    let rows = state
        .db
        .read(move |conn| {
            let after = after.as_ref().map(|(k, i)| (k.as_str(), i.as_str()));
            Ok(db::api_keys::list(conn, after, limit + 1)?)
        })
        .await?;
    private_page(
        rows,
        limit,
        CREATION_ORDER,
        |r| (r.created_at.clone(), r.id.clone()),
        ApiKey::try_from,
        &req,
        &state.public_url,
    )
}

/// Creates a key. The answer is the only place the key itself ever appears.
#[utoipa::path(
    tag = "admin",
    request_body = CreateApiKey,
    responses(
        (status = 201, description = "Created; `key` is shown this once", body = CreatedApiKey,
            headers(("Location" = String, description = "The new key's URL"))),
        (status = 400, description = "The body is not valid JSON"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Only admins manage API keys"),
        (status = 415, description = "The body is not application/json"),
        (status = 422, description = "A missing name, an unknown scope or a bad rate")
    ),
    security(("bearer" = []))
)]
#[post("/v1/api-keys")]
pub async fn create_api_key(
    state: web::Data<AppState>,
    admin: SignedIn<Admin>,
    body: web::Json<CreateApiKey>,
) -> Result<HttpResponse, ApiError> {
    let CreateApiKey {
        name,
        scopes,
        rate_limit,
    } = body.into_inner();
    let rate = keys::rate_from_json(rate_limit.as_ref())?;
    let (row, key) = keys::create_api_key(
        &state.db,
        NewApiKey {
            name,
            scopes,
            rate,
            created_by: Some(admin.id.clone()),
        },
    )
    .await?;
    let details = ApiKey::try_from(row)?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/api-keys/{}", details.id)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(CreatedApiKey { details, key }))
}

/// One key, without its secret.
#[utoipa::path(
    tag = "admin",
    params(("id" = String, Path, description = "The key's id")),
    responses(
        (status = 200, description = "The key", body = ApiKey),
        (status = 304, description = "The client's copy is current"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Only admins manage API keys"),
        (status = 404, description = "No such key")
    ),
    security(("bearer" = []))
)]
#[get("/v1/api-keys/{id}")]
pub async fn get_api_key(
    req: HttpRequest,
    state: web::Data<AppState>,
    _admin: SignedIn<Admin>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let key = id.clone();
    let row = state
        .db
        .read(move |conn| Ok(db::api_keys::find(conn, &key)?))
        .await?
        .ok_or_else(|| ApiError::not_found("API key", &id))?;
    let key = ApiKey::try_from(row)?;
    let last_modified = crate::time::parse(&key.updated_at);
    resource_response(&req, &key, key.version, last_modified, CachePolicy::Private)
}

/// Revokes a key: from now on it is refused with 401. The record stays listed with its
/// `revoked_at`. Requires `If-Match`.
#[utoipa::path(
    tag = "admin",
    params(
        ("id" = String, Path, description = "The key's id"),
        ("If-Match" = String, Header, description = "The ETag of your copy")
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Only admins manage API keys"),
        (status = 404, description = "No such key"),
        (status = 412, description = "The key changed since your copy"),
        (status = 428, description = "If-Match is missing")
    ),
    security(("bearer" = []))
)]
#[delete("/v1/api-keys/{id}")]
pub async fn revoke_api_key(
    req: HttpRequest,
    state: web::Data<AppState>,
    _admin: SignedIn<Admin>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let if_match = IfMatch::required(&req)?;
    let id = id.into_inner();
    state
        .db
        .write(move |conn| {
            let row = db::api_keys::find(conn, &id)?
                .ok_or_else(|| ApiError::not_found("API key", &id))?;
            if_match.check(row.version)?;
            if row.revoked_at.is_none() {
                db::api_keys::revoke(conn, &id, &crate::time::now(), row.version + 1)?;
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
