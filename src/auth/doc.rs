//! The rate limits in the OpenAPI document: every operation but the probes may answer 429,
//! whoever calls (per address without credentials, per user, per partner key).

use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::{Object, OpenApi, RefOr, Type};

use crate::auth::ratelimit::EXEMPT_PATHS;

fn header(description: &str, kind: Type) -> Header {
    HeaderBuilder::new()
        .schema(Some(Object::with_type(kind)))
        .description(Some(description))
        .build()
}

/// Adds the 429 answer, with `Retry-After` and the RateLimit fields, to every operation (the
/// probes and metrics are exempt).
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
            if op.responses.responses.contains_key("429") {
                continue;
            }
            let response = ResponseBuilder::new()
                .description(
                    "Rate limited: too many requests from this address (without credentials), \
                     by this signed-in user or with this API key",
                )
                .header(
                    "Retry-After",
                    header("Seconds to wait before retrying", Type::Integer),
                )
                .header(
                    "RateLimit-Policy",
                    header(
                        "The quota policy, e.g. `\"per-address\";q=600;w=60` or \
                         `\"per-user\";q=3000;w=60`",
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
