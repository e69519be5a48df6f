//! The change feed: every create, update, publish, unpublish and delete, in commit order, for
//! partners and tools that keep a copy in sync.

use actix_web::{HttpRequest, HttpResponse, get, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Caller, Scope};
use crate::error::ApiError;
use crate::http::cache::{CachePolicy, conditional};
use crate::state::AppState;

/// One change.
#[derive(Debug, Clone, Serialize, ToSchema, QueryableByName)]
#[schema(example = json!({
    "seq": 42, "resource": "article", "id": "01938a6e-7c1a-7b55-9d1e-0a1b2c3d4e5f",
    "operation": "publish", "version": 3, "at": "2026-11-30T09:15:00.000000Z"
}))]
pub struct Change {
    /// Position in the feed; grows with every change.
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    /// `article`, `quote`, `speaker` or `media`.
    #[diesel(sql_type = Text)]
    pub resource: String,
    /// The resource's id.
    #[diesel(sql_type = Text)]
    pub id: String,
    /// `create`, `update`, `publish`, `unpublish` or `delete` (a tombstone).
    #[diesel(sql_type = Text)]
    pub operation: String,
    /// The resource's version after the change.
    #[diesel(sql_type = BigInt)]
    pub version: i64,
    /// When it happened.
    #[diesel(sql_type = Text)]
    pub at: String,
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

// Partners see a change when the resource is public now, and tombstones (unpublish, delete) of
// articles that were once published, so drafts never show through the feed.
const PARTNER_FILTER: &str = "
  AND (
    (c.resource = 'speaker')
    OR (c.resource = 'article' AND (
          EXISTS (SELECT 1 FROM articles a WHERE a.id = c.resource_id
                  AND a.status IN ('published', 'scheduled') AND a.published_at <= ?3
                  AND (a.embargo_until IS NULL OR a.embargo_until <= ?3))
          OR (c.operation IN ('unpublish', 'delete') AND EXISTS (
                SELECT 1 FROM changes p WHERE p.resource = 'article'
                AND p.resource_id = c.resource_id AND p.operation = 'publish' AND p.seq < c.seq))))
    OR (c.resource = 'quote' AND (c.operation = 'delete' OR EXISTS (
          SELECT 1 FROM quotes q LEFT JOIN articles a ON a.id = q.article_id
          WHERE q.id = c.resource_id AND (q.article_id IS NULL OR (
                a.status IN ('published', 'scheduled') AND a.published_at <= ?3
                AND (a.embargo_until IS NULL OR a.embargo_until <= ?3))))))
    OR (c.resource = 'media' AND (c.operation = 'delete' OR EXISTS (
          SELECT 1 FROM media m WHERE m.id = c.resource_id AND m.syndication_allowed
          AND (m.usage_expires IS NULL OR m.usage_expires > ?3)
          AND (EXISTS (SELECT 1 FROM speakers s WHERE s.photo_media_id = m.id)
               OR EXISTS (SELECT 1 FROM article_media am JOIN articles a ON a.id = am.article_id
                          WHERE am.media_id = m.id AND a.status IN ('published', 'scheduled')
                          AND a.published_at <= ?3
                          AND (a.embargo_until IS NULL OR a.embargo_until <= ?3))))))
  )";

/// Every change to every resource after a cursor, oldest first. Signed-in users see all of
/// them; partner keys (scope `content:read`) see changes to what is public, plus tombstones of
/// articles that were once published.
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
    let partner = match &caller {
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
        Caller::Partner(_) => true,
        Caller::User(_) => false,
    };
    let since = params
        .since
        .as_deref()
        .map(decode)
        .transpose()?
        .unwrap_or(0);
    let limit = crate::api::pagination::limit(params.limit)?;
    let now = crate::time::now();
    let changes =
        state
            .db
            .read(move |conn| {
                let sql =
                    format!(
                "SELECT c.seq, c.resource, c.resource_id AS id, c.operation, c.version, c.at
                 FROM changes c WHERE c.seq > ?1 {} ORDER BY c.seq LIMIT ?2",
                if partner { PARTNER_FILTER } else { "AND ?3 = ?3" }
            );
                Ok(diesel::sql_query(sql)
                    .bind::<BigInt, _>(since)
                    .bind::<BigInt, _>(limit)
                    .bind::<Text, _>(now)
                    .load::<Change>(conn)?)
            })
            .await?;
    let last = changes.last().map_or(since, |c| c.seq);
    let page = ChangePage {
        data: changes,
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
