//! Speakers: lists, reads by id or slug, visibility of what they said and where, and the
//! fixture builders the quote and media tests share.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// Direct access to a test server's database, to arrange content the API under test does not
/// create itself (articles belong to another part of the API).
pub struct Fixtures {
    conn: SqliteConnection,
    media_dir: std::path::PathBuf,
    path: String,
    counter: u32,
}

/// A time well in the past, so "published" articles are visible now.
pub const PAST: &str = "2020-01-01T00:00:00.000000Z";
/// A time well in the future.
pub const FUTURE: &str = "2999-01-01T00:00:00.000000Z";

impl Fixtures {
    pub fn open(app: &TestApp) -> Fixtures {
        let mut conn = SqliteConnection::establish(&app.db_path().to_string_lossy()).unwrap();
        conn.batch_execute("PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;")
            .unwrap();
        Fixtures {
            conn,
            media_dir: app.dir.path().join("media"),
            path: app.db_path().to_string_lossy().into_owned(),
            counter: 0,
        }
    }

    /// Another connection to the same database, for calling library functions.
    pub fn conn(&self) -> SqliteConnection {
        let mut conn = SqliteConnection::establish(&self.path).unwrap();
        conn.batch_execute("PRAGMA busy_timeout = 5000;").unwrap();
        conn
    }

    fn next(&mut self) -> u32 {
        self.counter += 1;
        self.counter
    }

    fn exec(&mut self, sql: &str) {
        self.conn.batch_execute(sql).unwrap();
    }

    /// An article with this status and publication time; returns its id.
    pub fn article(&mut self, status: &str, published_at: Option<&str>) -> String {
        self.article_with_embargo(status, published_at, None)
    }

    pub fn article_with_embargo(
        &mut self,
        status: &str,
        published_at: Option<&str>,
        embargo_until: Option<&str>,
    ) -> String {
        let n = self.next();
        let id = format!("article-{n:04}");
        let published = published_at.map_or("NULL".to_owned(), |t| format!("'{t}'"));
        let embargo = embargo_until.map_or("NULL".to_owned(), |t| format!("'{t}'"));
        self.exec(&format!(
            "INSERT INTO articles (id, slug, headline, status, published_at, embargo_until, created_at, updated_at)
             VALUES ('{id}', 'story-{n}', 'Story {n}', '{status}', {published}, {embargo}, '{PAST}', '{PAST}')"
        ));
        id
    }

    /// A draft written by the user `author`.
    pub fn draft_by(&mut self, author: &str) -> String {
        let id = self.article("draft", None);
        self.exec(&format!(
            "UPDATE articles SET author_id = '{author}' WHERE id = '{id}'"
        ));
        id
    }

    /// A published, visible article.
    pub fn published_article(&mut self) -> String {
        self.article("published", Some(PAST))
    }

    /// A speaker with this name; returns its id.
    pub fn speaker(&mut self, name: &str) -> String {
        self.speaker_with_photo(name, None)
    }

    pub fn speaker_with_photo(&mut self, name: &str, photo: Option<&str>) -> String {
        let n = self.next();
        let id = format!("speaker-{n:04}");
        let slug = name.to_lowercase().replace(' ', "-");
        let photo = photo.map_or("NULL".to_owned(), |p| format!("'{p}'"));
        let at = format!("2026-01-01T00:00:{:02}.000000Z", n % 60);
        self.exec(&format!(
            "INSERT INTO speakers (id, slug, name, title, photo_media_id, created_at, updated_at)
             VALUES ('{id}', '{slug}', '{name}', 'Minister', {photo}, '{at}', '{at}')"
        ));
        id
    }

    /// A quote by `speaker`, belonging to `article` when given; returns its id.
    pub fn quote(&mut self, speaker: &str, article: Option<&str>) -> String {
        let n = self.next();
        let id = format!("quote-{n:04}");
        let article = article.map_or("NULL".to_owned(), |a| format!("'{a}'"));
        let at = format!("2026-01-01T00:{:02}:00.000000Z", n % 60);
        self.exec(&format!(
            "INSERT INTO quotes (id, text, speaker_id, article_id, created_at, updated_at)
             VALUES ('{id}', 'Words number {n}.', '{speaker}', {article}, '{at}', '{at}')"
        ));
        id
    }

