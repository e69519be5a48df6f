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
    // The stored file is the cleaned re-encoding, recorded by its own digest.
    assert_eq!(
        newsdesk::media::sha256_hex(&response.body),
        media["sha256"].as_str().unwrap()
    );
    let decoded = image::load_from_memory(&response.body).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (7, 9));
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
    let id = fx.media(&images::png(4, 3))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    fx.speaker_with_photo("Amina Diallo", Some(&id));
    let path = format!("/v1/media/{id}/file");
    let bytes = app.get(&path).await.body;

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
    assert_eq!(first["sha256"], second["sha256"]);
    assert_ne!(first["id"], second["id"]);
    let sha = first["sha256"].as_str().unwrap();
    let stored = app
        .dir
        .path()
        .join("media/originals")
        .join(&sha[..2])
        .join(sha);
    let stored = std::fs::read(stored).unwrap();
    assert_eq!(first["bytes"], stored.len());
    assert_eq!(newsdesk::media::sha256_hex(&stored), sha);
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

use crate::helpers::TestResponse;
use crate::speakers::bearer;
use newsdesk::auth::Role;
use serde_json::json;

const BOUNDARY: &str = "newsdesk-test-boundary";

/// A `multipart/form-data` body: text parts, then optionally a file part.
pub fn form(texts: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in texts {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((filename, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: image/png\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub async fn upload(app: &TestApp, auth: &str, body: Vec<u8>) -> TestResponse {
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    app.raw(
        "POST",
        "/v1/media",
        &[("authorization", auth), ("content-type", &content_type)],
        Some(body),
    )
    .await
}

/// Files left anywhere under the media directory.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(files_under(&path));
            } else {
                found.push(path);
            }
        }
    }
    found
}

#[actix_web::test]
async fn uploads_of_each_accepted_type_record_type_size_hash_and_metadata() {
    let app = TestApp::spawn().await;
    // An editor, who may set the rights fields too.
    let auth = bearer(&app, Role::Editor).await;
    let cases: [(Vec<u8>, &str, (i64, i64)); 4] = [
        (images::png(640, 480), "image/png", (640, 480)),
        (images::jpeg(1600, 1067), "image/jpeg", (1600, 1067)),
        (images::gif(32, 16), "image/gif", (32, 16)),
        (images::webp(300, 200), "image/webp", (300, 200)),
    ];

    for (bytes, content_type, (width, height)) in cases {
        let response = upload(
            &app,
            &auth,
            form(
                &[
                    ("caption", "The minister after the vote."),
                    ("credit", "Photo by A. Reporter/Agency"),
                    ("alt_text", "A woman on steps"),
                    ("syndication_allowed", "true"),
                    ("usage_expires", "2030-01-01T00:00:00Z"),
                    ("focal_point_x", "0.25"),
                    ("focal_point_y", "0.75"),
                ],
                Some(("../../etc/passwd", &bytes)),
            ),
        )
        .await;

        assert_eq!(response.status, 201, "{}", response.text());
        let media = response.value();
        assert_eq!(media["content_type"], content_type);
        assert_eq!(media["kind"], "image");
        assert_eq!(
            (media["width"].as_i64(), media["height"].as_i64()),
            (Some(width), Some(height))
        );
        assert_eq!(media["sha256"].as_str().unwrap().len(), 64);
        assert_eq!(media["caption"], "The minister after the vote.");
        assert_eq!(media["syndication_allowed"], true);
        assert_eq!(media["usage_expires"], "2030-01-01T00:00:00.000000Z");
        assert_eq!(media["focal_point"], json!({"x": 0.25, "y": 0.75}));
        let expected_widths: Vec<i64> = [320, 640, 1024, 1600]
            .into_iter()
            .filter(|w| *w < width)
            .flat_map(|w| {
                if content_type == "image/webp" {
                    vec![w]
                } else {
                    vec![w, w]
                }
            })
            .collect();
        let widths: Vec<i64> = media["renditions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["width"].as_i64().unwrap())
            .collect();
        assert_eq!(widths, expected_widths);
        let file = app
            .get_with(
                &format!("/v1/media/{}/file", media["id"].as_str().unwrap()),
                &[("authorization", &auth)],
            )
            .await;
        assert_eq!(file.body.len() as i64, media["bytes"].as_i64().unwrap());
        assert_eq!(
            newsdesk::media::sha256_hex(&file.body),
            media["sha256"].as_str().unwrap()
        );
    }
    assert!(!app.dir.path().join("etc").exists());
}

#[actix_web::test]
async fn an_svg_or_html_file_named_png_is_a_415() {
    let app = TestApp::spawn().await;
    let auth = bearer(&app, Role::Contributor).await;
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    let html = b"<!DOCTYPE html><html><body>hi</body></html>";

    for bytes in [&svg[..], &html[..]] {
        let response = upload(&app, &auth, form(&[], Some(("photo.png", bytes)))).await;
        response.problem(415);
    }
    assert!(files_under(&app.dir.path().join("media")).is_empty());
}

#[actix_web::test]
async fn a_body_that_is_not_multipart_is_a_415() {
    let app = TestApp::spawn().await;
    let auth = bearer(&app, Role::Contributor).await;

    let response = app
        .json(
            "POST",
            "/v1/media",
            &json!({"file": "x"}),
            &[("authorization", &auth)],
        )
        .await;

    response.problem(415);
}

#[actix_web::test]
async fn a_missing_file_and_unknown_parts_are_422s_naming_them() {
    let app = TestApp::spawn().await;
    let auth = bearer(&app, Role::Contributor).await;

    let response = upload(
        &app,
        &auth,
        form(&[("caption", "x"), ("owner", "me")], None),
    )
    .await;

    let problem = response.problem(422);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["owner", "file"]);
}

