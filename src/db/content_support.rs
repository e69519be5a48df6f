//! Pieces shared by the speaker, quote and media tables: the time of the latest change and
//! keyset list positions. Change rows are written by `newsroom::changes`.

use diesel::dsl::sql;
use diesel::expression::SqlLiteral;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use diesel::sqlite::SqliteConnection;

use crate::db::schema::changes;
use crate::error::ApiError;
use crate::newsroom::visibility::Condition;

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
    /// The condition selecting rows after the cursor, with `id_column` as tie-breaker. The
    /// column names come from a fixed list; the cursor's values are bound parameters.
    pub fn condition<QS: 'static>(&self, id_column: &'static str) -> Option<Condition<QS>> {
        let (key, id) = self.after.as_ref()?;
        let op = if self.descending { "<" } else { ">" };
        let col = self.column;
        Some(Box::new(
            sql::<Bool>(&format!("({col} {op} "))
                .bind::<Text, _>(key.clone())
                .sql(&format!(" OR ({col} = "))
                .bind::<Text, _>(key.clone())
                .sql(&format!(" AND {id_column} {op} "))
                .bind::<Text, _>(id.clone())
                .sql("))"),
        ))
    }

    /// The `ORDER BY` clause, for a query on any table.
    pub fn order(&self, id_column: &str) -> SqlLiteral<Text> {
        let dir = if self.descending { "DESC" } else { "ASC" };
        sql::<Text>(&format!("{} {dir}, {id_column} {dir}", self.column))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::db::schema::speakers;

    #[test]
    fn keyset_conditions_bind_the_cursor_and_follow_the_direction() {
        let keyset = Keyset {
            column: "speakers.name",
            descending: true,
            after: Some(("it's".into(), "id1".into())),
            fetch: 3,
        };
        let query = speakers::table
            .select(speakers::id)
            .filter(keyset.condition::<speakers::table>("speakers.id").unwrap())
            .order(keyset.order("speakers.id"));
        let sql = diesel::debug_query::<diesel::sqlite::Sqlite, _>(&query).to_string();
        assert!(
            sql.contains("(speakers.name < ? OR (speakers.name = ? AND speakers.id < ?))"),
            "{sql}"
        );
        assert!(
            sql.contains("ORDER BY speakers.name DESC, speakers.id DESC"),
            "{sql}"
        );
        assert!(!sql.contains("'it''s'"), "{sql}");
    }
}
