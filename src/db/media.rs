//! The `media` table: rows, insert and update forms, and the queries the API needs.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use crate::db::content_support::Keyset;
use crate::db::schema::{article_media, articles, media, speakers};
use crate::error::ApiError;
use crate::newsroom::visibility::{self, Viewer};

/// A stored media item.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = media, check_for_backend(diesel::sqlite::Sqlite))]
pub struct MediaRow {
    /// Id.
    pub id: String,
    /// Always `image` for now.
    pub kind: String,
    /// Detected from the bytes.
    pub content_type: String,
    /// Pixels.
    pub width: i32,
    /// Pixels.
    pub height: i32,
    /// Size of the original.
    pub bytes: i64,
    /// Hex SHA-256 of the original, also its storage name.
    pub sha256: String,
    /// Caption.
    pub caption: Option<String>,
    /// Credit line.
    pub credit: Option<String>,
    /// Text alternative.
    pub alt_text: Option<String>,
    /// Copyright notice.
    pub copyright: Option<String>,
    /// Licence.
    pub license: Option<String>,
    /// Partners may republish it.
    pub syndication_allowed: bool,
    /// When the right to use it ends.
    pub usage_expires: Option<String>,
    /// Focal point, horizontal.
    pub focal_x: Option<f64>,
    /// Focal point, vertical.
    pub focal_y: Option<f64>,
    /// JSON array of renditions.
    pub renditions: String,
    /// Who uploaded it.
    pub created_by: Option<String>,
    /// Upload time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// Grows with each change.
    pub version: i64,
}

/// A media item to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = media)]
pub struct NewMedia {
    /// Id.
    pub id: String,
    /// `image`.
    pub kind: String,
    /// Detected from the bytes.
    pub content_type: String,
    /// Pixels.
    pub width: i32,
    /// Pixels.
    pub height: i32,
    /// Size of the original.
    pub bytes: i64,
    /// Hex SHA-256.
    pub sha256: String,
    /// Caption.
    pub caption: Option<String>,
    /// Credit line.
    pub credit: Option<String>,
    /// Text alternative.
    pub alt_text: Option<String>,
    /// Copyright notice.
    pub copyright: Option<String>,
    /// Licence.
    pub license: Option<String>,
    /// Partners may republish it.
    pub syndication_allowed: bool,
    /// When the right to use it ends.
    pub usage_expires: Option<String>,
    /// Focal point, horizontal.
    pub focal_x: Option<f64>,
    /// Focal point, vertical.
    pub focal_y: Option<f64>,
    /// Who uploaded it.
    pub created_by: Option<String>,
    /// Upload time.
    pub created_at: String,
    /// Same as `created_at`.
    pub updated_at: String,
    /// 1.
    pub version: i64,
}

/// Changes to a media item's metadata: `None` leaves a column alone, `Some(None)` clears it.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = media)]
pub struct MediaChanges {
    /// New caption.
    pub caption: Option<Option<String>>,
    /// New credit.
    pub credit: Option<Option<String>>,
    /// New alt text.
    pub alt_text: Option<Option<String>>,
    /// New copyright.
    pub copyright: Option<Option<String>>,
    /// New licence.
    pub license: Option<Option<String>>,
    /// New syndication right.
    pub syndication_allowed: Option<bool>,
    /// New usage end.
    pub usage_expires: Option<Option<String>>,
    /// New focal point, horizontal.
    pub focal_x: Option<Option<f64>>,
    /// New focal point, vertical.
    pub focal_y: Option<Option<f64>>,
    /// Time of the change.
    pub updated_at: Option<String>,
    /// Next version.
    pub version: Option<i64>,
}

/// The media item with this id, whoever may see it.
pub fn find(conn: &mut SqliteConnection, id: &str) -> Result<Option<MediaRow>, ApiError> {
    Ok(media::table
        .find(id)
        .select(MediaRow::as_select())
        .first(conn)
        .optional()?)
}

/// The media item with this id, if `viewer` may see it at `now`.
pub fn find_visible(
    conn: &mut SqliteConnection,
    id: &str,
    viewer: &Viewer,
    now: &str,
) -> Result<Option<MediaRow>, ApiError> {
    Ok(media::table
        .find(id)
        .filter(visibility::media(viewer, now))
        .select(MediaRow::as_select())
        .first(conn)
        .optional()?)
}

/// True when a media item with this id exists (whoever may see it).
pub fn exists(conn: &mut SqliteConnection, id: &str) -> Result<bool, ApiError> {
    Ok(find(conn, id)?.is_some())
}

/// A page of the media `viewer` may see at `now`, in keyset order.
pub fn list(
    conn: &mut SqliteConnection,
    viewer: &Viewer,
    now: &str,
    keyset: &Keyset,
) -> Result<Vec<MediaRow>, ApiError> {
    let mut query = media::table
        .filter(visibility::media(viewer, now))
        .select(MediaRow::as_select())
        .into_boxed();
    if let Some(condition) = keyset.condition("media.id") {
        query = query.filter(condition);
    }
    Ok(query
        .order(keyset.order("media.id"))
        .limit(keyset.fetch)
        .load(conn)?)
}

