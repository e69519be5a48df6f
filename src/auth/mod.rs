//! Who is calling: signed-in users (JWT bearer tokens) and partners (API keys), and the
//! extractors handlers use to state what they require.
//!
//! A handler names its requirement in its signature: `SignedIn<Contributor>`,
//! `SignedIn<Editor>` or `SignedIn<Admin>` for a signed-in user with at least that role,
//! `PartnerWith<FeedsRead>` (or `ContentRead`, `EmbargoedRead`) for a partner key with that
//! scope, and [`Caller`] for anyone, to decide visibility itself. The guard middleware has
//! already refused presented but invalid credentials with a 401 by then.

pub mod bootstrap;
pub mod doc;
pub mod guard;
pub mod keys;
pub mod password;
pub mod ratelimit;
pub mod tokens;
pub mod users;

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::str::FromStr;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;
use tokens::{TokenKeys, invalid_credentials};

/// An editor's role; later roles include everything earlier ones may do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Writes drafts and edits their own drafts.
    Contributor,
    /// Edits and publishes all content.
    Editor,
    /// Everything, including users and API keys.
    Admin,
}

impl Role {
    /// The lower-case name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Contributor => "contributor",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "contributor" => Ok(Role::Contributor),
            "editor" => Ok(Role::Editor),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "`{other}` is not a role; use admin, editor or contributor"
            )),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a partner API key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum Scope {
    /// Read published content through the JSON API.
    #[serde(rename = "content:read")]
    ContentRead,
    /// Read the syndication feeds.
    #[serde(rename = "feeds:read")]
    FeedsRead,
    /// See embargoed articles before their embargo passes.
    #[serde(rename = "embargoed:read")]
    EmbargoedRead,
}

impl Scope {
    /// The name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ContentRead => "content:read",
            Scope::FeedsRead => "feeds:read",
            Scope::EmbargoedRead => "embargoed:read",
        }
    }
}

impl FromStr for Scope {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "content:read" => Ok(Scope::ContentRead),
            "feeds:read" => Ok(Scope::FeedsRead),
            "embargoed:read" => Ok(Scope::EmbargoedRead),
            other => Err(format!(
                "`{other}` is not a scope; use content:read, feeds:read or embargoed:read"
            )),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A signed-in user, as established from a valid access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCaller {
    /// The user's id.
    pub id: String,
    /// The user's email.
    pub email: String,
    /// The user's current role.
    pub role: Role,
}

/// A partner, as established from a valid API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerCaller {
    /// The key's id (never the secret).
    pub key_id: String,
    /// The scopes the key carries.
    pub scopes: Vec<Scope>,
}

/// Whoever is calling. Credentials that are presented but invalid never produce a `Caller`:
/// they are a 401.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No credentials.
    Anonymous,
    /// A signed-in user.
    User(UserCaller),
    /// A partner API key.
    Partner(PartnerCaller),
}

impl Caller {
    /// The signed-in user, if any.
    pub fn user(&self) -> Option<&UserCaller> {
        match self {
            Caller::User(user) => Some(user),
            Caller::Anonymous | Caller::Partner(_) => None,
        }
    }

    /// True for a signed-in user with at least `role`.
    pub fn has_role(&self, role: Role) -> bool {
        self.user().is_some_and(|u| u.role >= role)
    }

    /// True for a partner key carrying `scope`.
    pub fn has_scope(&self, scope: Scope) -> bool {
        matches!(self, Caller::Partner(p) if p.scopes.contains(&scope))
    }
}

/// What the server needs to check credentials, kept in [`AppState`].
pub struct AuthState {
    /// The access token keys.
    pub tokens: TokenKeys,
    /// The rate limiters.
    pub limits: ratelimit::RateLimits,
}

impl AuthState {
    /// Prepares the token keys from the settings (or the secret kept in the database).
    pub fn new(settings: &crate::config::Settings, db: &crate::db::Db) -> anyhow::Result<Self> {
        // Made now so the first sign-in with an unknown email costs no more than any other.
        password::dummy_hash();
        Ok(AuthState {
            tokens: TokenKeys::resolve(settings, db)?,
            limits: ratelimit::RateLimits::new(
                settings.rate_limit,
                settings.user_rate_limit,
                settings.login_rate_limit,
            ),
        })
    }
}

/// Where a partner key may also come as the `api_key` query parameter (feed readers cannot
/// send headers).
pub const FEED_PATH_PREFIX: &str = "/v1/feeds/";

/// The partner key header.
pub const API_KEY_HEADER: &str = "x-api-key";

