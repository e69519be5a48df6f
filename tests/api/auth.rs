//! Accounts and access: sign-in, access tokens, forged and revoked credentials, roles, scopes,
//! API keys and rate limits.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use newsdesk::auth::{Role, Scope};
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
    assert_eq!(body["kind"], "user");
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

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

async fn refresh(app: &TestApp, refresh_token: &str) -> TestResponse {
    app.json(
        "POST",
        "/v1/auth/refresh",
        &json!({"refresh_token": refresh_token}),
        &[],
    )
    .await
}

fn field<'a>(body: &'a Value, name: &str) -> &'a str {
    body[name].as_str().unwrap()
}

#[actix_web::test]
async fn a_refresh_token_gives_a_new_pair_and_works_once() {
    let app = TestApp::spawn().await;
    editor(&app).await;
    let first = app.sign_in(EMAIL, TEST_PASSWORD).await;

    let response = refresh(&app, field(&first, "refresh_token")).await;

    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let second = response.value();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(me(&app, field(&second, "access_token")).await.status, 200);
}

#[actix_web::test]
async fn a_reused_refresh_token_revokes_its_whole_family() {
    let app = TestApp::spawn().await;
    editor(&app).await;
    let first = app.sign_in(EMAIL, TEST_PASSWORD).await;
    let other_session = app.sign_in(EMAIL, TEST_PASSWORD).await;
    let second = refresh(&app, field(&first, "refresh_token")).await.value();

    let reuse = refresh(&app, field(&first, "refresh_token")).await;

    assert_refused(&reuse);
    // The token rotated from the reused one is revoked too...
    assert_refused(&refresh(&app, field(&second, "refresh_token")).await);
    // ...but another sign-in of the same user is a different family and keeps working.
    assert_eq!(
        refresh(&app, field(&other_session, "refresh_token"))
            .await
            .status,
        200
    );
}

#[actix_web::test]
async fn an_unknown_refresh_token_is_refused() {
    let app = TestApp::spawn().await;

    assert_refused(&refresh(&app, "ndr_made-up").await);
}

#[actix_web::test]
async fn an_access_token_is_not_a_refresh_token() {
    let app = TestApp::spawn().await;
    editor(&app).await;
    let tokens = app.sign_in(EMAIL, TEST_PASSWORD).await;

    assert_refused(&refresh(&app, field(&tokens, "access_token")).await);
}

#[actix_web::test]
async fn logout_revokes_the_access_and_refresh_tokens() {
    let app = TestApp::spawn().await;
    editor(&app).await;
    let tokens = app.sign_in(EMAIL, TEST_PASSWORD).await;
    let access = field(&tokens, "access_token");

    let response = app
        .raw(
            "POST",
            "/v1/auth/logout",
            &[("authorization", &bearer(access))],
            None,
        )
        .await;

    assert_eq!(response.status, 204, "{}", response.text());
    assert_refused(&me(&app, access).await);
    assert_refused(&refresh(&app, field(&tokens, "refresh_token")).await);
}

#[actix_web::test]
async fn a_password_change_revokes_earlier_tokens_and_the_old_password() {
    let app = TestApp::spawn().await;
    editor(&app).await;
    let before = app.sign_in(EMAIL, TEST_PASSWORD).await;
    let new_password = "an entirely new passphrase";

    let response = app
        .json(
            "POST",
            "/v1/auth/password",
            &json!({"current_password": TEST_PASSWORD, "new_password": new_password}),
            &[("authorization", &bearer(field(&before, "access_token")))],
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text());
    let after = response.value();
    assert_refused(&me(&app, field(&before, "access_token")).await);
    assert_refused(&refresh(&app, field(&before, "refresh_token")).await);
    assert_eq!(me(&app, field(&after, "access_token")).await.status, 200);
    sign_in_raw(&app, EMAIL, TEST_PASSWORD).await.problem(401);
    assert_eq!(sign_in_raw(&app, EMAIL, new_password).await.status, 200);
}

