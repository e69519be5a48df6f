//! Content codings: which answers are compressed, with what, and the strong ETag of each coded
//! representation.
//!
//! The identity, gzip and brotli answers of one URL are different representations, so each has
//! its own strong validator (RFC 9110 8.8.3): a handler's tag `"abc"` becomes `"abc-gz"` or
//! `"abc-br"` when the body goes out compressed. Handlers and the response cache only ever
//! compute the identity tag; this layer adds the suffix, and the comparisons of
//! `If-None-Match` and `If-Match` (in [`crate::http::cache`]) read any coded tag as its
//! identity tag. `If-Range` compares strongly and exactly, so a coded tag never selects a range
//! of the identity bytes.

use std::borrow::Cow;

use actix_web::body::{BodySize, BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, AcceptEncoding, Encoding, HeaderMap, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage, HttpResponse};

/// Bodies shorter than this are sent as they are.
pub const COMPRESS_FROM: usize = 256;

/// A content coding the server compresses with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Brotli,
    Gzip,
}

impl Coding {
    /// The `Content-Encoding` value.
    pub fn header_value(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Coding::Brotli => "br",
            Coding::Gzip => "gzip",
        })
    }

    /// What the coding adds to the identity ETag.
    fn suffix(self) -> &'static str {
        match self {
            Coding::Brotli => "-br",
            Coding::Gzip => "-gz",
        }
    }

    /// The coding the client prefers among those offered (brotli, gzip, identity); `None` is
    /// identity.
    pub fn negotiate(req: &ServiceRequest) -> Option<Coding> {
        let accepted = req.get_header::<AcceptEncoding>()?;
        let offered = [Encoding::brotli(), Encoding::gzip(), Encoding::identity()];
        match accepted.negotiate(offered.iter())? {
            chosen if chosen == Encoding::brotli() => Some(Coding::Brotli),
            chosen if chosen == Encoding::gzip() => Some(Coding::Gzip),
            _ => None,
        }
    }

    /// `body` compressed in this coding.
    pub fn compress(self, body: &[u8]) -> Option<Bytes> {
        use std::io::Write;
        let out = Vec::with_capacity(body.len() / 4);
        let bytes = match self {
            Coding::Brotli => {
                // Quality 5 of 11: most of the gain at a few milliseconds for a large page.
                let mut writer = brotli::CompressorWriter::new(out, 4096, 5, 22);
                writer.write_all(body).ok()?;
                writer.flush().ok()?;
                writer.into_inner()
            }
            Coding::Gzip => {
                let mut writer = flate2::write::GzEncoder::new(out, flate2::Compression::default());
                writer.write_all(body).ok()?;
                writer.finish().ok()?
            }
        };
        Some(Bytes::from(bytes))
    }

    /// The strong ETag of the representation coded this way: `"abc"` becomes `"abc-gz"`.
    pub fn tag(self, identity: &str) -> String {
        match identity.strip_suffix('"') {
            Some(open) => format!("{open}{}\"", self.suffix()),
            None => identity.to_owned(),
        }
    }
}

/// The identity ETag a (possibly coded) tag stands for: `"abc-gz"` and `"abc-br"` are `"abc"`.
pub fn identity_tag(tag: &str) -> Cow<'_, str> {
    for coding in [Coding::Gzip, Coding::Brotli] {
        if let Some(open) = tag
            .strip_suffix('"')
            .and_then(|t| t.strip_suffix(coding.suffix()))
        {
            return Cow::Owned(format!("{open}\""));
        }
    }
    Cow::Borrowed(tag)
}

/// Whether a body of this type and length is compressed for clients that accept it: text and
/// JSON or XML of at least [`COMPRESS_FROM`] bytes (images are compressed already).
pub fn worth_compressing(content_type: &str, len: usize) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let textual = essence.starts_with("text/")
        || matches!(
            essence.as_str(),
            "application/json" | "application/xml" | "application/javascript"
        )
        || (essence.starts_with("application/")
            && (essence.ends_with("+json") || essence.ends_with("+xml")));
    textual && len >= COMPRESS_FROM
}

