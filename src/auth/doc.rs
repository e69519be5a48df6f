//! The rate limits in the OpenAPI document: every operation a caller without credentials or
//! with a partner key can reach may answer 429.

use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::{Object, OpenApi, RefOr, Type};

use crate::api::doc::API_KEY;
use crate::auth::ratelimit::EXEMPT_PATHS;

fn reachable_without_a_user(op: &Operation) -> bool {
    match &op.security {
        None => true,
        Some(requirements) => {
            requirements
                .iter()
                .any(|requirement| match serde_json::to_value(requirement) {
                    Ok(serde_json::Value::Object(map)) => {
                        map.is_empty() || map.contains_key(API_KEY)
                    }
                    _ => false,
                })
        }
    }
}

fn header(description: &str, kind: Type) -> Header {
    HeaderBuilder::new()
        .schema(Some(Object::with_type(kind)))
        .description(Some(description))
        .build()
}

/// Adds the 429 answer, with `Retry-After` and the RateLimit fields, to every operation that
/// anonymous callers or partner keys can reach (the probes and metrics are exempt).
pub fn document_rate_limits(doc: &mut OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        if EXEMPT_PATHS.contains(&path.as_str()) {
            continue;
        }
        let operations = [
            item.get.as_mut(),
            item.post.as_mut(),
            item.put.as_mut(),
            item.patch.as_mut(),
            item.delete.as_mut(),
        ];
        for op in operations.into_iter().flatten() {
            if !reachable_without_a_user(op) || op.responses.responses.contains_key("429") {
                continue;
            }
            let response = ResponseBuilder::new()
                .description(
                    "Rate limited: too many requests from this address (without credentials) \
                     or with this API key",
                )
                .header(
                    "Retry-After",
                    header("Seconds to wait before retrying", Type::Integer),
                )
                .header(
                    "RateLimit-Policy",
                    header(
                        "The quota policy, e.g. `\"per-address\";q=600;w=60`",
                        Type::String,
                    ),
                )
                .header(
                    "RateLimit",
                    header(
                        "What is left, e.g. `\"per-address\";r=0;t=12`",
                        Type::String,
                    ),
                )
                .build();
            op.responses
                .responses
                .insert("429".to_owned(), RefOr::T(response));
        }
    }
}
