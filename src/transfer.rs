//! Moving content in and out of a database from the command line: online backups, exports of
//! articles as JSON lines or ninjs, and imports of exported articles through the same save
//! path the API uses.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;

use crate::auth::Caller;
use crate::db::Db;
use crate::db::articles::{self as store, After, ArticleRow, ListFilter, SortField};
use crate::error::ApiError;
use crate::feeds::ninjs::{NinjsVersion, article_item};
use crate::feeds::query::{FeedFilter, load_feed};
use crate::newsroom::articles::{self as article_core, CheckedDraft, Draft, Origin};
use crate::newsroom::policy::Actor;
use crate::newsroom::slugs::{self, Kind};
use crate::newsroom::visibility::Viewer;
use crate::views::articles::{Correction, article_from_row};

/// How many articles an export reads per query.
const EXPORT_BATCH: i64 = 200;

/// Counts shown on standard error while a long job runs, only when it is a terminal.
pub struct Progress {
    label: &'static str,
    shown: bool,
    done: u64,
}

impl Progress {
    /// A counter for `label` (e.g. "exported"), visible only on a terminal.
    pub fn new(label: &'static str) -> Progress {
        Progress {
            label,
            shown: std::io::stderr().is_terminal(),
            done: 0,
        }
    }

    /// Counts one more item.
    pub fn tick(&mut self) {
        self.done += 1;
        if self.shown && self.done.is_multiple_of(100) {
            eprint!("\r{} {}", self.label, self.done);
        }
    }

    /// Ends the line of counts.
    pub fn finish(&self) {
        if self.shown {
            eprintln!("\r{} {}", self.label, self.done);
        }
    }
}

/// Writes a consistent copy of the live database to `target` with `VACUUM INTO` (readers and
/// writers may go on meanwhile), without the generated JWT secret: whoever holds a backup must
/// not be able to sign access tokens for the live server. A restored database gets a new secret
/// on its first start. An existing file is never overwritten.
pub async fn backup(db: &Db, target: &Path) -> anyhow::Result<()> {
    if target.exists() {
        anyhow::bail!(
            "{} already exists; refusing to overwrite it",
            target.display()
        );
    }
    // The copy is made and scrubbed beside the target, and only then linked into place, so the
    // target path never holds a copy with the secret in it.
    let dir = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let staging = tempfile::Builder::new()
        .prefix(".newsdesk-backup-")
        .tempdir_in(dir)?;
    let staged = staging.path().join("backup.db");
    let text = staged
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("the backup path must be valid UTF-8"))?
        .to_owned();
    db.read(move |conn| {
        diesel::sql_query("VACUUM INTO ?")
            .bind::<Text, _>(&text)
            .execute(conn)?;
        diesel::sql_query("ATTACH DATABASE ? AS backup")
            .bind::<Text, _>(&text)
            .execute(conn)?;
        let scrubbed = conn.batch_execute(
            // A rollback journal, not WAL, so the delete lands in the file itself; secure_delete
            // overwrites the deleted row with zeros instead of leaving it in a free page.
            "PRAGMA backup.journal_mode = DELETE; PRAGMA backup.secure_delete = ON;",
        );
        let scrubbed = scrubbed.and_then(|()| {
            diesel::sql_query("DELETE FROM backup.app_settings WHERE key = ?")
                .bind::<Text, _>(crate::auth::tokens::SECRET_SETTING)
                .execute(conn)
        });
        // Detach whatever happened, so the pooled connection goes back as it came.
        let detached = conn.batch_execute("DETACH DATABASE backup");
        scrubbed?;
        detached?;
        Ok(())
    })
    .await
    .map_err(|e| anyhow::anyhow!("backup failed: {e}"))?;
    std::fs::hard_link(&staged, target).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!(
                "{} already exists; refusing to overwrite it",
                target.display()
            )
        } else {
            anyhow::anyhow!("cannot write {}: {e}", target.display())
        }
    })
}

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// Every article, one JSON object per line, as the API represents it.
    Jsonl,
    /// Publicly visible articles as ninjs 3.1 items, one per line.
    Ninjs,
}

fn every_article() -> ListFilter {
    ListFilter {
        now: crate::time::now(),
        viewer: Viewer::Staff,
        section: None,
        tags: Vec::new(),
        speaker: None,
        status: None,
        published_after: None,
        published_before: None,
        updated_since: None,
        search: None,
    }
}

