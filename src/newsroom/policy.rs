//! Who may change what: the one authorisation policy of every content write, from the HTTP
//! handlers and the command line alike.
//!
//! - Editors and admins (and the command line) may change everything.
//! - Contributors create drafts, and change their own drafts and the speakers, quotes and photos
//!   they created, while no published or scheduled article uses them.
//! - Changing anything a published or scheduled article shows (its quotes, speakers and photos
//!   included) needs an editor; so do publishing, unpublishing, archiving, corrections and the
//!   rights fields of photos (`syndication_allowed`, `license`, `usage_expires`).
//! - Contributors read the revisions of their own articles, and of others' only from the first
//!   publication on.
//!
//! Refusals are 403 problems naming what is in the way.

use diesel::SqliteConnection;
use diesel::dsl::{exists, min};
use diesel::prelude::*;

use crate::auth::{Caller, Role};
use crate::db::articles::ArticleRow;
use crate::db::schema::{article_media, article_quotes, articles, changes, quotes, speakers};
use crate::error::ApiError;

/// Who is writing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The command line (demo content, imports): trusted like an editor, and no author.
    System,
    /// A signed-in editor or admin.
    Editor {
        /// The user's id.
        user_id: String,
    },
    /// A signed-in contributor.
    Contributor {
        /// The user's id.
        user_id: String,
    },
}

impl Actor {
    /// The actor a caller writes as: 401 without credentials, 403 for partner keys (they only
    /// read).
    pub fn of(caller: &Caller) -> Result<Actor, ApiError> {
        match caller {
            Caller::User(user) if user.role >= Role::Editor => Ok(Actor::Editor {
                user_id: user.id.clone(),
            }),
            Caller::User(user) => Ok(Actor::Contributor {
                user_id: user.id.clone(),
            }),
            Caller::Anonymous => Err(ApiError::Unauthorized {
                detail: "sign in to change content".to_owned(),
            }),
            Caller::Partner(_) => Err(ApiError::Forbidden {
                detail: "partner keys may only read".to_owned(),
            }),
        }
    }

    /// The user recorded as author of what this actor writes (none for the command line).
    pub fn user_id(&self) -> Option<&str> {
        match self {
            Actor::System => None,
            Actor::Editor { user_id } | Actor::Contributor { user_id } => Some(user_id),
        }
    }

    /// True for editors, admins and the command line.
    pub fn is_editor(&self) -> bool {
        matches!(self, Actor::System | Actor::Editor { .. })
    }

    /// True when this actor is the user `owner` names.
    fn owns(&self, owner: Option<&str>) -> bool {
        self.user_id().is_some_and(|id| owner == Some(id))
    }
}

fn forbidden(detail: impl Into<String>) -> ApiError {
    ApiError::Forbidden {
        detail: detail.into(),
    }
}

/// Editors only: publishing, unpublishing, archiving, corrections, deletes of shared resources.
pub fn require_editor(actor: &Actor, what: &str) -> Result<(), ApiError> {
    if actor.is_editor() {
        Ok(())
    } else {
        Err(forbidden(format!("only editors may {what}")))
    }
}

/// May `actor` change or delete this article? Editors any; contributors only their own drafts.
pub fn edit_article(actor: &Actor, row: &ArticleRow) -> Result<(), ApiError> {
    if actor.is_editor() || (actor.owns(row.author_id.as_deref()) && row.status == "draft") {
        Ok(())
    } else {
        Err(forbidden("contributors may only change their own drafts"))
    }
}

/// May `actor` show a quote in, or attach one to, the article `article_id`? The same rule as
/// changing the article. A 422-worthy absent article is left to the caller: `Ok(false)`.
pub fn attach_to_article(
    conn: &mut SqliteConnection,
    actor: &Actor,
    article_id: &str,
) -> Result<bool, ApiError> {
    let found: Option<(Option<String>, String)> = articles::table
        .find(article_id)
        .select((articles::author_id, articles::status))
        .first(conn)
        .optional()?;
    let Some((author, status)) = found else {
        return Ok(false);
    };
    if actor.is_editor() || (actor.owns(author.as_deref()) && status == "draft") {
        Ok(true)
    } else {
        Err(forbidden(format!(
            "contributors may attach quotes only to their own drafts; article `{article_id}` is not one"
        )))
    }
}

