//! Speakers: creating, changing and deleting the people quoted, under the policy, with the
//! change row, the slug rule and the re-render of the articles that quote a changed speaker.

use diesel::SqliteConnection;

use crate::db::speakers::{self as db, NewSpeaker, SpeakerChanges, SpeakerRow};
use crate::error::{ApiError, FieldError};
use crate::newsroom::articles::{self, Shown};
use crate::newsroom::changes::Watch;
use crate::newsroom::policy::{self, Actor, Shared};
use crate::newsroom::slugs::{self, Kind};

/// A new speaker, its fields checked for shape.
#[derive(Debug, Clone)]
pub struct NewSpeakerInput {
    /// Chosen slug; made from the name when absent.
    pub slug: Option<String>,
    /// Name.
    pub name: String,
    /// Job title.
    pub title: Option<String>,
    /// Organisation.
    pub organization: Option<String>,
    /// Short biography.
    pub bio: Option<String>,
    /// Portrait.
    pub photo_media_id: Option<String>,
}

/// A change to a speaker, checked for shape (merge-patch semantics: `None` keeps).
#[derive(Debug, Clone, Default)]
pub struct SpeakerEdit {
    /// New slug.
    pub slug: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// New job title.
    pub title: Option<Option<String>>,
    /// New organisation.
    pub organization: Option<Option<String>>,
    /// New biography.
    pub bio: Option<Option<String>>,
    /// New portrait.
    pub photo_media_id: Option<Option<String>>,
}

fn check_photo(
    conn: &mut SqliteConnection,
    errors: &mut Vec<FieldError>,
    photo: Option<&str>,
) -> Result<(), ApiError> {
    if let Some(id) = photo
        && !crate::db::media::exists(conn, id)?
    {
        errors.push(FieldError::new(
            "photo_media_id",
            format!("no media with id `{id}`"),
        ));
    }
    Ok(())
}

fn finish(errors: Vec<FieldError>) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(errors))
    }
}

/// The speaker with this id or slug; 404 when there is none. Speakers are public: no
/// visibility rule applies.
pub fn find(conn: &mut SqliteConnection, key: &str) -> Result<SpeakerRow, ApiError> {
    db::find(conn, key)?.ok_or_else(|| ApiError::not_found("speaker", key))
}

/// Creates a speaker by `actor`; `errors` are the shape problems found already.
pub fn create(
    conn: &mut SqliteConnection,
    actor: &Actor,
    input: NewSpeakerInput,
    mut errors: Vec<FieldError>,
) -> Result<SpeakerRow, ApiError> {
    check_photo(conn, &mut errors, input.photo_media_id.as_deref())?;
    finish(errors)?;
    let name = input.name.trim().to_owned();
    let slug = slugs::for_new(conn, Kind::Speaker, input.slug.as_deref(), &name)?;
    let now = crate::time::now();
    let id = uuid::Uuid::now_v7().to_string();
    let mut watch = Watch::start(conn, "speaker", &id, &now)?;
    if let Some(photo) = &input.photo_media_id {
        watch.also(conn, "media", photo)?;
    }
    let row = db::insert(
        conn,
        &NewSpeaker {
            id,
            slug,
            name,
            title: input.title,
            organization: input.organization,
            bio: input.bio,
            photo_media_id: input.photo_media_id,
            created_by: actor.user_id().map(str::to_owned),
            created_at: now.clone(),
            updated_at: now,
            version: 1,
        },
    )?;
    watch.record(conn, "create", row.version)?;
    Ok(row)
}

/// Changes the speaker `key` (id or slug). Article bodies quoting them are rendered again, each
/// a new revision and an `article` `update` change.
pub fn update(
    conn: &mut SqliteConnection,
    actor: &Actor,
    key: &str,
    if_match: impl FnOnce(i64) -> Result<(), ApiError>,
    edit: SpeakerEdit,
    mut errors: Vec<FieldError>,
    public_url: &str,
) -> Result<SpeakerRow, ApiError> {
    let current = find(conn, key)?;
    if_match(current.version)?;
    policy::edit_shared(
        conn,
        actor,
        Shared::Speaker,
        &current.id,
        current.created_by.as_deref(),
    )?;
    if let Some(Some(photo)) = &edit.photo_media_id {
        check_photo(conn, &mut errors, Some(photo))?;
    }
    finish(errors)?;
    if let Some(slug) = &edit.slug {
        slugs::require_free(conn, Kind::Speaker, slug, Some(&current.id))?;
    }
    let now = crate::time::now();
    let mut watch = Watch::start(conn, "speaker", &current.id, &now)?;
    let new_photo = edit.photo_media_id.clone().flatten();
    for photo in [current.photo_media_id.as_ref(), new_photo.as_ref()]
        .into_iter()
        .flatten()
    {
        watch.also(conn, "media", photo)?;
    }
    let changes = SpeakerChanges {
        slug: edit.slug,
        name: edit.name.map(|n| n.trim().to_owned()),
        title: edit.title,
        organization: edit.organization,
        bio: edit.bio,
        photo_media_id: edit.photo_media_id,
        updated_at: Some(now.clone()),
        version: Some(current.version + 1),
    };
    let row = db::update(conn, &current.id, &changes)?;
    let shown = Shown {
        speakers: std::slice::from_ref(&row.id),
        ..Shown::default()
    };
    let note = format!("speaker {} changed", row.id);
    articles::shown_updated(conn, actor, (watch, row.version), shown, &note, public_url)?;
    Ok(row)
}

/// Deletes the speaker `key` when they have no quotes. Editors only.
pub fn delete(
    conn: &mut SqliteConnection,
    actor: &Actor,
    key: &str,
    if_match: impl FnOnce(i64) -> Result<(), ApiError>,
) -> Result<(), ApiError> {
    policy::require_editor(actor, "delete speakers")?;
    let current = find(conn, key)?;
    if_match(current.version)?;
    let quotes = db::quote_count(conn, &current.id)?;
    if quotes > 0 {
        let noun = if quotes == 1 { "quote" } else { "quotes" };
        return Err(ApiError::Conflict {
            detail: format!(
                "speaker `{}` has {quotes} {noun}; delete or reassign them first",
                current.slug
            ),
        });
    }
    let mut watch = Watch::start(conn, "speaker", &current.id, &crate::time::now())?;
    if let Some(photo) = &current.photo_media_id {
        watch.also(conn, "media", photo)?;
    }
    db::delete(conn, &current.id)?;
    watch.record(conn, "delete", current.version)
}
