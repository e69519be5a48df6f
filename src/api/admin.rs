//! Pieces shared by the admin endpoints: lists in creation order with opaque cursors, the
//! `If-Match` checks of PATCH and DELETE, and private reads with an ETag.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::pagination::{self, Cursor, Page, next_link};
use crate::error::ApiError;
use crate::http::cache::{CachePolicy, conditional, etag_for};

/// Query of the admin lists (`/v1/users`, `/v1/api-keys`).
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
    /// The checked limit and the position to continue after, if any.
    pub fn position(&self) -> Result<(i64, Option<(String, String)>), ApiError> {
        let limit = pagination::limit(self.limit)?;
        let after = match &self.cursor {
            None => None,
            Some(text) => {
                let cursor = Cursor::decode(text, LIST_SORT)?;
                let key = cursor
                    .key
                    .as_str()
                    .ok_or_else(|| ApiError::bad_field("cursor", "is not a cursor from this list"))?
                    .to_owned();
                Some((key, cursor.id))
            }
        };
        Ok((limit, after))
    }
}

/// The one sort of the admin lists: oldest first.
pub const LIST_SORT: &str = "created_at";

/// Turns `limit + 1` loaded rows into a page and its `Link` header.
pub fn page_of<R, T: ToSchema + Serialize>(
    mut rows: Vec<R>,
    limit: i64,
    key_of: impl Fn(&R) -> (String, String),
    convert: impl Fn(R) -> Result<T, ApiError>,
    req: &HttpRequest,
    public_url: &str,
) -> Result<HttpResponse, ApiError> {
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next_cursor = match (more, rows.last()) {
        (true, Some(last)) => {
            let (key, id) = key_of(last);
            Some(
                Cursor {
                    sort: LIST_SORT.to_owned(),
                    key: serde_json::Value::String(key),
                    id,
                }
                .encode(),
            )
        }
        _ => None,
    };
    let data = rows
        .into_iter()
        .map(convert)
        .collect::<Result<Vec<T>, ApiError>>()?;
    let page = Page {
        data,
        next_cursor: next_cursor.clone(),
        total: None,
    };
    let body = serde_json::to_vec(&page).map_err(ApiError::internal)?;
    let mut response = conditional(req, "application/json", body, None, CachePolicy::Private);
    if let Some(cursor) = next_cursor
        && let Ok(value) = header::HeaderValue::from_str(&next_link(
            public_url,
            req.path(),
            req.query_string(),
            &cursor,
        ))
    {
        response.headers_mut().insert(header::LINK, value);
    }
    Ok(response)
}

/// The `If-Match` a PATCH or DELETE must carry: none is a 428.
pub fn required_if_match(req: &HttpRequest) -> Result<String, ApiError> {
    req.headers()
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| ApiError::PreconditionRequired {
            detail: "send If-Match with the ETag from your last GET of this resource".to_owned(),
        })
}

/// Compares an `If-Match` value with the current representation's strong ETag: a stale one is
/// a 412.
pub fn check_if_match(if_match: &str, current: &[u8]) -> Result<(), ApiError> {
    let etag = etag_for(current);
    let matches = if_match
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag == etag);
    if matches {
        Ok(())
    } else {
        Err(ApiError::PreconditionFailed {
            detail: "the resource has changed since your copy; GET it again".to_owned(),
        })
    }
}

/// Answers a single resource with its ETag, privately.
pub fn private_json<T: Serialize>(
    req: &HttpRequest,
    value: &T,
    updated_at: &str,
) -> Result<HttpResponse, ApiError> {
    let body = serde_json::to_vec(value).map_err(ApiError::internal)?;
    Ok(conditional(
        req,
        "application/json",
        body,
        crate::time::parse(updated_at),
        CachePolicy::Private,
    ))
}
