//! The tables kept in step with an article's content on every write: tag, quote and media
//! links, and the full-text search entry.

use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::db::schema::{article_media, article_quotes, article_tags};

/// Replaces the tag, quote and media links of an article.
pub fn sync_links(
    conn: &mut SqliteConnection,
    id: &str,
    tags: &[String],
    quote_ids: &[String],
    media_ids: &[String],
) -> QueryResult<()> {
    diesel::delete(article_tags::table.filter(article_tags::article_id.eq(id))).execute(conn)?;
    diesel::delete(article_quotes::table.filter(article_quotes::article_id.eq(id)))
        .execute(conn)?;
    diesel::delete(article_media::table.filter(article_media::article_id.eq(id))).execute(conn)?;
    let tag_rows: Vec<_> = dedup(tags)
        .into_iter()
        .map(|t| (article_tags::article_id.eq(id), article_tags::tag.eq(t)))
        .collect();
    if !tag_rows.is_empty() {
        diesel::insert_into(article_tags::table)
            .values(tag_rows)
            .execute(conn)?;
    }
    let quote_rows: Vec<_> = dedup(quote_ids)
        .into_iter()
        .map(|q| {
            (
                article_quotes::article_id.eq(id),
                article_quotes::quote_id.eq(q),
            )
        })
        .collect();
    if !quote_rows.is_empty() {
        diesel::insert_into(article_quotes::table)
            .values(quote_rows)
            .execute(conn)?;
    }
    let media_rows: Vec<_> = dedup(media_ids)
        .into_iter()
        .map(|m| {
            (
                article_media::article_id.eq(id),
                article_media::media_id.eq(m),
            )
        })
        .collect();
    if !media_rows.is_empty() {
        diesel::insert_into(article_media::table)
            .values(media_rows)
            .execute(conn)?;
    }
    Ok(())
}

pub(super) fn dedup(items: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        if !out.contains(item) {
            out.push(item.clone());
        }
    }
    out
}

/// Replaces the search index entry of an article.
pub fn sync_search(
    conn: &mut SqliteConnection,
    id: &str,
    headline: &str,
    standfirst: &str,
    body: &str,
) -> QueryResult<()> {
    remove_search_entry(conn, id)?;
    diesel::sql_query(
        "INSERT INTO articles_fts (article_id, headline, standfirst, body) VALUES (?, ?, ?, ?)",
    )
    .bind::<Text, _>(id)
    .bind::<Text, _>(headline)
    .bind::<Text, _>(standfirst)
    .bind::<Text, _>(body)
    .execute(conn)?;
    diesel::sql_query(
        "INSERT OR REPLACE INTO articles_fts_rows (article_id, fts_rowid) VALUES (?, last_insert_rowid())",
    )
    .bind::<Text, _>(id)
    .execute(conn)?;
    Ok(())
}

/// Drops an article's search entry, found through `articles_fts_rows` by primary key: the FTS
/// table itself cannot index `article_id`, so a `WHERE article_id = ?` there reads every row.
pub(super) fn remove_search_entry(conn: &mut SqliteConnection, id: &str) -> QueryResult<()> {
    diesel::sql_query(
        "DELETE FROM articles_fts WHERE rowid = \
         (SELECT fts_rowid FROM articles_fts_rows WHERE article_id = ?)",
    )
    .bind::<Text, _>(id)
    .execute(conn)?;
    diesel::sql_query("DELETE FROM articles_fts_rows WHERE article_id = ?")
        .bind::<Text, _>(id)
        .execute(conn)?;
    Ok(())
}

/// Turns a reader's search words into a safe FTS5 expression (every word must match; a
/// trailing word matches as a prefix). None when there are no words.
pub fn fts_expression(q: &str) -> Option<String> {
    let words: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(|w| format!("\"{}\"", w.replace('"', "")))
        .collect();
    if words.is_empty() {
        None
    } else {
        Some(words.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_are_quoted_so_no_fts_syntax_gets_through() {
        assert_eq!(
            fts_expression("rates AND \"bank\" NEAR(x)").as_deref(),
            Some("\"rates\" \"AND\" \"bank\" \"NEAR\" \"x\"")
        );
        assert_eq!(fts_expression(" -- ** "), None);
    }
}
