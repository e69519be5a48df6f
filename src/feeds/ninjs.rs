//! IPTC ninjs (News in JSON): version 3.1 by default, 2.2 on request.

use serde::Serialize;
use utoipa::ToSchema;

use super::FeedArticle;
use super::formats::article_link;

/// ninjs versions newsdesk writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NinjsVersion {
    /// ninjs 3.1 (camelCase property names).
    V3_1,
    /// ninjs 2.2 (lower-case property names).
    V2_2,
}

impl NinjsVersion {
    /// Reads the `version` query parameter.
    pub fn parse(value: Option<&str>) -> Result<Self, crate::error::ApiError> {
        match value {
            None | Some("3.1") => Ok(NinjsVersion::V3_1),
            Some("2.2") => Ok(NinjsVersion::V2_2),
            Some(_) => Err(crate::error::ApiError::bad_field(
                "version",
                "must be 3.1 or 2.2",
            )),
        }
    }
}

/// A ninjs news item (shown with 3.1 property names; 2.2 uses the same names in lower case,
/// and `embargoed` for `embargoedUntil`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Ninjs {
    /// Global identifier of the item.
    pub uri: String,
    /// `text` for articles, `picture` for photos.
    #[serde(rename = "type")]
    pub kind: String,
    /// The standard and version this item follows.
    pub standard: NinjsStandard,
    /// The article's version number.
    pub version: String,
    /// First created.
    pub first_created: String,
    /// This version created.
    pub version_created: String,
    /// Embargo end, when embargoed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embargoed_until: Option<String>,
    /// Always `usable` for published items.
    pub pub_status: String,
    /// Language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Headline.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headlines: Vec<NinjsText>,
    /// Standfirst.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub descriptions: Vec<NinjsText>,
    /// The body as HTML.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bodies: Vec<NinjsText>,
    /// Byline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// Dateline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub located: Option<String>,
    /// Slug.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slugline: Option<String>,
    /// Copyright notice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copyright_notice: Option<String>,
    /// People quoted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub people: Vec<NinjsPerson>,
    /// Section and tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<NinjsSubject>,
    /// The source outlet or agency.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub info_sources: Vec<NinjsSource>,
    /// Files of a picture item.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub renditions: Vec<NinjsRendition>,
    /// The lead photo, as an associated picture item.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub associations: Vec<NinjsAssociation>,
}

/// `standard` of a ninjs item.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NinjsStandard {
    /// `ninjs`.
    pub name: String,
    /// `3.1` or `2.2`.
    pub version: String,
    /// The JSON schema the item is valid against.
    pub schema: String,
}

/// A text with a role and content type.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NinjsText {
    /// Role, e.g. `main`.
    pub role: String,
    /// `text/plain` or `text/html`.
    pub content_type: String,
    /// The text.
    pub value: String,
}

/// A person.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NinjsPerson {
    /// Name.
    pub name: String,
    /// `quoted`.
    pub rel: String,
    /// Identifier of the speaker.
    pub uri: String,
    /// Title and organisation, as printed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub literal: Option<String>,
}

/// A subject (section or tag).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NinjsSubject {
    /// Name.
    pub name: String,
    /// `section` or `tag`.
    pub rel: String,
}

/// An information source.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NinjsSource {
    /// Name of the outlet or agency.
    pub name: String,
    /// `source`.
    pub role: String,
}

/// A rendition of a picture.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NinjsRendition {
    /// `original`.
    pub name: String,
    /// URL of the file.
    pub href: String,
    /// Media type.
    pub content_type: String,
    /// Width in pixels.
    pub width: i32,
    /// Height in pixels.
    pub height: i32,
    /// Size in bytes.
    pub size_in_bytes: i64,
}

/// An associated picture.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NinjsAssociation {
    /// `featureimage`.
    pub name: String,
    /// Global identifier of the picture.
    pub uri: String,
    /// `picture`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Caption.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub descriptions: Vec<NinjsText>,
    /// Credit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// Copyright notice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copyright_notice: Option<String>,
    /// The file.
    pub renditions: Vec<NinjsRendition>,
}

