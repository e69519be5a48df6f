//! The OpenAPI document: the parts no handler states (info, servers, tags, security schemes)
//! and a finishing pass that gives every error response its problem+json schema.

use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::server::Server;
use utoipa::openapi::tag::Tag;
use utoipa::openapi::{Content, InfoBuilder, OpenApi, Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use crate::error::{PROBLEM_JSON, Problem};

/// Name of the bearer (JWT) security scheme.
pub const BEARER: &str = "bearer";
/// Name of the partner API key security scheme.
pub const API_KEY: &str = "api_key";

const TAGS: &[(&str, &str)] = &[
    (
        "articles",
        "News articles: drafts, publishing, revisions and corrections",
    ),
    (
        "speakers",
        "People quoted in the news, with their titles and organisations",
    ),
    (
        "quotes",
        "What speakers said, standing alone or attached to an article",
    ),
    ("media", "Photos with captions, credits and rights"),
    ("taxonomy", "Sections and tags with article counts"),
    (
        "search",
        "Full-text search across articles, speakers and quotes",
    ),
    (
        "feeds",
        "RSS, Atom, JSON Feed and IPTC ninjs for syndication",
    ),
    ("auth", "Sign-in, token refresh and sign-out for editors"),
    ("admin", "Users and partner API keys (admins only)"),
    ("operations", "Health, readiness, metrics and this document"),
];

/// Iterates the operations of a path item with their upper-case HTTP method names.
pub fn operations(item: &PathItem) -> impl Iterator<Item = (&'static str, &Operation)> {
    [
        ("GET", item.get.as_ref()),
        ("POST", item.post.as_ref()),
        ("PUT", item.put.as_ref()),
        ("PATCH", item.patch.as_ref()),
        ("DELETE", item.delete.as_ref()),
        ("HEAD", item.head.as_ref()),
        ("OPTIONS", item.options.as_ref()),
    ]
    .into_iter()
    .filter_map(|(method, op)| op.map(|op| (method, op)))
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.post.as_mut(),
        item.put.as_mut(),
        item.patch.as_mut(),
        item.delete.as_mut(),
        item.head.as_mut(),
        item.options.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// Adds `X-Cache` to the 200 and 304 answers of the reads the response cache may answer
/// (anonymous GETs under `/v1/`: see `crate::http::response_cache`).
fn document_response_cache(doc: &mut OpenApi) {
    use utoipa::openapi::header::HeaderBuilder;
    use utoipa::openapi::{Object, Type};
    for (path, item) in doc.paths.paths.iter_mut() {
        if !path.starts_with("/v1/") {
            continue;
        }
        let Some(op) = item.get.as_mut() else {
            continue;
        };
        for (status, response) in op.responses.responses.iter_mut() {
            if let ("200" | "304", RefOr::T(response)) = (status.as_str(), response) {
                let mut schema = Object::with_type(Type::String);
                schema.enum_values = Some(vec!["HIT".into(), "MISS".into()]);
                response.headers.insert(
                    "X-Cache".to_owned(),
                    RefOr::T(HeaderBuilder::new()
                        .schema(Some(schema))
                        .description(Some(
                            "On anonymous reads: `HIT` when answered from the server's response \
                             cache, `MISS` when read from the database (absent for signed-in \
                             users, partner keys and answers that are not kept)",
                        ))
                        .build()),
                );
            }
        }
    }
}

/// Every POST outside `/v1/auth/` goes through the `Idempotency-Key` middleware
/// (`crate::http::idempotency`): it takes the header, answers a malformed key with 400, a key
/// whose first request is still running with 409 and a key reused with another request with
/// 422, whatever the handler documents itself.
fn document_idempotency(doc: &mut OpenApi) {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::response::ResponseBuilder;
    use utoipa::openapi::{Object, Required, Type};
    for (path, item) in doc.paths.paths.iter_mut() {
        if !path.starts_with("/v1/") || path.starts_with("/v1/auth/") {
            continue;
        }
        let Some(op) = item.post.as_mut() else {
            continue;
        };
        let parameters = op.parameters.get_or_insert_with(Vec::new);
        let named = |p: &RefOr<utoipa::openapi::path::Parameter>| matches!(p, RefOr::T(p) if p.name == "Idempotency-Key");
        if !parameters.iter().any(named) {
            parameters.push(RefOr::T(
                ParameterBuilder::new()
                    .name("Idempotency-Key")
                    .parameter_in(ParameterIn::Header)
                    .required(Required::False)
                    .schema(Some(Object::with_type(Type::String)))
                    .description(Some(
                        "1 to 255 characters, kept 24 hours: the same key with the same \
                         request replays the first answer; while the first is still running \
                         it is a 409; with another request it is a 422",
                    ))
                    .build(),
            ));
        }
        for (status, description) in [
            (
                "400",
                "A malformed request, or an Idempotency-Key that is not 1 to 255 characters",
            ),
            (
                "409",
                "A request with the same Idempotency-Key is still being processed",
            ),
            (
                "422",
                "Invalid content, or an Idempotency-Key reused with another request",
            ),
        ] {
            op.responses
                .responses
                .entry(status.to_owned())
                .or_insert_with(|| {
                    RefOr::T(ResponseBuilder::new().description(description).build())
                });
        }
    }
}

/// Completes the document collected from the handlers.
pub fn finish(mut doc: OpenApi) -> OpenApi {
    crate::auth::doc::document_rate_limits(&mut doc);
    doc.info = InfoBuilder::new()
        .title("newsdesk")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "A headless content API for news: articles with their quotes, speakers and photos, \
             for front ends, partners and editors.\n\n\
             Errors are RFC 9457 `application/problem+json`. Reads of published content are \
             public; editors sign in at `POST /v1/auth/token` and send `Authorization: Bearer \
             <token>`; partners send `X-Api-Key`.\n\n\
             Every answer carries `X-Content-Type-Options: nosniff` and `Referrer-Policy: \
             no-referrer`, and all but the Swagger UI `Content-Security-Policy: default-src \
             'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`. Behind a \
             reverse proxy listed in `NEWSDESK_TRUSTED_PROXIES`, the client address for rate \
             limits is read from `Forwarded` or `X-Forwarded-For`.",
        ))
        .build();
    doc.servers = Some(vec![Server::new("/")]);

    document_response_cache(&mut doc);
    document_idempotency(&mut doc);
    let mut used_tags: Vec<String> = Vec::new();
    for item in doc.paths.paths.values_mut() {
        for op in operations_mut(item) {
            for tag in op.tags.iter().flatten() {
                if !used_tags.contains(tag) {
                    used_tags.push(tag.clone());
                }
            }
            for (status, response) in op.responses.responses.iter_mut() {
                let is_error = status.starts_with('4') || status.starts_with('5');
                if let (true, RefOr::T(response)) = (is_error, response)
                    && response.content.is_empty()
                {
                    response.content.insert(
                        PROBLEM_JSON.to_owned(),
                        RefOr::T(Content::new(Some(Ref::from_schema_name(Problem::name())))),
                    );
                }
            }
        }
    }
    doc.tags = Some(
        TAGS.iter()
            .filter(|(name, _)| used_tags.iter().any(|t| t == name))
            .map(|(name, description)| {
                let mut tag = Tag::new(*name);
                tag.description = Some((*description).to_owned());
                tag
            })
            .collect(),
    );

    let components = doc.components.get_or_insert_with(Default::default);
    components
        .schemas
        .insert(Problem::name().into_owned(), Problem::schema());
    components.schemas.insert(
        crate::error::FieldError::name().into_owned(),
        crate::error::FieldError::schema(),
    );
    components.security_schemes.insert(
        BEARER.to_owned(),
        RefOr::T(SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some("Access token from POST /v1/auth/token"))
                .build(),
        )),
    );
    components.security_schemes.insert(
        API_KEY.to_owned(),
        RefOr::T(SecurityScheme::ApiKey(ApiKey::Header(
            ApiKeyValue::with_description("X-Api-Key", "Partner API key, created by an admin"),
        ))),
    );
    doc
}
