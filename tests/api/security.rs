//! Hardening: password guessing in parallel, per-user limits, the client address behind
//! proxies, concurrent idempotent requests, browser headers, and what errors give away.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use diesel::prelude::*;
use futures_util::future::join_all;
use newsdesk::auth::Role;
use newsdesk::db::schema::{articles, idempotency_keys};
use newsdesk::http::idempotency::{KeyedRequest, Reservation, reserve};
use serde_json::json;

use crate::helpers::{TEST_PASSWORD, TestApp, TestResponse};

fn rate(count: u32, secs: u64) -> newsdesk::config::Rate {
    newsdesk::config::Rate {
        count,
        period: Duration::from_secs(secs),
    }
}

fn assert_throttled(response: &TestResponse) {
    response.problem(429);
    let retry: u64 = response.header("retry-after").unwrap().parse().unwrap();
    assert!(retry >= 1);
    assert!(response.header("ratelimit").unwrap().contains(";r=0;"));
}

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

const EMAIL: &str = "guarded@example.test";

#[actix_web::test]
async fn a_parallel_burst_of_wrong_passwords_gets_no_more_checks_than_the_limit() {
    let app = TestApp::spawn().await;
    app.create_user(EMAIL, Role::Editor, TEST_PASSWORD).await;
    let body = json!({"email": EMAIL, "password": "not the password"});

    let responses = join_all((0..40).map(|_| app.json("POST", "/v1/auth/token", &body, &[]))).await;

    let statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    assert_eq!(count(&statuses, 401), 10, "{statuses:?}");
    assert_eq!(count(&statuses, 429), 30, "{statuses:?}");
    for refused in responses.iter().filter(|r| r.status == 429) {
        assert_throttled(refused);
    }
}

#[actix_web::test]
async fn wrong_current_passwords_on_a_password_change_are_throttled_like_sign_ins() {
    let app = TestApp::spawn_with(|s| s.login_rate_limit = rate(5, 900)).await;
    app.create_user(EMAIL, Role::Contributor, TEST_PASSWORD)
        .await;
    let token = format!("Bearer {}", app.token_for(EMAIL, TEST_PASSWORD).await);
    let body = json!({"current_password": "a wrong guess", "new_password": "a brand new password"});

    let headers = [("authorization", token.as_str())];
    let responses =
        join_all((0..20).map(|_| app.json("POST", "/v1/auth/password", &body, &headers))).await;
    let right = app
        .json(
            "POST",
            "/v1/auth/password",
            &json!({"current_password": TEST_PASSWORD, "new_password": "a brand new password"}),
            &[("authorization", &token)],
        )
        .await;

    let statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    assert_eq!(count(&statuses, 422), 5, "{statuses:?}");
    assert_eq!(count(&statuses, 429), 15, "{statuses:?}");
    for refused in responses.iter().filter(|r| r.status == 429) {
        assert_throttled(refused);
    }
    // The guesses count against the account's sign-ins too, even with the right password.
    assert_throttled(&right);
}

#[actix_web::test]
async fn a_right_current_password_does_not_use_up_the_limit() {
    let app = TestApp::spawn_with(|s| s.login_rate_limit = rate(1, 900)).await;
    app.create_user(EMAIL, Role::Contributor, TEST_PASSWORD)
        .await;
    let mut password = TEST_PASSWORD.to_owned();

    for n in 0..3 {
        let token = format!("Bearer {}", app.token_for(EMAIL, &password).await);
        let next = format!("new password number {n}");
        let changed = app
            .json(
                "POST",
                "/v1/auth/password",
                &json!({"current_password": password, "new_password": next}),
                &[("authorization", &token)],
            )
            .await;
        assert_eq!(changed.status, 200, "{}", changed.text());
        password = next;
    }
}

