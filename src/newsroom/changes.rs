//! The one change writer: every write of an article, speaker, quote or photo ends here, in the
//! same transaction, and appends its row to the change feed.
//!
//! A write is watched before it happens: [`Watch::start`] takes the audiences (reader classes,
//! see [`visibility::audiences`]) that may see the resource, and those of everything else the
//! write may show or hide (the quotes and photos of a story). [`Watch::record`] takes them again
//! after the write, stores `before & !after` in `removed_for` (whom the write took the resource
//! away from) and writes an `update` row for every other watched item whose audiences changed,
//! so a reader replaying the feed ends with exactly what it may read.

use diesel::SqliteConnection;
use diesel::prelude::*;

use crate::db::schema::{changes, media, quotes, speakers};
use crate::error::ApiError;
use crate::newsroom::story;
use crate::newsroom::visibility::{self, Viewer};

/// A row of the change feed.
#[derive(Debug, Insertable)]
#[diesel(table_name = changes)]
struct NewChange<'a> {
    resource: &'a str,
    resource_id: &'a str,
    operation: &'a str,
    version: i64,
    at: &'a str,
    removed_for: i32,
}

/// Appends one row to the change feed: `resource` (`article`, `quote`, `speaker`, `media`) `id`
/// had `operation` (`create`, `update`, `publish`, `unpublish`, `delete`) at `at`, leaving it at
/// `version`, and took it away from the reader classes in `removed_for`. Writes go through
/// [`Watch`], which works `removed_for` out.
pub fn record(
    conn: &mut SqliteConnection,
    resource: &str,
    id: &str,
    operation: &str,
    version: i64,
    at: &str,
    removed_for: u8,
) -> Result<(), ApiError> {
    diesel::insert_into(changes::table)
        .values(&NewChange {
            resource,
            resource_id: id,
            operation,
            version,
            at,
            removed_for: i32::from(removed_for),
        })
        .execute(conn)?;
    Ok(())
}

/// One watched resource and the audiences it had before the write.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Watched {
    resource: &'static str,
    id: String,
    before: u8,
}

/// The audiences of a write's subject and of what it may show or hide, taken before the write.
#[derive(Debug)]
pub struct Watch {
    now: String,
    subject: Watched,
    others: Vec<Watched>,
}

impl Watch {
    /// Starts watching a write of `resource` `id` (which may not exist yet) at `now`.
    pub fn start(
        conn: &mut SqliteConnection,
        resource: &'static str,
        id: &str,
        now: &str,
    ) -> Result<Watch, ApiError> {
        let before = visibility::audiences(conn, resource, id, now)?;
        Ok(Watch {
            now: now.to_owned(),
            subject: Watched {
                resource,
                id: id.to_owned(),
                before,
            },
            others: Vec::new(),
        })
    }

    /// The time the write is judged at.
    pub fn now(&self) -> &str {
        &self.now
    }

    /// Also watches `resource` `id`, which the write may show or hide.
    pub fn also(
        &mut self,
        conn: &mut SqliteConnection,
        resource: &'static str,
        id: &str,
    ) -> Result<(), ApiError> {
        let known = |w: &Watched| w.resource == resource && w.id == id;
        if known(&self.subject) || self.others.iter().any(known) {
            return Ok(());
        }
        let before = visibility::audiences(conn, resource, id, &self.now)?;
        self.others.push(Watched {
            resource,
            id: id.to_owned(),
            before,
        });
        Ok(())
    }

    /// Also watches the quotes and photos of the story `article_id` uses now, and `quote_ids`
    /// and `media_ids` it is about to use.
    pub fn story(
        &mut self,
        conn: &mut SqliteConnection,
        article_id: &str,
        quote_ids: &[String],
        media_ids: &[String],
    ) -> Result<(), ApiError> {
        let ids = [article_id.to_owned()];
        let quotes = story::quotes_used_by(conn, &ids, &Viewer::Staff, &self.now)?;
        let photos = story::photos_used_by(conn, &ids, &Viewer::Staff, &self.now)?;
        for id in quotes.iter().map(|q| &q.id).chain(quote_ids) {
            self.also(conn, "quote", id)?;
        }
        for id in photos.iter().map(|m| &m.id).chain(media_ids) {
            self.also(conn, "media", id)?;
        }
        Ok(())
    }

    /// Writes the subject's row (`operation`, now at `version`) and an `update` row for every
    /// other watched item whose audiences the write changed.
    pub fn record(
        self,
        conn: &mut SqliteConnection,
        operation: &str,
        version: i64,
    ) -> Result<(), ApiError> {
        let subject = &self.subject;
        let after = visibility::audiences(conn, subject.resource, &subject.id, &self.now)?;
        record(
            conn,
            subject.resource,
            &subject.id,
            operation,
            version,
            &self.now,
            subject.before & !after,
        )?;
        for other in &self.others {
            let after = visibility::audiences(conn, other.resource, &other.id, &self.now)?;
            record_drift(
                conn,
                other.resource,
                &other.id,
                (other.before, after),
                "update",
                &self.now,
            )?;
        }
        Ok(())
    }
}

/// Writes the row of a resource whose readers changed as a side effect (of another write, or of
/// time passing): it was seen by the reader classes `before` and is seen by `after` at `at`.
/// Gaining readers is `gained` (`publish` for an article whose time came, `update` otherwise);
/// losing them is an `update` whose `removed_for` names whom it left. Nothing is written when
/// the audiences are the same or the resource is gone.
pub fn record_drift(
    conn: &mut SqliteConnection,
    resource: &str,
    id: &str,
    (before, after): (u8, u8),
    gained: &str,
    at: &str,
) -> Result<bool, ApiError> {
    if before == after {
        return Ok(false);
    }
    let Some(version) = current_version(conn, resource, id)? else {
        return Ok(false);
    };
    let operation = if after & !before != 0 {
        gained
    } else {
        "update"
    };
    record(conn, resource, id, operation, version, at, before & !after)?;
    Ok(true)
}

/// The stored version of a quote, photo, speaker or article, if it exists.
fn current_version(
    conn: &mut SqliteConnection,
    resource: &str,
    id: &str,
) -> Result<Option<i64>, ApiError> {
    Ok(match resource {
        "quote" => quotes::table
            .find(id)
            .select(quotes::version)
            .first(conn)
            .optional()?,
        "media" => media::table
            .find(id)
            .select(media::version)
            .first(conn)
            .optional()?,
        "speaker" => speakers::table
            .find(id)
            .select(speakers::version)
            .first(conn)
            .optional()?,
        _ => crate::db::schema::articles::table
            .find(id)
            .select(crate::db::schema::articles::version)
            .first(conn)
            .optional()?,
    })
}
