//! Rendering body blocks to sanitised HTML, and to plain text for the search index.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use ammonia::{Url, UrlRelative};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use super::blocks::Block;

/// What a quote block shows: the words and who said them.
#[derive(Debug, Clone, PartialEq)]
pub struct QuoteRef {
    /// The words.
    pub text: String,
    /// The speaker's name.
    pub speaker_name: String,
    /// The speaker's title at the time, or their current title.
    pub speaker_title: Option<String>,
    /// The speaker's organisation.
    pub organization: Option<String>,
}

/// What a media block shows: the picture and its caption and credit.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaRef {
    /// The photo's own caption.
    pub caption: Option<String>,
    /// The credit line.
    pub credit: Option<String>,
    /// Text for readers who cannot see the picture.
    pub alt_text: Option<String>,
    /// Pixel width.
    pub width: i32,
    /// Pixel height.
    pub height: i32,
}

/// The quotes and media the blocks refer to, by id.
#[derive(Debug, Clone, Default)]
pub struct RenderContext {
    /// Quotes by id.
    pub quotes: HashMap<String, QuoteRef>,
    /// Media by id.
    pub media: HashMap<String, MediaRef>,
}

/// The only schemes an absolute link or image address in a body may have.
const URL_SCHEMES: [&str; 3] = ["http", "https", "mailto"];

/// A stand-in origin for judging relative addresses; `.invalid` never resolves.
const SITE: &str = "https://newsdesk.invalid/";

/// The relative-URL policy: a relative address is kept only when, resolved the way a browser
/// resolves it, it stays on the page's own host. That drops protocol-relative addresses in
/// every spelling (`//host`, `/\host`, `\\host`, with leading blanks or tabs) and keeps paths
/// such as the `/v1/media/{id}/file` images the renderer writes.
fn same_site(url: &str) -> Option<Cow<'_, str>> {
    let site = Url::parse(SITE).ok()?;
    let resolved = site.join(url).ok()?;
    (resolved.origin() == site.origin()).then_some(Cow::Borrowed(url))
}

/// Whether a link target survives sanitising: an absolute URL with one of [`URL_SCHEMES`]
/// (parsed as browsers parse it, so case, blanks and control characters do not hide a
/// `javascript:`), or a relative one that [`same_site`] keeps. The sanitiser enforces the same
/// two settings on every URL attribute; this lets [`inline`] leave a refused link's text as
/// plain text instead of an `<a>` without `href`.
fn link_allowed(url: &str) -> bool {
    match Url::parse(url) {
        Ok(absolute) => URL_SCHEMES.contains(&absolute.scheme()),
        Err(ammonia::url::ParseError::RelativeUrlWithoutBase) => same_site(url).is_some(),
        Err(_) => false,
    }
}

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::empty();
    builder
        .tags(HashSet::from([
            "p",
            "h2",
            "h3",
            "h4",
            "em",
            "strong",
            "a",
            "code",
            "br",
            "ul",
            "ol",
            "li",
            "blockquote",
            "footer",
            "cite",
            "span",
            "figure",
            "figcaption",
            "img",
        ]))
        .tag_attributes(HashMap::from([
            ("a", HashSet::from(["href", "title"])),
            ("img", HashSet::from(["src", "alt", "width", "height"])),
            ("blockquote", HashSet::from(["data-quote-id"])),
            ("figure", HashSet::from(["data-media-id"])),
        ]))
        .allowed_classes(HashMap::from([
            ("blockquote", HashSet::from(["quote"])),
            ("figure", HashSet::from(["media"])),
            ("span", HashSet::from(["speaker-title", "credit"])),
        ]))
        .url_schemes(HashSet::from(URL_SCHEMES))
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_relative(UrlRelative::Custom(Box::new(same_site)));
    builder
});

