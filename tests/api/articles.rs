//! Articles through HTTP: drafts, blocks and rendering, edits with If-Match, the lifecycle,
//! revisions, corrections, visibility and roles.

use diesel::prelude::*;
use newsdesk::auth::Role;
use newsdesk::db::schema::{articles, quotes, speakers};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResponse};

/// A test server with a signed-in editor, and shortcuts for the usual requests.
pub struct Desk {
    pub app: TestApp,
    pub editor: String,
}

impl Desk {
    pub async fn open() -> Desk {
        let app = TestApp::spawn().await;
        let editor = bearer(&app.token(Role::Editor).await);
        Desk { app, editor }
    }

    pub async fn send(&self, method: &str, path: &str, body: &Value, auth: &str) -> TestResponse {
        self.app
            .json(method, path, body, &[("authorization", auth)])
            .await
    }

    pub async fn get_as(&self, path: &str, auth: &str) -> TestResponse {
        self.app.get_with(path, &[("authorization", auth)]).await
    }

    /// Creates a draft as the editor and returns it.
    pub async fn draft(&self, body: Value) -> Value {
        let response = self.send("POST", "/v1/articles", &body, &self.editor).await;
        assert_eq!(response.status, 201, "{}", response.text());
        response.value()
    }

    /// Creates and publishes an article now; returns the published article.
    pub async fn published(&self, body: Value) -> Value {
        let draft = self.draft(body).await;
        self.publish(draft["id"].as_str().unwrap()).await
    }

    pub async fn publish(&self, id: &str) -> Value {
        let response = self
            .send(
                "POST",
                &format!("/v1/articles/{id}/publish"),
                &json!({}),
                &self.editor,
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.text());
        response.value()
    }

