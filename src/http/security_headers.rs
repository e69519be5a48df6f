//! Headers that tell browsers how to treat every answer: `X-Content-Type-Options: nosniff`
//! and `Referrer-Policy: no-referrer` on everything, and a `Content-Security-Policy` that
//! allows nothing (the API serves data, never pages) except under `/docs`, whose Swagger UI
//! needs its own scripts, styles and inline images, all served from this server.

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;

/// The policy for every answer outside `/docs`: no content of any kind, never framed.
pub const API_POLICY: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The policy for the Swagger UI: its files, inline styles and `data:` icons from this server,
/// and requests to this server's API only.
pub const DOCS_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' \
     'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Whether a path belongs to the Swagger UI.
fn is_docs(path: &str) -> bool {
    path == "/docs" || path.starts_with("/docs/")
}

/// The middleware (wrap with `actix_web::middleware::from_fn`, outermost, so errors, files,
/// feeds and the docs all carry the headers).
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let policy = if is_docs(req.path()) {
        DOCS_POLICY
    } else {
        API_POLICY
    };
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(policy),
        );
    }
    Ok(response)
}
