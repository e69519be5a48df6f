//! Photos: recording an upload, changing metadata and rights, and deleting, under the policy,
//! with the change row and the re-render of the articles that show a changed photo.

use diesel::SqliteConnection;

use crate::db::media::{self as db, MediaChanges, MediaRow};
use crate::error::ApiError;
use crate::media::MediaStore;
use crate::media::renditions::CropCache;
use crate::newsroom::articles::{self, Shown};
use crate::newsroom::changes::Watch;
use crate::newsroom::policy::{self, Actor, Shared};

/// True when a change touches the rights fields of a photo (`syndication_allowed`, `license`,
/// `usage_expires`), which only editors may set.
pub fn touches_rights(changes: &MediaChanges) -> bool {
    changes.syndication_allowed.is_some()
        || changes.license.is_some()
        || changes.usage_expires.is_some()
}

/// Checks `actor` may create a photo with these rights fields set (`true` when any is).
pub fn may_upload(actor: &Actor, sets_rights: bool) -> Result<(), ApiError> {
    policy::edit_rights(actor, sets_rights)
}

/// Records the `create` change of a photo just inserted (the upload path stores its files and
/// row first); to be called with the id before the insert is watched.
pub fn watch_new(conn: &mut SqliteConnection, id: &str, now: &str) -> Result<Watch, ApiError> {
    Watch::start(conn, "media", id, now)
}

/// Changes the metadata of the photo `id` (`changes` without time and version, which are set
/// here). Rights fields are editors' alone. Article bodies showing it are rendered again, each a
/// new revision and an `article` `update` change.
pub fn update(
    conn: &mut SqliteConnection,
    actor: &Actor,
    id: &str,
    if_match: impl FnOnce(i64) -> Result<(), ApiError>,
    mut changes: MediaChanges,
    public_url: &str,
) -> Result<MediaRow, ApiError> {
    let current = db::find(conn, id)?.ok_or_else(|| ApiError::not_found("media", id))?;
    if_match(current.version)?;
    policy::edit_rights(actor, touches_rights(&changes))?;
    policy::edit_shared(
        conn,
        actor,
        Shared::Media,
        &current.id,
        current.created_by.as_deref(),
    )?;
    let now = crate::time::now();
    let watch = Watch::start(conn, "media", &current.id, &now)?;
    changes.updated_at = Some(now);
    changes.version = Some(current.version + 1);
    let row = db::update(conn, &current.id, &changes)?;
    watch.record(conn, "update", row.version)?;
    articles::rerender_using(
        conn,
        actor,
        Shown {
            media: std::slice::from_ref(&row.id),
            ..Shown::default()
        },
        &format!("photo {} changed", row.id),
        public_url,
    )?;
    Ok(row)
}

/// Deletes the photo `id` when no article or speaker uses it, with its original, renditions and
/// cached crops when no other record shares them. Editors only.
pub fn delete(
    conn: &mut SqliteConnection,
    actor: &Actor,
    id: &str,
    if_match: impl FnOnce(i64) -> Result<(), ApiError>,
    store: &MediaStore,
    crop_cache: &CropCache,
) -> Result<(), ApiError> {
    policy::require_editor(actor, "delete photos")?;
    let current = db::find(conn, id)?.ok_or_else(|| ApiError::not_found("media", id))?;
    if_match(current.version)?;
    let (articles, speakers) = db::usage(conn, &current.id)?;
    if articles > 0 || speakers > 0 {
        return Err(ApiError::Conflict {
            detail: format!(
                "still used by {articles} article(s) and {speakers} speaker(s); remove it from them first"
            ),
        });
    }
    let watch = Watch::start(conn, "media", &current.id, &crate::time::now())?;
    db::delete(conn, &current.id)?;
    watch.record(conn, "delete", current.version)?;
    // Inside the transaction, so an upload of the same bytes cannot slip in between the count
    // and the removal. A file may be another record's original or rendition (identical bytes
    // share one file), so it goes only when no record names it at all.
    if !db::file_in_use(conn, &current.sha256)? {
        store.remove(&current.sha256).map_err(ApiError::internal)?;
        crop_cache
            .remove_for(&current.sha256)
            .map_err(ApiError::internal)?;
    }
    for rendition in crate::media::renditions::parse(&current.renditions) {
        if !rendition.sha256.is_empty() && !db::file_in_use(conn, &rendition.sha256)? {
            store
                .remove(&rendition.sha256)
                .map_err(ApiError::internal)?;
        }
    }
    Ok(())
}
