//! Article lists through HTTP: keyset pages, filters, sorts, sparse fieldsets, counts,
//! includes with a fixed number of queries, and sections and tags.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::articles::Desk;
use crate::helpers::headlines;

/// Publishes an article dated `day` of January 2026, with extra fields.
async fn dated(desk: &Desk, day: u32, mut body: Value) -> Value {
    if body.get("headline").is_none() {
        body["headline"] = json!(format!("Story of day {day}"));
    }
    let draft = desk.draft(body).await;
    let response = desk
        .send(
            "POST",
            &format!("/v1/articles/{}/publish", draft["id"].as_str().unwrap()),
            &json!({"at": format!("2026-01-{day:02}T08:00:00Z")}),
            &desk.editor,
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.value()
}

fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn pages_follow_cursors_newest_first_with_a_link_header() {
    let desk = Desk::open().await;
    for day in 1..=5 {
        dated(&desk, day, json!({})).await;
    }

    let first = desk.app.get("/v1/articles?limit=2").await;
    let link = first.header("link").unwrap().to_owned();
    let page = first.value();
    let second = desk
        .app
        .get(&format!(
            "/v1/articles?limit=2&cursor={}",
            page["next_cursor"].as_str().unwrap()
        ))
        .await
        .value();
    let third = desk
        .app
        .get(&format!(
            "/v1/articles?limit=2&cursor={}",
            second["next_cursor"].as_str().unwrap()
        ))
        .await
        .value();

    assert_eq!(headlines(&page), ["Story of day 5", "Story of day 4"]);
    assert!(link.contains("rel=\"next\""), "{link}");
    assert!(link.contains("limit=2"), "{link}");
    assert_eq!(headlines(&second), ["Story of day 3", "Story of day 2"]);
    assert_eq!(headlines(&third), ["Story of day 1"]);
    assert_eq!(third["next_cursor"], Value::Null);
    assert_eq!(first.header("cache-control"), Some("public, max-age=60"));
    assert!(first.header("etag").is_some());
}

#[actix_web::test]
async fn bad_parameters_are_a_400_naming_the_parameter() {
    let desk = Desk::open().await;

    let cases = [
        ("/v1/articles?limit=101", "limit"),
        ("/v1/articles?limit=0", "limit"),
        ("/v1/articles?colour=red", "colour"),
        ("/v1/articles?sort=-wordcount", "sort"),
        ("/v1/articles?fields=headline,secret", "fields"),
        ("/v1/articles?include=authors", "include"),
        ("/v1/articles?cursor=garbage", "cursor"),
        ("/v1/articles?published_after=yesterday", "published_after"),
        ("/v1/articles?status=draft", "status"),
        ("/v1/articles?count=maybe", "count"),
    ];
    for (path, field) in cases {
        let problem = desk.app.get(path).await.problem(400);
        assert_eq!(problem["errors"][0]["field"], field, "{path}");
    }
}

#[actix_web::test]
async fn sparse_fieldsets_counts_and_sorts() {
    let desk = Desk::open().await;
    dated(&desk, 1, json!({"headline": "Banana prices"})).await;
    dated(&desk, 2, json!({"headline": "Apple harvest"})).await;
    dated(&desk, 3, json!({"headline": "Cherry blossom"})).await;

    let page = desk
        .app
        .get("/v1/articles?fields=headline&sort=headline&count=true&limit=2")
        .await
        .value();

    assert_eq!(page["total"], 3);
    assert_eq!(headlines(&page), ["Apple harvest", "Banana prices"]);
    let keys: HashSet<&str> = page["data"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, HashSet::from(["id", "headline"]));
    let rest = desk
        .app
        .get(&format!(
            "/v1/articles?fields=headline&sort=headline&count=true&limit=2&cursor={}",
            page["next_cursor"].as_str().unwrap()
        ))
        .await
        .value();
    assert_eq!(headlines(&rest), ["Cherry blossom"]);
}

#[actix_web::test]
async fn empty_parameters_count_as_absent_in_lists_and_feeds() {
    let desk = Desk::open().await;
    desk.published(json!({"headline": "Tagged", "tags": ["port"], "section": "flash"}))
        .await;
    desk.published(json!({"headline": "Plain"})).await;

    let all = headlines(&desk.app.get("/v1/articles").await.value());
    let empty = desk
        .app
        .get("/v1/articles?section=&tag=&q=&limit=&updated_since=")
        .await;
    let feed = desk.app.get("/v1/feeds/json?tag=").await.value();
    let tagged = headlines(&desk.app.get("/v1/articles?tag=port&tag=").await.value());

    assert_eq!(empty.status, 200, "{}", empty.text());
    assert_eq!(headlines(&empty.value()), all);
    assert_eq!(feed["items"].as_array().unwrap().len(), 2);
    assert_eq!(tagged, ["Tagged"]);
}

#[actix_web::test]
async fn filters_by_section_every_tag_time_text_speaker_and_status() {
    let desk = Desk::open().await;
    let quote = desk.quote(
        "Ada Berg",
        "mayor",
        "Port Elan",
        "We will rebuild the pier.",
    );
    let pier = dated(
        &desk,
        1,
        json!({"headline": "Pier to be rebuilt", "section": "flash", "tags": ["harbour", "council"],
               "body": [{"type": "paragraph", "text": "The storm wrecked the old timber pier."},
                        {"type": "quote", "quote_id": quote}]}),
    )
    .await;
    let fish = dated(
        &desk,
        5,
        json!({"headline": "Fish market moves", "section": "business", "tags": ["harbour"],
               "body": [{"type": "paragraph", "text": "Traders pack up their stalls."}]}),
    )
    .await;
    desk.draft(json!({"headline": "Unfinished", "section": "business"}))
        .await;
    let id = |a: &Value| a["id"].as_str().unwrap().to_owned();
    let speaker_id = {
        use diesel::prelude::*;
        use newsdesk::db::schema::quotes;
        quotes::table
            .find(&quote)
            .select(quotes::speaker_id)
            .first::<String>(&mut desk.app.conn())
            .unwrap()
    };

    let by_section = desk.app.get("/v1/articles?section=business").await.value();
    let by_tags = desk
        .app
        .get("/v1/articles?tag=harbour&tag=council")
        .await
        .value();
    let by_one_tag = desk.app.get("/v1/articles?tag=harbour").await.value();
    let by_text = desk.app.get("/v1/articles?q=timber%20pier").await.value();
    let by_time = desk
        .app
        .get("/v1/articles?published_after=2026-01-02T00:00:00Z&published_before=2026-01-06T00:00:00Z")
        .await
        .value();
    let by_speaker = desk
        .app
        .get(&format!("/v1/articles?speaker={speaker_id}"))
        .await
        .value();
    let drafts = desk
        .get_as("/v1/articles?status=draft", &desk.editor)
        .await
        .value();

    assert_eq!(ids(&by_section), [id(&fish)]);
    assert_eq!(ids(&by_tags), [id(&pier)]);
    assert_eq!(ids(&by_one_tag), [id(&fish), id(&pier)]);
    assert_eq!(ids(&by_text), [id(&pier)]);
    assert_eq!(ids(&by_time), [id(&fish)]);
    assert_eq!(ids(&by_speaker), [id(&pier)]);
    assert_eq!(headlines(&drafts), ["Unfinished"]);
}

#[actix_web::test]
async fn paging_while_articles_are_published_never_skips_or_repeats() {
    let desk = Desk::open().await;
    let mut expected = HashSet::new();
    for day in 1..=9 {
        expected.insert(
            dated(&desk, day, json!({})).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut fresh = 0;
    loop {
        let path = match &cursor {
            None => "/v1/articles?limit=2".to_owned(),
            Some(c) => format!("/v1/articles?limit=2&cursor={c}"),
        };
        let page = desk.app.get(&path).await.value();
        seen.extend(ids(&page));
        // Between pages, the desk publishes new stories (dated now, so at the top).
        fresh += 1;
        desk.published(json!({"headline": format!("Breaking {fresh}")}))
            .await;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }

    let unique: HashSet<String> = seen.iter().cloned().collect();
    assert_eq!(
        unique.len(),
        seen.len(),
        "an article was repeated: {seen:?}"
    );
    assert_eq!(unique, expected, "an article was skipped");
}

#[actix_web::test]
async fn includes_come_in_a_fixed_number_of_queries_whatever_the_page_size() {
    let desk = Desk::open().await;
    desk.app.insert_media("photo-1", true);
    for day in 1..=12 {
        let quote = desk.quote(
            &format!("Speaker {day}"),
            "analyst",
            "Harbour Institute",
            "Words worth quoting.",
        );
        dated(
            &desk,
            day,
            json!({"body": [{"type": "quote", "quote_id": quote},
                            {"type": "media", "media_id": "photo-1"}]}),
        )
        .await;
    }
    let queries = |path: &'static str| {
        let app = &desk.app;
        async move {
            let before = app.state.db.queries_run();
            let response = app.get(path).await;
            assert_eq!(response.status, 200, "{}", response.text());
            (app.state.db.queries_run() - before, response.value())
        }
    };

    let (small, small_page) = queries("/v1/articles?limit=2&include=quotes,speakers,media").await;
    let (large, large_page) = queries("/v1/articles?limit=12&include=quotes,speakers,media").await;
    let (single, article) = queries("/v1/articles?limit=1&include=quotes,speakers,media").await;

    assert_eq!(small, large, "queries grew with the page size");
    assert!(large <= 4, "{large} queries");
    assert_eq!(single, large, "queries changed with the page size");
    assert_eq!(
        small_page["included"]["quotes"].as_array().unwrap().len(),
        2
    );
    assert_eq!(
        large_page["included"]["quotes"].as_array().unwrap().len(),
        12
    );
    assert_eq!(
        large_page["included"]["speakers"].as_array().unwrap().len(),
        12
    );
    assert_eq!(large_page["included"]["media"].as_array().unwrap().len(), 1);
    assert_eq!(
        large_page["included"]["speakers"][0]["organization"],
        "Harbour Institute"
    );
    assert!(
        article["included"]["media"][0]["url"]
            .as_str()
            .unwrap()
            .ends_with("/v1/media/photo-1/file")
    );
}

#[actix_web::test]
async fn a_single_article_with_includes_is_a_fixed_number_of_queries() {
    let desk = Desk::open().await;
    desk.app.insert_media("photo-1", true);
    let quote = desk.quote(
        "Lena Hart",
        "harbour master",
        "Port Elan",
        "The tide waits.",
    );
    let article = desk
        .published(
            json!({"headline": "Tide tables", "hero_media_id": "photo-1",
                          "body": [{"type": "quote", "quote_id": quote}]}),
        )
        .await;

    let before = desk.app.state.db.queries_run();
    let response = desk
        .app
        .get("/v1/articles/tide-tables?include=quotes,speakers,media")
        .await;
    let used = desk.app.state.db.queries_run() - before;

    let body = response.value();
    assert_eq!(body["id"], article["id"]);
    assert_eq!(body["included"]["quotes"][0]["text"], "The tide waits.");
    assert_eq!(body["included"]["speakers"][0]["name"], "Lena Hart");
    assert_eq!(body["included"]["media"][0]["id"], "photo-1");
    // The article, its quotes, their speakers and its photos.
    assert!(used <= 4, "{used} queries");
}

#[actix_web::test]
async fn sections_and_tags_count_published_articles() {
    let desk = Desk::open().await;
    dated(
        &desk,
        1,
        json!({"section": "business", "tags": ["rates", "banks"]}),
    )
    .await;
    dated(&desk, 2, json!({"section": "business", "tags": ["rates"]})).await;
    dated(&desk, 3, json!({"section": "culture", "tags": ["film"]})).await;
    desk.draft(json!({"headline": "Hidden", "section": "flash", "tags": ["secret"]}))
        .await;

    let sections = desk.app.get("/v1/sections").await;
    let tags = desk.app.get("/v1/tags").await.value();

    assert_eq!(sections.header("cache-control"), Some("public, max-age=60"));
    assert!(sections.header("etag").is_some());
    assert!(sections.header("last-modified").is_some());
    assert_eq!(
        sections.value()["data"],
        json!([{"name": "business", "count": 2}, {"name": "culture", "count": 1}])
    );
    assert_eq!(
        tags["data"],
        json!([{"name": "banks", "count": 1}, {"name": "film", "count": 1}, {"name": "rates", "count": 2}])
    );
}

/// Asserts `instance` is valid against the component schema `name` of the served document.
fn assert_matches_schema(doc: &Value, name: &str, instance: &Value) {
    let mut root = doc.clone();
    root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    root["$ref"] = json!(format!("#/components/schemas/{name}"));
    let validator = jsonschema::validator_for(&root).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "not a {name}: {errors:#?}\n{instance:#}");
}

#[actix_web::test]
async fn article_responses_match_their_documented_schemas() {
    // The demo loads before any request, so no pooled connection sits idle while it runs.
    let app = crate::helpers::TestApp::spawn().await;
    newsdesk::demo::load_if_empty(&app.state).unwrap();
    let editor = crate::articles::bearer(&app.token(newsdesk::auth::Role::Editor).await);
    let desk = Desk { app, editor };
    let doc = desk.app.get("/openapi.json").await.value();
    let first = desk.app.get("/v1/articles?limit=1").await.value();
    let slug = first["data"][0]["slug"].as_str().unwrap().to_owned();
    let id = first["data"][0]["id"].as_str().unwrap().to_owned();
    desk.send(
        "POST",
        &format!("/v1/articles/{id}/corrections"),
        &json!({"note": "A date was wrong."}),
        &desk.editor,
    )
    .await;

    let article = desk
        .app
        .get(&format!(
            "/v1/articles/{slug}?include=quotes,speakers,media"
        ))
        .await
        .value();
    assert_matches_schema(&doc, "Article", &article);
    for path in [
        "/v1/articles",
        "/v1/articles?count=true&include=quotes,speakers,media",
        "/v1/articles?fields=headline",
        "/v1/articles?sort=headline&limit=2",
    ] {
        let page = desk.app.get(path).await.value();
        assert_matches_schema(&doc, "ArticlePage", &page);
    }
    let drafts = desk
        .get_as("/v1/articles?status=scheduled", &desk.editor)
        .await
        .value();
    assert_eq!(drafts["data"].as_array().unwrap().len(), 1);
    assert_matches_schema(&doc, "ArticlePage", &drafts);
    let revisions = desk
        .get_as(&format!("/v1/articles/{id}/revisions"), &desk.editor)
        .await
        .value();
    assert_matches_schema(&doc, "RevisionList", &revisions);
    let revision = desk
        .get_as(&format!("/v1/articles/{id}/revisions/3"), &desk.editor)
        .await
        .value();
    assert_matches_schema(&doc, "Revision", &revision);
    assert_eq!(
        revision["article"]["corrections"][0]["note"],
        "A date was wrong."
    );
    for path in ["/v1/sections", "/v1/tags"] {
        let terms = desk.app.get(path).await.value();
        assert_matches_schema(&doc, "TermList", &terms);
    }
    let problem = desk.app.get("/v1/articles?limit=500").await.problem(400);
    assert_matches_schema(&doc, "Problem", &problem);
}
