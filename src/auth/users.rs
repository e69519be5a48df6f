//! Users and sessions: creating users, signing in, rotating refresh tokens, and turning
//! presented credentials into a [`Caller`].

use actix_web::{HttpMessage, HttpRequest, web};
use chrono::{Duration, Utc};

use crate::auth::ratelimit::Reservation;
use crate::auth::tokens::{self, REFRESH_TOKEN_DAYS, invalid_credentials};
use crate::auth::{Caller, PartnerCaller, Role, Scope, UserCaller, password};
use crate::config::Rate;
use crate::db::refresh_tokens::NewRefreshTokenRow;
use crate::db::users::{NewUserRow, UserRow};
use crate::db::{self, Db};
use crate::error::{ApiError, FieldError};
use crate::state::AppState;

/// The prefix of every refresh token, so a leaked one is recognisable.
pub const REFRESH_TOKEN_PREFIX: &str = "ndr_";

/// What is needed to create a user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The sign-in email (compared case-insensitively).
    pub email: String,
    /// The name shown in admin tools; defaults to the part of the email before `@`.
    pub display_name: Option<String>,
    /// The role.
    pub role: Role,
    /// The password in clear, hashed before it is stored.
    pub password: String,
}

/// A freshly issued access and refresh token.
#[derive(Debug, Clone)]
pub struct TokenPair {
    /// The access JWT.
    pub access_token: String,
    /// The opaque refresh token.
    pub refresh_token: String,
}

/// The partner key's own rate limit, noted on the request for the rate limiter.
#[derive(Debug, Clone, Copy)]
pub struct KeyRate(pub Rate);

/// The one form in which emails are stored and compared.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Checks the fields of a new user; each problem names its field.
pub fn validate_new_user(user: &NewUser) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let email = normalize_email(&user.email);
    let plausible = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
        && !email.chars().any(char::is_whitespace);
    if !plausible {
        errors.push(FieldError::new("email", "must be an email address"));
    }
    if let Some(name) = &user.display_name
        && (name.trim().is_empty() || name.chars().count() > 200)
    {
        errors.push(FieldError::new(
            "display_name",
            "must be 1 to 200 characters long",
        ));
    }
    if let Err(message) = password::check_strength(&user.password) {
        errors.push(FieldError::new("password", message));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(errors))
    }
}

/// Creates a user (the password is hashed on the blocking pool). A taken email is a 409.
pub async fn create_user(db: &Db, user: NewUser) -> Result<UserRow, ApiError> {
    validate_new_user(&user)?;
    let email = normalize_email(&user.email);
    let display_name = user
        .display_name
        .map(|n| n.trim().to_owned())
        .unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_owned());
    let password_hash = password::hash_off_thread(user.password).await?;
    let id = uuid::Uuid::now_v7().to_string();
    let role = user.role;
    db.write(move |conn| {
        if db::users::find_by_email(conn, &email)?.is_some() {
            return Err(ApiError::Conflict {
                detail: format!("a user with the email `{email}` already exists"),
            });
        }
        let now = crate::time::now();
        db::users::insert(
            conn,
            &NewUserRow {
                id: &id,
                email: &email,
                display_name: &display_name,
                role: role.as_str(),
                password_hash: &password_hash,
                created_at: &now,
                updated_at: &now,
            },
        )?;
        db::users::find(conn, &id)?.ok_or_else(|| ApiError::internal("inserted user vanished"))
    })
    .await
}

/// The one answer to every failed sign-in, whatever failed.
pub fn failed_sign_in() -> ApiError {
    invalid_credentials("the email or password is wrong")
}

/// Compares a password with a stored hash (or the dummy one) in the place `attempt` holds in
/// the sign-in throttle: every password comparison goes through here, so none happens without
/// a reservation, and only a wrong password stays counted.
async fn verify_reserved(
    attempt: Reservation<'_>,
    password: &str,
    hash: Option<String>,
) -> Result<bool, ApiError> {
    let matches = password::verify_off_thread(password.to_owned(), hash).await?;
    if matches {
        attempt.give_back();
    }
    Ok(matches)
}

