//! Helpers shared by the speaker, quote and media endpoints: merge-patch fields, role checks,
//! sorting, sparse fieldsets and list and write responses.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Deserializer, Serialize};

use crate::api::pagination::{Cursor, next_link};
use crate::auth::{Caller, Role};
use crate::error::{ApiError, FieldError};
use crate::http::cache::{CachePolicy, conditional, resource_etag};

/// Deserialises a merge-patch field: absent stays `None` (with `#[serde(default)]`), `null`
/// becomes `Some(None)`, a value `Some(Some(v))`.
pub fn patch_field<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// True when the caller sees speakers, quotes and media whatever the state of the articles
/// that use them: every signed-in user (contributors create them for their drafts).
pub fn sees_everything(caller: &Caller) -> bool {
    caller.has_role(Role::Contributor)
}

/// A new time-ordered id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

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

/// Reads `fields` (comma-separated names) against the fields a representation has.
pub fn parse_fields(
    requested: Option<&str>,
    allowed: &[&str],
) -> Result<Option<Vec<String>>, ApiError> {
    let Some(text) = requested else {
        return Ok(None);
    };
    let mut fields = Vec::new();
    for name in text.split(',').map(str::trim) {
        if !allowed.contains(&name) {
            return Err(ApiError::bad_field(
                "fields",
                format!(
                    "`{name}` is not a field; choose from {}",
                    allowed.join(", ")
                ),
            ));
        }
        fields.push(name.to_owned());
    }
    Ok(Some(fields))
}

/// Keeps only the chosen fields (and always `id`) of a serialised item.
fn select_fields(item: serde_json::Value, fields: &[String]) -> serde_json::Value {
    match item {
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.into_iter()
                .filter(|(k, _)| k == "id" || fields.iter().any(|f| f == k))
                .collect(),
        ),
        other => other,
    }
}

/// Decodes a client's cursor into the `(sort key, id)` position it names.
pub fn decode_cursor(
    cursor: Option<&str>,
    fingerprint: &str,
) -> Result<Option<(String, String)>, ApiError> {
    cursor
        .map(|text| {
            let cursor = Cursor::decode(text, fingerprint)?;
            let key = match cursor.key {
                serde_json::Value::String(s) => s,
                _ => {
                    return Err(ApiError::bad_field(
                        "cursor",
                        "is not a cursor from this list",
                    ));
                }
            };
            Ok((key, cursor.id))
        })
        .transpose()
}

/// One page of a list, ready to answer.
pub struct ListPage<T> {
    /// The items of the page (already cut to the page size).
    pub items: Vec<T>,
    /// The cursor of the next page, if any.
    pub next_cursor: Option<String>,
    /// The total, when `count=true`.
    pub total: Option<i64>,
    /// Last-Modified of the list.
    pub last_modified: Option<String>,
}

/// Cuts `rows` (fetched one past the page size) to the page and makes the next cursor from
/// the last kept row.
pub fn paginate<R>(
    mut rows: Vec<R>,
    limit: i64,
    fingerprint: &str,
    position: impl Fn(&R) -> (String, String),
) -> (Vec<R>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(0);
    if rows.len() <= limit {
        return (rows, None);
    }
    rows.truncate(limit);
    let next = rows.last().map(|row| {
        let (key, id) = position(row);
        Cursor {
            sort: fingerprint.to_owned(),
            key: serde_json::Value::String(key),
            id,
        }
        .encode()
    });
    (rows, next)
}

