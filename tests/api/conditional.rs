//! Conditional requests, one rule on every resource: a strong ETag per content coding,
//! `If-None-Match` 304 in each coding, `If-Match` 412 when stale, and `If-Range`.

use newsdesk::auth::Role;
use serde_json::json;

use crate::helpers::TestApp;
use crate::speakers::{Fixtures, bearer, images};

/// One resource of each kind, as an admin sees it: its path, and a change that needs
/// `If-Match` (method and body).
struct Resource {
    path: String,
    method: &'static str,
    change: Option<serde_json::Value>,
}

async fn one_of_each(app: &TestApp, auth: &str) -> Vec<Resource> {
    let mut fx = Fixtures::open(app);
    let article = fx.published_article();
    let speaker = fx.speaker("Amina Diallo");
    let quote = fx.quote(&speaker, Some(&article));
    let media = fx.media(&images::png(4, 3))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let user = app
        .create_user(
            "someone@example.test",
            Role::Contributor,
            "a long passphrase of words",
        )
        .await;
    let key = app
        .json(
            "POST",
            "/v1/api-keys",
            &json!({"name": "partner", "scopes": ["content:read"], "rate_limit": "60/min"}),
            &[("authorization", auth)],
        )
        .await;
    assert_eq!(key.status, 201, "{}", key.text());
    let hook = app
        .json(
            "POST",
            "/v1/webhooks",
            &json!({"url": "http://127.0.0.1:9/hook", "events": ["*"]}),
            &[("authorization", auth)],
        )
        .await;
    assert_eq!(hook.status, 201, "{}", hook.text());
    let patch = |path: String, body| Resource {
        path,
        method: "PATCH",
        change: Some(body),
    };
    let delete = |path: String| Resource {
        path,
        method: "DELETE",
        change: None,
    };
    vec![
        patch(
            format!("/v1/articles/{article}"),
            json!({"standfirst": "Changed"}),
        ),
        patch(format!("/v1/speakers/{speaker}"), json!({"bio": "Changed"})),
        patch(format!("/v1/quotes/{quote}"), json!({"context": "Changed"})),
        patch(format!("/v1/media/{media}"), json!({"caption": "Changed"})),
        patch(
            format!("/v1/users/{user}"),
            json!({"display_name": "Changed"}),
        ),
        delete(format!(
            "/v1/api-keys/{}",
            key.value()["id"].as_str().unwrap()
        )),
        delete(format!(
            "/v1/webhooks/{}",
            hook.value()["id"].as_str().unwrap()
        )),
    ]
}

async fn spawn() -> TestApp {
    TestApp::spawn_with(|s| s.webhook_allow_private = true).await
}

#[actix_web::test]
async fn every_resource_answers_if_none_match_with_304_in_each_coding() {
    let app = spawn().await;
    let auth = bearer(&app, Role::Admin).await;
    for resource in one_of_each(&app, &auth).await {
        for coding in ["identity", "gzip", "br"] {
            let headers = [
                ("authorization", auth.as_str()),
                ("accept-encoding", coding),
            ];
            let first = app.get_with(&resource.path, &headers).await;
            assert_eq!(first.status, 200, "{}: {}", resource.path, first.text());
            let etag = first.header("etag").unwrap().to_owned();
            assert!(etag.starts_with('"') && !etag.starts_with("W/"));
            assert!(first.header("last-modified").is_some());
            match first.header("content-encoding") {
                Some("gzip") => assert!(etag.ends_with("-gz\""), "{etag}"),
                Some("br") => assert!(etag.ends_with("-br\""), "{etag}"),
                _ => assert!(!etag.ends_with("-gz\"") && !etag.ends_with("-br\"")),
            }
            let again = app
                .get_with(
                    &resource.path,
                    &[
                        ("authorization", auth.as_str()),
                        ("accept-encoding", coding),
                        ("if-none-match", &etag),
                    ],
                )
                .await;
            assert_eq!(again.status, 304, "{} in {coding}", resource.path);
            assert_eq!(again.header("etag"), Some(etag.as_str()));
        }
    }
}

