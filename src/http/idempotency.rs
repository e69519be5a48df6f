//! `Idempotency-Key` on POST, for every endpoint (draft-ietf-httpapi-idempotency-key-header):
//! the key is reserved in the database before the handler runs, in the same transaction that
//! looks it up, so of several requests with one key exactly one runs. While it runs, the others
//! get a 409; once its answer is stored, the same key with the same request from the same
//! caller gets that answer again, and with a different request a 422. Keys expire after 24
//! hours: expired ones are purged whenever a key is reserved, and an expired key is new again.
//!
//! Only requests from identified callers (signed-in users, partner keys) take part, and never
//! the sign-in endpoints (their answers carry tokens that must not be stored).

use std::time::Duration;

use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::auth::Caller;
use crate::config::Settings;
use crate::db::Db;
use crate::db::schema::idempotency_keys;
use crate::error::{ApiError, FieldError};
use crate::state::AppState;

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// The response header set on a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";
/// How long a key and its answer are kept.
pub const KEY_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
/// How long a reservation may stay unfinished before it is taken for abandoned (its server
/// stopped mid-request); no handler runs this long.
pub const IN_FLIGHT_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Room for the multipart framing and metadata parts around an upload's file, as
/// `POST /v1/media` allows it.
const MULTIPART_OVERHEAD: usize = 256 * 1024;

/// A stored first answer, or a reservation (`completed` false) while the first request runs.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys, check_for_backend(diesel::sqlite::Sqlite))]
pub struct StoredAnswer {
    /// Who sent the request (`user:ID` or `key:ID`).
    pub caller: String,
    /// The client's key.
    pub key: String,
    /// Request method.
    pub method: String,
    /// Request path and query.
    pub path: String,
    /// SHA-256 of method, path and body.
    pub request_hash: String,
    /// Status of the first answer (0 while it runs).
    pub status: i32,
    /// Its content type.
    pub content_type: Option<String>,
    /// Its Location header.
    pub location: Option<String>,
    /// Its body.
    pub body: Vec<u8>,
    /// When the key was first used.
    pub created_at: String,
    /// Whether the answer is stored (false while the first request runs).
    pub completed: bool,
}

/// What a key's reservation found.
#[derive(Debug)]
pub enum Reservation {
    /// The key is new (or had expired): it is now reserved, and the request runs.
    Reserved,
    /// The first request with this key is still running (whatever this one's body).
    InFlight,
    /// The key was used with another request.
    Mismatch,
    /// The first answer, to send again.
    Replay(Box<StoredAnswer>),
}

/// A request to reserve its key for: who, which key, and the request's fingerprint.
#[derive(Debug, Clone)]
pub struct KeyedRequest {
    /// `user:ID` or `key:ID`.
    pub caller: String,
    /// The client's key.
    pub key: String,
    /// Request method.
    pub method: String,
    /// Request path and query.
    pub path: String,
    /// SHA-256 of method, path and body.
    pub request_hash: String,
}

/// Purges expired keys and abandoned reservations, then reserves `request`'s key unless it is
/// taken; run it inside a write transaction (`Db::write`), which makes look-up and reservation
/// one atomic step.
pub fn reserve(
    conn: &mut SqliteConnection,
    request: &KeyedRequest,
    now: DateTime<Utc>,
) -> Result<Reservation, ApiError> {
    let expired = crate::time::format(now - KEY_LIFETIME);
    let abandoned = crate::time::format(now - IN_FLIGHT_LIFETIME);
    diesel::delete(
        idempotency_keys::table.filter(
            idempotency_keys::created_at
                .lt(&expired)
                .or(idempotency_keys::completed
                    .eq(false)
                    .and(idempotency_keys::created_at.lt(&abandoned))),
        ),
    )
    .execute(conn)?;
    let stored = idempotency_keys::table
        .find((&request.caller, &request.key))
        .select(StoredAnswer::as_select())
        .first(conn)
        .optional()?;
    match stored {
        // While the first request runs, any other with its key waits for it, whatever its body.
        Some(stored) if !stored.completed => Ok(Reservation::InFlight),
        Some(stored) if stored.request_hash != request.request_hash => Ok(Reservation::Mismatch),
        Some(stored) => Ok(Reservation::Replay(Box::new(stored))),
        None => {
            diesel::insert_into(idempotency_keys::table)
                .values(&StoredAnswer {
                    caller: request.caller.clone(),
                    key: request.key.clone(),
                    method: request.method.clone(),
                    path: request.path.clone(),
                    request_hash: request.request_hash.clone(),
                    status: 0,
                    content_type: None,
                    location: None,
                    body: Vec::new(),
                    created_at: crate::time::format(now),
                    completed: false,
                })
                .execute(conn)?;
            Ok(Reservation::Reserved)
        }
    }
}

