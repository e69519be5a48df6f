//! Users: the public shape of an account, and the admin-only `/v1/users` endpoints.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::pagination::{CREATION_ORDER, ListQuery, Page, private_page};
use crate::auth::users::{self as accounts, NewUser};
use crate::auth::{Admin, Role, SignedIn, password};
use crate::db;
use crate::db::users::UserChanges;
use crate::error::{ApiError, FieldError};
use crate::http::cache::{CachePolicy, IfMatch, resource_response, write_response};
use crate::state::AppState;
pub use crate::views::users::User;

/// A new user, created by an admin.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "email": "reporter@example-news.com",
    "display_name": "A. Reporter",
    "role": "contributor",
    "password": "a long passphrase of words"
}))]
pub struct CreateUser {
    /// The sign-in email; unique whatever its case.
    pub email: String,
    /// The name shown in admin tools (default: the part of the email before `@`).
    pub display_name: Option<String>,
    /// What the user may do.
    pub role: Role,
    /// At least 10 characters.
    pub password: String,
}

/// Changes to a user; absent fields stay as they are. A new role, a new password or disabling
/// revokes every token the user holds.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "editor"}))]
pub struct UpdateUser {
    /// A new display name.
    pub display_name: Option<String>,
    /// A new role.
    pub role: Option<Role>,
    /// `true` disables the account (sign-in and every token refused); `false` enables it.
    pub disabled: Option<bool>,
    /// A new password (at least 10 characters).
    pub password: Option<String>,
}

/// Lists users, oldest first.
#[utoipa::path(
    tag = "admin",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of users", body = Page<User>),
        (status = 304, description = "The client's copy is current"),
        (status = 400, description = "A bad limit, cursor or unknown parameter"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Only admins manage users")
    ),
    security(("bearer" = []))
)]
#[get("/v1/users")]
pub async fn list_users(
    req: HttpRequest,
    state: web::Data<AppState>,
    _admin: SignedIn<Admin>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = query.position(CREATION_ORDER)?;
    let rows = state
        .db
        .read(move |conn| {
            let after = after.as_ref().map(|(k, i)| (k.as_str(), i.as_str()));
            Ok(db::users::list(conn, after, limit + 1)?)
        })
        .await?;
    private_page(
        rows,
        limit,
        CREATION_ORDER,
        |r| (r.created_at.clone(), r.id.clone()),
        User::try_from,
        &req,
        &state.public_url,
    )
}

/// Creates a user.
#[utoipa::path(
    tag = "admin",
    request_body = CreateUser,
    responses(
        (status = 201, description = "Created", body = User,
            headers(("Location" = String, description = "The new user's URL"))),
        (status = 400, description = "The body is not valid JSON"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Only admins manage users"),
        (status = 409, description = "A user with this email exists"),
        (status = 415, description = "The body is not application/json"),
        (status = 422, description = "An invalid email, role or password")
    ),
    security(("bearer" = []))
)]
#[post("/v1/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    _admin: SignedIn<Admin>,
    body: web::Json<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    let CreateUser {
        email,
        display_name,
        role,
        password,
    } = body.into_inner();
    let row = accounts::create_user(
        &state.db,
        NewUser {
            email,
            display_name,
            role,
            password,
        },
    )
    .await?;
    let user = User::try_from(row)?;
    write_response(Some(&format!("/v1/users/{}", user.id)), &user, user.version)
}

/// One user.
#[utoipa::path(
    tag = "admin",
    params(("id" = String, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The user", body = User),
        (status = 304, description = "The client's copy is current"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Only admins manage users"),
        (status = 404, description = "No such user")
    ),
    security(("bearer" = []))
)]
#[get("/v1/users/{id}")]
pub async fn get_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    _admin: SignedIn<Admin>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let key = id.clone();
    let row = state
        .db
        .read(move |conn| Ok(db::users::find(conn, &key)?))
        .await?
        .ok_or_else(|| ApiError::not_found("user", &id))?;
    let user = User::try_from(row)?;
    let last_modified = crate::time::parse(&user.updated_at);
    resource_response(
        &req,
        &user,
        user.version,
        last_modified,
        CachePolicy::Private,
    )
}

/// Changes a user's role, display name or password, or disables it. Requires `If-Match`.
/// Admins cannot change their own role or disable themselves.
#[utoipa::path(
    tag = "admin",
    params(
        ("id" = String, Path, description = "The user's id"),
        ("If-Match" = String, Header, description = "The ETag of your copy")
    ),
    request_body = UpdateUser,
    responses(
        (status = 200, description = "The changed user", body = User),
        (status = 400, description = "The body is not valid JSON"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Only admins manage users"),
        (status = 404, description = "No such user"),
        (status = 409, description = "An admin cannot demote or disable themselves"),
        (status = 412, description = "The user changed since your copy"),
        (status = 415, description = "The body is not application/json"),
        (status = 422, description = "An invalid value"),
        (status = 428, description = "If-Match is missing")
    ),
    security(("bearer" = []))
)]
#[patch("/v1/users/{id}")]
pub async fn update_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: SignedIn<Admin>,
    id: web::Path<String>,
    body: web::Json<UpdateUser>,
) -> Result<HttpResponse, ApiError> {
    let if_match = IfMatch::required(&req)?;
    let id = id.into_inner();
    let changes = body.into_inner();
    if id == admin.id
        && (changes.role.is_some_and(|r| r != admin.role) || changes.disabled == Some(true))
    {
        return Err(ApiError::Conflict {
            detail: "admins cannot change their own role or disable themselves; ask another admin"
                .to_owned(),
        });
    }
    let mut errors = Vec::new();
    if let Some(name) = &changes.display_name
        && (name.trim().is_empty() || name.chars().count() > 200)
    {
        errors.push(FieldError::new(
            "display_name",
            "must be 1 to 200 characters long",
        ));
    }
    if let Some(password) = &changes.password
        && let Err(message) = password::check_strength(password)
    {
        errors.push(FieldError::new("password", message));
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let password_hash = match changes.password {
        Some(p) => Some(password::hash_off_thread(p).await?),
        None => None,
    };
    let key = id.clone();
    let row = state
        .db
        .write(move |conn| {
            let current =
                db::users::find(conn, &key)?.ok_or_else(|| ApiError::not_found("user", &key))?;
            if_match.check(current.version)?;
            let now = crate::time::now();
            let role_changes = changes.role.is_some_and(|r| r.as_str() != current.role);
            let disables = changes.disabled == Some(true) && !current.disabled;
            if role_changes || disables || password_hash.is_some() {
                accounts::revoke_all_tokens(conn, &current, &now)?;
            }
            db::users::update(
                conn,
                &key,
                &UserChanges {
                    display_name: changes.display_name.map(|n| n.trim().to_owned()),
                    role: changes.role.map(|r| r.as_str().to_owned()),
                    password_hash,
                    disabled: changes.disabled,
                    token_version: None,
                    updated_at: Some(now),
                    version: Some(current.version + 1),
                },
            )?;
            db::users::find(conn, &key)?.ok_or_else(|| ApiError::not_found("user", &key))
        })
        .await?;
    let user = User::try_from(row)?;
    write_response(None, &user, user.version)
}
