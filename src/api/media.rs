//! Media: uploaded photos with captions, credits and rights, and their original files.

use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use diesel::sqlite::SqliteConnection;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::crud::{
    self, Checks, IfMatch, ListPage, NoQuery, Sort, decode_cursor, not_null, paginate,
    parse_fields, patch_field,
};
use crate::api::pagination;
use crate::auth::{Caller, Contributor, Editor, SignedIn};
use crate::db::content_support::{Keyset, NewChange, latest_change_at, record_change};
use crate::db::media::{self as db, MediaChanges, MediaRow, NewMedia};
use crate::error::ApiError;
use crate::http::cache::{CachePolicy, conditional_resource};
use crate::imaging::{self, ImageError};
use crate::media::MediaStore;
use crate::state::AppState;

const TEXT_MAX: usize = 2_000;
/// The largest image [`store_image`] accepts, in pixels (width × height), checked from the
/// header before decoding: the default of `NEWSDESK_MAX_IMAGE_PIXELS`, which uploads use.
pub const DEFAULT_MAX_PIXELS: u64 = 50_000_000;
/// Rendition widths the library loader makes: the default of `NEWSDESK_RENDITION_WIDTHS`,
/// which uploads use.
pub const RENDITION_WIDTHS: &[u32] = &[320, 640, 1024, 1600];
// Room for the metadata parts and multipart framing on top of the file itself.
const FORM_OVERHEAD: usize = 256 * 1024;
const METADATA_PART_MAX: usize = 64 * 1024;

/// A point of interest in an image, for cropping: 0..1 from the left and from the top.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"x": 0.5, "y": 0.3}))]
pub struct FocalPoint {
    /// 0 is the left edge, 1 the right.
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub x: f64,
    /// 0 is the top edge, 1 the bottom.
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub y: f64,
}

/// A derived size of an image, in the original's format or in WebP.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rendition {
    /// Pixels.
    pub width: i32,
    /// Pixels.
    pub height: i32,
    /// Media type.
    pub content_type: String,
    /// Where to fetch it.
    pub url: String,
}

/// A photo and what is known about it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a3c4-8000-7000-8000-000000000003",
    "kind": "image",
    "content_type": "image/jpeg",
    "width": 1600,
    "height": 1067,
    "bytes": 284512,
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "caption": "The finance minister leaves parliament after the vote.",
    "credit": "Photo by A. Reporter/Example Agency",
    "alt_text": "A woman in a dark coat walks down the steps of a stone building.",
    "copyright": "© 2026 Example Agency",
    "license": "editorial use only",
    "syndication_allowed": false,
    "usage_expires": null,
    "focal_point": {"x": 0.5, "y": 0.3},
    "url": "http://127.0.0.1:8080/v1/media/0193a3c4-8000-7000-8000-000000000003/file",
    "renditions": [],
    "created_at": "2026-11-30T09:10:00.000000Z",
    "updated_at": "2026-11-30T09:10:00.000000Z",
    "version": 1
}))]
pub struct Media {
    /// Opaque id.
    pub id: String,
    /// Always `image` for now.
    pub kind: String,
    /// `image/jpeg`, `image/png`, `image/webp` or `image/gif`, decided from the bytes.
    pub content_type: String,
    /// Pixels, from the file header.
    pub width: i32,
    /// Pixels, from the file header.
    pub height: i32,
    /// Size of the original file.
    pub bytes: i64,
    /// Lower-case hex SHA-256 of the original file.
    pub sha256: String,
    /// Caption.
    pub caption: Option<String>,
    /// Credit line, e.g. "Photo by A. Reporter/Agency".
    pub credit: Option<String>,
    /// Text alternative for people who cannot see the image.
    pub alt_text: Option<String>,
    /// Copyright notice.
    pub copyright: Option<String>,
    /// Licence terms.
    pub license: Option<String>,
    /// Whether partners may republish it.
    pub syndication_allowed: bool,
    /// When the right to use it ends (RFC 3339 UTC).
    pub usage_expires: Option<String>,
    /// Point of interest for crops.
    pub focal_point: Option<FocalPoint>,
    /// The original file.
    pub url: String,
    /// Derived sizes (never larger than the original), smallest first, each in the original's
    /// format and in WebP.
    pub renditions: Vec<Rendition>,
    /// Upload time.
    pub created_at: String,
    /// Time of the last change.
    pub updated_at: String,
    /// Grows by one with each change.
    pub version: i64,
}

