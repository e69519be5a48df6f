//! Syndication feeds: RSS, Atom, JSON Feed and ninjs.

use crate::fixtures::ArticleFixture;
use crate::helpers::TestApp;
use crate::schemas::assert_valid;

const FUTURE: &str = "2999-01-01T00:00:00.000000Z";

async fn newsroom() -> TestApp {
    let app = TestApp::spawn().await;
    app.insert_media("photo-ok", true);
    app.insert_media("photo-restricted", false);
    app.insert_article(
        ArticleFixture::published("older", "2026-03-01T08:00:00.000000Z")
            .tags(&["economy"])
            .hero("photo-restricted"),
    );
    app.insert_article(
        ArticleFixture::published("newer", "2026-03-02T08:00:00.000000Z")
            .section("flash")
            .tags(&["economy", "port"])
            .hero("photo-ok"),
    );
    app.insert_quote("id-newer", "Mira Okafor", "chief economist");
    app.insert_article(ArticleFixture::draft("a-draft"));
    app.insert_article(
        ArticleFixture::published("later", "2026-01-01T00:00:00.000000Z").scheduled(FUTURE),
    );
    app.insert_article(
        ArticleFixture::published("embargoed", "2026-03-03T08:00:00.000000Z")
            .embargoed_until(FUTURE),
    );
    app
}

#[actix_web::test]
async fn the_rss_feed_lists_visible_articles_newest_first() {
    let app = newsroom().await;
    let response = app.get("/v1/feeds/rss").await;
    assert_eq!(response.status, 200);
    assert!(
        response
            .header("content-type")
            .unwrap()
            .starts_with("application/rss+xml")
    );
    assert_eq!(response.header("cache-control"), Some("public, max-age=60"));
    let channel = rss::Channel::read_from(&response.body[..]).unwrap();
    let titles: Vec<&str> = channel.items().iter().filter_map(|i| i.title()).collect();
    assert_eq!(titles, vec!["Headline of newer", "Headline of older"]);
    let newer = &channel.items()[0];
    assert_eq!(newer.enclosure().unwrap().mime_type(), "image/jpeg");
    assert!(
        newer
            .description()
            .unwrap()
            .contains("Photo by A. Photographer / Agency")
    );
    assert!(newer.categories().iter().any(|c| c.name() == "port"));
}

#[actix_web::test]
async fn the_atom_feed_parses_and_carries_the_same_entries() {
    let app = newsroom().await;
    let response = app.get("/v1/feeds/atom").await;
    assert_eq!(response.status, 200);
    assert!(
        response
            .header("content-type")
            .unwrap()
            .starts_with("application/atom+xml")
    );
    let feed = atom_syndication::Feed::read_from(&response.body[..]).unwrap();
    let titles: Vec<String> = feed
        .entries()
        .iter()
        .map(|e| e.title().value.clone())
        .collect();
    assert_eq!(titles, vec!["Headline of newer", "Headline of older"]);
    assert!(feed.links().iter().any(|l| l.rel() == "self"));
}

#[actix_web::test]
async fn the_json_feed_follows_json_feed_1_1() {
    let app = newsroom().await;
    let response = app.get("/v1/feeds/json").await;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some("application/feed+json")
    );
    let feed = response.value();
    assert_valid("jsonfeed-1.1.schema.json", &feed);
    assert_eq!(feed["items"].as_array().unwrap().len(), 2);
    assert_eq!(feed["items"][0]["title"], "Headline of newer");
}

