//! Rows and queries of the `webhooks` and `webhook_deliveries` tables, and the fan-out of new
//! changes into deliveries.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use crate::db::schema::{changes, webhook_deliveries, webhooks};

/// A webhook subscription as stored (with its signing secret).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhooks, check_for_backend(diesel::sqlite::Sqlite))]
pub struct WebhookRow {
    /// The id.
    pub id: String,
    /// Where deliveries are POSTed.
    pub url: String,
    /// JSON array of event patterns.
    pub events: String,
    /// The HMAC key that signs deliveries.
    pub secret: String,
    /// The last change already turned into deliveries.
    pub last_seq: i64,
    /// The admin who created it.
    pub created_by: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// Grows with each change.
    pub version: i64,
}

/// The insert form of a webhook.
#[derive(Debug, Insertable)]
#[diesel(table_name = webhooks)]
pub struct NewWebhook {
    /// The id.
    pub id: String,
    /// Target URL.
    pub url: String,
    /// JSON array of event patterns.
    pub events: String,
    /// Signing secret.
    pub secret: String,
    /// The newest change at creation; only later ones are delivered.
    pub last_seq: i64,
    /// The creating admin.
    pub created_by: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// Same as creation time.
    pub updated_at: String,
}

/// One delivery as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries, check_for_backend(diesel::sqlite::Sqlite))]
pub struct DeliveryRow {
    /// The id.
    pub id: String,
    /// The webhook it goes to.
    pub webhook_id: String,
    /// The change it reports.
    pub change_seq: i64,
    /// The event name, e.g. `article.publish`.
    pub event: String,
    /// The JSON body sent.
    pub payload: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made so far.
    pub attempts: i32,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<String>,
    /// The HTTP status of the last attempt, when one was received.
    pub last_status_code: Option<i32>,
    /// What went wrong on the last attempt.
    pub last_error: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

/// The insert form of a delivery.
#[derive(Debug, Insertable)]
#[diesel(table_name = webhook_deliveries)]
pub struct NewDelivery {
    /// The id.
    pub id: String,
    /// The webhook.
    pub webhook_id: String,
    /// The change.
    pub change_seq: i64,
    /// The event name.
    pub event: String,
    /// The JSON body.
    pub payload: String,
    /// Always `pending`.
    pub status: String,
    /// Due now.
    pub next_attempt_at: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// Same as creation time.
    pub updated_at: String,
}

/// A change-feed row, as deliveries report it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = changes, check_for_backend(diesel::sqlite::Sqlite))]
pub struct ChangeRow {
    /// Position in the feed.
    pub seq: i64,
    /// `article`, `quote`, `speaker` or `media`.
    pub resource: String,
    /// The resource's id.
    pub resource_id: String,
    /// `create`, `update`, `publish`, `unpublish` or `delete`.
    pub operation: String,
    /// The resource's version after the change.
    pub version: i64,
    /// When.
    pub at: String,
}

/// The newest change's position (0 for an empty feed).
pub fn latest_seq(conn: &mut SqliteConnection) -> QueryResult<i64> {
    let max: Option<i64> = changes::table
        .select(diesel::dsl::max(changes::seq))
        .first(conn)?;
    Ok(max.unwrap_or(0))
}

/// Stores a new webhook.
pub fn insert(conn: &mut SqliteConnection, new: &NewWebhook) -> QueryResult<WebhookRow> {
    diesel::insert_into(webhooks::table)
        .values(new)
        .returning(WebhookRow::as_returning())
        .get_result(conn)
}

/// The webhook with this id.
pub fn find(conn: &mut SqliteConnection, id: &str) -> QueryResult<Option<WebhookRow>> {
    webhooks::table
        .find(id)
        .select(WebhookRow::as_select())
        .first(conn)
        .optional()
}

/// Webhooks oldest first, after `(created_at, id)`.
pub fn list(
    conn: &mut SqliteConnection,
    after: Option<(&str, &str)>,
    limit: i64,
) -> QueryResult<Vec<WebhookRow>> {
    let mut query = webhooks::table.into_boxed();
    if let Some((at, id)) = after {
        query = query.filter(
            webhooks::created_at
                .gt(at.to_owned())
                .or(webhooks::created_at
                    .eq(at.to_owned())
                    .and(webhooks::id.gt(id.to_owned()))),
        );
    }
    query
        .order((webhooks::created_at.asc(), webhooks::id.asc()))
        .select(WebhookRow::as_select())
        .limit(limit)
        .load(conn)
}

/// Removes a webhook and its delivery log.
pub fn delete(conn: &mut SqliteConnection, id: &str) -> QueryResult<()> {
    diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(id)))
        .execute(conn)?;
    diesel::delete(webhooks::table.find(id)).execute(conn)?;
    Ok(())
}

