//! Article lists: the filters a list request may carry, sort keys and keyset pagination.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use diesel::sqlite::Sqlite;

use super::{ArticleCondition, ArticleRow};
use crate::db::schema::{article_tags, articles};
use crate::newsroom::story;
use crate::newsroom::visibility::{self, Viewer};

/// What a list may be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    /// Publication time (unpublished last when descending).
    PublishedAt,
    /// Last change.
    UpdatedAt,
    /// Creation.
    CreatedAt,
    /// Headline, alphabetically.
    Headline,
}

impl SortField {
    /// The column name.
    pub fn column(self) -> &'static str {
        match self {
            SortField::PublishedAt => "published_at",
            SortField::UpdatedAt => "updated_at",
            SortField::CreatedAt => "created_at",
            SortField::Headline => "headline",
        }
    }

    /// The sort key of a row, as kept in a cursor.
    pub fn key_of(self, row: &ArticleRow) -> Option<String> {
        match self {
            SortField::PublishedAt => row.published_at.clone(),
            SortField::UpdatedAt => Some(row.updated_at.clone()),
            SortField::CreatedAt => Some(row.created_at.clone()),
            SortField::Headline => Some(row.headline.clone()),
        }
    }
}

/// A list request, already checked.
#[derive(Debug, Clone)]
pub struct ListFilter {
    /// The current time, for visibility.
    pub now: String,
    /// Who is looking.
    pub viewer: Viewer,
    /// Only this section.
    pub section: Option<String>,
    /// Only articles carrying every one of these tags.
    pub tags: Vec<String>,
    /// Only articles quoting this speaker (id or slug).
    pub speaker: Option<String>,
    /// Only this shown status.
    pub status: Option<String>,
    /// Published at or after.
    pub published_after: Option<String>,
    /// Published before.
    pub published_before: Option<String>,
    /// Changed at or after.
    pub updated_since: Option<String>,
    /// An FTS5 match expression.
    pub search: Option<String>,
}

/// Where a page starts: after the item with this sort key and id.
#[derive(Debug, Clone)]
pub struct After {
    /// Sort key of the last item seen.
    pub key: Option<String>,
    /// Id of the last item seen.
    pub id: String,
}

fn filtered(filter: &ListFilter) -> articles::BoxedQuery<'static, Sqlite> {
    let now = filter.now.clone();
    let mut query = articles::table
        .into_boxed()
        .filter(visibility::articles(&filter.viewer, &now));
    if let Some(section) = &filter.section {
        query = query.filter(articles::section.eq(section.clone()));
    }
    for tag in &filter.tags {
        query = query.filter(
            articles::id.eq_any(
                article_tags::table
                    .select(article_tags::article_id)
                    .filter(article_tags::tag.eq(tag.clone())),
            ),
        );
    }
    if let Some(speaker) = &filter.speaker {
        query = query.filter(story::quoting(speaker));
    }
    if let Some(status) = &filter.status {
        query = match status.as_str() {
            "published" => query.filter(
                articles::status.eq("published").or(articles::status
                    .eq("scheduled")
                    .and(articles::published_at.assume_not_null().le(now.clone()))),
            ),
            "scheduled" => query.filter(
                articles::status
                    .eq("scheduled")
                    .and(articles::published_at.assume_not_null().gt(now.clone())),
            ),
            other => query.filter(articles::status.eq(other.to_owned())),
        };
    }
    if let Some(after) = &filter.published_after {
        query = query.filter(articles::published_at.assume_not_null().ge(after.clone()));
    }
    if let Some(before) = &filter.published_before {
        query = query.filter(articles::published_at.assume_not_null().lt(before.clone()));
    }
    if let Some(since) = &filter.updated_since {
        query = query.filter(articles::updated_at.ge(since.clone()));
    }
    if let Some(search) = &filter.search {
        query = query.filter(
            sql::<Bool>(
                "articles.id IN (SELECT article_id FROM articles_fts WHERE articles_fts MATCH ",
            )
            .bind::<Text, _>(search.clone())
            .sql(")"),
        );
    }
    query
}