#[actix_web::test]
async fn signed_in_users_are_limited_per_user_with_ratelimit_headers() {
    let app = TestApp::spawn_with(|s| {
        s.user_rate_limit = rate(3, 60);
        s.rate_limit = rate(0, 60);
    })
    .await;
    let first = format!("Bearer {}", app.token(Role::Editor).await);
    let second = format!("Bearer {}", app.token(Role::Editor).await);

    let mut answers = Vec::new();
    for _ in 0..4 {
        answers.push(
            app.get_with("/v1/auth/me", &[("authorization", &first)])
                .await,
        );
    }
    let other = app
        .get_with("/v1/auth/me", &[("authorization", &second)])
        .await;

    assert_eq!(answers[0].status, 200);
    assert_eq!(
        answers[0].header("ratelimit-policy"),
        Some("\"per-user\";q=3;w=60")
    );
    assert!(
        answers[2]
            .header("ratelimit")
            .unwrap()
            .starts_with("\"per-user\";r=0;")
    );
    assert_throttled(&answers[3]);
    assert_eq!(answers[3].header("cache-control"), Some("no-store"));
    assert_eq!(other.status, 200);
}

#[actix_web::test]
async fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
    let app = TestApp::spawn_with(|s| s.rate_limit = rate(2, 60)).await;

    let mut statuses = Vec::new();
    for n in 0..3 {
        let spoofed = format!("198.51.100.{n}");
        let forwarded = format!("for={spoofed}");
        let response = app
            .get_with(
                "/openapi.json",
                &[("x-forwarded-for", &spoofed), ("forwarded", &forwarded)],
            )
            .await;
        statuses.push(response.status);
    }

    assert_eq!(statuses, [200, 200, 429]);
}

#[actix_web::test]
async fn behind_a_trusted_proxy_each_client_gets_its_own_limit() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limit = rate(2, 60);
        s.trusted_proxies = vec![
            "127.0.0.0/8".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ];
    })
    .await;
    let app = &app;
    let from = |xff: &'static str| async move {
        app.get_with("/openapi.json", &[("x-forwarded-for", xff)])
            .await
    };

    let a1 = from("198.51.100.1").await;
    let a2 = from("198.51.100.1, 10.0.0.7").await;
    // The client wrote its own first entry; the proxy's entry to its right is the one believed.
    let a3 = from("203.0.113.250, 198.51.100.1").await;
    let b = from("198.51.100.2").await;
    let c = app
        .get_with(
            "/openapi.json",
            &[("forwarded", "for=\"[2001:db8::1]:4711\";proto=https")],
        )
        .await;

    assert_eq!((a1.status, a2.status), (200, 200));
    assert_throttled(&a3);
    assert_eq!(b.status, 200);
    assert_eq!(c.status, 200);
}

