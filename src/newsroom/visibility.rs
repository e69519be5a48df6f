//! Who may see what: the one visibility rule of each resource, written once as a query fragment
//! that every read path narrows its query with (reads, lists, includes, search, feeds, ninjs,
//! speaker pages, the change feed and the response cache's view of time).
//!
//! - The public sees published work whose publication time and embargo have passed.
//! - Partners see the same, plus embargoed work when their key has `embargoed:read`; of photos
//!   they see only those they may republish (`syndication_allowed`, usage date not passed).
//! - Contributors see what the public sees, plus their own work and what it uses.
//! - Editors and admins see everything.
//!
//! Quotes and photos follow the articles that use them: a quote is visible when it stands alone
//! (no article at all) or when an article the viewer may see links it or shows it in its body; a
//! photo is visible when an article the viewer may see shows it (as lead or in its body) or a
//! speaker has it as their portrait. Speakers are public.

use diesel::dsl::{exists, min, not, sql};
use diesel::expression::{BoxableExpression, IntoSql};
use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel::sqlite::{Sqlite, SqliteConnection};

use crate::auth::{Caller, Role, Scope};
use crate::db::schema::{article_media, article_quotes, articles, media, quotes, speakers};

/// A condition on rows of the query source `QS`.
pub type Condition<QS> = Box<dyn BoxableExpression<QS, Sqlite, SqlType = Bool>>;

/// A time after every embargo, used when embargoes do not apply to the viewer.
const END_OF_TIME: &str = "9999-12-31T23:59:59.999999Z";

/// Who is reading, as far as visibility goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// No credentials.
    Public,
    /// A partner API key.
    Partner {
        /// The key carries `embargoed:read`.
        embargoed: bool,
    },
    /// A signed-in contributor.
    Contributor {
        /// The contributor's user id.
        user_id: String,
    },
    /// A signed-in editor or admin.
    Staff,
}

impl Viewer {
    /// The viewer a caller reads as.
    pub fn of(caller: &Caller) -> Viewer {
        match caller {
            Caller::Anonymous => Viewer::Public,
            Caller::Partner(_) => Viewer::Partner {
                embargoed: caller.has_scope(Scope::EmbargoedRead),
            },
            Caller::User(_) if caller.has_role(Role::Editor) => Viewer::Staff,
            Caller::User(user) => Viewer::Contributor {
                user_id: user.id.clone(),
            },
        }
    }

    /// Who a syndication product (feeds, ninjs) is read as: partners as themselves, everyone
    /// else as the public, since a feed carries published work only, whoever fetches it.
    pub fn reader_of(caller: &Caller) -> Viewer {
        match Viewer::of(caller) {
            partner @ Viewer::Partner { .. } => partner,
            Viewer::Public | Viewer::Contributor { .. } | Viewer::Staff => Viewer::Public,
        }
    }

    /// True for editors and admins, who see every row of every resource.
    pub fn sees_everything(&self) -> bool {
        matches!(self, Viewer::Staff)
    }

    /// True for partner keys, who only get photos they may republish.
    pub fn is_partner(&self) -> bool {
        matches!(self, Viewer::Partner { .. })
    }

    /// The reader class this viewer belongs to for removals in the change feed (see
    /// [`audiences`]); editors and admins see every row and belong to none.
    pub fn audience(&self) -> u8 {
        match self {
            Viewer::Public | Viewer::Contributor { .. } => AUDIENCE_PUBLIC,
            Viewer::Partner { embargoed: false } => AUDIENCE_PARTNER,
            Viewer::Partner { embargoed: true } => AUDIENCE_EMBARGOED,
            Viewer::Staff => 0,
        }
    }

    /// The contributor's user id, when the viewer is one.
    fn own(&self) -> Option<&str> {
        match self {
            Viewer::Contributor { user_id } => Some(user_id),
            Viewer::Public | Viewer::Partner { .. } | Viewer::Staff => None,
        }
    }
}

/// The terms the article rule is evaluated with, worked out from the viewer in one place.
struct Terms {
    now: String,
    /// Embargoes ending after this hide an article.
    embargo_now: String,
    /// A contributor also sees the articles they wrote.
    owner: Option<String>,
}

impl Terms {
    fn of(viewer: &Viewer, now: &str) -> Terms {
        let embargo_now = match viewer {
            Viewer::Partner { embargoed: true } => END_OF_TIME,
            _ => now,
        };
        Terms {
            now: now.to_owned(),
            embargo_now: embargo_now.to_owned(),
            owner: viewer.own().map(str::to_owned),
        }
    }
}

