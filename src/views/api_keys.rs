//! A partner API key as the API shows it.

use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Scope;
use crate::auth::keys::{format_rate, rate_of};
use crate::auth::users::parse_scopes;
use crate::db::api_keys::ApiKeyRow;
use crate::error::ApiError;

/// A partner API key as listed: never with its secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a1b2c-3d4e-7f00-8a9b-0c1d2e3f4a5b",
    "name": "Example Wire feed reader",
    "prefix": "ndk_q3X9aB1c",
    "scopes": ["feeds:read"],
    "rate_limit": "600/min",
    "created_by": "019a1b2c-0000-7f00-8a9b-0c1d2e3f4a5b",
    "created_at": "2026-11-30T12:00:00.000000Z",
    "updated_at": "2026-11-30T12:00:00.000000Z",
    "revoked_at": null,
    "version": 1
}))]
pub struct ApiKey {
    /// The key's id (not the key).
    pub id: String,
    /// What the key is for.
    pub name: String,
    /// The first characters of the key, to tell keys apart.
    pub prefix: String,
    /// What the key may do.
    pub scopes: Vec<Scope>,
    /// Its own rate limit, e.g. `600/min`; `0` is unlimited.
    pub rate_limit: String,
    /// The admin who created it (null when made with the CLI).
    pub created_by: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// When it was revoked; a revoked key is refused with 401.
    pub revoked_at: Option<String>,
    /// Grows with each change.
    pub version: i64,
}

impl TryFrom<ApiKeyRow> for ApiKey {
    type Error = ApiError;

    fn try_from(row: ApiKeyRow) -> Result<Self, ApiError> {
        Ok(ApiKey {
            scopes: parse_scopes(&row.scopes)?,
            rate_limit: format_rate(rate_of(&row)),
            id: row.id,
            name: row.name,
            prefix: row.prefix,
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
            revoked_at: row.revoked_at,
            version: row.version,
        })
    }
}