impl Media {
    /// The representation of a stored row; `public_url` is the base of `url`.
    pub fn from_row(row: MediaRow, public_url: &str) -> Self {
        let focal_point = match (row.focal_x, row.focal_y) {
            (Some(x), Some(y)) => Some(FocalPoint { x, y }),
            _ => None,
        };
        let webp_copies = row.content_type != "image/webp";
        let renditions = crate::media::renditions::parse(&row.renditions)
            .into_iter()
            .map(|r| Rendition {
                url: crate::media::renditions::rendition_url(
                    public_url,
                    &row.id,
                    r.width,
                    webp_copies && r.content_type == "image/webp",
                ),
                width: i32::try_from(r.width).unwrap_or(i32::MAX),
                height: i32::try_from(r.height).unwrap_or(i32::MAX),
                content_type: r.content_type,
            })
            .collect();
        Media {
            url: format!("{public_url}/v1/media/{}/file", row.id),
            id: row.id,
            kind: row.kind,
            content_type: row.content_type,
            width: row.width,
            height: row.height,
            bytes: row.bytes,
            sha256: row.sha256,
            caption: row.caption,
            credit: row.credit,
            alt_text: row.alt_text,
            copyright: row.copyright,
            license: row.license,
            syndication_allowed: row.syndication_allowed,
            usage_expires: row.usage_expires,
            focal_point,
            renditions,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
        }
    }
}

/// The documented body of a list of [`Media`] (see [`crud::sparse_page_schema`]).
pub struct MediaPage;

impl utoipa::PartialSchema for MediaPage {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crud::sparse_page_schema("Media")
    }
}

impl ToSchema for MediaPage {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        crud::page_item_schemas::<Media>(schemas);
    }
}

/// The fields of a [`Media`], for `fields=`.
pub const MEDIA_FIELDS: &[&str] = &[
    "id",
    "kind",
    "content_type",
    "width",
    "height",
    "bytes",
    "sha256",
    "caption",
    "credit",
    "alt_text",
    "copyright",
    "license",
    "syndication_allowed",
    "usage_expires",
    "focal_point",
    "url",
    "renditions",
    "created_at",
    "updated_at",
    "version",
];

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

/// The bytes of an original image file.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct ImageFile(#[allow(dead_code)] Vec<u8>);

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

/// Changes to a photo's metadata, with JSON merge-patch semantics: absent fields stay as they
/// are, `null` clears a nullable field. The file itself cannot be changed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"caption": "The minister after the vote.", "focal_point": {"x": 0.4, "y": 0.25}}))]
pub struct UpdateMedia {
    /// Caption.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    pub caption: Option<Option<String>>,
    /// Credit line.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    pub credit: Option<Option<String>>,
    /// Text alternative.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    pub alt_text: Option<Option<String>>,
    /// Copyright notice.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    pub copyright: Option<Option<String>>,
    /// Licence terms.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    pub license: Option<Option<String>>,
    /// Whether partners may republish it; cannot be null.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = bool, required = false)]
    pub syndication_allowed: Option<Option<bool>>,
    /// When the right to use it ends (RFC 3339).
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub usage_expires: Option<Option<String>>,
    /// Point of interest; null clears it.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<FocalPoint>)]
    pub focal_point: Option<Option<FocalPoint>>,
}

/// Query parameters of the media list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MediaListQuery {
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `created_at` or `updated_at`; prefix `-` for descending (default `-created_at`).
    #[param(pattern = "^-?(created_at|updated_at)$")]
    pub sort: Option<String>,
    /// Comma-separated fields to return (`id` is always included).
    pub fields: Option<String>,
    /// `true` adds `total`.
    pub count: Option<bool>,
}

const MEDIA_SORTS: &[(&str, &str)] = &[
    ("created_at", "media.created_at"),
    ("updated_at", "media.updated_at"),
];

/// Loads media by id in one query, for `include=media`, leaving out those the caller may not
/// see (the public sees media used by a visible article or by a speaker).
pub fn load_media(
    conn: &mut SqliteConnection,
    ids: &[String],
    caller: &Caller,
    public_url: &str,
) -> Result<Vec<Media>, ApiError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let filter = crate::media::rights::media_filter(caller);
    Ok(db::by_ids(conn, ids, filter.as_deref())?
        .into_iter()
        .map(|row| Media::from_row(row, public_url))
        .collect())
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

fn check_expiry(checks: &mut Checks, value: Option<&str>) {
    if let Some(text) = value
        && crate::time::parse(text).is_none()
    {
        checks.push("usage_expires", "must be an RFC 3339 time");
    }
}

