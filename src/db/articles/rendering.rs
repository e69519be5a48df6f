//! What rendering an article body needs from the quotes, speakers and photos it uses, and
//! which articles a change to one of those renders again.

use diesel::prelude::*;
use diesel::sqlite::Sqlite;

use super::index::dedup;
use crate::content::{MediaRef, QuoteRef, RenderContext};
use crate::db::schema::{article_media, article_quotes, articles, media, quotes, speakers};

/// What a quote block needs from the quote and its speaker.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(check_for_backend(Sqlite))]
struct QuoteRefRow {
    #[diesel(select_expression = quotes::id)]
    id: String,
    #[diesel(select_expression = quotes::text)]
    text: String,
    #[diesel(select_expression = quotes::speaker_title)]
    speaker_title: Option<String>,
    #[diesel(select_expression = speakers::name)]
    name: String,
    #[diesel(select_expression = speakers::title)]
    title: Option<String>,
    #[diesel(select_expression = speakers::organization)]
    organization: Option<String>,
}

/// What a media block needs from the photo.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = media, check_for_backend(Sqlite))]
struct MediaRefRow {
    id: String,
    caption: Option<String>,
    credit: Option<String>,
    alt_text: Option<String>,
    width: i32,
    height: i32,
}

/// What the renderer needs about the given quotes and media (absent ids are simply missing
/// from the result, which is how dangling references are found). Two queries.
pub fn render_context(
    conn: &mut SqliteConnection,
    quote_ids: &[String],
    media_ids: &[String],
) -> QueryResult<RenderContext> {
    let mut ctx = RenderContext::default();
    if !quote_ids.is_empty() {
        let rows: Vec<QuoteRefRow> = quotes::table
            .inner_join(speakers::table)
            .filter(quotes::id.eq_any(quote_ids))
            .select(QuoteRefRow::as_select())
            .load(conn)?;
        for row in rows {
            ctx.quotes.insert(
                row.id,
                QuoteRef {
                    text: row.text,
                    speaker_name: row.name,
                    speaker_title: row.speaker_title.or(row.title),
                    organization: row.organization,
                },
            );
        }
    }
    if !media_ids.is_empty() {
        let rows: Vec<MediaRefRow> = media::table
            .filter(media::id.eq_any(media_ids))
            .select(MediaRefRow::as_select())
            .load(conn)?;
        for row in rows {
            ctx.media.insert(
                row.id,
                MediaRef {
                    caption: row.caption,
                    credit: row.credit,
                    alt_text: row.alt_text,
                    width: row.width,
                    height: row.height,
                },
            );
        }
    }
    Ok(ctx)
}

/// The ids of the articles whose bodies use any of these quotes, quotes by these speakers, or
/// these photos (to render them again after one of those changes).
pub fn using(
    conn: &mut SqliteConnection,
    quote_ids: &[String],
    speaker_ids: &[String],
    media_ids: &[String],
) -> QueryResult<Vec<String>> {
    let mut ids: Vec<String> = Vec::new();
    if !quote_ids.is_empty() {
        ids.extend(
            article_quotes::table
                .filter(article_quotes::quote_id.eq_any(quote_ids))
                .select(article_quotes::article_id)
                .load::<String>(conn)?,
        );
    }
    if !speaker_ids.is_empty() {
        ids.extend(
            article_quotes::table
                .inner_join(quotes::table)
                .filter(quotes::speaker_id.eq_any(speaker_ids))
                .select(article_quotes::article_id)
                .load::<String>(conn)?,
        );
    }
    if !media_ids.is_empty() {
        ids.extend(
            article_media::table
                .filter(article_media::media_id.eq_any(media_ids))
                .select(article_media::article_id)
                .load::<String>(conn)?,
        );
    }
    Ok(dedup(&ids))
}

/// Stores a new rendering of an article's body (same content, so the version stays).
pub fn set_body_html(
    conn: &mut SqliteConnection,
    id: &str,
    body_html: &str,
    at: &str,
) -> QueryResult<()> {
    diesel::update(articles::table.find(id))
        .set((
            articles::body_html.eq(body_html),
            articles::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}
