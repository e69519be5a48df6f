//! HTTP plumbing shared by every endpoint: telemetry, error fallbacks, conditional responses.

pub mod cache;
pub mod client;
pub mod coding;
pub mod fallback;
pub mod idempotency;
pub mod json_depth;
pub mod negotiation;
pub mod response_cache;
pub mod security_headers;
pub mod telemetry;