/// Deliveries of a webhook, newest first, after `(created_at, id)`.
pub fn deliveries(
    conn: &mut SqliteConnection,
    webhook_id: &str,
    after: Option<(&str, &str)>,
    limit: i64,
) -> QueryResult<Vec<DeliveryRow>> {
    let mut query = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id.to_owned()))
        .into_boxed();
    if let Some((at, id)) = after {
        query = query.filter(
            webhook_deliveries::created_at
                .lt(at.to_owned())
                .or(webhook_deliveries::created_at
                    .eq(at.to_owned())
                    .and(webhook_deliveries::id.lt(id.to_owned()))),
        );
    }
    query
        .order((
            webhook_deliveries::created_at.desc(),
            webhook_deliveries::id.desc(),
        ))
        .select(DeliveryRow::as_select())
        .limit(limit)
        .load(conn)
}

/// Webhooks that have changes not yet turned into deliveries.
pub fn behind(conn: &mut SqliteConnection, latest: i64) -> QueryResult<Vec<WebhookRow>> {
    webhooks::table
        .filter(webhooks::last_seq.lt(latest))
        .select(WebhookRow::as_select())
        .load(conn)
}

/// Changes after `seq`, oldest first.
pub fn changes_after(
    conn: &mut SqliteConnection,
    seq: i64,
    limit: i64,
) -> QueryResult<Vec<ChangeRow>> {
    changes::table
        .filter(changes::seq.gt(seq))
        .order(changes::seq.asc())
        .select(ChangeRow::as_select())
        .limit(limit)
        .load(conn)
}

/// Stores new deliveries and moves the webhook's position to `last_seq`.
pub fn enqueue(
    conn: &mut SqliteConnection,
    webhook_id: &str,
    deliveries: &[NewDelivery],
    last_seq: i64,
) -> QueryResult<()> {
    if !deliveries.is_empty() {
        diesel::insert_into(webhook_deliveries::table)
            .values(deliveries)
            .execute(conn)?;
    }
    diesel::update(webhooks::table.find(webhook_id))
        .set(webhooks::last_seq.eq(last_seq))
        .execute(conn)?;
    Ok(())
}

/// Pending deliveries due at `now`, oldest first, with their webhook.
pub fn due(
    conn: &mut SqliteConnection,
    now: &str,
    limit: i64,
) -> QueryResult<Vec<(DeliveryRow, WebhookRow)>> {
    webhook_deliveries::table
        .inner_join(webhooks::table)
        .filter(webhook_deliveries::status.eq("pending"))
        .filter(webhook_deliveries::next_attempt_at.le(now.to_owned()))
        .order((
            webhook_deliveries::next_attempt_at.asc(),
            webhook_deliveries::id.asc(),
        ))
        .select((DeliveryRow::as_select(), WebhookRow::as_select()))
        .limit(limit)
        .load(conn)
}

/// The outcome of one attempt.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = webhook_deliveries, treat_none_as_null = true)]
pub struct AttemptResult {
    /// `pending` (to retry), `delivered` or `failed`.
    pub status: String,
    /// Attempts made, this one included.
    pub attempts: i32,
    /// When to try again (pending only).
    pub next_attempt_at: Option<String>,
    /// The HTTP status received, if any.
    pub last_status_code: Option<i32>,
    /// What went wrong, if anything.
    pub last_error: Option<String>,
    /// Time of this attempt.
    pub updated_at: String,
}

/// Records an attempt.
pub fn record_attempt(
    conn: &mut SqliteConnection,
    id: &str,
    result: &AttemptResult,
) -> QueryResult<()> {
    diesel::update(webhook_deliveries::table.find(id))
        .set(result)
        .execute(conn)?;
    Ok(())
}