/// Checks an email and password, in the place `attempt` holds in the sign-in throttle. An
/// unknown email is checked against a dummy hash so that it takes as long as a wrong password,
/// and both get the same answer; so does a disabled user.
pub async fn check_password(
    db: &Db,
    email: &str,
    password: &str,
    attempt: Reservation<'_>,
) -> Result<UserRow, ApiError> {
    let email = normalize_email(email);
    let row = db
        .read(move |conn| Ok(db::users::find_by_email(conn, &email)?))
        .await?;
    let matches = verify_reserved(
        attempt,
        password,
        row.as_ref().map(|u| u.password_hash.clone()),
    )
    .await?;
    match row {
        Some(user) if matches && !user.disabled => Ok(user),
        _ => Err(failed_sign_in()),
    }
}

/// Starts a session for a user: a new refresh token family and an access token.
pub async fn start_session(state: &AppState, user: &UserRow) -> Result<TokenPair, ApiError> {
    let refresh_token = tokens::new_secret(REFRESH_TOKEN_PREFIX);
    let hash = tokens::digest(&refresh_token);
    let user_id = user.id.clone();
    let version = user.token_version;
    state
        .db
        .write(move |conn| {
            let family = uuid::Uuid::now_v7().to_string();
            insert_refresh_token(conn, &hash, &family, &user_id, version)
        })
        .await?;
    Ok(TokenPair {
        access_token: state.auth.tokens.issue(&user.id, user.token_version)?,
        refresh_token,
    })
}

fn insert_refresh_token(
    conn: &mut diesel::SqliteConnection,
    hash: &str,
    family: &str,
    user_id: &str,
    token_version: i64,
) -> Result<(), ApiError> {
    let now = Utc::now();
    let id = uuid::Uuid::now_v7().to_string();
    db::refresh_tokens::insert(
        conn,
        &NewRefreshTokenRow {
            id: &id,
            token_hash: hash,
            family_id: family,
            user_id,
            token_version,
            expires_at: &crate::time::format(now + Duration::days(REFRESH_TOKEN_DAYS)),
            created_at: &crate::time::format(now),
        },
    )?;
    Ok(())
}

/// The caller behind a bearer token: the token must verify, and its user must exist, be
/// enabled and not have revoked it since (one primary-key read).
pub async fn caller_from_token(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    let claims = state.auth.tokens.verify(token)?;
    let sub = claims.sub.clone();
    let user = state
        .db
        .read(move |conn| Ok(db::users::find(conn, &sub)?))
        .await?
        .ok_or_else(|| invalid_credentials("the access token is not valid"))?;
    if user.disabled {
        return Err(invalid_credentials("this account is disabled"));
    }
    if user.token_version != claims.ver {
        return Err(invalid_credentials("the access token has been revoked"));
    }
    let role = user.role.parse::<Role>().map_err(ApiError::internal)?;
    Ok(Caller::User(UserCaller {
        id: user.id,
        email: user.email,
        role,
    }))
}

/// The caller behind a partner API key: it must exist and not be revoked. The key's own rate
/// limit is noted on the request.
pub async fn caller_from_api_key(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    key: &str,
) -> Result<Caller, ApiError> {
    let hash = tokens::digest(key);
    let row = state
        .db
        .read(move |conn| Ok(db::api_keys::find_by_hash(conn, &hash)?))
        .await?
        .filter(|row| row.revoked_at.is_none())
        .ok_or_else(|| invalid_credentials("the API key is not valid or has been revoked"))?;
    let scopes = parse_scopes(&row.scopes)?;
    req.extensions_mut().insert(KeyRate(Rate {
        count: u32::try_from(row.rate_limit_count).unwrap_or(u32::MAX),
        period: std::time::Duration::from_secs(
            u64::try_from(row.rate_limit_period_secs)
                .unwrap_or(60)
                .max(1),
        ),
    }));
    Ok(Caller::Partner(PartnerCaller {
        key_id: row.id,
        scopes,
    }))
}

/// Reads the stored JSON array of scope names.
pub fn parse_scopes(json: &str) -> Result<Vec<Scope>, ApiError> {
    let names: Vec<String> = serde_json::from_str(json).map_err(ApiError::internal)?;
    names
        .iter()
        .map(|n| n.parse::<Scope>().map_err(ApiError::internal))
        .collect()
}

