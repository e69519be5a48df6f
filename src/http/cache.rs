//! Conditional GET: strong ETags, Last-Modified, 304 answers and Cache-Control.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// Who a response may be cached by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CachePolicy {
    /// Anonymous reads: shared caches may keep it for `max-age` seconds.
    Public(u32),
    /// Authenticated reads: nobody may store it.
    Private,
}

impl CachePolicy {
    /// The `Cache-Control` value.
    pub fn header_value(self) -> String {
        match self {
            CachePolicy::Public(max_age) => format!("public, max-age={max_age}"),
            CachePolicy::Private => "private, no-store".to_owned(),
        }
    }
}

/// A strong ETag computed from the exact bytes of a representation.
pub fn etag_for(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("\"{}\"", hex::encode(&digest[..16]))
}

/// True when an `If-None-Match` header lists this ETag (or `*`).
pub fn if_none_match_hits(req: &HttpRequest, etag: &str) -> bool {
    tag_listed(
        req.headers()
            .get_all(header::IF_NONE_MATCH)
            .filter_map(|v| v.to_str().ok()),
        etag,
    )
}

/// True when one of these `If-None-Match` values lists `etag` or is `*` (weak comparison).
fn tag_listed<'a>(values: impl Iterator<Item = &'a str>, etag: &str) -> bool {
    values
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag == etag || tag.strip_prefix("W/") == Some(etag))
}

/// True when `If-Modified-Since` is at or after `last_modified` (HTTP dates have whole seconds).
pub fn not_modified_since(req: &HttpRequest, last_modified: DateTime<Utc>) -> bool {
    req.headers()
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|since| unchanged_since(since, last_modified))
}

fn unchanged_since(since: &str, last_modified: DateTime<Utc>) -> bool {
    DateTime::parse_from_rfc2822(since)
        .is_ok_and(|since| last_modified.timestamp() <= since.timestamp())
}

/// A request's `If-None-Match` and `If-Modified-Since`, taken off it so that something in
/// front of the handler (the response cache) can answer them itself.
#[derive(Debug, Default)]
pub struct Conditions {
    if_none_match: Vec<String>,
    if_modified_since: Option<String>,
}

impl Conditions {
    /// Removes the conditional headers from `headers` and keeps their values.
    pub fn take(headers: &mut HeaderMap) -> Self {
        let text = |v: HeaderValue| v.to_str().ok().map(str::to_owned);
        Conditions {
            if_none_match: headers
                .remove(header::IF_NONE_MATCH)
                .filter_map(text)
                .collect(),
            if_modified_since: headers.remove(header::IF_MODIFIED_SINCE).find_map(text),
        }
    }

    /// Whether a representation with this ETag and Last-Modified is current for the client:
    /// `If-None-Match` first, `If-Modified-Since` only without it (RFC 9110 13.2.2).
    pub fn fresh(&self, etag: Option<&str>, last_modified: Option<DateTime<Utc>>) -> bool {
        if !self.if_none_match.is_empty() {
            return etag.is_some_and(|etag| {
                tag_listed(self.if_none_match.iter().map(String::as_str), etag)
            });
        }
        match (&self.if_modified_since, last_modified) {
            (Some(since), Some(at)) => unchanged_since(since, at),
            _ => false,
        }
    }

    /// Turns a 200 the client already has into a 304 (headers of RFC 9110 15.4.5 kept).
    pub fn apply<B: MessageBody + 'static>(
        &self,
        res: ServiceResponse<B>,
    ) -> ServiceResponse<EitherBody<B, BoxBody>> {
        if res.status() != StatusCode::OK
            || (self.if_none_match.is_empty() && self.if_modified_since.is_none())
        {
            return res.map_into_left_body();
        }
        let headers = res.headers();
        let etag = headers.get(header::ETAG).and_then(|v| v.to_str().ok());
        let last_modified = headers
            .get(header::LAST_MODIFIED)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
            .map(|at| at.with_timezone(&Utc));
        if !self.fresh(etag, last_modified) {
            return res.map_into_left_body();
        }
        let mut not_modified = HttpResponse::NotModified();
        for name in NOT_MODIFIED_HEADERS {
            for value in headers.get_all(&name) {
                not_modified.append_header((name.clone(), value.clone()));
            }
        }
        let (req, _) = res.into_parts();
        ServiceResponse::new(req, not_modified.finish()).map_into_right_body()
    }
}

/// The headers a 304 carries (RFC 9110 15.4.5); the others describe the body it leaves out.
pub const NOT_MODIFIED_HEADERS: [HeaderName; 6] = [
    header::ETAG,
    header::LAST_MODIFIED,
    header::CACHE_CONTROL,
    header::VARY,
    header::EXPIRES,
    header::CONTENT_LOCATION,
];

