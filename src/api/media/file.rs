//! Serving a photo's original file: type, strong ETag, 304 and byte ranges.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::error::{ApiError, Problem, problem_response};
use crate::http::cache::{CachePolicy, http_date, if_none_match_hits};
use crate::media::{MediaStore, RangeRequest, parse_range};
use crate::state::AppState;

use super::{find_visible, policy};

/// The bytes of an original image file.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct ImageFile(#[allow(dead_code)] Vec<u8>);

/// Query parameters of the file download.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MediaFileQuery {
    /// Wanted width in pixels. No renditions are made yet, so the original is served whatever
    /// the width.
    #[param(minimum = 1, maximum = 10000)]
    pub w: Option<i64>,
}

/// Serves the original file with its type, a strong `ETag` (the SHA-256 of the bytes),
/// `Last-Modified`, 304 on a current copy and single byte ranges (206). Visible to the same
/// callers as the metadata.
#[utoipa::path(
    tag = "media",
    params(("id" = String, Path, description = "Media id"), MediaFileQuery,
        ("Range" = Option<String>, Header, description = "One byte range, e.g. `bytes=0-1023`, `bytes=1024-` or `bytes=-500`; several ranges get the whole file"),
        ("If-Range" = Option<String>, Header, description = "The ETag the range is for; another tag gets the whole file")),
    responses(
        (status = 200, description = "The whole file", content(
            (ImageFile = "image/jpeg"), (ImageFile = "image/png"), (ImageFile = "image/webp"), (ImageFile = "image/gif")),
            headers(("ETag" = String, description = "Strong, from the SHA-256"), ("Accept-Ranges" = String, description = "`bytes`"),
                    ("X-Content-Type-Options" = String, description = "`nosniff`"))),
        (status = 206, description = "The requested byte range, with `Content-Range`", content(
            (ImageFile = "image/jpeg"), (ImageFile = "image/png"), (ImageFile = "image/webp"), (ImageFile = "image/gif")),
            headers(("Content-Range" = String, description = "`bytes START-END/LENGTH`"))),
        (status = 304, description = "The client's copy is current"),
        (status = 400, description = "Unknown parameter or bad `w`"),
        (status = 401, description = "Credentials were presented but are not valid"),
        (status = 404, description = "No such media, or not visible to the caller"),
        (status = 416, description = "The range lies outside the file; `Content-Range: bytes */LENGTH`")
    )
)]
#[get("/v1/media/{id}/file")]
pub async fn get_media_file(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<MediaFileQuery>,
) -> Result<HttpResponse, ApiError> {
    if let Some(w) = query.w
        && !(1..=10_000).contains(&w)
    {
        return Err(ApiError::bad_field("w", "must be between 1 and 10000"));
    }
    let row = find_visible(&state, &caller, path.into_inner()).await?;
    let etag = format!("\"{}\"", row.sha256);
    let last_modified = crate::time::parse(&row.created_at);
    let policy = policy(&state, &caller);
    let fresh = if req.headers().contains_key(header::IF_NONE_MATCH) {
        if_none_match_hits(&req, &etag)
    } else {
        last_modified.is_some_and(|at| crate::http::cache::not_modified_since(&req, at))
    };
    let mut builder = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    builder
        .insert_header((header::ETAG, etag.clone()))
        .insert_header((header::CACHE_CONTROL, policy.header_value()))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if let Some(at) = last_modified {
        builder.insert_header((header::LAST_MODIFIED, http_date(at)));
    }
    if policy == CachePolicy::Private {
        builder.insert_header((header::VARY, "Authorization, X-Api-Key"));
    }
    if fresh {
        return Ok(builder.finish());
    }
    let range_header = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let range_applies = req
        .headers()
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|tag| tag.trim() == etag);
    let store = MediaStore::new(&state.settings.media_dir);
    let sha = row.sha256.clone();
    let (range, body, len) = web::block(move || -> std::io::Result<_> {
        let len = store.len(&sha)?;
        let range = if range_applies {
            parse_range(range_header.as_deref(), len)
        } else {
            RangeRequest::Whole
        };
        let body = match range {
            RangeRequest::Whole => store.read_range(&sha, 0, len)?,
            RangeRequest::Part { start, end } => store.read_range(&sha, start, end - start + 1)?,
            RangeRequest::Unsatisfiable => Vec::new(),
        };
        Ok((range, body, len))
    })
    .await?
    .map_err(ApiError::internal)?;
    match range {
        RangeRequest::Whole => Ok(builder.content_type(row.content_type).body(body)),
        RangeRequest::Part { start, end } => {
            builder.status(actix_web::http::StatusCode::PARTIAL_CONTENT);
            builder.insert_header((header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}")));
            Ok(builder.content_type(row.content_type).body(body))
        }
        RangeRequest::Unsatisfiable => {
            let mut response = problem_response(&Problem {
                problem_type: "/problems/range-not-satisfiable".to_owned(),
                title: "Range Not Satisfiable".to_owned(),
                status: 416,
                detail: format!("the file is {len} bytes; the requested range lies outside it"),
                errors: Vec::new(),
            });
            if let Ok(value) = header::HeaderValue::from_str(&format!("bytes */{len}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            Ok(response)
        }
    }
}