#[actix_web::test]
async fn every_resource_refuses_a_stale_if_match_with_412_and_a_missing_one_with_428() {
    let app = spawn().await;
    let auth = bearer(&app, Role::Admin).await;
    for resource in one_of_each(&app, &auth).await {
        let body = resource.change.clone().unwrap_or(json!({}));
        let send = |if_match: Option<String>| {
            let mut headers = vec![("authorization", auth.clone())];
            if let Some(tag) = if_match {
                headers.push(("if-match", tag));
            }
            let app = &app;
            let path = resource.path.clone();
            let method = resource.method;
            let body = body.clone();
            let with_body = resource.change.is_some();
            async move {
                let headers: Vec<(&str, &str)> =
                    headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
                if with_body {
                    app.json(method, &path, &body, &headers).await
                } else {
                    app.raw(method, &path, &headers, None).await
                }
            }
        };

        let stale = send(Some("\"0-0000000000000000\"".to_owned())).await;
        assert_eq!(stale.status, 412, "{}: {}", resource.path, stale.text());
        stale.problem(412);
        send(None).await.problem(428);
        // The tag of a compressed read is as good as the identity one for a change.
        let read = app
            .get_with(
                &resource.path,
                &[
                    ("authorization", auth.as_str()),
                    ("accept-encoding", "gzip"),
                ],
            )
            .await;
        let etag = read.header("etag").unwrap().to_owned();
        let done = send(Some(etag)).await;
        assert!(
            done.status == 200 || done.status == 204,
            "{}: {}",
            resource.path,
            done.text()
        );
    }
}

#[actix_web::test]
async fn the_identity_gzip_and_brotli_answers_of_one_url_have_different_strong_etags() {
    let app = spawn().await;
    let mut fx = Fixtures::open(&app);
    fx.published_article();
    fx.published_article();
    let mut tags = Vec::new();
    for coding in ["identity", "gzip", "br"] {
        let response = app
            .get_with("/v1/articles", &[("accept-encoding", coding)])
            .await;
        assert!(
            response
                .header("vary")
                .is_some_and(|v| v.contains("Accept-Encoding"))
        );
        tags.push(response.header("etag").unwrap().to_owned());
    }
    assert_ne!(tags[0], tags[1]);
    assert_ne!(tags[0], tags[2]);
    assert_ne!(tags[1], tags[2]);
    // Any of them revalidates, whatever coding is asked for now.
    for tag in &tags {
        let again = app
            .get_with(
                "/v1/articles",
                &[("accept-encoding", "gzip"), ("if-none-match", tag)],
            )
            .await;
        assert_eq!(again.status, 304);
        assert_eq!(again.header("etag"), Some(tags[1].as_str()));
    }
}

#[actix_web::test]
async fn if_range_with_a_coded_etag_sends_the_whole_file() {
    let app = spawn().await;
    let mut fx = Fixtures::open(&app);
    let id = fx.media(&images::png(4, 3))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    fx.speaker_with_photo("Amina Diallo", Some(&id));
    let path = format!("/v1/media/{id}/file");
    let whole = app.get(&path).await;
    let etag = whole.header("etag").unwrap().to_owned();
    let coded = format!("{}-gz\"", etag.trim_end_matches('"'));

    let exact = app
        .get_with(&path, &[("range", "bytes=2-5"), ("if-range", &etag)])
        .await;
    let other_coding = app
        .get_with(&path, &[("range", "bytes=2-5"), ("if-range", &coded)])
        .await;

    assert_eq!(exact.status, 206);
    assert_eq!(exact.body, &whole.body[2..=5]);
    assert_eq!(other_coding.status, 200);
    assert_eq!(other_coding.body, whole.body);
}
