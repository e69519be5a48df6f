//! Uploading photos: the multipart form, the checks on the bytes, and storing the original.

use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, post, web};
use diesel::sqlite::SqliteConnection;
use futures_util::StreamExt;
use utoipa::ToSchema;

use crate::api::patch::Checks;
use crate::api::query::NoQuery;
use crate::auth::{Contributor, SignedIn};
use crate::error::ApiError;
use crate::http::cache::write_response;
use crate::imaging::{self, ImageError};
use crate::newsroom::media::NewPhoto;
use crate::newsroom::policy::Actor;
use crate::state::AppState;

use super::{FocalPoint, Media, TEXT_MAX, check_expiry, check_focal_point};

pub use crate::newsroom::media::{DEFAULT_MAX_PIXELS, RENDITION_WIDTHS};

// Room for the metadata parts and multipart framing on top of the file itself.
const FORM_OVERHEAD: usize = 256 * 1024;
const METADATA_PART_MAX: usize = 64 * 1024;

/// The parts of a `POST /v1/media` form. Only `file` is required; any other part name is
/// refused.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct MediaUpload {
    /// The image: JPEG, PNG, WebP or GIF, recognised from its bytes (its name and declared
    /// type are ignored).
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
    /// Caption (at most 2,000 characters).
    caption: Option<String>,
    /// Credit line.
    credit: Option<String>,
    /// Text alternative.
    alt_text: Option<String>,
    /// Copyright notice.
    copyright: Option<String>,
    /// Licence terms.
    license: Option<String>,
    /// `true` or `false` (default `false`).
    syndication_allowed: Option<bool>,
    /// When the right to use it ends (RFC 3339).
    #[schema(format = DateTime)]
    usage_expires: Option<String>,
    /// Focal point, from the left (0..1); give both or neither.
    #[schema(minimum = 0.0, maximum = 1.0)]
    focal_point_x: Option<f64>,
    /// Focal point, from the top (0..1); give both or neither.
    #[schema(minimum = 0.0, maximum = 1.0)]
    focal_point_y: Option<f64>,
}

/// What is known about a photo besides its bytes, as given with an upload.
#[derive(Debug, Clone, Default)]
pub struct MediaMetadata {
    /// Caption.
    pub caption: Option<String>,
    /// Credit line.
    pub credit: Option<String>,
    /// Text alternative.
    pub alt_text: Option<String>,
    /// Copyright notice.
    pub copyright: Option<String>,
    /// Licence terms.
    pub license: Option<String>,
    /// Whether partners may republish it.
    pub syndication_allowed: bool,
    /// When the right to use it ends (RFC 3339).
    pub usage_expires: Option<String>,
    /// Point of interest.
    pub focal_point: Option<FocalPoint>,
}

impl MediaMetadata {
    /// True when any rights field (`syndication_allowed`, `license`, `usage_expires`) is set.
    pub fn sets_rights(&self) -> bool {
        self.syndication_allowed || self.license.is_some() || self.usage_expires.is_some()
    }
}

fn check_metadata(meta: &MediaMetadata) -> Checks {
    let mut checks = Checks::default();
    for (field, value) in [
        ("caption", &meta.caption),
        ("credit", &meta.credit),
        ("alt_text", &meta.alt_text),
        ("copyright", &meta.copyright),
        ("license", &meta.license),
    ] {
        checks.optional(field, value.as_deref(), TEXT_MAX);
    }
    check_expiry(&mut checks, meta.usage_expires.as_deref());
    if let Some(point) = meta.focal_point {
        check_focal_point(&mut checks, point);
    }
    checks
}

fn image_error(err: ImageError) -> ApiError {
    match err {
        ImageError::Unsupported => ApiError::UnsupportedMediaType {
            detail: "`file` is not a JPEG, PNG, WebP or GIF image (decided from its bytes)"
                .to_owned(),
        },
        ImageError::TooManyPixels { .. } | ImageError::Corrupt(_) => {
            ApiError::invalid(vec![crate::error::FieldError::new("file", err.to_string())])
        }
        ImageError::Encode(_) => ApiError::internal(err),
    }
}