    /// Records that an article's body uses a quote.
    pub fn link_quote(&mut self, article: &str, quote: &str) {
        self.exec(&format!(
            "INSERT INTO article_quotes (article_id, quote_id) VALUES ('{article}', '{quote}')"
        ));
    }

    /// Records that an article uses a media item.
    pub fn link_media(&mut self, article: &str, media: &str) {
        self.exec(&format!(
            "INSERT INTO article_media (article_id, media_id) VALUES ('{article}', '{media}')"
        ));
    }

    /// Stores an image through the library function the demo loader uses; returns its id.
    pub fn media(&mut self, bytes: &[u8]) -> Value {
        let media = newsdesk::api::media::store_image(
            &mut self.conn,
            &self.media_dir,
            "http://test",
            bytes,
            newsdesk::api::media::MediaMetadata {
                caption: Some("A caption".into()),
                credit: Some("Photo by A. Reporter".into()),
                ..Default::default()
            },
            &newsdesk::newsroom::policy::Actor::System,
        )
        .unwrap();
        serde_json::to_value(media).unwrap()
    }

    /// How many change-feed rows there are for a resource and operation.
    pub fn changes(&mut self, resource: &str, id: &str, operation: &str) -> i64 {
        diesel::sql_query(format!(
            "SELECT COUNT(*) AS n FROM changes WHERE resource = '{resource}' AND resource_id = '{id}' AND operation = '{operation}'"
        ))
        .get_result::<Count>(&mut self.conn)
        .unwrap()
        .n
    }
}

#[derive(QueryableByName)]
pub struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub n: i64,
}

/// Real, decodable images made in memory with the `image` crate (uploads are decoded and
/// re-encoded, so header-only stand-ins no longer do).
pub mod images {
    use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
    use std::io::Cursor;

    /// A gradient picture, so encoders have something to work with.
    pub fn picture(width: u32, height: u32) -> DynamicImage {
        DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
            Rgb([
                (x * 255 / width.max(1)) as u8,
                (y * 255 / height.max(1)) as u8,
                90,
            ])
        }))
    }

    pub fn encoded(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
        let mut out = Vec::new();
        let picture = picture(width, height);
        let picture = if format == ImageFormat::WebP {
            DynamicImage::ImageRgba8(picture.to_rgba8())
        } else {
            picture
        };
        picture
            .write_to(&mut Cursor::new(&mut out), format)
            .unwrap();
        out
    }

    pub fn png(width: u32, height: u32) -> Vec<u8> {
        encoded(width, height, ImageFormat::Png)
    }

    /// Only a PNG signature and header declaring this size: for pixel-flood tests, which must
    /// be refused before any decoding.
    pub fn png_header(width: u32, height: u32) -> Vec<u8> {
        let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        out.extend_from_slice(&13u32.to_be_bytes());
        out.extend_from_slice(b"IHDR");
        out.extend_from_slice(&width.to_be_bytes());
        out.extend_from_slice(&height.to_be_bytes());
        out.extend_from_slice(&[8, 2, 0, 0, 0]);
        out.extend_from_slice(&[0, 0, 0, 0]);
        out
    }

    pub fn gif(width: u16, height: u16) -> Vec<u8> {
        encoded(u32::from(width), u32::from(height), ImageFormat::Gif)
    }

    pub fn jpeg(width: u16, height: u16) -> Vec<u8> {
        encoded(u32::from(width), u32::from(height), ImageFormat::Jpeg)
    }

    pub fn webp(width: u32, height: u32) -> Vec<u8> {
        encoded(width, height, ImageFormat::WebP)
    }
}

#[actix_web::test]
async fn the_speaker_list_is_public_and_pages_by_name_with_a_link_to_the_next_page() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    for name in ["Carla Bruni", "Amina Diallo", "Ben Okri"] {
        fx.speaker(name);
    }

    let first = app.get("/v1/speakers?limit=2").await;
    assert_eq!(first.status, 200, "{}", first.text());
    let body = first.value();
    let names: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Amina Diallo", "Ben Okri"]);
    assert_eq!(first.header("cache-control"), Some("public, max-age=60"));
    assert!(first.header("etag").is_some());
    let link = first.header("link").unwrap();
    assert!(link.contains("rel=\"next\""), "{link}");
    let cursor = body["next_cursor"].as_str().unwrap();

    let second = app
        .get(&format!("/v1/speakers?limit=2&cursor={cursor}"))
        .await;
    let body = second.value();
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
    assert_eq!(body["data"][0]["name"], "Carla Bruni");
    assert!(body["next_cursor"].is_null());
    assert!(second.header("link").is_none());
}

