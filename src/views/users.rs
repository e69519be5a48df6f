//! A user account as the API shows it.

use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Role;
use crate::db::users::UserRow;
use crate::error::ApiError;

/// A user account as the API shows it (never with its password hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a1b2c-3d4e-7f00-8a9b-0c1d2e3f4a5b",
    "email": "editor@example-news.com",
    "display_name": "Ed Itor",
    "role": "editor",
    "disabled": false,
    "created_at": "2026-11-30T12:00:00.000000Z",
    "updated_at": "2026-11-30T12:00:00.000000Z",
    "version": 1
}))]
pub struct User {
    /// The user's id.
    pub id: String,
    /// The sign-in email, lower-cased.
    pub email: String,
    /// The name shown in admin tools.
    pub display_name: String,
    /// What the user may do.
    pub role: Role,
    /// A disabled user can neither sign in nor use earlier tokens.
    pub disabled: bool,
    /// When the account was created.
    pub created_at: String,
    /// When the account last changed.
    pub updated_at: String,
    /// Grows with each change.
    pub version: i64,
}

impl TryFrom<UserRow> for User {
    type Error = ApiError;

    fn try_from(row: UserRow) -> Result<Self, ApiError> {
        Ok(User {
            role: row.role.parse().map_err(ApiError::internal)?,
            id: row.id,
            email: row.email,
            display_name: row.display_name,
            disabled: row.disabled,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
        })
    }
}
