//! Media: visibility of photos and their files, and how files are served.

use crate::helpers::TestApp;
use crate::speakers::{Fixtures, images};

#[actix_web::test]
async fn media_no_visible_article_or_speaker_uses_is_hidden_from_the_public() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let unused = fx.media(&images::png(4, 3))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let in_draft = fx.media(&images::gif(5, 5))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let draft = fx.article("draft", None);
    fx.link_media(&draft, &in_draft);

    let list = app.get("/v1/media?count=true").await;

    assert_eq!(list.value()["total"], 0);
    for id in [&unused, &in_draft] {
        app.get(&format!("/v1/media/{id}")).await.problem(404);
        app.get(&format!("/v1/media/{id}/file")).await.problem(404);
    }
}

#[actix_web::test]
async fn media_used_by_a_published_article_or_a_speaker_is_public() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let in_article = fx.media(&images::png(4, 3))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let portrait = fx.media(&images::jpeg(20, 30))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let article = fx.published_article();
    fx.link_media(&article, &in_article);
    fx.speaker_with_photo("Amina Diallo", Some(&portrait));

    let list = app.get("/v1/media?sort=created_at").await;

    let body = list.value();
    let ids: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [in_article.as_str(), portrait.as_str()]);
    let media = app.get(&format!("/v1/media/{portrait}")).await.value();
    assert_eq!(media["content_type"], "image/jpeg");
    assert_eq!(
        (media["width"].as_i64(), media["height"].as_i64()),
        (Some(20), Some(30))
    );
    assert_eq!(media["renditions"], serde_json::json!([]));
    assert!(
        media["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/v1/media/{portrait}/file"))
    );
}

#[actix_web::test]
async fn a_file_is_served_with_its_type_nosniff_and_a_strong_etag_that_answers_304() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let bytes = images::webp(7, 9);
    let media = fx.media(&bytes);
    let id = media["id"].as_str().unwrap().to_owned();
    fx.speaker_with_photo("Amina Diallo", Some(&id));

    let response = app.get(&format!("/v1/media/{id}/file")).await;

    assert_eq!(response.status, 200);
    assert_eq!(response.body, bytes);
    assert_eq!(response.header("content-type"), Some("image/webp"));
    assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(response.header("accept-ranges"), Some("bytes"));
    let etag = response.header("etag").unwrap();
    assert!(!etag.starts_with("W/"));
    assert_eq!(etag, format!("\"{}\"", media["sha256"].as_str().unwrap()));
    let again = app
        .get_with(&format!("/v1/media/{id}/file"), &[("if-none-match", etag)])
        .await;
    assert_eq!(again.status, 304);
}

#[actix_web::test]
async fn a_single_byte_range_is_a_206_and_one_outside_the_file_a_416() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let bytes = images::png(4, 3);
    let id = fx.media(&bytes)["id"].as_str().unwrap().to_owned();
    fx.speaker_with_photo("Amina Diallo", Some(&id));
    let path = format!("/v1/media/{id}/file");

    let part = app.get_with(&path, &[("range", "bytes=2-5")]).await;
    let suffix = app.get_with(&path, &[("range", "bytes=-4")]).await;
    let outside = app.get_with(&path, &[("range", "bytes=5000-")]).await;
    let stale = app
        .get_with(&path, &[("range", "bytes=2-5"), ("if-range", "\"other\"")])
        .await;

    assert_eq!(part.status, 206);
    assert_eq!(part.body, &bytes[2..=5]);
    let len = bytes.len();
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes 2-5/{len}").as_str())
    );
    assert_eq!(suffix.body, &bytes[len - 4..]);
    outside.problem(416);
    assert_eq!(
        outside.header("content-range"),
        Some(format!("bytes */{len}").as_str())
    );
    assert_eq!(stale.status, 200);
    assert_eq!(stale.body, bytes);
}

#[actix_web::test]
async fn the_library_store_records_size_type_and_hash_and_keeps_one_file_per_content() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let bytes = images::gif(11, 13);

    let first = fx.media(&bytes);
    let second = fx.media(&bytes);

    assert_eq!(first["content_type"], "image/gif");
    assert_eq!(first["bytes"], bytes.len());
    assert_eq!(first["sha256"], second["sha256"]);
    assert_ne!(first["id"], second["id"]);
    let sha = first["sha256"].as_str().unwrap();
    let stored = app
        .dir
        .path()
        .join("media/originals")
        .join(&sha[..2])
        .join(sha);
    assert_eq!(std::fs::read(stored).unwrap(), bytes);
    assert_eq!(
        fx.changes("media", first["id"].as_str().unwrap(), "create"),
        1
    );
}

#[actix_web::test]
async fn uploading_without_signing_in_is_a_401() {
    let app = TestApp::spawn().await;
    let response = app
        .raw(
            "POST",
            "/v1/media",
            &[("content-type", "multipart/form-data; boundary=x")],
            Some(b"--x--\r\n".to_vec()),
        )
        .await;
    response.problem(401);
}

#[actix_web::test]
async fn unknown_file_parameters_are_400s() {
    let app = TestApp::spawn().await;
    app.get("/v1/media/x/file?size=big").await.problem(400);
    app.get("/v1/media/x/file?w=0").await.problem(400);
}
