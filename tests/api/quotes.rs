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