/// A list of ninjs items.
#[derive(Debug, Serialize, ToSchema)]
pub struct NinjsFeed {
    /// The items, newest first.
    pub data: Vec<serde_json::Value>,
}

fn text(role: &str, content_type: &str, value: &str) -> NinjsText {
    NinjsText {
        role: role.to_owned(),
        content_type: content_type.to_owned(),
        value: value.to_owned(),
    }
}

/// The ninjs item for an article.
pub fn article_item(
    article: &FeedArticle,
    public_url: &str,
    version: NinjsVersion,
) -> serde_json::Value {
    let mut subjects: Vec<NinjsSubject> = Vec::new();
    if let Some(section) = &article.section {
        subjects.push(NinjsSubject {
            name: section.clone(),
            rel: "section".to_owned(),
        });
    }
    subjects.extend(article.tags.iter().map(|t| NinjsSubject {
        name: t.clone(),
        rel: "tag".to_owned(),
    }));
    let item = Ninjs {
        uri: article_link(article, public_url),
        kind: "text".to_owned(),
        standard: standard(version),
        version: article.version.to_string(),
        first_created: article.created_at.clone(),
        version_created: article.updated_at.clone(),
        embargoed_until: article.embargo_until.clone(),
        pub_status: "usable".to_owned(),
        language: Some(article.language.clone()),
        headlines: vec![text("main", "text/plain", &article.headline)],
        descriptions: article
            .standfirst
            .iter()
            .map(|s| text("summary", "text/plain", s))
            .collect(),
        bodies: vec![text("main", "text/html", &article.body_html)],
        by: article.byline.clone(),
        located: article.dateline.clone(),
        slugline: Some(article.slug.clone()),
        copyright_notice: article.copyright.clone(),
        people: article
            .people
            .iter()
            .map(|p| NinjsPerson {
                name: p.name.clone(),
                rel: "quoted".to_owned(),
                uri: format!("{public_url}/v1/speakers/{}", p.id),
                literal: match (&p.title, &p.organization) {
                    (Some(t), Some(o)) => Some(format!("{t}, {o}")),
                    (Some(t), None) => Some(t.clone()),
                    (None, Some(o)) => Some(o.clone()),
                    (None, None) => None,
                },
            })
            .collect(),
        subjects,
        info_sources: article
            .source
            .iter()
            .map(|s| NinjsSource {
                name: s.clone(),
                role: "source".to_owned(),
            })
            .collect(),
        renditions: Vec::new(),
        associations: article
            .hero
            .iter()
            .map(|h| NinjsAssociation {
                name: "featureimage".to_owned(),
                uri: format!("{public_url}/v1/media/{}", h.id),
                kind: "picture".to_owned(),
                descriptions: h
                    .caption
                    .iter()
                    .map(|c| text("caption", "text/plain", c))
                    .collect(),
                by: h.credit.clone(),
                copyright_notice: h.copyright.clone(),
                renditions: vec![NinjsRendition {
                    name: "original".to_owned(),
                    href: h.url.clone(),
                    content_type: h.content_type.clone(),
                    width: h.width,
                    height: h.height,
                    size_in_bytes: h.bytes,
                }],
            })
            .collect(),
    };
    let value = serde_json::to_value(item).unwrap_or_default();
    match version {
        NinjsVersion::V3_1 => value,
        NinjsVersion::V2_2 => to_v2(value),
    }
}

fn standard(version: NinjsVersion) -> NinjsStandard {
    let (v, schema) = match version {
        NinjsVersion::V3_1 => (
            "3.1",
            "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json#",
        ),
        NinjsVersion::V2_2 => (
            "2.2",
            "http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json#",
        ),
    };
    NinjsStandard {
        name: "ninjs".to_owned(),
        version: v.to_owned(),
        schema: schema.to_owned(),
    }
}

/// ninjs 2.2 spells every property in lower case and calls the embargo `embargoed`.
fn to_v2(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let key = if k == "embargoedUntil" {
                        "embargoed".to_owned()
                    } else {
                        k.to_ascii_lowercase()
                    };
                    (key, to_v2(v))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(to_v2).collect()),
        other => other,
    }
}