/// Set on a 304 whose 200 would have gone out compressed, so its ETag gets the same suffix.
#[derive(Debug, Clone, Copy)]
pub struct WouldCompress;

/// The middleware: compresses the answers worth it in the coding the client prefers, gives the
/// coded representation its own ETag, and says `Vary: Accept-Encoding` wherever the coding
/// could differ. Answers already coded (by the response cache) only get their tag.
pub async fn middleware<B>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B, BoxBody>>, Error>
where
    B: MessageBody + 'static,
{
    let coding = Coding::negotiate(&req);
    let mut res = next.call(req).await?;
    let status = res.status();
    if let Some(already) = res.headers().get(header::CONTENT_ENCODING).cloned() {
        let used = [Coding::Gzip, Coding::Brotli]
            .into_iter()
            .find(|c| c.header_value() == already);
        if let Some(used) = used {
            mark_coded(res.headers_mut(), Some(used));
        }
        return Ok(res.map_into_left_body());
    }
    if status == StatusCode::NOT_MODIFIED {
        if res.response().extensions().get::<WouldCompress>().is_some() {
            mark_coded(res.headers_mut(), coding);
        }
        return Ok(res.map_into_left_body());
    }
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let sized = match res.response().body().size() {
        BodySize::Sized(n) => usize::try_from(n).unwrap_or(usize::MAX),
        _ => 0,
    };
    if status == StatusCode::NO_CONTENT
        || status == StatusCode::PARTIAL_CONTENT
        || !worth_compressing(content_type, sized)
    {
        return Ok(res.map_into_left_body());
    }
    let Some(coding) = coding else {
        mark_coded(res.headers_mut(), None);
        return Ok(res.map_into_left_body());
    };
    let (req, res) = res.into_parts();
    let (mut head, body) = res.into_parts();
    let body = actix_web::body::to_bytes(body)
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.into()))?;
    let compressed = coding.compress(&body);
    let headers = head.headers_mut();
    headers.remove(header::CONTENT_LENGTH);
    let body = match compressed {
        Some(compressed) => {
            headers.insert(header::CONTENT_ENCODING, coding.header_value());
            mark_coded(headers, Some(coding));
            compressed
        }
        None => {
            mark_coded(headers, None);
            body
        }
    };
    let res: HttpResponse<BoxBody> = head.set_body(body).map_into_boxed_body();
    Ok(ServiceResponse::new(req, res).map_into_right_body())
}

/// Gives a representation coded with `coding` its ETag and adds `Vary: Accept-Encoding`.
fn mark_coded(headers: &mut HeaderMap, coding: Option<Coding>) {
    if let Some(coding) = coding
        && let Some(etag) = headers.get(header::ETAG).and_then(|v| v.to_str().ok())
        && identity_tag(etag) == etag
        && let Ok(value) = HeaderValue::from_str(&coding.tag(etag))
    {
        headers.insert(header::ETAG, value);
    }
    let varies = headers.get_all(header::VARY).any(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(',')
                .any(|h| h.trim().eq_ignore_ascii_case("accept-encoding"))
        })
    });
    if !varies {
        headers.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn each_coding_has_its_own_tag_and_reads_back_as_the_identity_one() {
        assert_eq!(Coding::Gzip.tag("\"3-ab12\""), "\"3-ab12-gz\"");
        assert_eq!(Coding::Brotli.tag("\"ab12\""), "\"ab12-br\"");
        assert_eq!(identity_tag("\"3-ab12-gz\""), "\"3-ab12\"");
        assert_eq!(identity_tag("\"ab12-br\""), "\"ab12\"");
        assert_eq!(identity_tag("\"ab12\""), "\"ab12\"");
        assert_eq!(identity_tag("*"), "*");
    }

    #[test]
    fn text_is_compressed_and_images_are_not() {
        assert!(worth_compressing("application/json", 1000));
        assert!(worth_compressing("application/problem+json", 1000));
        assert!(worth_compressing(
            "application/rss+xml; charset=utf-8",
            1000
        ));
        assert!(worth_compressing("text/html", 1000));
        assert!(!worth_compressing("application/json", 10));
        assert!(!worth_compressing("image/jpeg", 100_000));
    }
}
