//! A ceiling on how deeply a JSON request body may nest, for every endpoint that reads JSON.
//!
//! serde_json refuses documents nested more than 128 levels deep, but a typed body fails on its
//! shape first (an array where an object belongs is a 422), so a body 10,000 levels deep would
//! be reported as a shape error rather than as the malformed request it is. This middleware
//! counts the nesting of JSON bodies as their bytes stream past, before any parser sees them,
//! and ends the body with an error once it goes past [`MAX_DEPTH`]; the extractors turn that
//! error into a 400 problem. Nothing is buffered here, so the body size limit (413) and the
//! answers for unknown paths, methods and callers stay exactly as they were.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{Decompress, Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use futures_util::Stream;

/// The deepest nesting of arrays and objects a JSON body may have (serde_json's own limit).
pub const MAX_DEPTH: usize = 128;

/// The error a body deeper than the limit ends with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooDeep {
    /// The limit that was passed.
    pub limit: usize,
}

impl std::fmt::Display for TooDeep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the JSON body is nested too deeply: arrays and objects may nest at most {} levels",
            self.limit
        )
    }
}

impl std::error::Error for TooDeep {}

impl TooDeep {
    /// The `TooDeep` inside a payload error, when that is what ended the body.
    pub fn in_payload_error(err: &PayloadError) -> Option<TooDeep> {
        match err {
            PayloadError::Io(io) => io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<TooDeep>())
                .copied(),
            _ => None,
        }
    }
}

/// Counts the nesting depth of a JSON text fed to it in pieces of any size. It does not
/// validate JSON (the parser does that later); it only needs to know which brackets are
/// inside strings, so it follows quotes and backslash escapes.
#[derive(Debug, Clone)]
pub struct DepthScanner {
    limit: usize,
    depth: usize,
    in_string: bool,
    escaped: bool,
}

impl DepthScanner {
    /// A scanner that refuses nesting deeper than `limit`.
    pub fn new(limit: usize) -> Self {
        DepthScanner {
            limit,
            depth: 0,
            in_string: false,
            escaped: false,
        }
    }

    /// Reads the next piece of the text; an error once the nesting goes past the limit.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), TooDeep> {
        for &byte in bytes {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if byte == b'\\' {
                    self.escaped = true;
                } else if byte == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match byte {
                b'"' => self.in_string = true,
                b'[' | b'{' => {
                    self.depth += 1;
                    if self.depth > self.limit {
                        return Err(TooDeep { limit: self.limit });
                    }
                }
                // Unbalanced closers are the parser's to report; never go below zero.
                b']' | b'}' => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
        }
        Ok(())
    }
}

/// A request body that passes its bytes through a [`DepthScanner`].
struct DepthChecked<S> {
    inner: S,
    scanner: DepthScanner,
    failed: bool,
}

impl<S> Stream for DepthChecked<S>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.failed {
            return Poll::Ready(None);
        }
        let polled = Pin::new(&mut self.inner).poll_next(cx);
        if let Poll::Ready(Some(Ok(chunk))) = &polled {
            let chunk = chunk.clone();
            if let Err(too_deep) = self.scanner.feed(&chunk) {
                self.failed = true;
                return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    too_deep,
                )))));
            }
        }
        polled
    }
}

/// Whether the request says its body is JSON: `application/json` or any `+json` type (the
/// same test the JSON extractor applies).
fn is_json(req: &ServiceRequest) -> bool {
    req.mime_type().ok().flatten().is_some_and(|mime| {
        mime.subtype() == actix_web::mime::JSON || mime.suffix() == Some(actix_web::mime::JSON)
    })
}

/// The middleware (wrap with `actix_web::middleware::from_fn`).
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if is_json(&req) {
        let payload = req.take_payload();
        // A compressed body is scanned as the parser will see it: decoded here, so the
        // extractor must not decode it a second time.
        let payload = Decompress::from_headers(payload, req.headers());
        req.headers_mut().remove(header::CONTENT_ENCODING);
        let checked = DepthChecked {
            inner: payload,
            scanner: DepthScanner::new(MAX_DEPTH),
            failed: false,
        };
        let checked: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(checked);
        req.set_payload(Payload::from(checked));
    }
    next.call(req).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn depth_ok(limit: usize, text: &str) -> bool {
        DepthScanner::new(limit).feed(text.as_bytes()).is_ok()
    }

    #[test]
    fn nesting_up_to_the_limit_passes_and_one_more_level_fails() {
        assert!(depth_ok(3, r#"{"a":[{"b":1}]}"#));
        assert!(!depth_ok(3, r#"{"a":[{"b":[1]}]}"#));
        assert!(depth_ok(3, "[[[]]] [[[]]] [[[]]]"));
    }

    #[test]
    fn brackets_inside_strings_do_not_count() {
        assert!(depth_ok(1, r#"{"headline":"[[[[{{{{ ]]]] }}}}"}"#));
        assert!(depth_ok(1, r#"["{", "[", "}}}}"]"#));
    }

    #[test]
    fn an_escaped_quote_does_not_end_a_string() {
        // If `\"` ended the string, the brackets after it would count.
        assert!(depth_ok(1, r#"["say \"[[[[\" twice"]"#));
        // An escaped backslash does not escape the quote after it: the string ends there.
        assert!(!depth_ok(1, r#"["a\\", [[]]]"#));
        assert!(depth_ok(2, r#"["a\\", []]"#));
        // Escapes such as \u005b are text, not brackets.
        assert!(depth_ok(1, r#"["\u005b\u005b\u005b"]"#));
    }

    #[test]
    fn state_carries_across_pieces_split_anywhere() {
        let text = br#"{"a":"x\"[[[","b":[[1]]}"#;
        for split in 0..=text.len() {
            let mut scanner = DepthScanner::new(3);
            scanner.feed(&text[..split]).unwrap();
            scanner.feed(&text[split..]).unwrap();
            let mut tight = DepthScanner::new(2);
            let result = tight
                .feed(&text[..split])
                .and_then(|()| tight.feed(&text[split..]));
            assert_eq!(result, Err(TooDeep { limit: 2 }), "split at {split}");
        }
    }

    #[test]
    fn ten_thousand_levels_are_refused_and_closers_never_go_below_zero() {
        let deep = "[".repeat(10_000);
        assert!(!depth_ok(MAX_DEPTH, &deep));
        assert!(depth_ok(1, "]]]]}}}} []"));
        assert!(!depth_ok(1, "]]]] [[]]"));
    }

    #[test]
    fn the_error_can_be_found_again_inside_a_payload_error() {
        let err = PayloadError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            TooDeep { limit: 7 },
        ));
        assert_eq!(TooDeep::in_payload_error(&err), Some(TooDeep { limit: 7 }));
        assert_eq!(TooDeep::in_payload_error(&PayloadError::Overflow), None);
    }
}