    /// A speaker and one of their quotes, written straight into the database; the quote id.
    pub fn quote(&self, name: &str, title: &str, organization: &str, text: &str) -> String {
        let mut conn = self.app.conn();
        let now = "2026-01-01T00:00:00.000000Z";
        let speaker_id = format!("sp-{}", uuid::Uuid::now_v7().simple());
        diesel::insert_into(speakers::table)
            .values((
                speakers::id.eq(&speaker_id),
                speakers::slug.eq(&speaker_id),
                speakers::name.eq(name),
                speakers::title.eq(Some(title)),
                speakers::organization.eq(Some(organization)),
                speakers::created_at.eq(now),
                speakers::updated_at.eq(now),
            ))
            .execute(&mut conn)
            .unwrap();
        let quote_id = format!("q-{}", uuid::Uuid::now_v7().simple());
        diesel::insert_into(quotes::table)
            .values((
                quotes::id.eq(&quote_id),
                quotes::text.eq(text),
                quotes::speaker_id.eq(&speaker_id),
                quotes::created_at.eq(now),
                quotes::updated_at.eq(now),
            ))
            .execute(&mut conn)
            .unwrap();
        quote_id
    }
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn id_of(article: &Value) -> &str {
    article["id"].as_str().unwrap()
}

#[actix_web::test]
async fn creating_an_article_makes_a_draft_with_a_slug_from_the_headline() {
    let desk = Desk::open().await;

    let response = desk
        .send(
            "POST",
            "/v1/articles",
            &json!({"headline": "Harbour tolls rise — again!", "section": "business", "tags": ["shipping"]}),
            &desk.editor,
        )
        .await;

    assert_eq!(response.status, 201, "{}", response.text());
    let article = response.value();
    assert_eq!(article["status"], "draft");
    assert_eq!(article["slug"], "harbour-tolls-rise-again");
    assert_eq!(article["version"], 1);
    assert_eq!(article["tags"], json!(["shipping"]));
    assert_eq!(article["language"], "en");
    assert_eq!(article["corrections"], json!([]));
    assert_eq!(
        response.header("location").unwrap(),
        format!("/v1/articles/{}", id_of(&article))
    );
    assert!(response.header("etag").unwrap().starts_with("\"1-"));
}

#[actix_web::test]
async fn a_taken_slug_is_a_409_and_generated_slugs_get_a_number() {
    let desk = Desk::open().await;
    desk.draft(json!({"headline": "Budget day"})).await;

    let second = desk.draft(json!({"headline": "Budget day"})).await;
    let clash = desk
        .send(
            "POST",
            "/v1/articles",
            &json!({"headline": "Other", "slug": "budget-day"}),
            &desk.editor,
        )
        .await;

    let like_an_id = desk
        .send(
            "POST",
            "/v1/articles",
            &json!({"headline": "Other", "slug": "019ad5d2-7c1e-7a51-9a44-0c2b8f7e3a10"}),
            &desk.editor,
        )
        .await;

    assert_eq!(second["slug"], "budget-day-2");
    clash.problem(409);
    assert_eq!(like_an_id.problem(422)["errors"][0]["field"], "slug");
}

#[actix_web::test]
async fn drafts_are_invisible_to_anonymous_readers_and_writes_need_a_sign_in() {
    let desk = Desk::open().await;
    let draft = desk.draft(json!({"headline": "Secret plans"})).await;

    let by_id = desk
        .app
        .get(&format!("/v1/articles/{}", id_of(&draft)))
        .await;
    let by_slug = desk.app.get("/v1/articles/secret-plans").await;
    let create = desk
        .app
        .json("POST", "/v1/articles", &json!({"headline": "x"}), &[])
        .await;

    by_id.problem(404);
    by_slug.problem(404);
    create.problem(401);
}

#[actix_web::test]
async fn invalid_blocks_are_a_422_naming_each_block() {
    let desk = Desk::open().await;

    let response = desk
        .send(
            "POST",
            "/v1/articles",
            &json!({"headline": "Blocks", "body": [
                {"type": "paragraph", "text": "fine"},
                {"type": "paragraph", "text": ""},
                {"type": "quote", "quote_id": "no-such-quote"},
                {"type": "heading", "level": 9, "text": "Too deep"},
                {"type": "video", "url": "x"},
            ]}),
            &desk.editor,
        )
        .await;

    let problem = response.problem(422);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["body[1].text", "body[3].level", "body[4].type"]);

