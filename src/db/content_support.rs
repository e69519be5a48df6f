//! Pieces shared by the speaker, quote and media tables: the change-feed row written with each
//! write, keyset list positions, and the SQL that says what the public may see.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use crate::db::schema::changes;
use crate::error::ApiError;

/// A row of the change feed, written in the same transaction as the change it records.
#[derive(Debug, Insertable)]
#[diesel(table_name = changes)]
pub struct NewChange<'a> {
    /// `speaker`, `quote`, `media` (or `article`).
    pub resource: &'a str,
    /// The id of the changed resource.
    pub resource_id: &'a str,
    /// `create`, `update` or `delete`.
    pub operation: &'a str,
    /// The resource's version after the change (the last version for a delete).
    pub version: i64,
    /// When the change was made.
    pub at: &'a str,
}

/// Appends one row to the change feed.
pub fn record_change(conn: &mut SqliteConnection, change: &NewChange<'_>) -> Result<(), ApiError> {
    diesel::insert_into(changes::table)
        .values(change)
        .execute(conn)?;
    Ok(())
}

/// The time of the latest change of any resource, used as `Last-Modified` of lists (their
/// ETag, computed from the bytes, is what catches every other difference).
pub fn latest_change_at(conn: &mut SqliteConnection) -> Result<Option<String>, ApiError> {
    Ok(changes::table
        .select(changes::at)
        .order(changes::seq.desc())
        .first::<String>(conn)
        .optional()?)
}

/// Where a keyset page starts and how it is ordered.
#[derive(Debug, Clone)]
pub struct Keyset {
    /// SQL expression of the sort key (from a fixed list, never from the client).
    pub column: &'static str,
    /// Largest first.
    pub descending: bool,
    /// Sort key value and id of the last item of the previous page.
    pub after: Option<(String, String)>,
    /// How many rows to fetch (one more than the page size, to know if another page follows).
    pub fetch: i64,
}

impl Keyset {
    /// The `WHERE` condition selecting rows after the cursor, with `id_column` as tie-breaker.
    pub fn condition(&self, id_column: &str) -> Option<String> {
        let (key, id) = self.after.as_ref()?;
        let op = if self.descending { "<" } else { ">" };
        let col = self.column;
        let key = quote_literal(key);
        let id = quote_literal(id);
        Some(format!(
            "({col} {op} {key} OR ({col} = {key} AND {id_column} {op} {id}))"
        ))
    }

    /// The `ORDER BY` clause body.
    pub fn order(&self, id_column: &str) -> String {
        let dir = if self.descending { "DESC" } else { "ASC" };
        format!("{} {dir}, {id_column} {dir}", self.column)
    }
}

/// An SQL string literal with single quotes doubled, for values placed in generated SQL text.
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The condition under which the article aliased `alias` is publicly visible at `now`. The
/// articles endpoints use the same rule.
pub fn visible_article(alias: &str, now: &str) -> String {
    let now = quote_literal(now);
    format!(
        "{alias}.status IN ('published', 'scheduled') AND {alias}.published_at <= {now} \
         AND ({alias}.embargo_until IS NULL OR {alias}.embargo_until <= {now})"
    )
}

/// The condition under which the `quotes` row is public: it stands alone (no article at all), or
/// at least one article it belongs to or appears in is publicly visible.
pub fn public_quote(now: &str) -> String {
    let visible = visible_article("a", now);
    format!(
        "((quotes.article_id IS NULL AND NOT EXISTS \
             (SELECT 1 FROM article_quotes aq WHERE aq.quote_id = quotes.id)) \
          OR EXISTS (SELECT 1 FROM articles a WHERE a.id = quotes.article_id AND {visible}) \
          OR EXISTS (SELECT 1 FROM article_quotes aq JOIN articles a ON a.id = aq.article_id \
                     WHERE aq.quote_id = quotes.id AND {visible}))"
    )
}

/// The condition under which the `media` row is public: a publicly visible article uses it (in
/// its body or as its hero) or a speaker has it as their photo.
pub fn public_media(now: &str) -> String {
    let visible = visible_article("a", now);
    format!(
        "(EXISTS (SELECT 1 FROM article_media am JOIN articles a ON a.id = am.article_id \
                  WHERE am.media_id = media.id AND {visible}) \
          OR EXISTS (SELECT 1 FROM articles a WHERE a.hero_media_id = media.id AND {visible}) \
          OR EXISTS (SELECT 1 FROM speakers s WHERE s.photo_media_id = media.id))"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_cannot_break_out_of_their_quotes() {
        assert_eq!(quote_literal("it's"), "'it''s'");
    }

    #[test]
    fn keyset_conditions_follow_the_direction() {
        let keyset = Keyset {
            column: "name",
            descending: true,
            after: Some(("B".into(), "id1".into())),
            fetch: 3,
        };
        assert_eq!(
            keyset.condition("id").as_deref(),
            Some("(name < 'B' OR (name = 'B' AND id < 'id1'))")
        );
        assert_eq!(keyset.order("id"), "name DESC, id DESC");
    }
}