/// Renders inline Markdown (emphasis, strong, links, code) to HTML. Block constructs are
/// flattened to their text, and raw HTML is shown as text, never passed through. A link whose
/// target is refused keeps its text, as plain text.
fn inline(text: &str) -> String {
    // Whether each open link was kept, so its end is kept or dropped with it.
    let mut links: Vec<bool> = Vec::new();
    let events = Parser::new_ext(text, Options::empty()).filter_map(|event| match event {
        Event::Start(Tag::Link { ref dest_url, .. }) => {
            let keep = link_allowed(dest_url);
            links.push(keep);
            keep.then_some(event)
        }
        Event::End(TagEnd::Link) => links.pop().unwrap_or(false).then_some(event),
        Event::Start(Tag::Emphasis | Tag::Strong) => Some(event),
        Event::End(TagEnd::Emphasis | TagEnd::Strong) => Some(event),
        Event::Text(_) | Event::Code(_) => Some(event),
        Event::Html(html) | Event::InlineHtml(html) => Some(Event::Text(html)),
        Event::SoftBreak => Some(Event::Text(" ".into())),
        Event::HardBreak => Some(Event::HardBreak),
        Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => {
            Some(Event::Text(" ".into()))
        }
        _ => None,
    });
    let mut out = String::with_capacity(text.len() + 16);
    pulldown_cmark::html::push_html(&mut out, events);
    out.trim_end().to_owned()
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Renders the blocks to one sanitised HTML fragment.
pub fn render_html(blocks: &[Block], ctx: &RenderContext) -> String {
    let mut html = String::new();
    for block in blocks {
        match block {
            Block::Paragraph { text, .. } => {
                html.push_str(&format!("<p>{}</p>\n", inline(text)));
            }
            Block::Heading { level, text, .. } => {
                html.push_str(&format!("<h{level}>{}</h{level}>\n", inline(text)));
            }
            Block::List { ordered, items, .. } => {
                let tag = if *ordered { "ol" } else { "ul" };
                html.push_str(&format!("<{tag}>"));
                for item in items {
                    html.push_str(&format!("<li>{}</li>", inline(item)));
                }
                html.push_str(&format!("</{tag}>\n"));
            }
            Block::Quote { quote_id, .. } => {
                if let Some(quote) = ctx.quotes.get(quote_id) {
                    let mut who = format!("<cite>{}</cite>", escape(&quote.speaker_name));
                    let role = [
                        quote.speaker_title.as_deref(),
                        quote.organization.as_deref(),
                    ]
                    .into_iter()
                    .flatten()
                    .filter(|s| !s.trim().is_empty())
                    .collect::<Vec<_>>()
                    .join(", ");
                    if !role.is_empty() {
                        who.push_str(&format!(
                            ", <span class=\"speaker-title\">{}</span>",
                            escape(&role)
                        ));
                    }
                    html.push_str(&format!(
                        "<blockquote class=\"quote\" data-quote-id=\"{}\"><p>{}</p><footer>{who}</footer></blockquote>\n",
                        escape(quote_id),
                        escape(&quote.text)
                    ));
                }
            }
            Block::Media {
                media_id, caption, ..
            } => {
                if let Some(media) = ctx.media.get(media_id) {
                    let caption = caption.as_deref().or(media.caption.as_deref());
                    let mut figcaption = String::new();
                    if let Some(caption) = caption.filter(|c| !c.trim().is_empty()) {
                        figcaption.push_str(&inline(caption));
                    }
                    if let Some(credit) = media.credit.as_deref().filter(|c| !c.trim().is_empty()) {
                        if !figcaption.is_empty() {
                            figcaption.push(' ');
                        }
                        figcaption
                            .push_str(&format!("<span class=\"credit\">{}</span>", escape(credit)));
                    }
                    let alt = media.alt_text.as_deref().or(caption).unwrap_or_default();
                    html.push_str(&format!(
                        "<figure class=\"media\" data-media-id=\"{id}\"><img src=\"/v1/media/{id}/file\" alt=\"{alt}\" width=\"{w}\" height=\"{h}\">",
                        id = escape(media_id),
                        alt = escape(alt),
                        w = media.width,
                        h = media.height,
                    ));
                    if !figcaption.is_empty() {
                        html.push_str(&format!("<figcaption>{figcaption}</figcaption>"));
                    }
                    html.push_str("</figure>\n");
                }
            }
        }
    }
    SANITIZER.clean(&html).to_string()
}

/// The words of the blocks (with quoted words and captions), for the search index.
pub fn plain_text(blocks: &[Block], ctx: &RenderContext) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for block in blocks {
        match block {
            Block::Paragraph { text, .. } | Block::Heading { text, .. } => parts.push(text),
            Block::List { items, .. } => parts.extend(items.iter().map(String::as_str)),
            Block::Quote { quote_id, .. } => {
                if let Some(quote) = ctx.quotes.get(quote_id) {
                    parts.push(&quote.text);
                    parts.push(&quote.speaker_name);
                }
            }
            Block::Media {
                media_id, caption, ..
            } => {
                if let Some(caption) = caption {
                    parts.push(caption);
                } else if let Some(caption) =
                    ctx.media.get(media_id).and_then(|m| m.caption.as_deref())
                {
                    parts.push(caption);
                }
            }
        }
    }
    parts.join("\n")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn paragraph(text: &str) -> Block {
        Block::Paragraph {
            id: "p".into(),
            text: text.into(),
        }
    }

    #[test]
    fn inline_markdown_is_rendered_and_raw_html_escaped() {
        let html = render_html(
            &[paragraph(
                "Rates *held* at **4%**, see [the bank](https://bank.example). <script>alert(1)</script>",
            )],
            &RenderContext::default(),
        );
        assert!(html.contains("<em>held</em>"), "{html}");
        assert!(html.contains("<strong>4%</strong>"), "{html}");
        assert!(html.contains("href=\"https://bank.example\""), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn links_off_site_or_with_other_schemes_become_plain_text() {
        let refused = [
            "//evil.example/path",
            "/\\\\evil.example/path",
            "\\\\\\\\evil.example/path",
            "<  //evil.example/path>",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "<\u{1}javascript:alert(1)>",
            "java&#x09;script:alert(1)",
            "data:text/html;base64,PHNjcmlwdD4=",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
            "ftp://files.example/a",
        ];
        for target in refused {
            let html = render_html(
                &[paragraph(&format!("see [the text]({target}) here"))],
                &RenderContext::default(),
            );
            assert!(!html.contains("<a"), "{target:?} gave {html}");
            assert!(!html.contains("href"), "{target:?} gave {html}");
            assert!(!html.contains("evil.example"), "{target:?} gave {html}");
            assert!(html.contains("see the text here"), "{target:?} gave {html}");
        }
    }

    #[test]
    fn http_https_mailto_and_on_site_links_are_kept() {
        for (target, href) in [
            ("https://bank.example/rates", "https://bank.example/rates"),
            ("HTTP://bank.example/", "HTTP://bank.example/"),
            ("mailto:desk@example.com", "mailto:desk@example.com"),
            ("/v1/articles/budget", "/v1/articles/budget"),
        ] {
            let html = render_html(
                &[paragraph(&format!("[text]({target})"))],
                &RenderContext::default(),
            );
            assert!(html.contains(&format!("href=\"{href}\"")), "{html}");
            assert!(html.contains(">text</a>"), "{html}");
        }
    }

    #[test]
    fn the_sanitiser_itself_strips_off_site_and_foreign_scheme_addresses() {
        // Defence in depth: HTML that reached the sanitiser by any path loses such addresses.
        let cleaned = SANITIZER
            .clean(
                "<a href=\"//evil.example/\">a</a><a href=\" javascript:x\">b</a>\
                 <img src=\"/\\evil.example/i.png\"><img src=\"/v1/media/m1/file\">",
            )
            .to_string();
        assert!(!cleaned.contains("evil.example"), "{cleaned}");
        assert!(!cleaned.contains("javascript"), "{cleaned}");
        assert!(cleaned.contains("src=\"/v1/media/m1/file\""), "{cleaned}");
    }

    #[test]
    fn quotes_and_media_render_with_speaker_caption_and_credit() {
        let mut ctx = RenderContext::default();
        ctx.quotes.insert(
            "q1".into(),
            QuoteRef {
                text: "Prices will <fall>.".into(),
                speaker_name: "Ada Ncube".into(),
                speaker_title: Some("chief economist".into()),
                organization: Some("Provincial Development Bank".into()),
            },
        );
        ctx.media.insert(
            "m1".into(),
            MediaRef {
                caption: Some("The harbour at dawn".into()),
                credit: Some("Photo by J. Doe/Agency".into()),
                alt_text: None,
                width: 800,
                height: 600,
            },
        );
        let html = render_html(
            &[
                Block::Quote {
                    id: "a".into(),
                    quote_id: "q1".into(),
                },
                Block::Media {
                    id: "b".into(),
                    media_id: "m1".into(),
                    caption: None,
                },
            ],
            &ctx,
        );
        assert!(html.contains("<blockquote class=\"quote\""), "{html}");
        assert!(html.contains("Prices will &lt;fall&gt;."), "{html}");
        assert!(html.contains("<cite>Ada Ncube</cite>"), "{html}");
        assert!(
            html.contains("chief economist, Provincial Development Bank"),
            "{html}"
        );
        assert!(html.contains("<figure class=\"media\""), "{html}");
        assert!(html.contains("<figcaption>The harbour at dawn"), "{html}");
        assert!(html.contains("Photo by J. Doe/Agency"), "{html}");
        assert!(html.contains("src=\"/v1/media/m1/file\""), "{html}");
    }
}
