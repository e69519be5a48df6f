//! JSON request bodies nested too deeply: a 400 problem on every endpoint that reads JSON,
//! typed or not, plain or compressed, with nothing written.

use std::io::Write;

use diesel::prelude::*;
use newsdesk::db::schema::articles;
use serde_json::json;

use newsdesk::auth::Role;

use crate::articles::{Desk, bearer};
use crate::helpers::{TestApp, TestResponse};

/// `[[[...]]]`, `depth` levels deep.
fn deeply_nested_array(depth: usize) -> Vec<u8> {
    let mut body = Vec::with_capacity(depth * 2);
    body.extend(std::iter::repeat_n(b'[', depth));
    body.extend(std::iter::repeat_n(b']', depth));
    body
}

fn article_count(desk: &Desk) -> i64 {
    articles::table
        .count()
        .get_result(&mut desk.app.conn())
        .unwrap()
}

fn assert_too_deep(response: &TestResponse) {
    let problem = response.problem(400);
    assert_eq!(problem["type"], "/problems/bad-request");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("nested too deeply"), "{detail}");
}

#[actix_web::test]
async fn a_body_ten_thousand_levels_deep_sent_to_a_typed_endpoint_is_a_400_and_creates_nothing() {
    // Arrange
    let desk = Desk::open().await;

    // Act
    let response = desk
        .app
        .raw(
            "POST",
            "/v1/articles",
            &[
                ("content-type", "application/json"),
                ("authorization", &desk.editor),
            ],
            Some(deeply_nested_array(10_000)),
        )
        .await;

    // Assert
    assert_too_deep(&response);
    assert_eq!(article_count(&desk), 0);
}

#[actix_web::test]
async fn a_deep_merge_patch_or_publish_body_is_a_400_and_changes_nothing() {
    // Arrange
    let desk = Desk::open().await;
    let draft = desk.draft(json!({"headline": "Harbour tolls"})).await;
    let path = format!("/v1/articles/{}", draft["id"].as_str().unwrap());

    // Act: a +json type on PATCH, and the publish endpoint, which reads its optional body itself.
    let patched = desk
        .app
        .raw(
            "PATCH",
            &path,
            &[
                ("content-type", "application/merge-patch+json"),
                ("authorization", &desk.editor),
                ("if-match", "*"),
            ],
            Some(deeply_nested_array(10_000)),
        )
        .await;
    let published = desk
        .app
        .raw(
            "POST",
            &format!("{path}/publish"),
            &[
                ("content-type", "application/json"),
                ("authorization", &desk.editor),
            ],
            Some(deeply_nested_array(10_000)),
        )
        .await;

    // Assert
    assert_too_deep(&patched);
    assert_too_deep(&published);
    let now = desk.get_as(&path, &desk.editor).await.value();
    assert_eq!(now["version"], 1);
    assert_eq!(now["status"], "draft");
}

#[actix_web::test]
async fn a_deep_body_is_refused_when_it_arrives_gzip_compressed_too() {
    // Arrange: 10,000 levels squeeze into a few dozen bytes.
    let desk = Desk::open().await;
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(&deeply_nested_array(10_000)).unwrap();
    let compressed = gzip.finish().unwrap();

    // Act
    let response = post_gzip(&desk, compressed).await;

    // Assert
    assert_too_deep(&response);
    assert_eq!(article_count(&desk), 0);
}

#[actix_web::test]
async fn a_gzip_compressed_body_of_normal_depth_is_still_read() {
    // Arrange
    let desk = Desk::open().await;
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(br#"{"headline": "Compressed but shallow"}"#)
        .unwrap();
    let compressed = gzip.finish().unwrap();

    // Act
    let response = post_gzip(&desk, compressed).await;

    // Assert
    assert_eq!(response.status, 201, "{}", response.text());
    assert_eq!(response.value()["headline"], "Compressed but shallow");
}

#[actix_web::test]
async fn brackets_inside_strings_do_not_count_as_nesting() {
    let desk = Desk::open().await;
    let brackets = format!("{}{}", "[{".repeat(150), "}]".repeat(150));

    let article = desk
        .draft(json!({"headline": "Brackets", "standfirst": brackets}))
        .await;

    assert_eq!(article["standfirst"], brackets);
}

#[actix_web::test]
async fn a_deep_body_over_the_size_limit_is_still_a_413() {
    let app = TestApp::spawn_with(|s| s.max_body_bytes = 1024).await;
    let editor = bearer(&app.token(Role::Editor).await);

    let response = app
        .raw(
            "POST",
            "/v1/articles",
            &[
                ("content-type", "application/json"),
                ("authorization", &editor),
            ],
            Some(deeply_nested_array(10_000)),
        )
        .await;

    response.problem(413);
}

/// Creates an article as the editor with a gzip-compressed JSON body.
async fn post_gzip(desk: &Desk, compressed: Vec<u8>) -> crate::helpers::TestResponse {
    desk.app
        .raw(
            "POST",
            "/v1/articles",
            &[
                ("content-type", "application/json"),
                ("content-encoding", "gzip"),
                ("authorization", &desk.editor),
            ],
            Some(compressed),
        )
        .await
}
