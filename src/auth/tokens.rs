//! Access tokens (HS256 JWTs), opaque secrets (refresh tokens, API keys) and the signing secret.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::prelude::*;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Settings;
use crate::db::Db;
use crate::db::schema::app_settings;
use crate::error::ApiError;

/// The `iss` of every access token.
pub const ISSUER: &str = "newsdesk";
/// The `aud` of every access token.
pub const AUDIENCE: &str = "newsdesk-api";
/// Lifetime of an access token, in seconds.
pub const ACCESS_TOKEN_SECONDS: u64 = 15 * 60;
/// Lifetime of a refresh token, in days.
pub const REFRESH_TOKEN_DAYS: i64 = 30;
/// Clock skew tolerated on `exp` and `iat`, in seconds.
pub const LEEWAY_SECONDS: u64 = 30;
/// The one signing algorithm accepted.
pub const ALGORITHM: Algorithm = Algorithm::HS256;
/// The `app_settings` key under which a generated secret is kept (left out of backups).
pub const SECRET_SETTING: &str = "jwt_secret";

/// The claims of an access token; every one is required.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    /// Issuer: always [`ISSUER`].
    pub iss: String,
    /// Audience: always [`AUDIENCE`].
    pub aud: String,
    /// The user's id.
    pub sub: String,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Issue time, seconds since the epoch.
    pub iat: u64,
    /// The user's revocation counter when the token was issued.
    pub ver: i64,
}

/// Signs and checks access tokens with one secret and one algorithm.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenKeys {
    /// Keys from a secret of at least 32 bytes.
    pub fn from_secret(secret: &[u8]) -> anyhow::Result<Self> {
        let mut validation = Validation::new(ALGORITHM);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        // Our tokens carry no `nbf`; one that does is held to it.
        validation.validate_nbf = true;
        Ok(TokenKeys {
            encoding: EncodingKey::from_secret(secret)
                .map_err(|e| anyhow::anyhow!("unusable JWT secret: {e}"))?,
            decoding: DecodingKey::from_secret(secret)
                .map_err(|e| anyhow::anyhow!("unusable JWT secret: {e}"))?,
            validation,
        })
    }

    /// The configured secret, or the one kept in the database (generated on first use, with a
    /// warning in the log).
    pub fn resolve(settings: &Settings, db: &Db) -> anyhow::Result<Self> {
        if let Some(secret) = &settings.jwt_secret {
            return Self::from_secret(secret.expose_secret().as_bytes());
        }
        let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut random = [0u8; 48];
        rand::fill(&mut random);
        let candidate = URL_SAFE_NO_PAD.encode(random);
        // Insert-or-ignore then read back, so two processes starting at once agree.
        diesel::insert_or_ignore_into(app_settings::table)
            .values((
                app_settings::key.eq(SECRET_SETTING),
                app_settings::value.eq(&candidate),
                app_settings::updated_at.eq(crate::time::now()),
            ))
            .execute(&mut conn)?;
        let stored: String = app_settings::table
            .find(SECRET_SETTING)
            .select(app_settings::value)
            .first(&mut conn)?;
        tracing::warn!(
            "NEWSDESK_JWT_SECRET is not set: signing access tokens with the secret kept in the \
             database; set NEWSDESK_JWT_SECRET (at least 32 random bytes) to manage it yourself"
        );
        Self::from_secret(stored.as_bytes())
    }

    /// Signs a 15-minute access token for a user.
    pub fn issue(&self, user_id: &str, token_version: i64) -> Result<String, ApiError> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = AccessClaims {
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            sub: user_id.to_owned(),
            exp: now + ACCESS_TOKEN_SECONDS,
            iat: now,
            ver: token_version,
        };
        jsonwebtoken::encode(&Header::new(ALGORITHM), &claims, &self.encoding)
            .map_err(ApiError::internal)
    }

    /// Checks a token's signature and claims. The header is only compared against the one
    /// accepted algorithm; nothing else in it (key ids, key URLs) is used.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, ApiError> {
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                let detail = match e.kind() {
                    ErrorKind::ExpiredSignature => "the access token has expired",
                    _ => "the access token is not valid",
                };
                tracing::debug!(error = %e, "access token refused");
                invalid_credentials(detail)
            })?;
        let now = jsonwebtoken::get_current_timestamp();
        if data.claims.iat > now + LEEWAY_SECONDS {
            return Err(invalid_credentials("the access token is not valid"));
        }
        Ok(data.claims)
    }
}

/// The 401 for presented credentials that are refused.
pub fn invalid_credentials(detail: &str) -> ApiError {
    ApiError::Unauthorized {
        detail: detail.to_owned(),
    }
}

/// A new opaque secret: `prefix` followed by 256 random bits in URL-safe base64.
pub fn new_secret(prefix: &str) -> String {
    let mut random = [0u8; 32];
    rand::fill(&mut random);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(random))
}

/// The SHA-256 hex digest under which an opaque secret is stored.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn an_issued_token_verifies_and_a_tampered_one_does_not() {
        let keys = TokenKeys::from_secret(&[7u8; 32]).unwrap();
        let token = keys.issue("user-1", 3).unwrap();
        let claims = keys.verify(&token).unwrap();
        assert_eq!((claims.sub.as_str(), claims.ver), ("user-1", 3));
        let other = TokenKeys::from_secret(&[8u8; 32]).unwrap();
        assert!(other.verify(&token).is_err());
    }

    #[test]
    fn secrets_are_distinct_and_digests_stable() {
        let a = new_secret("x_");
        assert!(a.starts_with("x_") && a.len() > 40);
        assert_ne!(a, new_secret("x_"));
        assert_eq!(digest("abc"), digest("abc"));
        assert_eq!(digest("abc").len(), 64);
    }
}