/// Released, and its publication time and embargo passed.
#[diesel::dsl::auto_type]
fn released(now: String, embargo_now: String) -> _ {
    // The unary `+` keeps SQLite from choosing the status index for this term, so public lists
    // walk `articles_by_published` (or `articles_by_section_time`) in order and stop at the page
    // size instead of sorting every visible article.
    let status: diesel::expression::SqlLiteral<Bool> =
        sql::<Bool>("(+articles.status IN ('published', 'scheduled'))");
    status
        .and(articles::published_at.is_not_null())
        .and(articles::published_at.assume_not_null().le(now))
        .and(
            articles::embargo_until
                .is_null()
                .or(articles::embargo_until.assume_not_null().le(embargo_now)),
        )
}

/// Released, or written by `owner` (a NULL owner matches nothing).
#[diesel::dsl::auto_type]
fn readable(now: String, embargo_now: String, owner: Option<String>) -> _ {
    let shown: released = released(now, embargo_now);
    shown.or(articles::author_id.eq(owner).assume_not_null())
}

impl Terms {
    /// The article rule as a plain expression, for the subqueries of the quote and photo rules.
    fn readable(&self) -> readable {
        readable(
            self.now.clone(),
            self.embargo_now.clone(),
            self.owner.clone(),
        )
    }
}

/// The article rule: which rows of `articles` `viewer` may see at `now`.
///
/// For public and partner viewers it is a plain conjunction that keeps the `(published_at, id)`
/// and `(section, published_at)` indexes usable.
pub fn articles(viewer: &Viewer, now: &str) -> Condition<articles::table> {
    let terms = Terms::of(viewer, now);
    match viewer {
        Viewer::Staff => Box::new(always()),
        Viewer::Public | Viewer::Partner { .. } => Box::new(released(terms.now, terms.embargo_now)),
        Viewer::Contributor { .. } => Box::new(terms.readable()),
    }
}

