//! `include=quotes,speakers,media`: the related resources of a set of articles, loaded with a
//! fixed number of queries (one per kind) whatever the number of articles.

use std::collections::HashSet;

use diesel::SqliteConnection;

use crate::error::ApiError;
use crate::newsroom::story;
use crate::newsroom::visibility::Viewer;
use crate::views::articles::Included;
use crate::views::media::Media;
use crate::views::quotes::Quote;
use crate::views::speakers::Speaker;

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
            // Speakers are public: no visibility rule, and ids that do not exist are left out.
            let mut people: Vec<Speaker> = crate::db::speakers::by_ids(conn, &speaker_ids)?
                .into_iter()
                .map(Speaker::from)
                .collect();
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
