//! Ids of new resources: opaque, time-ordered strings.

/// A new time-ordered id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