#[actix_web::test]
async fn a_file_over_the_limit_is_a_413_with_nothing_left_behind() {
    let app = TestApp::spawn_with(|s| s.max_upload_bytes = 1000).await;
    let auth = bearer(&app, Role::Contributor).await;
    let mut big = images::png(10, 10);
    big.resize(1001, 0);
    let body = form(&[("caption", "big")], Some(("big.png", &big)));

    let declared = upload(&app, &auth, body.clone()).await;
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    let request = app
        .client
        .post(app.url("/v1/media"))
        .insert_header(("authorization", auth.as_str()))
        .insert_header(("content-type", content_type.as_str()));
    let chunks: Vec<Result<actix_web::web::Bytes, std::io::Error>> = body
        .chunks(100)
        .map(|c| Ok(actix_web::web::Bytes::copy_from_slice(c)))
        .collect();
    let mut streamed = request
        .send_stream(futures_util::stream::iter(chunks))
        .await
        .unwrap();
    let streamed_status = streamed.status().as_u16();
    let streamed_body = streamed.body().await.unwrap();

    declared.problem(413);
    assert_eq!(streamed_status, 413, "{streamed_body:?}");
    assert!(files_under(&app.dir.path().join("media")).is_empty());
    let list = app
        .get_with("/v1/media?count=true", &[("authorization", &auth)])
        .await;
    assert_eq!(list.value()["total"], 0);
}

#[actix_web::test]
async fn editors_see_unused_media_and_edit_its_metadata_with_if_match() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let id = fx.media(&images::png(4, 3))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let auth = bearer(&app, Role::Editor).await;
    let path = format!("/v1/media/{id}");

    let read = app.get_with(&path, &[("authorization", &auth)]).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.header("cache-control"), Some("private, no-store"));
    let etag = read.header("etag").unwrap().to_owned();
    let refused = app
        .json(
            "PATCH",
            &path,
            &json!({"syndication_allowed": null, "focal_point": {"x": 2, "y": 0}}),
            &[("authorization", &auth), ("if-match", &etag)],
        )
        .await;
    let patched = app
        .json(
            "PATCH",
            &path,
            &json!({"caption": "New caption", "credit": null, "focal_point": {"x": 0.1, "y": 0.9}}),
            &[("authorization", &auth), ("if-match", &etag)],
        )
        .await;

    let problem = refused.problem(422);
    assert_eq!(problem["errors"].as_array().unwrap().len(), 2, "{problem}");
    assert_eq!(patched.status, 200, "{}", patched.text());
    let media = patched.value();
    assert_eq!(media["caption"], "New caption");
    assert!(media["credit"].is_null());
    assert_eq!(media["focal_point"], json!({"x": 0.1, "y": 0.9}));
    assert_eq!(media["version"], 2);
    assert_eq!(fx.changes("media", &id, "update"), 1);
}

#[actix_web::test]
async fn media_still_in_use_cannot_be_deleted() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let portrait = fx.media(&images::png(4, 3))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let photo = fx.media(&images::gif(4, 3))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    fx.speaker_with_photo("Amina Diallo", Some(&portrait));
    let draft = fx.article("draft", None);
    fx.link_media(&draft, &photo);
    let editor = bearer(&app, Role::Editor).await;
    let headers = [("authorization", editor.as_str()), ("if-match", "*")];

    for id in [&portrait, &photo] {
        let response = app
            .raw("DELETE", &format!("/v1/media/{id}"), &headers, None)
            .await;
        response.problem(409);
    }
}

