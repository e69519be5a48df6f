//! Benchmark-only routes: a fixed 2 KB JSON answer that measures what the HTTP stack alone can
//! do on this machine. Compiled in only with the `bench` cargo feature; without it, `routes`
//! registers nothing. The route is added outside the OpenAPI collection, so the published
//! document is the same with and without the feature.

use actix_web::web::ServiceConfig;

/// Registers the benchmark routes (none unless built with `--features bench`).
pub fn routes(cfg: &mut ServiceConfig) {
    #[cfg(feature = "bench")]
    cfg.route(
        "/__bench/ceiling",
        actix_web::web::get().to(ceiling::get_ceiling),
    );
    #[cfg(not(feature = "bench"))]
    let _ = cfg;
}

#[cfg(feature = "bench")]
mod ceiling {
    use std::sync::LazyLock;

    use actix_web::HttpResponse;
    use actix_web::http::header;

    /// Size of the ceiling's body, close to one article summary page entry set.
    pub const CEILING_BYTES: usize = 2048;

    /// The fixed body: a JSON object padded to exactly [`CEILING_BYTES`].
    pub static CEILING_BODY: LazyLock<Vec<u8>> = LazyLock::new(|| {
        let head = r#"{"data":"ceiling","padding":""#;
        let tail = r#""}"#;
        let fill = CEILING_BYTES - head.len() - tail.len();
        let mut body = String::with_capacity(CEILING_BYTES);
        body.push_str(head);
        body.extend(std::iter::repeat_n('x', fill));
        body.push_str(tail);
        body.into_bytes()
    });

    /// Answers with the fixed body, as cheaply as the stack allows.
    pub async fn get_ceiling() -> HttpResponse {
        HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .content_type("application/json")
            .body(CEILING_BODY.as_slice())
    }

    #[cfg(test)]
    #[allow(clippy::unwrap_used)]
    mod tests {
        use super::*;

        #[test]
        fn the_ceiling_body_is_two_kilobytes_of_valid_json() {
            assert_eq!(CEILING_BODY.len(), CEILING_BYTES);
            let value: serde_json::Value = serde_json::from_slice(&CEILING_BODY).unwrap();
            assert_eq!(value["data"], "ceiling");
        }
    }
}