/// A shared resource a contributor may have created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shared {
    /// A quote.
    Quote,
    /// A speaker.
    Speaker,
    /// A photo.
    Media,
}

impl Shared {
    fn noun(self) -> &'static str {
        match self {
            Shared::Quote => "quote",
            Shared::Speaker => "speaker",
            Shared::Media => "photo",
        }
    }
}

/// May `actor` change the quote, speaker or photo `id`, created by `created_by`? Editors
/// always; contributors when they created it and no published or scheduled article shows it.
pub fn edit_shared(
    conn: &mut SqliteConnection,
    actor: &Actor,
    kind: Shared,
    id: &str,
    created_by: Option<&str>,
) -> Result<(), ApiError> {
    if actor.is_editor() {
        return Ok(());
    }
    let noun = kind.noun();
    if !actor.owns(created_by) {
        return Err(forbidden(format!(
            "contributors may only change the {noun}s they created"
        )));
    }
    if shown_by_released(conn, kind, id)? {
        return Err(forbidden(format!(
            "a published or scheduled article shows this {noun}; only editors may change it"
        )));
    }
    Ok(())
}

/// The rights fields of photos are editors' alone.
pub fn edit_rights(actor: &Actor, touched: bool) -> Result<(), ApiError> {
    if touched && !actor.is_editor() {
        return Err(forbidden(
            "only editors may set the rights of a photo (syndication_allowed, license, usage_expires)",
        ));
    }
    Ok(())
}

/// May a caller read the revisions of this (visible) article? Editors any; contributors their
/// own, and others' only once they were published (the revisions from the publication on).
/// Returns the first article version whose revision the caller may read.
pub fn revisions_from(
    conn: &mut SqliteConnection,
    actor: &Actor,
    row: &ArticleRow,
) -> Result<i64, ApiError> {
    if actor.is_editor() || actor.owns(row.author_id.as_deref()) {
        return Ok(0);
    }
    let first: Option<i64> = changes::table
        .filter(changes::resource.eq("article"))
        .filter(changes::resource_id.eq(&row.id))
        .filter(changes::operation.eq("publish"))
        .select(min(changes::version))
        .first(conn)?;
    Ok(first.unwrap_or(i64::MAX))
}

/// True when a published or scheduled article shows the quote, speaker or photo `id`.
pub fn shown_by_released(
    conn: &mut SqliteConnection,
    kind: Shared,
    id: &str,
) -> Result<bool, ApiError> {
    let released = || {
        articles::table
            .filter(articles::status.eq_any(["published", "scheduled"]))
            .select(articles::id)
    };
    let quote_shown = |quote_ids: Vec<String>, conn: &mut SqliteConnection| {
        let in_body = diesel::select(exists(
            article_quotes::table
                .filter(article_quotes::quote_id.eq_any(&quote_ids))
                .filter(article_quotes::article_id.eq_any(released())),
        ))
        .get_result::<bool>(conn)?;
        let linked = diesel::select(exists(
            quotes::table
                .filter(quotes::id.eq_any(&quote_ids))
                .filter(quotes::article_id.eq_any(released().select(articles::id.nullable()))),
        ))
        .get_result::<bool>(conn)?;
        Ok::<bool, ApiError>(in_body || linked)
    };
    match kind {
        Shared::Quote => quote_shown(vec![id.to_owned()], conn),
        Shared::Speaker => {
            let said: Vec<String> = quotes::table
                .filter(quotes::speaker_id.eq(id))
                .select(quotes::id)
                .load(conn)?;
            quote_shown(said, conn)
        }
        Shared::Media => {
            let in_body = diesel::select(exists(
                article_media::table
                    .filter(article_media::media_id.eq(id))
                    .filter(article_media::article_id.eq_any(released())),
            ))
            .get_result::<bool>(conn)?;
            let lead = diesel::select(exists(released().filter(articles::hero_media_id.eq(id))))
                .get_result::<bool>(conn)?;
            if in_body || lead {
                return Ok(true);
            }
            // A portrait shows wherever its speaker is quoted.
            let portrayed: Vec<String> = speakers::table
                .filter(speakers::photo_media_id.eq(id))
                .select(speakers::id)
                .load(conn)?;
            for speaker in portrayed {
                if shown_by_released(conn, Shared::Speaker, &speaker)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
    }
}
