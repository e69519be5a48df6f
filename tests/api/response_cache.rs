//! The response cache in front of anonymous reads: answers from memory, revalidation, and
//! never a stale or private answer after a write, a publication time or to a signed-in caller.

use std::time::Duration;

use newsdesk::auth::Scope;
use serde_json::json;

use crate::articles::Desk;
use crate::helpers::{TestApp, headlines};

#[actix_web::test]
async fn a_repeated_anonymous_read_is_answered_from_memory_with_the_same_bytes() {
    let desk = Desk::open().await;
    desk.published(json!({"headline": "Harbour reopens", "section": "flash"}))
        .await;

    let first = desk.app.get("/v1/articles/harbour-reopens").await;
    let before = desk.app.state.db.queries_run();
    let second = desk.app.get("/v1/articles/harbour-reopens").await;
    let queries = desk.app.state.db.queries_run() - before;

    assert_eq!(first.status, 200);
    assert_eq!(first.header("x-cache"), Some("MISS"));
    assert_eq!(second.status, 200);
    assert_eq!(second.header("x-cache"), Some("HIT"));
    assert_eq!(queries, 0, "a kept answer reads nothing");
    assert_eq!(second.body, first.body);
    assert_eq!(second.header("etag"), first.header("etag"));
    assert_eq!(
        second.header("last-modified"),
        first.header("last-modified")
    );
    assert_eq!(second.header("cache-control"), Some("public, max-age=60"));
    assert_eq!(second.header("content-type"), first.header("content-type"));
}

#[actix_web::test]
async fn revalidation_is_answered_from_memory_by_etag_and_by_date() {
    let desk = Desk::open().await;
    desk.published(json!({"headline": "Tide tables"})).await;
    let path = "/v1/articles?limit=5";
    let first = desk.app.get(path).await;
    let etag = first.header("etag").unwrap().to_owned();
    let modified = first.header("last-modified").unwrap().to_owned();

    let by_tag = desk
        .app
        .get_with(path, &[("if-none-match", etag.as_str())])
        .await;
    let by_date = desk
        .app
        .get_with(path, &[("if-modified-since", modified.as_str())])
        .await;
    let other_tag = desk
        .app
        .get_with(path, &[("if-none-match", "\"something-else\"")])
        .await;
    // A revalidation that arrives first, before anything is kept, is still answered: the
    // same bytes under another URL carry the same tag, other bytes another one.
    let cold = desk
        .app
        .get_with("/v1/articles?limit=6", &[("if-none-match", etag.as_str())])
        .await;
    let other_fields = desk
        .app
        .get_with(
            "/v1/articles?limit=5&fields=id,headline",
            &[("if-none-match", etag.as_str())],
        )
        .await;

    assert_eq!(by_tag.status, 304);
    assert_eq!(by_tag.header("etag"), Some(etag.as_str()));
    assert_eq!(by_tag.header("cache-control"), Some("public, max-age=60"));
    assert_eq!(by_tag.header("x-cache"), Some("HIT"));
    assert!(by_tag.body.is_empty());
    assert_eq!(by_date.status, 304);
    assert_eq!(other_tag.status, 200);
    assert_eq!(other_tag.body, first.body);
    assert_eq!(cold.status, 304);
    assert_eq!(cold.header("x-cache"), Some("MISS"));
    assert_eq!(other_fields.status, 200);
    assert_ne!(other_fields.header("etag"), Some(etag.as_str()));
}

#[actix_web::test]
async fn a_write_is_seen_by_the_very_next_read() {
    let desk = Desk::open().await;
    let article = desk.published(json!({"headline": "Rates hold"})).await;
    let id = article["id"].as_str().unwrap().to_owned();
    let read = desk.app.get(&format!("/v1/articles/{id}")).await;
    let listed = desk.app.get("/v1/articles").await;
    assert_eq!(
        desk.app.get("/v1/articles").await.header("x-cache"),
        Some("HIT")
    );

    let etag = read.header("etag").unwrap().to_owned();
    let patched = desk
        .app
        .json(
            "PATCH",
            &format!("/v1/articles/{id}"),
            &json!({"headline": "Rates rise"}),
            &[
                ("authorization", desk.editor.as_str()),
                ("if-match", etag.as_str()),
            ],
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());

    let reread = desk.app.get(&format!("/v1/articles/{id}")).await;
    let relisted = desk.app.get("/v1/articles").await;
    assert_eq!(reread.header("x-cache"), Some("MISS"));
    assert_eq!(reread.value()["headline"], "Rates rise");
    assert_ne!(reread.header("etag"), Some(etag.as_str()));
    assert_eq!(headlines(&listed.value()), ["Rates hold"]);
    assert_eq!(headlines(&relisted.value()), ["Rates rise"]);

    // Unpublished: gone from the list at once, and the article is a 404 again.
    let unpublished = desk
        .send(
            "POST",
            &format!("/v1/articles/{id}/unpublish"),
            &json!({}),
            &desk.editor,
        )
        .await;
    assert_eq!(unpublished.status, 200);
    assert!(headlines(&desk.app.get("/v1/articles").await.value()).is_empty());
    desk.app
        .get(&format!("/v1/articles/{id}"))
        .await
        .problem(404);
}