    let dangling = desk
        .send(
            "POST",
            "/v1/articles",
            &json!({"headline": "Blocks", "body": [
                {"type": "paragraph", "text": "fine"},
                {"type": "paragraph", "text": "fine"},
                {"type": "quote", "quote_id": "no-such-quote"},
                {"type": "media", "media_id": "no-such-photo"},
            ]}),
            &desk.editor,
        )
        .await
        .problem(422);
    let fields: Vec<&str> = dangling["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["body[2].quote_id", "body[3].media_id"]);
}

#[actix_web::test]
async fn unknown_body_fields_are_refused_so_status_cannot_be_set() {
    let desk = Desk::open().await;

    let response = desk
        .send(
            "POST",
            "/v1/articles",
            &json!({"headline": "x", "status": "published"}),
            &desk.editor,
        )
        .await;

    let problem = response.problem(422);
    assert_eq!(problem["errors"][0]["field"], "status");
}

#[actix_web::test]
async fn the_body_is_rendered_to_safe_html_with_quotes_and_photos() {
    let desk = Desk::open().await;
    let quote = desk.quote(
        "Ines Okafor",
        "chief economist",
        "Provincial Development Bank",
        "Tolls have not kept pace with costs.",
    );
    desk.app.insert_media("photo-1", true);

    let article = desk
        .draft(json!({"headline": "Tolls", "body": [
            {"id": "intro", "type": "paragraph", "text": "Tolls rose *sharply*. <script>alert(1)</script> [More](javascript:alert(1))"},
            {"type": "quote", "quote_id": quote},
            {"type": "media", "media_id": "photo-1"},
            {"type": "list", "ordered": true, "items": ["one", "**two**"]},
        ]}))
        .await;

    let html = article["body_html"].as_str().unwrap();
    assert!(html.contains("<em>sharply</em>"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("javascript:"), "{html}");
    assert!(html.contains("<blockquote"), "{html}");
    assert!(html.contains("<cite>Ines Okafor</cite>"), "{html}");
    assert!(
        html.contains("chief economist, Provincial Development Bank"),
        "{html}"
    );
    assert!(html.contains("<figure"), "{html}");
    assert!(html.contains("The harbour at dawn"), "{html}");
    assert!(html.contains("Photo by A. Photographer / Agency"), "{html}");
    assert!(
        html.contains("<ol><li>one</li><li><strong>two</strong></li></ol>"),
        "{html}"
    );
    assert_eq!(article["body"][0]["id"], "intro");
    assert!(article["body"][1]["id"].as_str().unwrap().len() > 3);
}

#[actix_web::test]
async fn edits_need_the_current_etag_and_merge_into_the_article() {
    let desk = Desk::open().await;
    let created = desk
        .send(
            "POST",
            "/v1/articles",
            &json!({"headline": "First", "standfirst": "Short", "byline": "M. Quist"}),
            &desk.editor,
        )
        .await;
    let etag = created.header("etag").unwrap().to_owned();
    let path = format!("/v1/articles/{}", id_of(&created.value()));
    let auth = desk.editor.clone();

    let missing = desk
        .send("PATCH", &path, &json!({"headline": "Second"}), &auth)
        .await;
    let changed = desk
        .app
        .json(
            "PATCH",
            &path,
            &json!({"headline": "Second", "standfirst": null}),
            &[("authorization", &auth), ("if-match", &etag)],
        )
        .await;
    let stale = desk
        .app
        .json(
            "PATCH",
            &path,
            &json!({"headline": "Third"}),
            &[("authorization", &auth), ("if-match", &etag)],
        )
        .await;

    missing.problem(428);
    assert_eq!(changed.status, 200, "{}", changed.text());
    let article = changed.value();
    assert_eq!(article["headline"], "Second");
    assert_eq!(article["standfirst"], Value::Null);
    assert_eq!(article["byline"], "M. Quist");
    assert_eq!(article["version"], 2);
    stale.problem(412);
}

#[actix_web::test]
async fn merge_patch_bodies_are_accepted_and_unknown_fields_refused() {
    let desk = Desk::open().await;
    let draft = desk.draft(json!({"headline": "First"})).await;
    let path = format!("/v1/articles/{}", id_of(&draft));

    let merge = desk
        .app
        .raw(
            "PATCH",
            &path,
            &[
                ("authorization", &desk.editor),
                ("if-match", "*"),
                ("content-type", "application/merge-patch+json"),
            ],
            Some(br#"{"dateline": "Port Elan"}"#.to_vec()),
        )
        .await;
    let unknown = desk
        .app
        .json(
            "PATCH",
            &path,
            &json!({"version": 9}),
            &[("authorization", &desk.editor), ("if-match", "*")],
        )
        .await;

    assert_eq!(merge.status, 200, "{}", merge.text());
    assert_eq!(merge.value()["dateline"], "Port Elan");
    assert_eq!(unknown.problem(422)["errors"][0]["field"], "version");
}

#[actix_web::test]
async fn published_articles_are_public_and_cacheable() {
    let desk = Desk::open().await;
    let article = desk.published(json!({"headline": "Rates held"})).await;

    let first = desk.app.get("/v1/articles/rates-held").await;
    let etag = first.header("etag").unwrap().to_owned();
    let again = desk
        .app
        .get_with("/v1/articles/rates-held", &[("if-none-match", &etag)])
        .await;
    let signed_in = desk.get_as("/v1/articles/rates-held", &desk.editor).await;

    assert_eq!(article["status"], "published");
    assert_eq!(first.status, 200);
    assert_eq!(first.value()["id"], article["id"]);
    assert_eq!(first.header("cache-control"), Some("public, max-age=60"));
    assert!(first.header("last-modified").is_some());
    assert_eq!(again.status, 304);
    assert_eq!(signed_in.header("cache-control"), Some("private, no-store"));
}

#[actix_web::test]
async fn a_scheduled_article_appears_when_its_time_passes_with_no_job() {
    let desk = Desk::open().await;
    let draft = desk.draft(json!({"headline": "Tomorrow's news"})).await;
    let id = id_of(&draft).to_owned();

    let scheduled = desk
        .send(
            "POST",
            &format!("/v1/articles/{id}/publish"),
            &json!({"at": "2099-01-01T06:00:00Z"}),
            &desk.editor,
        )
        .await
        .value();
    let before = desk.app.get(&format!("/v1/articles/{id}")).await;
    // The clock cannot be moved in a test; moving the publication time back is the same thing.
    diesel::update(articles::table.find(&id))
        .set(articles::published_at.eq("2020-01-01T06:00:00.000000Z"))
        .execute(&mut desk.app.conn())
        .unwrap();
    let after = desk.app.get(&format!("/v1/articles/{id}")).await;
    let listed = desk.app.get("/v1/articles").await.value();

    assert_eq!(scheduled["status"], "scheduled");
    before.problem(404);
    assert_eq!(after.status, 200);
    assert_eq!(after.value()["status"], "published");
    assert_eq!(listed["data"][0]["id"], id.as_str());
}

#[actix_web::test]
async fn unpublished_and_archived_articles_disappear_and_slugs_stay_frozen() {
    let desk = Desk::open().await;
    let one = desk.published(json!({"headline": "One"})).await;
    let two = desk.published(json!({"headline": "Two"})).await;

    let unpublished = desk
        .send(
            "POST",
            &format!("/v1/articles/{}/unpublish", id_of(&one)),
            &json!({}),
            &desk.editor,
        )
        .await;
    let archived = desk
        .send(
            "POST",
            &format!("/v1/articles/{}/archive", id_of(&two)),
            &json!({}),
            &desk.editor,
        )
        .await;
    let rename = desk
        .app
        .json(
            "PATCH",
            &format!("/v1/articles/{}", id_of(&one)),
            &json!({"slug": "uno"}),
            &[("authorization", &desk.editor), ("if-match", "*")],
        )
        .await;

    assert_eq!(unpublished.value()["status"], "draft");
    assert_eq!(archived.value()["status"], "archived");
    desk.app.get("/v1/articles/one").await.problem(404);
    desk.app.get("/v1/articles/two").await.problem(404);
    rename.problem(409);
}

#[actix_web::test]
async fn every_saved_change_is_a_revision_with_who_and_the_full_content() {
    let desk = Desk::open().await;
    let draft = desk.draft(json!({"headline": "Original"})).await;
    let id = id_of(&draft).to_owned();
    desk.app
        .json(
            "PATCH",
            &format!("/v1/articles/{id}"),
            &json!({"headline": "Edited"}),
            &[("authorization", &desk.editor), ("if-match", "*")],
        )
        .await;
    desk.publish(&id).await;

    let list = desk
        .get_as(&format!("/v1/articles/{id}/revisions"), &desk.editor)
        .await
        .value();
    let first = desk
        .get_as(&format!("/v1/articles/{id}/revisions/1"), &desk.editor)
        .await
        .value();
    let anonymous = desk.app.get(&format!("/v1/articles/{id}/revisions")).await;
    let missing = desk
        .get_as(&format!("/v1/articles/{id}/revisions/9"), &desk.editor)
        .await;

    let numbers: Vec<i64> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 2, 3]);
    assert!(list["data"][0]["author_id"].is_string());
    assert_eq!(first["article"]["headline"], "Original");
    assert_eq!(first["version"], 1);
    anonymous.problem(401);
    missing.problem(404);
}

#[actix_web::test]
async fn corrections_are_appended_in_order() {
    let desk = Desk::open().await;
    let article = desk.published(json!({"headline": "Council vote"})).await;
    let path = format!("/v1/articles/{}/corrections", id_of(&article));

    desk.send(
        "POST",
        &path,
        &json!({"note": "The vote was 7-2, not 6-3."}),
        &desk.editor,
    )
    .await;
    let second = desk
        .send(
            "POST",
            &path,
            &json!({"note": "The councillor's name is Ahn."}),
            &desk.editor,
        )
        .await;
    let empty = desk
        .send("POST", &path, &json!({"note": " "}), &desk.editor)
        .await;

    let corrections = second.value()["corrections"].clone();
    assert_eq!(corrections.as_array().unwrap().len(), 2);
    assert_eq!(corrections[0]["note"], "The vote was 7-2, not 6-3.");
    assert!(corrections[1]["at"].is_string());
    empty.problem(422);
}

#[actix_web::test]
async fn contributors_edit_only_their_own_drafts_and_cannot_publish() {
    let desk = Desk::open().await;
    let contributor = bearer(&desk.app.token(Role::Contributor).await);
    let colleague = bearer(&desk.app.token(Role::Contributor).await);
    let own = desk
        .send(
            "POST",
            "/v1/articles",
            &json!({"headline": "Mine"}),
            &contributor,
        )
        .await
        .value();
    let own_path = format!("/v1/articles/{}", id_of(&own));

    let publish = desk
        .send(
            "POST",
            &format!("{own_path}/publish"),
            &json!({}),
            &contributor,
        )
        .await;
    let edit = desk
        .app
        .json(
            "PATCH",
            &own_path,
            &json!({"headline": "Still mine"}),
            &[("authorization", &contributor), ("if-match", "*")],
        )
        .await;
    let peek = desk.get_as(&own_path, &colleague).await;
    let meddle = desk
        .app
        .json(
            "PATCH",
            &own_path,
            &json!({"headline": "Theirs now"}),
            &[("authorization", &colleague), ("if-match", "*")],
        )
        .await;
    desk.publish(id_of(&own)).await;
    let after_publish = desk
        .app
        .json(
            "PATCH",
            &own_path,
            &json!({"headline": "Sneaky"}),
            &[("authorization", &contributor), ("if-match", "*")],
        )
        .await;

    publish.problem(403);
    assert_eq!(edit.status, 200, "{}", edit.text());
    peek.problem(404);
    meddle.problem(404);
    after_publish.problem(403);
}

#[actix_web::test]
async fn deleting_needs_if_match_and_leaves_nothing() {
    let desk = Desk::open().await;
    let created = desk
        .send(
            "POST",
            "/v1/articles",
            &json!({"headline": "Gone soon"}),
            &desk.editor,
        )
        .await;
    let etag = created.header("etag").unwrap().to_owned();
    let path = format!("/v1/articles/{}", id_of(&created.value()));

    let missing = desk
        .app
        .raw("DELETE", &path, &[("authorization", &desk.editor)], None)
        .await;
    let deleted = desk
        .app
        .raw(
            "DELETE",
            &path,
            &[("authorization", &desk.editor), ("if-match", &etag)],
            None,
        )
        .await;
    let after = desk.get_as(&path, &desk.editor).await;

    missing.problem(428);
    assert_eq!(deleted.status, 204);
    after.problem(404);
}

#[actix_web::test]
async fn a_repeated_idempotency_key_replays_the_first_answer() {
    let desk = Desk::open().await;
    let body = json!({"headline": "Only once"});
    let headers = [
        ("authorization", desk.editor.as_str()),
        ("idempotency-key", "key-1"),
    ];

    let first = desk.app.json("POST", "/v1/articles", &body, &headers).await;
    let replay = desk.app.json("POST", "/v1/articles", &body, &headers).await;
    let other = desk
        .app
        .json(
            "POST",
            "/v1/articles",
            &json!({"headline": "Another"}),
            &headers,
        )
        .await;
    let listed = desk
        .get_as("/v1/articles?status=draft", &desk.editor)
        .await
        .value();

    assert_eq!(first.status, 201);
    assert_eq!(replay.status, 201);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.value()["id"], first.value()["id"]);
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    other.problem(422);
}

