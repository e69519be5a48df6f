//! Demo content: a small invented newsroom (articles in three sections, the people they quote
//! and photos drawn in code), loaded into an empty database so a fresh checkout shows a
//! living API.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use image::{DynamicImage, Rgb, RgbImage};
use serde_json::{Value, json};

use crate::db::schema::articles;
use crate::error::ApiError;
use crate::imaging::{Format, encode};
use crate::newsroom::articles::{self as article_core, Draft, Origin};
use crate::newsroom::media::{self as photo_core, DEFAULT_MAX_PIXELS, NewPhoto, RENDITION_WIDTHS};
use crate::newsroom::policy::Actor;
use crate::newsroom::quotes::{self as quote_core, NewQuoteInput, QuoteEdit};
use crate::newsroom::speakers::{self as speaker_core, NewSpeakerInput};
use crate::state::AppState;

struct Person {
    key: &'static str,
    name: &'static str,
    title: &'static str,
    organization: &'static str,
    bio: &'static str,
}

const PEOPLE: &[Person] = &[
    Person {
        key: "okafor",
        name: "Inès Okafor",
        title: "chief economist",
        organization: "Provincial Development Bank",
        bio: "Economist who has followed port trade and small exporters for fifteen years.",
    },
    Person {
        key: "reyes",
        name: "Tomás Reyes",
        title: "director of civil protection",
        organization: "Coastal Region",
        bio: "Former fire officer in charge of flood and storm response for the region.",
    },
    Person {
        key: "hall",
        name: "Mira Hall",
        title: "head of rail operations",
        organization: "Northline Rail",
        bio: "Runs the timetable and rolling stock of the northern network.",
    },
    Person {
        key: "banda",
        name: "Joel Banda",
        title: "finance director",
        organization: "Crumb & Co. Bakers' Cooperative",
        bio: "Keeps the books of a cooperative of thirty-one bakeries.",
    },
    Person {
        key: "lind",
        name: "Sara Lind",
        title: "curator",
        organization: "Harbour Maritime Museum",
        bio: "Curator of ship models and charts.",
    },
    Person {
        key: "mendes",
        name: "Paulo Mendes",
        title: "councillor for culture",
        organization: "Port Elan City Council",
        bio: "Councillor who campaigned for music in public squares.",
    },
];

struct Photo {
    key: &'static str,
    caption: &'static str,
    credit: &'static str,
    alt: &'static str,
    /// Sky colour at the top and ground colour at the bottom, and the sun's colour.
    colours: [[u8; 3]; 3],
}

const PHOTOS: &[Photo] = &[
    Photo {
        key: "road",
        caption: "Water covers the coast road south of Marren on Tuesday morning.",
        credit: "Photo by L. Ferreira / Harbour Wire",
        alt: "A flooded road under a grey sky",
        colours: [[96, 110, 128], [52, 84, 110], [200, 200, 190]],
    },
    Photo {
        key: "train",
        caption: "The first night train in two years waits at Northline Central.",
        credit: "Photo by K. Adeyemi / Rail Pictures Agency",
        alt: "A train at a platform at dusk",
        colours: [[32, 40, 88], [60, 60, 70], [250, 210, 120]],
    },
    Photo {
        key: "cranes",
        caption: "Container cranes at Port Elan, where tolls rise next month.",
        credit: "Photo by L. Ferreira / Harbour Wire",
        alt: "Cranes over stacked containers at sunset",
        colours: [[240, 150, 90], [40, 70, 100], [255, 230, 160]],
    },
    Photo {
        key: "bakery",
        caption: "Loaves cooling at one of the cooperative's thirty-one bakeries.",
        credit: "Photo by R. Osei / Independent",
        alt: "Bread on wooden shelves",
        colours: [[230, 200, 150], [150, 100, 60], [255, 240, 200]],
    },
    Photo {
        key: "warehouse",
        caption: "Pallets of ceramics in a shared warehouse outside Port Elan.",
        credit: "Photo by A. Novak / Trade Images",
        alt: "Pallets in a large warehouse",
        colours: [[180, 180, 170], [90, 90, 85], [240, 240, 230]],
    },
    Photo {
        key: "museum",
        caption: "A model of a nineteenth-century schooner in the new gallery.",
        credit: "Photo by S. Lind / Harbour Maritime Museum",
        alt: "A wooden ship model in a glass case",
        colours: [[70, 50, 40], [140, 110, 80], [230, 200, 150]],
    },
    Photo {
        key: "square",
        caption: "Musicians in Fountain Square, now set aside for street performance.",
        credit: "Photo by M. Duarte / City Photo Desk",
        alt: "Musicians playing in a sunny square",
        colours: [[120, 180, 230], [200, 170, 120], [255, 250, 200]],
    },
];

