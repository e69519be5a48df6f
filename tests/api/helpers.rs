//! The test harness: a real server per test, with typed request helpers.
#![allow(dead_code)]

use std::path::PathBuf;

use actix_web::http::header::HeaderMap;
use awc::Client;
use newsdesk::auth::Role;
use newsdesk::config::{DatabaseUrl, Settings};
use newsdesk::startup::{Application, Signals};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tempfile::TempDir;

/// A running server with its own temporary database and media folder.
pub struct TestApp {
    pub address: String,
    pub client: Client,
    pub dir: TempDir,
    pub state: newsdesk::state::AppState,
}

/// What a request came back with.
#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not the expected JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn value(&self) -> Value {
        self.json()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts an RFC 9457 body with this status and returns it.
    pub fn problem(&self, status: u16) -> Value {
        assert_eq!(
            self.status,
            status,
            "unexpected status, body: {}",
            self.text()
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "body: {}",
            self.text()
        );
        let body = self.value();
        assert_eq!(body["status"], status);
        assert!(body["type"].as_str().unwrap().starts_with("/problems/"));
        assert!(body["title"].is_string());
        assert!(body["detail"].is_string());
        body
    }
}

/// Settings for a test server: port 0, a temp database, no demo content, a fixed secret.
pub fn test_settings(dir: &TempDir) -> Settings {
    let mut settings = Settings::from_lookup(|_| None).unwrap();
    settings.database = DatabaseUrl::Sqlite(dir.path().join("newsdesk.db"));
    settings.bind = "127.0.0.1:0".parse().unwrap();
    settings.media_dir = dir.path().join("media");
    settings.demo = false;
    settings.workers = 1;
    settings.jwt_secret = Some(
        "test-secret-that-is-long-enough-for-hs256!!"
            .to_owned()
            .into(),
    );
    settings
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(change: impl FnOnce(&mut Settings)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = test_settings(&dir);
        change(&mut settings);
        let app = Application::build(settings, Signals::Ignore)
            .unwrap_or_else(|e| panic!("server builds: {e:#}"));
        let address = app.address().to_owned();
        let state = app.state().clone();
        actix_web::rt::spawn(app.run_until_stopped());
        let client = Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .disable_redirects()
            .finish();
        TestApp {
            address,
            client,
            dir,
            state,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("newsdesk.db")
    }

    /// Sends a request built by `build` and collects the whole response.
    pub async fn send(&self, request: awc::ClientRequest, body: Option<Vec<u8>>) -> TestResponse {
        let mut response = match body {
            Some(body) => request.send_body(body).await,
            None => request.send().await,
        }
        .expect("request reaches the server");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .body()
            .limit(64 * 1024 * 1024)
            .await
            .unwrap()
            .to_vec();
        TestResponse {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.send(self.client.get(self.url(path)), None).await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> TestResponse {
        let mut request = self.client.get(self.url(path));
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        self.send(request, None).await
    }

    /// Any method, raw body, explicit headers.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> TestResponse {
        let method = actix_web::http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, self.url(path));
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        self.send(request, body).await
    }

    /// A JSON request with optional extra headers.
    pub async fn json(
        &self,
        method: &str,
        path: &str,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        self.raw(method, path, &all, Some(serde_json::to_vec(body).unwrap()))
            .await
    }
}

/// The password `TestApp::token` gives the users it creates.
pub const TEST_PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    /// Creates a user directly through the library; returns the user's id.
    pub async fn create_user(&self, email: &str, role: Role, password: &str) -> String {
        newsdesk::auth::users::create_user(
            &self.state.db,
            newsdesk::auth::users::NewUser {
                email: email.to_owned(),
                display_name: None,
                role,
                password: password.to_owned(),
            },
        )
        .await
        .expect("the test user is created")
        .id
    }

    /// A fresh user of `role` with a unique email, signed in; returns the access token (send
    /// it as `format!("Bearer {token}")`).
    pub async fn token(&self, role: Role) -> String {
        let email = format!("{}-{}@example.test", role, uuid::Uuid::now_v7().simple());
        self.create_user(&email, role, TEST_PASSWORD).await;
        self.token_for(&email, TEST_PASSWORD).await
    }

    /// Signs in through `POST /v1/auth/token` and returns the access token.
    pub async fn token_for(&self, email: &str, password: &str) -> String {
        self.sign_in(email, password).await["access_token"]
            .as_str()
            .expect("an access token")
            .to_owned()
    }

    /// Signs in through `POST /v1/auth/token`, asserts success and returns the whole body.
    pub async fn sign_in(&self, email: &str, password: &str) -> Value {
        let response = self
            .json(
                "POST",
                "/v1/auth/token",
                &serde_json::json!({"email": email, "password": password}),
                &[],
            )
            .await;
        assert_eq!(response.status, 200, "sign-in failed: {}", response.text());
        response.value()
    }
}

impl TestApp {
    /// A new partner API key with these scopes and no rate limit; returns the key itself (send
    /// it as `("x-api-key", &key)`).
    pub async fn api_key(&self, scopes: &[newsdesk::auth::Scope]) -> String {
        let (_, key) = newsdesk::auth::keys::create_api_key(
            &self.state.db,
            newsdesk::auth::keys::NewApiKey {
                name: "test partner".to_owned(),
                scopes: scopes.to_vec(),
                rate: newsdesk::config::Rate {
                    count: 0,
                    period: std::time::Duration::from_secs(60),
                },
                created_by: None,
            },
        )
        .await
        .expect("the test key is created");
        key
    }
}

/// The headlines of a list page's `data`, in order.
pub fn headlines(page: &serde_json::Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["headline"].as_str().unwrap().to_owned())
        .collect()
}