#[actix_web::test]
async fn ninjs_items_validate_against_ninjs_3_1_and_2_2() {
    let app = newsroom().await;
    let v3 = app.get("/v1/feeds/ninjs").await.value();
    let items = v3["data"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    for item in items {
        assert_valid("ninjs-schema_3.1.json", item);
    }
    assert_eq!(items[0]["people"][0]["name"], "Mira Okafor");
    assert_eq!(
        items[0]["people"][0]["literal"],
        "chief economist, the provincial development bank"
    );
    let v2 = app.get("/v1/feeds/ninjs?version=2.2").await.value();
    for item in v2["data"].as_array().unwrap() {
        assert_valid("ninjs-schema_2.2.json", item);
    }
    let one = app.get("/v1/articles/newer/ninjs").await;
    assert_eq!(one.status, 200);
    assert_valid("ninjs-schema_3.1.json", &one.value());
}

#[actix_web::test]
async fn feeds_filter_by_section_and_every_tag() {
    let app = newsroom().await;
    let flash = app.get("/v1/feeds/json?section=flash").await.value();
    assert_eq!(flash["items"].as_array().unwrap().len(), 1);
    let both = app.get("/v1/feeds/json?tag=economy&tag=port").await.value();
    let titles: Vec<&str> = both["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, vec!["Headline of newer"]);
    let limited = app.get("/v1/feeds/json?limit=1").await.value();
    assert_eq!(limited["items"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn feeds_refuse_unknown_parameters_and_bad_limits() {
    let app = newsroom().await;
    let unknown = app.get("/v1/feeds/rss?colour=blue").await.problem(400);
    assert_eq!(unknown["errors"][0]["field"], "colour");
    let limit = app.get("/v1/feeds/rss?limit=1000").await.problem(400);
    assert_eq!(limit["errors"][0]["field"], "limit");
    app.get("/v1/feeds/ninjs?version=9").await.problem(400);
}

#[actix_web::test]
async fn unpublished_articles_have_no_ninjs() {
    let app = newsroom().await;
    app.get("/v1/articles/a-draft/ninjs").await.problem(404);
    app.get("/v1/articles/embargoed/ninjs").await.problem(404);
    app.get("/v1/articles/later/ninjs").await.problem(404);
}

#[actix_web::test]
async fn feeds_answer_conditional_requests() {
    let app = newsroom().await;
    let first = app.get("/v1/feeds/atom").await;
    let etag = first.header("etag").unwrap().to_owned();
    assert!(first.header("last-modified").is_some());
    let again = app
        .get_with("/v1/feeds/atom", &[("if-none-match", &etag)])
        .await;
    assert_eq!(again.status, 304);
}

#[actix_web::test]
async fn partners_read_feeds_with_a_key_in_the_url_and_never_get_restricted_photos() {
    let app = newsroom().await;
    let key = app.api_key(&[newsdesk::auth::Scope::FeedsRead]).await;
    let response = app.get(&format!("/v1/feeds/json?api_key={key}")).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("cache-control"), Some("private, no-store"));
    assert!(
        !response.text().contains(&key),
        "the key never appears in the feed"
    );
    let feed = response.value();
    let items = feed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items[0]["image"].is_string(), "the syndicated photo stays");
    assert!(
        items[1].get("image").is_none(),
        "the restricted photo is dropped"
    );
    // The public, without a key, sees both photos.
    let public = app.get("/v1/feeds/json").await.value();
    assert!(public["items"][1]["image"].is_string());
}

#[actix_web::test]
async fn a_key_without_feeds_read_is_refused_and_a_bad_key_is_a_401() {
    let app = newsroom().await;
    let key = app.api_key(&[newsdesk::auth::Scope::ContentRead]).await;
    app.get_with("/v1/feeds/rss", &[("x-api-key", &key)])
        .await
        .problem(403);
    app.get("/v1/feeds/rss?api_key=ndk_not-a-real-key")
        .await
        .problem(401);
}

#[actix_web::test]
async fn server_relative_links_in_bodies_are_made_absolute_in_feeds() {
    use diesel::prelude::*;
    use newsdesk::db::schema::articles;
    let app = newsroom().await;
    diesel::update(articles::table.find("id-newer"))
        .set(
            articles::body_html
                .eq(r#"<figure><img src="/v1/media/photo-ok/file" alt=""></figure>"#),
        )
        .execute(&mut app.conn())
        .unwrap();
    let feed = app.get("/v1/feeds/json").await.value();
    let html = feed["items"][0]["content_html"].as_str().unwrap();
    assert!(
        html.contains(&format!("src=\"{}/v1/media/photo-ok/file\"", app.address)),
        "{html}"
    );
    let ninjs = app.get("/v1/articles/newer/ninjs").await.value();
    assert!(
        ninjs["bodies"][0]["value"]
            .as_str()
            .unwrap()
            .contains(&format!("{}/v1/media/", app.address))
    );
}