#[actix_web::test]
async fn public_reads_allow_any_origin() {
    let desk = Desk::open().await;
    desk.published(json!({"headline": "Open to all"})).await;

    let response = desk
        .app
        .get_with(
            "/v1/articles/open-to-all",
            &[("origin", "https://reader.example")],
        )
        .await;
    let preflight = desk
        .app
        .raw(
            "OPTIONS",
            "/v1/articles",
            &[
                ("origin", "https://reader.example"),
                ("access-control-request-method", "GET"),
            ],
            None,
        )
        .await;

    assert_eq!(response.header("access-control-allow-origin"), Some("*"));
    assert_eq!(preflight.status, 200);
    assert!(
        preflight
            .header("access-control-allow-methods")
            .unwrap()
            .contains("GET")
    );
}

#[actix_web::test]
async fn the_demo_newsroom_loads_once_into_an_empty_database() {
    let app = TestApp::spawn().await;

    let loaded = newsdesk::demo::load_if_empty(&app.state).unwrap();
    let again = newsdesk::demo::load_if_empty(&app.state).unwrap();
    let list = app
        .get("/v1/articles?count=true&include=quotes,speakers,media")
        .await
        .value();
    let sections = app.get("/v1/sections").await.value();
    let first = app
        .get(&format!(
            "/v1/articles/{}",
            list["data"][0]["slug"].as_str().unwrap()
        ))
        .await
        .value();

    assert!(loaded >= 6);
    assert_eq!(again, 0);
    assert!(list["total"].as_i64().unwrap() >= 6);
    assert_eq!(sections["data"].as_array().unwrap().len(), 3);
    let speaker = &list["included"]["speakers"][0];
    assert!(speaker["title"].is_string() && speaker["organization"].is_string());
    let photo = &list["included"]["media"][0];
    assert!(photo["credit"].as_str().unwrap().starts_with("Photo by"));
    assert!(photo["caption"].is_string());
    let sha = photo["sha256"].as_str().unwrap();
    assert!(
        app.dir
            .path()
            .join("media/originals")
            .join(&sha[..2])
            .join(sha)
            .exists()
    );
    let html = first["body_html"].as_str().unwrap();
    assert!(
        html.contains("<blockquote") && html.contains("<figure"),
        "{html}"
    );
}

