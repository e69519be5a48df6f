//! Section and tag counts of the articles the public sees.

use std::collections::HashMap;

use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::db::schema::{article_tags, articles, taxonomy_counts};
use crate::newsroom::visibility;

/// The kept counts of `kind` (`section` or `tag`) less those of the released articles still
/// waiting for their time (`waiting`), by name, without the terms that come to zero.
fn visible_counts(
    conn: &mut SqliteConnection,
    kind: &str,
    waiting: HashMap<String, i64>,
) -> QueryResult<Vec<(String, i64)>> {
    let kept: Vec<(String, i64)> = taxonomy_counts::table
        .filter(taxonomy_counts::kind.eq(kind))
        .filter(taxonomy_counts::released.gt(0))
        .order(taxonomy_counts::name.asc())
        .select((taxonomy_counts::name, taxonomy_counts::released))
        .load(conn)?;
    Ok(kept
        .into_iter()
        .map(|(name, n)| {
            let n = n - waiting.get(&name).copied().unwrap_or(0);
            (name, n)
        })
        .filter(|(_, n)| *n > 0)
        .collect())
}

/// Sections of publicly visible articles with how many each has, by name. Reads the counts
/// the `taxonomy_counts` triggers keep, so its cost does not grow with the archive.
pub fn section_counts(conn: &mut SqliteConnection, now: &str) -> QueryResult<Vec<(String, i64)>> {
    let waiting = visibility::waiting(conn, now)?;
    let pending: HashMap<String, i64> = articles::table
        .filter(articles::id.eq_any(&waiting))
        .filter(articles::section.is_not_null())
        .group_by(articles::section)
        .select((articles::section.assume_not_null(), count_star()))
        .load(conn)?
        .into_iter()
        .collect();
    visible_counts(conn, "section", pending)
}

/// Tags of publicly visible articles with how many each has, by name (see [`section_counts`]).
pub fn tag_counts(conn: &mut SqliteConnection, now: &str) -> QueryResult<Vec<(String, i64)>> {
    let waiting = visibility::waiting(conn, now)?;
    let pending: HashMap<String, i64> = article_tags::table
        .filter(article_tags::article_id.eq_any(&waiting))
        .group_by(article_tags::tag)
        .select((article_tags::tag, count_star()))
        .load(conn)?
        .into_iter()
        .collect();
    visible_counts(conn, "tag", pending)
}