/// Answers a list GET: the page envelope (with sparse fields), `Link` to the next page,
/// ETag, Last-Modified, Cache-Control and 304.
pub fn list_response<T: Serialize>(
    req: &HttpRequest,
    public_url: &str,
    policy: CachePolicy,
    page: ListPage<T>,
    fields: Option<&[String]>,
) -> Result<HttpResponse, ApiError> {
    let mut data = Vec::with_capacity(page.items.len());
    for item in &page.items {
        let value = serde_json::to_value(item).map_err(ApiError::internal)?;
        data.push(match fields {
            Some(fields) => select_fields(value, fields),
            None => value,
        });
    }
    let mut envelope = serde_json::Map::new();
    envelope.insert("data".to_owned(), serde_json::Value::Array(data));
    envelope.insert(
        "next_cursor".to_owned(),
        page.next_cursor
            .clone()
            .map_or(serde_json::Value::Null, serde_json::Value::String),
    );
    if let Some(total) = page.total {
        envelope.insert("total".to_owned(), total.into());
    }
    let body = serde_json::to_vec(&envelope).map_err(ApiError::internal)?;
    let last_modified = page.last_modified.as_deref().and_then(crate::time::parse);
    let mut response = conditional(req, "application/json", body, last_modified, policy);
    if let Some(cursor) = &page.next_cursor {
        let link = next_link(public_url, req.path(), req.query_string(), cursor);
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

/// Answers a successful write with the resource, its ETag and (for creations) its `Location`.
pub fn write_response<T: Serialize>(
    created_at: Option<&str>,
    resource: &T,
    version: i64,
) -> Result<HttpResponse, ApiError> {
    let body = serde_json::to_vec(resource).map_err(ApiError::internal)?;
    let mut builder = match created_at {
        Some(_) => HttpResponse::Created(),
        None => HttpResponse::Ok(),
    };
    if let Some(location) = created_at {
        builder.insert_header((header::LOCATION, location.to_owned()));
    }
    Ok(builder
        .insert_header((header::ETAG, resource_etag(version, &body)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("application/json")
        .body(body))
}

/// Collects length and emptiness problems of text fields.
#[derive(Debug, Default)]
pub struct Checks {
    /// The problems found so far.
    pub errors: Vec<FieldError>,
}

impl Checks {
    /// A required text: not blank and at most `max` characters.
    pub fn required(&mut self, field: &str, value: &str, max: usize) {
        if value.trim().is_empty() {
            self.errors
                .push(FieldError::new(field, "must not be empty"));
        } else {
            self.optional(field, Some(value), max);
        }
    }

    /// An optional text: at most `max` characters.
    pub fn optional(&mut self, field: &str, value: Option<&str>, max: usize) {
        if let Some(value) = value
            && value.chars().count() > max
        {
            self.errors.push(FieldError::new(
                field,
                format!("must be at most {max} characters"),
            ));
        }
    }

    /// Records a problem.
    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// 422 when anything was found.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(self.errors))
        }
    }
}

/// A required field patched to `null`: recorded as a problem.
pub fn not_null<T>(checks: &mut Checks, field: &str, value: Option<Option<T>>) -> Option<T> {
    match value {
        Some(None) => {
            checks.push(field, "cannot be null");
            None
        }
        Some(Some(v)) => Some(v),
        None => None,
    }
}

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

    #[test]
    fn patch_fields_tell_null_from_absent() {
        #[derive(Deserialize)]
        struct P {
            #[serde(default, deserialize_with = "patch_field")]
            a: Option<Option<String>>,
        }
        let absent: P = serde_json::from_str("{}").unwrap();
        let null: P = serde_json::from_str(r#"{"a":null}"#).unwrap();
        let set: P = serde_json::from_str(r#"{"a":"x"}"#).unwrap();
        assert_eq!(absent.a, None);
        assert_eq!(null.a, Some(None));
        assert_eq!(set.a, Some(Some("x".into())));
    }
}

/// The `If-Match` tags of a request, taken out of it so the check can run inside the write
/// transaction (on the blocking pool, where the request itself cannot go).
#[derive(Debug, Clone)]
pub struct IfMatch {
    tags: Vec<String>,
}

impl IfMatch {
    /// Reads the header; 428 when it is missing.
    pub fn from_request(req: &HttpRequest) -> Result<IfMatch, ApiError> {
        let tags: Vec<String> = req
            .headers()
            .get_all(header::IF_MATCH)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();
        if tags.is_empty() {
            return Err(ApiError::PreconditionRequired {
                detail: "send If-Match with the ETag from your last read of this resource"
                    .to_owned(),
            });
        }
        Ok(IfMatch { tags })
    }

    /// Passes when a tag is `*` or names `version` (see `http::cache::resource_etag`); 412
    /// otherwise.
    pub fn check(&self, version: i64) -> Result<(), ApiError> {
        let matches = self.tags.iter().any(|tag| {
            tag == "*"
                || tag
                    .strip_prefix('"')
                    .and_then(|t| t.split('-').next())
                    .and_then(|v| v.parse::<i64>().ok())
                    == Some(version)
        });
        if matches {
            Ok(())
        } else {
            Err(ApiError::PreconditionFailed {
                detail: format!(
                    "the resource has changed (it is now at version {version}); read it again and reapply your change"
                ),
            })
        }
    }
}

/// The schema of a list page whose items are `item` (a component name), or, when the client
/// asked for `fields=`, objects holding only the named fields and `id`.
pub fn sparse_page_schema(item: &str) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{
        AdditionalProperties, AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat,
        SchemaType, Type,
    };
    use utoipa::openapi::{Ref, RefOr};
    let sparse = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(format!(
            "With `fields=`: a `{item}` holding only the named fields and `id`"
        )))
        .property("id", ObjectBuilder::new().schema_type(Type::String))
        .required("id")
        .additional_properties(Some(AdditionalProperties::FreeForm(true)));
    let items = AnyOfBuilder::new()
        .item(Ref::from_schema_name(item))
        .item(sparse);
    let page = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(format!(
            "A page of the list; `Link: <...>; rel=\"next\"` accompanies a `next_cursor`. Items are `{item}` objects."
        )))
        .property("data", ArrayBuilder::new().items(items))
        .required("data")
        .property(
            "next_cursor",
            ObjectBuilder::new()
                .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                .description(Some("Pass as `cursor` for the next page; null on the last page")),
        )
        .required("next_cursor")
        .property(
            "total",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .minimum(Some(0))
                .description(Some("How many items match in all; only with `count=true`")),
        );
    RefOr::T(page.into())
}

/// Registers the item schema `T` (and what it refers to) for a page type's `ToSchema::schemas`.
pub fn page_item_schemas<T: utoipa::ToSchema>(
    schemas: &mut Vec<(
        String,
        utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
    )>,
) {
    schemas.push((T::name().into_owned(), T::schema()));
    T::schemas(schemas);
}

/// The query string of an endpoint that takes no parameters: any parameter is a 400 naming it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoQuery {}
