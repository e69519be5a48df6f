//! Quotes: what the public may read, and how a quote is validated and changed.

use serde_json::json;

use crate::helpers::TestApp;
use crate::speakers::{FUTURE, Fixtures, PAST};

#[actix_web::test]
async fn quotes_of_articles_the_public_cannot_see_are_404s_and_absent_from_lists() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let speaker = fx.speaker("Amina Diallo");
    let published = fx.published_article();
    let draft = fx.article("draft", None);
    let scheduled = fx.article("scheduled", Some(FUTURE));
    let archived = fx.article("archived", Some(PAST));
    let visible = fx.quote(&speaker, Some(&published));
    let hidden: Vec<String> = [&draft, &scheduled, &archived]
        .into_iter()
        .map(|a| fx.quote(&speaker, Some(a)))
        .collect();

    let list = app.get("/v1/quotes?count=true").await;

    let body = list.value();
    assert_eq!(body["total"], 1);
    assert_eq!(body["data"][0]["id"], visible.as_str());
    assert_eq!(app.get(&format!("/v1/quotes/{visible}")).await.status, 200);
    for id in hidden {
        app.get(&format!("/v1/quotes/{id}")).await.problem(404);
    }
}

#[actix_web::test]
async fn a_scheduled_article_makes_its_quotes_public_once_its_time_has_passed() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let speaker = fx.speaker("Amina Diallo");
    let due = fx.article("scheduled", Some(PAST));
    let quote = fx.quote(&speaker, Some(&due));

    let response = app.get(&format!("/v1/quotes/{quote}")).await;

    assert_eq!(response.status, 200);
    assert_eq!(response.value()["article_id"], due.as_str());
}

#[actix_web::test]
async fn a_quote_used_in_a_draft_body_is_not_public_even_without_its_own_article() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let speaker = fx.speaker("Amina Diallo");
    let draft = fx.article("draft", None);
    let quote = fx.quote(&speaker, None);
    fx.link_quote(&draft, &quote);

    app.get(&format!("/v1/quotes/{quote}")).await.problem(404);
}

#[actix_web::test]
async fn quote_lists_filter_by_speaker_and_article() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let amina = fx.speaker("Amina Diallo");
    let ben = fx.speaker("Ben Okri");
    let article = fx.published_article();
    let wanted = fx.quote(&amina, Some(&article));
    fx.quote(&amina, None);
    fx.quote(&ben, Some(&article));

    let response = app
        .get(&format!(
            "/v1/quotes?speaker_id={amina}&article_id={article}"
        ))
        .await;

    let body = response.value();
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
    assert_eq!(body["data"][0]["id"], wanted.as_str());
}

#[actix_web::test]
async fn quote_lists_page_without_repeating_or_skipping() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let speaker = fx.speaker("Amina Diallo");
    let mut all: Vec<String> = (0..5).map(|_| fx.quote(&speaker, None)).collect();
    all.reverse();

    let mut seen = Vec::new();
    let mut path = "/v1/quotes?limit=2".to_owned();
    loop {
        let body = app.get(&path).await.value();
        for quote in body["data"].as_array().unwrap() {
            seen.push(quote["id"].as_str().unwrap().to_owned());
        }
        match body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/quotes?limit=2&cursor={cursor}"),
            None => break,
        }
    }

    assert_eq!(seen, all);
}

#[actix_web::test]
async fn writing_quotes_without_signing_in_is_a_401() {
    let app = TestApp::spawn().await;
    let response = app
        .json(
            "POST",
            "/v1/quotes",
            &json!({"text": "Hello", "speaker_id": "x"}),
            &[],
        )
        .await;
    response.problem(401);
}

use crate::speakers::bearer;
use newsdesk::auth::Role;

#[actix_web::test]
async fn a_quote_needs_an_existing_speaker_and_article_and_a_real_date() {
    let app = TestApp::spawn().await;
    let auth = bearer(&app, Role::Contributor).await;

    let response = app
        .json(
            "POST",
            "/v1/quotes",
            &json!({"text": "Hello", "speaker_id": "nobody", "article_id": "nothing", "said_on": "yesterday"}),
            &[("authorization", &auth)],
        )
        .await;

    let problem = response.problem(422);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"speaker_id"), "{problem}");
    assert!(fields.contains(&"article_id"), "{problem}");
    assert!(fields.contains(&"said_on"), "{problem}");
}

