//! Conditional requests, one rule for every resource: strong ETags, Last-Modified, 304
//! answers, `If-Match` (412 stale, 428 missing), `If-Range`, and Cache-Control.
//!
//! A versioned resource's ETag is `"{version}-{digest of the bytes}"` ([`resource_etag`]); the
//! coding layer ([`crate::http::coding`]) adds `-gz` or `-br` for compressed answers.
//! `If-None-Match` compares weakly and reads a coded tag as its identity tag, so any
//! representation the client holds revalidates; `If-Match` compares the version part, so any
//! representation of the current version may be used to make a change; `If-Range` compares the
//! whole tag strongly.

use actix_web::body::{BodySize, BoxBody, EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::http::coding::{WouldCompress, identity_tag, worth_compressing};

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

/// True when one of these `If-None-Match` values lists `etag` or is `*` (weak comparison).
fn tag_listed<'a>(values: impl Iterator<Item = &'a str>, etag: &str) -> bool {
    values
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .map(|tag| tag.strip_prefix("W/").unwrap_or(tag))
        .any(|tag| tag == "*" || identity_tag(tag) == etag)
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
    /// The conditional headers of a request, left in place.
    pub fn read(headers: &HeaderMap) -> Self {
        let text = |v: &HeaderValue| v.to_str().ok().map(str::to_owned);
        Conditions {
            if_none_match: headers
                .get_all(header::IF_NONE_MATCH)
                .filter_map(text)
                .collect(),
            if_modified_since: headers.get(header::IF_MODIFIED_SINCE).and_then(text),
        }
    }

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
        let would_compress = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .zip(match res.response().body().size() {
                BodySize::Sized(n) => usize::try_from(n).ok(),
                _ => None,
            })
            .is_some_and(|(kind, len)| worth_compressing(kind, len));
        let mut not_modified = HttpResponse::NotModified();
        if would_compress {
            not_modified.extensions_mut().insert(WouldCompress);
        }
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
    answer(req, content_type, body, etag, last_modified, policy)
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
    answer(req, "application/json", body, etag, last_modified, policy)
}

/// Like [`conditional_resource`] for a serialisable resource.
pub fn resource_response<T: serde::Serialize>(
    req: &HttpRequest,
    resource: &T,
    version: i64,
    last_modified: Option<DateTime<Utc>>,
    policy: CachePolicy,
) -> Result<HttpResponse, ApiError> {
    let body = serde_json::to_vec(resource).map_err(ApiError::internal)?;
    Ok(conditional_resource(
        req,
        body,
        version,
        last_modified,
        policy,
    ))
}

fn answer(
    req: &HttpRequest,
    content_type: &'static str,
    body: Vec<u8>,
    etag: String,
    last_modified: Option<DateTime<Utc>>,
    policy: CachePolicy,
) -> HttpResponse {
    let fresh = Conditions::read(req.headers()).fresh(Some(&etag), last_modified);
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
        if worth_compressing(content_type, body.len()) {
            builder.extensions_mut().insert(WouldCompress);
        }
        builder.finish()
    } else {
        builder.content_type(content_type).body(body)
    }
}

