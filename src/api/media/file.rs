//! Serving photo files: the cleaned original, a rendition chosen by `?w=` (WebP when the client
//! accepts it), or a focal-point crop for `?w=&h=` made once and kept in the crop cache; and
//! which articles and speakers use a photo.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::find_visible;
use crate::api::query::NoQuery;
use crate::auth::{Caller, Contributor, SignedIn};
use crate::db::media as db;
use crate::error::{ApiError, Problem, problem_response};
use crate::http::cache::{Conditions, http_date, if_range_holds};
use crate::imaging::Format;
use crate::media::renditions::{self, CropCache, CropSpec};
use crate::media::rights::{FileAudience, file_cache_control};
use crate::media::{MediaStore, RangeRequest, parse_range, sha256_hex};
use crate::newsroom::visibility::Viewer;
use crate::state::AppState;

/// The largest `w` or `h` that may be asked for.
pub const MAX_DIMENSION: i64 = 4096;

/// The bytes of an image file.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct ImageFile(#[allow(dead_code)] Vec<u8>);

/// Query parameters of the file download.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MediaFileQuery {
    /// Wanted width in pixels (1 to 4096). Alone, it serves the smallest rendition at least
    /// this wide, or the original when none is wide enough. With `h` (a crop) it must be one of
    /// the rendition widths (`NEWSDESK_RENDITION_WIDTHS`, by default 320, 640, 1024, 1600);
    /// another width is a 400 naming `w`.
    #[param(minimum = 1, maximum = 4096)]
    pub w: Option<i64>,
    /// Wanted height in pixels, only together with `w`: serves a crop of exactly `w`×`h`
    /// (smaller only when the original is smaller) around the photo's `focal_point` (the
    /// centre when it has none). Crops come only in the aspect ratios of `NEWSDESK_CROP_SIZES`
    /// (by default 1:1, 16:9 and 4:3), at each rendition width, with `h` rounded to the nearest
    /// pixel; by default: w=320 with h=320, 180 or 240; w=640 with h=640, 360 or 480; w=1024
    /// with h=1024, 576 or 768; w=1600 with h=1600, 900 or 1200. Another height is a 400
    /// naming `h` and listing the heights offered at that width.
    #[param(minimum = 1, maximum = 4096)]
    pub h: Option<i64>,
    /// `webp` or `original`: the format to serve, overriding `Accept`. Without it, a client
    /// whose `Accept` names `image/webp` gets WebP for `w` (with `Vary: Accept`).
    #[param(pattern = "^(webp|original)$")]
    pub format: Option<String>,
}

/// What a request for a file resolves to.
enum Target {
    /// A stored file (original or rendition) with this digest and type.
    Stored {
        sha256: String,
        content_type: String,
    },
    /// A crop, from the stored file `source` (original or a large enough rendition).
    Crop { spec: CropSpec, source: String },
}

fn check_dimension(name: &str, value: Option<i64>) -> Result<Option<u32>, ApiError> {
    match value {
        None => Ok(None),
        Some(v) if (1..=MAX_DIMENSION).contains(&v) => Ok(u32::try_from(v).ok()),
        Some(_) => Err(ApiError::bad_field(
            name,
            format!("must be between 1 and {MAX_DIMENSION}"),
        )),
    }
}

fn format_of(content_type: &str) -> Result<Format, ApiError> {
    Format::from_content_type(content_type)
        .ok_or_else(|| ApiError::internal(format!("stored media has type {content_type}")))
}

