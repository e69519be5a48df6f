//! Content negotiation that more than one layer needs: the photo endpoint picks WebP by
//! `Accept`, and the response cache must key photo answers the same way.

use actix_web::http::header;

/// True when `Accept` names `image/webp` (or `image/*`) with a non-zero quality.
pub fn accepts_webp(headers: &actix_web::http::header::HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let range = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let zero = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            range == "image/webp" && !zero
        })
}