fn keyset(field: SortField, descending: bool, after: &After) -> ArticleCondition {
    let col = format!("articles.{}", field.column());
    let (cmp, id_cmp) = if descending { ("<", "<") } else { (">", ">") };
    match (&after.key, descending) {
        (Some(key), true) if field == SortField::PublishedAt => Box::new(
            sql::<Bool>(&format!("({col} {cmp} "))
                .bind::<Text, _>(key.clone())
                .sql(&format!(" OR ({col} = "))
                .bind::<Text, _>(key.clone())
                .sql(&format!(" AND articles.id {id_cmp} "))
                .bind::<Text, _>(after.id.clone())
                .sql(&format!(") OR {col} IS NULL)")),
        ),
        (Some(key), _) => Box::new(
            sql::<Bool>(&format!("({col} {cmp} "))
                .bind::<Text, _>(key.clone())
                .sql(&format!(" OR ({col} = "))
                .bind::<Text, _>(key.clone())
                .sql(&format!(" AND articles.id {id_cmp} "))
                .bind::<Text, _>(after.id.clone())
                .sql("))"),
        ),
        (None, true) => Box::new(
            sql::<Bool>(&format!("({col} IS NULL AND articles.id < "))
                .bind::<Text, _>(after.id.clone())
                .sql(")"),
        ),
        (None, false) => Box::new(
            sql::<Bool>(&format!("(({col} IS NULL AND articles.id > "))
                .bind::<Text, _>(after.id.clone())
                .sql(&format!(") OR {col} IS NOT NULL)")),
        ),
    }
}

/// One page of articles matching `filter` in `sort` order, starting after `after`; asks for
/// `limit` rows (callers ask one more than they show to learn whether a next page exists).
pub fn list(
    conn: &mut SqliteConnection,
    filter: &ListFilter,
    sort: SortField,
    descending: bool,
    after: Option<&After>,
    limit: i64,
) -> QueryResult<Vec<ArticleRow>> {
    let mut query = filtered(filter);
    if let Some(after) = after {
        query = query.filter(keyset(sort, descending, after));
    }
    query = match (sort, descending) {
        (SortField::PublishedAt, true) => {
            query.order((articles::published_at.desc(), articles::id.desc()))
        }
        (SortField::PublishedAt, false) => {
            query.order((articles::published_at.asc(), articles::id.asc()))
        }
        (SortField::UpdatedAt, true) => {
            query.order((articles::updated_at.desc(), articles::id.desc()))
        }
        (SortField::UpdatedAt, false) => {
            query.order((articles::updated_at.asc(), articles::id.asc()))
        }
        (SortField::CreatedAt, true) => {
            query.order((articles::created_at.desc(), articles::id.desc()))
        }
        (SortField::CreatedAt, false) => {
            query.order((articles::created_at.asc(), articles::id.asc()))
        }
        (SortField::Headline, true) => {
            query.order((articles::headline.desc(), articles::id.desc()))
        }
        (SortField::Headline, false) => query.order((articles::headline.asc(), articles::id.asc())),
    };
    query
        .select(ArticleRow::as_select())
        .limit(limit)
        .load(conn)
}

