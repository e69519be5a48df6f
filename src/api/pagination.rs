//! Keyset pagination shared by every list: limits, opaque cursors, `Link` headers and the page
//! envelope.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;

/// Items per page when `limit` is not given.
pub const DEFAULT_LIMIT: i64 = 20;
/// The largest `limit` accepted; more is a 400.
pub const MAX_LIMIT: i64 = 100;

/// Checks `limit` against its bounds.
pub fn limit(requested: Option<i64>) -> Result<i64, ApiError> {
    match requested {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::bad_field(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

/// The position after the last item of a page: the sort key value and id of that item, and
/// the sort it belongs to (a cursor is refused under another sort or filter set).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// Sort and filter fingerprint the cursor was made for.
    #[serde(rename = "s")]
    pub sort: String,
    /// Value of the sort key of the last item (null sorts are encoded as JSON null).
    #[serde(rename = "k")]
    pub key: serde_json::Value,
    /// Id of the last item, the tie-breaker.
    #[serde(rename = "i")]
    pub id: String,
}

impl Cursor {
    /// The opaque text form given to clients.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Reads a client's cursor, checking it was made for `sort`.
    pub fn decode(text: &str, sort: &str) -> Result<Cursor, ApiError> {
        let invalid = || ApiError::bad_field("cursor", "is not a cursor from this list");
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        if cursor.sort != sort {
            return Err(ApiError::bad_field(
                "cursor",
                "was made for another sort or filter; start again without it",
            ));
        }
        Ok(cursor)
    }
}

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    /// The items of this page.
    pub data: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// How many items match in all; only with `count=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

/// The `Link` header value pointing at the next page: the request's own URL with `cursor`
/// replaced.
pub fn next_link(public_url: &str, path: &str, query: &str, cursor: &str) -> String {
    let mut pairs: Vec<(String, String)> = url_pairs(query)
        .into_iter()
        .filter(|(k, _)| k != "cursor")
        .collect();
    pairs.push(("cursor".to_owned(), cursor.to_owned()));
    let query = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
        .collect::<Vec<_>>()
        .join("&");
    format!("<{public_url}{path}?{query}>; rel=\"next\"")
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap_or_default()
}

fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_bounded() {
        assert_eq!(limit(None).unwrap(), 20);
        assert_eq!(limit(Some(100)).unwrap(), 100);
        assert!(limit(Some(101)).is_err());
        assert!(limit(Some(0)).is_err());
    }

    #[test]
    fn cursors_round_trip_and_refuse_another_sort() {
        let cursor = Cursor {
            sort: "-published_at".into(),
            key: serde_json::json!("2026-01-01T00:00:00.000000Z"),
            id: "abc".into(),
        };
        let text = cursor.encode();
        assert_eq!(Cursor::decode(&text, "-published_at").unwrap(), cursor);
        assert!(Cursor::decode(&text, "headline").is_err());
        assert!(Cursor::decode("%%%", "x").is_err());
    }

    #[test]
    fn next_links_replace_the_cursor_and_keep_other_parameters() {
        let link = next_link(
            "http://h",
            "/v1/articles",
            "tag=a&tag=b%20c&cursor=old",
            "NEW",
        );
        assert_eq!(
            link,
            "<http://h/v1/articles?tag=a&tag=b%20c&cursor=NEW>; rel=\"next\""
        );
    }
}