#[actix_web::test]
async fn deleting_media_removes_its_file_once_no_record_shares_it() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let bytes = images::png(4, 3);
    let first = fx.media(&bytes);
    let second = fx.media(&bytes);
    let sha = first["sha256"].as_str().unwrap();
    let stored = app
        .dir
        .path()
        .join("media/originals")
        .join(&sha[..2])
        .join(sha);
    let editor = bearer(&app, Role::Editor).await;
    let contributor = bearer(&app, Role::Contributor).await;
    let delete = |id: String, auth: String| {
        let app = &app;
        async move {
            app.raw(
                "DELETE",
                &format!("/v1/media/{id}"),
                &[("authorization", &auth), ("if-match", "*")],
                None,
            )
            .await
        }
    };

    let forbidden = delete(first["id"].as_str().unwrap().to_owned(), contributor).await;
    let one = delete(first["id"].as_str().unwrap().to_owned(), editor.clone()).await;
    let still_there = stored.exists();
    let two = delete(second["id"].as_str().unwrap().to_owned(), editor).await;

    forbidden.problem(403);
    assert_eq!(one.status, 204);
    assert!(still_there);
    assert_eq!(two.status, 204);
    assert!(!stored.exists());
    assert_eq!(
        fx.changes("media", first["id"].as_str().unwrap(), "delete"),
        1
    );
}

/// Asserts `instance` is valid against the component schema `name` of the served document.
fn assert_matches_schema(doc: &serde_json::Value, name: &str, instance: &serde_json::Value) {
    let mut root = doc.clone();
    root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    root["$ref"] = json!(format!("#/components/schemas/{name}"));
    let validator = jsonschema::validator_for(&root).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "not a {name}: {errors:#?}\n{instance:#}");
}

#[actix_web::test]
async fn speaker_quote_and_media_responses_match_their_documented_schemas() {
    let app = TestApp::spawn().await;
    let doc = app.get("/openapi.json").await.value();
    let mut fx = Fixtures::open(&app);
    let auth = bearer(&app, Role::Editor).await;
    let headers = [("authorization", auth.as_str())];
    let article = fx.published_article();
    let speaker = app
        .json(
            "POST",
            "/v1/speakers",
            &json!({"name": "Amina Diallo", "title": "Minister"}),
            &headers,
        )
        .await
        .value();
    let quote = app
        .json(
            "POST",
            "/v1/quotes",
            &json!({"text": "Growth.", "speaker_id": speaker["id"], "article_id": article, "said_on": "2026-11-29"}),
            &headers,
        )
        .await
        .value();
    let media = upload(
        &app,
        &auth,
        form(
            &[("focal_point_x", "0.5"), ("focal_point_y", "0.5")],
            Some(("a.png", &images::png(3, 2))),
        ),
    )
    .await
    .value();

    assert_matches_schema(&doc, "Speaker", &speaker);
    // The check has teeth: a speaker is not a media item.
    let mut root = doc.clone();
    root["$ref"] = json!("#/components/schemas/Media");
    assert!(!jsonschema::validator_for(&root).unwrap().is_valid(&speaker));
    assert_matches_schema(&doc, "Quote", &quote);
    assert_matches_schema(&doc, "Media", &media);
    for (path, page) in [
        ("/v1/speakers?count=true", "SpeakerPage"),
        ("/v1/speakers?fields=name", "SpeakerPage"),
        ("/v1/quotes", "QuotePage"),
        ("/v1/media?fields=url,width", "MediaPage"),
        ("/v1/speakers/amina-diallo/quotes", "QuotePage"),
        ("/v1/speakers/amina-diallo/articles", "SpeakerArticlePage"),
    ] {
        let response = app.get_with(path, &headers).await;
        assert_eq!(response.status, 200, "{path}: {}", response.text());
        assert_matches_schema(&doc, page, &response.value());
    }
    let problem = app.get("/v1/speakers?limit=0").await.value();
    assert_matches_schema(&doc, "Problem", &problem);
}

#[actix_web::test]
async fn an_image_declaring_too_many_pixels_is_a_422_naming_the_file() {
    let app = TestApp::spawn_with(|s| s.max_image_pixels = 1_000_000).await;
    let auth = bearer(&app, Role::Contributor).await;

    let response = upload(
        &app,
        &auth,
        form(&[], Some(("huge.png", &images::png_header(60000, 60000)))),
    )
    .await;

    assert_eq!(response.problem(422)["errors"][0]["field"], "file");
    assert!(files_under(&app.dir.path().join("media")).is_empty());
}