#[actix_web::test]
async fn a_scheduled_article_appears_in_a_kept_list_when_its_time_comes() {
    let desk = Desk::open().await;
    desk.published(json!({"headline": "Already out"})).await;
    let draft = desk.draft(json!({"headline": "Coming soon"})).await;
    let at = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    let scheduled = desk
        .send(
            "POST",
            &format!("/v1/articles/{}/publish", draft["id"].as_str().unwrap()),
            &json!({"at": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)}),
            &desk.editor,
        )
        .await;
    assert_eq!(scheduled.status, 200, "{}", scheduled.text());

    let before = desk.app.get("/v1/articles").await;
    let kept = desk.app.get("/v1/articles").await;
    let wait = (at - chrono::Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_millis(100)).await;
    let after = desk.app.get("/v1/articles").await;

    assert_eq!(headlines(&before.value()), ["Already out"]);
    assert_eq!(kept.header("x-cache"), Some("HIT"));
    assert_eq!(headlines(&after.value()), ["Coming soon", "Already out"]);
    assert_eq!(after.header("x-cache"), Some("MISS"));
}

#[actix_web::test]
async fn signed_in_users_and_partners_are_never_answered_from_the_cache() {
    let desk = Desk::open().await;
    desk.published(json!({"headline": "Port news"})).await;
    desk.app.get("/v1/articles").await;
    assert_eq!(
        desk.app.get("/v1/articles").await.header("x-cache"),
        Some("HIT")
    );
    let key = desk.app.api_key(&[Scope::ContentRead]).await;

    let editor = desk.get_as("/v1/articles", &desk.editor).await;
    let partner = desk
        .app
        .get_with("/v1/articles", &[("x-api-key", key.as_str())])
        .await;
    let bad_token = desk.get_as("/v1/articles", "Bearer not-a-token").await;

    assert_eq!(editor.status, 200);
    assert_eq!(editor.header("x-cache"), None);
    assert_eq!(editor.header("cache-control"), Some("private, no-store"));
    assert_eq!(partner.status, 200);
    assert_eq!(partner.header("x-cache"), None);
    assert_eq!(bad_token.status, 401);
}

#[actix_web::test]
async fn errors_are_not_kept_and_the_cache_can_be_turned_off() {
    let desk = Desk::open().await;
    let missing = desk.app.get("/v1/articles/nothing-here").await;
    let again = desk.app.get("/v1/articles/nothing-here").await;
    assert_eq!(missing.status, 404);
    assert_eq!(again.header("x-cache"), None);

    let off = TestApp::spawn_with(|s| s.response_cache_bytes = 0).await;
    let one = off.get("/v1/articles").await;
    let two = off.get("/v1/articles").await;
    assert_eq!(one.status, 200);
    assert_eq!(two.header("x-cache"), None);
    assert_eq!(two.body, one.body);
}

#[actix_web::test]
async fn kept_answers_are_sent_compressed_as_the_client_prefers_and_decode_to_the_same_bytes() {
    use std::io::Read;
    let desk = Desk::open().await;
    for n in 0..3 {
        desk.published(json!({"headline": format!("Long story {n}"),
                              "standfirst": "A standfirst long enough to be worth compressing."}))
            .await;
    }
    let path = "/v1/articles";
    let plain = desk.app.get(path).await;
    let gzip_first = desk
        .app
        .get_with(path, &[("accept-encoding", "gzip")])
        .await;
    let gzip_again = desk
        .app
        .get_with(path, &[("accept-encoding", "gzip")])
        .await;
    let brotli = desk
        .app
        .get_with(path, &[("accept-encoding", "gzip;q=0.5, br")])
        .await;

    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(gzip_again.header("x-cache"), Some("HIT"));
    assert_eq!(gzip_first.header("content-encoding"), Some("gzip"));
    assert_eq!(gzip_again.header("content-encoding"), Some("gzip"));
    assert_eq!(gzip_again.body, gzip_first.body);
    assert!(
        gzip_again
            .header("vary")
            .unwrap()
            .contains("Accept-Encoding")
    );
    // Each coding is its own representation, with its own strong tag.
    let plain_tag = plain.header("etag").unwrap().trim_end_matches('"');
    assert_eq!(
        gzip_again.header("etag"),
        Some(format!("{plain_tag}-gz\"").as_str())
    );
    assert_eq!(
        brotli.header("etag"),
        Some(format!("{plain_tag}-br\"").as_str())
    );
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gzip_again.body[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain.body);
    assert!(gzip_again.body.len() < plain.body.len());

    assert_eq!(brotli.header("content-encoding"), Some("br"));
    let mut unbrotlied = Vec::new();
    brotli::Decompressor::new(&brotli.body[..], 4096)
        .read_to_end(&mut unbrotlied)
        .unwrap();
    assert_eq!(unbrotlied, plain.body);
}
