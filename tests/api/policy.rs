//! The authorisation policy of content writes: contributors change their own unused work,
//! editors change what published articles show, and such a change is a new revision and an
//! `article` `update` change of every article it re-renders.

use newsdesk::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TEST_PASSWORD, TestApp, TestResponse};
use crate::media::{form, upload};
use crate::speakers::images;

/// A newsroom with a contributor's speaker, quote and photo, shown by an article.
struct Desk {
    app: TestApp,
    owner: String,
    other: String,
    editor: String,
    speaker: String,
    quote: String,
    photo: String,
    article: String,
}

impl Desk {
    async fn open() -> Desk {
        let app = TestApp::spawn().await;
        app.create_user("owner@example.test", Role::Contributor, TEST_PASSWORD)
            .await;
        let owner = format!(
            "Bearer {}",
            app.token_for("owner@example.test", TEST_PASSWORD).await
        );
        let other = format!("Bearer {}", app.token(Role::Contributor).await);
        let editor = format!("Bearer {}", app.token(Role::Editor).await);
        let mut desk = Desk {
            app,
            owner,
            other,
            editor,
            speaker: String::new(),
            quote: String::new(),
            photo: String::new(),
            article: String::new(),
        };
        let owner = desk.owner.clone();
        desk.speaker = desk
            .ok("POST", "/v1/speakers", &owner, json!({"name": "Ada Owner"}))
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        desk.quote = desk
            .ok(
                "POST",
                "/v1/quotes",
                &owner,
                json!({"text": "We will open the harbour.", "speaker_id": desk.speaker}),
            )
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let uploaded = upload(
            &desk.app,
            &owner,
            form(
                &[("caption", "The harbour")],
                Some(("p.png", &images::png(8, 6))),
            ),
        )
        .await;
        assert_eq!(uploaded.status, 201, "{}", uploaded.text());
        desk.photo = uploaded.value()["id"].as_str().unwrap().to_owned();
        desk.article = desk
            .ok(
                "POST",
                "/v1/articles",
                &owner,
                json!({
                    "headline": "Harbour to open",
                    "body": [
                        {"type": "paragraph", "text": "The harbour opens."},
                        {"type": "quote", "quote_id": desk.quote},
                        {"type": "media", "media_id": desk.photo}
                    ]
                }),
            )
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        desk
    }

    async fn send(&self, method: &str, path: &str, auth: &str, body: Value) -> TestResponse {
        let mut headers = vec![("authorization", auth)];
        if method == "PATCH" || method == "DELETE" {
            headers.push(("if-match", "*"));
        }
        self.app.json(method, path, &body, &headers).await
    }

    async fn ok(&self, method: &str, path: &str, auth: &str, body: Value) -> Value {
        let response = self.send(method, path, auth, body).await;
        assert!(
            (200..300).contains(&response.status),
            "{method} {path}: {} {}",
            response.status,
            response.text()
        );
        response.value()
    }

    async fn publish(&self) {
        let path = format!("/v1/articles/{}/publish", self.article);
        self.ok("POST", &path, &self.editor.clone(), json!({}))
            .await;
    }

    /// Every change a contributor might try on the story's shared pieces and the article.
    fn attempts(&self) -> Vec<(&'static str, String, Value)> {
        vec![
            (
                "quote",
                format!("/v1/quotes/{}", self.quote),
                json!({"text": "We will close the harbour."}),
            ),
            (
                "speaker",
                format!("/v1/speakers/{}", self.speaker),
                json!({"title": "Harbour master"}),
            ),
            (
                "photo metadata",
                format!("/v1/media/{}", self.photo),
                json!({"caption": "Another harbour"}),
            ),
            (
                "photo rights",
                format!("/v1/media/{}", self.photo),
                json!({"syndication_allowed": true}),
            ),
            (
                "article",
                format!("/v1/articles/{}", self.article),
                json!({"headline": "Harbour to close"}),
            ),
        ]
    }
}

#[actix_web::test]
async fn contributors_cannot_change_published_work_through_any_shared_resource() {
    // Arrange
    let desk = Desk::open().await;
    desk.publish().await;

    // Act and assert: the owner and another contributor are refused, with a problem.
    for auth in [&desk.owner, &desk.other] {
        for (what, path, body) in desk.attempts() {
            let response = desk.send("PATCH", &path, auth, body).await;
            assert_eq!(response.status, 403, "{what}: {}", response.text());
            assert_eq!(
                response.header("content-type"),
                Some("application/problem+json"),
                "{what}"
            );
        }
    }
}

