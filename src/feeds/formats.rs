//! RSS 2.0, Atom 1.0 and JSON Feed 1.1 renderings of a list of feed articles.

use std::collections::BTreeMap;

use atom_syndication as atom;
use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::FeedArticle;

/// What every feed says about itself.
#[derive(Debug, Clone)]
pub struct FeedMeta {
    /// Feed title.
    pub title: String,
    /// Feed description.
    pub description: String,
    /// The API's public base URL.
    pub public_url: String,
    /// The absolute URL of this feed, query included.
    pub self_url: String,
}

/// Where an article is read: its canonical page when it has one, else its API URL.
pub fn article_link(article: &FeedArticle, public_url: &str) -> String {
    article
        .canonical_url
        .clone()
        .unwrap_or_else(|| format!("{public_url}/v1/articles/{}", article.slug))
}

fn parse_time(text: &str) -> DateTime<FixedOffset> {
    crate::time::parse(text)
        .unwrap_or_else(Utc::now)
        .fixed_offset()
}

fn newest_update(articles: &[FeedArticle]) -> DateTime<FixedOffset> {
    articles
        .iter()
        .map(|a| parse_time(&a.updated_at))
        .max()
        .unwrap_or_else(|| DateTime::<Utc>::UNIX_EPOCH.fixed_offset())
}

