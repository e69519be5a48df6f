//! A quote as the API shows it.

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::quotes::QuoteRow;

/// Something a speaker said.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a3c4-7000-7000-8000-000000000002",
    "text": "This is a budget for growth, not for austerity.",
    "speaker_id": "0193a3c4-5b6e-7f00-8a1b-2c3d4e5f6a7b",
    "article_id": "0193a3c4-6000-7000-8000-000000000001",
    "context": "said at a press conference after the vote",
    "speaker_title": null,
    "said_on": "2026-11-29",
    "created_at": "2026-11-30T09:05:00.000000Z",
    "updated_at": "2026-11-30T09:05:00.000000Z",
    "version": 1
}))]
pub struct Quote {
    /// Opaque id.
    pub id: String,
    /// What was said.
    pub text: String,
    /// Who said it (a speaker id).
    pub speaker_id: String,
    /// The article it belongs to; null when it stands alone.
    pub article_id: Option<String>,
    /// How it was said, e.g. "said at the forum".
    pub context: Option<String>,
    /// The speaker's title at the time, when it differs from their current one.
    pub speaker_title: Option<String>,
    /// The day it was said (`YYYY-MM-DD`).
    #[schema(format = Date)]
    pub said_on: Option<String>,
    /// Creation time (RFC 3339 UTC).
    pub created_at: String,
    /// Time of the last change.
    pub updated_at: String,
    /// Grows by one with each change.
    pub version: i64,
}

impl From<QuoteRow> for Quote {
    fn from(row: QuoteRow) -> Self {
        Quote {
            id: row.id,
            text: row.text,
            speaker_id: row.speaker_id,
            article_id: row.article_id,
            context: row.context,
            speaker_title: row.speaker_title,
            said_on: row.said_on,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
        }
    }
}

/// The documented body of a list of [`Quote`] (see [`pagination::sparse_page_schema`]).
pub struct QuotePage;

impl utoipa::PartialSchema for QuotePage {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::api::pagination::sparse_page_schema("Quote")
    }
}

impl ToSchema for QuotePage {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        crate::api::pagination::page_item_schemas::<Quote>(schemas);
    }
}

/// The fields of a [`Quote`], for `fields=`.
pub const QUOTE_FIELDS: &[&str] = &[
    "id",
    "text",
    "speaker_id",
    "article_id",
    "context",
    "speaker_title",
    "said_on",
    "created_at",
    "updated_at",
    "version",
];
