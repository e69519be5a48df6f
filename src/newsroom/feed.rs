//! The change feed as each viewer may read it.
//!
//! Editors and admins read every row. Everyone else reads the rows of what they may see now,
//! under the same visibility rule as every other read path, and, of what they may not see, only
//! the rows that took it away from their reader class (unpublished, deleted, embargoed again, a
//! photo's rights withdrawn), shown with operation `delete` when it was deleted and `unpublish`
//! otherwise. Each change row records those classes when it is written (`removed_for`), so
//! drafts never appear, not even as ids, and replaying the feed from the start leaves a partner
//! with exactly what it can read.

use std::collections::HashSet;

use diesel::SqliteConnection;
use diesel::prelude::*;

use crate::db::schema::{articles, changes, media, quotes, speakers};
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
    /// The reader classes the change took the resource away from.
    pub removed_for: i32,
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
            changes::removed_for,
        ))
        .load(conn)?)
}

/// What a viewer may know of the resources a batch of rows names.
struct Judged {
    /// `(resource, id)` the viewer may read now.
    visible: HashSet<(String, String)>,
    /// The viewer's reader class.
    audience: u8,
}

impl Judged {
    /// The row as the viewer reads it, or `None` when they may not see it.
    fn read(&self, mut row: FeedRow) -> Option<FeedRow> {
        if self
            .visible
            .contains(&(row.resource.clone(), row.id.clone()))
        {
            return Some(row);
        }
        let removal = row.removed_for & i32::from(self.audience) != 0;
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
    let tag = |resource: &str, ids: Vec<String>| {
        ids.into_iter()
            .map(|id| (resource.to_owned(), id))
            .collect::<Vec<_>>()
    };
    let mut visible: HashSet<(String, String)> = HashSet::new();
    visible.extend(tag(
        "article",
        articles::table
            .filter(articles::id.eq_any(ids_of("article")))
            .filter(visibility::articles(viewer, now))
            .select(articles::id)
            .load(conn)?,
    ));
    visible.extend(tag(
        "quote",
        quotes::table
            .filter(quotes::id.eq_any(ids_of("quote")))
            .filter(visibility::quotes(viewer, now))
            .select(quotes::id)
            .load(conn)?,
    ));
    visible.extend(tag(
        "media",
        media::table
            .filter(media::id.eq_any(ids_of("media")))
            .filter(visibility::media(viewer, now))
            .select(media::id)
            .load(conn)?,
    ));
    visible.extend(tag(
        "speaker",
        speakers::table
            .filter(speakers::id.eq_any(ids_of("speaker")))
            .select(speakers::id)
            .load(conn)?,
    ));
    Ok(Judged {
        visible,
        audience: viewer.audience(),
    })
}
