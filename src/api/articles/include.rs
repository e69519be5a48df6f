//! `include=quotes,speakers,media`: the related resources of a set of articles, loaded with a
//! fixed number of queries (one per kind) whatever the number of articles.

use std::collections::HashSet;

use diesel::SqliteConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::{article_media, article_quotes, media, quotes, speakers};
use crate::error::ApiError;

/// Which related resources were asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IncludeSet {
    /// Quotes used in the bodies.
    pub quotes: bool,
    /// Speakers of those quotes.
    pub speakers: bool,
    /// Photos used (hero and body).
    pub media: bool,
}

impl IncludeSet {
    /// Parses `include=quotes,speakers,media`; anything else is a 400 naming `include`.
    pub fn parse(text: Option<&str>) -> Result<Self, ApiError> {
        let mut set = IncludeSet::default();
        for part in text.unwrap_or_default().split(',').map(str::trim) {
            match part {
                "" => {}
                "quotes" => set.quotes = true,
                "speakers" => set.speakers = true,
                "media" => set.media = true,
                other => {
                    return Err(ApiError::bad_field(
                        "include",
                        format!("`{other}` cannot be included; use quotes, speakers or media"),
                    ));
                }
            }
        }
        Ok(set)
    }

    /// True when anything was asked for.
    pub fn any(self) -> bool {
        self.quotes || self.speakers || self.media
    }
}

/// A quote, as included with articles.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = quotes, check_for_backend(diesel::sqlite::Sqlite))]
#[schema(example = json!({
    "id": "019ad5d2-7c1e-7a51-9a44-0c2b8f7e3a11",
    "text": "Tolls have not kept pace with dredging costs.",
    "speaker_id": "019ad5d2-7c1e-7a51-9a44-0c2b8f7e3a12",
    "article_id": null,
    "context": "said at the harbour board meeting",
    "speaker_title": null,
    "said_on": "2026-11-29",
    "created_at": "2026-11-30T08:00:00.000000Z",
    "updated_at": "2026-11-30T08:00:00.000000Z",
    "version": 1
}))]
pub struct IncludedQuote {
    /// Id.
    pub id: String,
    /// The words.
    pub text: String,
    /// Who said them.
    pub speaker_id: String,
    /// The article the quote belongs to, if any.
    pub article_id: Option<String>,
    /// How it was said.
    pub context: Option<String>,
    /// The speaker's title at the time, when it differs from today's.
    pub speaker_title: Option<String>,
    /// The day it was said.
    pub said_on: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// Version.
    pub version: i64,
}

/// A speaker, as included with articles.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = speakers, check_for_backend(diesel::sqlite::Sqlite))]
#[schema(example = json!({
    "id": "019ad5d2-7c1e-7a51-9a44-0c2b8f7e3a12",
    "slug": "ines-okafor",
    "name": "Inès Okafor",
    "title": "chief economist",
    "organization": "Provincial Development Bank",
    "bio": null,
    "photo_media_id": null,
    "created_at": "2026-11-30T08:00:00.000000Z",
    "updated_at": "2026-11-30T08:00:00.000000Z",
    "version": 1
}))]
pub struct IncludedSpeaker {
    /// Id.
    pub id: String,
    /// Unique slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Job title.
    pub title: Option<String>,
    /// Organisation.
    pub organization: Option<String>,
    /// Short biography.
    pub bio: Option<String>,
    /// Portrait.
    pub photo_media_id: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// Version.
    pub version: i64,
}

/// A rendition of a photo.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IncludedRendition {
    /// Pixel width.
    pub width: i64,
    /// Pixel height.
    pub height: i64,
    /// Media type.
    pub content_type: String,
    /// Where to fetch it.
    pub url: String,
}

/// The point of interest of a photo, in 0..1 from the top left.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IncludedFocalPoint {
    /// Horizontal position.
    pub x: f64,
    /// Vertical position.
    pub y: f64,
}

