//! The one error type of the API, rendered as RFC 9457 `application/problem+json`.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// Where the problem is: a body field (`headline`, `body[2].text`), a query parameter or a header.
    #[schema(example = "headline")]
    pub field: String,
    /// What is wrong with it.
    #[schema(example = "must not be empty")]
    pub message: String,
}

impl FieldError {
    /// A field error from anything printable.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An RFC 9457 problem details object, the body of every error response.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/not-found",
    "title": "Not Found",
    "status": 404,
    "detail": "no article with id or slug `budget-2027`"
}))]
pub struct Problem {
    /// A URI reference naming the kind of problem; resolve it against the API's base URL.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// Each invalid field, for validation errors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// Every way a request can fail.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the request is malformed (syntax, unknown parameter, bad value).
    BadRequest {
        /// What was wrong.
        detail: String,
        /// The fields at fault.
        errors: Vec<FieldError>,
    },
    /// 401: no usable credentials.
    Unauthorized {
        /// Why the credentials were refused.
        detail: String,
    },
    /// 403: the caller is known but may not do this.
    Forbidden {
        /// What is not allowed.
        detail: String,
    },
    /// 404: absent, or not visible to this caller.
    NotFound {
        /// What was looked for.
        detail: String,
    },
    /// 405: the path exists but not with this method.
    MethodNotAllowed {
        /// Methods the path does accept, for the `Allow` header.
        allowed: Vec<String>,
    },
    /// 406: none of the acceptable representations can be produced.
    NotAcceptable {
        /// What can be produced instead.
        detail: String,
    },
    /// 409: conflicts with the current state (duplicate slug, resource in use).
    Conflict {
        /// The conflict.
        detail: String,
    },
    /// 409: the value of a field that must be unique is taken (the database refused it).
    Duplicate {
        /// What is taken, in the client's terms.
        detail: String,
        /// The field whose value is taken.
        errors: Vec<FieldError>,
    },
    /// 412: `If-Match` did not match the current version.
    PreconditionFailed {
        /// The mismatch.
        detail: String,
    },
    /// 413: the request body is too large.
    PayloadTooLarge {
        /// The limit that was passed.
        detail: String,
    },
    /// 415: the body is not of a media type this endpoint accepts.
    UnsupportedMediaType {
        /// What is accepted.
        detail: String,
    },
    /// 422: well-formed but invalid content.
    Unprocessable {
        /// Summary of what is invalid.
        detail: String,
        /// The fields at fault.
        errors: Vec<FieldError>,
    },
    /// 428: a conditional header is required.
    PreconditionRequired {
        /// Which header is missing.
        detail: String,
    },
    /// 429: rate limited.
    TooManyRequests {
        /// Seconds until a retry may succeed.
        retry_after: u64,
        /// Which limit was hit.
        detail: String,
    },
    /// 503: overloaded, busy or shutting down.
    Unavailable {
        /// Seconds after which to retry.
        retry_after: u64,
        /// What is unavailable.
        detail: String,
    },
    /// 500: a fault of ours; the detail is logged, never shown.
    Internal {
        /// What failed, for the log.
        detail: String,
    },
}