/// Establishes who is calling from the request's credentials. Credentials that are presented
/// but invalid, expired or revoked are a 401; none at all is [`Caller::Anonymous`].
pub async fn authenticate(req: &HttpRequest) -> Result<Caller, ApiError> {
    let bearer = match req.headers().get(header::AUTHORIZATION) {
        None => None,
        Some(value) => Some(parse_bearer(value)?),
    };
    let key = presented_api_key(req)?;
    if bearer.is_none() && key.is_none() {
        return Ok(Caller::Anonymous);
    }
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("the application state is missing"))?;
    match (bearer, key) {
        (Some(_), Some(_)) => Err(invalid_credentials(
            "send either a bearer token or an API key, not both",
        )),
        (Some(token), None) => users::caller_from_token(state, &token).await,
        (None, Some(key)) => users::caller_from_api_key(req, state, &key).await,
        (None, None) => Ok(Caller::Anonymous),
    }
}

fn parse_bearer(value: &header::HeaderValue) -> Result<String, ApiError> {
    let refused =
        || invalid_credentials("the Authorization header must be `Bearer <access token>`");
    let text = value.to_str().map_err(|_| refused())?;
    let (scheme, token) = text.trim().split_once(' ').ok_or_else(refused)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(refused());
    }
    Ok(token.to_owned())
}

fn presented_api_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    if let Some(value) = req.headers().get(API_KEY_HEADER) {
        let key = value
            .to_str()
            .map_err(|_| invalid_credentials("the API key is not valid"))?
            .trim();
        return Ok(Some(key.to_owned()));
    }
    if req.path().starts_with(FEED_PATH_PREFIX) {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
        if let Some((_, key)) = pairs.into_iter().find(|(name, _)| name == "api_key") {
            return Ok(Some(key));
        }
    }
    Ok(None)
}

/// The caller as established once per request (by the guard middleware, or on first use).
async fn caller_of(req: HttpRequest) -> Result<Caller, ApiError> {
    if let Some(caller) = req.extensions().get::<Caller>() {
        return Ok(caller.clone());
    }
    let caller = authenticate(&req).await?;
    req.extensions_mut().insert(caller.clone());
    Ok(caller)
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(caller_of(req.clone()))
    }
}

/// A minimum role, for [`SignedIn`].
pub trait MinimumRole {
    /// The least role that passes.
    const ROLE: Role;
}

/// Marker: any signed-in user (contributor or above).
#[derive(Debug)]
pub struct Contributor;
/// Marker: an editor or an admin.
#[derive(Debug)]
pub struct Editor;
/// Marker: an admin.
#[derive(Debug)]
pub struct Admin;

impl MinimumRole for Contributor {
    const ROLE: Role = Role::Contributor;
}
impl MinimumRole for Editor {
    const ROLE: Role = Role::Editor;
}
impl MinimumRole for Admin {
    const ROLE: Role = Role::Admin;
}

/// Extractor: a signed-in user with at least role `R`, e.g. `SignedIn<Editor>`. No credentials
/// is a 401; a partner key or a lesser role is a 403.
#[derive(Debug)]
pub struct SignedIn<R: MinimumRole> {
    /// The user.
    pub user: UserCaller,
    role: PhantomData<fn() -> R>,
}

impl<R: MinimumRole> SignedIn<R> {
    /// Applies the requirement to an established caller.
    pub fn require(caller: Caller) -> Result<Self, ApiError> {
        match caller {
            Caller::Anonymous => Err(ApiError::Unauthorized {
                detail: "sign in first: send `Authorization: Bearer <access token>` \
                         (from POST /v1/auth/token)"
                    .to_owned(),
            }),
            Caller::Partner(_) => Err(ApiError::Forbidden {
                detail: "this operation is for signed-in users, not API keys".to_owned(),
            }),
            Caller::User(user) if user.role < R::ROLE => Err(ApiError::Forbidden {
                detail: format!(
                    "this operation needs the {} role; you are {}",
                    R::ROLE,
                    user.role
                ),
            }),
            Caller::User(user) => Ok(SignedIn {
                user,
                role: PhantomData,
            }),
        }
    }
}

impl<R: MinimumRole> Deref for SignedIn<R> {
    type Target = UserCaller;

    fn deref(&self) -> &UserCaller {
        &self.user
    }
}

impl<R: MinimumRole + 'static> FromRequest for SignedIn<R> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Self::require(caller_of(req).await?) })
    }
}

/// A required scope, for [`PartnerWith`].
pub trait RequiredScope {
    /// The scope the key must carry.
    const SCOPE: Scope;
}

/// Marker: the `content:read` scope.
#[derive(Debug)]
pub struct ContentRead;
/// Marker: the `feeds:read` scope.
#[derive(Debug)]
pub struct FeedsRead;
/// Marker: the `embargoed:read` scope.
#[derive(Debug)]
pub struct EmbargoedRead;

