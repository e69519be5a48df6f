//! Request ids, one structured log line per request, and Prometheus metrics.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};

/// The request id header, read from the client when given and always sent back.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request, stored in the request extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The Prometheus registry and the HTTP instruments in it.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
}

impl Metrics {
    /// A fresh registry with the HTTP request counter and latency histogram.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("newsdesk".to_owned()), None)?;
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests answered, by route template, method and status",
            ),
            &["route", "method", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time from receiving a request to producing its response head, by route template and method",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["route", "method"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        Ok(Metrics {
            registry,
            requests,
            latency,
        })
    }

    /// The registry, for other modules to add their own instruments.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Renders every instrument in the Prometheus text exposition format.
    pub fn render(&self) -> Result<String, prometheus::Error> {
        let mut buffer = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buffer)?;
        Ok(String::from_utf8_lossy(&buffer).into_owned())
    }

    fn observe(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[route, method, status_label(status)])
            .inc();
        self.latency
            .with_label_values(&[route, method])
            .observe(seconds);
    }
}

fn status_label(status: u16) -> &'static str {
    // Static strings keep the hot path free of allocations for common statuses.
    match status {
        200 => "200",
        201 => "201",
        204 => "204",
        206 => "206",
        301 => "301",
        302 => "302",
        304 => "304",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        405 => "405",
        409 => "409",
        412 => "412",
        413 => "413",
        415 => "415",
        422 => "422",
        428 => "428",
        429 => "429",
        500 => "500",
        503 => "503",
        _ if status < 300 => "2xx",
        _ if status < 400 => "3xx",
        _ if status < 500 => "4xx",
        _ => "5xx",
    }
}

/// A client-supplied request id is kept when it is short, printable ASCII.
fn usable_request_id(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    let ok = !text.is_empty() && text.len() <= 128 && text.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| text.to_owned())
}

/// Middleware: assigns the request id, logs one line per request and records metrics.
pub async fn observe(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(usable_request_id)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    // HEAD is answered by the GET handler; the connection layer already knows to send no body.
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let client = crate::http::client::client_address(req.request())
        .map(|ip| ip.to_string())
        .unwrap_or_default();

    let span = tracing::info_span!("request", request_id = %id);
    let result = {
        let _entered = span.enter();
        next.call(req)
    }
    .await;

    // Handlers and newsdesk's own middleware turn errors into responses; an `Err` here comes
    // from actix itself and is rendered by it.
    let mut response = match result {
        Ok(response) => response,
        Err(err) => {
            tracing::warn!(request_id = %id, method = %method, path = %path, client = %client, error = %err, "request failed before a response");
            return Err(err);
        }
    };
    let status = response.status().as_u16();
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let elapsed = started.elapsed();
    if let Some(metrics) = metrics {
        metrics.observe(&route, method.as_str(), status, elapsed.as_secs_f64());
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    tracing::info!(
        target: "newsdesk::http",
        request_id = %id,
        method = %method,
        route = %route,
        path = %path,
        client = %client,
        status,
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    Ok(response)
}
