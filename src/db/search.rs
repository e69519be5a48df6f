//! Full-text search: articles ranked by bm25 over the FTS5 index, under the same visibility
//! rule article lists use, and the speakers and quotes whose name or text contain the words.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Text};
use diesel::sqlite::SqliteConnection;

use crate::db::articles::ArticleRow;
use crate::db::quotes::QuoteRow;
use crate::db::schema::{articles, articles_fts_rows, quotes, speakers};
use crate::db::speakers::SpeakerRow;
use crate::newsroom::visibility::{self, Viewer};

/// The rank of a match: bm25 with the headline weighted above the standfirst, and both above
/// the body (the first weight is the unindexed `article_id`). Lower is better.
const RANK: &str = "bm25(articles_fts, 0.0, 10.0, 4.0, 1.0)";

/// Where a page of results starts: after the hit with this rank and id.
#[derive(Debug, Clone, PartialEq)]
pub struct AfterHit {
    /// Rank of the last hit seen.
    pub rank: f64,
    /// Id of the last hit seen.
    pub id: String,
}

/// Articles matching the FTS5 expression `expression` that `visibility` lets the caller see,
/// best first (ties in the order the search index holds them), starting after `after`; asks
/// for `limit` rows.
///
/// Two steps, so a common word does not cost a read of every matching article: the best
/// candidates come from the search index alone (rank and id), then only those are loaded,
/// under the visibility rule. When too few of them are visible, the next candidates are taken,
/// twice as many each time.
pub fn articles(
    conn: &mut SqliteConnection,
    expression: &str,
    viewer: &Viewer,
    now: &str,
    after: Option<&AfterHit>,
    limit: i64,
) -> QueryResult<Vec<(ArticleRow, f64)>> {
    let wanted = usize::try_from(limit).unwrap_or(0);
    let mut found = Vec::with_capacity(wanted);
    let mut cursor = after.cloned();
    let mut batch = limit.saturating_mul(2).max(20);
    while found.len() < wanted {
        let candidates = ranked(conn, expression, cursor.as_ref(), batch)?;
        let ids: Vec<String> = candidates.iter().map(|c| c.id.clone()).collect();
        let mut rows: std::collections::HashMap<String, ArticleRow> =
            visible_among(conn, ids, viewer, now)?
                .into_iter()
                .map(|row| (row.id.clone(), row))
                .collect();
        for candidate in &candidates {
            if found.len() == wanted {
                break;
            }
            if let Some(row) = rows.remove(&candidate.id) {
                found.push((row, candidate.rank));
            }
        }
        match candidates.last() {
            Some(last) if i64::try_from(candidates.len()).unwrap_or(i64::MAX) == batch => {
                cursor = Some(AfterHit {
                    rank: last.rank,
                    id: last.id.clone(),
                });
                batch = batch.saturating_mul(2);
            }
            // Fewer than asked for: there are no more matches.
            _ => break,
        }
    }
    Ok(found)
}

#[derive(QueryableByName)]
struct Candidate {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Double)]
    rank: f64,
}

#[derive(QueryableByName)]
struct Ranked {
    #[diesel(sql_type = BigInt)]
    fts_rowid: i64,
    #[diesel(sql_type = Double)]
    rank: f64,
}

/// The best `batch` matches after `after`, from the search index alone. Ties of rank go by the
/// index's own row number, which costs nothing to read, where the article id would mean a
/// lookup for every match; a cursor's article id is turned into its row number first.
fn ranked(
    conn: &mut SqliteConnection,
    expression: &str,
    after: Option<&AfterHit>,
    batch: i64,
) -> QueryResult<Vec<Candidate>> {
    let select = format!(
        "SELECT rowid AS fts_rowid, {RANK} AS rank FROM articles_fts WHERE articles_fts MATCH ?"
    );
    let order = " ORDER BY rank, rowid LIMIT ?";
    let best: Vec<Ranked> = match after {
        None => diesel::sql_query(format!("{select}{order}"))
            .bind::<Text, _>(expression)
            .bind::<BigInt, _>(batch)
            .load(conn)?,
        Some(after) => {
            let after_row = articles_fts_rows::table
                .find(&after.id)
                .select(articles_fts_rows::fts_rowid)
                .first::<i64>(conn)
                .optional()?
                .unwrap_or(0);
            diesel::sql_query(format!(
                "{select} AND ({RANK} > ? OR ({RANK} = ? AND rowid > ?)){order}"
            ))
            .bind::<Text, _>(expression)
            .bind::<Double, _>(after.rank)
            .bind::<Double, _>(after.rank)
            .bind::<BigInt, _>(after_row)
            .bind::<BigInt, _>(batch)
            .load(conn)?
        }
    };
    if best.is_empty() {
        return Ok(Vec::new());
    }
    let ids: std::collections::HashMap<i64, String> = articles_fts_rows::table
        .filter(articles_fts_rows::fts_rowid.eq_any(best.iter().map(|r| r.fts_rowid)))
        .select((articles_fts_rows::fts_rowid, articles_fts_rows::article_id))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    Ok(best
        .into_iter()
        .filter_map(|r| {
            ids.get(&r.fts_rowid).map(|id| Candidate {
                id: id.clone(),
                rank: r.rank,
            })
        })
        .collect())
}

/// The articles among `ids` that `viewer` may see.
fn visible_among(
    conn: &mut SqliteConnection,
    ids: Vec<String>,
    viewer: &Viewer,
    now: &str,
) -> QueryResult<Vec<ArticleRow>> {
    articles::table
        .filter(articles::id.eq_any(ids))
        .filter(visibility::articles(viewer, now))
        .select(ArticleRow::as_select())
        .load(conn)
}

fn like_patterns(words: &[String]) -> Vec<String> {
    words
        .iter()
        .map(|w| {
            let escaped = w
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{escaped}%")
        })
        .collect()
}

/// Up to `limit` speakers whose name contains every word, by name.
pub fn speakers(
    conn: &mut SqliteConnection,
    words: &[String],
    limit: i64,
) -> QueryResult<Vec<SpeakerRow>> {
    let mut query = speakers::table.into_boxed();
    for pattern in like_patterns(words) {
        query = query.filter(speakers::name.like(pattern).escape('\\'));
    }
    query
        .order_by(speakers::name.asc())
        .then_order_by(speakers::id.asc())
        .select(SpeakerRow::as_select())
        .limit(limit)
        .load(conn)
}

/// Up to `limit` quotes whose text contains every word that `viewer` may see at `now`, newest
/// first.
pub fn quotes(
    conn: &mut SqliteConnection,
    words: &[String],
    viewer: &Viewer,
    now: &str,
    limit: i64,
) -> QueryResult<Vec<QuoteRow>> {
    let mut query = quotes::table
        .filter(visibility::quotes(viewer, now))
        .into_boxed();
    for pattern in like_patterns(words) {
        query = query.filter(quotes::text.like(pattern).escape('\\'));
    }
    query
        .order_by(quotes::created_at.desc())
        .then_order_by(quotes::id.desc())
        .select(QuoteRow::as_select())
        .limit(limit)
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_search_words_are_taken_literally() {
        let patterns = like_patterns(&["50%".to_owned(), "a_b".to_owned()]);
        assert_eq!(patterns, vec!["%50\\%%", "%a\\_b%"]);
    }
}
