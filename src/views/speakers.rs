//! A speaker as the API shows it.

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::speakers::SpeakerRow;

/// A person quoted in the news.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a3c4-5b6e-7f00-8a1b-2c3d4e5f6a7b",
    "slug": "amina-diallo",
    "name": "Amina Diallo",
    "title": "Minister of Finance",
    "organization": "Ministry of Finance",
    "bio": "Economist, minister since 2025.",
    "photo_media_id": null,
    "created_at": "2026-11-30T09:00:00.000000Z",
    "updated_at": "2026-11-30T09:00:00.000000Z",
    "version": 1
}))]
pub struct Speaker {
    /// Opaque id.
    pub id: String,
    /// Unique slug, usable wherever the id is.
    pub slug: String,
    /// Full name.
    pub name: String,
    /// Job title.
    pub title: Option<String>,
    /// Organisation.
    pub organization: Option<String>,
    /// Short biography.
    pub bio: Option<String>,
    /// Id of their portrait in `/v1/media`.
    pub photo_media_id: Option<String>,
    /// Creation time (RFC 3339 UTC).
    pub created_at: String,
    /// Time of the last change.
    pub updated_at: String,
    /// Grows by one with each change.
    pub version: i64,
}

impl From<SpeakerRow> for Speaker {
    fn from(row: SpeakerRow) -> Self {
        Speaker {
            id: row.id,
            slug: row.slug,
            name: row.name,
            title: row.title,
            organization: row.organization,
            bio: row.bio,
            photo_media_id: row.photo_media_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
        }
    }
}

/// The documented body of a list of [`Speaker`] (see [`pagination::sparse_page_schema`]).
pub struct SpeakerPage;

impl utoipa::PartialSchema for SpeakerPage {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::api::pagination::sparse_page_schema("Speaker")
    }
}

impl ToSchema for SpeakerPage {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        crate::api::pagination::page_item_schemas::<Speaker>(schemas);
    }
}

/// The fields of a [`Speaker`], for `fields=`.
pub const SPEAKER_FIELDS: &[&str] = &[
    "id",
    "slug",
    "name",
    "title",
    "organization",
    "bio",
    "photo_media_id",
    "created_at",
    "updated_at",
    "version",
];