#[actix_web::test]
async fn a_password_change_needs_the_current_password() {
    let app = TestApp::spawn().await;
    editor(&app).await;
    let token = app.token_for(EMAIL, TEST_PASSWORD).await;

    let response = app
        .json(
            "POST",
            "/v1/auth/password",
            &json!({"current_password": "a wrong guess!", "new_password": "a new passphrase"}),
            &[("authorization", &bearer(&token))],
        )
        .await;

    let problem = response.problem(422);
    assert_eq!(problem["errors"][0]["field"], "current_password");
    assert_eq!(me(&app, &token).await.status, 200);
}

async fn get_user(app: &TestApp, admin: &str, id: &str) -> TestResponse {
    app.get_with(
        &format!("/v1/users/{id}"),
        &[("authorization", &bearer(admin))],
    )
    .await
}

async fn patch_user(app: &TestApp, admin: &str, id: &str, changes: Value) -> TestResponse {
    let etag = get_user(app, admin, id)
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    app.json(
        "PATCH",
        &format!("/v1/users/{id}"),
        &changes,
        &[("authorization", &bearer(admin)), ("if-match", &etag)],
    )
    .await
}

#[actix_web::test]
async fn only_admins_may_manage_users() {
    let app = TestApp::spawn().await;

    let anonymous = app.get("/v1/users").await;
    assert_refused(&anonymous);
    for role in [Role::Contributor, Role::Editor] {
        let token = app.token(role).await;
        let response = app
            .get_with("/v1/users", &[("authorization", &bearer(&token))])
            .await;
        response.problem(403);
    }
    let key = app
        .api_key(&[Scope::ContentRead, Scope::FeedsRead, Scope::EmbargoedRead])
        .await;
    app.get_with("/v1/users", &[("x-api-key", &key)])
        .await
        .problem(403);
    let admin = app.token(Role::Admin).await;
    let response = app
        .get_with("/v1/users", &[("authorization", &bearer(&admin))])
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.value()["data"].as_array().unwrap().len(), 3);
}

#[actix_web::test]
async fn an_admin_creates_a_user_who_can_then_sign_in() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let body = json!({
        "email": "Reporter@Example-News.com",
        "display_name": "A. Reporter",
        "role": "contributor",
        "password": "a long enough passphrase"
    });

    let response = app
        .json(
            "POST",
            "/v1/users",
            &body,
            &[("authorization", &bearer(&admin))],
        )
        .await;

    assert_eq!(response.status, 201, "{}", response.text());
    let user = response.value();
    assert_eq!(user["email"], "reporter@example-news.com");
    assert_eq!(user["role"], "contributor");
    assert!(
        response
            .header("location")
            .unwrap()
            .ends_with(field(&user, "id"))
    );
    assert!(!response.text().contains("passphrase") && !response.text().contains("argon2"));
    let token = app
        .token_for("reporter@example-news.com", "a long enough passphrase")
        .await;
    assert_eq!(
        me(&app, &token).await.value()["display_name"],
        "A. Reporter"
    );
}

#[actix_web::test]
async fn a_second_user_with_the_same_email_in_another_case_is_a_409() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    editor(&app).await;

    let response = app
        .json(
            "POST",
            "/v1/users",
            &json!({"email": "ED@example-news.com", "role": "editor", "password": "another passphrase"}),
            &[("authorization", &bearer(&admin))],
        )
        .await;

    response.problem(409);
}

#[actix_web::test]
async fn a_short_password_or_bad_email_is_a_422_naming_the_fields() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;

    let response = app
        .json(
            "POST",
            "/v1/users",
            &json!({"email": "not-an-email", "role": "editor", "password": "short"}),
            &[("authorization", &bearer(&admin))],
        )
        .await;

    let problem = response.problem(422);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "password"]);
}

#[actix_web::test]
async fn listing_users_never_shows_a_password_hash() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    editor(&app).await;

    let response = app
        .get_with("/v1/users", &[("authorization", &bearer(&admin))])
        .await;

    assert_eq!(response.status, 200);
    assert!(!response.text().contains("argon2"));
    assert!(!response.text().contains("password"));
}

