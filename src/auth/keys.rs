//! Partner API keys: creation (the secret is returned once and stored as a digest) and rates.

use crate::auth::Scope;
use crate::auth::tokens;
use crate::config::{Rate, parse_rate};
use crate::db::api_keys::{ApiKeyRow, NewApiKeyRow};
use crate::db::{self, Db};
use crate::error::{ApiError, FieldError};

/// The prefix of every API key, so a leaked one is recognisable.
pub const API_KEY_PREFIX: &str = "ndk_";
/// How many leading characters of a key are kept to tell keys apart.
pub const VISIBLE_PREFIX_CHARS: usize = 12;
/// The rate of a key created without one.
pub const DEFAULT_KEY_RATE: &str = "600/min";

/// What is needed to create a key.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    /// What the key is for.
    pub name: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// Its own rate limit (count 0 = unlimited).
    pub rate: Rate,
    /// The admin creating it, if any.
    pub created_by: Option<String>,
}

/// Reads a rate given as text (`120/min`, `10/s`, `0`) or as a whole number of requests per
/// minute.
pub fn rate_from_json(value: Option<&serde_json::Value>) -> Result<Rate, ApiError> {
    let bad = |message: &str| ApiError::invalid(vec![FieldError::new("rate_limit", message)]);
    let text = match value {
        None | Some(serde_json::Value::Null) => DEFAULT_KEY_RATE.to_owned(),
        Some(serde_json::Value::Number(n)) => match n.as_u64() {
            Some(n) if n <= u64::from(u32::MAX) => format!("{n}/min"),
            _ => return Err(bad("must be a whole number of requests per minute")),
        },
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(bad(
                "must be a rate such as `120/min` or a number per minute",
            ));
        }
    };
    rate_from_text(&text).map_err(|message| bad(&message))
}

/// Reads a rate such as `120/min`; `0` means unlimited.
pub fn rate_from_text(text: &str) -> Result<Rate, String> {
    let text = if text.trim() == "0" { "0/min" } else { text };
    parse_rate("rate_limit", Some(text.to_owned()), DEFAULT_KEY_RATE).map_err(|e| e.message)
}

/// Formats a rate the way it is read: `120/min`, `10/15min`, `0` when unlimited.
pub fn format_rate(rate: Rate) -> String {
    if rate.count == 0 {
        return "0".to_owned();
    }
    let secs = rate.period.as_secs();
    let period = match secs {
        1 => "s".to_owned(),
        60 => "min".to_owned(),
        3600 => "hour".to_owned(),
        86_400 => "day".to_owned(),
        s if s % 3600 == 0 => format!("{}hour", s / 3600),
        s if s % 60 == 0 => format!("{}min", s / 60),
        s => format!("{s}s"),
    };
    format!("{}/{period}", rate.count)
}

/// The rate stored with a key.
pub fn rate_of(row: &ApiKeyRow) -> Rate {
    Rate {
        count: u32::try_from(row.rate_limit_count).unwrap_or(u32::MAX),
        period: std::time::Duration::from_secs(
            u64::try_from(row.rate_limit_period_secs)
                .unwrap_or(60)
                .max(1),
        ),
    }
}

/// Creates a key; returns the stored row and the key itself, which is never shown again.
pub async fn create_api_key(db: &Db, new: NewApiKey) -> Result<(ApiKeyRow, String), ApiError> {
    let mut errors = Vec::new();
    let name = new.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(FieldError::new("name", "must be 1 to 200 characters long"));
    }
    if new.scopes.is_empty() {
        errors.push(FieldError::new(
            "scopes",
            "must name at least one of content:read, feeds:read, embargoed:read",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let mut scopes: Vec<&str> = new.scopes.iter().map(|s| s.as_str()).collect();
    scopes.sort_unstable();
    scopes.dedup();
    let scopes = serde_json::to_string(&scopes).map_err(ApiError::internal)?;
    let secret = tokens::new_secret(API_KEY_PREFIX);
    let hash = tokens::digest(&secret);
    let prefix: String = secret.chars().take(VISIBLE_PREFIX_CHARS).collect();
    let id = uuid::Uuid::now_v7().to_string();
    let rate = new.rate;
    let created_by = new.created_by;
    let row = db
        .write(move |conn| {
            let now = crate::time::now();
            db::api_keys::insert(
                conn,
                &NewApiKeyRow {
                    id: &id,
                    name: &name,
                    prefix: &prefix,
                    key_hash: &hash,
                    scopes: &scopes,
                    rate_limit_count: i64::from(rate.count),
                    rate_limit_period_secs: i64::try_from(rate.period.as_secs())
                        .unwrap_or(i64::MAX),
                    created_by: created_by.as_deref(),
                    created_at: &now,
                    updated_at: &now,
                },
            )?;
            db::api_keys::find(conn, &id)?
                .ok_or_else(|| ApiError::internal("inserted key vanished"))
        })
        .await?;
    Ok((row, secret))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_from_text_or_numbers_and_print_back() {
        let rate = rate_from_json(Some(&serde_json::json!(120))).unwrap();
        assert_eq!(format_rate(rate), "120/min");
        let rate = rate_from_json(Some(&serde_json::json!("10/15min"))).unwrap();
        assert_eq!(format_rate(rate), "10/15min");
        assert_eq!(format_rate(rate_from_json(None).unwrap()), "600/min");
        assert_eq!(format_rate(rate_from_text("0").unwrap()), "0");
        assert!(rate_from_json(Some(&serde_json::json!("lots"))).is_err());
        assert!(rate_from_json(Some(&serde_json::json!(true))).is_err());
    }
}
