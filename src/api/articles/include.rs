//! `include=quotes,speakers,media`: the related resources of a set of articles, loaded with a
//! fixed number of queries (one per kind) whatever the number of articles.

use std::collections::HashSet;

use diesel::SqliteConnection;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::media::Media;
use crate::api::quotes::Quote;
use crate::api::speakers::{Speaker, load_speakers};
use crate::error::ApiError;
use crate::newsroom::story;
use crate::newsroom::visibility::Viewer;

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

/// Related resources of the articles in a response. Each list is present when asked for.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Included {
    /// Quotes used in the article bodies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quotes: Option<Vec<Quote>>,
    /// Speakers of those quotes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speakers: Option<Vec<Speaker>>,
    /// Photos used by the articles (hero and body).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<Vec<Media>>,
}

/// Loads what `set` asks for, for these articles, with a fixed number of queries: the people
/// and photos of the stories (see [`crate::newsroom::story`]) that `viewer` may see at `now`.
pub fn load(
    conn: &mut SqliteConnection,
    article_ids: &[String],
    set: IncludeSet,
    public_url: &str,
    viewer: &Viewer,
    now: &str,
) -> Result<Included, ApiError> {
    let mut included = Included::default();
    if set.quotes || set.speakers {
        let found: Vec<Quote> = story::quotes_used_by(conn, article_ids, viewer, now)?
            .into_iter()
            .map(Quote::from)
            .collect();
        if set.speakers {
            let mut speaker_ids: Vec<String> = found
                .iter()
                .map(|q| q.speaker_id.clone())
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            speaker_ids.sort();
            let mut people = load_speakers(conn, &speaker_ids)?;
            people.sort_by(|a, b| a.id.cmp(&b.id));
            included.speakers = Some(people);
        }
        if set.quotes {
            included.quotes = Some(found);
        }
    }
    if set.media {
        let photos = story::photos_used_by(conn, article_ids, viewer, now)?;
        included.media = Some(
            photos
                .into_iter()
                .map(|row| Media::from_row(row, public_url))
                .collect(),
        );
    }
    Ok(included)
}