/// How many articles match `filter` in all.
pub fn count(conn: &mut SqliteConnection, filter: &ListFilter) -> QueryResult<i64> {
    filtered(filter).count().get_result(conn)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod plan_tests {
    use super::*;
    use crate::db::articles::*;
    use diesel::connection::SimpleConnection;
    use diesel_migrations::MigrationHarness;

    /// The SQL text of a query with its bound strings put in place, for EXPLAIN.
    fn inline_sql(query: &articles::BoxedQuery<'static, Sqlite>) -> String {
        let debug = diesel::debug_query::<Sqlite, _>(query).to_string();
        let (sql, binds) = debug.split_once(" -- binds: ").unwrap();
        let binds: Vec<serde_json::Value> = serde_json::from_str(binds).unwrap();
        let mut values = binds.iter();
        let mut text = String::new();
        for c in sql.chars() {
            match (c, values.len()) {
                ('?', n) if n > 0 => match values.next().unwrap() {
                    serde_json::Value::String(v) => {
                        text.push_str(&format!("'{}'", v.replace('\'', "''")))
                    }
                    other => text.push_str(&other.to_string()),
                },
                _ => text.push(c),
            }
        }
        text
    }

    fn plan(conn: &mut SqliteConnection, query: &articles::BoxedQuery<'static, Sqlite>) -> String {
        plan_of(conn, &inline_sql(query))
    }

    /// The steps of `EXPLAIN QUERY PLAN` for an SQL statement, one a line.
    fn plan_of(conn: &mut SqliteConnection, sql: &str) -> String {
        #[derive(QueryableByName)]
        struct Step {
            #[diesel(sql_type = Text)]
            detail: String,
        }
        diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
            .load::<Step>(conn)
            .unwrap()
            .into_iter()
            .map(|s| s.detail)
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn public_lists_walk_an_index_in_order_without_sorting() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        conn.run_pending_migrations(crate::db::MIGRATIONS).unwrap();
        let mut filter = ListFilter {
            now: "2026-11-30T00:00:00.000000Z".into(),
            viewer: Viewer::Public,
            section: None,
            tags: Vec::new(),
            speaker: None,
            status: None,
            published_after: None,
            published_before: None,
            updated_since: None,
            search: None,
        };
        for section in [None, Some("business".to_owned())] {
            filter.section = section;
            let query = filtered(&filter)
                .order((articles::published_at.desc(), articles::id.desc()))
                .limit(21);
            let plan = plan(&mut conn, &query);
            assert!(!plan.contains("TEMP B-TREE"), "{plan}");
            assert!(plan.contains("USING INDEX articles_by_"), "{plan}");
        }
    }

    #[test]
    fn rewriting_an_article_s_search_entry_is_a_lookup_not_a_scan() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        conn.run_pending_migrations(crate::db::MIGRATIONS).unwrap();
        let plan = plan_of(
            &mut conn,
            "DELETE FROM articles_fts WHERE rowid = \
             (SELECT fts_rowid FROM articles_fts_rows WHERE article_id = 'a')",
        );
        // FTS5 reports a rowid lookup as its virtual index with an `=` constraint; a bare
        // `INDEX 0:` is a read of the whole index.
        assert!(
            plan.lines()
                .any(|l| l.starts_with("SCAN articles_fts VIRTUAL TABLE") && l.ends_with(":=")),
            "{plan}"
        );
        assert!(plan.contains("SEARCH articles_fts_rows USING"), "{plan}");

        // Writing the same article twice leaves one search row, found by its words.
        sync_search(&mut conn, "a", "Harbour tolls", "", "first body").unwrap();
        sync_search(&mut conn, "a", "Harbour tolls rise", "", "second body").unwrap();
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        fn count(conn: &mut SqliteConnection, sql: &str) -> i64 {
            diesel::sql_query(sql).get_result::<Count>(conn).unwrap().n
        }
        assert_eq!(
            count(&mut conn, "SELECT count(*) AS n FROM articles_fts"),
            1
        );
        assert_eq!(
            count(
                &mut conn,
                "SELECT count(*) AS n FROM articles_fts WHERE articles_fts MATCH 'second'"
            ),
            1
        );
        delete(&mut conn, "a").unwrap();
        assert_eq!(
            count(&mut conn, "SELECT count(*) AS n FROM articles_fts"),
            0
        );
        assert_eq!(
            count(&mut conn, "SELECT count(*) AS n FROM articles_fts_rows"),
            0
        );
    }

    type Counts = Vec<(String, i64)>;

    /// Counting every visible article the slow way, to check the kept counts against.
    fn counted(conn: &mut SqliteConnection, now: &str) -> (Counts, Counts) {
        let sections = articles::table
            .filter(visibility::articles(&Viewer::Public, now))
            .filter(articles::section.is_not_null())
            .group_by(articles::section)
            .select((
                articles::section.assume_not_null(),
                diesel::dsl::count_star(),
            ))
            .order(articles::section.asc())
            .load(conn)
            .unwrap();
        let visible: Vec<String> = articles::table
            .select(articles::id)
            .filter(visibility::articles(&Viewer::Public, now))
            .load(conn)
            .unwrap();
        let tags = article_tags::table
            .filter(article_tags::article_id.eq_any(visible))
            .group_by(article_tags::tag)
            .select((article_tags::tag, diesel::dsl::count_star()))
            .order(article_tags::tag.asc())
            .load(conn)
            .unwrap();
        (sections, tags)
    }

    #[test]
    fn kept_section_and_tag_counts_match_a_full_count_through_every_kind_of_write() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        conn.batch_execute("PRAGMA foreign_keys = ON").unwrap();
        conn.run_pending_migrations(crate::db::MIGRATIONS).unwrap();
        let now = "2026-11-30T12:00:00.000000Z";
        let sections = ["'business'", "'flash'", "NULL"];
        let statuses = ["draft", "scheduled", "published", "archived"];
        // Past, future (scheduled or not yet visible) and none.
        let times = [
            "'2026-11-01T00:00:00.000000Z'",
            "'2026-12-24T00:00:00.000000Z'",
            "NULL",
        ];
        let tags = ["economy", "rates", "energy"];
        // A fixed linear congruential sequence: the same writes on every run.
        let mut seed: u64 = 7;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(seed >> 33).unwrap() % n
        };
        let mut live: Vec<usize> = Vec::new();
        for step in 0..600 {
            let op = if live.is_empty() { 0 } else { next(5) };
            let sql = match op {
                0 | 1 => {
                    let id = step;
                    live.push(id);
                    let mut sql = format!(
                        "INSERT INTO articles (id, slug, headline, section, status, published_at, \
                         embargo_until, created_at, updated_at) VALUES ('a{id}', 'a{id}', 'h', {}, \
                         '{}', {}, {}, 't', 't');",
                        sections[next(3)],
                        statuses[next(4)],
                        times[next(3)],
                        times[next(3)],
                    );
                    for (i, tag) in tags.iter().enumerate() {
                        if next(2) == 0 || i == 0 {
                            sql.push_str(&format!(
                                "INSERT INTO article_tags VALUES ('a{id}', '{tag}');"
                            ));
                        }
                    }
                    sql
                }
                2 => {
                    let id = live[next(live.len())];
                    format!(
                        "UPDATE articles SET status = '{}', published_at = {}, section = {}, \
                         embargo_until = {} WHERE id = 'a{id}';",
                        statuses[next(4)],
                        times[next(3)],
                        sections[next(3)],
                        times[next(3)],
                    )
                }
                3 => {
                    let id = live[next(live.len())];
                    format!(
                        "DELETE FROM article_tags WHERE article_id = 'a{id}';
                         INSERT INTO article_tags VALUES ('a{id}', '{}');",
                        tags[next(3)]
                    )
                }
                _ => {
                    let id = live.swap_remove(next(live.len()));
                    format!("DELETE FROM articles WHERE id = 'a{id}';")
                }
            };
            conn.batch_execute(&sql).unwrap();
            let expected = counted(&mut conn, now);
            let kept = (
                section_counts(&mut conn, now).unwrap(),
                tag_counts(&mut conn, now).unwrap(),
            );
            assert_eq!(kept, expected, "after step {step}: {sql}");
        }
        // The sequence exercised visible and not-yet-visible articles alike.
        let (sections, tags) = counted(&mut conn, now);
        assert!(!sections.is_empty() && !tags.is_empty());
    }

    #[test]
    fn finding_the_articles_waiting_for_their_time_walks_indexes() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        conn.run_pending_migrations(crate::db::MIGRATIONS).unwrap();
        let now = "2026-11-30T00:00:00.000000Z";
        let not_yet = articles::table
            .filter(articles::status.eq_any(["published", "scheduled"]))
            .filter(articles::published_at.gt(now))
            .select(articles::id);
        let embargoed = articles::table
            .filter(articles::embargo_until.gt(now))
            .filter(sql::<Bool>(
                "+articles.status IN ('published', 'scheduled')",
            ))
            .filter(articles::published_at.is_not_null())
            .select(articles::id);
        for query in [
            diesel::debug_query::<Sqlite, _>(&not_yet).to_string(),
            diesel::debug_query::<Sqlite, _>(&embargoed).to_string(),
        ] {
            let (sql, _) = query.split_once(" -- binds: ").unwrap();
            let sql = sql.replace('?', &format!("'{now}'"));
            let plan = plan_of(&mut conn, &sql);
            assert!(!plan.contains("SCAN articles"), "{plan}");
        }
    }
}