#[actix_web::test]
async fn embargoed_articles_are_seen_only_by_keys_with_embargoed_read() {
    let desk = Desk::open().await;
    let admin = bearer(&desk.app.token(Role::Admin).await);
    let key_with = |scopes: Value| {
        let desk = &desk;
        let admin = admin.clone();
        async move {
            let response = desk
                .send(
                    "POST",
                    "/v1/api-keys",
                    &json!({"name": "partner", "scopes": scopes}),
                    &admin,
                )
                .await;
            assert_eq!(response.status, 201, "{}", response.text());
            response.value()["key"].as_str().unwrap().to_owned()
        }
    };
    let embargoed = key_with(json!(["content:read", "embargoed:read"])).await;
    let ordinary = key_with(json!(["content:read"])).await;
    desk.published(json!({"headline": "Results at noon", "embargo_until": "2099-01-01T12:00:00Z"}))
        .await;

    let anonymous = desk.app.get("/v1/articles/results-at-noon").await;
    let plain_key = desk
        .app
        .get_with("/v1/articles/results-at-noon", &[("x-api-key", &ordinary)])
        .await;
    let trusted = desk
        .app
        .get_with("/v1/articles/results-at-noon", &[("x-api-key", &embargoed)])
        .await;
    let trusted_list = desk
        .app
        .get_with("/v1/articles", &[("x-api-key", &embargoed)])
        .await
        .value();
    let public_list = desk.app.get("/v1/articles").await.value();

    anonymous.problem(404);
    plain_key.problem(404);
    assert_eq!(trusted.status, 200);
    assert_eq!(trusted.header("cache-control"), Some("private, no-store"));
    assert_eq!(trusted_list["data"].as_array().unwrap().len(), 1);
    assert_eq!(public_list["data"].as_array().unwrap().len(), 0);
}

