//! Speakers: the people quoted, with their titles and organisations, and what they said where.

mod appearances;

pub use appearances::{
    SpeakerArticle, SpeakerArticlePage, SpeakerArticlesQuery, list_speaker_articles,
};

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::pagination::{self, ListPage, decode_cursor, paginate};
use crate::api::patch::{Checks, not_null, patch_field};
use crate::api::query::{NoQuery, Sort, parse_fields};
use crate::auth::{Caller, Contributor, Editor, SignedIn};
use crate::db::content_support::{Keyset, latest_change_at};
use crate::db::speakers::{self as db, SpeakerRow};
use crate::error::ApiError;
use crate::http::cache::{CachePolicy, IfMatch, conditional_resource, write_response};
use crate::newsroom::policy::Actor;
use crate::newsroom::slugs;
use crate::newsroom::speakers::{self as core, NewSpeakerInput, SpeakerEdit};
use crate::state::AppState;
pub use crate::views::speakers::{SPEAKER_FIELDS, Speaker, SpeakerPage};

const NAME_MAX: usize = 200;
const TEXT_MAX: usize = 200;
const BIO_MAX: usize = 10_000;

/// A new speaker.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Amina Diallo", "title": "Minister of Finance", "organization": "Ministry of Finance"}))]
pub struct CreateSpeaker {
    /// Full name (1 to 200 characters).
    pub name: String,
    /// Lower-case letters, digits and single hyphens; made from the name when absent.
    pub slug: Option<String>,
    /// Job title (at most 200 characters).
    pub title: Option<String>,
    /// Organisation (at most 200 characters).
    pub organization: Option<String>,
    /// Short biography (at most 10,000 characters).
    pub bio: Option<String>,
    /// An existing media id for their portrait.
    pub photo_media_id: Option<String>,
}

/// Changes to a speaker, with JSON merge-patch semantics: absent fields stay as they are,
/// `null` clears a nullable field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Prime Minister", "bio": null}))]
pub struct UpdateSpeaker {
    /// Full name; cannot be null.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = String, required = false)]
    pub name: Option<Option<String>>,
    /// New slug; cannot be null.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = String, required = false)]
    pub slug: Option<Option<String>>,
    /// Job title.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    pub title: Option<Option<String>>,
    /// Organisation.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    pub organization: Option<Option<String>>,
    /// Short biography.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    pub bio: Option<Option<String>>,
    /// Portrait media id.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    pub photo_media_id: Option<Option<String>>,
}

/// Query parameters of the speaker list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SpeakerListQuery {
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `name` (default; letters compared without regard to case), `created_at` or `updated_at`;
    /// prefix `-` for descending.
    #[param(pattern = "^-?(name|created_at|updated_at)$")]
    pub sort: Option<String>,
    /// Comma-separated fields to return (`id` is always included).
    pub fields: Option<String>,
    /// `true` adds `total`.
    pub count: Option<bool>,
}

const SPEAKER_SORTS: &[(&str, &str)] = &[
    ("name", "speakers.name COLLATE NOCASE"),
    ("created_at", "speakers.created_at"),
    ("updated_at", "speakers.updated_at"),
];

fn speaker_path(id: &str) -> String {
    format!("/v1/speakers/{id}")
}

fn policy(state: &AppState, caller: &Caller) -> CachePolicy {
    CachePolicy::for_caller(caller, state.settings.cache_max_age)
}

