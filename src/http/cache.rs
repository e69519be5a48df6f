//! Conditional GET: strong ETags, Last-Modified, 304 answers and Cache-Control.

use actix_web::http::header::{self, HeaderValue};
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
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag == etag || tag.strip_prefix("W/") == Some(etag))
}

/// True when `If-Modified-Since` is at or after `last_modified` (HTTP dates have whole seconds).
pub fn not_modified_since(req: &HttpRequest, last_modified: DateTime<Utc>) -> bool {
    req.headers()
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
        .is_some_and(|since| last_modified.timestamp() <= since.timestamp())
}

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
