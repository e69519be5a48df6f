//! Accounts and access: sign-in, access tokens, forged and revoked credentials, roles, scopes,
//! API keys and rate limits.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use newsdesk::auth::Role;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::helpers::{TEST_PASSWORD, TestApp, TestResponse};

const EMAIL: &str = "ed@example-news.com";

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn secret(app: &TestApp) -> Vec<u8> {
    app.state
        .settings
        .jwt_secret
        .as_ref()
        .unwrap()
        .expose_secret()
        .as_bytes()
        .to_vec()
}

/// Claims exactly like the server's, for a user id, to be bent by each test.
fn good_claims(user_id: &str) -> Value {
    json!({
        "iss": "newsdesk",
        "aud": "newsdesk-api",
        "sub": user_id,
        "iat": now(),
        "exp": now() + 600,
        "ver": 1
    })
}

fn sign(alg: Algorithm, claims: &Value, key: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(key).unwrap(),
    )
    .unwrap()
}

async fn me(app: &TestApp, token: &str) -> TestResponse {
    app.get_with(
        "/v1/auth/me",
        &[("authorization", &format!("Bearer {token}"))],
    )
    .await
}

fn assert_refused(response: &TestResponse) {
    response.problem(401);
    assert!(
        response
            .header("www-authenticate")
            .is_some_and(|v| v.starts_with("Bearer")),
        "a 401 names the scheme: {:?}",
        response.headers
    );
}

async fn editor(app: &TestApp) -> String {
    app.create_user(EMAIL, Role::Editor, TEST_PASSWORD).await
}

async fn sign_in_raw(app: &TestApp, email: &str, password: &str) -> TestResponse {
    app.json(
        "POST",
        "/v1/auth/token",
        &json!({"email": email, "password": password}),
        &[],
    )
    .await
}

#[actix_web::test]
async fn signing_in_gives_a_bearer_access_token_and_a_refresh_token() {
    let app = TestApp::spawn().await;
    editor(&app).await;

    let response = sign_in_raw(&app, EMAIL, TEST_PASSWORD).await;

    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let body = response.value();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert!(body["access_token"].as_str().unwrap().split('.').count() == 3);
    assert!(body["refresh_token"].as_str().unwrap().len() > 40);
}

#[actix_web::test]
async fn the_email_is_matched_without_regard_to_case() {
    let app = TestApp::spawn().await;
    editor(&app).await;

    let response = sign_in_raw(&app, "  Ed@Example-News.COM ", TEST_PASSWORD).await;

    assert_eq!(response.status, 200, "{}", response.text());
}

#[actix_web::test]
async fn the_access_token_is_hs256_for_fifteen_minutes_with_every_required_claim() {
    let app = TestApp::spawn().await;
    let id = editor(&app).await;

    let token = app.token_for(EMAIL, TEST_PASSWORD).await;

    let parts: Vec<&str> = token.split('.').collect();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(header["alg"], "HS256");
    assert_eq!(claims["sub"], id.as_str());
    assert_eq!(claims["iss"], "newsdesk");
    assert_eq!(claims["aud"], "newsdesk-api");
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap(),
        claims["exp"].as_u64().unwrap(),
    );
    assert_eq!(exp - iat, 900);
}

#[actix_web::test]
async fn me_answers_who_the_signed_in_user_is_without_the_password_hash() {
    let app = TestApp::spawn().await;
    let id = editor(&app).await;
    let token = app.token_for(EMAIL, TEST_PASSWORD).await;

    let response = me(&app, &token).await;

    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.value();
    assert_eq!(body["id"], id.as_str());
    assert_eq!(body["email"], EMAIL);
    assert_eq!(body["role"], "editor");
    assert_eq!(response.header("cache-control"), Some("private, no-store"));
    assert!(response.header("etag").is_some());
    assert!(!response.text().contains("argon2"));
    assert!(body.get("password_hash").is_none());
}

