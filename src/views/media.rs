//! A photo as the API shows it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::media::MediaRow;

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

/// The documented body of a list of [`Media`] (see [`pagination::sparse_page_schema`]).
pub struct MediaPage;

impl utoipa::PartialSchema for MediaPage {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::api::pagination::sparse_page_schema("Media")
    }
}

impl ToSchema for MediaPage {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        crate::api::pagination::page_item_schemas::<Media>(schemas);
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
