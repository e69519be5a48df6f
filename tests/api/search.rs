//! Search through HTTP: ranking, visibility, paging, validation, caching, and the speakers and
//! quotes found alongside.

use serde_json::{Value, json};

use crate::articles::Desk;
use crate::helpers::headlines;

fn paragraph(text: &str) -> Value {
    json!([{"id": "p1", "type": "paragraph", "text": text}])
}

#[actix_web::test]
async fn headline_matches_rank_above_body_matches() {
    let desk = Desk::open().await;
    desk.published(
        json!({"headline": "Markets calm", "body": paragraph("The harbour was quiet.")}),
    )
    .await;
    desk.published(
        json!({"headline": "Harbour tolls rise", "body": paragraph("Shipping firms object.")}),
    )
    .await;
    desk.published(json!({"headline": "Weather", "body": paragraph("Rain all week.")}))
        .await;

    let response = desk.app.get("/v1/search?q=harbour").await;

    assert_eq!(response.status, 200, "{}", response.text());
    let page = response.value();
    assert_eq!(headlines(&page), vec!["Harbour tolls rise", "Markets calm"]);
    assert_eq!(page["next_cursor"], Value::Null);
    assert!(page["data"][0]["links"]["self"].is_string());
}

#[actix_web::test]
async fn every_word_must_match() {
    let desk = Desk::open().await;
    desk.published(json!({"headline": "Harbour tolls rise"}))
        .await;
    desk.published(json!({"headline": "Harbour reopens"})).await;

    let page = desk.app.get("/v1/search?q=harbour%20tolls").await.value();

    assert_eq!(headlines(&page), vec!["Harbour tolls rise"]);
}

#[actix_web::test]
async fn drafts_are_found_by_editors_but_not_by_anonymous_readers() {
    let desk = Desk::open().await;
    desk.draft(json!({"headline": "Secret harbour plan"})).await;

    let anonymous = desk.app.get("/v1/search?q=harbour").await.value();
    let editor = desk.get_as("/v1/search?q=harbour", &desk.editor).await;

    assert!(headlines(&anonymous).is_empty());
    assert_eq!(editor.status, 200);
    assert_eq!(headlines(&editor.value()), vec!["Secret harbour plan"]);
    assert_eq!(editor.header("cache-control"), Some("private, no-store"));
}

#[actix_web::test]
async fn pages_follow_cursors_without_repeats_or_gaps() {
    let desk = Desk::open().await;
    for n in 1..=5 {
        desk.published(json!({"headline": format!("Harbour story {n}")}))
            .await;
    }

    let mut seen = Vec::new();
    let mut path = "/v1/search?q=harbour&limit=2".to_owned();
    for _ in 0..5 {
        let response = desk.app.get(&path).await;
        assert_eq!(response.status, 200, "{}", response.text());
        let page = response.value();
        seen.extend(headlines(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                assert!(response.header("link").unwrap().contains("rel=\"next\""));
                path = format!("/v1/search?q=harbour&limit=2&cursor={cursor}");
            }
            None => break,
        }
    }

    seen.sort();
    let expected: Vec<String> = (1..=5).map(|n| format!("Harbour story {n}")).collect();
    assert_eq!(seen, expected);
}

#[actix_web::test]
async fn visible_matches_are_found_behind_many_better_ranked_drafts_and_paged() {
    let desk = Desk::open().await;
    // Published stories mention the word once, in the body; 45 drafts shout it in the headline
    // and so rank above them all: more than the first batch of candidates.
    for n in 1..=3 {
        desk.published(json!({"headline": format!("Story {n}"),
                              "body": paragraph("Out at the harbour today.")}))
            .await;
    }
    for n in 1..=45 {
        desk.draft(json!({"headline": format!("Harbour harbour harbour {n}")}))
            .await;
    }

    let first = desk.app.get("/v1/search?q=harbour&limit=2").await.value();
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second = desk
        .app
        .get(&format!("/v1/search?q=harbour&limit=2&cursor={cursor}"))
        .await
        .value();
    let as_editor = desk
        .get_as("/v1/search?q=harbour&limit=3", &desk.editor)
        .await
        .value();

    let mut seen = headlines(&first);
    seen.extend(headlines(&second));
    seen.sort();
    assert_eq!(seen, ["Story 1", "Story 2", "Story 3"]);
    assert_eq!(headlines(&first).len(), 2);
    assert!(second["next_cursor"].is_null());
    // Editors see the drafts, best ranked first.
    assert!(
        headlines(&as_editor)
            .iter()
            .all(|h| h.starts_with("Harbour harbour harbour"))
    );
}

#[actix_web::test]
async fn a_cursor_from_another_search_is_refused() {
    let desk = Desk::open().await;
    for n in 1..=3 {
        desk.published(json!({"headline": format!("Harbour story {n}")}))
            .await;
    }
    let page = desk.app.get("/v1/search?q=harbour&limit=1").await.value();
    let cursor = page["next_cursor"].as_str().unwrap();

    let response = desk
        .app
        .get(&format!("/v1/search?q=story&limit=1&cursor={cursor}"))
        .await;

    assert_eq!(response.problem(400)["errors"][0]["field"], "cursor");
}

#[actix_web::test]
async fn a_missing_or_empty_query_is_a_bad_request() {
    let app = Desk::open().await.app;

    for path in [
        "/v1/search",
        "/v1/search?q=",
        "/v1/search?q=%20%20",
        "/v1/search?q=--",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.problem(400)["errors"][0]["field"], "q", "{path}");
    }
}

#[actix_web::test]
async fn unknown_parameters_and_bad_limits_are_bad_requests() {
    let app = Desk::open().await.app;

    let unknown = app.get("/v1/search?q=harbour&sort=headline").await;
    let too_many = app.get("/v1/search?q=harbour&limit=101").await;

    assert_eq!(unknown.problem(400)["errors"][0]["field"], "sort");
    too_many.problem(400);
}

#[actix_web::test]
async fn anonymous_results_are_publicly_cacheable_and_revalidate_with_304() {
    let desk = Desk::open().await;
    desk.published(json!({"headline": "Harbour tolls rise"}))
        .await;
    let first = desk.app.get("/v1/search?q=harbour").await;
    let etag = first.header("etag").unwrap().to_owned();

    let again = desk
        .app
        .get_with("/v1/search?q=harbour", &[("if-none-match", &etag)])
        .await;

    assert!(first.header("cache-control").unwrap().starts_with("public"));
    assert_eq!(again.status, 304);
}

#[actix_web::test]
async fn speakers_and_standalone_quotes_matching_the_words_come_alongside() {
    let desk = Desk::open().await;
    desk.quote(
        "Ada Harbourmaster",
        "Port chief",
        "Port authority",
        "The tolls pay for dredging.",
    );
    desk.quote(
        "Ben Other",
        "Trader",
        "Exchange",
        "Harbour traffic doubled.",
    );

    let page = desk.app.get("/v1/search?q=harbour").await.value();

    let speakers: Vec<&str> = page["speakers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    let quotes: Vec<&str> = page["quotes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["text"].as_str().unwrap())
        .collect();
    assert_eq!(speakers, vec!["Ada Harbourmaster"]);
    assert_eq!(quotes, vec!["Harbour traffic doubled."]);
}