fn check_focal_point(checks: &mut Checks, point: FocalPoint) {
    if !(0.0..=1.0).contains(&point.x) || !(0.0..=1.0).contains(&point.y) {
        checks.push("focal_point", "x and y must be between 0 and 1");
    }
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
    created_by: Option<&str>,
) -> Result<Media, ApiError> {
    store_image_limited(
        conn,
        media_dir,
        public_url,
        bytes,
        meta,
        created_by,
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
    created_by: Option<&str>,
    max_pixels: u64,
) -> Result<Media, ApiError> {
    check_metadata(&meta).finish()?;
    let processed = imaging::process(bytes, max_pixels, RENDITION_WIDTHS).map_err(image_error)?;
    store_processed(conn, media_dir, public_url, &processed, meta, created_by)
}

/// Records a processed image: writes the cleaned original and its renditions under the media
/// directory by content hash and inserts the record with a `create` change, all in one
/// transaction (nested as a savepoint when the caller already has one open). The recorded
/// size, dimensions and digest are those of the cleaned file, never of the raw upload. On
/// failure the files this call created are removed again.
pub fn store_processed(
    conn: &mut SqliteConnection,
    media_dir: &std::path::Path,
    public_url: &str,
    processed: &imaging::Processed,
    meta: MediaMetadata,
    created_by: Option<&str>,
) -> Result<Media, ApiError> {
    use diesel::Connection;
    check_metadata(&meta).finish()?;
    let store = MediaStore::new(media_dir);
    let width = i32::try_from(processed.original.width).map_err(ApiError::internal)?;
    let height = i32::try_from(processed.original.height).map_err(ApiError::internal)?;
    let id = crud::new_id();
    conn.transaction(|conn| {
        let files = crate::media::renditions::store_processed(&store, processed, public_url, &id)
            .map_err(ApiError::internal)?;
        let now = crate::time::now();
        let inserted = serde_json::to_string(&files.renditions)
            .map_err(ApiError::internal)
            .and_then(|renditions| {
                db::insert(
                    conn,
                    &NewMedia {
                        id: id.clone(),
                        kind: "image".to_owned(),
                        content_type: processed.original.format.content_type().to_owned(),
                        width,
                        height,
                        bytes: files.bytes,
                        sha256: files.sha256.clone(),
                        caption: meta.caption,
                        credit: meta.credit,
                        alt_text: meta.alt_text,
                        copyright: meta.copyright,
                        license: meta.license,
                        syndication_allowed: meta.syndication_allowed,
                        usage_expires: meta
                            .usage_expires
                            .as_deref()
                            .and_then(crate::time::normalize),
                        focal_x: meta.focal_point.map(|p| p.x),
                        focal_y: meta.focal_point.map(|p| p.y),
                        created_by: created_by.map(str::to_owned),
                        created_at: now.clone(),
                        updated_at: now.clone(),
                        version: 1,
                    },
                )?;
                db::set_renditions(conn, &id, &renditions)
            })
            .and_then(|row| {
                record_change(
                    conn,
                    &NewChange {
                        resource: "media",
                        resource_id: &row.id,
                        operation: "create",
                        version: row.version,
                        at: &now,
                    },
                )?;
                Ok(row)
            });
        match inserted {
            Ok(row) => Ok(Media::from_row(row, public_url)),
            Err(err) => {
                // Nothing may be left behind by a failed request, not even the files.
                for sha in &files.created {
                    let _ = store.remove(sha);
                }
                Err(err)
            }
        }
    })
}

fn policy(state: &AppState, caller: &Caller) -> CachePolicy {
    CachePolicy::for_caller(caller, state.settings.cache_max_age)
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
        (status = 403, description = "Not a contributor, editor or admin"),
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
    let user = author.id.clone();
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
        .write(move |conn| {
            store_processed(conn, &media_dir, &public_url, &processed, meta, Some(&user))
        })
        .await?;
    crud::write_response(
        Some(&format!("/v1/media/{}", media.id)),
        &media,
        media.version,
    )
}

/// Lists photos, newest first unless `sort` says otherwise. The public sees only photos used
/// by a publicly visible article or by a speaker; signed-in users see all.
#[utoipa::path(
    tag = "media",
    params(MediaListQuery),
    responses(
        (status = 200, description = "A page of media; `Link` points at the next page", body = MediaPage),
        (status = 304, description = "The client's copy is current"),
        (status = 400, description = "Unknown parameter, bad `limit`, `sort`, `fields` or `cursor`"),
        (status = 401, description = "Credentials were presented but are not valid")
    )
)]
#[get("/v1/media")]
pub async fn list_media(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<MediaListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let sort = Sort::parse(query.sort.as_deref(), MEDIA_SORTS, "-created_at")?;
    let fields = parse_fields(query.fields.as_deref(), MEDIA_FIELDS)?;
    let fingerprint = sort.text();
    let after = decode_cursor(query.cursor.as_deref(), &fingerprint)?;
    let keyset = Keyset {
        column: sort.column,
        descending: sort.descending,
        after,
        fetch: limit + 1,
    };
    let want_total = query.count == Some(true);
    let filter = crate::media::rights::media_filter(&caller);
    let public_url = state.public_url.to_string();
    let page = state
        .db
        .read(move |conn| {
            let rows = db::list(conn, filter.as_deref(), &keyset)?;
            let (rows, next_cursor) = paginate(rows, limit, &fingerprint, |row| {
                let key = match sort.field {
                    "updated_at" => row.updated_at.clone(),
                    _ => row.created_at.clone(),
                };
                (key, row.id.clone())
            });
            let total = if want_total {
                Some(db::count(conn, filter.as_deref())?)
            } else {
                None
            };
            Ok(ListPage {
                items: rows
                    .into_iter()
                    .map(|row| Media::from_row(row, &public_url))
                    .collect::<Vec<_>>(),
                next_cursor,
                total,
                last_modified: latest_change_at(conn)?,
            })
        })
        .await?;
    crud::list_response(
        &req,
        &state.public_url,
        policy(&state, &caller),
        page,
        fields.as_deref(),
    )
}

