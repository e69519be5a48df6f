//! Webhook deliveries: which events a subscription wants, which target addresses are allowed,
//! how payloads are signed, and the background dispatcher that turns committed changes into
//! signed POSTs with retries.

mod addresses;

pub use addresses::{SpecialPurpose, special_purpose};

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use hmac::{KeyInit, Mac, SimpleHmac};
use serde::Serialize;
use sha2_11::Sha256;

use crate::db::Db;
use crate::db::webhooks::{self as store, AttemptResult, DeliveryRow, NewDelivery, WebhookRow};
use crate::error::ApiError;
use crate::newsroom::clock;
use crate::state::AppState;

/// The resources whose changes can be subscribed to.
pub const RESOURCES: &[&str] = &["article", "quote", "speaker", "media"];
/// The operations of the change feed.
pub const OPERATIONS: &[&str] = &["create", "update", "publish", "unpublish", "delete"];
/// How often the dispatcher looks for new changes and due retries.
const POLL_EVERY: Duration = Duration::from_millis(250);
/// How many attempts a delivery gets before it is marked failed.
pub const MAX_ATTEMPTS: i32 = 6;
/// The wait before the first retry; each later one waits twice as long.
const FIRST_RETRY: Duration = Duration::from_secs(10);
/// How long one attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "Newsdesk-Signature";

/// True when `pattern` is `*`, `resource.*` or `resource.operation` of the change feed.
pub fn valid_event(pattern: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match pattern.split_once('.') {
        Some((resource, operation)) => {
            RESOURCES.contains(&resource) && (operation == "*" || OPERATIONS.contains(&operation))
        }
        None => false,
    }
}

/// True when any of `patterns` selects `event` (e.g. `article.publish`).
pub fn wants(patterns: &[String], event: &str) -> bool {
    let resource = event.split('.').next().unwrap_or_default();
    patterns
        .iter()
        .any(|p| p == "*" || p == event || *p == format!("{resource}.*"))
}

/// The signature header value for `body` sent at `timestamp` (Unix seconds):
/// `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the secret>`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // SimpleHmac accepts keys of any length, so the error branch cannot happen.
    let Ok(mut mac) = <SimpleHmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()) else {
        return format!("t={timestamp},v1=");
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(digest))
}

/// A checked delivery target: the URL and the addresses it resolved to.
#[derive(Debug, Clone)]
pub struct Target {
    /// The URL as given.
    pub url: url::Url,
    /// Where to connect.
    pub addresses: Vec<SocketAddr>,
}

/// Checks a target URL: http or https with a host, resolvable, and (unless `allow_private`)
/// resolving only to globally reachable addresses (see [`special_purpose`]). The error says
/// why, for a 422 or the delivery log.
pub async fn check_target(text: &str, allow_private: bool) -> Result<Target, String> {
    let url = url::Url::parse(text).map_err(|e| format!("is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must be an http or https URL".to_owned());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials".to_owned());
    }
    let host = url
        .host_str()
        .ok_or_else(|| "must name a host".to_owned())?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = url
        .port_or_known_default()
        .ok_or_else(|| "must name a port".to_owned())?;
    let lookup = host.clone();
    let addresses: Vec<SocketAddr> =
        actix_web::web::block(move || (lookup.as_str(), port).to_socket_addrs())
            .await
            .map_err(|e| format!("could not resolve its host: {e}"))?
            .map_err(|e| format!("could not resolve its host `{host}`: {e}"))?
            .collect();
    if addresses.is_empty() {
        return Err(format!("its host `{host}` has no addresses"));
    }
    if !allow_private
        && let Some((ip, block)) = addresses
            .iter()
            .find_map(|a| special_purpose(a.ip()).map(|block| (a.ip(), block)))
    {
        return Err(format!("its host `{host}` resolves to {ip}, which {block}"));
    }
    Ok(Target { url, addresses })
}