/// Writes articles to `out` in `format`, oldest first; returns how many were written.
pub async fn export(
    db: &Db,
    format: ExportFormat,
    public_url: &str,
    out: &mut dyn Write,
) -> anyhow::Result<u64> {
    let mut filter = every_article();
    if format == ExportFormat::Ninjs {
        filter.viewer = Viewer::Public;
    }
    let mut progress = Progress::new("exported");
    let mut after: Option<After> = None;
    loop {
        let page_filter = filter.clone();
        let page_after = after.clone();
        let url = public_url.to_owned();
        let lines = db
            .read(move |conn| {
                let rows = store::list(
                    conn,
                    &page_filter,
                    SortField::CreatedAt,
                    false,
                    page_after.as_ref(),
                    EXPORT_BATCH,
                )?;
                let mut lines = Vec::with_capacity(rows.len());
                for row in &rows {
                    let line = match format {
                        ExportFormat::Jsonl => {
                            serde_json::to_string(&article_from_row(row, &page_filter.now, &url))
                        }
                        ExportFormat::Ninjs => {
                            let items = load_feed(
                                conn,
                                &FeedFilter::default(),
                                &Caller::Anonymous,
                                &url,
                                Some(&row.id),
                            )?;
                            match items.first() {
                                Some(item) => serde_json::to_string(&article_item(
                                    item,
                                    &url,
                                    NinjsVersion::V3_1,
                                )),
                                None => continue,
                            }
                        }
                    }
                    .map_err(ApiError::internal)?;
                    lines.push(line);
                }
                let last = rows.last().map(|row| After {
                    key: Some(row.created_at.clone()),
                    id: row.id.clone(),
                });
                Ok((lines, last, rows.len() as i64))
            })
            .await
            .map_err(|e| anyhow::anyhow!("export failed: {e}"))?;
        let (lines, last, fetched) = lines;
        for line in lines {
            out.write_all(line.as_bytes())?;
            out.write_all(b"\n")?;
            progress.tick();
        }
        if fetched < EXPORT_BATCH {
            break;
        }
        after = last;
    }
    out.flush()?;
    progress.finish();
    Ok(progress.done)
}

/// One line of an import: an article as `export --format jsonl` writes it. Fields the server
/// owns (`body_html`, `links`, times, `version`) are accepted and ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportedArticle {
    id: Option<String>,
    slug: Option<String>,
    headline: String,
    #[serde(default)]
    standfirst: Option<String>,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    section: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    byline: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    dateline: Option<String>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    published_at: Option<String>,
    #[serde(default)]
    embargo_until: Option<String>,
    #[serde(default)]
    hero_media_id: Option<String>,
    #[serde(default)]
    canonical_url: Option<String>,
    #[serde(default)]
    copyright: Option<String>,
    #[serde(default)]
    corrections: Vec<Correction>,
    #[serde(default, rename = "body_html")]
    _body_html: Option<IgnoredAny>,
    #[serde(default, rename = "links")]
    _links: Option<IgnoredAny>,
    #[serde(default, rename = "created_at")]
    _created_at: Option<IgnoredAny>,
    #[serde(default, rename = "updated_at")]
    _updated_at: Option<IgnoredAny>,
    #[serde(default, rename = "version")]
    _version: Option<IgnoredAny>,
    #[serde(default, rename = "included")]
    _included: Option<IgnoredAny>,
}

/// What became of one imported line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineOutcome {
    /// A new article was stored.
    Created,
    /// An article with the same id or slug exists; the line was left alone.
    Skipped,
}

/// The totals of an import.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// Articles stored.
    pub created: u64,
    /// Lines whose article was already present.
    pub skipped: u64,
    /// Lines refused, with their file, line number and reason.
    pub failures: Vec<String>,
}

/// Imports every JSON line of every file in `paths`. Each line is its own transaction; a bad
/// line is reported and the others go on.
pub async fn import(
    db: &Db,
    paths: &[std::path::PathBuf],
    public_url: &str,
) -> anyhow::Result<ImportReport> {
    let mut report = ImportReport::default();
    let mut progress = Progress::new("imported");
    for path in paths {
        let file = std::fs::File::open(path)
            .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
        for (index, line) in std::io::BufReader::new(file).lines().enumerate() {
            let number = index + 1;
            let line = line.map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            if line.trim().is_empty() {
                continue;
            }
            match import_line(db, &line, public_url).await {
                Ok(LineOutcome::Created) => report.created += 1,
                Ok(LineOutcome::Skipped) => report.skipped += 1,
                Err(reason) => report
                    .failures
                    .push(format!("{}:{number}: {reason}", path.display())),
            }
            progress.tick();
        }
    }
    progress.finish();
    Ok(report)
}

