//! Media: uploaded photos with captions, credits and rights, and their original files.

mod file;
mod upload;

pub use file::{ArticleUsage, MediaUsage, SpeakerUsage, get_media_usage};
pub use file::{ImageFile, MediaFileQuery, get_media_file};
pub use upload::{
    DEFAULT_MAX_PIXELS, MediaMetadata, MediaUpload, RENDITION_WIDTHS, create_media, store_image,
    store_image_limited, store_processed,
};

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, web};

use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::pagination::{self, ListPage, decode_cursor, paginate};
use crate::api::patch::{Checks, not_null, patch_field};
use crate::api::query::{NoQuery, Sort, parse_fields};
use crate::auth::{Caller, Contributor, Editor, SignedIn};
use crate::db::content_support::{Keyset, latest_change_at};
use crate::db::media::{self as db, MediaChanges, MediaRow};
use crate::error::ApiError;
use crate::http::cache::{CachePolicy, IfMatch, conditional_resource, write_response};
use crate::media::MediaStore;
use crate::newsroom::media as core;
use crate::newsroom::policy::Actor;
use crate::newsroom::visibility::Viewer;
use crate::state::AppState;
pub use crate::views::media::{FocalPoint, MEDIA_FIELDS, Media, MediaPage, Rendition};

const TEXT_MAX: usize = 2_000;

/// Changes to a photo's metadata, with JSON merge-patch semantics: absent fields stay as they
/// are, `null` clears a nullable field. The file itself cannot be changed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"caption": "The minister after the vote.", "focal_point": {"x": 0.4, "y": 0.25}}))]
pub struct UpdateMedia {
    /// Caption.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    pub caption: Option<Option<String>>,
    /// Credit line.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    pub credit: Option<Option<String>>,
    /// Text alternative.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    pub alt_text: Option<Option<String>>,
    /// Copyright notice.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    pub copyright: Option<Option<String>>,
    /// Licence terms.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    pub license: Option<Option<String>>,
    /// Whether partners may republish it; cannot be null.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = bool, required = false)]
    pub syndication_allowed: Option<Option<bool>>,
    /// When the right to use it ends (RFC 3339).
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub usage_expires: Option<Option<String>>,
    /// Point of interest; null clears it.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<FocalPoint>)]
    pub focal_point: Option<Option<FocalPoint>>,
}

/// Query parameters of the media list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MediaListQuery {
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `created_at` or `updated_at`; prefix `-` for descending (default `-created_at`).
    #[param(pattern = "^-?(created_at|updated_at)$")]
    pub sort: Option<String>,
    /// Comma-separated fields to return (`id` is always included).
    pub fields: Option<String>,
    /// `true` adds `total`.
    pub count: Option<bool>,
}

const MEDIA_SORTS: &[(&str, &str)] = &[
    ("created_at", "media.created_at"),
    ("updated_at", "media.updated_at"),
];

fn check_expiry(checks: &mut Checks, value: Option<&str>) {
    if let Some(text) = value
        && crate::time::parse(text).is_none()
    {
        checks.push("usage_expires", "must be an RFC 3339 time");
    }
}

fn check_focal_point(checks: &mut Checks, point: FocalPoint) {
    if !(0.0..=1.0).contains(&point.x) || !(0.0..=1.0).contains(&point.y) {
        checks.push("focal_point", "x and y must be between 0 and 1");
    }
}

fn policy(state: &AppState, caller: &Caller) -> CachePolicy {
    CachePolicy::for_caller(caller, state.settings.cache_max_age)
}