#[actix_web::test]
async fn me_without_credentials_is_a_401_naming_the_bearer_scheme() {
    let app = TestApp::spawn().await;

    let response = app.get("/v1/auth/me").await;

    assert_refused(&response);
}

#[actix_web::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = TestApp::spawn().await;
    editor(&app).await;

    let wrong_password = sign_in_raw(&app, EMAIL, "not the password at all").await;
    let unknown_email = sign_in_raw(&app, "nobody@example-news.com", TEST_PASSWORD).await;

    let a = wrong_password.problem(401);
    let b = unknown_email.problem(401);
    assert_eq!(a, b);
    assert_eq!(
        wrong_password.header("www-authenticate"),
        unknown_email.header("www-authenticate")
    );
}

#[actix_web::test]
async fn the_token_helper_signs_in_users_of_each_role() {
    let app = TestApp::spawn().await;

    for role in [Role::Contributor, Role::Editor, Role::Admin] {
        let token = app.token(role).await;
        let response = me(&app, &token).await;
        assert_eq!(response.value()["role"], role.as_str());
    }
}

#[actix_web::test]
async fn a_token_signed_with_another_key_is_refused() {
    let app = TestApp::spawn().await;
    let id = editor(&app).await;

    let forged = sign(
        Algorithm::HS256,
        &good_claims(&id),
        b"some-other-secret-that-is-long-enough-too",
    );

    assert_refused(&me(&app, &forged).await);
}

#[actix_web::test]
async fn a_token_forged_with_the_right_key_is_accepted_so_the_refusals_below_mean_something() {
    let app = TestApp::spawn().await;
    let id = editor(&app).await;

    let token = sign(Algorithm::HS256, &good_claims(&id), &secret(&app));

    assert_eq!(me(&app, &token).await.status, 200);
}

#[actix_web::test]
async fn an_unsigned_alg_none_token_is_refused() {
    let app = TestApp::spawn().await;
    let id = editor(&app).await;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let claims = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&good_claims(&id)).unwrap());

    for token in [format!("{header}.{claims}."), format!("{header}.{claims}")] {
        assert_refused(&me(&app, &token).await);
    }
}

#[actix_web::test]
async fn an_hs512_token_signed_with_the_real_secret_is_refused() {
    let app = TestApp::spawn().await;
    let id = editor(&app).await;

    let token = sign(Algorithm::HS512, &good_claims(&id), &secret(&app));

    assert_refused(&me(&app, &token).await);
}

#[actix_web::test]
async fn a_token_with_a_string_exp_is_refused() {
    let app = TestApp::spawn().await;
    let id = editor(&app).await;
    let mut claims = good_claims(&id);
    claims["exp"] = json!((now() + 600).to_string());

    let token = sign(Algorithm::HS256, &claims, &secret(&app));

    assert_refused(&me(&app, &token).await);
}

