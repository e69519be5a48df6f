//! The change feed as each viewer may read it.
//!
//! Editors and admins read every row. Everyone else reads the rows of what they may see now,
//! under the same visibility rule as every other read path, and for what they may no longer see
//! (unpublished, deleted, embargoed again, a photo's rights lapsed) one removal entry: the latest
//! row of that resource, shown with operation `delete` when it was deleted and `unpublish`
//! otherwise. A removal is only shown for something the public could once read (an article that
//! was published, a quote or photo such an article used), so drafts never appear, not even as
//! ids. Replaying the feed from the start thus leaves a partner with exactly what it can read.

use std::collections::{HashMap, HashSet};

use diesel::SqliteConnection;
use diesel::dsl::max;
use diesel::prelude::*;

use crate::db::schema::{article_media, article_quotes, articles, changes, media, quotes};
use crate::error::ApiError;
use crate::newsroom::visibility::{self, Viewer};

/// One row of the change feed, as a viewer reads it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct FeedRow {
    /// Position in the feed.
    pub seq: i64,
    /// `article`, `quote`, `speaker` or `media`.
    pub resource: String,
    /// The resource's id.
    pub id: String,
    /// What happened (a removal reads `unpublish` or `delete`).
    pub operation: String,
    /// The resource's version after the change.
    pub version: i64,
    /// When it happened.
    pub at: String,
}

/// How many rows one request looks through at most for a viewer who may not see them all; the
/// cursor then moves past the rows looked at, so a long run of drafts costs several polls, never
/// a scan of the whole log.
const MAX_SCAN: i64 = 2_000;

/// The rows after `since` that `viewer` may read at `now`, at most `limit`, and the position to
/// continue from (past every row looked at, shown or not).
pub fn page(
    conn: &mut SqliteConnection,
    viewer: &Viewer,
    since: i64,
    limit: i64,
    now: &str,
) -> Result<(Vec<FeedRow>, i64), ApiError> {
    if viewer.sees_everything() {
        let rows = after(conn, since, limit)?;
        let last = rows.last().map_or(since, |r| r.seq);
        return Ok((rows, last));
    }
    let wanted = usize::try_from(limit).unwrap_or(0);
    let mut shown = Vec::with_capacity(wanted);
    let mut position = since;
    let mut scanned = 0;
    let batch = limit.saturating_mul(4).max(50);
    while shown.len() < wanted && scanned < MAX_SCAN {
        let rows = after(conn, position, batch)?;
        scanned += batch;
        let Some(last) = rows.last().map(|r| r.seq) else {
            break;
        };
        let judged = judge(conn, &rows, viewer, now)?;
        let full = i64::try_from(rows.len()).unwrap_or(i64::MAX) == batch;
        for row in rows {
            position = row.seq;
            if let Some(row) = judged.read(row) {
                shown.push(row);
                if shown.len() == wanted {
                    break;
                }
            }
        }
        if !full && shown.len() < wanted {
            position = last;
            break;
        }
    }
    Ok((shown, position))
}

fn after(conn: &mut SqliteConnection, since: i64, limit: i64) -> Result<Vec<FeedRow>, ApiError> {
    Ok(changes::table
        .filter(changes::seq.gt(since))
        .order(changes::seq.asc())
        .limit(limit)
        .select((
            changes::seq,
            changes::resource,
            changes::resource_id,
            changes::operation,
            changes::version,
            changes::at,
        ))
        .load(conn)?)
}

/// What a viewer may know of the resources a batch of rows names.
struct Judged {
    /// `(resource, id)` the viewer may read now.
    visible: HashSet<(String, String)>,
    /// The latest row of each resource named.
    latest: HashMap<(String, String), i64>,
    /// `(resource, id)` the public could once read.
    once_public: HashSet<(String, String)>,
}