/// Stores an image and its metadata: cleans it and makes its renditions (see
/// [`imaging::process`], with the loader's defaults), then records it like an upload. Used by
/// the demo-content loader and tests; the upload endpoint processes on the blocking pool and
/// calls [`store_processed`].
pub fn store_image(
    conn: &mut SqliteConnection,
    media_dir: &std::path::Path,
    public_url: &str,
    bytes: &[u8],
    meta: MediaMetadata,
    actor: &Actor,
) -> Result<Media, ApiError> {
    store_image_limited(
        conn,
        media_dir,
        public_url,
        bytes,
        meta,
        actor,
        DEFAULT_MAX_PIXELS,
    )
}

/// [`store_image`] with a pixel limit other than the default.
pub fn store_image_limited(
    conn: &mut SqliteConnection,
    media_dir: &std::path::Path,
    public_url: &str,
    bytes: &[u8],
    meta: MediaMetadata,
    actor: &Actor,
    max_pixels: u64,
) -> Result<Media, ApiError> {
    check_metadata(&meta).finish()?;
    let processed = imaging::process(bytes, max_pixels, RENDITION_WIDTHS).map_err(image_error)?;
    store_processed(conn, media_dir, public_url, &processed, meta, actor)
}

/// Records a processed image after checking its metadata, through `newsroom::media::create`.
pub fn store_processed(
    conn: &mut SqliteConnection,
    media_dir: &std::path::Path,
    public_url: &str,
    processed: &imaging::Processed,
    meta: MediaMetadata,
    actor: &Actor,
) -> Result<Media, ApiError> {
    check_metadata(&meta).finish()?;
    let fields = NewPhoto {
        syndication_allowed: meta.syndication_allowed,
        usage_expires: meta
            .usage_expires
            .as_deref()
            .and_then(crate::time::normalize),
        focal: meta.focal_point.map(|p| (p.x, p.y)),
        caption: meta.caption,
        credit: meta.credit,
        alt_text: meta.alt_text,
        copyright: meta.copyright,
        license: meta.license,
    };
    let row =
        crate::newsroom::media::create(conn, actor, media_dir, public_url, processed, fields)?;
    Ok(Media::from_row(row, public_url))
}

fn multipart_error(err: MultipartError) -> ApiError {
    match err {
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible => ApiError::UnsupportedMediaType {
            detail: "send the upload as multipart/form-data".to_owned(),
        },
        other => ApiError::bad_request(format!("the multipart body cannot be read: {other}")),
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::PayloadTooLarge {
        detail: format!("the file is larger than the limit of {limit} bytes"),
    }
}

async fn read_part(field: &mut Field, limit: usize) -> Result<Option<Vec<u8>>, ApiError> {
    let mut data = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(multipart_error)?;
        if data.len() + chunk.len() > limit {
            return Ok(None);
        }
        data.extend_from_slice(&chunk);
    }
    Ok(Some(data))
}

async fn read_text(field: &mut Field, name: &str) -> Result<String, ApiError> {
    let bytes = read_part(field, METADATA_PART_MAX).await?.ok_or_else(|| {
        ApiError::invalid(vec![crate::error::FieldError::new(
            name,
            format!("must be at most {METADATA_PART_MAX} bytes"),
        )])
    })?;
    String::from_utf8(bytes).map_err(|_| {
        ApiError::invalid(vec![crate::error::FieldError::new(
            name,
            "must be UTF-8 text",
        )])
    })
}

