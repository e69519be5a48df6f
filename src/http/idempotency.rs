//! `Idempotency-Key` on POST, for every endpoint: the first answer to a key is stored, and the
//! same key with the same request from the same caller gets it again without running the
//! handler twice; the same key with a different request is a 422.
//!
//! Only requests from identified callers (signed-in users, partner keys) take part, and never
//! the sign-in endpoints (their answers carry tokens that must not be stored).

use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError, web};
use diesel::prelude::*;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::auth::Caller;
use crate::db::schema::idempotency_keys;
use crate::error::{ApiError, FieldError};
use crate::state::AppState;

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// The response header set on a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";

/// A stored first answer.
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
    /// Status of the first answer.
    pub status: i32,
    /// Its content type.
    pub content_type: Option<String>,
    /// Its Location header.
    pub location: Option<String>,
    /// Its body.
    pub body: Vec<u8>,
    /// When it was stored.
    pub created_at: String,
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
    let limit = state
        .settings
        .max_body_bytes
        .max(state.settings.max_upload_bytes);
    let mut body = web::BytesMut::new();
    let mut payload = req.take_payload();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > limit {
            return Ok(error(
                req,
                ApiError::PayloadTooLarge {
                    detail: format!("the body is larger than the limit of {limit} bytes"),
                },
            ));
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

    let stored = {
        let (caller, key) = (caller.clone(), key.clone());
        state
            .db
            .read(move |conn| {
                Ok(idempotency_keys::table
                    .find((caller, key))
                    .select(StoredAnswer::as_select())
                    .first(conn)
                    .optional()?)
            })
            .await
    };
    let stored = match stored {
        Ok(stored) => stored,
        Err(err) => return Ok(error(req, err)),
    };
    if let Some(stored) = stored {
        if stored.request_hash != request_hash {
            return Ok(error(
                req,
                ApiError::invalid(vec![FieldError::new(
                    "Idempotency-Key",
                    "was already used with a different request; use a new key for a new request",
                )]),
            ));
        }
        let status = StatusCode::from_u16(stored.status as u16).unwrap_or(StatusCode::OK);
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

    let response = next.call(req).await?;
    let status = response.status();
    if !storable(status) {
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
    let answer = StoredAnswer {
        caller,
        key,
        method,
        path,
        request_hash,
        status: i32::from(status.as_u16()),
        content_type,
        location,
        body: bytes.to_vec(),
        created_at: crate::time::now(),
    };
    // A failure to store only loses the replay; the client still gets its answer.
    if let Err(err) = state
        .db
        .write(move |conn| {
            diesel::insert_into(idempotency_keys::table)
                .values(&answer)
                .on_conflict_do_nothing()
                .execute(conn)?;
            Ok(())
        })
        .await
    {
        tracing::warn!(error = %err, "could not store an idempotent answer");
    }
    let http_res = http_res.set_body(BoxBody::new(bytes));
    Ok(ServiceResponse::new(http_req, http_res))
}