struct Story {
    section: &'static str,
    headline: &'static str,
    standfirst: &'static str,
    byline: &'static str,
    dateline: &'static str,
    tags: &'static [&'static str],
    hero: &'static str,
    /// Speaker key and what they said.
    quote: (&'static str, &'static str, &'static str),
    paragraphs: &'static [&'static str],
    /// Hours before now it was published; negative: scheduled in the future.
    hours_ago: i64,
}

const STORIES: &[Story] = &[
    Story {
        section: "flash",
        headline: "Storm closes the coast road as the Marren breaks its banks",
        standfirst: "Drivers are sent inland while crews pump water off the carriageway.",
        byline: "Ana Ribeiro",
        dateline: "Marren",
        tags: &["weather", "roads"],
        hero: "road",
        quote: (
            "reyes",
            "We would rather close a road for a day than pull a car out of the river.",
            "said at a briefing in Marren",
        ),
        paragraphs: &[
            "The coast road between Marren and Sollo was closed before dawn on Tuesday after the river rose **two metres** overnight.",
            "Diversions add about forty minutes to the journey. The region expects to reopen the road *once the water has gone down and the surface has been checked*.",
        ],
        hours_ago: 2,
    },
    Story {
        section: "flash",
        headline: "Night trains return to the northern line after two years",
        standfirst: "Sleeper services resume three nights a week from Friday.",
        byline: "Dev Patel",
        dateline: "Northline Central",
        tags: &["rail", "transport"],
        hero: "train",
        quote: (
            "hall",
            "The carriages are refitted and the crews are trained. We are ready.",
            "said on the platform at Northline Central",
        ),
        paragraphs: &[
            "The overnight service, suspended while carriages were refitted, will run on Fridays, Saturdays and Sundays.",
            "Tickets went on sale on Monday; the operator says the first two weeks are [nearly sold out](https://example-news.com/rail).",
        ],
        hours_ago: 5,
    },
    Story {
        section: "business",
        headline: "Harbour tolls rise for the first time in a decade",
        standfirst: "Shipping firms say the increase will reach shop prices by spring.",
        byline: "Mara Quist",
        dateline: "Port Elan",
        tags: &["shipping", "prices", "port"],
        hero: "cranes",
        quote: (
            "okafor",
            "Tolls have not kept pace with dredging costs; the question was never whether, but when.",
            "said in an interview",
        ),
        paragraphs: &[
            "The port authority will raise tolls by *eight per cent* from next month, its first increase in ten years.",
            "Freight forwarders expect most of the cost to be passed on to importers.",
        ],
        hours_ago: 9,
    },
    Story {
        section: "business",
        headline: "Bakers' cooperative opens its books to members",
        standfirst: "Every member can now see what each loaf costs to make.",
        byline: "Mara Quist",
        dateline: "Port Elan",
        tags: &["cooperatives", "food"],
        hero: "bakery",
        quote: (
            "banda",
            "If members own the bakeries, they should be able to read the accounts without asking.",
            "said at the cooperative's annual meeting",
        ),
        paragraphs: &[
            "The cooperative's thirty-one bakeries will publish monthly costs for flour, energy and wages.",
            "Members voted for the change by a large majority at the annual meeting.",
        ],
        hours_ago: 26,
    },
    Story {
        section: "business",
        headline: "Small exporters turn to shared warehouses",
        standfirst: "Firms too small for their own storage are pooling space near the port.",
        byline: "Jon Ekberg",
        dateline: "Port Elan",
        tags: &["exports", "port"],
        hero: "warehouse",
        quote: (
            "okafor",
            "Sharing a warehouse is the cheapest way for a small firm to look like a large one to a buyer.",
            "said at a trade forum",
        ),
        paragraphs: &[
            "Three shared warehouses have opened near the port this year, renting space by the pallet.",
            "Ceramics makers and olive oil producers are among the first tenants.",
        ],
        hours_ago: 50,
    },
    Story {
        section: "culture",
        headline: "Harbour museum reopens with a gallery of ship models",
        standfirst: "Two hundred models, some never shown before, fill the restored east wing.",
        byline: "Lea Moreau",
        dateline: "Port Elan",
        tags: &["museums", "history", "port"],
        hero: "museum",
        quote: (
            "lind",
            "Each model was built by someone who sailed the real ship. That is what visitors feel.",
            "said during a preview",
        ),
        paragraphs: &[
            "The museum closed eighteen months ago for repairs to its roof and east wing.",
            "Entry is free for residents during the first month.",
        ],
        hours_ago: 30,
    },
    Story {
        section: "culture",
        headline: "Street musicians win a permanent square",
        standfirst: "Fountain Square is set aside for performers every afternoon.",
        byline: "Lea Moreau",
        dateline: "Port Elan",
        tags: &["music", "city"],
        hero: "square",
        quote: (
            "mendes",
            "A city that has room for music in its squares is a city people want to stay in.",
            "said after the council vote",
        ),
        paragraphs: &[
            "The council voted to reserve the square for street performance from noon to eight.",
            "Performers will no longer need a permit, but amplifiers stay banned.",
        ],
        hours_ago: 74,
    },
    Story {
        section: "culture",
        headline: "Film festival announces its opening night",
        standfirst: "The programme is under embargo until the festival's own announcement.",
        byline: "Lea Moreau",
        dateline: "Port Elan",
        tags: &["film"],
        hero: "square",
        quote: (
            "mendes",
            "The festival belongs to the whole harbour, not only to the cinema.",
            "said in a statement",
        ),
        paragraphs: &["The festival will open with a film shot entirely in the old port."],
        hours_ago: -20,
    },
];