/// The reason an API error gives, with the fields it names.
fn describe(error: &ApiError) -> String {
    let problem = error.problem();
    let mut text = problem.detail.clone();
    for field in &problem.errors {
        text.push_str(&format!("; {}: {}", field.field, field.message));
    }
    text
}

/// Imports one line: checks it as the API checks a new article, stores it as a draft, then
/// publishes, schedules or archives it as the line says, recording revisions and changes.
pub async fn import_line(db: &Db, line: &str, public_url: &str) -> Result<LineOutcome, String> {
    let article: ImportedArticle =
        serde_json::from_str(line).map_err(|e| format!("not an article: {e}"))?;
    let status = article.status.clone().unwrap_or_else(|| "draft".to_owned());
    let published_at = match &article.published_at {
        None => None,
        Some(at) => Some(
            crate::time::normalize(at)
                .ok_or_else(|| "published_at: must be an RFC 3339 time".to_owned())?,
        ),
    };
    match (status.as_str(), &published_at) {
        ("draft", _) | ("archived", _) => {}
        ("published" | "scheduled", Some(_)) => {}
        ("published" | "scheduled", None) => {
            return Err(format!("status `{status}` needs published_at"));
        }
        _ => {
            return Err("status: must be draft, scheduled, published or archived".to_owned());
        }
    }
    let draft = Draft {
        slug: article.slug.clone(),
        headline: article.headline,
        standfirst: article.standfirst,
        body: article.body.unwrap_or(Value::Array(Vec::new())),
        section: article.section,
        tags: article.tags,
        byline: article.byline,
        source: article.source,
        dateline: article.dateline,
        language: article.language.unwrap_or_else(|| "en".to_owned()),
        embargo_until: article.embargo_until,
        hero_media_id: article.hero_media_id,
        canonical_url: article.canonical_url,
        copyright: article.copyright,
    };
    let checked = draft.check().map_err(|e| describe(&e))?;
    let id = article.id;
    let corrections = serde_json::to_string(&article.corrections).map_err(|e| e.to_string())?;
    let public_url = public_url.to_owned();
    db.write(move |conn| {
        store_imported(
            conn,
            checked,
            id,
            status,
            published_at,
            corrections,
            &public_url,
        )
    })
    .await
    .map_err(|e| describe(&e))
}

fn already_present(
    conn: &mut SqliteConnection,
    id: Option<&str>,
    slug: Option<&str>,
) -> Result<bool, ApiError> {
    if let Some(id) = id
        && store::find(conn, id)?.is_some()
    {
        return Ok(true);
    }
    if let Some(slug) = slug
        && slugs::taken(conn, Kind::Article, slug, None)?
    {
        return Ok(true);
    }
    Ok(false)
}

fn store_imported(
    conn: &mut SqliteConnection,
    checked: CheckedDraft,
    id: Option<String>,
    status: String,
    published_at: Option<String>,
    corrections: String,
    public_url: &str,
) -> Result<LineOutcome, ApiError> {
    if already_present(conn, id.as_deref(), checked.draft.slug.as_deref())? {
        return Ok(LineOutcome::Skipped);
    }
    let origin = Origin {
        id,
        corrections: Some(corrections),
    };
    let row = article_core::create(conn, &Actor::System, checked, origin, public_url)?;
    let operation = match status.as_str() {
        "published" | "scheduled" => "publish",
        "archived" => "update",
        _ => return Ok(LineOutcome::Created),
    };
    let change = move |row: &ArticleRow, now: &str| {
        let mut changes = row.changes();
        changes.status = match (status.as_str(), &published_at) {
            ("archived", _) => "archived".to_owned(),
            (_, Some(at)) if at.as_str() > now => "scheduled".to_owned(),
            _ => "published".to_owned(),
        };
        changes.published_at = published_at.clone();
        changes.first_published_at = published_at;
        Ok(changes)
    };
    article_core::apply(
        conn,
        &Actor::System,
        &row,
        operation,
        Box::new(change),
        None,
        public_url,
    )?;
    Ok(LineOutcome::Created)
}