#[actix_web::test]
async fn an_expired_token_is_refused() {
    let app = TestApp::spawn().await;
    let id = editor(&app).await;
    let mut claims = good_claims(&id);
    claims["iat"] = json!(now() - 1000);
    claims["exp"] = json!(now() - 100);

    let token = sign(Algorithm::HS256, &claims, &secret(&app));

    let response = me(&app, &token).await;
    assert_refused(&response);
    assert!(
        response.value()["detail"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[actix_web::test]
async fn a_token_for_another_audience_or_issuer_is_refused() {
    let app = TestApp::spawn().await;
    let id = editor(&app).await;

    for (claim, value) in [
        ("aud", json!("another-api")),
        ("aud", json!(["another-api"])),
        ("iss", json!("someone-else")),
    ] {
        let mut claims = good_claims(&id);
        claims[claim] = value;
        let token = sign(Algorithm::HS256, &claims, &secret(&app));
        assert_refused(&me(&app, &token).await);
    }
}

#[actix_web::test]
async fn a_token_missing_any_required_claim_is_refused() {
    let app = TestApp::spawn().await;
    let id = editor(&app).await;

    for claim in ["iss", "aud", "sub", "exp", "iat"] {
        let mut claims = good_claims(&id);
        claims.as_object_mut().unwrap().remove(claim);
        let token = sign(Algorithm::HS256, &claims, &secret(&app));
        assert_refused(&me(&app, &token).await);
    }
}

#[actix_web::test]
async fn a_token_naming_its_own_key_in_the_header_gains_nothing() {
    let app = TestApp::spawn().await;
    let id = editor(&app).await;
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("attacker".to_owned());
    header.jku = Some("https://attacker.example/keys.json".to_owned());

    let token = jsonwebtoken::encode(
        &header,
        &good_claims(&id),
        &EncodingKey::from_secret(b"attacker-secret-that-is-long-enough-too").unwrap(),
    )
    .unwrap();

    assert_refused(&me(&app, &token).await);
}

#[actix_web::test]
async fn a_refresh_token_used_as_an_access_token_is_refused() {
    let app = TestApp::spawn().await;
    editor(&app).await;
    let tokens = app.sign_in(EMAIL, TEST_PASSWORD).await;

    let response = me(&app, tokens["refresh_token"].as_str().unwrap()).await;

    assert_refused(&response);
}

#[actix_web::test]
async fn bad_credentials_are_refused_even_on_public_endpoints() {
    let app = TestApp::spawn().await;

    for (name, value) in [
        ("authorization", "Bearer not-a-token"),
        ("authorization", "Basic dXNlcjpwYXNz"),
        ("x-api-key", "ndk_no-such-key"),
    ] {
        let response = app.get_with("/healthz", &[(name, value)]).await;
        assert_refused(&response);
    }
}

#[actix_web::test]
async fn a_token_for_a_user_that_no_longer_exists_is_refused() {
    let app = TestApp::spawn().await;

    let token = sign(
        Algorithm::HS256,
        &good_claims("019a0000-0000-7000-8000-000000000000"),
        &secret(&app),
    );

    assert_refused(&me(&app, &token).await);
}

#[actix_web::test]
async fn without_a_configured_secret_one_is_generated_once_and_kept() {
    let app = TestApp::spawn_with(|s| s.jwt_secret = None).await;
    editor(&app).await;
    let token = app.token_for(EMAIL, TEST_PASSWORD).await;
    assert_eq!(me(&app, &token).await.status, 200);

    // A second start on the same database signs with the same kept secret.
    let again =
        newsdesk::auth::tokens::TokenKeys::resolve(&app.state.settings, &app.state.db).unwrap();
    let claims = again.verify(&token).unwrap();

    assert_eq!(claims.iss, "newsdesk");
}

#[actix_web::test]
async fn malformed_json_is_a_400_problem() {
    let app = TestApp::spawn().await;

    let response = app
        .raw(
            "POST",
            "/v1/auth/token",
            &[("content-type", "application/json")],
            Some(b"{\"email\": ".to_vec()),
        )
        .await;

    response.problem(400);
}

#[actix_web::test]
async fn a_body_that_is_not_json_is_a_415_problem() {
    let app = TestApp::spawn().await;

    let response = app
        .raw(
            "POST",
            "/v1/auth/token",
            &[("content-type", "text/plain")],
            Some(b"email=a&password=b".to_vec()),
        )
        .await;

    response.problem(415);
}

#[actix_web::test]
async fn a_body_over_the_limit_is_a_413_problem() {
    let app = TestApp::spawn_with(|s| s.max_body_bytes = 1024).await;
    let big = json!({"email": "a@b.c", "password": "x".repeat(4096)});

    let response = app.json("POST", "/v1/auth/token", &big, &[]).await;

    response.problem(413);
}

#[actix_web::test]
async fn an_unknown_body_field_is_a_422_naming_it() {
    let app = TestApp::spawn().await;

    let response = app
        .json(
            "POST",
            "/v1/auth/token",
            &json!({"email": "a@b.c", "password": "x", "role": "admin"}),
            &[],
        )
        .await;

    let problem = response.problem(422);
    assert_eq!(problem["errors"][0]["field"], "role");
}