/// Draws a simple landscape: a sky-to-ground gradient with a sun and a horizon line.
fn draw(colours: [[u8; 3]; 3], seed: u32) -> DynamicImage {
    let (width, height) = (960u32, 640u32);
    let [top, bottom, sun] = colours;
    let sun_x = 200.0 + f64::from(seed % 5) * 130.0;
    let sun_y = 180.0 + f64::from(seed % 3) * 40.0;
    let horizon = 400 + (seed % 4) * 20;
    let image = RgbImage::from_fn(width, height, |x, y| {
        let t = f64::from(y) / f64::from(height);
        let mut pixel = [0u8; 3];
        for (i, p) in pixel.iter_mut().enumerate() {
            *p = (f64::from(top[i]) * (1.0 - t) + f64::from(bottom[i]) * t) as u8;
        }
        let (dx, dy) = (f64::from(x) - sun_x, f64::from(y) - sun_y);
        if y < horizon && dx * dx + dy * dy < 70.0 * 70.0 {
            pixel = sun;
        }
        if y >= horizon {
            for p in &mut pixel {
                *p = (f64::from(*p) * 0.75) as u8;
            }
        }
        Rgb(pixel)
    });
    DynamicImage::ImageRgb8(image)
}

/// Loads the demo newsroom when the database has no articles; returns how many articles it
/// wrote (0 when there was content already).
pub fn load_if_empty(state: &AppState) -> anyhow::Result<usize> {
    let mut conn = state.db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    let existing: i64 = articles::table.count().get_result(&mut conn)?;
    if existing > 0 {
        return Ok(0);
    }
    let mut files = Vec::new();
    for (i, photo) in PHOTOS.iter().enumerate() {
        let bytes = encode(&draw(photo.colours, i as u32 * 7 + 3), Format::Jpeg)
            .map_err(|e| anyhow::anyhow!("drawing a demo photo failed: {e}"))?;
        files.push((photo, bytes));
    }
    let public_url = state.public_url.to_string();
    let written = conn
        .immediate_transaction(|conn| load(conn, &files, &state.settings.media_dir, &public_url))
        .map_err(|e| anyhow::anyhow!("loading demo content failed: {e}"))?;
    Ok(written)
}