/// The first answer to keep for a reserved key.
struct Answer {
    status: i32,
    content_type: Option<String>,
    location: Option<String>,
    body: Vec<u8>,
}

/// A reserved key whose request is running. Unless its answer is stored, the reservation is
/// withdrawn when this is dropped (the handler failed, the answer is not worth keeping, or the
/// client went away), so the client may try again with the same key.
struct InFlight {
    db: Db,
    caller: String,
    key: String,
    settled: bool,
}

impl InFlight {
    /// Stores the first answer, which makes the key replay it.
    async fn complete(mut self, answer: Answer) -> Result<(), ApiError> {
        let (caller, key) = (self.caller.clone(), self.key.clone());
        let stored = self
            .db
            .write(move |conn| {
                diesel::update(
                    idempotency_keys::table
                        .find((caller, key))
                        .filter(idempotency_keys::completed.eq(false)),
                )
                .set((
                    idempotency_keys::status.eq(answer.status),
                    idempotency_keys::content_type.eq(answer.content_type),
                    idempotency_keys::location.eq(answer.location),
                    idempotency_keys::body.eq(answer.body),
                    idempotency_keys::completed.eq(true),
                ))
                .execute(conn)?;
                Ok(())
            })
            .await;
        self.settled = stored.is_ok();
        stored
    }

    /// Withdraws the reservation before the answer goes out, so a retry right after it finds
    /// the key free.
    async fn withdraw(mut self) {
        let (caller, key) = (self.caller.clone(), self.key.clone());
        let withdrawn = self
            .db
            .write(move |conn| withdraw(conn, &caller, &key))
            .await;
        self.settled = withdrawn.is_ok();
    }
}

fn withdraw(conn: &mut SqliteConnection, caller: &str, key: &str) -> Result<(), ApiError> {
    diesel::delete(
        idempotency_keys::table
            .find((caller, key))
            .filter(idempotency_keys::completed.eq(false)),
    )
    .execute(conn)?;
    Ok(())
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let (db, caller, key) = (self.db.clone(), self.caller.clone(), self.key.clone());
        actix_web::rt::spawn(async move {
            let withdrawn = db.write(move |conn| withdraw(conn, &caller, &key)).await;
            // Left in place, the reservation is taken for abandoned after IN_FLIGHT_LIFETIME.
            if let Err(err) = withdrawn {
                tracing::warn!(error = %err, "could not withdraw an idempotency key reservation");
            }
        });
    }
}

fn caller_id(caller: &Caller) -> Option<String> {
    match caller {
        Caller::User(user) => Some(format!("user:{}", user.id)),
        Caller::Partner(partner) => Some(format!("key:{}", partner.key_id)),
        Caller::Anonymous => None,
    }
}

fn error(req: ServiceRequest, err: ApiError) -> ServiceResponse<BoxBody> {
    let response = err.error_response();
    req.into_response(response)
}

/// Answers worth replaying: successes and client errors other than those that depend on
/// the moment (credentials, rate limits).
fn storable(status: StatusCode) -> bool {
    (status.is_success() || status.is_client_error()) && !matches!(status.as_u16(), 401 | 408 | 429)
}

