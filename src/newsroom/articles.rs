//! Articles, from the first draft to deletion: every write of an article (create, edit,
//! publish, unpublish, archive, correct, delete, and the re-render after something it shows
//! changed) runs here, for the HTTP handlers and the command line alike. Each write checks the
//! policy, renders the body, stores the row with its links and search entry, a revision, and a
//! change-feed row (with those of the quotes and photos it shows or hides).

use diesel::SqliteConnection;
use serde_json::Value;

use crate::auth::Caller;
use crate::content::{Block, blocks, parse_blocks, plain_text, render_html};
use crate::db::articles::{self as store, ArticleChanges, ArticleRow, NewArticle};
use crate::error::{ApiError, FieldError};
use crate::newsroom::changes::Watch;
use crate::newsroom::policy::{self, Actor};
use crate::newsroom::revisions;
use crate::newsroom::slugs::{self, Kind};
use crate::newsroom::visibility::Viewer;
use crate::views::articles::{Correction, article_from_row};

/// The editable content of an article, after merging a request into what is stored.
#[derive(Debug, Clone)]
pub struct Draft {
    pub slug: Option<String>,
    pub headline: String,
    pub standfirst: Option<String>,
    pub body: Value,
    pub section: Option<String>,
    pub tags: Vec<String>,
    pub byline: Option<String>,
    pub source: Option<String>,
    pub dateline: Option<String>,
    pub language: String,
    pub embargo_until: Option<String>,
    pub hero_media_id: Option<String>,
    pub canonical_url: Option<String>,
    pub copyright: Option<String>,
}

/// A draft that passed every check that needs no database.
#[derive(Debug, Clone)]
pub struct CheckedDraft {
    pub draft: Draft,
    pub blocks: Vec<Block>,
}