/// The body of a delivery: the change-feed entry it reports.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryPayload {
    /// Position in the change feed.
    pub seq: i64,
    /// `article`, `quote`, `speaker` or `media`.
    pub resource: String,
    /// The changed resource's id.
    pub id: String,
    /// `create`, `update`, `publish`, `unpublish` or `delete`.
    pub operation: String,
    /// The resource's version after the change.
    pub version: i64,
    /// When the change was made.
    pub at: String,
}

/// Starts the dispatcher on the current (actix) runtime; it runs until aborted.
pub fn spawn_dispatcher(state: AppState) -> actix_web::rt::task::JoinHandle<()> {
    actix_web::rt::spawn(async move {
        let client = awc::Client::builder()
            .timeout(ATTEMPT_TIMEOUT)
            .disable_redirects()
            .finish();
        let mut ticker = actix_web::rt::time::interval(POLL_EVERY);
        loop {
            ticker.tick().await;
            if let Err(error) = record_timed_changes(&state.db).await {
                tracing::warn!(%error, "could not record the changes time made");
            }
            if let Err(error) = fan_out(&state.db).await {
                tracing::warn!(%error, "webhooks: could not queue new changes");
            }
            if let Err(error) = deliver_due(&state, &client).await {
                tracing::warn!(%error, "webhooks: could not run due deliveries");
            }
        }
    })
}

/// Writes the change rows of publication times, embargo ends and usage dates that have passed
/// (see [`crate::newsroom::clock`]), before they are fanned out to webhooks.
async fn record_timed_changes(db: &Db) -> Result<(), ApiError> {
    let due = db
        .read_in_background(|conn| clock::is_due(conn, &crate::time::now()))
        .await?;
    if due {
        db.write_in_background(|conn| clock::record_due(conn, &crate::time::now()))
            .await?;
    }
    Ok(())
}

/// Turns changes committed since each webhook's position into pending deliveries.
async fn fan_out(db: &Db) -> Result<(), ApiError> {
    // A read first, so an idle server does not take the write lock on every tick.
    let pending = db
        .read_in_background(|conn| {
            let latest = store::latest_seq(conn)?;
            Ok(!store::behind(conn, latest)?.is_empty())
        })
        .await?;
    if !pending {
        return Ok(());
    }
    db.write_in_background(|conn| {
        let latest = store::latest_seq(conn)?;
        for hook in store::behind(conn, latest)? {
            let patterns: Vec<String> = serde_json::from_str(&hook.events).unwrap_or_default();
            let changes = store::changes_after(conn, hook.last_seq, 500)?;
            let Some(last) = changes.last().map(|c| c.seq) else {
                continue;
            };
            let now = crate::time::now();
            let mut deliveries = Vec::new();
            for change in changes {
                let event = format!("{}.{}", change.resource, change.operation);
                if !wants(&patterns, &event) {
                    continue;
                }
                let payload = serde_json::to_string(&DeliveryPayload {
                    seq: change.seq,
                    resource: change.resource,
                    id: change.resource_id,
                    operation: change.operation,
                    version: change.version,
                    at: change.at,
                })
                .map_err(ApiError::internal)?;
                deliveries.push(NewDelivery {
                    id: uuid::Uuid::now_v7().to_string(),
                    webhook_id: hook.id.clone(),
                    change_seq: change.seq,
                    event,
                    payload,
                    status: "pending".to_owned(),
                    next_attempt_at: Some(now.clone()),
                    created_at: now.clone(),
                    updated_at: now.clone(),
                });
            }
            store::enqueue(conn, &hook.id, &deliveries, last)?;
        }
        Ok(())
    })
    .await
}