/// Lists speakers, by name unless `sort` says otherwise.
#[utoipa::path(
    tag = "speakers",
    params(SpeakerListQuery),
    responses(
        (status = 200, description = "A page of speakers; `Link` points at the next page", body = SpeakerPage),
        (status = 304, description = "The client's copy is current"),
        (status = 400, description = "Unknown parameter, bad `limit`, `sort`, `fields` or `cursor`"),
        (status = 401, description = "Credentials were presented but are not valid")
    )
)]
#[get("/v1/speakers")]
pub async fn list_speakers(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<SpeakerListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let sort = Sort::parse(query.sort.as_deref(), SPEAKER_SORTS, "name")?;
    let fields = parse_fields(query.fields.as_deref(), SPEAKER_FIELDS)?;
    let fingerprint = sort.text();
    let after = decode_cursor(query.cursor.as_deref(), &fingerprint)?;
    let keyset = Keyset {
        column: sort.column,
        descending: sort.descending,
        after,
        fetch: limit + 1,
    };
    let want_total = query.count == Some(true);
    let page = state
        .db
        .read(move |conn| {
            let rows = db::list(conn, &keyset)?;
            let (rows, next_cursor) = paginate(rows, limit, &fingerprint, |row| {
                (speaker_sort_key(row, sort.field), row.id.clone())
            });
            let total = if want_total {
                Some(db::count(conn)?)
            } else {
                None
            };
            Ok(ListPage {
                items: rows.into_iter().map(Speaker::from).collect::<Vec<_>>(),
                next_cursor,
                total,
                last_modified: latest_change_at(conn)?,
            })
        })
        .await?;
    pagination::list_response(
        &req,
        &state.public_url,
        policy(&state, &caller),
        page,
        fields.as_deref(),
    )
}

fn speaker_sort_key(row: &SpeakerRow, field: &str) -> String {
    match field {
        "created_at" => row.created_at.clone(),
        "updated_at" => row.updated_at.clone(),
        _ => row.name.clone(),
    }
}

/// Creates a speaker. Contributors and above.
#[utoipa::path(
    tag = "speakers",
    request_body = CreateSpeaker,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created; `Location` and `ETag` are set", body = Speaker),
        (status = 400, description = "The body is not JSON"),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Not a contributor, editor or admin"),
        (status = 409, description = "Another speaker has this slug"),
        (status = 413, description = "The body is too large"),
        (status = 415, description = "The body is not `application/json`"),
        (status = 422, description = "Invalid or unknown fields, or a `photo_media_id` that does not exist")
    )
)]
#[post("/v1/speakers")]
pub async fn create_speaker(
    state: web::Data<AppState>,
    author: SignedIn<Contributor>,
    body: web::Json<CreateSpeaker>,
    _query: web::Query<NoQuery>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let mut checks = Checks::default();
    checks.required("name", &body.name, NAME_MAX);
    checks.optional("title", body.title.as_deref(), TEXT_MAX);
    checks.optional("organization", body.organization.as_deref(), TEXT_MAX);
    checks.optional("bio", body.bio.as_deref(), BIO_MAX);
    if let Some(slug) = &body.slug
        && !slugs::is_valid(slug)
    {
        checks.push(
            "slug",
            "must be 1 to 120 lower-case letters, digits and single hyphens, and not an id",
        );
    }
    let actor = Actor::of(&Caller::User(author.user))?;
    let input = NewSpeakerInput {
        slug: body.slug,
        name: body.name,
        title: body.title,
        organization: body.organization,
        bio: body.bio,
        photo_media_id: body.photo_media_id,
    };
    let row = state
        .db
        .write(move |conn| core::create(conn, &actor, input, checks.errors))
        .await?;
    let speaker = Speaker::from(row);
    write_response(Some(&speaker_path(&speaker.id)), &speaker, speaker.version)
}

/// Reads a speaker by id or slug.
#[utoipa::path(
    tag = "speakers",
    params(("id" = String, Path, description = "Speaker id or slug")),
    responses(
        (status = 200, description = "The speaker, with `ETag` and `Last-Modified`", body = Speaker),
        (status = 304, description = "The client's copy is current"),
        (status = 401, description = "Credentials were presented but are not valid"),
        (status = 404, description = "No such speaker")
    )
)]
#[get("/v1/speakers/{id}")]
pub async fn get_speaker(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    _query: web::Query<NoQuery>,
) -> Result<HttpResponse, ApiError> {
    let key = path.into_inner();
    let row = find_speaker(&state, key).await?;
    let body = serde_json::to_vec(&Speaker::from(row.clone())).map_err(ApiError::internal)?;
    Ok(conditional_resource(
        &req,
        body,
        row.version,
        crate::time::parse(&row.updated_at),
        policy(&state, &caller),
    ))
}

