//! Full-text search: articles ranked by bm25 over the FTS5 index, under the same visibility
//! rule article lists use, and the speakers and quotes whose name or text contain the words.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Double, Text};
use diesel::sqlite::SqliteConnection;

use crate::db::articles::{ArticleRow, Visibility, publicly_visible};
use crate::db::content_support::public_quote;
use crate::db::quotes::QuoteRow;
use crate::db::schema::{articles, articles_fts, quotes, speakers};
use crate::db::speakers::SpeakerRow;

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
/// best first (ties by id), starting after `after`; asks for `limit` rows.
pub fn articles(
    conn: &mut SqliteConnection,
    expression: &str,
    visibility: &Visibility,
    now: &str,
    after: Option<&AfterHit>,
    limit: i64,
) -> QueryResult<Vec<(ArticleRow, f64)>> {
    let mut query = articles_fts::table
        .inner_join(articles::table)
        .filter(sql::<Bool>("articles_fts MATCH ").bind::<Text, _>(expression.to_owned()))
        .into_boxed();
    query = match visibility {
        Visibility::Public { see_embargoed } => query.filter(publicly_visible(now, *see_embargoed)),
        Visibility::PublicAndOwn { user_id } => query.filter(
            publicly_visible(now, false).or(articles::author_id.eq(user_id.clone()).nullable()),
        ),
        Visibility::All => query,
    };
    if let Some(after) = after {
        query = query.filter(
            sql::<Bool>(&format!("({RANK} > "))
                .bind::<Double, _>(after.rank)
                .sql(&format!(" OR ({RANK} = "))
                .bind::<Double, _>(after.rank)
                .sql(" AND articles.id > ")
                .bind::<Text, _>(after.id.clone())
                .sql("))"),
        );
    }
    query
        .select((ArticleRow::as_select(), sql::<Double>(RANK)))
        .order_by(sql::<Double>(RANK).asc())
        .then_order_by(articles::id.asc())
        .limit(limit)
        .load(conn)
}

/// The words of a search, as LIKE patterns that match them anywhere (case-insensitive for
/// ASCII, as SQLite's LIKE is).
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

/// Up to `limit` quotes whose text contains every word, newest first; only public ones when
/// `public_at` is given.
pub fn quotes(
    conn: &mut SqliteConnection,
    words: &[String],
    public_at: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<QuoteRow>> {
    let mut query = quotes::table.into_boxed();
    for pattern in like_patterns(words) {
        query = query.filter(quotes::text.like(pattern).escape('\\'));
    }
    if let Some(now) = public_at {
        query = query.filter(sql::<Bool>(&public_quote(now)));
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