/// Lists photos, newest first unless `sort` says otherwise. The public sees only photos used
/// by a publicly visible article or by a speaker; signed-in users see all.
#[utoipa::path(
    tag = "media",
    params(MediaListQuery),
    responses(
        (status = 200, description = "A page of media; `Link` points at the next page", body = MediaPage),
        (status = 304, description = "The client's copy is current"),
        (status = 400, description = "Unknown parameter, bad `limit`, `sort`, `fields` or `cursor`"),
        (status = 401, description = "Credentials were presented but are not valid")
    )
)]
#[get("/v1/media")]
pub async fn list_media(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<MediaListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let sort = Sort::parse(query.sort.as_deref(), MEDIA_SORTS, "-created_at")?;
    let fields = parse_fields(query.fields.as_deref(), MEDIA_FIELDS)?;
    let fingerprint = sort.text();
    let after = decode_cursor(query.cursor.as_deref(), &fingerprint)?;
    let keyset = Keyset {
        column: sort.column,
        descending: sort.descending,
        after,
        fetch: limit + 1,
    };
    let want_total = query.count == Some(true);
    let viewer = Viewer::of(&caller);
    let now = crate::time::now();
    let public_url = state.public_url.to_string();
    let page = state
        .db
        .read(move |conn| {
            let rows = db::list(conn, &viewer, &now, &keyset)?;
            let (rows, next_cursor) = paginate(rows, limit, &fingerprint, |row| {
                let key = match sort.field {
                    "updated_at" => row.updated_at.clone(),
                    _ => row.created_at.clone(),
                };
                (key, row.id.clone())
            });
            let total = if want_total {
                Some(db::count(conn, &viewer, &now)?)
            } else {
                None
            };
            Ok(ListPage {
                items: rows
                    .into_iter()
                    .map(|row| Media::from_row(row, &public_url))
                    .collect::<Vec<_>>(),
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

/// The media item `id` if `caller` may see it, else a 404.
async fn find_visible(state: &AppState, caller: &Caller, id: String) -> Result<MediaRow, ApiError> {
    let viewer = Viewer::of(caller);
    state
        .db
        .read(move |conn| {
            db::find_visible(conn, &id, &viewer, &crate::time::now())?
                .ok_or_else(|| ApiError::not_found("media", &id))
        })
        .await
}

/// Reads a photo's metadata. The public sees only photos used by a publicly visible article or
/// by a speaker.
#[utoipa::path(
    tag = "media",
    params(("id" = String, Path, description = "Media id")),
    responses(
        (status = 200, description = "The photo's metadata, with `ETag` and `Last-Modified`", body = Media),
        (status = 304, description = "The client's copy is current"),
        (status = 401, description = "Credentials were presented but are not valid"),
        (status = 404, description = "No such media, or not visible to the caller")
    )
)]
#[get("/v1/media/{id}")]
pub async fn get_media(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    _query: web::Query<NoQuery>,
) -> Result<HttpResponse, ApiError> {
    let row = find_visible(&state, &caller, path.into_inner()).await?;
    let version = row.version;
    let updated = crate::time::parse(&row.updated_at);
    let body =
        serde_json::to_vec(&Media::from_row(row, &state.public_url)).map_err(ApiError::internal)?;
    Ok(conditional_resource(
        &req,
        body,
        version,
        updated,
        policy(&state, &caller),
    ))
}

/// Changes a photo's metadata (JSON merge patch). Editors, and contributors for photos they
/// uploaded that no published or scheduled article shows; rights fields (`syndication_allowed`,
/// `license`, `usage_expires`) are editors' alone. `If-Match` required.
#[utoipa::path(
    tag = "media",
    params(
        ("id" = String, Path, description = "Media id"),
        ("If-Match" = String, Header, description = "The ETag of the media as last read")
    ),
    request_body = UpdateMedia,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed metadata, with its new `ETag`", body = Media),
        (status = 400, description = "The body is not JSON"),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "A partner key, a contributor changing rights fields, a photo they did not upload or one a published or scheduled article shows"),
        (status = 404, description = "No such media"),
        (status = 412, description = "`If-Match` does not match the current version"),
        (status = 413, description = "The body is too large"),
        (status = 415, description = "The body is not `application/json`"),
        (status = 422, description = "Invalid, null or unknown fields"),
        (status = 428, description = "`If-Match` is missing")
    )
)]
#[patch("/v1/media/{id}")]
pub async fn update_media(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: SignedIn<Contributor>,
    path: web::Path<String>,
    body: web::Json<UpdateMedia>,
    _query: web::Query<NoQuery>,
) -> Result<HttpResponse, ApiError> {
    let if_match = IfMatch::required(&req)?;
    let id = path.into_inner();
    let body = body.into_inner();
    let mut checks = Checks::default();
    for (field, value) in [
        ("caption", &body.caption),
        ("credit", &body.credit),
        ("alt_text", &body.alt_text),
        ("copyright", &body.copyright),
        ("license", &body.license),
    ] {
        checks.optional(field, value.as_ref().and_then(|v| v.as_deref()), TEXT_MAX);
    }
    check_expiry(
        &mut checks,
        body.usage_expires.as_ref().and_then(|v| v.as_deref()),
    );
    if let Some(Some(point)) = body.focal_point {
        check_focal_point(&mut checks, point);
    }
    let syndication = not_null(&mut checks, "syndication_allowed", body.syndication_allowed);
    checks.finish()?;
    let public_url = state.public_url.to_string();
    let changes = MediaChanges {
        caption: body.caption,
        credit: body.credit,
        alt_text: body.alt_text,
        copyright: body.copyright,
        license: body.license,
        syndication_allowed: syndication,
        usage_expires: body
            .usage_expires
            .map(|v| v.as_deref().and_then(crate::time::normalize)),
        focal_x: body.focal_point.map(|p| p.map(|p| p.x)),
        focal_y: body.focal_point.map(|p| p.map(|p| p.y)),
        updated_at: None,
        version: None,
    };
    let actor = Actor::of(&Caller::User(user.user))?;
    let row = state
        .db
        .write({
            let public_url = public_url.clone();
            move |conn| {
                core::update(
                    conn,
                    &actor,
                    &id,
                    |version| if_match.check(version),
                    changes,
                    &public_url,
                )
            }
        })
        .await?;
    let media = Media::from_row(row, &public_url);
    write_response(None, &media, media.version)
}

/// Deletes a photo no article or speaker uses; its original, renditions and cached crops go
/// too when no other record shares them. Editors and admins; `If-Match` required.
#[utoipa::path(
    tag = "media",
    params(
        ("id" = String, Path, description = "Media id"),
        ("If-Match" = String, Header, description = "The ETag of the media as last read")
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Not an editor or admin"),
        (status = 404, description = "No such media"),
        (status = 409, description = "An article or speaker still uses it; the detail says how many"),
        (status = 412, description = "`If-Match` does not match the current version"),
        (status = 428, description = "`If-Match` is missing")
    )
)]
#[delete("/v1/media/{id}")]
pub async fn delete_media(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: SignedIn<Editor>,
    path: web::Path<String>,
    _query: web::Query<NoQuery>,
) -> Result<HttpResponse, ApiError> {
    let if_match = IfMatch::required(&req)?;
    let id = path.into_inner();
    let store = MediaStore::new(&state.settings.media_dir);
    let crop_cache = crate::media::renditions::CropCache::new(
        &state.settings.media_dir,
        state.settings.crop_cache_bytes,
    );
    let actor = Actor::of(&Caller::User(user.user))?;
    state
        .db
        .write(move |conn| {
            core::delete(
                conn,
                &actor,
                &id,
                |version| if_match.check(version),
                &store,
                &crop_cache,
            )
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
