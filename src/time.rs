//! Time as stored and shown: RFC 3339 UTC with microseconds, which sorts correctly as text.

use chrono::{DateTime, SecondsFormat, Utc};

/// Formats a time the way it is stored and returned.
pub fn format(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The current time, formatted.
pub fn now() -> String {
    format(Utc::now())
}

/// Parses any RFC 3339 time (any offset) into UTC.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Re-formats a client-given RFC 3339 time into the stored form (for comparisons in SQL).
pub fn normalize(text: &str) -> Option<String> {
    parse(text).map(format)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_sort_as_text_in_time_order() {
        let a = normalize("2026-01-02T03:04:05+02:00").unwrap();
        let b = normalize("2026-01-02T01:04:05.5Z").unwrap();
        assert_eq!(a, "2026-01-02T01:04:05.000000Z");
        assert!(a < b);
        assert!(parse("yesterday").is_none());
    }
}
