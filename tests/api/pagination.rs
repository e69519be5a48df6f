//! Lists share one pagination: hostile cursors are a 400 problem on every one, never a 500.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use newsdesk::auth::Role;

use crate::helpers::TestApp;
use crate::speakers::{Fixtures, bearer};

/// Cursors a client could make up: quotes, NUL bytes, base64 of bytes that are not UTF-8,
/// JSON of the right shape carrying quotes and NULs, and one far too long.
fn hostile_cursors() -> Vec<String> {
    let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
    vec![
        "%22%27%22".to_owned(),
        "abc%00def".to_owned(),
        b64(&[0xff, 0xfe, 0xfd, 0x00, 0x80]),
        b64(br#"{"s":"nope","k":"x\" OR 1=1 --","i":"'"}"#),
        b64(br#"{"s":"-created_at","k":"a\u0000b","i":"c\u0000"}"#),
        b64(br#"{"s":"created_at","k":{"nested":[1,2]},"i":"x"}"#),
        b64(&[b'"'; 64]),
        "A".repeat(20_000),
    ]
}

/// Every list, with the parameter that carries its cursor.
async fn lists(app: &TestApp) -> Vec<String> {
    let mut fx = Fixtures::open(app);
    let speaker = fx.speaker("Amina Diallo");
    vec![
        "/v1/articles?cursor=".to_owned(),
        "/v1/speakers?cursor=".to_owned(),
        format!("/v1/speakers/{speaker}/articles?cursor="),
        format!("/v1/speakers/{speaker}/quotes?cursor="),
        "/v1/quotes?cursor=".to_owned(),
        "/v1/media?cursor=".to_owned(),
        "/v1/changes?since=".to_owned(),
        "/v1/users?cursor=".to_owned(),
        "/v1/api-keys?cursor=".to_owned(),
        "/v1/webhooks?cursor=".to_owned(),
        "/v1/search?q=harbour&cursor=".to_owned(),
    ]
}

#[actix_web::test]
async fn hostile_cursors_are_a_400_problem_on_every_list() {
    let app = TestApp::spawn().await;
    let auth = bearer(&app, Role::Admin).await;
    for list in lists(&app).await {
        for cursor in hostile_cursors() {
            let path = format!("{list}{cursor}");
            let response = app
                .get_with(&path, &[("authorization", auth.as_str())])
                .await;
            assert_eq!(
                response.status,
                400,
                "{}: {}",
                &path[..path.len().min(120)],
                response.text()
            );
            response.problem(400);
        }
    }
}

#[actix_web::test]
async fn hostile_cursors_are_a_400_for_anonymous_readers_too() {
    let app = TestApp::spawn().await;
    for list in [
        "/v1/articles?cursor=",
        "/v1/quotes?cursor=",
        "/v1/media?cursor=",
    ] {
        for cursor in hostile_cursors() {
            let response = app.get(&format!("{list}{cursor}")).await;
            response.problem(400);
        }
    }
}

#[actix_web::test]
async fn a_cursor_from_one_list_is_refused_by_another() {
    let app = TestApp::spawn().await;
    let auth = bearer(&app, Role::Admin).await;
    for n in 0..3 {
        app.create_user(
            &format!("user{n}@example.test"),
            Role::Contributor,
            "a long passphrase of words",
        )
        .await;
    }
    let page = app
        .get_with("/v1/users?limit=1", &[("authorization", auth.as_str())])
        .await
        .value();
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();

    let next = app
        .get_with(
            &format!("/v1/users?limit=1&cursor={cursor}"),
            &[("authorization", auth.as_str())],
        )
        .await;
    let elsewhere = app.get(&format!("/v1/articles?cursor={cursor}")).await;

    assert_eq!(next.status, 200);
    elsewhere.problem(400);
}

#[actix_web::test]
async fn a_well_formed_cursor_with_quotes_in_its_key_is_only_a_position() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    fx.speaker("Amina Diallo");
    let cursor = URL_SAFE_NO_PAD.encode(br#"{"s":"name","k":"x\" OR 1=1 --","i":"'"}"#);

    let response = app.get(&format!("/v1/speakers?cursor={cursor}")).await;

    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.value()["data"], serde_json::json!([]));
}