#[actix_web::test]
async fn the_people_and_photos_of_stories_follow_the_viewers_visibility() {
    use newsdesk::newsroom::story;
    use newsdesk::newsroom::visibility::Viewer;
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let speaker = fx.speaker("Amina Diallo");
    let published = fx.published_article();
    let draft = fx.article("draft", None);
    let public_quote = fx.quote(&speaker, Some(&published));
    let draft_quote = fx.quote(&speaker, Some(&draft));
    let public_photo = fx.media(&images::png(2, 2))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let draft_photo = fx.media(&images::gif(2, 2))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    fx.link_media(&published, &public_photo);
    fx.link_media(&draft, &draft_photo);
    let mut conn = fx.conn();
    let stories = vec![published.clone(), draft.clone(), "missing".to_owned()];
    let now = newsdesk::time::now();

    let public_quotes = story::quotes_of(&mut conn, &stories, &Viewer::Public, &now).unwrap();
    let editor_quotes = story::quotes_of(&mut conn, &stories, &Viewer::Staff, &now).unwrap();
    let public_media = story::photos_of(&mut conn, &stories, &Viewer::Public, &now).unwrap();
    let editor_media = story::photos_of(&mut conn, &stories, &Viewer::Staff, &now).unwrap();
    let speakers =
        newsdesk::db::speakers::by_ids(&mut conn, std::slice::from_ref(&speaker)).unwrap();

    let quote_ids = |list: Option<&Vec<newsdesk::db::quotes::QuoteRow>>| -> Vec<String> {
        list.map(|l| l.iter().map(|q| q.id.clone()).collect())
            .unwrap_or_default()
    };
    let media_ids = |list: Option<&Vec<newsdesk::db::media::MediaRow>>| -> Vec<String> {
        list.map(|l| l.iter().map(|m| m.id.clone()).collect())
            .unwrap_or_default()
    };
    assert_eq!(quote_ids(public_quotes.get(&published)), [public_quote]);
    assert!(!public_quotes.contains_key(&draft));
    assert_eq!(quote_ids(editor_quotes.get(&draft)), [draft_quote]);
    assert_eq!(media_ids(public_media.get(&published)), [public_photo]);
    assert!(!public_media.contains_key(&draft));
    assert_eq!(media_ids(editor_media.get(&draft)), [draft_photo]);
    assert_eq!(speakers[0].id, speaker);
}

#[actix_web::test]
async fn head_and_if_modified_since_work_on_files() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let id = fx.media(&images::png(4, 3))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    fx.speaker_with_photo("Amina Diallo", Some(&id));
    let path = format!("/v1/media/{id}/file");
    let first = app.get(&path).await;
    let last_modified = first.header("last-modified").unwrap().to_owned();

    let head = app.raw("HEAD", &path, &[], None).await;
    let since = app
        .get_with(&path, &[("if-modified-since", &last_modified)])
        .await;

    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("etag"), first.header("etag"));
    assert_eq!(since.status, 304);
}

#[actix_web::test]
async fn writes_are_documented_as_needing_a_bearer_token_and_reads_are_not() {
    let app = TestApp::spawn().await;
    let doc = app.get("/openapi.json").await.value();

    for (path, method) in [
        ("/v1/speakers", "post"),
        ("/v1/speakers/{id}", "patch"),
        ("/v1/speakers/{id}", "delete"),
        ("/v1/quotes", "post"),
        ("/v1/quotes/{id}", "patch"),
        ("/v1/quotes/{id}", "delete"),
        ("/v1/media", "post"),
        ("/v1/media/{id}", "patch"),
        ("/v1/media/{id}", "delete"),
    ] {
        let op = &doc["paths"][path][method];
        assert_eq!(op["security"], json!([{"bearer": []}]), "{method} {path}");
    }
    assert!(doc["paths"]["/v1/media/{id}/file"]["get"]["security"].is_null());
    assert!(
        doc["paths"]["/v1/media"]["post"]["requestBody"]["content"]["multipart/form-data"]
            .is_object()
    );
}

