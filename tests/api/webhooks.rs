//! Webhooks through HTTP: admin-only management, the secret shown once, address checks, and
//! signed deliveries to a receiver started in the test, with their log.

use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use hmac::{KeyInit, Mac, SimpleHmac};
use newsdesk::auth::Role;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::articles::bearer;
use crate::helpers::TestApp;

/// A request the receiver got.
struct Received {
    signature: String,
    event: String,
    body: Vec<u8>,
}

/// A receiver on 127.0.0.1 that records each POST and answers with `status`.
async fn receiver(status: u16) -> (String, mpsc::UnboundedReceiver<Received>) {
    let (tx, rx) = mpsc::unbounded_channel::<Received>();
    let server = HttpServer::new(move || {
        let tx = tx.clone();
        App::new().route(
            "/hook",
            web::post().to(move |req: HttpRequest, body: web::Bytes| {
                let tx = tx.clone();
                async move {
                    let header = |name: &str| {
                        req.headers()
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    let _ = tx.send(Received {
                        signature: header("newsdesk-signature"),
                        event: header("newsdesk-event"),
                        body: body.to_vec(),
                    });
                    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                        .finish()
                }
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .bind("127.0.0.1:0")
    .unwrap();
    let address = server.addrs()[0];
    actix_web::rt::spawn(server.run());
    (format!("http://{address}/hook"), rx)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a delivery arrives within 10 seconds")
        .unwrap()
}

fn verify(secret: &str, received: &Received) -> bool {
    let (t, v1) = received.signature.split_once(",v1=").unwrap();
    let t = t.strip_prefix("t=").unwrap();
    let mut mac =
        <SimpleHmac<sha2_11::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(&received.body);
    hex::encode(mac.finalize().into_bytes()) == v1
}

/// A server that may deliver to loopback addresses, with an admin and an editor signed in.
struct Hooks {
    app: TestApp,
    admin: String,
    editor: String,
}

impl Hooks {
    async fn open(allow_private: bool) -> Hooks {
        let app = TestApp::spawn_with(|s| s.webhook_allow_private = allow_private).await;
        let admin = bearer(&app.token(Role::Admin).await);
        let editor = bearer(&app.token(Role::Editor).await);
        Hooks { app, admin, editor }
    }

    async fn create(&self, url: &str, events: &[&str]) -> Value {
        let response = self
            .app
            .json(
                "POST",
                "/v1/webhooks",
                &json!({"url": url, "events": events}),
                &[("authorization", &self.admin)],
            )
            .await;
        assert_eq!(response.status, 201, "{}", response.text());
        response.value()
    }

    async fn as_editor(&self, method: &str, path: &str, body: &Value) -> Value {
        let response = self
            .app
            .json(method, path, body, &[("authorization", &self.editor)])
            .await;
        assert!(response.status < 300, "{}", response.text());
        response.value()
    }
}

#[actix_web::test]
async fn a_new_webhook_shows_its_secret_once() {
    let hooks = Hooks::open(true).await;

    let created = hooks
        .create("http://127.0.0.1:9/hook", &["article.publish"])
        .await;

    let id = created["id"].as_str().unwrap();
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
    let read = hooks
        .app
        .get_with(
            &format!("/v1/webhooks/{id}"),
            &[("authorization", &hooks.admin)],
        )
        .await;
    assert_eq!(read.status, 200);
    assert!(read.value().get("secret").is_none());
    assert_eq!(read.value()["events"], json!(["article.publish"]));
    let list = hooks
        .app
        .get_with("/v1/webhooks", &[("authorization", &hooks.admin)])
        .await
        .value();
    assert_eq!(list["data"][0]["id"], id);
    assert!(list["data"][0].get("secret").is_none());
}

#[actix_web::test]
async fn only_admins_manage_webhooks() {
    let hooks = Hooks::open(true).await;
    let body = json!({"url": "http://127.0.0.1:9/hook", "events": ["*"]});

    let editor = hooks
        .app
        .json(
            "POST",
            "/v1/webhooks",
            &body,
            &[("authorization", &hooks.editor)],
        )
        .await;
    let anonymous = hooks.app.get("/v1/webhooks").await;

    editor.problem(403);
    anonymous.problem(401);
}

#[actix_web::test]
async fn loopback_and_private_targets_are_refused_unless_allowed() {
    let hooks = Hooks::open(false).await;

    for url in [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.0.0.5/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://0.0.0.0/",
    ] {
        let response = hooks
            .app
            .json(
                "POST",
                "/v1/webhooks",
                &json!({"url": url, "events": ["*"]}),
                &[("authorization", &hooks.admin)],
            )
            .await;
        assert_eq!(response.problem(422)["errors"][0]["field"], "url", "{url}");
    }
}

/// The special-purpose targets that slipped past the old check: NAT64, 6to4 and
/// IPv4-compatible forms of loopback, and the benchmarking block.
const SPECIAL_PURPOSE_TARGETS: [&str; 6] = [
    "http://[64:ff9b::7f00:1]/hook",
    "http://[2002:7f00:1::]/hook",
    "http://[::127.0.0.1]/hook",
    "http://198.18.0.1/hook",
    "http://[::ffff:169.254.169.254]/latest/meta-data",
    "http://[2001:db8::1]/hook",
];

#[actix_web::test]
async fn special_purpose_targets_and_ipv4_hidden_in_ipv6_are_refused() {
    let hooks = Hooks::open(false).await;

    for url in SPECIAL_PURPOSE_TARGETS {
        let response = hooks
            .app
            .json(
                "POST",
                "/v1/webhooks",
                &json!({"url": url, "events": ["*"]}),
                &[("authorization", &hooks.admin)],
            )
            .await;

        let problem = response.problem(422);
        assert_eq!(problem["errors"][0]["field"], "url", "{url}");
        let message = problem["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("not globally reachable"),
            "{url}: {message}"
        );
    }
}

#[actix_web::test]
async fn special_purpose_targets_are_accepted_when_private_targets_are_allowed() {
    let hooks = Hooks::open(true).await;

    for url in SPECIAL_PURPOSE_TARGETS {
        let created = hooks.create(url, &["*"]).await;

        assert_eq!(created["url"], url);
    }
}

#[actix_web::test]
async fn public_targets_are_still_accepted() {
    let hooks = Hooks::open(false).await;

    for url in [
        "http://93.184.215.14/hook",
        "https://8.8.8.8:8443/hook",
        "http://[2606:4700:4700::1111]/hook",
        "http://[64:ff9b::808:808]/hook",
    ] {
        let created = hooks.create(url, &["article.publish"]).await;

        assert_eq!(created["url"], url);
    }
}

#[actix_web::test]
async fn bad_schemes_and_unknown_events_are_refused() {
    let hooks = Hooks::open(true).await;

    let scheme = hooks
        .app
        .json(
            "POST",
            "/v1/webhooks",
            &json!({"url": "ftp://127.0.0.1/hook", "events": ["*"]}),
            &[("authorization", &hooks.admin)],
        )
        .await;
    let event = hooks
        .app
        .json(
            "POST",
            "/v1/webhooks",
            &json!({"url": "http://127.0.0.1:9/hook", "events": ["article.read"]}),
            &[("authorization", &hooks.admin)],
        )
        .await;

    assert_eq!(scheme.problem(422)["errors"][0]["field"], "url");
    assert_eq!(event.problem(422)["errors"][0]["field"], "events[0]");
}

#[actix_web::test]
async fn deleting_a_webhook_requires_if_match() {
    let hooks = Hooks::open(true).await;
    let id = hooks.create("http://127.0.0.1:9/hook", &["*"]).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/webhooks/{id}");
    let auth = [("authorization", hooks.admin.as_str())];
    let etag = hooks
        .app
        .get_with(&path, &auth)
        .await
        .header("etag")
        .unwrap()
        .to_owned();

    let without = hooks.app.raw("DELETE", &path, &auth, None).await;
    let stale = hooks
        .app
        .raw("DELETE", &path, &[auth[0], ("if-match", "\"stale\"")], None)
        .await;
    let with = hooks
        .app
        .raw("DELETE", &path, &[auth[0], ("if-match", &etag)], None)
        .await;

    without.problem(428);
    stale.problem(412);
    assert_eq!(with.status, 204);
    hooks.app.get_with(&path, &auth).await.problem(404);
}

#[actix_web::test]
async fn subscribed_changes_are_delivered_signed_and_logged() {
    let hooks = Hooks::open(true).await;
    let (url, mut rx) = receiver(200).await;
    let created = hooks
        .create(&url, &["article.publish", "article.unpublish"])
        .await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    let hook_id = created["id"].as_str().unwrap().to_owned();
    let draft = hooks
        .as_editor(
            "POST",
            "/v1/articles",
            &json!({"headline": "Harbour tolls rise"}),
        )
        .await;
    let article_id = draft["id"].as_str().unwrap().to_owned();

    hooks
        .as_editor(
            "POST",
            &format!("/v1/articles/{article_id}/publish"),
            &json!({}),
        )
        .await;
    let publish = next(&mut rx).await;
    hooks
        .as_editor(
            "POST",
            &format!("/v1/articles/{article_id}/unpublish"),
            &json!({}),
        )
        .await;
    let unpublish = next(&mut rx).await;

    // The create was not subscribed to, so the publish comes first.
    assert_eq!(publish.event, "article.publish");
    assert_eq!(unpublish.event, "article.unpublish");
    assert!(verify(&secret, &publish), "signature {}", publish.signature);
    assert!(!verify("whsec_wrong", &publish));
    let payload: Value = serde_json::from_slice(&publish.body).unwrap();
    assert_eq!(payload["resource"], "article");
    assert_eq!(payload["id"], article_id.as_str());
    assert_eq!(payload["operation"], "publish");
    assert_eq!(payload["version"], 2);
    assert!(payload["seq"].is_i64() && payload["at"].is_string());
    // Deliveries run one after another, so the first was logged before the second was sent.
    let log = hooks
        .app
        .get_with(
            &format!("/v1/webhooks/{hook_id}/deliveries"),
            &[("authorization", &hooks.admin)],
        )
        .await
        .value();
    let first = log["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["event"] == "article.publish")
        .unwrap();
    assert_eq!(first["status"], "delivered");
    assert_eq!(first["attempts"], 1);
    assert_eq!(first["last_status_code"], 200);
}

#[actix_web::test]
async fn a_refused_delivery_is_logged_and_scheduled_for_retry() {
    let hooks = Hooks::open(true).await;
    let (url, mut rx) = receiver(500).await;
    let hook_id = hooks.create(&url, &["article.*"]).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    hooks
        .as_editor("POST", "/v1/articles", &json!({"headline": "First"}))
        .await;
    next(&mut rx).await;
    hooks
        .as_editor("POST", "/v1/articles", &json!({"headline": "Second"}))
        .await;
    next(&mut rx).await;

    let log = hooks
        .app
        .get_with(
            &format!("/v1/webhooks/{hook_id}/deliveries"),
            &[("authorization", &hooks.admin)],
        )
        .await
        .value();
    let oldest = log["data"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(oldest["status"], "pending");
    assert_eq!(oldest["attempts"], 1);
    assert_eq!(oldest["last_status_code"], 500);
    assert!(oldest["next_attempt_at"].is_string());
    assert!(oldest["last_error"].as_str().unwrap().contains("500"));
}

#[actix_web::test]
async fn the_delivery_time_check_resolves_names_before_judging_them() {
    // Deliveries run this same check just before connecting, and connect to what it returns.
    let refused = newsdesk::webhooks::check_target("http://localhost:9/hook", false).await;
    let allowed = newsdesk::webhooks::check_target("http://localhost:9/hook", true).await;

    let reason = refused.unwrap_err();
    assert!(reason.contains("(loopback)"), "{reason}");
    assert!(reason.contains("not globally reachable"), "{reason}");
    let nat64 = newsdesk::webhooks::check_target("http://[64:ff9b::7f00:1]:9/hook", false).await;
    assert!(nat64.unwrap_err().contains("carries 127.0.0.1"));
    let target = allowed.unwrap();
    assert!(!target.addresses.is_empty());
    assert!(target.addresses.iter().all(|a| a.ip().is_loopback()));
}
