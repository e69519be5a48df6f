//! The people and photos of a story, defined once: the quotes its body shows and those linked
//! to it by `article_id`, their speakers, and the photos it shows (lead and body). Includes,
//! feeds, ninjs and the change feed all ask here, and every answer is narrowed by the viewer's
//! visibility rule.

use std::collections::HashMap;

use diesel::SqliteConnection;
use diesel::prelude::*;

use crate::db::media::MediaRow;
use crate::db::quotes::QuoteRow;
use crate::db::schema::{article_media, article_quotes, articles, media, quotes, speakers};
use crate::error::ApiError;
use crate::newsroom::visibility::{self, Condition, Viewer};

/// The quotes that `article_ids` use (in their bodies or linked by `article_id`) and that
/// `viewer` may see at `now`, oldest first. One query whatever the number of articles.
pub fn quotes_used_by(
    conn: &mut SqliteConnection,
    article_ids: &[String],
    viewer: &Viewer,
    now: &str,
) -> Result<Vec<QuoteRow>, ApiError> {
    let in_body = article_quotes::table
        .filter(article_quotes::article_id.eq_any(article_ids))
        .select(article_quotes::quote_id);
    Ok(quotes::table
        .filter(
            quotes::id
                .eq_any(in_body)
                .or(quotes::article_id.eq_any(article_ids)),
        )
        .filter(visibility::quotes(viewer, now))
        .order((quotes::created_at.asc(), quotes::id.asc()))
        .select(QuoteRow::as_select())
        .load(conn)?)
}

/// The photos that `article_ids` show (lead and body) and that `viewer` may see at `now`, by
/// id. One query whatever the number of articles.
pub fn photos_used_by(
    conn: &mut SqliteConnection,
    article_ids: &[String],
    viewer: &Viewer,
    now: &str,
) -> Result<Vec<MediaRow>, ApiError> {
    let in_body = article_media::table
        .filter(article_media::article_id.eq_any(article_ids))
        .select(article_media::media_id);
    let leads = articles::table
        .filter(articles::id.eq_any(article_ids))
        .select(articles::hero_media_id);
    Ok(media::table
        .filter(
            media::id
                .eq_any(in_body)
                .or(media::id.nullable().eq_any(leads)),
        )
        .filter(visibility::media(viewer, now))
        .order(media::id.asc())
        .select(MediaRow::as_select())
        .load(conn)?)
}

/// [`quotes_used_by`], grouped by article: article id to its quotes, oldest first.
pub fn quotes_of(
    conn: &mut SqliteConnection,
    article_ids: &[String],
    viewer: &Viewer,
    now: &str,
) -> Result<HashMap<String, Vec<QuoteRow>>, ApiError> {
    let pairs: Vec<(String, String)> = article_quotes::table
        .filter(article_quotes::article_id.eq_any(article_ids))
        .select((article_quotes::article_id, article_quotes::quote_id))
        .union(
            quotes::table
                .filter(quotes::article_id.eq_any(article_ids))
                .select((quotes::article_id.assume_not_null(), quotes::id)),
        )
        .load(conn)?;
    let rows = quotes_used_by(conn, article_ids, viewer, now)?;
    Ok(group(pairs, rows, |q| &q.id))
}

/// [`photos_used_by`], grouped by article: article id to its photos, by id.
pub fn photos_of(
    conn: &mut SqliteConnection,
    article_ids: &[String],
    viewer: &Viewer,
    now: &str,
) -> Result<HashMap<String, Vec<MediaRow>>, ApiError> {
    let pairs: Vec<(String, String)> = article_media::table
        .filter(article_media::article_id.eq_any(article_ids))
        .select((article_media::article_id, article_media::media_id))
        .union(
            articles::table
                .filter(articles::id.eq_any(article_ids))
                .filter(articles::hero_media_id.is_not_null())
                .select((articles::id, articles::hero_media_id.assume_not_null())),
        )
        .load(conn)?;
    let rows = photos_used_by(conn, article_ids, viewer, now)?;
    Ok(group(pairs, rows, |m| &m.id))
}

/// The articles that quote a speaker (given by id or slug), in their bodies or by linked
/// quotes: the article side of "the people of a story", for `speaker=` filters and speaker pages.
pub fn quoting(speaker: &str) -> Condition<articles::table> {
    let speaker_ids = || {
        speakers::table
            .filter(
                speakers::id
                    .eq(speaker.to_owned())
                    .or(speakers::slug.eq(speaker.to_owned())),
            )
            .select(speakers::id)
    };
    let linked = quotes::table
        .filter(quotes::speaker_id.eq_any(speaker_ids()))
        .filter(quotes::article_id.is_not_null())
        .select(quotes::article_id.assume_not_null());
    let in_body = article_quotes::table
        .inner_join(quotes::table)
        .filter(quotes::speaker_id.eq_any(speaker_ids()))
        .select(article_quotes::article_id);
    Box::new(articles::id.eq_any(linked).or(articles::id.eq_any(in_body)))
}

/// Puts `rows` (in the order wanted) under the articles that `(article id, row id)` pairs name.
fn group<T: Clone>(
    pairs: Vec<(String, String)>,
    rows: Vec<T>,
    id: impl Fn(&T) -> &String,
) -> HashMap<String, Vec<T>> {
    let mut articles_of: HashMap<&String, Vec<&String>> = HashMap::new();
    for (article, row) in &pairs {
        articles_of.entry(row).or_default().push(article);
    }
    let mut by_article: HashMap<String, Vec<T>> = HashMap::new();
    for row in &rows {
        for article in articles_of.get(id(row)).into_iter().flatten() {
            by_article
                .entry((*article).clone())
                .or_default()
                .push(row.clone());
        }
    }
    by_article
}
