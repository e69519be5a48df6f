//! Idempotency keys as stored: a reservation while the first request runs, then its answer.
//! The middleware in `http::idempotency` decides when each of these runs.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use crate::db::schema::idempotency_keys;

/// How long a key and its answer are kept.
pub const KEY_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
/// How long a reservation may stay unfinished before it is taken for abandoned (its server
/// stopped mid-request); no handler runs this long.
pub const IN_FLIGHT_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// A stored first answer, or a reservation (`completed` false) while the first request runs.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys, check_for_backend(diesel::sqlite::Sqlite))]
pub struct StoredAnswer {
    /// Who sent the request (`user:ID` or `key:ID`).
    pub caller: String,
    /// The client's key.
    pub key: String,
    /// Request method.
    pub method: String,
    /// Request path and query.
    pub path: String,
    /// SHA-256 of method, path and body.
    pub request_hash: String,
    /// Status of the first answer (0 while it runs).
    pub status: i32,
    /// Its content type.
    pub content_type: Option<String>,
    /// Its Location header.
    pub location: Option<String>,
    /// Its body.
    pub body: Vec<u8>,
    /// When the key was first used.
    pub created_at: String,
    /// Whether the answer is stored (false while the first request runs).
    pub completed: bool,
}

/// What a key's reservation found.
#[derive(Debug)]
pub enum Reservation {
    /// The key is new (or had expired): it is now reserved, and the request runs.
    Reserved,
    /// The first request with this key is still running (whatever this one's body).
    InFlight,
    /// The key was used with another request.
    Mismatch,
    /// The first answer, to send again.
    Replay(Box<StoredAnswer>),
}

/// A request to reserve its key for: who, which key, and the request's fingerprint.
#[derive(Debug, Clone)]
pub struct KeyedRequest {
    /// `user:ID` or `key:ID`.
    pub caller: String,
    /// The client's key.
    pub key: String,
    /// Request method.
    pub method: String,
    /// Request path and query.
    pub path: String,
    /// SHA-256 of method, path and body.
    pub request_hash: String,
}

/// Purges expired keys and abandoned reservations, then reserves `request`'s key unless it is
/// taken; run it inside a write transaction (`Db::write`), which makes look-up and reservation
/// one atomic step.
pub fn reserve(
    conn: &mut SqliteConnection,
    request: &KeyedRequest,
    now: DateTime<Utc>,
) -> QueryResult<Reservation> {
    let expired = crate::time::format(now - KEY_LIFETIME);
    let abandoned = crate::time::format(now - IN_FLIGHT_LIFETIME);
    diesel::delete(
        idempotency_keys::table.filter(
            idempotency_keys::created_at
                .lt(&expired)
                .or(idempotency_keys::completed
                    .eq(false)
                    .and(idempotency_keys::created_at.lt(&abandoned))),
        ),
    )
    .execute(conn)?;
    let stored = idempotency_keys::table
        .find((&request.caller, &request.key))
        .select(StoredAnswer::as_select())
        .first(conn)
        .optional()?;
    match stored {
        // While the first request runs, any other with its key waits for it, whatever its body.
        Some(stored) if !stored.completed => Ok(Reservation::InFlight),
        Some(stored) if stored.request_hash != request.request_hash => Ok(Reservation::Mismatch),
        Some(stored) => Ok(Reservation::Replay(Box::new(stored))),
        None => {
            diesel::insert_into(idempotency_keys::table)
                .values(&StoredAnswer {
                    caller: request.caller.clone(),
                    key: request.key.clone(),
                    method: request.method.clone(),
                    path: request.path.clone(),
                    request_hash: request.request_hash.clone(),
                    status: 0,
                    content_type: None,
                    location: None,
                    body: Vec::new(),
                    created_at: crate::time::format(now),
                    completed: false,
                })
                .execute(conn)?;
            Ok(Reservation::Reserved)
        }
    }
}

/// The first answer to keep for a reserved key.
pub struct Answer {
    /// Its status.
    pub status: i32,
    /// Its content type.
    pub content_type: Option<String>,
    /// Its Location header.
    pub location: Option<String>,
    /// Its body.
    pub body: Vec<u8>,
}

/// Stores the first answer of a reserved key, which makes the key replay it.
pub fn complete(
    conn: &mut SqliteConnection,
    caller: &str,
    key: &str,
    answer: Answer,
) -> QueryResult<()> {
    diesel::update(
        idempotency_keys::table
            .find((caller, key))
            .filter(idempotency_keys::completed.eq(false)),
    )
    .set((
        idempotency_keys::status.eq(answer.status),
        idempotency_keys::content_type.eq(answer.content_type),
        idempotency_keys::location.eq(answer.location),
        idempotency_keys::body.eq(answer.body),
        idempotency_keys::completed.eq(true),
    ))
    .execute(conn)?;
    Ok(())
}

/// Withdraws a reservation whose answer was not stored.
pub fn withdraw(conn: &mut SqliteConnection, caller: &str, key: &str) -> QueryResult<()> {
    diesel::delete(
        idempotency_keys::table
            .find((caller, key))
            .filter(idempotency_keys::completed.eq(false)),
    )
    .execute(conn)?;
    Ok(())
}