#[actix_web::test]
async fn users_are_listed_in_pages_with_a_next_link() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    app.token(Role::Editor).await;
    app.token(Role::Contributor).await;

    let first = app
        .get_with("/v1/users?limit=2", &[("authorization", &bearer(&admin))])
        .await;
    let cursor = first.value()["next_cursor"].as_str().unwrap().to_owned();
    let second = app
        .get_with(
            &format!("/v1/users?limit=2&cursor={cursor}"),
            &[("authorization", &bearer(&admin))],
        )
        .await;

    assert!(first.header("link").unwrap().contains("rel=\"next\""));
    assert_eq!(first.value()["data"].as_array().unwrap().len(), 2);
    let rest = second.value();
    assert_eq!(rest["data"].as_array().unwrap().len(), 1);
    assert!(rest["next_cursor"].is_null());
}

#[actix_web::test]
async fn a_role_change_takes_effect_at_once_and_revokes_earlier_tokens() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let id = editor(&app).await;
    let old = app.sign_in(EMAIL, TEST_PASSWORD).await;

    let response = patch_user(&app, &admin, &id, json!({"role": "contributor"})).await;

    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.value()["role"], "contributor");
    assert_refused(&me(&app, field(&old, "access_token")).await);
    assert_refused(&refresh(&app, field(&old, "refresh_token")).await);
    let token = app.token_for(EMAIL, TEST_PASSWORD).await;
    assert_eq!(me(&app, &token).await.value()["role"], "contributor");
}

#[actix_web::test]
async fn a_disabled_user_can_neither_use_tokens_nor_sign_in() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let id = editor(&app).await;
    let token = app.token_for(EMAIL, TEST_PASSWORD).await;

    let response = patch_user(&app, &admin, &id, json!({"disabled": true})).await;

    assert_eq!(response.status, 200, "{}", response.text());
    assert_refused(&me(&app, &token).await);
    let signed_in = sign_in_raw(&app, EMAIL, TEST_PASSWORD).await;
    let wrong = sign_in_raw(&app, EMAIL, "not the password at all").await;
    assert_eq!(signed_in.problem(401), wrong.problem(401));
}

#[actix_web::test]
async fn changing_a_user_needs_a_current_if_match() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let id = editor(&app).await;
    let path = format!("/v1/users/{id}");
    let auth = bearer(&admin);

    let missing = app
        .json(
            "PATCH",
            &path,
            &json!({"role": "admin"}),
            &[("authorization", &auth)],
        )
        .await;
    let stale = app
        .json(
            "PATCH",
            &path,
            &json!({"role": "admin"}),
            &[("authorization", &auth), ("if-match", "\"stale\"")],
        )
        .await;

    missing.problem(428);
    stale.problem(412);
    assert_eq!(get_user(&app, &admin, &id).await.value()["role"], "editor");
}

#[actix_web::test]
async fn an_admin_cannot_demote_or_disable_themselves() {
    let app = TestApp::spawn().await;
    let id = app
        .create_user("boss@example-news.com", Role::Admin, TEST_PASSWORD)
        .await;
    let admin = app.token_for("boss@example-news.com", TEST_PASSWORD).await;

    patch_user(&app, &admin, &id, json!({"role": "editor"}))
        .await
        .problem(409);
    patch_user(&app, &admin, &id, json!({"disabled": true}))
        .await
        .problem(409);
}

async fn create_key(app: &TestApp, admin: &str, body: Value) -> TestResponse {
    app.json(
        "POST",
        "/v1/api-keys",
        &body,
        &[("authorization", &bearer(admin))],
    )
    .await
}