impl Judged {
    /// The row as the viewer reads it, or `None` when they may not see it.
    fn read(&self, mut row: FeedRow) -> Option<FeedRow> {
        let key = (row.resource.clone(), row.id.clone());
        if self.visible.contains(&key) {
            return Some(row);
        }
        let removal = self.latest.get(&key) == Some(&row.seq) && self.once_public.contains(&key);
        removal.then(|| {
            if row.operation != "delete" {
                row.operation = "unpublish".to_owned();
            }
            row
        })
    }
}

fn judge(
    conn: &mut SqliteConnection,
    rows: &[FeedRow],
    viewer: &Viewer,
    now: &str,
) -> Result<Judged, ApiError> {
    let ids_of = |resource: &str| -> Vec<String> {
        rows.iter()
            .filter(|r| r.resource == resource)
            .map(|r| r.id.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect()
    };
    let (article_ids, quote_ids, media_ids) = (ids_of("article"), ids_of("quote"), ids_of("media"));
    let tag = |resource: &str, ids: Vec<String>| {
        ids.into_iter()
            .map(|id| (resource.to_owned(), id))
            .collect::<Vec<_>>()
    };

    let mut visible: HashSet<(String, String)> = HashSet::new();
    visible.extend(tag(
        "article",
        articles::table
            .filter(articles::id.eq_any(&article_ids))
            .filter(visibility::articles(viewer, now))
            .select(articles::id)
            .load(conn)?,
    ));
    visible.extend(tag(
        "quote",
        quotes::table
            .filter(quotes::id.eq_any(&quote_ids))
            .filter(visibility::quotes(viewer, now))
            .select(quotes::id)
            .load(conn)?,
    ));
    visible.extend(tag(
        "media",
        media::table
            .filter(media::id.eq_any(&media_ids))
            .filter(visibility::media(viewer, now))
            .select(media::id)
            .load(conn)?,
    ));
    // Speakers are public, deleted ones included.
    visible.extend(tag("speaker", ids_of("speaker")));

    let named: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let latest: HashMap<(String, String), i64> = changes::table
        .filter(changes::resource_id.eq_any(&named))
        .group_by((changes::resource, changes::resource_id))
        .select((changes::resource, changes::resource_id, max(changes::seq)))
        .load::<(String, String, Option<i64>)>(conn)?
        .into_iter()
        .filter_map(|(resource, id, seq)| seq.map(|seq| ((resource, id), seq)))
        .collect();

    // Published at least once: a `publish` row exists for it.
    let published: Vec<String> = changes::table
        .filter(changes::resource.eq("article"))
        .filter(changes::operation.eq("publish"))
        .filter(changes::resource_id.eq_any(&article_ids))
        .select(changes::resource_id)
        .distinct()
        .load(conn)?;
    let ever_published = articles::table
        .filter(articles::first_published_at.is_not_null())
        .select(articles::id);
    let quotes_of_published: Vec<String> = article_quotes::table
        .filter(article_quotes::quote_id.eq_any(&quote_ids))
        .filter(article_quotes::article_id.eq_any(ever_published))
        .select(article_quotes::quote_id)
        .union(
            quotes::table
                .filter(quotes::id.eq_any(&quote_ids))
                .filter(
                    quotes::article_id.eq_any(
                        articles::table
                            .filter(articles::first_published_at.is_not_null())
                            .select(articles::id.nullable()),
                    ),
                )
                .select(quotes::id),
        )
        .load(conn)?;
    let media_of_published: Vec<String> = article_media::table
        .filter(article_media::media_id.eq_any(&media_ids))
        .filter(article_media::article_id.eq_any(ever_published))
        .select(article_media::media_id)
        .distinct()
        .load(conn)?;
    let mut once_public: HashSet<(String, String)> = HashSet::new();
    once_public.extend(tag("article", published));
    once_public.extend(tag("quote", quotes_of_published));
    once_public.extend(tag("media", media_of_published));
    // A deleted quote or photo has no links left to judge by; its tombstone names nothing but
    // an opaque id, and a partner that never had it ignores it.
    for row in rows {
        if row.operation == "delete" && row.resource != "article" {
            once_public.insert((row.resource.clone(), row.id.clone()));
        }
    }
    Ok(Judged {
        visible,
        latest,
        once_public,
    })
}