#[actix_web::test]
async fn unknown_fields_in_media_and_quote_patches_are_422s_naming_them() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let speaker = fx.speaker("Amina Diallo");
    let quote = fx.quote(&speaker, None);
    let media = fx.media(&images::png(2, 2))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let auth = bearer(&app, Role::Editor).await;
    let headers = [("authorization", auth.as_str()), ("if-match", "*")];

    let media_patch = app
        .json(
            "PATCH",
            &format!("/v1/media/{media}"),
            &json!({"sha256": "x"}),
            &headers,
        )
        .await;
    let quote_patch = app
        .json(
            "PATCH",
            &format!("/v1/quotes/{quote}"),
            &json!({"version": 9}),
            &headers,
        )
        .await;
    let photo = app
        .json(
            "PATCH",
            &format!("/v1/speakers/{speaker}"),
            &json!({"photo_media_id": "nothing"}),
            &headers,
        )
        .await;

    assert_eq!(media_patch.problem(422)["errors"][0]["field"], "sha256");
    assert_eq!(quote_patch.problem(422)["errors"][0]["field"], "version");
    assert_eq!(photo.problem(422)["errors"][0]["field"], "photo_media_id");
}

#[actix_web::test]
async fn a_large_upload_over_the_limit_gets_its_413_chunked_or_not() {
    let app = TestApp::spawn_with(|s| s.max_upload_bytes = 1000).await;
    let auth = bearer(&app, Role::Contributor).await;
    let mut big = images::png(10, 10);
    big.resize(4 * 1024 * 1024, 0);
    let body = form(&[], Some(("big.png", &big)));
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    let chunks: Vec<Result<actix_web::web::Bytes, std::io::Error>> = body
        .chunks(64 * 1024)
        .map(|c| Ok(actix_web::web::Bytes::copy_from_slice(c)))
        .collect();

    let response = app
        .client
        .post(app.url("/v1/media"))
        .insert_header(("authorization", auth.as_str()))
        .insert_header(("content-type", content_type.as_str()))
        .send_stream(futures_util::stream::iter(chunks))
        .await;

    let declared = upload(&app, &auth, body).await;

    assert_eq!(response.unwrap().status().as_u16(), 413);
    declared.problem(413);
    assert!(files_under(&app.dir.path().join("media")).is_empty());
}

#[actix_web::test]
async fn photos_and_quotes_of_a_draft_become_public_when_the_article_is_published() {
    let app = TestApp::spawn().await;
    let editor = bearer(&app, Role::Editor).await;
    let headers = [("authorization", editor.as_str())];
    let photo = upload(
        &app,
        &editor,
        form(
            &[("caption", "The harbour")],
            Some(("h.png", &images::png(8, 6))),
        ),
    )
    .await
    .value();
    let photo_id = photo["id"].as_str().unwrap();
    let speaker = app
        .json(
            "POST",
            "/v1/speakers",
            &json!({"name": "Ines Okafor"}),
            &headers,
        )
        .await
        .value();
    let quote = app
        .json(
            "POST",
            "/v1/quotes",
            &json!({"text": "Tolls have not kept pace.", "speaker_id": speaker["id"]}),
            &headers,
        )
        .await
        .value();
    let quote_id = quote["id"].as_str().unwrap();
    let draft = app
        .json(
            "POST",
            "/v1/articles",
            &json!({"headline": "Tolls", "body": [
                {"type": "quote", "quote_id": quote_id},
                {"type": "media", "media_id": photo_id},
            ]}),
            &headers,
        )
        .await;
    assert_eq!(draft.status, 201, "{}", draft.text());
    let article_id = draft.value()["id"].as_str().unwrap().to_owned();

    let before = (
        app.get(&format!("/v1/media/{photo_id}")).await.status,
        app.get(&format!("/v1/quotes/{quote_id}")).await.status,
        app.get("/v1/speakers/ines-okafor/articles").await.value()["data"]
            .as_array()
            .unwrap()
            .len(),
    );
    let published = app
        .json(
            "POST",
            &format!("/v1/articles/{article_id}/publish"),
            &json!({}),
            &headers,
        )
        .await;
    assert_eq!(published.status, 200, "{}", published.text());
    let after = (
        app.get(&format!("/v1/media/{photo_id}/file")).await.status,
        app.get(&format!("/v1/quotes/{quote_id}")).await.status,
        app.get("/v1/speakers/ines-okafor/articles").await.value()["data"][0]["id"].clone(),
    );
    let delete_photo = app
        .raw(
            "DELETE",
            &format!("/v1/media/{photo_id}"),
            &[("authorization", editor.as_str()), ("if-match", "*")],
            None,
        )
        .await;

    // A quote standing alone is public even before; being used by a draft hides it.
    assert_eq!(before, (404, 404, 0));
    assert_eq!(after, (200, 200, json!(article_id)));
    delete_photo.problem(409);
}