/// Answers a successful write with the resource, its ETag and (for creations, given the new
/// resource's path) its `Location`.
pub fn write_response<T: serde::Serialize>(
    created_at: Option<&str>,
    resource: &T,
    version: i64,
) -> Result<HttpResponse, ApiError> {
    let body = serde_json::to_vec(resource).map_err(ApiError::internal)?;
    let mut builder = match created_at {
        Some(_) => HttpResponse::Created(),
        None => HttpResponse::Ok(),
    };
    if let Some(location) = created_at {
        builder.insert_header((header::LOCATION, location.to_owned()));
    }
    Ok(builder
        .insert_header((header::ETAG, resource_etag(version, &body)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("application/json")
        .body(body))
}

/// Whether a `Range` may be served: without `If-Range`, or when it names exactly this strong
/// ETag (a coded tag or a date names another representation; the whole body is sent).
pub fn if_range_holds(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|tag| tag.trim() == etag)
}

/// The `If-Match` tags of a change, taken off the request so they can be checked later, inside
/// the write transaction (on the blocking pool, where the request itself cannot go).
#[derive(Debug, Clone, Default)]
pub struct IfMatch {
    tags: Vec<String>,
}

impl IfMatch {
    /// The request's `If-Match` tags, maybe none ([`IfMatch::check`] then answers 428).
    pub fn of(req: &HttpRequest) -> IfMatch {
        IfMatch {
            tags: req
                .headers()
                .get_all(header::IF_MATCH)
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect(),
        }
    }

    /// The request's `If-Match` tags; 428 at once when there are none.
    pub fn required(req: &HttpRequest) -> Result<IfMatch, ApiError> {
        let if_match = IfMatch::of(req);
        if if_match.tags.is_empty() {
            return Err(missing_if_match());
        }
        Ok(if_match)
    }

    /// Checks the tags against a resource now at `version`: none is 428; `*` or a strong tag
    /// of this version (in any coding) passes; anything else is 412.
    pub fn check(&self, version: i64) -> Result<(), ApiError> {
        if self.tags.is_empty() {
            return Err(missing_if_match());
        }
        let matches = self.tags.iter().any(|tag| {
            tag == "*"
                || tag
                    .strip_prefix('"')
                    .and_then(|t| t.split('-').next())
                    .and_then(|v| v.parse::<i64>().ok())
                    == Some(version)
        });
        if matches {
            Ok(())
        } else {
            Err(ApiError::PreconditionFailed {
                detail: format!(
                    "the resource has changed (it is now at version {version}); read it again and reapply your change"
                ),
            })
        }
    }
}

impl IfMatch {
    /// Like [`IfMatch::check`] where `If-Match` is optional (publishing): none passes.
    pub fn check_when_sent(&self, version: i64) -> Result<(), ApiError> {
        if self.tags.is_empty() {
            Ok(())
        } else {
            self.check(version)
        }
    }
}

fn missing_if_match() -> ApiError {
    ApiError::PreconditionRequired {
        detail: "send If-Match with the ETag from your last read of this resource".to_owned(),
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

    fn with_if_match(tag: &str) -> HttpRequest {
        TestRequest::default()
            .insert_header((header::IF_MATCH, tag))
            .to_http_request()
    }

    #[test]
    fn if_match_compares_the_version_part_of_the_tag() {
        let etag = resource_etag(3, b"{}");
        let ok = IfMatch::of(&with_if_match(&etag));
        assert!(ok.check(3).is_ok());
        let stale = ok.check(4).unwrap_err();
        assert_eq!(actix_web::ResponseError::status_code(&stale), 412);
        let none = TestRequest::default().to_http_request();
        let missing = IfMatch::of(&none).check(1).unwrap_err();
        assert_eq!(actix_web::ResponseError::status_code(&missing), 428);
        assert!(IfMatch::required(&none).is_err());
        let weak = IfMatch::of(&with_if_match(&format!("W/{etag}")));
        assert!(weak.check(3).is_err());
        let coded = crate::http::coding::Coding::Gzip.tag(&etag);
        assert!(IfMatch::of(&with_if_match(&coded)).check(3).is_ok());
        assert!(IfMatch::of(&with_if_match("*")).check(9).is_ok());
    }

    #[test]
    fn if_none_match_hits_any_coding_of_the_tag() {
        let etag = etag_for(b"body");
        for sent in [
            etag.clone(),
            crate::http::coding::Coding::Gzip.tag(&etag),
            crate::http::coding::Coding::Brotli.tag(&etag),
            format!("W/{etag}"),
            format!("\"other\", {etag}"),
        ] {
            let req = TestRequest::default()
                .insert_header((header::IF_NONE_MATCH, sent.as_str()))
                .to_http_request();
            assert!(
                Conditions::read(req.headers()).fresh(Some(&etag), None),
                "{sent}"
            );
        }
        let req = TestRequest::default()
            .insert_header((header::IF_NONE_MATCH, "\"other\""))
            .to_http_request();
        assert!(!Conditions::read(req.headers()).fresh(Some(&etag), None));
    }

    #[test]
    fn if_range_needs_the_exact_strong_tag() {
        let etag = etag_for(b"bytes");
        let req = |tag: &str| {
            TestRequest::default()
                .insert_header((header::IF_RANGE, tag))
                .to_http_request()
        };
        assert!(if_range_holds(&req(&etag), &etag));
        let coded = crate::http::coding::Coding::Gzip.tag(&etag);
        assert!(!if_range_holds(&req(&coded), &etag));
        assert!(if_range_holds(
            &TestRequest::default().to_http_request(),
            &etag
        ));
    }
}