#[actix_web::test]
async fn a_contributor_creates_a_quote_by_speaker_slug_and_detaches_it_with_null() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let speaker = fx.speaker("Amina Diallo");
    let password = crate::helpers::TEST_PASSWORD;
    let user = app
        .create_user("writer@example.test", Role::Contributor, password)
        .await;
    let article = fx.draft_by(&user);
    let auth = format!(
        "Bearer {}",
        app.token_for("writer@example.test", password).await
    );

    let created = app
        .json(
            "POST",
            "/v1/quotes",
            &json!({"text": "A budget for growth.", "speaker_id": "amina-diallo",
                    "article_id": article, "context": "at the press conference", "said_on": "2026-11-29"}),
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let quote = created.value();
    assert_eq!(quote["speaker_id"], speaker.as_str());
    let path = format!("/v1/quotes/{}", quote["id"].as_str().unwrap());
    let etag = created.header("etag").unwrap().to_owned();
    // Attached to a draft: invisible to the public, visible to the signed-in.
    app.get(&path).await.problem(404);
    assert_eq!(
        app.get_with(&path, &[("authorization", &auth)])
            .await
            .status,
        200
    );

    let patched = app
        .json(
            "PATCH",
            &path,
            &json!({"article_id": null, "context": null}),
            &[("authorization", &auth), ("if-match", &etag)],
        )
        .await;

    assert_eq!(patched.status, 200, "{}", patched.text());
    let quote = patched.value();
    assert!(quote["article_id"].is_null());
    assert!(quote["context"].is_null());
    assert_eq!(quote["said_on"], "2026-11-29");
    assert_eq!(quote["version"], 2);
    // Standing alone now, so public.
    assert_eq!(app.get(&path).await.status, 200);
    assert_eq!(
        fx.changes("quote", quote["id"].as_str().unwrap(), "update"),
        1
    );
}

#[actix_web::test]
async fn a_quote_an_article_body_uses_cannot_be_deleted_and_an_unused_one_can() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let speaker = fx.speaker("Amina Diallo");
    let article = fx.published_article();
    let used = fx.quote(&speaker, None);
    fx.link_quote(&article, &used);
    let unused = fx.quote(&speaker, None);
    let editor = bearer(&app, Role::Editor).await;
    let contributor = bearer(&app, Role::Contributor).await;
    let headers = [("authorization", editor.as_str()), ("if-match", "*")];

    let conflict = app
        .raw("DELETE", &format!("/v1/quotes/{used}"), &headers, None)
        .await;
    let forbidden = app
        .raw(
            "DELETE",
            &format!("/v1/quotes/{unused}"),
            &[("authorization", &contributor), ("if-match", "*")],
            None,
        )
        .await;
    let deleted = app
        .raw("DELETE", &format!("/v1/quotes/{unused}"), &headers, None)
        .await;

    conflict.problem(409);
    forbidden.problem(403);
    assert_eq!(deleted.status, 204);
    app.get(&format!("/v1/quotes/{unused}")).await.problem(404);
}

#[actix_web::test]
async fn contributors_attach_quotes_only_to_their_own_drafts_and_editors_to_any_article() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    fx.speaker("Amina Diallo");
    let someone_elses = fx.draft_by("another-user");
    let published = fx.published_article();
    let contributor = bearer(&app, Role::Contributor).await;
    let editor = bearer(&app, Role::Editor).await;
    let quote = |article: &str| json!({"text": "Words.", "speaker_id": "amina-diallo", "article_id": article});

    let on_other_draft = app
        .json(
            "POST",
            "/v1/quotes",
            &quote(&someone_elses),
            &[("authorization", &contributor)],
        )
        .await;
    let on_published = app
        .json(
            "POST",
            "/v1/quotes",
            &quote(&published),
            &[("authorization", &contributor)],
        )
        .await;
    let by_editor = app
        .json(
            "POST",
            "/v1/quotes",
            &quote(&published),
            &[("authorization", &editor)],
        )
        .await;

    on_other_draft.problem(403);
    on_published.problem(403);
    assert_eq!(by_editor.status, 201, "{}", by_editor.text());
}
