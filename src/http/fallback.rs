//! Answers for requests no handler takes: 404 for unknown paths, 405 for known paths with the
//! wrong method, and problem+json for any error body actix produces on its own.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header;
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, ResponseError, web};

use crate::error::{ApiError, PROBLEM_JSON, Problem, problem_response};

/// Every documented path template with the methods it accepts, taken from the OpenAPI document.
#[derive(Debug, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<Segment>, Vec<String>)>,
}

#[derive(Debug)]
enum Segment {
    Literal(String),
    Param,
}

impl RouteTable {
    /// Builds the table from an OpenAPI document's paths.
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
                let segments = template
                    .trim_matches('/')
                    .split('/')
                    .map(|s| {
                        if s.starts_with('{') && s.ends_with('}') {
                            Segment::Param
                        } else {
                            Segment::Literal(s.to_owned())
                        }
                    })
                    .collect();
                let mut methods: Vec<String> = crate::api::doc::operations(item)
                    .map(|(method, _)| method.to_owned())
                    .collect();
                if methods.iter().any(|m| m == "GET") {
                    methods.push("HEAD".to_owned());
                }
                (segments, methods)
            })
            .collect();
        RouteTable { routes }
    }

    /// The methods allowed on a concrete path, if any documented template matches it.
    pub fn allowed(&self, path: &str) -> Option<Vec<String>> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut allowed: Vec<String> = Vec::new();
        for (segments, methods) in &self.routes {
            let matches = segments.len() == parts.len()
                && segments.iter().zip(&parts).all(|(seg, part)| match seg {
                    Segment::Literal(lit) => lit == part,
                    Segment::Param => !part.is_empty(),
                });
            if matches {
                for m in methods {
                    if !allowed.contains(m) {
                        allowed.push(m.clone());
                    }
                }
            }
        }
        (!allowed.is_empty()).then_some(allowed)
    }
}

/// The default service: 405 with `Allow` when the path exists, otherwise 404.
pub async fn unmatched(req: HttpRequest, table: web::Data<RouteTable>) -> actix_web::HttpResponse {
    unmatched_error(&req, &table).error_response()
}

fn unmatched_error(req: &HttpRequest, table: &RouteTable) -> ApiError {
    match table.allowed(req.path()) {
        Some(allowed) if !allowed.iter().any(|m| m == req.method().as_str()) => {
            ApiError::MethodNotAllowed { allowed }
        }
        _ => ApiError::NotFound {
            detail: format!("no resource at `{}`", req.path()),
        },
    }
}

/// Error-handler middleware hook: any 4xx/5xx response whose body is not already problem+json
/// (actix's own plain-text errors) is replaced with a problem+json body for the same status.
pub fn problem_for_plain_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let detail = res
        .response()
        .error()
        .map(|e| e.to_string())
        .filter(|d| !d.is_empty() && status.is_client_error())
        .unwrap_or_else(|| {
            status
                .canonical_reason()
                .unwrap_or("error")
                .to_ascii_lowercase()
        });
    let problem = Problem {
        problem_type: format!("/problems/{}", slug_for(status.as_u16())),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail,
        errors: Vec::new(),
    };
    let (req, old) = res.into_parts();
    let mut new: actix_web::HttpResponse<BoxBody> = problem_response(&problem);
    // Keep headers such as Allow, Retry-After or WWW-Authenticate that the original carried.
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
    let res = ServiceResponse::new(req, new).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(res))
}

fn slug_for(status: u16) -> &'static str {
    match status {
        400 => "bad-request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not-found",
        405 => "method-not-allowed",
        408 => "request-timeout",
        413 => "payload-too-large",
        415 => "unsupported-media-type",
        429 => "rate-limited",
        503 => "unavailable",
        s if s >= 500 => "internal",
        _ => "client-error",
    }
}

/// Turns JSON body extraction failures into the right problem: 413, 415, 400 (malformed, or
/// nested too deeply) or 422 (well-formed but of the wrong shape).
pub fn json_error(err: actix_web::error::JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as E;
    let api = match &err {
        E::OverflowKnownLength { length, limit } => ApiError::PayloadTooLarge {
            detail: format!("the body is {length} bytes; the limit is {limit}"),
        },
        E::Overflow { limit } => ApiError::PayloadTooLarge {
            detail: format!("the body is larger than the limit of {limit} bytes"),
        },
        E::ContentType => ApiError::UnsupportedMediaType {
            detail: "send the body as application/json".to_owned(),
        },
        E::Deserialize(e) => json_syntax_error(e),
        E::Payload(e) => match crate::http::json_depth::TooDeep::in_payload_error(e) {
            Some(too_deep) => ApiError::bad_request(too_deep.to_string()),
            None => ApiError::bad_request(format!("could not read the body: {e}")),
        },
        other => ApiError::bad_request(format!("could not read the body: {other}")),
    };
    actix_web::error::InternalError::from_response(err, api.error_response()).into()
}

fn json_syntax_error(e: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match e.classify() {
        // Well-formed JSON of the wrong shape: a field error the client can act on.
        Category::Data => {
            let message = e.to_string();
            let field = message
                .split('`')
                .nth(1)
                .filter(|_| {
                    message.starts_with("unknown field") || message.starts_with("missing field")
                })
                .unwrap_or("body")
                .to_owned();
            ApiError::Unprocessable {
                detail: format!("the body does not match the expected shape: {message}"),
                errors: vec![crate::error::FieldError::new(field, message)],
            }
        }
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::bad_request(format!("the body is not valid JSON: {e}"))
        }
    }
}

/// Turns query string failures into a 400 naming the parameter.
pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    let api = query_problem(&err.to_string());
    actix_web::error::InternalError::from_response(err, api.error_response()).into()
}

/// The 400 for a query string serde could not read, naming the parameter when the message
/// does (an unknown or repeated one); shared by every query parser.
pub fn query_problem(message: &str) -> ApiError {
    match message.split('`').nth(1) {
        Some(param) if message.contains("unknown field") => {
            ApiError::bad_field(param, "is not a known query parameter")
        }
        Some(param) if message.contains("duplicate field") => {
            ApiError::bad_field(param, "may be given only once")
        }
        _ => ApiError::bad_request(format!("invalid query string: {message}")),
    }
}

/// Turns path segment failures into a 400 (or 404 for ids that cannot exist).
pub fn path_error(err: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    let api = ApiError::bad_request(format!("invalid path: {err}"));
    actix_web::error::InternalError::from_response(err, api.error_response()).into()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_errors_name_the_field() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct T {
            a: i32,
        }
        let e = serde_json::from_str::<T>(r#"{"a":1,"status":"published"}"#).unwrap_err();
        match json_syntax_error(&e) {
            ApiError::Unprocessable { errors, .. } => assert_eq!(errors[0].field, "status"),
            other => panic!("unexpected {other:?}"),
        }
        let e = serde_json::from_str::<T>("{").unwrap_err();
        assert_eq!(json_syntax_error(&e).status_code(), 400);
    }
}
