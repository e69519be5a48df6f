//! Rows written straight into a test server's database, for tests of read-only endpoints.

use diesel::prelude::*;
use newsdesk::db::schema::{article_tags, articles, media, quotes, speakers};

use crate::helpers::TestApp;

/// An article row with sensible defaults; change fields before inserting.
pub struct ArticleFixture {
    pub id: String,
    pub slug: String,
    pub headline: String,
    pub status: &'static str,
    pub section: Option<String>,
    pub tags: Vec<String>,
    pub published_at: Option<String>,
    pub embargo_until: Option<String>,
    pub hero_media_id: Option<String>,
}

impl ArticleFixture {
    pub fn published(slug: &str, published_at: &str) -> ArticleFixture {
        ArticleFixture {
            id: format!("id-{slug}"),
            slug: slug.to_owned(),
            headline: format!("Headline of {slug}"),
            status: "published",
            section: Some("business".to_owned()),
            tags: Vec::new(),
            published_at: Some(published_at.to_owned()),
            embargo_until: None,
            hero_media_id: None,
        }
    }

    pub fn draft(slug: &str) -> ArticleFixture {
        ArticleFixture {
            status: "draft",
            published_at: None,
            ..ArticleFixture::published(slug, "2026-01-01T00:00:00.000000Z")
        }
    }

    pub fn section(mut self, section: &str) -> Self {
        self.section = Some(section.to_owned());
        self
    }

    pub fn tags(mut self, tags: &[&str]) -> Self {
        self.tags = tags.iter().map(|t| (*t).to_owned()).collect();
        self
    }

    pub fn scheduled(mut self, at: &str) -> Self {
        self.status = "scheduled";
        self.published_at = Some(at.to_owned());
        self
    }

    pub fn embargoed_until(mut self, at: &str) -> Self {
        self.embargo_until = Some(at.to_owned());
        self
    }

    pub fn hero(mut self, media_id: &str) -> Self {
        self.hero_media_id = Some(media_id.to_owned());
        self
    }
}

impl TestApp {
    pub fn conn(&self) -> SqliteConnection {
        SqliteConnection::establish(&self.db_path().to_string_lossy()).unwrap()
    }

    pub fn insert_article(&self, a: ArticleFixture) {
        let mut conn = self.conn();
        let now = "2026-01-01T00:00:00.000000Z";
        diesel::insert_into(articles::table)
            .values((
                articles::id.eq(&a.id),
                articles::slug.eq(&a.slug),
                articles::headline.eq(&a.headline),
                articles::standfirst.eq(Some("A short standfirst.")),
                articles::body_html.eq("<p>Body &amp; more.</p>"),
                articles::section.eq(&a.section),
                articles::byline.eq(Some("A. Reporter")),
                articles::source.eq(Some("example-news.com")),
                articles::dateline.eq(Some("Harbour City")),
                articles::status.eq(a.status),
                articles::published_at.eq(&a.published_at),
                articles::embargo_until.eq(&a.embargo_until),
                articles::hero_media_id.eq(&a.hero_media_id),
                articles::created_at.eq(now),
                articles::updated_at.eq(a.published_at.as_deref().unwrap_or(now)),
            ))
            .execute(&mut conn)
            .unwrap();
        for tag in &a.tags {
            diesel::insert_into(article_tags::table)
                .values((
                    article_tags::article_id.eq(&a.id),
                    article_tags::tag.eq(tag),
                ))
                .execute(&mut conn)
                .unwrap();
        }
    }

    /// A photo record (no file) that may or may not be syndicated.
    pub fn insert_media(&self, id: &str, syndication_allowed: bool) {
        let now = "2026-01-01T00:00:00.000000Z";
        diesel::insert_into(media::table)
            .values((
                media::id.eq(id),
                media::content_type.eq("image/jpeg"),
                media::width.eq(1600),
                media::height.eq(1200),
                media::bytes.eq(123_456_i64),
                media::sha256.eq("00"),
                media::caption.eq(Some("The harbour at dawn")),
                media::credit.eq(Some("Photo by A. Photographer / Agency")),
                media::syndication_allowed.eq(syndication_allowed),
                media::created_at.eq(now),
                media::updated_at.eq(now),
            ))
            .execute(&mut self.conn())
            .unwrap();
    }

    /// A speaker quoted in an article.
    pub fn insert_quote(&self, article_id: &str, speaker_name: &str, title: &str) {
        let mut conn = self.conn();
        let now = "2026-01-01T00:00:00.000000Z";
        let speaker_id = format!("sp-{}", speaker_name.replace(' ', "-"));
        diesel::insert_into(speakers::table)
            .values((
                speakers::id.eq(&speaker_id),
                speakers::slug.eq(&speaker_id),
                speakers::name.eq(speaker_name),
                speakers::title.eq(Some(title)),
                speakers::organization.eq(Some("the provincial development bank")),
                speakers::created_at.eq(now),
                speakers::updated_at.eq(now),
            ))
            .execute(&mut conn)
            .unwrap();
        diesel::insert_into(quotes::table)
            .values((
                quotes::id.eq(format!("q-{speaker_id}")),
                quotes::text.eq("Growth will return next year."),
                quotes::speaker_id.eq(&speaker_id),
                quotes::article_id.eq(Some(article_id)),
                quotes::created_at.eq(now),
                quotes::updated_at.eq(now),
            ))
            .execute(&mut conn)
            .unwrap();
    }
}
