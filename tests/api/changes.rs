//! The change feed at /v1/changes.

use diesel::prelude::*;
use newsdesk::auth::{Role, Scope};
use newsdesk::db::schema::{app_settings, changes, media};
use newsdesk::newsroom::clock;

use crate::fixtures::ArticleFixture;
use serde_json::json;

use crate::helpers::TestApp;

impl TestApp {
    fn record_change(&self, resource: &str, id: &str, operation: &str, version: i64) {
        self.record_removal(resource, id, operation, version, 0);
    }

    /// A change row that took the resource away from the reader classes in `removed_for`.
    fn record_removal(
        &self,
        resource: &str,
        id: &str,
        operation: &str,
        version: i64,
        removed_for: i32,
    ) {
        diesel::insert_into(changes::table)
            .values((
                changes::resource.eq(resource),
                changes::resource_id.eq(id),
                changes::operation.eq(operation),
                changes::version.eq(version),
                changes::at.eq("2026-03-01T00:00:00.000000Z"),
                changes::removed_for.eq(removed_for),
            ))
            .execute(&mut self.conn())
            .unwrap();
    }
}

fn ids(page: &serde_json::Value) -> Vec<(String, String)> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["operation"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[actix_web::test]
async fn editors_page_through_every_change_in_order() {
    let app = TestApp::spawn().await;
    for n in 1..=5 {
        app.record_change("article", &format!("a{n}"), "create", 1);
    }
    let token = app.token(Role::Editor).await;
    let auth = format!("Bearer {token}");
    let first = app
        .get_with("/v1/changes?limit=3", &[("authorization", &auth)])
        .await;
    assert_eq!(first.status, 200);
    assert_eq!(first.header("cache-control"), Some("private, no-store"));
    let first = first.value();
    assert_eq!(ids(&first).len(), 3);
    let cursor = first["next_cursor"].as_str().unwrap();
    let rest = app
        .get_with(
            &format!("/v1/changes?since={cursor}"),
            &[("authorization", &auth)],
        )
        .await
        .value();
    let rest_ids: Vec<String> = ids(&rest).into_iter().map(|(id, _)| id).collect();
    assert_eq!(rest_ids, vec!["a4", "a5"]);
    // Polling again from the end gives nothing new, and a cursor to keep polling with.
    let end = rest["next_cursor"].as_str().unwrap();
    let empty = app
        .get_with(
            &format!("/v1/changes?since={end}"),
            &[("authorization", &auth)],
        )
        .await
        .value();
    assert!(ids(&empty).is_empty());
    assert_eq!(empty["next_cursor"], end);
}

#[actix_web::test]
async fn partners_see_public_changes_and_tombstones_but_never_drafts() {
    let app = TestApp::spawn().await;
    app.insert_article(ArticleFixture::published(
        "live",
        "2026-01-01T00:00:00.000000Z",
    ));
    app.insert_article(ArticleFixture::draft("secret-draft"));
    app.record_change("article", "id-live", "create", 1);
    app.record_change("article", "id-secret-draft", "create", 1);
    app.record_change("article", "id-live", "publish", 2);
    app.record_change("article", "id-gone", "publish", 2);
    // Deleted while public: the row records that every reader class lost it.
    app.record_removal("article", "id-gone", "delete", 3, 7);
    app.record_change("article", "id-never-published", "delete", 2);
    let key = app.api_key(&[Scope::ContentRead]).await;
    let page = app
        .get_with("/v1/changes", &[("x-api-key", &key)])
        .await
        .value();
    let seen = ids(&page);
    assert!(seen.contains(&("id-live".into(), "publish".into())));
    assert!(seen.contains(&("id-gone".into(), "delete".into())));
    assert!(!seen.iter().any(|(id, _)| id == "id-secret-draft"));
    assert!(!seen.iter().any(|(id, _)| id == "id-never-published"));
}

#[actix_web::test]
async fn the_change_feed_needs_credentials_and_the_right_scope() {
    let app = TestApp::spawn().await;
    let anonymous = app.get("/v1/changes").await;
    anonymous.problem(401);
    assert!(anonymous.header("www-authenticate").is_some());
    let feeds_only = app.api_key(&[Scope::FeedsRead]).await;
    app.get_with("/v1/changes", &[("x-api-key", &feeds_only)])
        .await
        .problem(403);
    let token = app.token(Role::Contributor).await;
    let auth = format!("Bearer {token}");
    app.get_with("/v1/changes?since=garbage", &[("authorization", &auth)])
        .await
        .problem(400);
    app.get_with("/v1/changes?from=1", &[("authorization", &auth)])
        .await
        .problem(400);
}

/// What a partner holds after replaying the whole change feed: `(resource, id)` of every
/// resource whose last entry is not a removal.
async fn replay(app: &TestApp, key: &str) -> std::collections::BTreeSet<(String, String)> {
    let mut kept = std::collections::BTreeSet::new();
    let mut since = String::new();
    loop {
        let page = app
            .get_with(
                &format!("/v1/changes?limit=100{since}"),
                &[("x-api-key", key)],
            )
            .await
            .value();
        let rows = page["data"].as_array().unwrap().clone();
        for row in &rows {
            let item = (
                row["resource"].as_str().unwrap().to_owned(),
                row["id"].as_str().unwrap().to_owned(),
            );
            if matches!(row["operation"].as_str(), Some("unpublish" | "delete")) {
                kept.remove(&item);
            } else {
                kept.insert(item);
            }
        }
        if rows.is_empty() {
            return kept;
        }
        since = format!("&since={}", page["next_cursor"].as_str().unwrap());
    }
}

#[actix_web::test]
async fn unpublishing_a_story_takes_its_quote_and_photo_out_of_a_partners_replay_too() {
    // Arrange: an editor's story showing a quote and a photo partners may republish.
    let app = TestApp::spawn().await;
    let editor = format!("Bearer {}", app.token(Role::Editor).await);
    let key = app.api_key(&[Scope::ContentRead]).await;
    let auth = [("authorization", editor.as_str())];
    let speaker = app
        .json("POST", "/v1/speakers", &json!({"name": "Ola Quay"}), &auth)
        .await
        .value()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let quote = app
        .json(
            "POST",
            "/v1/quotes",
            &json!({"text": "The quay reopens.", "speaker_id": speaker}),
            &auth,
        )
        .await
        .value()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let photo = crate::media::upload(
        &app,
        &editor,
        crate::media::form(
            &[("syndication_allowed", "true")],
            Some(("p.png", &crate::speakers::images::png(8, 6))),
        ),
    )
    .await
    .value()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let article = app
        .json(
            "POST",
            "/v1/articles",
            &json!({"headline": "Quay reopens", "body": [
                {"type": "quote", "quote_id": quote},
                {"type": "media", "media_id": photo}
            ]}),
            &auth,
        )
        .await
        .value()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let story: std::collections::BTreeSet<(String, String)> = [
        ("article".to_owned(), article.clone()),
        ("quote".to_owned(), quote.clone()),
        ("media".to_owned(), photo.clone()),
    ]
    .into_iter()
    .collect();

    // Act and assert: published, the partner holds the whole story...
    let published = app
        .json(
            "POST",
            &format!("/v1/articles/{article}/publish"),
            &json!({}),
            &auth,
        )
        .await;
    assert_eq!(published.status, 200, "{}", published.text());
    let held = replay(&app, &key).await;
    assert!(story.is_subset(&held), "{held:?}");

    // ...and unpublished, none of it.
    let unpublished = app
        .json(
            "POST",
            &format!("/v1/articles/{article}/unpublish"),
            &json!({}),
            &auth,
        )
        .await;
    assert_eq!(unpublished.status, 200, "{}", unpublished.text());
    let held = replay(&app, &key).await;
    assert!(story.is_disjoint(&held), "{held:?}");
}

#[actix_web::test]
async fn times_that_pass_write_their_own_rows_so_a_partners_replay_keeps_up() {
    // Arrange: the timed changes were last judged at the start of the year. Since then a
    // scheduled story's time came and a published story's photo reached its usage date, with no
    // write to record either; another story waits for a time still ahead.
    let app = TestApp::spawn().await;
    let mut conn = app.conn();
    app.insert_article(
        ArticleFixture::published("due", "2026-01-01T00:00:00.000000Z")
            .scheduled("2026-02-01T00:00:00.000000Z"),
    );
    app.insert_article(
        ArticleFixture::published("ahead", "2026-01-01T00:00:00.000000Z")
            .scheduled("2999-01-01T00:00:00.000000Z"),
    );
    app.insert_media("lapsing", true);
    diesel::update(media::table.find("lapsing"))
        .set(media::usage_expires.eq("2026-03-01T00:00:00.000000Z"))
        .execute(&mut conn)
        .unwrap();
    app.insert_article(
        ArticleFixture::published("pictured", "2025-06-01T00:00:00.000000Z").hero("lapsing"),
    );
    app.record_change("article", "id-pictured", "publish", 1);
    // Set last, so the server's own tick cannot move the mark past what was arranged.
    let judged = "2026-01-01T00:00:00.000000Z";
    diesel::replace_into(app_settings::table)
        .values((
            app_settings::key.eq(clock::JUDGED_THROUGH),
            app_settings::value.eq(judged),
            app_settings::updated_at.eq(judged),
        ))
        .execute(&mut conn)
        .unwrap();
    let key = app.api_key(&[Scope::ContentRead]).await;

    // Act: the server's tick judges the time since; a second run finds nothing new.
    let now = newsdesk::time::now();
    conn.transaction(|conn| clock::record_due(conn, &now))
        .unwrap();
    let again = conn
        .transaction(|conn| clock::record_due(conn, &now))
        .unwrap();

    // Assert: the partner's replay holds the story whose time came and the story whose photo
    // lapsed, not the lapsed photo, nothing of the story still waiting, and no row twice.
    assert_eq!(again, 0);
    let kept = replay(&app, &key).await;
    assert!(
        kept.contains(&("article".into(), "id-due".into())),
        "{kept:?}"
    );
    assert!(
        kept.contains(&("article".into(), "id-pictured".into())),
        "{kept:?}"
    );
    assert!(
        !kept.contains(&("media".into(), "lapsing".into())),
        "{kept:?}"
    );
    assert!(!kept.iter().any(|(_, id)| id == "id-ahead"), "{kept:?}");
    let rows: i64 = changes::table
        .filter(changes::resource_id.eq("id-due"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(rows, 1);
}