/// A photo, as included with articles.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "019ad5d2-7c1e-7a51-9a44-0c2b8f7e3a13",
    "kind": "image",
    "content_type": "image/png",
    "width": 1200,
    "height": 800,
    "bytes": 48211,
    "sha256": "9f2c0d7a5b1e4c3f8a6d2b0e7c9f1a3d5b7e9c1f3a5d7b9e1c3f5a7d9b1e3c5f",
    "caption": "Container cranes at Port Elan",
    "credit": "Photo by L. Ferreira/Harbour Wire",
    "alt_text": "Cranes over stacked containers at dusk",
    "copyright": "© 2026 Harbour Wire",
    "focal_point": null,
    "url": "http://127.0.0.1:8080/v1/media/019ad5d2-7c1e-7a51-9a44-0c2b8f7e3a13/file",
    "renditions": [],
    "created_at": "2026-11-30T08:00:00.000000Z",
    "updated_at": "2026-11-30T08:00:00.000000Z",
    "version": 1
}))]
pub struct IncludedMedia {
    /// Id.
    pub id: String,
    /// Always `image` for now.
    pub kind: String,
    /// Media type of the original.
    pub content_type: String,
    /// Pixel width.
    pub width: i32,
    /// Pixel height.
    pub height: i32,
    /// Size of the original in bytes.
    pub bytes: i64,
    /// SHA-256 of the original, hex.
    pub sha256: String,
    /// Caption.
    pub caption: Option<String>,
    /// Credit line.
    pub credit: Option<String>,
    /// Alternative text.
    pub alt_text: Option<String>,
    /// Copyright line.
    pub copyright: Option<String>,
    /// Point of interest.
    pub focal_point: Option<IncludedFocalPoint>,
    /// The original file.
    pub url: String,
    /// Smaller versions.
    pub renditions: Vec<IncludedRendition>,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// Version.
    pub version: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = media, check_for_backend(diesel::sqlite::Sqlite))]
struct MediaRow {
    id: String,
    kind: String,
    content_type: String,
    width: i32,
    height: i32,
    bytes: i64,
    sha256: String,
    caption: Option<String>,
    credit: Option<String>,
    alt_text: Option<String>,
    copyright: Option<String>,
    focal_x: Option<f64>,
    focal_y: Option<f64>,
    renditions: String,
    created_at: String,
    updated_at: String,
    version: i64,
}

/// Related resources of the articles in a response. Each list is present when asked for.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct Included {
    /// Quotes used in the article bodies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quotes: Option<Vec<IncludedQuote>>,
    /// Speakers of those quotes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speakers: Option<Vec<IncludedSpeaker>>,
    /// Photos used by the articles (hero and body).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<Vec<IncludedMedia>>,
}

/// Loads what `set` asks for, for these articles: at most three queries in all. With
/// `partner_at` (a partner's request time), photos the partner may not republish are left out.
pub fn load(
    conn: &mut SqliteConnection,
    article_ids: &[String],
    set: IncludeSet,
    public_url: &str,
    partner_at: Option<&str>,
) -> Result<Included, ApiError> {
    let mut included = Included::default();
    if set.quotes || set.speakers {
        let found: Vec<IncludedQuote> = quotes::table
            .inner_join(article_quotes::table)
            .filter(article_quotes::article_id.eq_any(article_ids))
            .select(IncludedQuote::as_select())
            .distinct()
            .order(quotes::id.asc())
            .load(conn)?;
        if set.speakers {
            let speaker_ids: Vec<String> = found
                .iter()
                .map(|q| q.speaker_id.clone())
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            let people: Vec<IncludedSpeaker> = if speaker_ids.is_empty() {
                Vec::new()
            } else {
                speakers::table
                    .filter(speakers::id.eq_any(&speaker_ids))
                    .select(IncludedSpeaker::as_select())
                    .order(speakers::id.asc())
                    .load(conn)?
            };
            included.speakers = Some(people);
        }
        if set.quotes {
            included.quotes = Some(found);
        }
    }
    if set.media {
        let mut query = media::table
            .inner_join(article_media::table)
            .filter(article_media::article_id.eq_any(article_ids))
            .into_boxed();
        if let Some(now) = partner_at {
            query = query.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
                &crate::media::rights::syndicable_media(now),
            ));
        }
        let rows: Vec<MediaRow> = query
            .select(MediaRow::as_select())
            .distinct()
            .order(media::id.asc())
            .load(conn)?;
        included.media = Some(
            rows.into_iter()
                .map(|row| IncludedMedia {
                    url: format!("{public_url}/v1/media/{}/file", row.id),
                    focal_point: match (row.focal_x, row.focal_y) {
                        (Some(x), Some(y)) => Some(IncludedFocalPoint { x, y }),
                        _ => None,
                    },
                    renditions: serde_json::from_str(&row.renditions).unwrap_or_default(),
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
                    created_at: row.created_at,
                    updated_at: row.updated_at,
                    version: row.version,
                })
                .collect(),
        );
    }
    Ok(included)
}
