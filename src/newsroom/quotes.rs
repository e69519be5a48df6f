//! Quotes: creating, changing and deleting what speakers said, under the policy, with the
//! change row and the re-render of the articles that show a changed quote.

use diesel::SqliteConnection;

use crate::db::quotes::{self as db, NewQuote, QuoteChanges, QuoteRow};
use crate::error::{ApiError, FieldError};
use crate::newsroom::articles::{self, Shown};
use crate::newsroom::changes::Watch;
use crate::newsroom::policy::{self, Actor, Shared};

/// A new quote, its fields checked for shape; `speaker` is an id or slug.
#[derive(Debug, Clone)]
pub struct NewQuoteInput {
    /// What was said.
    pub text: String,
    /// The speaker's id or slug.
    pub speaker: String,
    /// The article it belongs to.
    pub article_id: Option<String>,
    /// How it was said.
    pub context: Option<String>,
    /// The speaker's title at the time.
    pub speaker_title: Option<String>,
    /// The day it was said.
    pub said_on: Option<String>,
}

/// A change to a quote, its fields checked for shape (merge-patch semantics: `None` keeps).
#[derive(Debug, Clone, Default)]
pub struct QuoteEdit {
    /// New text.
    pub text: Option<String>,
    /// New speaker, by id or slug.
    pub speaker: Option<String>,
    /// New article (`Some(None)` detaches).
    pub article_id: Option<Option<String>>,
    /// New context.
    pub context: Option<Option<String>>,
    /// New title at the time.
    pub speaker_title: Option<Option<String>>,
    /// New day.
    pub said_on: Option<Option<String>>,
}

/// The speaker id of `key` (an id or slug), or a field error.
fn resolve_speaker(
    conn: &mut SqliteConnection,
    errors: &mut Vec<FieldError>,
    key: &str,
) -> Result<Option<String>, ApiError> {
    let found = crate::db::speakers::find(conn, key)?.map(|s| s.id);
    if found.is_none() {
        errors.push(FieldError::new(
            "speaker_id",
            format!("no speaker with id or slug `{key}`"),
        ));
    }
    Ok(found)
}

/// Checks the article a quote is attached to exists and `actor` may attach to it.
fn check_article(
    conn: &mut SqliteConnection,
    errors: &mut Vec<FieldError>,
    actor: &Actor,
    article: Option<&str>,
) -> Result<(), ApiError> {
    if let Some(id) = article
        && !policy::attach_to_article(conn, actor, id)?
    {
        errors.push(FieldError::new(
            "article_id",
            format!("no article with id `{id}`"),
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

/// Creates a quote by `actor`; `errors` are the shape problems found already (all are answered
/// together).
pub fn create(
    conn: &mut SqliteConnection,
    actor: &Actor,
    input: NewQuoteInput,
    mut errors: Vec<FieldError>,
) -> Result<QuoteRow, ApiError> {
    let speaker = resolve_speaker(conn, &mut errors, &input.speaker)?;
    check_article(conn, &mut errors, actor, input.article_id.as_deref())?;
    finish(errors)?;
    let speaker_id = speaker.ok_or_else(|| ApiError::internal("speaker vanished"))?;
    let now = crate::time::now();
    let id = uuid::Uuid::now_v7().to_string();
    let watch = Watch::start(conn, "quote", &id, &now)?;
    let row = db::insert(
        conn,
        &NewQuote {
            id,
            text: input.text,
            speaker_id,
            article_id: input.article_id,
            context: input.context,
            speaker_title: input.speaker_title,
            said_on: input.said_on,
            created_by: actor.user_id().map(str::to_owned),
            created_at: now.clone(),
            updated_at: now,
            version: 1,
        },
    )?;
    watch.record(conn, "create", row.version)?;
    Ok(row)
}

/// Changes the quote `id`: `if_match` checks the stored version. Article bodies showing it are
/// rendered again, each a new revision and an `article` `update` change.
pub fn update(
    conn: &mut SqliteConnection,
    actor: &Actor,
    id: &str,
    if_match: impl FnOnce(i64) -> Result<(), ApiError>,
    edit: QuoteEdit,
    mut errors: Vec<FieldError>,
    public_url: &str,
) -> Result<QuoteRow, ApiError> {
    let current = db::find(conn, id)?.ok_or_else(|| ApiError::not_found("quote", id))?;
    if_match(current.version)?;
    policy::edit_shared(
        conn,
        actor,
        Shared::Quote,
        &current.id,
        current.created_by.as_deref(),
    )?;
    let speaker_id = match &edit.speaker {
        Some(key) => resolve_speaker(conn, &mut errors, key)?,
        None => None,
    };
    if let Some(Some(article)) = &edit.article_id {
        check_article(conn, &mut errors, actor, Some(article))?;
    }
    finish(errors)?;
    let now = crate::time::now();
    let watch = Watch::start(conn, "quote", &current.id, &now)?;
    let changes = QuoteChanges {
        text: edit.text,
        speaker_id,
        article_id: edit.article_id,
        context: edit.context,
        speaker_title: edit.speaker_title,
        said_on: edit.said_on,
        updated_at: Some(now.clone()),
        version: Some(current.version + 1),
    };
    let row = db::update(conn, &current.id, &changes)?;
    let shown = Shown {
        quotes: std::slice::from_ref(&row.id),
        ..Shown::default()
    };
    let note = format!("quote {} changed", row.id);
    articles::shown_updated(conn, actor, (watch, row.version), shown, &note, public_url)?;
    Ok(row)
}

/// Deletes the quote `id` when no article body uses it. Editors only.
pub fn delete(
    conn: &mut SqliteConnection,
    actor: &Actor,
    id: &str,
    if_match: impl FnOnce(i64) -> Result<(), ApiError>,
) -> Result<(), ApiError> {
    policy::require_editor(actor, "delete quotes")?;
    let current = db::find(conn, id)?.ok_or_else(|| ApiError::not_found("quote", id))?;
    if_match(current.version)?;
    let uses = db::article_use_count(conn, &current.id)?;
    if uses > 0 {
        let noun = if uses == 1 {
            "article uses"
        } else {
            "articles use"
        };
        return Err(ApiError::Conflict {
            detail: format!("{uses} {noun} this quote in a quote block; remove it from them first"),
        });
    }
    let watch = Watch::start(conn, "quote", &current.id, &crate::time::now())?;
    db::delete(conn, &current.id)?;
    watch.record(conn, "delete", current.version)
}