/// The body as feeds carry it: the lead photo as a figure, then the article body.
fn content_html(article: &FeedArticle) -> String {
    let mut html = String::new();
    if let Some(hero) = &article.hero {
        html.push_str(&format!(
            "<figure><img src=\"{}\" alt=\"{}\" width=\"{}\" height=\"{}\">",
            escape(&hero.url),
            escape(hero.alt_text.as_deref().unwrap_or("")),
            hero.width,
            hero.height
        ));
        let caption: Vec<&str> = [hero.caption.as_deref(), hero.credit.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        if !caption.is_empty() {
            html.push_str(&format!(
                "<figcaption>{}</figcaption>",
                escape(&caption.join(" "))
            ));
        }
        html.push_str("</figure>");
    }
    html.push_str(&article.body_html);
    html
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// RSS 2.0, with an `atom:link rel="self"` and the lead photo as an enclosure.
pub fn rss(meta: &FeedMeta, articles: &[FeedArticle]) -> String {
    let items = articles
        .iter()
        .map(|a| {
            let link = article_link(a, &meta.public_url);
            rss::Item {
                title: Some(a.headline.clone()),
                link: Some(link),
                description: Some(content_html(a)),
                author: None,
                categories: a
                    .section
                    .iter()
                    .chain(a.tags.iter())
                    .map(|name| rss::Category {
                        name: name.clone(),
                        domain: None,
                    })
                    .collect(),
                enclosure: a.hero.as_ref().map(|h| rss::Enclosure {
                    url: h.url.clone(),
                    length: h.bytes.to_string(),
                    mime_type: h.content_type.clone(),
                }),
                guid: Some(rss::Guid {
                    value: format!("urn:newsdesk:article:{}", a.id),
                    permalink: false,
                }),
                pub_date: Some(parse_time(&a.published_at).to_rfc2822()),
                dublin_core_ext: a.byline.as_ref().map(|byline| {
                    rss::extension::dublincore::DublinCoreExtension {
                        creators: vec![byline.clone()],
                        ..Default::default()
                    }
                }),
                ..Default::default()
            }
        })
        .collect();
    let mut namespaces = BTreeMap::new();
    namespaces.insert("atom".to_owned(), "http://www.w3.org/2005/Atom".to_owned());
    namespaces.insert(
        "dc".to_owned(),
        "http://purl.org/dc/elements/1.1/".to_owned(),
    );
    let channel = rss::Channel {
        title: meta.title.clone(),
        link: meta.public_url.clone(),
        description: meta.description.clone(),
        last_build_date: Some(newest_update(articles).to_rfc2822()),
        generator: Some("newsdesk".to_owned()),
        atom_ext: Some(rss::extension::atom::AtomExtension {
            links: vec![rss::extension::atom::Link {
                href: meta.self_url.clone(),
                rel: "self".to_owned(),
                mime_type: Some("application/rss+xml".to_owned()),
                ..Default::default()
            }],
        }),
        namespaces,
        items,
        ..Default::default()
    };
    channel.to_string()
}

/// Atom 1.0.
pub fn atom(meta: &FeedMeta, articles: &[FeedArticle]) -> String {
    let entries = articles
        .iter()
        .map(|a| {
            let mut entry = atom::Entry {
                title: atom::Text::plain(a.headline.clone()),
                id: format!("urn:newsdesk:article:{}", a.id),
                updated: parse_time(&a.updated_at),
                published: Some(parse_time(&a.published_at)),
                links: vec![atom::Link {
                    href: article_link(a, &meta.public_url),
                    rel: "alternate".to_owned(),
                    ..Default::default()
                }],
                categories: a
                    .section
                    .iter()
                    .chain(a.tags.iter())
                    .map(|term| atom::Category {
                        term: term.clone(),
                        ..Default::default()
                    })
                    .collect(),
                summary: a.standfirst.clone().map(atom::Text::plain),
                content: Some(atom::Content {
                    value: Some(content_html(a)),
                    content_type: Some("html".to_owned()),
                    ..Default::default()
                }),
                rights: a.copyright.clone().map(atom::Text::plain),
                ..Default::default()
            };
            if let Some(byline) = &a.byline {
                entry.authors.push(atom::Person {
                    name: byline.clone(),
                    ..Default::default()
                });
            }
            if let Some(hero) = &a.hero {
                entry.links.push(atom::Link {
                    href: hero.url.clone(),
                    rel: "enclosure".to_owned(),
                    mime_type: Some(hero.content_type.clone()),
                    length: Some(hero.bytes.to_string()),
                    ..Default::default()
                });
            }
            entry
        })
        .collect();
    let feed = atom::Feed {
        title: atom::Text::plain(meta.title.clone()),
        id: meta.self_url.clone(),
        updated: newest_update(articles),
        subtitle: Some(atom::Text::plain(meta.description.clone())),
        links: vec![
            atom::Link {
                href: meta.self_url.clone(),
                rel: "self".to_owned(),
                mime_type: Some("application/atom+xml".to_owned()),
                ..Default::default()
            },
            atom::Link {
                href: meta.public_url.clone(),
                rel: "alternate".to_owned(),
                ..Default::default()
            },
        ],
        authors: vec![atom::Person {
            name: meta.title.clone(),
            ..Default::default()
        }],
        generator: Some(atom::Generator {
            value: "newsdesk".to_owned(),
            ..Default::default()
        }),
        entries,
        ..Default::default()
    };
    feed.to_string()
}

/// A JSON Feed 1.1 document.
#[derive(Debug, Serialize, ToSchema)]
pub struct JsonFeed {
    /// Always `https://jsonfeed.org/version/1.1`.
    pub version: String,
    /// Feed title.
    pub title: String,
    /// The site the feed belongs to.
    pub home_page_url: String,
    /// This feed's own URL.
    pub feed_url: String,
    /// What the feed carries.
    pub description: String,
    /// The articles, newest first.
    pub items: Vec<JsonFeedItem>,
}

/// One JSON Feed item.
#[derive(Debug, Serialize, ToSchema)]
pub struct JsonFeedItem {
    /// Stable unique id of the item.
    pub id: String,
    /// Where the article is read.
    pub url: String,
    /// Headline.
    pub title: String,
    /// Body as HTML.
    pub content_html: String,
    /// Standfirst.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Lead photo URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Publication time (RFC 3339).
    pub date_published: String,
    /// Last change (RFC 3339).
    pub date_modified: String,
    /// Byline.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<JsonFeedAuthor>,
    /// Section and tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Language tag.
    pub language: String,
}

/// A JSON Feed author.
#[derive(Debug, Serialize, ToSchema)]
pub struct JsonFeedAuthor {
    /// Name as printed in the byline.
    pub name: String,
}

/// JSON Feed 1.1.
pub fn json_feed(meta: &FeedMeta, articles: &[FeedArticle]) -> JsonFeed {
    JsonFeed {
        version: "https://jsonfeed.org/version/1.1".to_owned(),
        title: meta.title.clone(),
        home_page_url: meta.public_url.clone(),
        feed_url: meta.self_url.clone(),
        description: meta.description.clone(),
        items: articles
            .iter()
            .map(|a| JsonFeedItem {
                id: format!("urn:newsdesk:article:{}", a.id),
                url: article_link(a, &meta.public_url),
                title: a.headline.clone(),
                content_html: content_html(a),
                summary: a.standfirst.clone(),
                image: a.hero.as_ref().map(|h| h.url.clone()),
                date_published: a.published_at.clone(),
                date_modified: a.updated_at.clone(),
                authors: a
                    .byline
                    .iter()
                    .map(|name| JsonFeedAuthor { name: name.clone() })
                    .collect(),
                tags: a.section.iter().chain(a.tags.iter()).cloned().collect(),
                language: a.language.clone(),
            })
            .collect(),
    }
}