#[actix_web::test]
async fn speaker_lists_sort_descending_count_and_return_only_the_chosen_fields() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    for name in ["Carla Bruni", "Amina Diallo", "Ben Okri"] {
        fx.speaker(name);
    }

    let response = app
        .get("/v1/speakers?sort=-name&count=true&fields=name")
        .await;

    let body = response.value();
    assert_eq!(body["total"], 3);
    assert_eq!(
        body["data"][0],
        json!({"id": "speaker-0001", "name": "Carla Bruni"})
    );
}

#[actix_web::test]
async fn bad_list_parameters_are_400s_naming_the_parameter() {
    let app = TestApp::spawn().await;
    for (query, field) in [
        ("colour=red", "colour"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("sort=bio", "sort"),
        ("fields=name,secret", "fields"),
        ("cursor=garbage", "cursor"),
    ] {
        let response = app.get(&format!("/v1/speakers?{query}")).await;
        let problem = response.problem(400);
        assert_eq!(problem["errors"][0]["field"], field, "{query}");
    }
}

#[actix_web::test]
async fn a_cursor_from_another_sort_is_refused() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    fx.speaker("Amina Diallo");
    fx.speaker("Ben Okri");
    let first = app.get("/v1/speakers?limit=1").await.value();
    let cursor = first["next_cursor"].as_str().unwrap();

    let response = app
        .get(&format!("/v1/speakers?limit=1&sort=-name&cursor={cursor}"))
        .await;

    response.problem(400);
}

#[actix_web::test]
async fn a_speaker_is_read_by_id_or_slug_with_an_etag_that_answers_304() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let id = fx.speaker("Amina Diallo");

    let by_id = app.get(&format!("/v1/speakers/{id}")).await;
    let by_slug = app.get("/v1/speakers/amina-diallo").await;

    assert_eq!(by_id.status, 200);
    assert_eq!(by_id.value()["slug"], "amina-diallo");
    assert_eq!(by_id.value()["version"], 1);
    assert_eq!(by_id.body, by_slug.body);
    assert!(by_id.header("last-modified").is_some());
    let etag = by_id.header("etag").unwrap();
    let again = app
        .get_with("/v1/speakers/amina-diallo", &[("if-none-match", etag)])
        .await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
}

#[actix_web::test]
async fn an_unknown_speaker_is_a_404() {
    let app = TestApp::spawn().await;
    app.get("/v1/speakers/nobody").await.problem(404);
    app.get("/v1/speakers/nobody/quotes").await.problem(404);
    app.get("/v1/speakers/nobody/articles").await.problem(404);
}

#[actix_web::test]
async fn writing_speakers_without_signing_in_is_a_401() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let id = fx.speaker("Amina Diallo");

    let create = app
        .json("POST", "/v1/speakers", &json!({"name": "X"}), &[])
        .await;
    let update = app
        .json(
            "PATCH",
            &format!("/v1/speakers/{id}"),
            &json!({"name": "X"}),
            &[("if-match", "*")],
        )
        .await;
    let delete = app
        .raw(
            "DELETE",
            &format!("/v1/speakers/{id}"),
            &[("if-match", "*")],
            None,
        )
        .await;

    create.problem(401);
    update.problem(401);
    delete.problem(401);
    assert!(create.header("www-authenticate").is_some());
}

#[actix_web::test]
async fn the_public_sees_only_visible_articles_quoting_a_speaker() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let speaker = fx.speaker("Amina Diallo");
    let published = fx.published_article();
    let draft = fx.article("draft", None);
    let scheduled = fx.article("scheduled", Some(FUTURE));
    let embargoed = fx.article_with_embargo("published", Some(PAST), Some(FUTURE));
    let linked = fx.published_article();
    fx.quote(&speaker, Some(&published));
    fx.quote(&speaker, Some(&draft));
    fx.quote(&speaker, Some(&scheduled));
    fx.quote(&speaker, Some(&embargoed));
    let standalone = fx.quote(&speaker, None);
    fx.link_quote(&linked, &standalone);

    let response = app
        .get("/v1/speakers/amina-diallo/articles?count=true")
        .await;

    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.value();
    let mut ids: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    ids.sort();
    let mut expected = vec![published.as_str(), linked.as_str()];
    expected.sort();
    assert_eq!(ids, expected);
    assert_eq!(body["total"], 2);
}

