//! Keyset pagination shared by every list: limits, opaque cursors, `Link` headers and the page
//! envelope.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::query::select_fields;
use crate::error::ApiError;
use crate::http::cache::{CachePolicy, conditional};

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

/// The longest cursor read: ours are a few hundred characters at most.
pub const MAX_CURSOR_LEN: usize = 2048;

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

    /// Reads a client's cursor, checking it was made for `sort`. Anything else (too long, not
    /// base64, not UTF-8 JSON, control characters) is a 400, never handed to the database.
    pub fn decode(text: &str, sort: &str) -> Result<Cursor, ApiError> {
        let invalid = || ApiError::bad_field("cursor", "is not a cursor from this list");
        if text.len() > MAX_CURSOR_LEN {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        let clean = |t: &str| !t.chars().any(char::is_control);
        if !clean(&cursor.sort)
            || !clean(&cursor.id)
            || !cursor.key.as_str().is_none_or(clean)
            || !(cursor.key.is_string() || cursor.key.is_number() || cursor.key.is_null())
        {
            return Err(invalid());
        }
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

/// Decodes a client's cursor into the `(sort key, id)` position it names.
pub fn decode_cursor(
    cursor: Option<&str>,
    fingerprint: &str,
) -> Result<Option<(String, String)>, ApiError> {
    cursor
        .map(|text| {
            let cursor = Cursor::decode(text, fingerprint)?;
            let key = match cursor.key {
                serde_json::Value::String(s) => s,
                _ => {
                    return Err(ApiError::bad_field(
                        "cursor",
                        "is not a cursor from this list",
                    ));
                }
            };
            Ok((key, cursor.id))
        })
        .transpose()
}

/// One page of a list, ready to answer.
pub struct ListPage<T> {
    /// The items of the page (already cut to the page size).
    pub items: Vec<T>,
    /// The cursor of the next page, if any.
    pub next_cursor: Option<String>,
    /// The total, when `count=true`.
    pub total: Option<i64>,
    /// Last-Modified of the list.
    pub last_modified: Option<String>,
}

/// Cuts `rows` (fetched one past the page size) to the page and makes the next cursor from
/// the last kept row.
pub fn paginate<R>(
    mut rows: Vec<R>,
    limit: i64,
    fingerprint: &str,
    position: impl Fn(&R) -> (String, String),
) -> (Vec<R>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(0);
    if rows.len() <= limit {
        return (rows, None);
    }
    rows.truncate(limit);
    let next = rows.last().map(|row| {
        let (key, id) = position(row);
        Cursor {
            sort: fingerprint.to_owned(),
            key: serde_json::Value::String(key),
            id,
        }
        .encode()
    });
    (rows, next)
}

/// Answers a list GET: the page envelope (with sparse fields), `Link` to the next page,
/// ETag, Last-Modified, Cache-Control and 304.
pub fn list_response<T: Serialize>(
    req: &HttpRequest,
    public_url: &str,
    policy: CachePolicy,
    page: ListPage<T>,
    fields: Option<&[String]>,
) -> Result<HttpResponse, ApiError> {
    let mut data = Vec::with_capacity(page.items.len());
    for item in &page.items {
        let value = serde_json::to_value(item).map_err(ApiError::internal)?;
        data.push(match fields {
            Some(fields) => select_fields(value, fields),
            None => value,
        });
    }
    let mut envelope = serde_json::Map::new();
    envelope.insert("data".to_owned(), serde_json::Value::Array(data));
    envelope.insert(
        "next_cursor".to_owned(),
        page.next_cursor
            .clone()
            .map_or(serde_json::Value::Null, serde_json::Value::String),
    );
    if let Some(total) = page.total {
        envelope.insert("total".to_owned(), total.into());
    }
    let body = serde_json::to_vec(&envelope).map_err(ApiError::internal)?;
    let last_modified = page.last_modified.as_deref().and_then(crate::time::parse);
    let mut response = conditional(req, "application/json", body, last_modified, policy);
    if let Some(cursor) = &page.next_cursor {
        let link = next_link(public_url, req.path(), req.query_string(), cursor);
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

/// The schema of a list page whose items are `item` (a component name), or, when the client
/// asked for `fields=`, objects holding only the named fields and `id`.
pub fn sparse_page_schema(item: &str) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{
        AdditionalProperties, AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat,
        SchemaType, Type,
    };
    use utoipa::openapi::{Ref, RefOr};
    let sparse = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(format!(
            "With `fields=`: a `{item}` holding only the named fields and `id`"
        )))
        .property("id", ObjectBuilder::new().schema_type(Type::String))
        .required("id")
        .additional_properties(Some(AdditionalProperties::FreeForm(true)));
    let items = AnyOfBuilder::new()
        .item(Ref::from_schema_name(item))
        .item(sparse);
    let page = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(format!(
            "A page of the list; `Link: <...>; rel=\"next\"` accompanies a `next_cursor`. Items are `{item}` objects."
        )))
        .property("data", ArrayBuilder::new().items(items))
        .required("data")
        .property(
            "next_cursor",
            ObjectBuilder::new()
                .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                .description(Some("Pass as `cursor` for the next page; null on the last page")),
        )
        .required("next_cursor")
        .property(
            "total",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .minimum(Some(0))
                .description(Some("How many items match in all; only with `count=true`")),
        );
    RefOr::T(page.into())
}

/// Registers the item schema `T` (and what it refers to) for a page type's `ToSchema::schemas`.
pub fn page_item_schemas<T: utoipa::ToSchema>(
    schemas: &mut Vec<(
        String,
        utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
    )>,
) {
    schemas.push((T::name().into_owned(), T::schema()));
    T::schemas(schemas);
}

/// Query of the lists kept in creation order (users, API keys, webhooks and their deliveries).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Items per page, 1 to 100 (default 20).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl ListQuery {
    /// The checked limit and the `(key, id)` position to continue after, if any, for a list in
    /// the order `sort`.
    pub fn position(&self, sort: &str) -> Result<(i64, Option<(String, String)>), ApiError> {
        Ok((
            limit(self.limit)?,
            decode_cursor(self.cursor.as_deref(), sort)?,
        ))
    }
}

/// The sort of the admin lists: oldest first.
pub const CREATION_ORDER: &str = "created_at";

/// Answers a private list in a fixed order from `limit + 1` loaded rows: the page, its
/// `Link` header and ETag.
#[allow(clippy::too_many_arguments)]
pub fn private_page<R, T: Serialize>(
    rows: Vec<R>,
    limit: i64,
    sort: &str,
    key_of: impl Fn(&R) -> (String, String),
    convert: impl Fn(R) -> Result<T, ApiError>,
    req: &HttpRequest,
    public_url: &str,
) -> Result<HttpResponse, ApiError> {
    let (rows, next_cursor) = paginate(rows, limit, sort, key_of);
    let items = rows
        .into_iter()
        .map(convert)
        .collect::<Result<Vec<T>, _>>()?;
    list_response(
        req,
        public_url,
        CachePolicy::Private,
        ListPage {
            items,
            next_cursor,
            total: None,
            last_modified: None,
        },
        None,
    )
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
        let with_nul = Cursor {
            sort: "x".into(),
            key: serde_json::json!("a\u{0}b"),
            id: "i".into(),
        };
        assert!(Cursor::decode(&with_nul.encode(), "x").is_err());
        assert!(Cursor::decode(&"A".repeat(MAX_CURSOR_LEN + 4), "x").is_err());
        assert!(Cursor::decode(&URL_SAFE_NO_PAD.encode([0xff, 0xfe, 0x00]), "x").is_err());
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