enum Rotation {
    Rotated(UserRow),
    Refused(&'static str),
}

/// Exchanges a refresh token for a new pair. Each token works once: presenting a spent one
/// revokes every token of its family (the sign-in it came from), and is refused.
pub async fn rotate_refresh_token(state: &AppState, token: &str) -> Result<TokenPair, ApiError> {
    let hash = tokens::digest(token);
    let next = tokens::new_secret(REFRESH_TOKEN_PREFIX);
    let next_hash = tokens::digest(&next);
    // The revocation on reuse must commit, so refusals are values here, not errors.
    let outcome = state
        .db
        .write(move |conn| {
            let Some(row) = db::refresh_tokens::find_by_hash(conn, &hash)? else {
                return Ok(Rotation::Refused("the refresh token is not valid"));
            };
            let now = crate::time::now();
            if row.used_at.is_some() {
                db::refresh_tokens::revoke_family(conn, &row.family_id, &now)?;
                return Ok(Rotation::Refused(
                    "the refresh token was already used; every token of that sign-in is now revoked",
                ));
            }
            if row.revoked_at.is_some() {
                return Ok(Rotation::Refused("the refresh token has been revoked"));
            }
            if row.expires_at <= now {
                return Ok(Rotation::Refused("the refresh token has expired"));
            }
            let user = db::users::find(conn, &row.user_id)?;
            let Some(user) = user.filter(|u| !u.disabled && u.token_version == row.token_version)
            else {
                db::refresh_tokens::revoke_family(conn, &row.family_id, &now)?;
                return Ok(Rotation::Refused("the refresh token has been revoked"));
            };
            db::refresh_tokens::mark_used(conn, &row.id, &now)?;
            insert_refresh_token(
                conn,
                &next_hash,
                &row.family_id,
                &user.id,
                user.token_version,
            )?;
            Ok(Rotation::Rotated(user))
        })
        .await?;
    match outcome {
        Rotation::Rotated(user) => Ok(TokenPair {
            access_token: state.auth.tokens.issue(&user.id, user.token_version)?,
            refresh_token: next,
        }),
        Rotation::Refused(detail) => Err(invalid_credentials(detail)),
    }
}

/// Revokes every access and refresh token a user holds (sign-out everywhere), in the caller's
/// write transaction: bumps the revocation counter and revokes the refresh tokens.
pub fn revoke_all_tokens(
    conn: &mut diesel::SqliteConnection,
    user: &UserRow,
    now: &str,
) -> Result<i64, ApiError> {
    let next = user.token_version + 1;
    db::users::update(
        conn,
        &user.id,
        &db::users::UserChanges {
            token_version: Some(next),
            ..Default::default()
        },
    )?;
    db::refresh_tokens::revoke_user(conn, &user.id, now)?;
    Ok(next)
}

/// Signs a user out everywhere.
pub async fn sign_out(db: &Db, user_id: &str) -> Result<(), ApiError> {
    let id = user_id.to_owned();
    db.write(move |conn| {
        let user = db::users::find(conn, &id)?.ok_or_else(|| ApiError::not_found("user", &id))?;
        revoke_all_tokens(conn, &user, &crate::time::now())?;
        Ok(())
    })
    .await
}

/// Changes a user's own password after checking the current one, in the place `attempt` holds
/// in the sign-in throttle (a wrong current password counts as a failed sign-in); every earlier
/// token is revoked and a new session is started.
pub async fn change_password(
    state: &AppState,
    user_id: &str,
    current: &str,
    new: &str,
    attempt: Reservation<'_>,
) -> Result<TokenPair, ApiError> {
    if let Err(message) = password::check_strength(new) {
        attempt.give_back();
        return Err(ApiError::invalid(vec![FieldError::new(
            "new_password",
            message,
        )]));
    }
    let id = user_id.to_owned();
    let user = state
        .db
        .read(move |conn| Ok(db::users::find(conn, &id)?))
        .await?
        .ok_or_else(|| ApiError::not_found("user", user_id))?;
    let matches = verify_reserved(attempt, current, Some(user.password_hash.clone())).await?;
    if !matches {
        return Err(ApiError::invalid(vec![FieldError::new(
            "current_password",
            "is not the current password",
        )]));
    }
    let new_hash = password::hash_off_thread(new.to_owned()).await?;
    let id = user.id.clone();
    let updated = state
        .db
        .write(move |conn| {
            let user =
                db::users::find(conn, &id)?.ok_or_else(|| ApiError::not_found("user", &id))?;
            let now = crate::time::now();
            revoke_all_tokens(conn, &user, &now)?;
            db::users::update(
                conn,
                &id,
                &db::users::UserChanges {
                    password_hash: Some(new_hash),
                    updated_at: Some(now),
                    version: Some(user.version + 1),
                    ..Default::default()
                },
            )?;
            db::users::find(conn, &id)?.ok_or_else(|| ApiError::not_found("user", &id))
        })
        .await?;
    start_session(state, &updated).await
}
