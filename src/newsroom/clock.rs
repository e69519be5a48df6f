//! Changes that no write makes: a scheduled article's time arriving, an embargo ending, a
//! photo's usage date passing. Readers see them at once (the visibility rule compares times),
//! but a partner following the change feed or a webhook only learns of them from a row. The
//! server's background tick calls [`record_due`], which writes those rows for everything whose
//! audiences changed since the last time it ran.

use diesel::SqliteConnection;
use diesel::prelude::*;

use crate::db::schema::{app_settings, articles, changes as changes_table, media};
use crate::error::ApiError;
use crate::newsroom::changes;
use crate::newsroom::story;
use crate::newsroom::visibility::{self, Viewer};

/// The `app_settings` key holding the time up to which timed changes are recorded.
pub const JUDGED_THROUGH: &str = "visibility_judged_through";

/// The time up to which timed changes are recorded, if they ever were.
fn judged_through(conn: &mut SqliteConnection) -> Result<Option<String>, ApiError> {
    Ok(app_settings::table
        .find(JUDGED_THROUGH)
        .select(app_settings::value)
        .first(conn)
        .optional()?)
}

/// True when [`record_due`] has something to do at `now`: a cheap read, so an idle server
/// takes no write lock on each tick.
pub fn is_due(conn: &mut SqliteConnection, now: &str) -> Result<bool, ApiError> {
    let Some(since) = judged_through(conn)? else {
        return Ok(true);
    };
    Ok(visibility::next_change(conn, &since)?.is_some_and(|at| at.as_str() <= now))
}

/// Writes a change row for every article, quote and photo whose readers changed between the
/// last run and `now` without a write, and moves the mark to `now`. The first run only sets the
/// mark: what was visible before is already in the feed. Returns how many rows it wrote. Run it
/// in a write transaction.
pub fn record_due(conn: &mut SqliteConnection, now: &str) -> Result<usize, ApiError> {
    let Some(since) = judged_through(conn)? else {
        mark(conn, now)?;
        return Ok(0);
    };
    if since.as_str() >= now {
        return Ok(0);
    }
    let window = |column_at: &str| column_at > since.as_str() && column_at <= now;
    let stories: Vec<(String, Option<String>, Option<String>)> = articles::table
        .filter(
            articles::published_at
                .gt(&since)
                .and(articles::published_at.le(now))
                .or(articles::embargo_until
                    .gt(&since)
                    .and(articles::embargo_until.le(now))),
        )
        .select((
            articles::id,
            articles::published_at,
            articles::embargo_until,
        ))
        .load(conn)?;
    let mut written = 0;
    for (id, published_at, embargo_until) in &stories {
        // The time that passed; with both in the window, the later one.
        let Some(passed) = [published_at, embargo_until]
            .into_iter()
            .flatten()
            .filter(|at| window(at))
            .max()
        else {
            continue;
        };
        let span = Span {
            since: &since,
            passed,
            now,
        };
        written += usize::from(span.drift(conn, "article", id, "publish")?);
        let ids = [id.clone()];
        let quotes = story::quotes_used_by(conn, &ids, &Viewer::Staff, now)?;
        let photos = story::photos_used_by(conn, &ids, &Viewer::Staff, now)?;
        for quote in quotes {
            written += usize::from(span.drift(conn, "quote", &quote.id, "update")?);
        }
        for photo in photos {
            written += usize::from(span.drift(conn, "media", &photo.id, "update")?);
        }
    }
    let lapsed: Vec<(String, Option<String>)> = media::table
        .filter(media::usage_expires.gt(&since))
        .filter(media::usage_expires.le(now))
        .select((media::id, media::usage_expires))
        .load(conn)?;
    for (id, expires) in lapsed {
        let Some(passed) = expires else { continue };
        let span = Span {
            since: &since,
            passed: &passed,
            now,
        };
        written += usize::from(span.drift(conn, "media", &id, "update")?);
    }
    mark(conn, now)?;
    Ok(written)
}

/// The stretch of time a run judges: from the last run (`since`) to `now`, with the moment in
/// between (`passed`) that changed who may read something.
struct Span<'a> {
    since: &'a str,
    passed: &'a str,
    now: &'a str,
}

impl Span<'_> {
    /// Records `resource` `id` if its readers at `now` differ from those at `since`, unless a
    /// write already recorded it at or after the moment that passed (publishing now sets the
    /// publication time and writes its own row).
    fn drift(
        &self,
        conn: &mut SqliteConnection,
        resource: &str,
        id: &str,
        gained: &str,
    ) -> Result<bool, ApiError> {
        let recorded: bool = diesel::select(diesel::dsl::exists(
            changes_table::table
                .filter(changes_table::resource.eq(resource))
                .filter(changes_table::resource_id.eq(id))
                .filter(changes_table::at.ge(self.passed)),
        ))
        .get_result(conn)?;
        if recorded {
            return Ok(false);
        }
        let before = visibility::audiences(conn, resource, id, self.since)?;
        let after = visibility::audiences(conn, resource, id, self.now)?;
        changes::record_drift(conn, resource, id, (before, after), gained, self.now)
    }
}

fn mark(conn: &mut SqliteConnection, now: &str) -> Result<(), ApiError> {
    diesel::replace_into(app_settings::table)
        .values((
            app_settings::key.eq(JUDGED_THROUGH),
            app_settings::value.eq(now),
            app_settings::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}