/// The released articles the public may not see yet: their publication time or embargo is still
/// ahead. It is the complement of the public article rule within released articles, written as
/// two index walks (`articles_by_status_published` and `articles_by_embargo`), since the set is
/// small (the stories waiting for their time) while the archive is not. A test checks it against
/// the rule itself.
pub fn waiting(conn: &mut SqliteConnection, now: &str) -> QueryResult<Vec<String>> {
    let not_yet: Vec<String> = articles::table
        .filter(articles::status.eq_any(["published", "scheduled"]))
        .filter(articles::published_at.gt(now))
        .select(articles::id)
        .load(conn)?;
    // The unary `+` keeps the planner on the embargo index.
    let embargoed: Vec<String> = articles::table
        .filter(articles::embargo_until.gt(now))
        .filter(sql::<Bool>(
            "+articles.status IN ('published', 'scheduled')",
        ))
        .filter(articles::published_at.is_not_null())
        .select(articles::id)
        .load(conn)?;
    let mut ids = not_yet;
    ids.extend(embargoed);
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// The quote rule: which rows of `quotes` `viewer` may see at `now`.
pub fn quotes(viewer: &Viewer, now: &str) -> Condition<quotes::table> {
    if viewer.sees_everything() {
        return Box::new(always());
    }
    let terms = Terms::of(viewer, now);
    let standalone = quotes::article_id.is_null().and(not(exists(
        article_quotes::table.filter(article_quotes::quote_id.eq(quotes::id)),
    )));
    let linked = exists(
        articles::table
            .filter(articles::id.nullable().eq(quotes::article_id))
            .filter(terms.readable()),
    );
    let in_body = exists(
        articles::table
            .filter(
                articles::id.eq_any(
                    article_quotes::table
                        .filter(article_quotes::quote_id.eq(quotes::id))
                        .select(article_quotes::article_id),
                ),
            )
            .filter(terms.readable()),
    );
    let shown = standalone.or(linked).or(in_body);
    match viewer.own() {
        Some(user_id) => {
            Box::new(shown.or(quotes::created_by.assume_not_null().eq(user_id.to_owned())))
        }
        None => Box::new(shown),
    }
}

/// The photo rule: which rows of `media` `viewer` may see at `now`.
pub fn media(viewer: &Viewer, now: &str) -> Condition<media::table> {
    if viewer.sees_everything() {
        return Box::new(always());
    }
    let terms = Terms::of(viewer, now);
    let in_body = exists(
        articles::table
            .filter(
                articles::id.eq_any(
                    article_media::table
                        .filter(article_media::media_id.eq(media::id))
                        .select(article_media::article_id),
                ),
            )
            .filter(terms.readable()),
    );
    let lead = exists(
        articles::table
            .filter(articles::hero_media_id.eq(media::id.nullable()))
            .filter(terms.readable()),
    );
    let portrait =
        exists(speakers::table.filter(speakers::photo_media_id.eq(media::id.nullable())));
    let shown = in_body.or(lead).or(portrait);
    match viewer {
        Viewer::Partner { .. } => Box::new(shown.and(syndicable(now))),
        Viewer::Contributor { user_id } => {
            Box::new(shown.or(media::created_by.assume_not_null().eq(user_id.clone())))
        }
        Viewer::Public | Viewer::Staff => Box::new(shown),
    }
}

/// The rights half of the photo rule for partners: syndication allowed and the usage date, if
/// any, still ahead at `now`.
pub fn syndicable(now: &str) -> Condition<media::table> {
    Box::new(
        media::syndication_allowed.and(
            media::usage_expires
                .is_null()
                .or(media::usage_expires.assume_not_null().gt(now.to_owned())),
        ),
    )
}

/// A condition every row meets (for viewers who see everything).
fn always() -> diesel::dsl::AsExprOf<bool, Bool> {
    true.into_sql::<Bool>()
}

/// The earliest time after `now` at which something becomes visible or stops being visible
/// without a write: a publication time, an embargo's end, a photo's usage date. Each part walks
/// an index.
pub fn next_change(conn: &mut SqliteConnection, now: &str) -> QueryResult<Option<String>> {
    let publication: Option<String> = articles::table
        .filter(articles::status.eq_any(["published", "scheduled"]))
        .filter(articles::published_at.gt(now))
        .select(min(articles::published_at))
        .first(conn)?;
    let embargo: Option<String> = articles::table
        .filter(articles::embargo_until.gt(now))
        .select(min(articles::embargo_until))
        .first(conn)?;
    let usage: Option<String> = media::table
        .filter(media::usage_expires.gt(now))
        .select(min(media::usage_expires))
        .first(conn)?;
    Ok([publication, embargo, usage].into_iter().flatten().min())
}

/// Reader class bit: the public, and contributors reading others' work.
pub const AUDIENCE_PUBLIC: u8 = 1;
/// Reader class bit: partner keys.
pub const AUDIENCE_PARTNER: u8 = 2;
/// Reader class bit: partner keys with `embargoed:read`.
pub const AUDIENCE_EMBARGOED: u8 = 4;

/// Which reader classes (a bit each) may see the `resource` with this id at `now`: what a write
/// compares before and after to know whom it took something away from.
pub fn audiences(
    conn: &mut SqliteConnection,
    resource: &str,
    id: &str,
    now: &str,
) -> QueryResult<u8> {
    let mut seen = 0;
    for (viewer, bit) in [
        (Viewer::Public, AUDIENCE_PUBLIC),
        (Viewer::Partner { embargoed: false }, AUDIENCE_PARTNER),
        (Viewer::Partner { embargoed: true }, AUDIENCE_EMBARGOED),
    ] {
        let visible = match resource {
            "article" => diesel::select(exists(
                articles::table
                    .filter(articles::id.eq(id))
                    .filter(articles(&viewer, now)),
            ))
            .get_result::<bool>(conn)?,
            "quote" => diesel::select(exists(
                quotes::table
                    .filter(quotes::id.eq(id))
                    .filter(quotes(&viewer, now)),
            ))
            .get_result::<bool>(conn)?,
            "media" => diesel::select(exists(
                media::table
                    .filter(media::id.eq(id))
                    .filter(media(&viewer, now)),
            ))
            .get_result::<bool>(conn)?,
            // Speakers are public while they exist.
            _ => diesel::select(exists(speakers::table.filter(speakers::id.eq(id))))
                .get_result::<bool>(conn)?,
        };
        if visible {
            seen |= bit;
        }
    }
    Ok(seen)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel_migrations::MigrationHarness;

    use super::*;

    #[test]
    fn waiting_articles_are_exactly_the_released_ones_the_public_rule_hides() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        conn.run_pending_migrations(crate::db::MIGRATIONS).unwrap();
        let now = "2026-06-01T00:00:00.000000Z";
        let times = [
            "NULL",
            "'2026-01-01T00:00:00.000000Z'",
            "'2026-12-01T00:00:00.000000Z'",
        ];
        let mut n = 0;
        for status in ["draft", "scheduled", "published", "archived"] {
            for published in times {
                for embargo in times {
                    n += 1;
                    conn.batch_execute(&format!(
                        "INSERT INTO articles (id, slug, headline, status, published_at, \
                         embargo_until, created_at, updated_at) VALUES ('a{n}', 's{n}', 'h', \
                         '{status}', {published}, {embargo}, '{now}', '{now}')"
                    ))
                    .unwrap();
                }
            }
        }
        let public: Vec<String> = articles::table
            .filter(articles(&Viewer::Public, now))
            .select(articles::id)
            .load(&mut conn)
            .unwrap();
        let released: Vec<String> = articles::table
            .filter(articles::status.eq_any(["published", "scheduled"]))
            .filter(articles::published_at.is_not_null())
            .select(articles::id)
            .load(&mut conn)
            .unwrap();
        let mut hidden: Vec<String> = released
            .into_iter()
            .filter(|id| !public.contains(id))
            .collect();
        hidden.sort();

        assert!(!hidden.is_empty());
        assert_eq!(waiting(&mut conn, now).unwrap(), hidden);
    }
}