/// Serves a photo's file. Without parameters: the cleaned original. `?w=W`: the smallest
/// rendition at least `W` wide (the original when none is), WebP when the client accepts it.
/// `?w=W&h=H`: a crop around the focal point in one of the offered sizes, made once (a bounded
/// number at a time) and then served from the crop cache.
/// Every answer carries a strong `ETag`, a `Cache-Control` whose lifetime never outlasts the
/// photo's `usage_expires` or its visibility (see [`file_cache_control`]), 304 on a current
/// copy and single byte ranges (206).
#[utoipa::path(
    tag = "media",
    params(("id" = String, Path, description = "Media id"), MediaFileQuery,
        ("Accept" = Option<String>, Header, description = "`image/webp` lets `w` and crops be served as WebP"),
        ("Range" = Option<String>, Header, description = "One byte range, e.g. `bytes=0-1023`, `bytes=1024-` or `bytes=-500`; several ranges get the whole file"),
        ("If-Range" = Option<String>, Header, description = "The ETag the range is for; another tag gets the whole file")),
    responses(
        (status = 200, description = "The whole file", content(
            (ImageFile = "image/jpeg"), (ImageFile = "image/png"), (ImageFile = "image/webp"), (ImageFile = "image/gif")),
            headers(("ETag" = String, description = "Strong: the SHA-256 of the file, or of what a crop is made from"),
                    ("Cache-Control" = String, description = "Photos the public may see: `public, max-age=N` with N the `max-age` of public reads (`NEWSDESK_CACHE_MAX_AGE`, 60 s by default), never `immutable`, as an unpublish can hide them. Otherwise `private`: `max-age=31536000, immutable` for an original or rendition sent to staff who see every photo, the short lifetime for crops (they move with the focal point). In every case `max-age` ends no later than the photo's `usage_expires` (`max-age=0` once past it)"),
                    ("Vary" = String, description = "`Accept` when the format was negotiated"),
                    ("Accept-Ranges" = String, description = "`bytes`"),
                    ("X-Content-Type-Options" = String, description = "`nosniff`"))),
        (status = 206, description = "The requested byte range, with `Content-Range`", content(
            (ImageFile = "image/jpeg"), (ImageFile = "image/png"), (ImageFile = "image/webp"), (ImageFile = "image/gif")),
            headers(("Content-Range" = String, description = "`bytes START-END/LENGTH`"))),
        (status = 304, description = "The client's copy is current"),
        (status = 400, description = "Unknown parameter, `w` or `h` out of 1..4096, `h` without `w`, a crop size not offered (see `w` and `h`), or bad `format`; the problem names the parameter"),
        (status = 401, description = "Credentials were presented but are not valid"),
        (status = 404, description = "No such media, or not visible to the caller"),
        (status = 416, description = "The range lies outside the file; `Content-Range: bytes */LENGTH`"),
        (status = 503, description = "Too many crops are being made; retry after `Retry-After` seconds")
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
    let query = query.into_inner();
    let width = check_dimension("w", query.w)?;
    let height = check_dimension("h", query.h)?;
    match (width, height) {
        (None, Some(_)) => return Err(ApiError::bad_field("h", "needs `w` as well")),
        (Some(w), Some(h)) => renditions::check_crop_size(
            &state.settings.rendition_widths,
            &state.settings.crop_sizes,
            w,
            h,
        )?,
        _ => {}
    }
    let forced_webp = match query.format.as_deref() {
        None => None,
        Some("webp") => Some(true),
        Some("original") => Some(false),
        Some(_) => {
            return Err(ApiError::bad_field(
                "format",
                "must be `webp` or `original`",
            ));
        }
    };
    let negotiated = width.is_some() && forced_webp.is_none();
    let webp = forced_webp
        .unwrap_or_else(|| negotiated && crate::http::negotiation::accepts_webp(req.headers()));

    let row = find_visible(&state, &caller, path.into_inner()).await?;
    let public = match caller {
        Caller::Anonymous => true,
        _ => {
            let id = row.id.clone();
            state
                .db
                .read(move |conn| {
                    Ok(
                        db::find_visible(conn, &id, &Viewer::Public, &crate::time::now())?
                            .is_some(),
                    )
                })
                .await?
        }
    };

    let stored = renditions::parse(&row.renditions);
    let target = match (width, height) {
        (Some(w), Some(h)) => {
            let original = format_of(&row.content_type)?;
            // Crop from the smallest same-format rendition that covers the crop, to decode less.
            let source = stored
                .iter()
                .filter(|r| {
                    r.content_type == row.content_type
                        && r.width >= i64::from(w)
                        && r.height >= i64::from(h)
                        && !r.sha256.is_empty()
                })
                .min_by_key(|r| r.width)
                .map_or_else(|| row.sha256.clone(), |r| r.sha256.clone());
            Target::Crop {
                spec: CropSpec {
                    original_sha256: row.sha256.clone(),
                    width: w,
                    height: h,
                    fx: row.focal_x.unwrap_or(0.5),
                    fy: row.focal_y.unwrap_or(0.5),
                    format: if webp { Format::Webp } else { original },
                },
                source,
            }
        }
        (Some(w), None) => {
            match renditions::choose(&stored, &row.content_type, i64::from(w), webp) {
                Some(r) if !r.sha256.is_empty() => Target::Stored {
                    sha256: r.sha256.clone(),
                    content_type: r.content_type.clone(),
                },
                _ => Target::Stored {
                    sha256: row.sha256.clone(),
                    content_type: row.content_type.clone(),
                },
            }
        }
        _ => Target::Stored {
            sha256: row.sha256.clone(),
            content_type: row.content_type.clone(),
        },
    };
    let (etag, content_type) = match &target {
        Target::Stored {
            sha256,
            content_type,
        } => (format!("\"{sha256}\""), content_type.clone()),
        Target::Crop { spec, .. } => (
            format!("\"{}\"", sha256_hex(spec.key().as_bytes())),
            spec.format.content_type().to_owned(),
        ),
    };

    let last_modified = crate::time::parse(&row.created_at);
    let fresh = Conditions::read(req.headers()).fresh(Some(&etag), last_modified);
    let mut builder = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    let audience = FileAudience::of(&caller, public, matches!(target, Target::Stored { .. }));
    let cache_control = file_cache_control(
        audience,
        row.usage_expires.as_deref(),
        chrono::Utc::now(),
        u64::from(state.settings.cache_max_age),
    );
    builder
        .insert_header((header::ETAG, etag.clone()))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if let Some(at) = last_modified {
        builder.insert_header((header::LAST_MODIFIED, http_date(at)));
    }
    let mut vary = Vec::new();
    if negotiated {
        vary.push("Accept");
    }
    if !public {
        vary.push("Authorization, X-Api-Key");
    }
    if !vary.is_empty() {
        builder.insert_header((header::VARY, vary.join(", ")));
    }
    if fresh {
        return Ok(builder.finish());
    }

    let range_header = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let range_applies = if_range_holds(&req, &etag);
    let pick = move |len: u64| {
        if range_applies {
            parse_range(range_header.as_deref(), len)
        } else {
            RangeRequest::Whole
        }
    };
    let store = MediaStore::new(&state.settings.media_dir);
    let (range, body, len) = match target {
        Target::Stored { sha256, .. } => {
            web::block(move || -> Result<_, ApiError> {
                let len = store.len(&sha256).map_err(ApiError::internal)?;
                let range = pick(len);
                let body = match range {
                    RangeRequest::Whole => store.read_range(&sha256, 0, len),
                    RangeRequest::Part { start, end } => {
                        store.read_range(&sha256, start, end - start + 1)
                    }
                    RangeRequest::Unsatisfiable => Ok(Vec::new()),
                }
                .map_err(ApiError::internal)?;
                Ok((range, body, len))
            })
            .await??
        }
        Target::Crop { spec, source } => {
            let bytes = crop_bytes(&state, store, spec, source).await?;
            let len = bytes.len() as u64;
            let range = pick(len);
            let body = match range {
                RangeRequest::Whole => bytes,
                RangeRequest::Part { start, end } => bytes[start as usize..=end as usize].to_vec(),
                RangeRequest::Unsatisfiable => Vec::new(),
            };
            (range, body, len)
        }
    };
    match range {
        RangeRequest::Whole => Ok(builder.content_type(content_type).body(body)),
        RangeRequest::Part { start, end } => {
            builder.status(actix_web::http::StatusCode::PARTIAL_CONTENT);
            builder.insert_header((header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}")));
            Ok(builder.content_type(content_type).body(body))
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

/// The bytes of a crop: from the cache, or made under the server's [`CropLimit`] so only a
/// bounded number are decoded, resized and encoded at once (a cache hit needs no turn).
///
/// [`CropLimit`]: crate::media::renditions::CropLimit
async fn crop_bytes(
    state: &AppState,
    store: MediaStore,
    spec: CropSpec,
    source: String,
) -> Result<Vec<u8>, ApiError> {
    let cache = CropCache::new(&state.settings.media_dir, state.settings.crop_cache_bytes);
    let key = spec.key();
    let lookup = cache.clone();
    if let Some(bytes) = web::block(move || lookup.get(&key))
        .await?
        .map_err(ApiError::internal)?
    {
        return Ok(bytes);
    }
    let _turn = state.crops.permit().await?;
    let max_pixels = state.settings.max_image_pixels;
    web::block(move || cache.make(&store, &source, &spec, max_pixels))
        .await?
        .map_err(ApiError::internal)
}

/// An article that uses a photo.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArticleUsage {
    /// Article id.
    pub id: String,
    /// Article slug.
    pub slug: String,
    /// Headline.
    pub headline: String,
    /// `draft`, `scheduled`, `published` or `archived`.
    pub status: String,
    /// True when the photo is the article's hero image (otherwise it is used in the body).
    pub hero: bool,
}

/// A speaker whose portrait is the photo.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SpeakerUsage {
    /// Speaker id.
    pub id: String,
    /// Speaker slug.
    pub slug: String,
    /// Name.
    pub name: String,
}

/// Where a photo is used. A photo used anywhere cannot be deleted.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "media_id": "0193a3c4-8000-7000-8000-000000000003",
    "articles": [{"id": "0193a3c4-8000-7000-8000-000000000010", "slug": "budget-vote",
                  "headline": "Budget passes after late vote", "status": "published", "hero": true}],
    "speakers": []
}))]
pub struct MediaUsage {
    /// The photo.
    pub media_id: String,
    /// Articles using it as hero or in their body, by id.
    pub articles: Vec<ArticleUsage>,
    /// Speakers using it as their portrait, by id.
    pub speakers: Vec<SpeakerUsage>,
}

/// Lists the articles and speakers that use a photo. Signed-in users.
#[utoipa::path(
    tag = "media",
    params(("id" = String, Path, description = "Media id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The articles and speakers using the photo", body = MediaUsage),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Not a contributor, editor or admin"),
        (status = 404, description = "No such media")
    )
)]
#[get("/v1/media/{id}/usage")]
pub async fn get_media_usage(
    state: web::Data<AppState>,
    _user: SignedIn<Contributor>,
    path: web::Path<String>,
    _query: web::Query<NoQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let usage = state
        .db
        .read(move |conn| {
            if !db::exists(conn, &id)? {
                return Err(ApiError::not_found("media", &id));
            }
            let (articles, speakers) = db::users_of(conn, &id)?;
            Ok(MediaUsage {
                media_id: id,
                articles: articles
                    .into_iter()
                    .map(|(id, slug, headline, status, hero)| ArticleUsage {
                        id,
                        slug,
                        headline,
                        status,
                        hero,
                    })
                    .collect(),
                speakers: speakers
                    .into_iter()
                    .map(|(id, slug, name)| SpeakerUsage { id, slug, name })
                    .collect(),
            })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .json(usage))
}