/// The media item `id` if `caller` may see it, else a 404.
pub async fn find_visible(
    state: &AppState,
    caller: &Caller,
    id: String,
) -> Result<MediaRow, ApiError> {
    let filter = crate::media::rights::media_filter(caller);
    state
        .db
        .read(move |conn| {
            db::find(conn, &id, filter.as_deref())?.ok_or_else(|| ApiError::not_found("media", &id))
        })
        .await
}

/// Reads a photo's metadata. The public sees only photos used by a publicly visible article or
/// by a speaker.
#[utoipa::path(
    tag = "media",
    params(("id" = String, Path, description = "Media id")),
    responses(
        (status = 200, description = "The photo's metadata, with `ETag` and `Last-Modified`", body = Media),
        (status = 304, description = "The client's copy is current"),
        (status = 401, description = "Credentials were presented but are not valid"),
        (status = 404, description = "No such media, or not visible to the caller")
    )
)]
#[get("/v1/media/{id}")]
pub async fn get_media(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    _query: web::Query<NoQuery>,
) -> Result<HttpResponse, ApiError> {
    let row = find_visible(&state, &caller, path.into_inner()).await?;
    let version = row.version;
    let updated = crate::time::parse(&row.updated_at);
    let body =
        serde_json::to_vec(&Media::from_row(row, &state.public_url)).map_err(ApiError::internal)?;
    Ok(conditional_resource(
        &req,
        body,
        version,
        updated,
        policy(&state, &caller),
    ))
}