/// The largest body the endpoint itself accepts: an upload's limit for `POST /v1/media`, the
/// JSON body limit for every other POST. A body is never buffered past it.
fn body_limit(settings: &Settings, path: &str) -> usize {
    if path == "/v1/media" {
        settings.max_upload_bytes.saturating_add(MULTIPART_OVERHEAD)
    } else {
        settings.max_body_bytes
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::PayloadTooLarge {
        detail: format!("the body is larger than the limit of {limit} bytes"),
    }
}

/// The middleware (wrap with `actix_web::middleware::from_fn`).
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let key = req
        .headers()
        .get(HEADER)
        .map(|v| v.to_str().map(str::to_owned));
    let applies = req.method() == Method::POST && !req.path().starts_with("/v1/auth/");
    let (Some(key), true) = (key, applies) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let key = match key {
        Ok(key) if (1..=255).contains(&key.len()) => key,
        _ => {
            return Ok(error(
                req,
                ApiError::BadRequest {
                    detail: "Idempotency-Key must be 1 to 255 visible ASCII characters".into(),
                    errors: vec![FieldError::new("Idempotency-Key", "is not a valid key")],
                },
            ));
        }
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let caller = match req.extract::<Caller>().await {
        Ok(caller) => caller_id(&caller),
        Err(_) => None,
    };
    let Some(caller) = caller else {
        // Unidentified or refused callers get the handler's own answer (usually a 401).
        return Ok(next.call(req).await?.map_into_boxed_body());
    };

    // Read the body to fingerprint it, then hand it on to the handler unchanged.
    let limit = body_limit(&state.settings, req.path());
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Ok(error(req, too_large(limit)));
    }
    let mut body = web::BytesMut::new();
    let mut payload = req.take_payload();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > limit {
            return Ok(error(req, too_large(limit)));
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    let method = req.method().to_string();
    let path = match req.query_string() {
        "" => req.path().to_owned(),
        query => format!("{}?{query}", req.path()),
    };
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update([0]);
    hasher.update(path.as_bytes());
    hasher.update([0]);
    hasher.update(&body);
    let request_hash = hex::encode(hasher.finalize());
    req.set_payload(Payload::from(body));

    let request = KeyedRequest {
        caller: caller.clone(),
        key: key.clone(),
        method,
        path,
        request_hash,
    };
    let reserved = state
        .db
        .write(move |conn| reserve(conn, &request, Utc::now()))
        .await;
    let stored = match reserved {
        Ok(Reservation::Reserved) => None,
        Ok(Reservation::Replay(stored)) => Some(*stored),
        Ok(Reservation::InFlight) => {
            return Ok(error(
                req,
                ApiError::Conflict {
                    detail: "a request with this Idempotency-Key is still being processed; \
                             retry once it has been answered"
                        .to_owned(),
                },
            ));
        }
        Ok(Reservation::Mismatch) => {
            return Ok(error(
                req,
                ApiError::invalid(vec![FieldError::new(
                    "Idempotency-Key",
                    "was already used with a different request; use a new key for a new request",
                )]),
            ));
        }
        Err(err) => return Ok(error(req, err)),
    };
    if let Some(stored) = stored {
        let status = StatusCode::from_u16(u16::try_from(stored.status).unwrap_or(200))
            .unwrap_or(StatusCode::OK);
        let mut response = HttpResponse::build(status);
        response.insert_header((REPLAYED, "true"));
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(location) = stored.location {
            response.insert_header((header::LOCATION, location));
        }
        if let Some(content_type) = stored.content_type {
            response.insert_header((header::CONTENT_TYPE, content_type));
        }
        return Ok(req.into_response(response.body(stored.body)));
    }

    let in_flight = InFlight {
        db: state.db.clone(),
        caller,
        key,
        settled: false,
    };
    let response = next.call(req).await?;
    let status = response.status();
    if !storable(status) {
        in_flight.withdraw().await;
        return Ok(response.map_into_boxed_body());
    }
    let header_text = |name: header::HeaderName| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header_text(header::CONTENT_TYPE);
    let location = header_text(header::LOCATION);
    let (http_req, http_res) = response.into_parts();
    let (http_res, body) = http_res.into_parts();
    let bytes = match actix_web::body::to_bytes(body).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return Ok(error(
                ServiceRequest::from_parts(http_req, Payload::None),
                ApiError::internal("could not read the response body"),
            ));
        }
    };
    let answer = Answer {
        status: i32::from(status.as_u16()),
        content_type,
        location,
        body: bytes.to_vec(),
    };
    // A failure to store only loses the replay (the reservation is withdrawn); the client
    // still gets its answer.
    if let Err(err) = in_flight.complete(answer).await {
        tracing::warn!(error = %err, "could not store an idempotent answer");
    }
    let http_res = http_res.set_body(BoxBody::new(bytes));
    Ok(ServiceResponse::new(http_req, http_res))
}
