//! Photos: recording an upload, changing metadata and rights, and deleting, under the policy,
//! with the change row and the re-render of the articles that show a changed photo.

use diesel::{Connection, SqliteConnection};

use crate::db::media::{self as db, MediaChanges, MediaRow, NewMedia};
use crate::error::ApiError;
use crate::imaging;
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

/// The largest image the library loader accepts, in pixels (width × height), checked from the
/// header: the default of `NEWSDESK_MAX_IMAGE_PIXELS`, which uploads use.
pub const DEFAULT_MAX_PIXELS: u64 = 50_000_000;
/// Rendition widths the library loader makes: the default of `NEWSDESK_RENDITION_WIDTHS`,
/// which uploads use.
pub const RENDITION_WIDTHS: &[u32] = &[320, 640, 1024, 1600];

/// A new photo's metadata, checked for shape.
#[derive(Debug, Clone, Default)]
pub struct NewPhoto {
    /// Caption.
    pub caption: Option<String>,
    /// Credit line.
    pub credit: Option<String>,
    /// Text alternative.
    pub alt_text: Option<String>,
    /// Copyright notice.
    pub copyright: Option<String>,
    /// Licence terms (a rights field).
    pub license: Option<String>,
    /// Whether partners may republish it (a rights field).
    pub syndication_allowed: bool,
    /// When the right to use it ends, normalised (a rights field).
    pub usage_expires: Option<String>,
    /// Point of interest, `(x, y)` in 0..1.
    pub focal: Option<(f64, f64)>,
}

impl NewPhoto {
    /// True when any rights field is set.
    fn sets_rights(&self) -> bool {
        self.syndication_allowed || self.license.is_some() || self.usage_expires.is_some()
    }
}

/// Records a processed image by `actor`: writes the cleaned original and its renditions under
/// the media directory by content hash and inserts the record with a `create` change, all in
/// one transaction (nested as a savepoint when the caller already has one open). The recorded
/// size, dimensions and digest are those of the cleaned file, never of the raw upload. On
/// failure the files this call created are removed again. Rights fields are editors' alone.
pub fn create(
    conn: &mut SqliteConnection,
    actor: &Actor,
    media_dir: &std::path::Path,
    public_url: &str,
    processed: &imaging::Processed,
    photo: NewPhoto,
) -> Result<MediaRow, ApiError> {
    policy::edit_rights(actor, photo.sets_rights())?;
    let store = MediaStore::new(media_dir);
    let width = i32::try_from(processed.original.width).map_err(ApiError::internal)?;
    let height = i32::try_from(processed.original.height).map_err(ApiError::internal)?;
    let id = uuid::Uuid::now_v7().to_string();
    conn.transaction(|conn| {
        let files = crate::media::renditions::store_processed(&store, processed, public_url, &id)
            .map_err(ApiError::internal)?;
        let now = crate::time::now();
        let watch = Watch::start(conn, "media", &id, &now)?;
        let inserted = serde_json::to_string(&files.renditions)
            .map_err(ApiError::internal)
            .and_then(|renditions| {
                db::insert(
                    conn,
                    &NewMedia {
                        id: id.clone(),
                        kind: "image".to_owned(),
                        content_type: processed.original.format.content_type().to_owned(),
                        width,
                        height,
                        bytes: files.bytes,
                        sha256: files.sha256.clone(),
                        caption: photo.caption,
                        credit: photo.credit,
                        alt_text: photo.alt_text,
                        copyright: photo.copyright,
                        license: photo.license,
                        syndication_allowed: photo.syndication_allowed,
                        usage_expires: photo.usage_expires,
                        focal_x: photo.focal.map(|(x, _)| x),
                        focal_y: photo.focal.map(|(_, y)| y),
                        created_by: actor.user_id().map(str::to_owned),
                        created_at: now.clone(),
                        updated_at: now.clone(),
                        version: 1,
                    },
                )?;
                db::set_renditions(conn, &id, &renditions)
            })
            .and_then(|row| {
                watch.record(conn, "create", row.version)?;
                Ok(row)
            });
        if inserted.is_err() {
            // Nothing may be left behind by a failed request, not even the files.
            for sha in &files.created {
                let _ = store.remove(sha);
            }
        }
        inserted
    })
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
    let shown = Shown {
        media: std::slice::from_ref(&row.id),
        ..Shown::default()
    };
    let note = format!("photo {} changed", row.id);
    articles::shown_updated(conn, actor, (watch, row.version), shown, &note, public_url)?;
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
