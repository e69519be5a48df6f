//! Operational endpoints outside `/v1`: liveness, readiness, metrics and the OpenAPI document.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::http::cache::{CachePolicy, conditional};
use crate::http::telemetry::Metrics;
use crate::state::AppState;

/// Health and readiness answer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Health {
    /// `ok` when healthy.
    pub status: String,
}

/// The OpenAPI document, serialised once at start.
pub struct ApiDocument(pub Vec<u8>);

/// The process is up and serving requests.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The process is up", body = Health))
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Health {
            status: "ok".to_owned(),
        })
}

/// The database answers queries, so the server can take traffic. When it does not, the answer
/// is a 503 problem whose detail is `unavailable` and nothing more: the cause goes to the log,
/// not to whoever can reach the probe.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "The database answers", body = Health),
        (status = 503, description = "The database does not answer (detail `unavailable`, no cause)",
            headers(("Retry-After" = u64, description = "Seconds before asking again")))
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if let Err(err) = state.db.ping().await {
        tracing::warn!(error = %err, "readiness probe: the database does not answer");
        return Err(ApiError::Unavailable {
            retry_after: 1,
            detail: "unavailable".to_owned(),
        });
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Health {
            status: "ok".to_owned(),
        }))
}

/// Prometheus metrics in the text exposition format: requests by route template, method and
/// status, and a latency histogram.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain; version=0.0.4"))
)]
#[get("/metrics")]
pub async fn metrics(metrics: web::Data<Metrics>) -> Result<HttpResponse, ApiError> {
    let text = metrics.render().map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}

/// This OpenAPI 3.1 document.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "The OpenAPI document", body = Object),
        (status = 304, description = "The client's copy is current")
    )
)]
#[get("/openapi.json")]
pub async fn openapi_json(req: HttpRequest, doc: web::Data<ApiDocument>) -> HttpResponse {
    conditional(
        &req,
        "application/json",
        doc.0.clone(),
        None,
        CachePolicy::Public(60),
    )
}