impl ApiError {
    /// A 400 with a message and no field list.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        ApiError::BadRequest {
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    /// A 400 naming one field.
    pub fn bad_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let error = FieldError::new(field, message);
        ApiError::BadRequest {
            detail: format!("`{}` {}", error.field, error.message),
            errors: vec![error],
        }
    }

    /// A 404 for a resource that is absent or invisible.
    pub fn not_found(resource: &str, key: &str) -> Self {
        ApiError::NotFound {
            detail: format!("no {resource} with id or slug `{key}`"),
        }
    }

    /// A 422 listing invalid fields.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("`{}` {}", one.field, one.message),
            _ => format!("{} fields are invalid", errors.len()),
        };
        ApiError::Unprocessable { detail, errors }
    }

    /// A 500 carrying the underlying cause for the log.
    pub fn internal(cause: impl fmt::Display) -> Self {
        ApiError::Internal {
            detail: cause.to_string(),
        }
    }

    /// The short machine-readable slug used in the problem `type`.
    pub fn slug(&self) -> &'static str {
        match self {
            ApiError::BadRequest { .. } => "bad-request",
            ApiError::Unauthorized { .. } => "unauthorized",
            ApiError::Forbidden { .. } => "forbidden",
            ApiError::NotFound { .. } => "not-found",
            ApiError::MethodNotAllowed { .. } => "method-not-allowed",
            ApiError::NotAcceptable { .. } => "not-acceptable",
            ApiError::Conflict { .. } | ApiError::Duplicate { .. } => "conflict",
            ApiError::PreconditionFailed { .. } => "precondition-failed",
            ApiError::PayloadTooLarge { .. } => "payload-too-large",
            ApiError::UnsupportedMediaType { .. } => "unsupported-media-type",
            ApiError::Unprocessable { .. } => "validation-failed",
            ApiError::PreconditionRequired { .. } => "precondition-required",
            ApiError::TooManyRequests { .. } => "rate-limited",
            ApiError::Unavailable { .. } => "unavailable",
            ApiError::Internal { .. } => "internal",
        }
    }

    /// The problem body for this error.
    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let (detail, errors) = match self {
            ApiError::BadRequest { detail, errors }
            | ApiError::Duplicate { detail, errors }
            | ApiError::Unprocessable { detail, errors } => (detail.clone(), errors.clone()),
            ApiError::Unauthorized { detail }
            | ApiError::Forbidden { detail }
            | ApiError::NotFound { detail }
            | ApiError::NotAcceptable { detail }
            | ApiError::Conflict { detail }
            | ApiError::PreconditionFailed { detail }
            | ApiError::PayloadTooLarge { detail }
            | ApiError::UnsupportedMediaType { detail }
            | ApiError::PreconditionRequired { detail }
            | ApiError::TooManyRequests { detail, .. }
            | ApiError::Unavailable { detail, .. } => (detail.clone(), Vec::new()),
            ApiError::MethodNotAllowed { allowed } => (
                format!("this path accepts {}", allowed.join(", ")),
                Vec::new(),
            ),
            ApiError::Internal { .. } => (
                "an unexpected error occurred; it has been logged".to_owned(),
                Vec::new(),
            ),
        };
        Problem {
            problem_type: format!("/problems/{}", self.slug()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            errors,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Internal { detail } => write!(f, "internal error: {detail}"),
            other => write!(f, "{}", other.problem().detail),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::NotAcceptable { .. } => StatusCode::NOT_ACCEPTABLE,
            ApiError::Conflict { .. } | ApiError::Duplicate { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PreconditionRequired { .. } => StatusCode::PRECONDITION_REQUIRED,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal { detail } = self {
            tracing::error!(error = %detail, "request failed");
        }
        let mut response = problem_response(&self.problem());
        let headers = response.headers_mut();
        match self {
            ApiError::Unauthorized { .. } => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"newsdesk\""),
                );
            }
            ApiError::MethodNotAllowed { allowed } => {
                if let Ok(value) = HeaderValue::from_str(&allowed.join(", ")) {
                    headers.insert(header::ALLOW, value);
                }
            }
            ApiError::TooManyRequests { retry_after, .. }
            | ApiError::Unavailable { retry_after, .. } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            }
            _ => {}
        }
        response
    }
}

/// Renders a problem as an HTTP response; errors are never cached.
pub fn problem_response(problem: &Problem) -> HttpResponse {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(problem).unwrap_or_default();
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, PROBLEM_JSON))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::NotFound => ApiError::NotFound {
                detail: "the requested resource does not exist".to_owned(),
            },
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                duplicate(info.table_name(), info.column_name(), info.message())
            }
            Error::DatabaseError(_, ref info) if is_busy(info.message()) => busy(),
            other => {
                if is_busy(&other.to_string()) {
                    busy()
                } else {
                    ApiError::internal(other)
                }
            }
        }
    }
}

