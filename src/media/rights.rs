//! How long caches may keep a photo file, which never outlasts the photo's rights or its
//! visibility (who may see a photo at all is `newsroom::visibility`'s photo rule).

use chrono::{DateTime, Utc};

use crate::auth::Caller;
use crate::newsroom::visibility::Viewer;

/// The longest any photo file is cached: a year, `immutable`.
pub const FILE_MAX_AGE: u64 = 31_536_000;

/// Who a served photo file may be cached for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileAudience {
    /// Sent `public`: a shared cache may give it to anyone. The public sees a photo only while
    /// a published article or a speaker uses it, and an unpublish ends that, so such a copy
    /// gets the short lifetime of public reads and is never `immutable`.
    Shared,
    /// Sent `private` to a caller who sees every photo whatever is published
    /// (editors and admins), for a URL whose bytes never change (an original or a
    /// rendition, not a crop, which moves with the focal point): nothing can take it away
    /// but deleting the photo, so a year and `immutable` (unless it has a usage date).
    PrivateStable,
    /// Sent `private`, but the caller's access or the bytes can change: the short lifetime.
    Private,
}

impl FileAudience {
    /// The audience of a file served to `caller`: `shared` when the response is `public`,
    /// `fixed_bytes` when the URL always serves the same bytes.
    pub fn of(caller: &Caller, shared: bool, fixed_bytes: bool) -> Self {
        if shared {
            FileAudience::Shared
        } else if fixed_bytes && Viewer::of(caller).sees_everything() {
            FileAudience::PrivateStable
        } else {
            FileAudience::Private
        }
    }
}

/// The `Cache-Control` of a photo file: see [`FileAudience`] for the lifetime each audience
/// gets (`short` is the `max-age` of public reads). Whatever the audience, `max-age` never
/// reaches past `usage_expires`: a photo whose rights lapse is revalidated by then, and one
/// already past it (or with a date that cannot be read) gets `max-age=0`. A photo with a
/// usage date is never `immutable`.
pub fn file_cache_control(
    audience: FileAudience,
    usage_expires: Option<&str>,
    now: DateTime<Utc>,
    short: u64,
) -> String {
    let (scope, lifetime, immutable) = match audience {
        FileAudience::Shared => ("public", short, false),
        FileAudience::PrivateStable => ("private", FILE_MAX_AGE, usage_expires.is_none()),
        FileAudience::Private => ("private", short, false),
    };
    let until_expiry = usage_expires.map(|text| {
        crate::time::parse(text)
            .map_or(0, |at| u64::try_from((at - now).num_seconds()).unwrap_or(0))
    });
    let max_age = until_expiry.map_or(lifetime, |until| until.min(lifetime));
    if immutable {
        format!("{scope}, max-age={max_age}, immutable")
    } else {
        format!("{scope}, max-age={max_age}")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn file_lifetimes_stop_at_the_usage_date_and_only_stable_private_copies_are_immutable() {
        let now = crate::time::parse("2026-12-01T10:00:00Z").unwrap();
        let control = |audience, expires| file_cache_control(audience, expires, now, 60);
        assert_eq!(control(FileAudience::Shared, None), "public, max-age=60");
        assert_eq!(control(FileAudience::Private, None), "private, max-age=60");
        assert_eq!(
            control(FileAudience::PrivateStable, None),
            "private, max-age=31536000, immutable"
        );
        assert_eq!(
            control(FileAudience::PrivateStable, Some("2026-12-01T11:00:00Z")),
            "private, max-age=3600"
        );
        assert_eq!(
            control(FileAudience::Shared, Some("2026-12-01T10:00:30.000000Z")),
            "public, max-age=30"
        );
        assert_eq!(
            control(FileAudience::Shared, Some("2026-11-01T00:00:00Z")),
            "public, max-age=0"
        );
        assert_eq!(
            control(FileAudience::PrivateStable, Some("not a time")),
            "private, max-age=0"
        );
    }

    #[test]
    fn only_callers_who_see_every_photo_get_stable_private_copies() {
        let partner = Caller::Partner(crate::auth::PartnerCaller {
            key_id: "k".into(),
            scopes: Vec::new(),
        });
        assert_eq!(
            FileAudience::of(&partner, false, true),
            FileAudience::Private
        );
        assert_eq!(
            FileAudience::of(&Caller::Anonymous, true, true),
            FileAudience::Shared
        );
    }
}