/// Sends every due delivery once and records the outcome.
async fn deliver_due(state: &AppState, client: &awc::Client) -> Result<(), ApiError> {
    let now = crate::time::now();
    let due = state
        .db
        .read_in_background(move |conn| Ok(store::due(conn, &now, 20)?))
        .await?;
    for (delivery, hook) in due {
        let result = attempt(
            client,
            &delivery,
            &hook,
            state.settings.webhook_allow_private,
        )
        .await;
        let id = delivery.id.clone();
        state
            .db
            .write_in_background(move |conn| Ok(store::record_attempt(conn, &id, &result)?))
            .await?;
    }
    Ok(())
}

/// Makes one attempt and says what became of it.
async fn attempt(
    client: &awc::Client,
    delivery: &DeliveryRow,
    hook: &WebhookRow,
    allow_private: bool,
) -> AttemptResult {
    let attempts = delivery.attempts + 1;
    let outcome = send(client, delivery, hook, allow_private).await;
    let now = chrono::Utc::now();
    let (code, error) = match outcome {
        Ok(code) if (200..300).contains(&code) => {
            return AttemptResult {
                status: "delivered".to_owned(),
                attempts,
                next_attempt_at: None,
                last_status_code: Some(i32::from(code)),
                last_error: None,
                updated_at: crate::time::format(now),
            };
        }
        Ok(code) => (
            Some(i32::from(code)),
            format!("the receiver answered {code}"),
        ),
        Err(error) => (None, error),
    };
    let (status, next_attempt_at) = if attempts >= MAX_ATTEMPTS {
        ("failed", None)
    } else {
        let wait = FIRST_RETRY * 2u32.pow(u32::try_from(attempts - 1).unwrap_or(0));
        let next = now + chrono::Duration::from_std(wait).unwrap_or_default();
        ("pending", Some(crate::time::format(next)))
    };
    AttemptResult {
        status: status.to_owned(),
        attempts,
        next_attempt_at,
        last_status_code: code,
        last_error: Some(error),
        updated_at: crate::time::format(now),
    }
}

/// POSTs the payload to the webhook, connecting only to an address checked just now.
async fn send(
    client: &awc::Client,
    delivery: &DeliveryRow,
    hook: &WebhookRow,
    allow_private: bool,
) -> Result<u16, String> {
    let target = check_target(&hook.url, allow_private)
        .await
        .map_err(|e| format!("the URL {e}"))?;
    let address = target
        .addresses
        .first()
        .copied()
        .ok_or_else(|| "the URL has no address".to_owned())?;
    let timestamp = chrono::Utc::now().timestamp();
    let body = delivery.payload.clone().into_bytes();
    let response = client
        .post(target.url.as_str())
        // Connect to the address that passed the check, so a second DNS answer cannot
        // redirect the request elsewhere.
        .address(address)
        .insert_header(("content-type", "application/json"))
        .insert_header((SIGNATURE_HEADER, signature(&hook.secret, timestamp, &body)))
        .insert_header(("Newsdesk-Event", delivery.event.as_str()))
        .insert_header(("Newsdesk-Delivery", delivery.id.as_str()))
        .send_body(body)
        .await
        .map_err(|e| format!("the request failed: {e}"))?;
    Ok(response.status().as_u16())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn event_patterns_are_checked_against_the_change_feed() {
        assert!(valid_event("*"));
        assert!(valid_event("article.publish"));
        assert!(valid_event("quote.*"));
        assert!(!valid_event("article.read"));
        assert!(!valid_event("user.create"));
    }

    #[test]
    fn patterns_select_events() {
        let patterns = vec!["article.*".to_owned(), "quote.delete".to_owned()];
        assert!(wants(&patterns, "article.update"));
        assert!(wants(&patterns, "quote.delete"));
        assert!(!wants(&patterns, "quote.create"));
    }

    #[test]
    fn signatures_are_hmac_sha256_over_timestamp_and_body() {
        // The expected digest was computed independently (Python's hmac module).
        assert_eq!(
            signature("key", 1, b"body"),
            "t=1,v1=91b5374b153842ad05b2c4eab9349b8321b14703165bd3fb8b034dfb8be98ae5"
        );
    }
}