async fn find_speaker(state: &AppState, key: String) -> Result<SpeakerRow, ApiError> {
    state.db.read(move |conn| core::find(conn, &key)).await
}

/// Changes a speaker (JSON merge patch). Editors, and contributors for speakers they created
/// whom no published or scheduled article quotes; `If-Match` required. Articles quoting them
/// are rendered again, each a new version and revision.
#[utoipa::path(
    tag = "speakers",
    params(
        ("id" = String, Path, description = "Speaker id or slug"),
        ("If-Match" = String, Header, description = "The ETag of the speaker as last read")
    ),
    request_body = UpdateSpeaker,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed speaker, with its new `ETag`", body = Speaker),
        (status = 400, description = "The body is not JSON"),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "A partner key, or a contributor changing a speaker they did not create or one a published or scheduled article quotes"),
        (status = 404, description = "No such speaker"),
        (status = 409, description = "Another speaker has this slug"),
        (status = 412, description = "`If-Match` does not match the current version"),
        (status = 413, description = "The body is too large"),
        (status = 415, description = "The body is not `application/json`"),
        (status = 422, description = "Invalid, null or unknown fields"),
        (status = 428, description = "`If-Match` is missing")
    )
)]
#[patch("/v1/speakers/{id}")]
pub async fn update_speaker(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: SignedIn<Contributor>,
    path: web::Path<String>,
    body: web::Json<UpdateSpeaker>,
    _query: web::Query<NoQuery>,
) -> Result<HttpResponse, ApiError> {
    let if_match = IfMatch::required(&req)?;
    let key = path.into_inner();
    let body = body.into_inner();
    let mut checks = Checks::default();
    let name = not_null(&mut checks, "name", body.name);
    let slug = not_null(&mut checks, "slug", body.slug);
    if let Some(name) = &name {
        checks.required("name", name, NAME_MAX);
    }
    if let Some(slug) = &slug
        && !slugs::is_valid(slug)
    {
        checks.push(
            "slug",
            "must be 1 to 120 lower-case letters, digits and single hyphens, and not an id",
        );
    }
    for (field, value, max) in [
        ("title", &body.title, TEXT_MAX),
        ("organization", &body.organization, TEXT_MAX),
        ("bio", &body.bio, BIO_MAX),
    ] {
        checks.optional(field, value.as_ref().and_then(|v| v.as_deref()), max);
    }
    let actor = Actor::of(&Caller::User(user.user))?;
    let edit = SpeakerEdit {
        slug,
        name,
        title: body.title,
        organization: body.organization,
        bio: body.bio,
        photo_media_id: body.photo_media_id,
    };
    let public_url = state.public_url.to_string();
    let row = state
        .db
        .write(move |conn| {
            core::update(
                conn,
                &actor,
                &key,
                |version| if_match.check(version),
                edit,
                checks.errors,
                &public_url,
            )
        })
        .await?;
    let speaker = Speaker::from(row);
    write_response(None, &speaker, speaker.version)
}

/// Deletes a speaker who has no quotes. Editors and admins; `If-Match` required.
#[utoipa::path(
    tag = "speakers",
    params(
        ("id" = String, Path, description = "Speaker id or slug"),
        ("If-Match" = String, Header, description = "The ETag of the speaker as last read")
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Not an editor or admin"),
        (status = 404, description = "No such speaker"),
        (status = 409, description = "The speaker still has quotes; the detail says how many"),
        (status = 412, description = "`If-Match` does not match the current version"),
        (status = 428, description = "`If-Match` is missing")
    )
)]
#[delete("/v1/speakers/{id}")]
pub async fn delete_speaker(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: SignedIn<Editor>,
    path: web::Path<String>,
    _query: web::Query<NoQuery>,
) -> Result<HttpResponse, ApiError> {
    let if_match = IfMatch::required(&req)?;
    let key = path.into_inner();
    let actor = Actor::of(&Caller::User(user.user))?;
    state
        .db
        .write(move |conn| core::delete(conn, &actor, &key, |version| if_match.check(version)))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