/// Reads the upload form: the file (within `limit`) and the metadata parts.
async fn read_upload(
    mut form: Multipart,
    limit: usize,
) -> Result<(Vec<u8>, MediaMetadata), ApiError> {
    let mut file: Option<Vec<u8>> = None;
    let mut meta = MediaMetadata::default();
    let mut focal = (None, None);
    let mut checks = Checks::default();
    let mut seen: Vec<String> = Vec::new();
    while let Some(field) = form.next().await {
        let mut field = field.map_err(multipart_error)?;
        let name = field.name().unwrap_or_default().to_owned();
        if seen.contains(&name) {
            checks.push(&name, "is given more than once");
            continue;
        }
        seen.push(name.clone());
        match name.as_str() {
            "file" => {
                file = Some(
                    read_part(&mut field, limit)
                        .await?
                        .ok_or_else(|| too_large(limit))?,
                );
            }
            "caption" | "credit" | "alt_text" | "copyright" | "license" | "usage_expires" => {
                let text = read_text(&mut field, &name).await?;
                let value = Some(text).filter(|t| !t.is_empty());
                match name.as_str() {
                    "caption" => meta.caption = value,
                    "credit" => meta.credit = value,
                    "alt_text" => meta.alt_text = value,
                    "copyright" => meta.copyright = value,
                    "license" => meta.license = value,
                    _ => meta.usage_expires = value,
                }
            }
            "syndication_allowed" => match read_text(&mut field, &name).await?.as_str() {
                "true" => meta.syndication_allowed = true,
                "false" | "" => meta.syndication_allowed = false,
                _ => checks.push(&name, "must be `true` or `false`"),
            },
            "focal_point_x" | "focal_point_y" => {
                let text = read_text(&mut field, &name).await?;
                match text.trim().parse::<f64>() {
                    Ok(v) if (0.0..=1.0).contains(&v) => {
                        if name == "focal_point_x" {
                            focal.0 = Some(v);
                        } else {
                            focal.1 = Some(v);
                        }
                    }
                    _ => checks.push(&name, "must be a number between 0 and 1"),
                }
            }
            _ => {
                // Drain the part so the rest of the form can still be read.
                while let Some(chunk) = field.next().await {
                    chunk.map_err(multipart_error)?;
                }
                let shown = if name.is_empty() {
                    "(unnamed part)"
                } else {
                    &name
                };
                checks.push(shown, "is not a known field of the upload form");
            }
        }
    }
    match focal {
        (Some(x), Some(y)) => meta.focal_point = Some(FocalPoint { x, y }),
        (None, None) => {}
        _ => checks.push("focal_point", "give both focal_point_x and focal_point_y"),
    }
    if file.is_none() {
        checks.push("file", "is required: the image to upload");
    }
    checks.finish()?;
    let file = file.ok_or_else(|| ApiError::internal("file vanished"))?;
    Ok((file, meta))
}

/// Uploads a photo (`multipart/form-data`). Contributors and above.
#[utoipa::path(
    tag = "media",
    request_body(content = MediaUpload, content_type = "multipart/form-data"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Stored; `Location` and `ETag` are set", body = Media),
        (status = 400, description = "The multipart body cannot be read"),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "A partner key, or a contributor setting rights fields (`syndication_allowed`, `license`, `usage_expires`)"),
        (status = 413, description = "The file is larger than the configured limit (`NEWSDESK_MAX_UPLOAD_BYTES`, 20 MiB by default)"),
        (status = 415, description = "Not `multipart/form-data`, or the file is not a JPEG, PNG, WebP or GIF"),
        (status = 422, description = "Missing `file`, unknown or repeated parts, invalid metadata, an image over the pixel limit (`NEWSDESK_MAX_IMAGE_PIXELS`, checked from the header before decoding) or one that does not decode")
    )
)]
#[post("/v1/media")]
pub async fn create_media(
    req: HttpRequest,
    state: web::Data<AppState>,
    author: SignedIn<Contributor>,
    form: Multipart,
    _query: web::Query<NoQuery>,
) -> Result<HttpResponse, ApiError> {
    let actor = Actor::of(&crate::auth::Caller::User(author.user))?;
    let limit = state.settings.max_upload_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit.saturating_add(FORM_OVERHEAD)) {
        return Err(too_large(limit));
    }
    let (bytes, meta) = read_upload(form, limit).await?;
    check_metadata(&meta).finish()?;
    crate::newsroom::policy::edit_rights(&actor, meta.sets_rights())?;
    let max_pixels = state.settings.max_image_pixels;
    let widths = state.settings.rendition_widths.clone();
    // Decoding, resizing and encoding are CPU work: off the async workers.
    let processed = web::block(move || imaging::process(&bytes, max_pixels, &widths))
        .await?
        .map_err(image_error)?;
    let media_dir = state.settings.media_dir.clone();
    let public_url = state.public_url.to_string();
    let media = state
        .db
        .write(move |conn| store_processed(conn, &media_dir, &public_url, &processed, meta, &actor))
        .await?;
    write_response(
        Some(&format!("/v1/media/{}", media.id)),
        &media,
        media.version,
    )
}
