//! What every handler can reach: settings and the database gateway.

use std::sync::Arc;

use crate::config::Settings;
use crate::db::Db;

/// Shared application state, one per server, cloned cheaply into each worker.
#[derive(Clone)]
pub struct AppState {
    /// The settings the server started with.
    pub settings: Arc<Settings>,
    /// The database gateway.
    pub db: Db,
    /// The base URL for absolute links, without a trailing slash.
    pub public_url: Arc<str>,
    /// Token keys and rate limiters for checking credentials.
    pub auth: Arc<crate::auth::AuthState>,
    /// The bound on focal-point crops being made at once.
    pub crops: crate::media::renditions::CropLimit,
}