#[actix_web::test]
async fn an_api_key_is_shown_once_and_never_listed_with_its_secret() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;

    let response = create_key(
        &app,
        &admin,
        json!({"name": "Wire", "scopes": ["feeds:read", "content:read"], "rate_limit": 120}),
    )
    .await;

    assert_eq!(response.status, 201, "{}", response.text());
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let created = response.value();
    let key = field(&created, "key");
    assert!(key.starts_with("ndk_") && key.len() > 40);
    assert_eq!(created["rate_limit"], "120/min");
    assert_eq!(created["scopes"], json!(["content:read", "feeds:read"]));
    assert!(key.starts_with(field(&created, "prefix")));
    let auth = bearer(&admin);
    let list = app
        .get_with("/v1/api-keys", &[("authorization", &auth)])
        .await;
    let one = app
        .get_with(
            &format!("/v1/api-keys/{}", field(&created, "id")),
            &[("authorization", &auth)],
        )
        .await;
    for response in [&list, &one] {
        assert_eq!(response.status, 200, "{}", response.text());
        assert!(!response.text().contains(key));
        assert!(!response.text().contains("key_hash"));
    }
    assert_eq!(list.value()["data"][0]["name"], "Wire");
}

#[actix_web::test]
async fn an_api_key_needs_a_name_and_known_scopes() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;

    create_key(&app, &admin, json!({"name": "", "scopes": []}))
        .await
        .problem(422);
    create_key(&app, &admin, json!({"name": "x", "scopes": ["everything"]}))
        .await
        .problem(422);
    create_key(
        &app,
        &admin,
        json!({"name": "x", "scopes": ["feeds:read"], "rate_limit": "lots"}),
    )
    .await
    .problem(422);
}

#[actix_web::test]
async fn only_admins_may_manage_api_keys() {
    let app = TestApp::spawn().await;
    let editor_token = app.token(Role::Editor).await;

    create_key(
        &app,
        &editor_token,
        json!({"name": "x", "scopes": ["feeds:read"]}),
    )
    .await
    .problem(403);
    assert_refused(&app.get("/v1/api-keys").await);
}

async fn new_key(app: &TestApp, scopes: Value) -> (String, String) {
    let admin = app.token(Role::Admin).await;
    let created = create_key(app, &admin, json!({"name": "partner", "scopes": scopes}))
        .await
        .value();
    (
        field(&created, "id").to_owned(),
        field(&created, "key").to_owned(),
    )
}

#[actix_web::test]
async fn a_valid_api_key_is_accepted_and_me_describes_it_without_the_secret() {
    let app = TestApp::spawn().await;
    let (_, key) = new_key(&app, json!(["content:read"])).await;

    let health = app.get_with("/healthz", &[("x-api-key", &key)]).await;
    let me = app.get_with("/v1/auth/me", &[("x-api-key", &key)]).await;
    let logout = app
        .raw("POST", "/v1/auth/logout", &[("x-api-key", &key)], None)
        .await;

    assert_eq!(health.status, 200);
    assert_eq!(me.status, 200, "{}", me.text());
    let body = me.value();
    assert_eq!(body["kind"], "api_key");
    assert_eq!(body["scopes"], json!(["content:read"]));
    assert!(!me.text().contains(&key));
    logout.problem(403);
}

#[actix_web::test]
async fn a_revoked_api_key_is_refused() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let (id, key) = new_key(&app, json!(["feeds:read"])).await;
    let path = format!("/v1/api-keys/{id}");
    let auth = bearer(&admin);
    let etag = app
        .get_with(&path, &[("authorization", &auth)])
        .await
        .header("etag")
        .unwrap()
        .to_owned();

    let without = app
        .raw("DELETE", &path, &[("authorization", &auth)], None)
        .await;
    let revoked = app
        .raw(
            "DELETE",
            &path,
            &[("authorization", &auth), ("if-match", &etag)],
            None,
        )
        .await;

    without.problem(428);
    assert_eq!(revoked.status, 204, "{}", revoked.text());
    assert_refused(&app.get_with("/healthz", &[("x-api-key", &key)]).await);
    let listed = app
        .get_with(&path, &[("authorization", &auth)])
        .await
        .value();
    assert!(listed["revoked_at"].is_string());
}

#[actix_web::test]
async fn the_api_key_query_parameter_counts_only_on_feed_urls() {
    let app = TestApp::spawn().await;
    let (_, key) = new_key(&app, json!(["feeds:read"])).await;

    let bad_on_feed = app.get("/v1/feeds/rss?api_key=ndk_not-a-key").await;
    let good_on_feed = app.get(&format!("/v1/feeds/rss?api_key={key}")).await;
    let bad_elsewhere = app.get("/healthz?api_key=ndk_not-a-key").await;

    assert_refused(&bad_on_feed);
    assert_ne!(good_on_feed.status, 401);
    assert_eq!(bad_elsewhere.status, 200);
}