fn load(
    conn: &mut SqliteConnection,
    files: &[(&Photo, Vec<u8>)],
    media_dir: &std::path::Path,
    public_url: &str,
) -> Result<usize, ApiError> {
    let now = chrono::Utc::now();
    let mut photo_ids = std::collections::HashMap::new();
    for (photo, bytes) in files {
        let fields = NewPhoto {
            caption: Some(photo.caption.to_owned()),
            credit: Some(photo.credit.to_owned()),
            alt_text: Some(photo.alt.to_owned()),
            copyright: Some(format!("© 2026 {}", credit_agency(photo.credit))),
            syndication_allowed: true,
            ..NewPhoto::default()
        };
        let processed = crate::imaging::process(bytes, DEFAULT_MAX_PIXELS, RENDITION_WIDTHS)
            .map_err(ApiError::internal)?;
        let stored = photo_core::create(
            conn,
            &Actor::System,
            media_dir,
            public_url,
            &processed,
            fields,
        )?;
        photo_ids.insert(photo.key, stored.id);
    }
    let mut speaker_ids = std::collections::HashMap::new();
    for person in PEOPLE {
        let speaker = speaker_core::create(
            conn,
            &Actor::System,
            NewSpeakerInput {
                slug: None,
                name: person.name.to_owned(),
                title: Some(person.title.to_owned()),
                organization: Some(person.organization.to_owned()),
                bio: Some(person.bio.to_owned()),
                photo_media_id: None,
            },
            Vec::new(),
        )?;
        let id = speaker.id;
        speaker_ids.insert(person.key, id);
    }
    for story in STORIES {
        let (speaker, words, context) = story.quote;
        let speaker_id = speaker_ids
            .get(speaker)
            .ok_or_else(|| ApiError::internal("demo quote by an unknown speaker"))?;
        let quote_id = quote_core::create(
            conn,
            &Actor::System,
            NewQuoteInput {
                text: words.to_owned(),
                speaker: speaker_id.clone(),
                article_id: None,
                context: Some(context.to_owned()),
                speaker_title: None,
                said_on: Some(now.format("%Y-%m-%d").to_string()),
            },
            Vec::new(),
        )?
        .id;
        let hero = photo_ids
            .get(story.hero)
            .ok_or_else(|| ApiError::internal("demo story with an unknown photo"))?;
        let mut body: Vec<Value> = Vec::new();
        if let Some((first, rest)) = story.paragraphs.split_first() {
            body.push(json!({"type": "paragraph", "text": first}));
            body.push(json!({"type": "quote", "quote_id": quote_id}));
            body.push(json!({"type": "heading", "level": 2, "text": "What happens next"}));
            for text in rest {
                body.push(json!({"type": "paragraph", "text": text}));
            }
        }
        body.push(json!({"type": "media", "media_id": hero}));
        let draft = Draft {
            slug: None,
            headline: story.headline.to_owned(),
            standfirst: Some(story.standfirst.to_owned()),
            body: Value::Array(body),
            section: Some(story.section.to_owned()),
            tags: story.tags.iter().map(|t| (*t).to_owned()).collect(),
            byline: Some(story.byline.to_owned()),
            source: Some("example-news.com".to_owned()),
            dateline: Some(story.dateline.to_owned()),
            language: "en".to_owned(),
            embargo_until: None,
            hero_media_id: Some(hero.clone()),
            canonical_url: None,
            copyright: Some("© 2026 Example News".to_owned()),
        };
        let row = article_core::create(
            conn,
            &Actor::System,
            draft.check()?,
            Origin::default(),
            public_url,
        )?;
        let attach = QuoteEdit {
            article_id: Some(Some(row.id.clone())),
            ..QuoteEdit::default()
        };
        quote_core::update(
            conn,
            &Actor::System,
            &quote_id,
            |_| Ok(()),
            attach,
            Vec::new(),
            public_url,
        )?;
        let at = crate::time::format(now - chrono::Duration::hours(story.hours_ago));
        article_core::apply(
            conn,
            &Actor::System,
            &row,
            "publish",
            Box::new(move |row, now| article_core::publish_changes(row, Some(at), now)),
            None,
            public_url,
        )?;
    }
    Ok(STORIES.len())
}

fn credit_agency(credit: &str) -> &str {
    credit.rsplit('/').next().map(str::trim).unwrap_or(credit)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn drawn_photos_are_small_jpegs() {
        let bytes = encode(&draw(PHOTOS[0].colours, 3), Format::Jpeg).unwrap();
        assert_eq!(crate::imaging::sniff(&bytes), Some(Format::Jpeg));
        assert!(bytes.len() < 200_000, "{} bytes", bytes.len());
    }

    #[test]
    fn the_newsroom_spans_three_sections_and_quotes_named_people() {
        let sections: std::collections::HashSet<&str> = STORIES.iter().map(|s| s.section).collect();
        assert_eq!(sections.len(), 3);
        assert!(STORIES.iter().filter(|s| s.hours_ago > 0).count() >= 6);
        for story in STORIES {
            assert!(PEOPLE.iter().any(|p| p.key == story.quote.0));
            assert!(PHOTOS.iter().any(|p| p.key == story.hero));
        }
    }
}
