//! Sign-in and session endpoints under `/v1/auth`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::tokens::ACCESS_TOKEN_SECONDS;
use crate::auth::users::{self as accounts, TokenPair};
use crate::auth::{Caller, Contributor, SignedIn};
use crate::db;
use crate::error::ApiError;
use crate::http::cache::{CachePolicy, conditional};
use crate::http::client::client_address;
use crate::state::AppState;
use crate::views::api_keys::ApiKey;
use crate::views::users::User;

/// Credentials for signing in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "editor@example-news.com", "password": "correct horse battery staple"}))]
pub struct TokenRequest {
    /// The account's email (case does not matter).
    pub email: String,
    /// The account's password.
    pub password: String,
}

/// A new access token and refresh token.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "access_token": "eyJhbGciOiJIUzI1NiJ9...",
    "token_type": "Bearer",
    "expires_in": 900,
    "refresh_token": "ndr_3q2-7wEXAMPLE"
}))]
pub struct TokenResponse {
    /// A JWT to send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Single-use opaque token for `POST /v1/auth/refresh`.
    pub refresh_token: String,
}

/// The answer carrying a token pair; never stored by caches.
pub fn token_response(pair: TokenPair) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(TokenResponse {
            access_token: pair.access_token,
            token_type: "Bearer".to_owned(),
            expires_in: ACCESS_TOKEN_SECONDS,
            refresh_token: pair.refresh_token,
        })
}

/// Signs in with email and password. A wrong password, an unknown email and a disabled account
/// all get the same 401.
#[utoipa::path(
    tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 400, description = "The body is not valid JSON"),
        (status = 401, description = "The email or password is wrong"),
        (status = 413, description = "The body is too large"),
        (status = 415, description = "The body is not application/json"),
        (status = 422, description = "The body has unknown or missing fields"),
        (status = 429, description = "Too many failed sign-ins from this address or for this email; attempts still being checked count too")
    ),
    security(())
)]
#[post("/v1/auth/token")]
pub async fn issue_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<TokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let TokenRequest { email, password } = body.into_inner();
    let key = accounts::normalize_email(&email);
    let attempt = match state
        .auth
        .limits
        .sign_in
        .reserve(client_address(&req), &key)
    {
        Ok(attempt) => attempt,
        Err(refused) => return Ok(refused.refusal(THROTTLED)),
    };
    let user = accounts::check_password(&state.db, &email, &password, attempt).await?;
    let pair = accounts::start_session(&state, &user).await?;
    Ok(token_response(pair))
}

/// The detail of a 429 from the sign-in throttle.
const THROTTLED: &str =
    "too many failed password checks from this address or for this account; retry later";

/// Who is calling: a signed-in user's account, or a partner key's details.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Me {
    /// A signed-in user (`"kind": "user"`).
    User(User),
    /// A partner API key (`"kind": "api_key"`).
    ApiKey(ApiKey),
}

/// Who the caller is: the signed-in user's account (`kind: user`), or the partner key's details
/// (`kind: api_key`, never the key itself).
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, description = "The caller", body = Me),
        (status = 304, description = "The client's copy is current"),
        (status = 401, description = "No valid credentials")
    ),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/v1/auth/me")]
pub async fn get_me(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let me = match caller {
        Caller::Anonymous => {
            return Err(ApiError::Unauthorized {
                detail: "send `Authorization: Bearer <access token>` or `X-Api-Key`".to_owned(),
            });
        }
        Caller::User(user) => {
            let id = user.id.clone();
            let row = state
                .db
                .read(move |conn| Ok(db::users::find(conn, &id)?))
                .await?
                .ok_or_else(|| ApiError::not_found("user", &user.id))?;
            Me::User(User::try_from(row)?)
        }
        Caller::Partner(partner) => {
            let id = partner.key_id.clone();
            let row = state
                .db
                .read(move |conn| Ok(db::api_keys::find(conn, &id)?))
                .await?
                .ok_or_else(|| ApiError::not_found("API key", &partner.key_id))?;
            Me::ApiKey(ApiKey::try_from(row)?)
        }
    };
    let updated_at = match &me {
        Me::User(user) => user.updated_at.clone(),
        Me::ApiKey(key) => key.updated_at.clone(),
    };
    let body = serde_json::to_vec(&me).map_err(ApiError::internal)?;
    Ok(conditional(
        &req,
        "application/json",
        body,
        crate::time::parse(&updated_at),
        CachePolicy::Private,
    ))
}

/// A refresh token to exchange.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token from the last sign-in or refresh.
    pub refresh_token: String,
}

/// Exchanges a refresh token for a new access token and a new refresh token. Each refresh
/// token works once; presenting a spent one revokes every token descended from the same
/// sign-in.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenResponse),
        (status = 400, description = "The body is not valid JSON"),
        (status = 401, description = "The refresh token is unknown, spent, revoked or expired"),
        (status = 415, description = "The body is not application/json"),
        (status = 422, description = "The body has unknown or missing fields"),
        (status = 429, description = "Too many requests from this address")
    ),
    security(())
)]
#[post("/v1/auth/refresh")]
pub async fn refresh_token(
    state: web::Data<AppState>,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let pair = accounts::rotate_refresh_token(&state, &body.refresh_token).await?;
    Ok(token_response(pair))
}

/// Signs out everywhere: every access and refresh token of the signed-in user stops working.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Partner API keys cannot sign out")
    ),
    security(("bearer" = []))
)]
#[post("/v1/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    caller: SignedIn<Contributor>,
) -> Result<HttpResponse, ApiError> {
    accounts::sign_out(&state.db, &caller.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A password change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password in use now.
    pub current_password: String,
    /// The new password, at least 10 characters.
    pub new_password: String,
}

/// Changes the signed-in user's own password. Every earlier access and refresh token stops
/// working; the answer carries a new pair.
#[utoipa::path(
    tag = "auth",
    request_body = PasswordChange,
    responses(
        (status = 200, description = "Changed; a new token pair", body = TokenResponse),
        (status = 400, description = "The body is not valid JSON"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Partner API keys have no password"),
        (status = 415, description = "The body is not application/json"),
        (status = 422, description = "The current password is wrong or the new one too short"),
        (status = 429, description = "Too many wrong passwords from this address or for this account (they count with failed sign-ins)")
    ),
    security(("bearer" = []))
)]
#[post("/v1/auth/password")]
pub async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: SignedIn<Contributor>,
    body: web::Json<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    let PasswordChange {
        current_password,
        new_password,
    } = body.into_inner();
    let key = accounts::normalize_email(&caller.email);
    let attempt = match state
        .auth
        .limits
        .sign_in
        .reserve(client_address(&req), &key)
    {
        Ok(attempt) => attempt,
        Err(refused) => return Ok(refused.refusal(THROTTLED)),
    };
    let pair = accounts::change_password(
        &state,
        &caller.id,
        &current_password,
        &new_password,
        attempt,
    )
    .await?;
    Ok(token_response(pair))
}