#[actix_web::test]
async fn a_bearer_token_and_an_api_key_together_are_refused() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Editor).await;
    let (_, key) = new_key(&app, json!(["content:read"])).await;

    let response = app
        .get_with(
            "/v1/auth/me",
            &[("authorization", &bearer(&token)), ("x-api-key", &key)],
        )
        .await;

    assert_refused(&response);
}

fn rate(count: u32, secs: u64) -> newsdesk::config::Rate {
    newsdesk::config::Rate {
        count,
        period: std::time::Duration::from_secs(secs),
    }
}

fn assert_throttled(response: &TestResponse) {
    response.problem(429);
    let retry: u64 = response.header("retry-after").unwrap().parse().unwrap();
    assert!(retry >= 1);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert!(response.header("ratelimit-policy").is_some());
    assert!(response.header("ratelimit").unwrap().contains(";r=0;"));
}

#[actix_web::test]
async fn thirty_fast_bad_sign_ins_are_throttled_with_429() {
    let app = TestApp::spawn().await;
    editor(&app).await;

    let mut statuses = Vec::new();
    let mut last = None;
    for _ in 0..30 {
        let response = sign_in_raw(&app, EMAIL, "a wrong password").await;
        statuses.push(response.status);
        last = Some(response);
    }

    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 10);
    assert!(statuses[10..].iter().all(|s| *s == 429), "{statuses:?}");
    let last = last.unwrap();
    assert_throttled(&last);
    let policy = last.header("ratelimit-policy").unwrap();
    assert!(policy.contains("\"sign-in\";q=10;w=900"), "{policy}");
    assert!(policy.contains("\"per-address\";q=600;w=60"), "{policy}");
    // While throttled even the right password is turned away.
    sign_in_raw(&app, EMAIL, TEST_PASSWORD).await.problem(429);
}

#[actix_web::test]
async fn unknown_emails_count_as_failed_sign_ins_from_the_address() {
    let app = TestApp::spawn_with(|s| s.login_rate_limit = rate(3, 900)).await;

    for n in 0..3 {
        sign_in_raw(&app, &format!("nobody{n}@example.test"), "whatever it is")
            .await
            .problem(401);
    }
    let response = sign_in_raw(&app, "someone-else@example.test", "whatever it is").await;

    assert_throttled(&response);
}

#[actix_web::test]
async fn successful_sign_ins_do_not_count_against_the_limit() {
    let app = TestApp::spawn_with(|s| s.login_rate_limit = rate(2, 900)).await;
    editor(&app).await;

    for _ in 0..4 {
        app.sign_in(EMAIL, TEST_PASSWORD).await;
    }
    let wrong = sign_in_raw(&app, EMAIL, "a wrong password").await;

    wrong.problem(401);
}

#[actix_web::test]
async fn anonymous_callers_are_limited_per_address_with_ratelimit_headers() {
    let app = TestApp::spawn_with(|s| s.rate_limit = rate(3, 60)).await;

    let mut answers = Vec::new();
    for _ in 0..3 {
        let response = app.get("/openapi.json").await;
        assert_eq!(response.status, 200);
        answers.push(response.header("ratelimit").unwrap().to_owned());
        assert_eq!(
            response.header("ratelimit-policy"),
            Some("\"per-address\";q=3;w=60")
        );
    }
    let refused = app.get("/openapi.json").await;

    assert!(
        answers[0].starts_with("\"per-address\";r=2;t="),
        "{answers:?}"
    );
    assert!(
        answers[2].starts_with("\"per-address\";r=0;t="),
        "{answers:?}"
    );
    assert_throttled(&refused);
    // Probes are never limited.
    assert_eq!(app.get("/healthz").await.status, 200);
    assert_eq!(app.get("/readyz").await.status, 200);
}