#[actix_web::test]
async fn changing_a_speaker_or_photo_renders_the_articles_showing_them_again() {
    let desk = Desk::open().await;
    let quote = desk.quote(
        "Ines Okafor",
        "chief economist",
        "Provincial Development Bank",
        "Hold.",
    );
    desk.app.insert_media("photo-1", true);
    let article = desk
        .published(json!({"headline": "Rates", "body": [
            {"type": "quote", "quote_id": quote},
            {"type": "media", "media_id": "photo-1"},
        ]}))
        .await;
    let speaker_id: String = {
        quotes::table
            .find(&quote)
            .select(quotes::speaker_id)
            .first(&mut desk.app.conn())
            .unwrap()
    };
    let patch = |path: String, body: Value| {
        let desk = &desk;
        async move {
            let current = desk.get_as(&path, &desk.editor).await;
            let etag = current.header("etag").unwrap().to_owned();
            let response = desk
                .app
                .json(
                    "PATCH",
                    &path,
                    &body,
                    &[("authorization", &desk.editor), ("if-match", &etag)],
                )
                .await;
            assert_eq!(response.status, 200, "{}", response.text());
        }
    };

    patch(
        format!("/v1/speakers/{speaker_id}"),
        json!({"title": "governor"}),
    )
    .await;
    patch(
        "/v1/media/photo-1".to_owned(),
        json!({"credit": "Photo by N. Ewman / Wire"}),
    )
    .await;
    let read = desk
        .app
        .get(&format!("/v1/articles/{}", id_of(&article)))
        .await
        .value();

    let html = read["body_html"].as_str().unwrap();
    assert!(
        html.contains("governor, Provincial Development Bank"),
        "{html}"
    );
    assert!(html.contains("Photo by N. Ewman / Wire"), "{html}");
    // Each change that re-rendered the published article is a new version of it.
    assert_eq!(
        read["version"].as_i64().unwrap(),
        article["version"].as_i64().unwrap() + 2
    );
}

#[actix_web::test]
async fn contributors_list_published_articles_and_only_their_own_drafts() {
    let desk = Desk::open().await;
    let contributor = bearer(&desk.app.token(Role::Contributor).await);
    desk.send(
        "POST",
        "/v1/articles",
        &json!({"headline": "My draft"}),
        &contributor,
    )
    .await;
    desk.draft(json!({"headline": "Editor's draft"})).await;
    desk.published(json!({"headline": "Out now"})).await;

    let mine = desk.get_as("/v1/articles", &contributor).await.value();
    let editors = desk
        .get_as("/v1/articles?status=draft", &desk.editor)
        .await
        .value();
    let public = desk.app.get("/v1/articles").await.value();

    let headlines = |page: &Value| -> Vec<String> {
        let mut list: Vec<String> = page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["headline"].as_str().unwrap().to_owned())
            .collect();
        list.sort();
        list
    };
    assert_eq!(headlines(&mine), ["My draft", "Out now"]);
    assert_eq!(headlines(&editors), ["Editor's draft", "My draft"]);
    assert_eq!(headlines(&public), ["Out now"]);
}