#[actix_web::test]
async fn contributors_change_their_own_unused_work_but_not_others_nor_rights() {
    // Arrange: nothing is published yet.
    let desk = Desk::open().await;

    // Act and assert: the owner may change everything but the photo's rights.
    for (what, path, body) in desk.attempts() {
        let response = desk.send("PATCH", &path, &desk.owner, body.clone()).await;
        let expected = if what == "photo rights" { 403 } else { 200 };
        assert_eq!(
            response.status,
            expected,
            "owner, {what}: {}",
            response.text()
        );
        let response = desk.send("PATCH", &path, &desk.other, body).await;
        assert!(
            [403, 404].contains(&response.status),
            "another contributor, {what}: {}",
            response.status
        );
    }
    // Rights at upload are editors' too.
    let uploaded = upload(
        &desk.app,
        &desk.owner,
        form(
            &[("syndication_allowed", "true")],
            Some(("p.png", &images::png(8, 6))),
        ),
    )
    .await;
    assert_eq!(uploaded.status, 403, "{}", uploaded.text());
}

#[actix_web::test]
async fn an_editor_changing_a_quote_of_a_published_article_makes_a_revision_and_a_change() {
    // Arrange
    let desk = Desk::open().await;
    desk.publish().await;
    let article_path = format!("/v1/articles/{}", desk.article);
    let before = desk.app.get(&article_path).await.value();
    let changes = desk
        .app
        .get_with("/v1/changes?limit=100", &[("authorization", &desk.editor)])
        .await
        .value();
    let cursor = changes["next_cursor"].as_str().unwrap().to_owned();

    // Act
    desk.ok(
        "PATCH",
        &format!("/v1/quotes/{}", desk.quote),
        &desk.editor.clone(),
        json!({"text": "We will open the harbour at dawn."}),
    )
    .await;

    // Assert: the article reads the new words, as a new version.
    let after = desk.app.get(&article_path).await.value();
    assert!(
        after["body_html"]
            .as_str()
            .unwrap()
            .contains("We will open the harbour at dawn."),
        "{}",
        after["body_html"]
    );
    assert_eq!(
        after["version"].as_i64().unwrap(),
        before["version"].as_i64().unwrap() + 1
    );
    // A revision with who and why.
    let revisions = desk
        .app
        .get_with(
            &format!("{article_path}/revisions"),
            &[("authorization", &desk.editor)],
        )
        .await
        .value();
    let last = revisions["data"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["version"], after["version"]);
    let me = desk
        .app
        .get_with("/v1/auth/me", &[("authorization", &desk.editor)])
        .await
        .value();
    assert_eq!(last["author_id"], me["id"]);
    assert!(
        last["note"].as_str().unwrap().contains(&desk.quote),
        "{last}"
    );
    // An article update in the change feed, which partners and webhooks follow.
    let feed = desk
        .app
        .get_with(
            &format!("/v1/changes?since={cursor}"),
            &[("authorization", &desk.editor)],
        )
        .await
        .value();
    let rows = feed["data"].as_array().unwrap();
    assert!(
        rows.iter().any(|r| r["resource"] == "article"
            && r["id"] == desk.article.as_str()
            && r["operation"] == "update"
            && r["version"] == after["version"]),
        "{feed}"
    );
}

#[actix_web::test]
async fn contributors_read_only_the_published_revisions_of_others_articles() {
    // Arrange: the owner saves twice before publication; an editor publishes.
    let desk = Desk::open().await;
    let path = format!("/v1/articles/{}", desk.article);
    desk.ok(
        "PATCH",
        &path,
        &desk.owner.clone(),
        json!({"headline": "Harbour to open soon"}),
    )
    .await;
    desk.publish().await;

    // Act
    let own = desk
        .app
        .get_with(
            &format!("{path}/revisions"),
            &[("authorization", &desk.owner)],
        )
        .await
        .value();
    let others = desk
        .app
        .get_with(
            &format!("{path}/revisions"),
            &[("authorization", &desk.other)],
        )
        .await
        .value();
    let first = desk
        .app
        .get_with(
            &format!("{path}/revisions/1"),
            &[("authorization", &desk.other)],
        )
        .await;

    // Assert
    assert_eq!(own["data"].as_array().unwrap().len(), 3);
    assert_eq!(others["data"].as_array().unwrap().len(), 1);
    first.problem(404);
}
