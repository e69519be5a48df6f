//! Webhooks: the admin-only `/v1/webhooks` endpoints. The signing secret appears once, in the
//! answer to the webhook's creation; deliveries are made by [`crate::webhooks`].

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::pagination::{CREATION_ORDER, ListQuery, Page, private_page};
use crate::auth::{Admin, SignedIn};
use crate::db::webhooks::{self as store, DeliveryRow, NewWebhook, WebhookRow};
use crate::error::{ApiError, FieldError};
use crate::http::cache::{CachePolicy, IfMatch, resource_response};
use crate::state::AppState;

/// A webhook subscription, without its secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a1b2c-3d4e-7f00-8a9b-0c1d2e3f4a5c",
    "url": "https://hooks.example.com/newsdesk",
    "events": ["article.publish", "article.unpublish"],
    "created_by": "019a1b2c-0000-7f00-8a9b-0c1d2e3f4a5b",
    "created_at": "2026-11-30T12:00:00.000000Z",
    "updated_at": "2026-11-30T12:00:00.000000Z",
    "version": 1
}))]
pub struct Webhook {
    /// The webhook's id.
    pub id: String,
    /// Where deliveries are POSTed.
    pub url: String,
    /// The change-feed events delivered: `resource.operation`, `resource.*` or `*`.
    pub events: Vec<String>,
    /// The admin who created it.
    pub created_by: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// Grows with each change.
    pub version: i64,
}

impl From<WebhookRow> for Webhook {
    fn from(row: WebhookRow) -> Self {
        Webhook {
            events: serde_json::from_str(&row.events).unwrap_or_default(),
            id: row.id,
            url: row.url,
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
        }
    }
}

/// A webhook just created, with its signing secret: store it now, it is never shown again.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    /// The webhook's details.
    #[serde(flatten)]
    pub details: Webhook,
    /// The HMAC-SHA256 key of the `Newsdesk-Signature` header.
    #[schema(example = "whsec_6f1c0e9a2b7d4c3e8f5a1b2c3d4e5f60718293a4b5c6d7e8f9011223344556677")]
    pub secret: String,
}

/// A new webhook.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://hooks.example.com/newsdesk", "events": ["article.publish"]}))]
pub struct CreateWebhook {
    /// An http or https URL on a public address.
    pub url: String,
    /// Events to deliver: `article.publish`, `quote.*`, `*`, ... (resources `article`,
    /// `quote`, `speaker`, `media`; operations `create`, `update`, `publish`, `unpublish`,
    /// `delete`).
    pub events: Vec<String>,
}

/// One delivery of a change to a webhook, with its attempts so far.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookDelivery {
    /// The delivery's id (also sent as `Newsdesk-Delivery`).
    pub id: String,
    /// The event, e.g. `article.publish`.
    pub event: String,
    /// The change-feed position it reports.
    pub seq: i64,
    /// The JSON body sent.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// `pending` (waiting for an attempt or a retry), `delivered` or `failed` (gave up).
    #[schema(pattern = "^(pending|delivered|failed)$")]
    pub status: String,
    /// Attempts made so far.
    pub attempts: i32,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: Option<String>,
    /// The HTTP status of the last answer, when there was one.
    pub last_status_code: Option<i32>,
    /// What went wrong on the last attempt.
    pub last_error: Option<String>,
    /// When it was queued.
    pub created_at: String,
    /// Time of the last attempt.
    pub updated_at: String,
}

impl From<DeliveryRow> for WebhookDelivery {
    fn from(row: DeliveryRow) -> Self {
        WebhookDelivery {
            payload: serde_json::from_str(&row.payload).unwrap_or_default(),
            id: row.id,
            event: row.event,
            seq: row.change_seq,
            status: row.status,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            last_status_code: row.last_status_code,
            last_error: row.last_error,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

fn new_secret() -> String {
    let mut random = [0u8; 32];
    rand::fill(&mut random);
    format!("whsec_{}", hex::encode(random))
}

/// Lists webhooks, oldest first, without their secrets.
#[utoipa::path(
    tag = "admin",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of webhooks", body = Page<Webhook>),
        (status = 304, description = "The client's copy is current"),
        (status = 400, description = "A bad limit, cursor or unknown parameter"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Only admins manage webhooks")
    ),
    security(("bearer" = []))
)]
#[get("/v1/webhooks")]
pub async fn list_webhooks(
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
            Ok(store::list(conn, after, limit + 1)?)
        })
        .await?;
    private_page(
        rows,
        limit,
        CREATION_ORDER,
        |r| (r.created_at.clone(), r.id.clone()),
        |r| Ok(Webhook::from(r)),
        &req,
        &state.public_url,
    )
}