#[actix_web::test]
async fn signed_in_users_are_held_to_the_user_limit_not_the_address_limit() {
    let app = TestApp::spawn_with(|s| s.rate_limit = rate(2, 60)).await;
    let token = app.token(Role::Contributor).await;

    for _ in 0..5 {
        let response = me(&app, &token).await;
        assert_eq!(response.status, 200);
        assert_eq!(
            response.header("ratelimit-policy"),
            Some("\"per-user\";q=3000;w=60")
        );
    }
}

#[actix_web::test]
async fn an_api_key_is_held_to_its_own_limit() {
    let app = TestApp::spawn_with(|s| s.rate_limit = rate(0, 60)).await;
    let admin = app.token(Role::Admin).await;
    let created = create_key(
        &app,
        &admin,
        json!({"name": "slow partner", "scopes": ["content:read"], "rate_limit": "2/min"}),
    )
    .await
    .value();
    let key = field(&created, "key");

    let first = app.get_with("/openapi.json", &[("x-api-key", key)]).await;
    app.get_with("/openapi.json", &[("x-api-key", key)]).await;
    let third = app.get_with("/openapi.json", &[("x-api-key", key)]).await;

    assert_eq!(first.status, 200);
    assert_eq!(
        first.header("ratelimit-policy"),
        Some("\"per-key\";q=2;w=60")
    );
    assert_throttled(&third);
    // Anonymous callers are unlimited here (rate 0), whatever the key did.
    let anonymous = app.get("/openapi.json").await;
    assert_eq!(anonymous.status, 200);
    assert!(anonymous.header("ratelimit").is_none());
}

#[actix_web::test]
async fn the_openapi_document_states_each_operations_security_and_429s() {
    let app = TestApp::spawn().await;

    let doc = app.get("/openapi.json").await.value();

    let op = |path: &str, method: &str| doc["paths"][path][method].clone();
    assert_eq!(op("/v1/users", "get")["security"], json!([{"bearer": []}]));
    assert_eq!(
        op("/v1/api-keys", "post")["security"],
        json!([{"bearer": []}])
    );
    assert_eq!(
        op("/v1/auth/logout", "post")["security"],
        json!([{"bearer": []}])
    );
    assert_eq!(
        op("/v1/auth/me", "get")["security"],
        json!([{"bearer": []}, {"api_key": []}])
    );
    assert_eq!(op("/v1/auth/token", "post")["security"], json!([{}]));
    assert!(op("/v1/auth/token", "post")["responses"]["429"].is_object());
    assert!(op("/openapi.json", "get")["responses"]["429"].is_object());
    assert!(op("/healthz", "get")["responses"]["429"].is_null());
    // Signed-in users have their own limit.
    assert!(op("/v1/users", "get")["responses"]["429"].is_object());
}

#[actix_web::test]
async fn every_admin_operation_is_refused_to_everyone_but_admins() {
    let app = TestApp::spawn().await;
    let id = editor(&app).await;
    let key = app.api_key(&[Scope::ContentRead]).await;
    let contributor = bearer(&app.token(Role::Contributor).await);
    let editor_token = bearer(&app.token(Role::Editor).await);
    let user_path = format!("/v1/users/{id}");
    let operations = [
        ("GET", "/v1/users"),
        ("POST", "/v1/users"),
        ("GET", user_path.as_str()),
        ("PATCH", user_path.as_str()),
        ("GET", "/v1/api-keys"),
        ("POST", "/v1/api-keys"),
        ("GET", "/v1/api-keys/some-id"),
        ("DELETE", "/v1/api-keys/some-id"),
    ];

    for (method, path) in operations {
        let body = Some(b"{}".to_vec());
        let json = ("content-type", "application/json");
        let anonymous = app.raw(method, path, &[json], body.clone()).await;
        assert_refused(&anonymous);
        for credential in [
            ("authorization", contributor.as_str()),
            ("authorization", editor_token.as_str()),
            ("x-api-key", key.as_str()),
        ] {
            let response = app
                .raw(method, path, &[json, credential], body.clone())
                .await;
            assert_eq!(response.status, 403, "{method} {path} with {credential:?}");
        }
    }
}
