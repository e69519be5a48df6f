//! The change feed: every create, update, publish, unpublish and delete, in commit order, for
//! partners and tools that keep a copy in sync.

use actix_web::{HttpRequest, HttpResponse, get, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Caller, Scope};
use crate::error::ApiError;
use crate::http::cache::{CachePolicy, conditional};
use crate::newsroom::feed::{self, FeedRow};
use crate::newsroom::visibility::Viewer;
use crate::state::AppState;

/// One change.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "seq": 42, "resource": "article", "id": "01938a6e-7c1a-7b55-9d1e-0a1b2c3d4e5f",
    "operation": "publish", "version": 3, "at": "2026-11-30T09:15:00.000000Z"
}))]
pub struct Change {
    /// Position in the feed; grows with every change.
    pub seq: i64,
    /// `article`, `quote`, `speaker` or `media`.
    pub resource: String,
    /// The resource's id.
    pub id: String,
    /// `create`, `update`, `publish`, `unpublish` or `delete` (a tombstone).
    pub operation: String,
    /// The resource's version after the change.
    pub version: i64,
    /// When it happened.
    pub at: String,
}

impl From<FeedRow> for Change {
    fn from(row: FeedRow) -> Self {
        Change {
            seq: row.seq,
            resource: row.resource,
            id: row.id,
            operation: row.operation,
            version: row.version,
            at: row.at,
        }
    }
}

/// A page of the change feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangePage {
    /// Changes after the cursor, oldest first.
    pub data: Vec<Change>,
    /// Pass as `since` in the next poll; never null, so a poller can always continue.
    pub next_cursor: String,
}

/// Query parameters of the change feed.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangeParams {
    /// The `next_cursor` of the previous poll; absent means from the beginning.
    pub since: Option<String>,
    /// Changes per page, 1 to 100 (default 20).
    pub limit: Option<i64>,
}

fn encode(seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("seq:{seq}"))
}

fn decode(text: &str) -> Result<i64, ApiError> {
    let invalid = || ApiError::bad_field("since", "is not a cursor from this feed");
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    text.strip_prefix("seq:")
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n >= 0)
        .ok_or_else(invalid)
}

/// Every change after a cursor, oldest first, as the caller may read it: editors and admins
/// see every row; partner keys (scope `content:read`) and contributors see the rows of what they
/// may read now, and one removal entry (`unpublish` or `delete`) for what they could once read
/// and no longer may.
#[utoipa::path(
    tag = "changes",
    params(ChangeParams),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Changes after the cursor", body = ChangePage),
        (status = 400, description = "Unknown parameter, bad cursor or limit"),
        (status = 401, description = "No credentials, or invalid ones"),
        (status = 403, description = "The API key lacks content:read")
    )
)]
#[get("/v1/changes")]
pub async fn list_changes(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    params: web::Query<ChangeParams>,
) -> Result<HttpResponse, ApiError> {
    match &caller {
        Caller::Anonymous => {
            return Err(ApiError::Unauthorized {
                detail: "the change feed needs an API key (X-Api-Key) or a signed-in user"
                    .to_owned(),
            });
        }
        Caller::Partner(_) if !caller.has_scope(Scope::ContentRead) => {
            return Err(ApiError::Forbidden {
                detail: "this API key lacks the content:read scope".to_owned(),
            });
        }
        Caller::Partner(_) | Caller::User(_) => {}
    }
    let viewer = Viewer::of(&caller);
    let since = params
        .since
        .as_deref()
        .map(decode)
        .transpose()?
        .unwrap_or(0);
    let limit = crate::api::pagination::limit(params.limit)?;
    let (rows, last) = state
        .db
        .read(move |conn| feed::page(conn, &viewer, since, limit, &crate::time::now()))
        .await?;
    let page = ChangePage {
        data: rows.into_iter().map(Change::from).collect(),
        next_cursor: encode(last),
    };
    let body = serde_json::to_vec(&page).map_err(ApiError::internal)?;
    Ok(conditional(
        &req,
        "application/json",
        body,
        None,
        CachePolicy::Private,
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        assert_eq!(decode(&encode(42)).unwrap(), 42);
        assert!(decode("bm9wZQ").is_err());
        assert!(decode("!!").is_err());
    }
}