/// How many media items `viewer` may see at `now`.
pub fn count(conn: &mut SqliteConnection, viewer: &Viewer, now: &str) -> Result<i64, ApiError> {
    Ok(media::table
        .filter(visibility::media(viewer, now))
        .count()
        .get_result(conn)?)
}

/// Inserts a media item.
pub fn insert(conn: &mut SqliteConnection, new: &NewMedia) -> Result<MediaRow, ApiError> {
    Ok(diesel::insert_into(media::table)
        .values(new)
        .returning(MediaRow::as_returning())
        .get_result(conn)?)
}

/// Applies metadata changes.
pub fn update(
    conn: &mut SqliteConnection,
    id: &str,
    changes: &MediaChanges,
) -> Result<MediaRow, ApiError> {
    Ok(diesel::update(media::table.find(id))
        .set(changes)
        .returning(MediaRow::as_returning())
        .get_result(conn)?)
}

/// Who still uses a media item: (articles, speakers).
pub fn usage(conn: &mut SqliteConnection, id: &str) -> Result<(i64, i64), ApiError> {
    let linked: Vec<String> = article_media::table
        .filter(article_media::media_id.eq(id))
        .select(article_media::article_id)
        .load(conn)?;
    let heroes: Vec<String> = articles::table
        .filter(articles::hero_media_id.eq(id))
        .select(articles::id)
        .load(conn)?;
    let mut article_ids: Vec<String> = linked.into_iter().chain(heroes).collect();
    article_ids.sort();
    article_ids.dedup();
    let speaker_count = speakers::table
        .filter(speakers::photo_media_id.eq(id))
        .count()
        .get_result(conn)?;
    Ok((
        i64::try_from(article_ids.len()).unwrap_or(i64::MAX),
        speaker_count,
    ))
}

/// Deletes a media item's record.
pub fn delete(conn: &mut SqliteConnection, id: &str) -> Result<(), ApiError> {
    diesel::delete(media::table.find(id)).execute(conn)?;
    Ok(())
}

/// How many records share a stored file.
pub fn records_with_hash(conn: &mut SqliteConnection, sha256: &str) -> Result<i64, ApiError> {
    Ok(media::table
        .filter(media::sha256.eq(sha256))
        .count()
        .get_result(conn)?)
}

/// True when any record names a file with this digest, as its original or as a rendition.
pub fn file_in_use(conn: &mut SqliteConnection, sha256: &str) -> Result<bool, ApiError> {
    let pattern = format!("%{sha256}%");
    let count: i64 = media::table
        .filter(media::sha256.eq(sha256).or(media::renditions.like(pattern)))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

/// Every record's id, original digest and renditions JSON, for checking files on disk.
pub fn all_files(conn: &mut SqliteConnection) -> Result<Vec<(String, String, String)>, ApiError> {
    Ok(media::table
        .select((media::id, media::sha256, media::renditions))
        .order(media::id.asc())
        .load(conn)?)
}

/// An article that uses a media item: id, slug, headline, status, and whether as its hero.
pub type ArticleUse = (String, String, String, String, bool);

/// A speaker whose portrait is a media item: id, slug, name.
pub type SpeakerUse = (String, String, String);

/// The articles (hero or body) and speakers that use a media item.
pub fn users_of(
    conn: &mut SqliteConnection,
    id: &str,
) -> Result<(Vec<ArticleUse>, Vec<SpeakerUse>), ApiError> {
    let linked: Vec<String> = article_media::table
        .filter(article_media::media_id.eq(id))
        .select(article_media::article_id)
        .load(conn)?;
    let rows: Vec<(String, String, String, String, Option<String>)> = articles::table
        .filter(
            articles::id
                .eq_any(&linked)
                .or(articles::hero_media_id.eq(id)),
        )
        .select((
            articles::id,
            articles::slug,
            articles::headline,
            articles::status,
            articles::hero_media_id,
        ))
        .order(articles::id.asc())
        .load(conn)?;
    let used_by = rows
        .into_iter()
        .map(|(aid, slug, headline, status, hero)| {
            (aid, slug, headline, status, hero.as_deref() == Some(id))
        })
        .collect();
    let people = speakers::table
        .filter(speakers::photo_media_id.eq(id))
        .select((speakers::id, speakers::slug, speakers::name))
        .order(speakers::id.asc())
        .load(conn)?;
    Ok((used_by, people))
}

/// Records a media item's renditions (a JSON array).
pub fn set_renditions(
    conn: &mut SqliteConnection,
    id: &str,
    renditions: &str,
) -> Result<MediaRow, ApiError> {
    Ok(diesel::update(media::table.find(id))
        .set(media::renditions.eq(renditions))
        .returning(MediaRow::as_returning())
        .get_result(conn)?)
}