impl RequiredScope for ContentRead {
    const SCOPE: Scope = Scope::ContentRead;
}
impl RequiredScope for FeedsRead {
    const SCOPE: Scope = Scope::FeedsRead;
}
impl RequiredScope for EmbargoedRead {
    const SCOPE: Scope = Scope::EmbargoedRead;
}

/// Extractor: a partner key carrying scope `S`, e.g. `PartnerWith<FeedsRead>`. No credentials
/// is a 401; a signed-in user or a key without the scope is a 403.
#[derive(Debug)]
pub struct PartnerWith<S: RequiredScope> {
    /// The partner.
    pub partner: PartnerCaller,
    scope: PhantomData<fn() -> S>,
}

impl<S: RequiredScope> PartnerWith<S> {
    /// Applies the requirement to an established caller.
    pub fn require(caller: Caller) -> Result<Self, ApiError> {
        match caller {
            Caller::Anonymous => Err(ApiError::Unauthorized {
                detail: format!(
                    "send an API key with the {} scope in the X-Api-Key header",
                    S::SCOPE
                ),
            }),
            Caller::User(_) => Err(ApiError::Forbidden {
                detail: "this operation is for partner API keys".to_owned(),
            }),
            Caller::Partner(partner) if !partner.scopes.contains(&S::SCOPE) => {
                Err(ApiError::Forbidden {
                    detail: format!("this API key lacks the {} scope", S::SCOPE),
                })
            }
            Caller::Partner(partner) => Ok(PartnerWith {
                partner,
                scope: PhantomData,
            }),
        }
    }
}

impl<S: RequiredScope> Deref for PartnerWith<S> {
    type Target = PartnerCaller;

    fn deref(&self) -> &PartnerCaller {
        &self.partner
    }
}

impl<S: RequiredScope + 'static> FromRequest for PartnerWith<S> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Self::require(caller_of(req).await?) })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use actix_web::ResponseError;

    fn user(role: Role) -> Caller {
        Caller::User(UserCaller {
            id: "u".into(),
            email: "u@example.test".into(),
            role,
        })
    }

    fn partner(scopes: &[Scope]) -> Caller {
        Caller::Partner(PartnerCaller {
            key_id: "k".into(),
            scopes: scopes.to_vec(),
        })
    }

    fn status<T>(result: Result<T, ApiError>) -> u16 {
        match result {
            Ok(_) => 200,
            Err(e) => e.status_code().as_u16(),
        }
    }

    #[test]
    fn signed_in_requires_a_user_with_at_least_the_role() {
        assert_eq!(status(SignedIn::<Editor>::require(Caller::Anonymous)), 401);
        assert_eq!(
            status(SignedIn::<Editor>::require(partner(&[Scope::ContentRead]))),
            403
        );
        assert_eq!(
            status(SignedIn::<Editor>::require(user(Role::Contributor))),
            403
        );
        assert_eq!(status(SignedIn::<Editor>::require(user(Role::Editor))), 200);
        assert_eq!(status(SignedIn::<Editor>::require(user(Role::Admin))), 200);
        assert_eq!(status(SignedIn::<Admin>::require(user(Role::Editor))), 403);
        assert_eq!(
            status(SignedIn::<Contributor>::require(user(Role::Contributor))),
            200
        );
    }

    #[test]
    fn partner_with_requires_a_key_carrying_the_scope() {
        assert_eq!(
            status(PartnerWith::<FeedsRead>::require(Caller::Anonymous)),
            401
        );
        assert_eq!(
            status(PartnerWith::<FeedsRead>::require(user(Role::Admin))),
            403
        );
        assert_eq!(
            status(PartnerWith::<FeedsRead>::require(partner(&[
                Scope::ContentRead
            ]))),
            403
        );
        assert_eq!(
            status(PartnerWith::<FeedsRead>::require(partner(&[
                Scope::FeedsRead
            ]))),
            200
        );
        assert_eq!(
            status(PartnerWith::<EmbargoedRead>::require(partner(&[
                Scope::ContentRead,
                Scope::EmbargoedRead
            ]))),
            200
        );
    }

    #[test]
    fn roles_and_scopes_round_trip_through_their_names() {
        for role in [Role::Contributor, Role::Editor, Role::Admin] {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        for scope in [Scope::ContentRead, Scope::FeedsRead, Scope::EmbargoedRead] {
            assert_eq!(scope.as_str().parse::<Scope>().unwrap(), scope);
        }
        assert!("owner".parse::<Role>().is_err());
    }
}