#[actix_web::test]
async fn the_public_sees_a_speakers_standalone_quotes_and_those_of_visible_articles() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let speaker = fx.speaker("Amina Diallo");
    let published = fx.published_article();
    let draft = fx.article("draft", None);
    let in_published = fx.quote(&speaker, Some(&published));
    fx.quote(&speaker, Some(&draft));
    let standalone = fx.quote(&speaker, None);
    let in_draft_body = fx.quote(&speaker, None);
    fx.link_quote(&draft, &in_draft_body);

    let response = app.get("/v1/speakers/amina-diallo/quotes").await;

    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.value();
    let ids: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap())
        .collect();
    // Newest first by default.
    assert_eq!(ids, [standalone.as_str(), in_published.as_str()]);
}

/// `Authorization` header value for a fresh user of `role`.
pub async fn bearer(app: &TestApp, role: newsdesk::auth::Role) -> String {
    format!("Bearer {}", app.token(role).await)
}

#[actix_web::test]
async fn a_contributor_creates_speakers_with_unique_slugs_made_from_their_names() {
    let app = TestApp::spawn().await;
    let auth = bearer(&app, newsdesk::auth::Role::Contributor).await;
    let body = json!({"name": "Amina Diallo", "title": "Minister of Finance"});

    let first = app
        .json("POST", "/v1/speakers", &body, &[("authorization", &auth)])
        .await;
    let second = app
        .json("POST", "/v1/speakers", &body, &[("authorization", &auth)])
        .await;

    assert_eq!(first.status, 201, "{}", first.text());
    let speaker = first.value();
    assert_eq!(speaker["slug"], "amina-diallo");
    assert_eq!(speaker["version"], 1);
    assert_eq!(
        first.header("location"),
        Some(format!("/v1/speakers/{}", speaker["id"].as_str().unwrap()).as_str())
    );
    assert!(first.header("etag").unwrap().starts_with("\"1-"));
    assert_eq!(second.value()["slug"], "amina-diallo-2");
    let mut fx = Fixtures::open(&app);
    assert_eq!(
        fx.changes("speaker", speaker["id"].as_str().unwrap(), "create"),
        1
    );
}

#[actix_web::test]
async fn a_chosen_slug_already_in_use_is_a_409_and_a_malformed_one_a_422() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    fx.speaker("Amina Diallo");
    let auth = bearer(&app, newsdesk::auth::Role::Editor).await;

    let duplicate = app
        .json(
            "POST",
            "/v1/speakers",
            &json!({"name": "Someone Else", "slug": "amina-diallo"}),
            &[("authorization", &auth)],
        )
        .await;
    let malformed = app
        .json(
            "POST",
            "/v1/speakers",
            &json!({"name": "Someone Else", "slug": "Not A Slug"}),
            &[("authorization", &auth)],
        )
        .await;

    duplicate.problem(409);
    assert_eq!(malformed.problem(422)["errors"][0]["field"], "slug");
}

#[actix_web::test]
async fn fields_a_client_may_not_set_are_refused_by_name() {
    let app = TestApp::spawn().await;
    let auth = bearer(&app, newsdesk::auth::Role::Editor).await;

    let response = app
        .json(
            "POST",
            "/v1/speakers",
            &json!({"name": "Amina Diallo", "version": 7}),
            &[("authorization", &auth)],
        )
        .await;

    assert_eq!(response.problem(422)["errors"][0]["field"], "version");
}