/// Creates a webhook. Changes committed from now on whose event matches `events` are POSTed
/// to `url` as `{seq, resource, id, operation, version, at}`, signed in the
/// `Newsdesk-Signature` header (`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, keyed
/// with `secret`). Failed deliveries are retried with growing waits. The URL must be http or
/// https and resolve only to globally reachable addresses: no block of the IANA special-purpose
/// registries that is not globally reachable, judging IPv4 inside IPv6 (mapped, compatible,
/// NAT64, 6to4) by the IPv4 address (unless the server allows private targets). It is checked
/// again at each delivery.
#[utoipa::path(
    tag = "admin",
    request_body = CreateWebhook,
    responses(
        (status = 201, description = "Created; `secret` is shown this once", body = CreatedWebhook,
            headers(("Location" = String, description = "The new webhook's URL"))),
        (status = 400, description = "The body is not valid JSON"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Only admins manage webhooks"),
        (status = 415, description = "The body is not application/json"),
        (status = 422, description = "A bad or unresolvable URL, one resolving to a special-purpose (not globally reachable) address, or an unknown event")
    ),
    security(("bearer" = []))
)]
#[post("/v1/webhooks")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    admin: SignedIn<Admin>,
    body: web::Json<CreateWebhook>,
) -> Result<HttpResponse, ApiError> {
    let CreateWebhook { url, events } = body.into_inner();
    let mut errors = Vec::new();
    if events.is_empty() {
        errors.push(FieldError::new("events", "must list at least one event"));
    } else if events.len() > 50 {
        errors.push(FieldError::new("events", "at most 50 events are allowed"));
    }
    for (i, event) in events.iter().enumerate() {
        if !crate::webhooks::valid_event(event) {
            errors.push(FieldError::new(
                format!("events[{i}]"),
                "must be `*`, `resource.*` or `resource.operation` (resources article, quote, speaker, media; operations create, update, publish, unpublish, delete)",
            ));
        }
    }
    if url.len() > 2000 {
        errors.push(FieldError::new("url", "must be at most 2000 characters"));
    } else if let Err(message) =
        crate::webhooks::check_target(&url, state.settings.webhook_allow_private).await
    {
        errors.push(FieldError::new("url", message));
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let events_json = serde_json::to_string(&events).map_err(ApiError::internal)?;
    let secret = new_secret();
    let created_by = Some(admin.id.clone());
    let stored_secret = secret.clone();
    let row = state
        .db
        .write(move |conn| {
            let now = crate::time::now();
            let new = NewWebhook {
                id: crate::ids::new_id(),
                url,
                events: events_json,
                secret: stored_secret,
                last_seq: store::latest_seq(conn)?,
                created_by,
                created_at: now.clone(),
                updated_at: now,
            };
            Ok(store::insert(conn, &new)?)
        })
        .await?;
    let details = Webhook::from(row);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/webhooks/{}", details.id)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(CreatedWebhook { details, secret }))
}

/// One webhook, without its secret.
#[utoipa::path(
    tag = "admin",
    params(("id" = String, Path, description = "The webhook's id")),
    responses(
        (status = 200, description = "The webhook", body = Webhook),
        (status = 304, description = "The client's copy is current"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Only admins manage webhooks"),
        (status = 404, description = "No such webhook")
    ),
    security(("bearer" = []))
)]
#[get("/v1/webhooks/{id}")]
pub async fn get_webhook(
    req: HttpRequest,
    state: web::Data<AppState>,
    _admin: SignedIn<Admin>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let key = id.clone();
    let row = state
        .db
        .read(move |conn| Ok(store::find(conn, &key)?))
        .await?
        .ok_or_else(|| ApiError::not_found("webhook", &id))?;
    let webhook = Webhook::from(row);
    let last_modified = crate::time::parse(&webhook.updated_at);
    resource_response(
        &req,
        &webhook,
        webhook.version,
        last_modified,
        CachePolicy::Private,
    )
}

/// Deletes a webhook and its delivery log; nothing more is sent to it. Requires `If-Match`.
#[utoipa::path(
    tag = "admin",
    params(
        ("id" = String, Path, description = "The webhook's id"),
        ("If-Match" = String, Header, description = "The ETag of your copy")
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Only admins manage webhooks"),
        (status = 404, description = "No such webhook"),
        (status = 412, description = "The webhook changed since your copy"),
        (status = 428, description = "If-Match is missing")
    ),
    security(("bearer" = []))
)]
#[delete("/v1/webhooks/{id}")]
pub async fn delete_webhook(
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
            let row = store::find(conn, &id)?.ok_or_else(|| ApiError::not_found("webhook", &id))?;
            if_match.check(row.version)?;
            store::delete(conn, &id)?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The delivery log of a webhook, newest first: each change sent (or waiting to be), its
/// status, attempts and the last answer or error.
#[utoipa::path(
    tag = "admin",
    params(("id" = String, Path, description = "The webhook's id"), ListQuery),
    responses(
        (status = 200, description = "A page of deliveries", body = Page<WebhookDelivery>),
        (status = 304, description = "The client's copy is current"),
        (status = 400, description = "A bad limit, cursor or unknown parameter"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Only admins manage webhooks"),
        (status = 404, description = "No such webhook")
    ),
    security(("bearer" = []))
)]
#[get("/v1/webhooks/{id}/deliveries")]
pub async fn list_webhook_deliveries(
    req: HttpRequest,
    state: web::Data<AppState>,
    _admin: SignedIn<Admin>,
    id: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = query.position(DELIVERY_SORT)?;
    let id = id.into_inner();
    let rows = state
        .db
        .read(move |conn| {
            if store::find(conn, &id)?.is_none() {
                return Err(ApiError::not_found("webhook", &id));
            }
            let after = after.as_ref().map(|(k, i)| (k.as_str(), i.as_str()));
            Ok(store::deliveries(conn, &id, after, limit + 1)?)
        })
        .await?;
    private_page(
        rows,
        limit,
        DELIVERY_SORT,
        |r| (r.created_at.clone(), r.id.clone()),
        |r| Ok(WebhookDelivery::from(r)),
        &req,
        &state.public_url,
    )
}

/// The one sort of the delivery log: newest first.
const DELIVERY_SORT: &str = "-created_at";
