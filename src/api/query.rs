//! The query parameters every list shares in form: `sort` and `fields` (sparse fieldsets), and
//! the empty query of endpoints that take none.

use serde::Deserialize;

use crate::error::ApiError;

/// A list sort: the public field name and the SQL expression behind it.
#[derive(Debug, Clone, Copy)]
pub struct Sort {
    /// The field name as clients write it.
    pub field: &'static str,
    /// The SQL expression ordered by.
    pub column: &'static str,
    /// Largest first.
    pub descending: bool,
}

impl Sort {
    /// Reads `sort` (a field, `-` prefixed for descending) against the allowed
    /// `(field, sql expression)` pairs.
    pub fn parse(
        requested: Option<&str>,
        allowed: &[(&'static str, &'static str)],
        default: &str,
    ) -> Result<Sort, ApiError> {
        let text = requested.unwrap_or(default);
        let (descending, name) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        allowed
            .iter()
            .find(|(field, _)| *field == name)
            .map(|(field, column)| Sort {
                field,
                column,
                descending,
            })
            .ok_or_else(|| {
                let names: Vec<&str> = allowed.iter().map(|(f, _)| *f).collect();
                ApiError::bad_field(
                    "sort",
                    format!(
                        "must be one of {} (prefix `-` for descending)",
                        names.join(", ")
                    ),
                )
            })
    }

    /// The sort as written by a client, e.g. `-created_at`.
    pub fn text(&self) -> String {
        if self.descending {
            format!("-{}", self.field)
        } else {
            self.field.to_owned()
        }
    }
}

/// Reads `fields` (comma-separated names, empty ones ignored) against the fields a
/// representation has.
pub fn parse_fields(
    requested: Option<&str>,
    allowed: &[&str],
) -> Result<Option<Vec<String>>, ApiError> {
    let Some(text) = requested else {
        return Ok(None);
    };
    let mut fields = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if !allowed.contains(&name) {
            return Err(ApiError::bad_field(
                "fields",
                format!(
                    "`{name}` is not a field; choose from {}",
                    allowed.join(", ")
                ),
            ));
        }
        if !fields.iter().any(|f| f == name) {
            fields.push(name.to_owned());
        }
    }
    Ok(Some(fields))
}

/// Keeps only the chosen fields (and always `id`) of a serialised item.
pub fn select_fields(item: serde_json::Value, fields: &[String]) -> serde_json::Value {
    match item {
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.into_iter()
                .filter(|(k, _)| k == "id" || fields.iter().any(|f| f == k))
                .collect(),
        ),
        other => other,
    }
}

/// The query string of an endpoint that takes no parameters: any parameter is a 400 naming it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoQuery {}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sorts_accept_listed_fields_in_either_direction() {
        let allowed = [
            ("name", "speakers.name"),
            ("created_at", "speakers.created_at"),
        ];
        let sort = Sort::parse(Some("-created_at"), &allowed, "name").unwrap();
        assert!(sort.descending);
        assert_eq!(sort.column, "speakers.created_at");
        assert_eq!(sort.text(), "-created_at");
        assert_eq!(Sort::parse(None, &allowed, "name").unwrap().field, "name");
        assert!(Sort::parse(Some("bio"), &allowed, "name").is_err());
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(parse_fields(Some("name,bio"), &["id", "name", "bio"]).is_ok());
        assert!(parse_fields(Some("name,secret"), &["id", "name"]).is_err());
    }
}