#[actix_web::test]
async fn behind_a_trusted_proxy_failed_sign_ins_count_per_client() {
    let app = TestApp::spawn_with(|s| {
        s.login_rate_limit = rate(2, 900);
        s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let app = &app;
    let attempt = |n: u32, client: &'static str| async move {
        app.json(
            "POST",
            "/v1/auth/token",
            &json!({"email": format!("nobody{n}@example.test"), "password": "whatever"}),
            &[("x-forwarded-for", client)],
        )
        .await
    };

    attempt(1, "198.51.100.1").await.problem(401);
    attempt(2, "198.51.100.1").await.problem(401);
    let third = attempt(3, "198.51.100.1").await;
    let elsewhere = attempt(4, "198.51.100.2").await;

    assert_throttled(&third);
    elsewhere.problem(401);
}

async fn article_count(app: &TestApp) -> i64 {
    app.state
        .db
        .read(|conn| Ok(articles::table.count().get_result::<i64>(conn)?))
        .await
        .unwrap()
}

#[actix_web::test]
async fn eight_concurrent_posts_with_one_idempotency_key_create_one_article() {
    let app = TestApp::spawn().await;
    let token = format!("Bearer {}", app.token(Role::Editor).await);
    let body = json!({"headline": "Filed once, whatever the network does"});
    let headers = [
        ("authorization", token.as_str()),
        ("idempotency-key", "burst-1"),
    ];

    let responses =
        join_all((0..8).map(|_| app.json("POST", "/v1/articles", &body, &headers))).await;

    assert_eq!(article_count(&app).await, 1);
    let mut ids = Vec::new();
    for response in &responses {
        match response.status {
            201 => ids.push(response.value()["id"].as_str().unwrap().to_owned()),
            409 => {
                let problem = response.problem(409);
                assert!(
                    problem["detail"]
                        .as_str()
                        .unwrap()
                        .contains("Idempotency-Key")
                );
            }
            other => panic!("unexpected {other}: {}", response.text()),
        }
    }
    assert!(!ids.is_empty());
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
}

#[actix_web::test]
async fn a_second_request_while_the_first_with_its_key_runs_is_a_409() {
    let app = TestApp::spawn().await;
    let email = "running@example.test";
    let id = app.create_user(email, Role::Editor, TEST_PASSWORD).await;
    let token = format!("Bearer {}", app.token_for(email, TEST_PASSWORD).await);
    // The first request has reserved its key and is still running.
    let first = KeyedRequest {
        caller: format!("user:{id}"),
        key: "slow-1".to_owned(),
        method: "POST".to_owned(),
        path: "/v1/articles".to_owned(),
        request_hash: "the first request".to_owned(),
    };
    let reserved = app
        .state
        .db
        .write(move |conn| reserve(conn, &first, chrono::Utc::now()))
        .await
        .unwrap();
    assert!(matches!(reserved, Reservation::Reserved));

    let second = app
        .json(
            "POST",
            "/v1/articles",
            &json!({"headline": "Impatient"}),
            &[("authorization", &token), ("idempotency-key", "slow-1")],
        )
        .await;

    second.problem(409);
    assert_eq!(article_count(&app).await, 0);
}

#[actix_web::test]
async fn an_idempotency_key_expires_after_a_day_and_is_then_new() {
    let app = TestApp::spawn().await;
    let token = format!("Bearer {}", app.token(Role::Editor).await);
    let headers = [
        ("authorization", token.as_str()),
        ("idempotency-key", "daily"),
    ];
    let first = app
        .json(
            "POST",
            "/v1/articles",
            &json!({"headline": "Monday"}),
            &headers,
        )
        .await;
    assert_eq!(first.status, 201);
    let yesterday = newsdesk::time::format(chrono::Utc::now() - chrono::Duration::hours(25));
    app.state
        .db
        .write(move |conn| {
            diesel::update(idempotency_keys::table)
                .set(idempotency_keys::created_at.eq(yesterday))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();

    let again = app
        .json(
            "POST",
            "/v1/articles",
            &json!({"headline": "Tuesday"}),
            &headers,
        )
        .await;

    assert_eq!(again.status, 201, "{}", again.text());
    assert!(again.header("idempotent-replayed").is_none());
    assert_ne!(again.value()["id"], first.value()["id"]);
    let kept: i64 = app
        .state
        .db
        .read(|conn| Ok(idempotency_keys::table.count().get_result(conn)?))
        .await
        .unwrap();
    assert_eq!(kept, 1);
}

#[actix_web::test]
async fn an_idempotent_post_declaring_a_body_over_its_limit_is_refused_at_once() {
    let app = TestApp::spawn_with(|s| s.max_body_bytes = 1024).await;
    let token = format!("Bearer {}", app.token(Role::Editor).await);
    let address = app.address.trim_start_matches("http://").to_owned();

    // Declares 5 MB (under the upload limit, over this endpoint's) and sends none of it: the
    // answer must come without the server waiting for, or buffering, the body.
    let head = format!(
        "POST /v1/articles HTTP/1.1\r\nHost: {address}\r\nAuthorization: {token}\r\n\
         Idempotency-Key: big-1\r\nContent-Type: application/json\r\n\
         Content-Length: 5000000\r\n\r\n"
    );
    let answer = std::thread::spawn(move || {
        let mut stream = TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream.write_all(head.as_bytes()).unwrap();
        let mut buffer = [0u8; 4096];
        let read = stream.read(&mut buffer).unwrap_or(0);
        String::from_utf8_lossy(&buffer[..read]).into_owned()
    })
    .join()
    .unwrap();

    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
}

#[actix_web::test]
async fn every_answer_carries_nosniff_and_a_strict_policy_except_the_docs() {
    let app = TestApp::spawn().await;
    let answers = [
        app.get("/v1/articles").await,
        app.get("/v1/articles/absent").await,
        app.get("/v1/feeds/rss").await,
        app.get("/openapi.json").await,
        app.get("/healthz").await,
        app.get("/nowhere").await,
        app.raw(
            "POST",
            "/v1/auth/token",
            &[("content-type", "application/json")],
            Some(b"{".to_vec()),
        )
        .await,
    ];

    for answer in &answers {
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(answer.header("referrer-policy"), Some("no-referrer"));
        let policy = answer.header("content-security-policy").unwrap();
        assert!(policy.starts_with("default-src 'none'"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(!policy.contains("script-src"), "{policy}");
    }
    let docs = app.get("/docs/").await;
    assert_eq!(docs.status, 200);
    assert_eq!(docs.header("x-content-type-options"), Some("nosniff"));
    let policy = docs.header("content-security-policy").unwrap();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(policy.contains("connect-src 'self'"), "{policy}");
    assert!(!policy.contains("unsafe-eval"), "{policy}");
    // The Swagger UI's files are all served by this server.
    let page = docs.text();
    for src in ["./swagger-ui-bundle.js", "./swagger-initializer.js"] {
        assert!(page.contains(src), "{src}");
        let path = format!("/docs/{}", src.trim_start_matches("./"));
        assert_eq!(app.get(&path).await.status, 200, "{path}");
    }
}

#[actix_web::test]
async fn a_unique_value_the_database_refuses_is_a_409_naming_the_field() {
    let app = TestApp::spawn().await;
    app.create_user("taken@example.test", Role::Editor, TEST_PASSWORD)
        .await;

    let refused = app
        .state
        .db
        .write(|conn| {
            let now = newsdesk::time::now();
            newsdesk::db::users::insert(
                conn,
                &newsdesk::db::users::NewUserRow {
                    id: "another",
                    email: "taken@example.test",
                    display_name: "Another",
                    role: "editor",
                    password_hash: "x",
                    created_at: &now,
                    updated_at: &now,
                },
            )?;
            Ok(())
        })
        .await
        .unwrap_err();
    let problem = actix_web::ResponseError::error_response(&refused);
    let body = actix_web::body::to_bytes(problem.into_body())
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();

    assert_eq!(body["status"], 409);
    assert_eq!(body["errors"][0]["field"], "email");
    let text = body.to_string();
    assert!(!text.contains("UNIQUE"), "{text}");
    assert!(!text.contains("users.email"), "{text}");
}

#[actix_web::test]
async fn readyz_says_unavailable_and_nothing_about_the_cause() {
    let app = TestApp::spawn_with(|s| {
        // One connection, and a wait for it long enough that starting up on a busy machine
        // never times out, short enough for the probe below to give up quickly.
        s.db_pool_size = 1;
        s.db_busy_timeout = Duration::from_millis(2000);
    })
    .await;
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, 200);

    // The only connection is taken, so the probe cannot reach the database.
    let held = app.state.db.conn().unwrap();
    let unready = app.get("/readyz").await;
    drop(held);

    let problem = unready.problem(503);
    assert_eq!(problem["detail"], "unavailable");
    assert!(unready.header("retry-after").is_some());
    assert!(!unready.text().contains("database"), "{}", unready.text());
}