/// The unique columns a client chooses the value of: table, column, the field that carries it
/// in requests, and the resource's name.
const UNIQUE_FIELDS: &[(&str, &str, &str, &str)] = &[
    ("articles", "slug", "slug", "article"),
    ("speakers", "slug", "slug", "speaker"),
    ("users", "email", "email", "user"),
];

/// The 409 for a unique constraint the database enforced, naming the field by the constraint's
/// table and column; never the database's own message, which names tables and indexes.
fn duplicate(table: Option<&str>, column: Option<&str>, message: &str) -> ApiError {
    // SQLite names the columns only in its message: `UNIQUE constraint failed: users.email`.
    let columns: Vec<(&str, &str)> = match (table, column) {
        (Some(table), Some(column)) => vec![(table, column)],
        _ => message
            .strip_prefix("UNIQUE constraint failed: ")
            .map(|list| {
                list.split(',')
                    .filter_map(|c| c.trim().split_once('.'))
                    .collect()
            })
            .unwrap_or_default(),
    };
    let known = UNIQUE_FIELDS.iter().find(|(table, column, _, _)| {
        columns.len() == 1 && columns.first() == Some(&(*table, *column))
    });
    match known {
        Some((_, _, field, resource)) => ApiError::Duplicate {
            detail: format!("another {resource} already has this {field}"),
            errors: vec![FieldError::new(*field, "is already taken")],
        },
        None => {
            tracing::warn!(constraint = %message, "unique constraint refused a write");
            ApiError::Conflict {
                detail: "this conflicts with something that already exists".to_owned(),
            }
        }
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        tracing::warn!(error = %err, "no database connection available");
        busy()
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        ApiError::internal(err)
    }
}

fn is_busy(message: &str) -> bool {
    message.contains("database is locked") || message.contains("database is busy")
}

/// The answer when the database stays locked past its busy timeout.
pub fn busy() -> ApiError {
    ApiError::Unavailable {
        retry_after: 1,
        detail: "the database is busy; retry shortly".to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_error_renders_its_own_status_as_problem_json() {
        let cases = [
            (ApiError::bad_request("x"), 400),
            (ApiError::Unauthorized { detail: "x".into() }, 401),
            (ApiError::not_found("article", "a"), 404),
            (
                ApiError::MethodNotAllowed {
                    allowed: vec!["GET".into()],
                },
                405,
            ),
            (ApiError::invalid(vec![FieldError::new("a", "b")]), 422),
            (busy(), 503),
            (ApiError::internal("boom"), 500),
        ];
        for (error, status) in cases {
            let response = error.error_response();
            assert_eq!(response.status().as_u16(), status);
            assert_eq!(
                response.headers().get(header::CONTENT_TYPE).unwrap(),
                PROBLEM_JSON
            );
        }
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let problem = ApiError::internal("secret table name").problem();
        assert!(!problem.detail.contains("secret"));
    }

    fn unique_violation(message: &str) -> ApiError {
        ApiError::from(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            Box::new(message.to_owned()),
        ))
    }

    #[test]
    fn a_taken_unique_value_is_a_409_naming_the_field_not_the_table() {
        let problem = unique_violation("UNIQUE constraint failed: speakers.slug").problem();
        assert_eq!(problem.status, 409);
        assert_eq!(
            problem.errors,
            vec![FieldError::new("slug", "is already taken")]
        );
        assert!(!problem.detail.contains("UNIQUE"), "{}", problem.detail);
        assert!(!problem.detail.contains("speakers."), "{}", problem.detail);
    }

    #[test]
    fn an_unknown_unique_constraint_gets_a_generic_409() {
        let problem = unique_violation(
            "UNIQUE constraint failed: idempotency_keys.caller, idempotency_keys.key",
        )
        .problem();
        assert_eq!(problem.status, 409);
        assert!(problem.errors.is_empty());
        assert!(
            !problem.detail.contains("idempotency"),
            "{}",
            problem.detail
        );
    }

    #[test]
    fn locked_database_is_a_503() {
        let err = diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::Unknown,
            Box::new("database is locked".to_owned()),
        );
        assert_eq!(ApiError::from(err).status_code(), 503);
    }
}