/// Changes a photo's metadata (JSON merge patch). Contributors and above; `If-Match` required.
#[utoipa::path(
    tag = "media",
    params(
        ("id" = String, Path, description = "Media id"),
        ("If-Match" = String, Header, description = "The ETag of the media as last read")
    ),
    request_body = UpdateMedia,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed metadata, with its new `ETag`", body = Media),
        (status = 400, description = "The body is not JSON"),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Not a contributor, editor or admin"),
        (status = 404, description = "No such media"),
        (status = 412, description = "`If-Match` does not match the current version"),
        (status = 413, description = "The body is too large"),
        (status = 415, description = "The body is not `application/json`"),
        (status = 422, description = "Invalid, null or unknown fields"),
        (status = 428, description = "`If-Match` is missing")
    )
)]
#[patch("/v1/media/{id}")]
pub async fn update_media(
    req: HttpRequest,
    state: web::Data<AppState>,
    _user: SignedIn<Contributor>,
    path: web::Path<String>,
    body: web::Json<UpdateMedia>,
    _query: web::Query<NoQuery>,
) -> Result<HttpResponse, ApiError> {
    let if_match = IfMatch::from_request(&req)?;
    let id = path.into_inner();
    let body = body.into_inner();
    let mut checks = Checks::default();
    for (field, value) in [
        ("caption", &body.caption),
        ("credit", &body.credit),
        ("alt_text", &body.alt_text),
        ("copyright", &body.copyright),
        ("license", &body.license),
    ] {
        checks.optional(field, value.as_ref().and_then(|v| v.as_deref()), TEXT_MAX);
    }
    check_expiry(
        &mut checks,
        body.usage_expires.as_ref().and_then(|v| v.as_deref()),
    );
    if let Some(Some(point)) = body.focal_point {
        check_focal_point(&mut checks, point);
    }
    let syndication = not_null(&mut checks, "syndication_allowed", body.syndication_allowed);
    checks.finish()?;
    let public_url = state.public_url.to_string();
    let media = state
        .db
        .write(move |conn| {
            let current =
                db::find(conn, &id, None)?.ok_or_else(|| ApiError::not_found("media", &id))?;
            if_match.check(current.version)?;
            let now = crate::time::now();
            let changes = MediaChanges {
                caption: body.caption,
                credit: body.credit,
                alt_text: body.alt_text,
                copyright: body.copyright,
                license: body.license,
                syndication_allowed: syndication,
                usage_expires: body
                    .usage_expires
                    .map(|v| v.as_deref().and_then(crate::time::normalize)),
                focal_x: body.focal_point.map(|p| p.map(|p| p.x)),
                focal_y: body.focal_point.map(|p| p.map(|p| p.y)),
                updated_at: Some(now.clone()),
                version: Some(current.version + 1),
            };
            let row = db::update(conn, &current.id, &changes)?;
            record_change(
                conn,
                &NewChange {
                    resource: "media",
                    resource_id: &row.id,
                    operation: "update",
                    version: row.version,
                    at: &now,
                },
            )?;
            Ok(Media::from_row(row, &public_url))
        })
        .await?;
    crud::write_response(None, &media, media.version)
}

/// Deletes a photo no article or speaker uses; its original, renditions and cached crops go
/// too when no other record shares them. Editors and admins; `If-Match` required.
#[utoipa::path(
    tag = "media",
    params(
        ("id" = String, Path, description = "Media id"),
        ("If-Match" = String, Header, description = "The ETag of the media as last read")
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Not an editor or admin"),
        (status = 404, description = "No such media"),
        (status = 409, description = "An article or speaker still uses it; the detail says how many"),
        (status = 412, description = "`If-Match` does not match the current version"),
        (status = 428, description = "`If-Match` is missing")
    )
)]
#[delete("/v1/media/{id}")]
pub async fn delete_media(
    req: HttpRequest,
    state: web::Data<AppState>,
    _user: SignedIn<Editor>,
    path: web::Path<String>,
    _query: web::Query<NoQuery>,
) -> Result<HttpResponse, ApiError> {
    let if_match = IfMatch::from_request(&req)?;
    let id = path.into_inner();
    let store = MediaStore::new(&state.settings.media_dir);
    let crop_cache = crate::media::renditions::CropCache::new(
        &state.settings.media_dir,
        state.settings.crop_cache_bytes,
    );
    state
        .db
        .write(move |conn| {
            let current =
                db::find(conn, &id, None)?.ok_or_else(|| ApiError::not_found("media", &id))?;
            if_match.check(current.version)?;
            let (articles, speakers) = db::usage(conn, &current.id)?;
            if articles > 0 || speakers > 0 {
                return Err(ApiError::Conflict {
                    detail: format!(
                        "still used by {articles} article(s) and {speakers} speaker(s); remove it from them first"
                    ),
                });
            }
            db::delete(conn, &current.id)?;
            record_change(
                conn,
                &NewChange {
                    resource: "media",
                    resource_id: &current.id,
                    operation: "delete",
                    version: current.version,
                    at: &crate::time::now(),
                },
            )?;
            // Inside the transaction, so an upload of the same bytes cannot slip in between
            // the count and the removal.
            // A file may be another record's original or rendition (identical bytes share one
            // file), so it goes only when no record names it at all.
            if !db::file_in_use(conn, &current.sha256)? {
                store.remove(&current.sha256).map_err(ApiError::internal)?;
                crop_cache
                    .remove_for(&current.sha256)
                    .map_err(ApiError::internal)?;
            }
            for rendition in crate::media::renditions::parse(&current.renditions) {
                if !rendition.sha256.is_empty() && !db::file_in_use(conn, &rendition.sha256)? {
                    store.remove(&rendition.sha256).map_err(ApiError::internal)?;
                }
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
