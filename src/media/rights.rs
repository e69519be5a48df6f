//! Who may see which photos: the SQL conditions behind media visibility for the public and
//! for partners, who only ever get pictures they may republish while the licence runs.

use crate::auth::{Caller, Role};
use crate::db::content_support::{public_media, quote_literal};

/// The condition a photo meets when a partner may republish it at `now`: syndication is
/// allowed and its usage has not expired.
pub fn syndicable_media(now: &str) -> String {
    let now = quote_literal(now);
    format!(
        "(media.syndication_allowed = 1 AND (media.usage_expires IS NULL OR media.usage_expires > {now}))"
    )
}

/// The SQL condition on the `media` table for what `caller` may see, or `None` when the
/// caller sees everything (contributors, editors, admins). The public sees photos used by a
/// visible article or by a speaker; partners see those only when they may republish them.
pub fn media_filter(caller: &Caller) -> Option<String> {
    if caller.has_role(Role::Contributor) {
        return None;
    }
    let now = crate::time::now();
    let public = public_media(&now);
    Some(match caller {
        Caller::Partner(_) => format!("({public} AND {})", syndicable_media(&now)),
        _ => public,
    })
}

/// For a partner caller, the time against which `usage_expires` is judged; `None` otherwise.
pub fn partner_at(caller: &Caller) -> Option<String> {
    matches!(caller, Caller::Partner(_)).then(crate::time::now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partners_only_get_syndicable_media_and_staff_see_all() {
        let partner = Caller::Partner(crate::auth::PartnerCaller {
            key_id: "k".into(),
            scopes: Vec::new(),
        });
        let filter = media_filter(&partner).unwrap_or_default();
        assert!(filter.contains("syndication_allowed = 1"));
        assert!(filter.contains("usage_expires"));
        let public = media_filter(&Caller::Anonymous).unwrap_or_default();
        assert!(!public.contains("syndication_allowed"));
    }
}