#[actix_web::test]
async fn a_speaker_patch_needs_the_current_etag_and_merges_the_changes() {
    let app = TestApp::spawn().await;
    let auth = bearer(&app, newsdesk::auth::Role::Contributor).await;
    let created = app
        .json(
            "POST",
            "/v1/speakers",
            &json!({"name": "Amina Diallo", "title": "Minister", "bio": "Economist."}),
            &[("authorization", &auth)],
        )
        .await;
    let etag = created.header("etag").unwrap().to_owned();
    let path = format!("/v1/speakers/{}", created.value()["id"].as_str().unwrap());
    let change = json!({"title": "Prime Minister", "bio": null});

    let missing = app
        .json("PATCH", &path, &change, &[("authorization", &auth)])
        .await;
    let stale = app
        .json(
            "PATCH",
            &path,
            &change,
            &[("authorization", &auth), ("if-match", "\"9-abc\"")],
        )
        .await;
    let applied = app
        .json(
            "PATCH",
            &path,
            &change,
            &[("authorization", &auth), ("if-match", &etag)],
        )
        .await;
    let replayed = app
        .json(
            "PATCH",
            &path,
            &change,
            &[("authorization", &auth), ("if-match", &etag)],
        )
        .await;
    let null_name = app
        .json(
            "PATCH",
            &path,
            &json!({"name": null}),
            &[("authorization", &auth), ("if-match", "*")],
        )
        .await;

    missing.problem(428);
    stale.problem(412);
    assert_eq!(applied.status, 200, "{}", applied.text());
    let speaker = applied.value();
    assert_eq!(speaker["title"], "Prime Minister");
    assert!(speaker["bio"].is_null());
    assert_eq!(speaker["name"], "Amina Diallo");
    assert_eq!(speaker["version"], 2);
    replayed.problem(412);
    assert_eq!(null_name.problem(422)["errors"][0]["field"], "name");
}

#[actix_web::test]
async fn deleting_a_speaker_who_has_quotes_is_a_409_saying_how_many() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let speaker = fx.speaker("Amina Diallo");
    fx.quote(&speaker, None);
    fx.quote(&speaker, None);
    let auth = bearer(&app, newsdesk::auth::Role::Editor).await;

    let response = app
        .raw(
            "DELETE",
            "/v1/speakers/amina-diallo",
            &[("authorization", &auth), ("if-match", "*")],
            None,
        )
        .await;

    let problem = response.problem(409);
    assert!(
        problem["detail"].as_str().unwrap().contains("2 quotes"),
        "{problem}"
    );
}

#[actix_web::test]
async fn only_editors_delete_speakers_and_the_deletion_is_recorded() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let speaker = fx.speaker("Amina Diallo");
    let contributor = bearer(&app, newsdesk::auth::Role::Contributor).await;
    let editor = bearer(&app, newsdesk::auth::Role::Editor).await;
    let path = format!("/v1/speakers/{speaker}");

    let refused = app
        .raw(
            "DELETE",
            &path,
            &[("authorization", &contributor), ("if-match", "*")],
            None,
        )
        .await;
    let deleted = app
        .raw(
            "DELETE",
            &path,
            &[("authorization", &editor), ("if-match", "\"1-x\"")],
            None,
        )
        .await;

    refused.problem(403);
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    app.get(&path).await.problem(404);
    assert_eq!(fx.changes("speaker", &speaker, "delete"), 1);
}

#[actix_web::test]
async fn editors_see_every_article_quoting_a_speaker_privately() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let speaker = fx.speaker("Amina Diallo");
    let draft = fx.article("draft", None);
    fx.quote(&speaker, Some(&draft));
    let auth = bearer(&app, newsdesk::auth::Role::Editor).await;

    let response = app
        .get_with(
            "/v1/speakers/amina-diallo/articles",
            &[("authorization", &auth)],
        )
        .await;

    assert_eq!(response.value()["data"][0]["id"], draft.as_str());
    assert_eq!(response.header("cache-control"), Some("private, no-store"));
}

#[actix_web::test]
async fn unknown_query_parameters_on_single_resources_are_400s_naming_them() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let id = fx.speaker("Amina Diallo");

    let speaker = app.get(&format!("/v1/speakers/{id}?expand=all")).await;
    let quote = app.get("/v1/quotes/anything?expand=all").await;
    let media = app.get("/v1/media/anything?expand=all").await;

    for response in [speaker, quote, media] {
        assert_eq!(response.problem(400)["errors"][0]["field"], "expand");
    }
}

#[actix_web::test]
async fn speakers_sort_by_name_without_regard_to_case() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    for name in ["bea Lund", "Amina Diallo", "Carla Bruni"] {
        fx.speaker(name);
    }

    let body = app.get("/v1/speakers?limit=2").await.value();
    let next = app
        .get(&format!(
            "/v1/speakers?limit=2&cursor={}",
            body["next_cursor"].as_str().unwrap()
        ))
        .await
        .value();

    assert_eq!(body["data"][0]["name"], "Amina Diallo");
    assert_eq!(body["data"][1]["name"], "bea Lund");
    assert_eq!(next["data"][0]["name"], "Carla Bruni");
}