fn is_language(text: &str) -> bool {
    let mut parts = text.split('-');
    let first_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    first_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

fn check_text(errors: &mut Vec<FieldError>, field: &str, value: &Option<String>, max: usize) {
    if let Some(text) = value {
        if text.trim().is_empty() {
            errors.push(FieldError::new(
                field,
                "must not be empty; send null to clear it",
            ));
        } else if text.chars().count() > max {
            errors.push(FieldError::new(
                field,
                format!("must be at most {max} characters"),
            ));
        }
    }
}

impl Draft {
    /// Every check that needs no database; normalises times.
    pub fn check(mut self) -> Result<CheckedDraft, ApiError> {
        let mut errors = Vec::new();
        if let Some(slug) = &self.slug {
            if !slugs::is_slug(slug, slugs::MAX) {
                errors.push(FieldError::new(
                    "slug",
                    "must be 1 to 120 lower-case letters, digits and single hyphens",
                ));
            } else if !slugs::is_valid(slug) {
                errors.push(FieldError::new("slug", "must not have the form of an id"));
            }
        }
        if self.headline.trim().is_empty() {
            errors.push(FieldError::new("headline", "must not be empty"));
        } else if self.headline.chars().count() > 300 {
            errors.push(FieldError::new(
                "headline",
                "must be at most 300 characters",
            ));
        }
        check_text(&mut errors, "standfirst", &self.standfirst, 2000);
        check_text(&mut errors, "byline", &self.byline, 300);
        check_text(&mut errors, "source", &self.source, 300);
        check_text(&mut errors, "dateline", &self.dateline, 300);
        check_text(&mut errors, "copyright", &self.copyright, 300);
        if let Some(section) = &self.section
            && !slugs::is_slug(section, 64)
        {
            errors.push(FieldError::new(
                "section",
                "must be 1 to 64 lower-case letters, digits and single hyphens",
            ));
        }
        if self.tags.len() > 30 {
            errors.push(FieldError::new("tags", "at most 30 tags are allowed"));
        }
        for (i, tag) in self.tags.iter().enumerate() {
            if tag.trim().is_empty() || tag.chars().count() > 64 || tag.trim() != tag {
                errors.push(FieldError::new(
                    format!("tags[{i}]"),
                    "must be 1 to 64 characters without surrounding spaces",
                ));
            }
        }
        if !is_language(&self.language) {
            errors.push(FieldError::new(
                "language",
                "must be a language tag such as `en` or `pt-BR`",
            ));
        }
        if let Some(at) = &self.embargo_until {
            match crate::time::normalize(at) {
                Some(normal) => self.embargo_until = Some(normal),
                None => errors.push(FieldError::new(
                    "embargo_until",
                    "must be an RFC 3339 time such as 2026-12-01T09:00:00Z",
                )),
            }
        }
        if let Some(url) = &self.canonical_url {
            let ok = (url.starts_with("https://") || url.starts_with("http://"))
                && url.len() <= 2000
                && url.len() > 8
                && !url.chars().any(char::is_whitespace);
            if !ok {
                errors.push(FieldError::new(
                    "canonical_url",
                    "must be an http or https URL",
                ));
            }
        }
        if let Some(id) = &self.hero_media_id
            && id.is_empty()
        {
            errors.push(FieldError::new(
                "hero_media_id",
                "must be the id of a photo",
            ));
        }
        let blocks = match parse_blocks(&self.body) {
            Ok(blocks) => blocks,
            Err(block_errors) => {
                errors.extend(block_errors);
                Vec::new()
            }
        };
        if errors.is_empty() {
            Ok(CheckedDraft {
                draft: self,
                blocks,
            })
        } else {
            Err(ApiError::invalid(errors))
        }
    }
}

/// The body, links and search entry derived from checked content: verifies every quote and
/// media reference exists, then renders.
pub struct Rendered {
    pub body_json: String,
    pub body_html: String,
    pub text: String,
    pub quote_ids: Vec<String>,
    pub media_ids: Vec<String>,
}

pub fn render(conn: &mut SqliteConnection, checked: &CheckedDraft) -> Result<Rendered, ApiError> {
    let (quote_refs, media_refs) = blocks::references(&checked.blocks);
    let quote_ids: Vec<String> = quote_refs.iter().map(|(_, id)| id.clone()).collect();
    let mut media_ids: Vec<String> = media_refs.iter().map(|(_, id)| id.clone()).collect();
    if let Some(hero) = &checked.draft.hero_media_id {
        media_ids.push(hero.clone());
    }
    let ctx = store::render_context(conn, &quote_ids, &media_ids)?;
    let mut errors = Vec::new();
    if let Some(hero) = &checked.draft.hero_media_id
        && !ctx.media.contains_key(hero)
    {
        errors.push(FieldError::new(
            "hero_media_id",
            format!("no photo with id `{hero}`"),
        ));
    }
    for (index, id) in &quote_refs {
        if !ctx.quotes.contains_key(id) {
            errors.push(FieldError::new(
                format!("body[{index}].quote_id"),
                format!("no quote with id `{id}`"),
            ));
        }
    }
    for (index, id) in &media_refs {
        if !ctx.media.contains_key(id) {
            errors.push(FieldError::new(
                format!("body[{index}].media_id"),
                format!("no photo with id `{id}`"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    Ok(Rendered {
        body_json: serde_json::to_string(&checked.blocks).map_err(ApiError::internal)?,
        body_html: render_html(&checked.blocks, &ctx),
        text: plain_text(&checked.blocks, &ctx),
        quote_ids,
        media_ids,
    })
}

/// The article with this id or slug, if the caller may see it at `now`; 404 otherwise (an
/// article the caller may not see answers as if absent).
pub fn visible(
    conn: &mut SqliteConnection,
    caller: &Caller,
    key: &str,
    now: &str,
) -> Result<ArticleRow, ApiError> {
    store::find_visible(conn, key, &Viewer::of(caller), now)?
        .ok_or_else(|| ApiError::not_found("article", key))
}

/// The article with this id or slug as `actor` may see it: editors and the command line see
/// every article, contributors what they may read.
fn visible_to(
    conn: &mut SqliteConnection,
    actor: &Actor,
    key: &str,
    now: &str,
) -> Result<ArticleRow, ApiError> {
    let viewer = match actor {
        Actor::System | Actor::Editor { .. } => Viewer::Staff,
        Actor::Contributor { user_id } => Viewer::Contributor {
            user_id: user_id.clone(),
        },
    };
    store::find_visible(conn, key, &viewer, now)?.ok_or_else(|| ApiError::not_found("article", key))
}

/// Why an article changed, as its revision records it.
#[derive(Debug, Clone, Copy)]
pub struct Revise<'a> {
    /// Who made the change.
    pub author_id: Option<&'a str>,
    /// Why, when the article itself was not what was edited.
    pub note: Option<&'a str>,
}

/// Stores the revision of a saved article, and its links and search entry when its content
/// changed (`rendered`). Every article write ends here, before its change row.
fn store_saved(
    conn: &mut SqliteConnection,
    row: &ArticleRow,
    revise: Revise<'_>,
    public_url: &str,
    rendered: Option<&Rendered>,
) -> Result<(), ApiError> {
    if let Some(rendered) = rendered {
        let tags: Vec<String> = serde_json::from_str(&row.tags).unwrap_or_default();
        store::sync_links(
            conn,
            &row.id,
            &tags,
            &rendered.quote_ids,
            &rendered.media_ids,
        )?;
        store::sync_search(
            conn,
            &row.id,
            &row.headline,
            row.standfirst.as_deref().unwrap_or_default(),
            &rendered.text,
        )?;
    }
    let snapshot = serde_json::to_string(&article_from_row(row, &row.updated_at, public_url))
        .map_err(ApiError::internal)?;
    revisions::add(conn, row, revise.author_id, revise.note, &snapshot)?;
    Ok(())
}

fn reload(conn: &mut SqliteConnection, id: &str) -> Result<ArticleRow, ApiError> {
    store::find(conn, id)?.ok_or_else(|| ApiError::internal("the article vanished"))
}

/// What an import brings along that a new draft from the API does not.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The id to keep (a new one when absent).
    pub id: Option<String>,
    /// Corrections JSON to keep (`[]` when absent).
    pub corrections: Option<String>,
}

/// Creates a draft from checked content, inside the caller's transaction: renders the body,
/// picks or checks the slug, writes the row and everything kept with it.
pub fn create(
    conn: &mut SqliteConnection,
    actor: &Actor,
    checked: CheckedDraft,
    origin: Origin,
    public_url: &str,
) -> Result<ArticleRow, ApiError> {
    let now = crate::time::now();
    let id = origin
        .id
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let rendered = render(conn, &checked)?;
    let mut watch = Watch::start(conn, "article", &id, &now)?;
    watch.story(conn, &id, &rendered.quote_ids, &rendered.media_ids)?;
    let draft = checked.draft;
    let slug = slugs::for_new(conn, Kind::Article, draft.slug.as_deref(), &draft.headline)?;
    let new = NewArticle {
        id,
        slug,
        headline: draft.headline,
        standfirst: draft.standfirst,
        body: rendered.body_json.clone(),
        body_html: rendered.body_html.clone(),
        section: draft.section,
        byline: draft.byline,
        source: draft.source,
        dateline: draft.dateline,
        language: draft.language,
        status: "draft".to_owned(),
        embargo_until: draft.embargo_until,
        hero_media_id: draft.hero_media_id,
        canonical_url: draft.canonical_url,
        copyright: draft.copyright,
        corrections: origin.corrections.unwrap_or_else(|| "[]".to_owned()),
        author_id: actor.user_id().map(str::to_owned),
        created_at: now.clone(),
        updated_at: now,
        version: 1,
        tags: serde_json::to_string(&draft.tags).map_err(ApiError::internal)?,
    };
    store::insert(conn, &new)?;
    let row = reload(conn, &new.id)?;
    let revise = Revise {
        author_id: actor.user_id(),
        note: None,
    };
    store_saved(conn, &row, revise, public_url, Some(&rendered))?;
    watch.record(conn, "create", row.version)?;
    Ok(row)
}

/// Changes the content of the article `key`: `if_match` checks the stored version, `edit`
/// merges the request into the stored row. Editors change any article, contributors their own
/// drafts. The slug is frozen once the article has been published.
pub fn update(
    conn: &mut SqliteConnection,
    actor: &Actor,
    key: &str,
    if_match: impl FnOnce(i64) -> Result<(), ApiError>,
    edit: impl FnOnce(&ArticleRow) -> Result<Draft, ApiError>,
    public_url: &str,
) -> Result<ArticleRow, ApiError> {
    let now = crate::time::now();
    let row = visible_to(conn, actor, key, &now)?;
    policy::edit_article(actor, &row)?;
    if_match(row.version)?;
    let checked = edit(&row)?.check()?;
    let rendered = render(conn, &checked)?;
    let mut watch = Watch::start(conn, "article", &row.id, &now)?;
    watch.story(conn, &row.id, &rendered.quote_ids, &rendered.media_ids)?;
    let draft = checked.draft;
    let slug = draft.slug.clone().unwrap_or_else(|| row.slug.clone());
    if slug != row.slug {
        if row.first_published_at.is_some() {
            return Err(ApiError::Conflict {
                detail: "the slug cannot change once the article has been published".to_owned(),
            });
        }
        slugs::require_free(conn, Kind::Article, &slug, Some(&row.id))?;
    }
    let mut changes = row.changes();
    changes.slug = slug;
    changes.headline = draft.headline;
    changes.standfirst = draft.standfirst;
    changes.body = rendered.body_json.clone();
    changes.body_html = rendered.body_html.clone();
    changes.section = draft.section;
    changes.tags = serde_json::to_string(&draft.tags).map_err(ApiError::internal)?;
    changes.byline = draft.byline;
    changes.source = draft.source;
    changes.dateline = draft.dateline;
    changes.language = draft.language;
    changes.embargo_until = draft.embargo_until;
    changes.hero_media_id = draft.hero_media_id;
    changes.canonical_url = draft.canonical_url;
    changes.copyright = draft.copyright;
    changes.updated_at = now;
    changes.version = row.version + 1;
    store::update(conn, &row.id, &changes)?;
    let saved = reload(conn, &row.id)?;
    let revise = Revise {
        author_id: actor.user_id(),
        note: None,
    };
    store_saved(conn, &saved, revise, public_url, Some(&rendered))?;
    watch.record(conn, "update", saved.version)?;
    Ok(saved)
}

/// Deletes the article `key` (editors any, contributors their own drafts); its revisions go
/// with it, quotes attached to it stay, unattached. The change feed records a tombstone.
pub fn delete(
    conn: &mut SqliteConnection,
    actor: &Actor,
    key: &str,
    if_match: impl FnOnce(i64) -> Result<(), ApiError>,
) -> Result<(), ApiError> {
    let now = crate::time::now();
    let row = visible_to(conn, actor, key, &now)?;
    policy::edit_article(actor, &row)?;
    if_match(row.version)?;
    let mut watch = Watch::start(conn, "article", &row.id, &now)?;
    watch.story(conn, &row.id, &[], &[])?;
    store::delete(conn, &row.id)?;
    watch.record(conn, "delete", row.version)
}

/// A change of an article's life (publish, unpublish, archive, correct), given as the changes
/// it makes to the stored row.
pub type Transition<'a> =
    Box<dyn FnOnce(&ArticleRow, &str) -> Result<ArticleChanges, ApiError> + Send + 'a>;

/// Runs one lifecycle change on the article `key`: editors only; `if_match` checks the stored
/// version; `change` works out the new row. Stores a revision and the change row (`operation`,
/// or `update` when an unpublish takes back something readers never had).
pub fn transition(
    conn: &mut SqliteConnection,
    actor: &Actor,
    key: &str,
    if_match: impl FnOnce(i64) -> Result<(), ApiError>,
    operation: &str,
    change: Transition<'_>,
    public_url: &str,
) -> Result<ArticleRow, ApiError> {
    policy::require_editor(actor, &format!("{operation} articles"))?;
    let now = crate::time::now();
    let row = visible_to(conn, actor, key, &now)?;
    if_match(row.version)?;
    let note = None;
    apply(conn, actor, &row, operation, change, note, public_url)
}

/// Applies a lifecycle `change` to `row`, already allowed, as [`transition`] does.
pub fn apply(
    conn: &mut SqliteConnection,
    actor: &Actor,
    row: &ArticleRow,
    operation: &str,
    change: Transition<'_>,
    note: Option<&str>,
    public_url: &str,
) -> Result<ArticleRow, ApiError> {
    let now = crate::time::now();
    // Released to readers before this change (embargoes aside): only then is taking it back an
    // `unpublish` in the change feed.
    let was_out =
        store::find_visible(conn, &row.id, &Viewer::Partner { embargoed: true }, &now)?.is_some();
    let mut watch = Watch::start(conn, "article", &row.id, &now)?;
    watch.story(conn, &row.id, &[], &[])?;
    let mut changes = change(row, &now)?;
    changes.updated_at = now.clone();
    changes.version = row.version + 1;
    store::update(conn, &row.id, &changes)?;
    let saved = reload(conn, &row.id)?;
    let operation = if operation == "unpublish" && !was_out && row.status != "scheduled" {
        "update"
    } else {
        operation
    };
    let revise = Revise {
        author_id: actor.user_id(),
        note,
    };
    store_saved(conn, &saved, revise, public_url, None)?;
    watch.record(conn, operation, saved.version)?;
    Ok(saved)
}

/// The changes that publish `row` at `at` (now when absent): `scheduled` when `at` is in the
/// future; a 409 when it is already published.
pub fn publish_changes(
    row: &ArticleRow,
    at: Option<String>,
    now: &str,
) -> Result<ArticleChanges, ApiError> {
    if store::shown_status(row, now) == "published" {
        return Err(ApiError::Conflict {
            detail: "the article is already published; unpublish it first to change its time"
                .to_owned(),
        });
    }
    let when = at.unwrap_or_else(|| now.to_owned());
    let mut changes = row.changes();
    changes.status = if when.as_str() > now {
        "scheduled".to_owned()
    } else {
        "published".to_owned()
    };
    changes.published_at = Some(when.clone());
    if changes.first_published_at.is_none() {
        changes.first_published_at = Some(when);
    }
    Ok(changes)
}

/// The changes that take `row` back to draft; a 409 when it is not published or scheduled.
pub fn unpublish_changes(row: &ArticleRow) -> Result<ArticleChanges, ApiError> {
    if !matches!(row.status.as_str(), "published" | "scheduled") {
        return Err(ApiError::Conflict {
            detail: format!("the article is {}, not published", row.status),
        });
    }
    let mut changes = row.changes();
    changes.status = "draft".to_owned();
    changes.published_at = None;
    Ok(changes)
}

/// The changes that archive `row`; a 409 when it already is.
pub fn archive_changes(row: &ArticleRow) -> Result<ArticleChanges, ApiError> {
    if row.status == "archived" {
        return Err(ApiError::Conflict {
            detail: "the article is already archived".to_owned(),
        });
    }
    let mut changes = row.changes();
    changes.status = "archived".to_owned();
    Ok(changes)
}

/// The changes that append the correction `note` to `row` at `now`.
pub fn correction_changes(
    row: &ArticleRow,
    note: String,
    now: &str,
) -> Result<ArticleChanges, ApiError> {
    let mut corrections: Vec<Correction> =
        serde_json::from_str(&row.corrections).unwrap_or_default();
    corrections.push(Correction {
        at: now.to_owned(),
        note,
    });
    let mut changes = row.changes();
    changes.corrections = serde_json::to_string(&corrections).map_err(ApiError::internal)?;
    Ok(changes)
}

/// What changed among the things articles show, for [`rerender_using`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Shown<'a> {
    /// Quotes that changed.
    pub quotes: &'a [String],
    /// Speakers that changed.
    pub speakers: &'a [String],
    /// Photos that changed.
    pub media: &'a [String],
}

/// Finishes an update of a quote, speaker or photo (`shown` names it): writes its change row
/// through `watch`, then renders again the articles showing it, each with a revision noting
/// `note`.
pub fn shown_updated(
    conn: &mut SqliteConnection,
    actor: &Actor,
    (watch, version): (Watch, i64),
    shown: Shown<'_>,
    note: &str,
    public_url: &str,
) -> Result<usize, ApiError> {
    watch.record(conn, "update", version)?;
    rerender_using(conn, actor, shown, note, public_url)
}

/// Renders again the bodies that show these quotes, speakers or photos, after one of them
/// changed, inside the caller's transaction. Each article whose rendering changed is a changed
/// article: a new version, its search entry, a revision by `actor` with `note`, and an
/// `update` row in the change feed. Returns how many articles changed.
pub fn rerender_using(
    conn: &mut SqliteConnection,
    actor: &Actor,
    shown: Shown<'_>,
    note: &str,
    public_url: &str,
) -> Result<usize, ApiError> {
    let ids = store::using(conn, shown.quotes, shown.speakers, shown.media)?;
    if ids.is_empty() {
        return Ok(0);
    }
    let now = crate::time::now();
    let mut changed = 0;
    for row in store::by_ids(conn, &ids)? {
        let blocks: Vec<Block> = serde_json::from_str(&row.body).map_err(ApiError::internal)?;
        let (quote_refs, media_refs) = blocks::references(&blocks);
        let quotes: Vec<String> = quote_refs.into_iter().map(|(_, id)| id).collect();
        let media: Vec<String> = media_refs.into_iter().map(|(_, id)| id).collect();
        let ctx = store::render_context(conn, &quotes, &media)?;
        let html = render_html(&blocks, &ctx);
        if html == row.body_html {
            continue;
        }
        let watch = Watch::start(conn, "article", &row.id, &now)?;
        let mut changes = row.changes();
        changes.body_html = html;
        changes.updated_at = now.clone();
        changes.version = row.version + 1;
        store::update(conn, &row.id, &changes)?;
        let saved = reload(conn, &row.id)?;
        store::sync_search(
            conn,
            &saved.id,
            &saved.headline,
            saved.standfirst.as_deref().unwrap_or_default(),
            &plain_text(&blocks, &ctx),
        )?;
        let revise = Revise {
            author_id: actor.user_id(),
            note: Some(note),
        };
        store_saved(conn, &saved, revise, public_url, None)?;
        watch.record(conn, "update", saved.version)?;
        changed += 1;
    }
    Ok(changed)
}