/// Formats a time as an HTTP date.
pub fn http_date(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Answers a GET with `body` (already serialised, of `content_type`), or 304 when the client's
/// copy is current. `If-None-Match` takes precedence over `If-Modified-Since` (RFC 9110 13.2.2).
pub fn conditional(
    req: &HttpRequest,
    content_type: &'static str,
    body: Vec<u8>,
    last_modified: Option<DateTime<Utc>>,
    policy: CachePolicy,
) -> HttpResponse {
    let etag = etag_for(&body);
    let fresh = if req.headers().contains_key(header::IF_NONE_MATCH) {
        if_none_match_hits(req, &etag)
    } else {
        last_modified.is_some_and(|at| not_modified_since(req, at))
    };
    let mut builder = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    builder.insert_header((header::ETAG, etag));
    if let Some(at) = last_modified {
        builder.insert_header((header::LAST_MODIFIED, http_date(at)));
    }
    builder.insert_header((header::CACHE_CONTROL, policy.header_value()));
    if policy == CachePolicy::Private {
        builder.insert_header((
            header::VARY,
            HeaderValue::from_static("Authorization, X-Api-Key"),
        ));
    }
    if fresh {
        builder.finish()
    } else {
        builder.content_type(content_type).body(body)
    }
}

/// The ETag of a versioned resource's representation: `"{version}-{digest of the bytes}"`.
/// The digest makes it strong (different bytes, different tag, e.g. with `include=`); the
/// version prefix is what `If-Match` compares, so any representation of the current version
/// may be used to make a change.
pub fn resource_etag(version: i64, body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("\"{version}-{}\"", hex::encode(&digest[..8]))
}

/// Like [`conditional`], for a versioned resource (see [`resource_etag`]).
pub fn conditional_resource(
    req: &HttpRequest,
    body: Vec<u8>,
    version: i64,
    last_modified: Option<DateTime<Utc>>,
    policy: CachePolicy,
) -> HttpResponse {
    let etag = resource_etag(version, &body);
    let fresh = if req.headers().contains_key(header::IF_NONE_MATCH) {
        if_none_match_hits(req, &etag)
    } else {
        last_modified.is_some_and(|at| not_modified_since(req, at))
    };
    let mut builder = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    builder.insert_header((header::ETAG, etag));
    if let Some(at) = last_modified {
        builder.insert_header((header::LAST_MODIFIED, http_date(at)));
    }
    builder.insert_header((header::CACHE_CONTROL, policy.header_value()));
    if policy == CachePolicy::Private {
        builder.insert_header((
            header::VARY,
            HeaderValue::from_static("Authorization, X-Api-Key"),
        ));
    }
    if fresh {
        builder.finish()
    } else {
        builder.content_type("application/json").body(body)
    }
}

/// Enforces `If-Match` on a change to a resource now at `current_version`: missing is 428,
/// a tag of another version is 412, `*` or a tag of the current version passes.
pub fn check_if_match(
    req: &HttpRequest,
    current_version: i64,
) -> Result<(), crate::error::ApiError> {
    check_if_match_values(&if_match_values(req), current_version)
}

/// The `If-Match` header values of a request, for checking later (e.g. inside a database
/// transaction, where the request itself cannot go).
pub fn if_match_values(req: &HttpRequest) -> Vec<String> {
    req.headers()
        .get_all(header::IF_MATCH)
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect()
}

/// [`check_if_match`] on header values taken earlier with [`if_match_values`].
pub fn check_if_match_values(
    values: &[String],
    current_version: i64,
) -> Result<(), crate::error::ApiError> {
    use crate::error::ApiError;
    if values.is_empty() {
        return Err(ApiError::PreconditionRequired {
            detail: "send If-Match with the ETag from your last read of this resource".to_owned(),
        });
    }
    let matches = values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| {
            tag == "*"
                || tag
                    .strip_prefix('"')
                    .and_then(|t| t.split('-').next())
                    .and_then(|v| v.parse::<i64>().ok())
                    == Some(current_version)
        });
    if matches {
        Ok(())
    } else {
        Err(ApiError::PreconditionFailed {
            detail: format!(
                "the resource has changed (it is now at version {current_version}); read it again and reapply your change"
            ),
        })
    }
}

impl CachePolicy {
    /// Public for anonymous callers, private for anyone presenting credentials.
    pub fn for_caller(caller: &crate::auth::Caller, max_age: u32) -> Self {
        match caller {
            crate::auth::Caller::Anonymous => CachePolicy::Public(max_age),
            crate::auth::Caller::User(_) | crate::auth::Caller::Partner(_) => CachePolicy::Private,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn if_match_compares_the_version_part_of_the_tag() {
        let etag = resource_etag(3, b"{}");
        let ok = TestRequest::default()
            .insert_header((header::IF_MATCH, etag.as_str()))
            .to_http_request();
        assert!(check_if_match(&ok, 3).is_ok());
        let stale = check_if_match(&ok, 4).unwrap_err();
        assert_eq!(actix_web::ResponseError::status_code(&stale), 412);
        let none = TestRequest::default().to_http_request();
        let missing = check_if_match(&none, 1).unwrap_err();
        assert_eq!(actix_web::ResponseError::status_code(&missing), 428);
        let weak = TestRequest::default()
            .insert_header((header::IF_MATCH, format!("W/{etag}")))
            .to_http_request();
        assert!(check_if_match(&weak, 3).is_err());
    }
}
