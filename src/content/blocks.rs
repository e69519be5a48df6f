//! The body block types and their validation.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::error::FieldError;

/// Longest text a paragraph, heading, caption or list item may hold.
pub const MAX_TEXT: usize = 20_000;
/// Most blocks an article body may hold.
pub const MAX_BLOCKS: usize = 1_000;

/// One block of an article body. Every block has a stable `id` (given by the client or made up
/// by the server on first save) and a `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
#[schema(example = json!({"id": "b1", "type": "paragraph", "text": "Rates were left *unchanged* on Tuesday."}))]
pub enum Block {
    /// A paragraph of text with inline Markdown (emphasis, strong, links).
    Paragraph {
        /// Stable id of the block within the article.
        id: String,
        /// The text; raw HTML is escaped.
        text: String,
    },
    /// A heading of level 2 to 4.
    Heading {
        /// Stable id of the block within the article.
        id: String,
        /// 2, 3 or 4.
        #[schema(minimum = 2, maximum = 4)]
        level: u8,
        /// The heading text, with inline Markdown.
        text: String,
    },
    /// A quote, by reference to a stored quote.
    Quote {
        /// Stable id of the block within the article.
        id: String,
        /// Id of an existing quote.
        quote_id: String,
    },
    /// A photo, by reference to a stored media item.
    Media {
        /// Stable id of the block within the article.
        id: String,
        /// Id of an existing media item.
        media_id: String,
        /// A caption for this use of the photo; the photo's own caption otherwise.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caption: Option<String>,
    },
    /// A bulleted or numbered list.
    List {
        /// Stable id of the block within the article.
        id: String,
        /// Numbered when true.
        ordered: bool,
        /// The items, each with inline Markdown.
        items: Vec<String>,
    },
}

/// A body block as sent on write: like [`Block`], but `id` may be left out (the server makes
/// one up) — send it back unchanged to keep a block's id stable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
#[schema(example = json!({"type": "heading", "level": 2, "text": "What happens next"}))]
pub enum NewBlock {
    /// A paragraph of text with inline Markdown (emphasis, strong, links).
    Paragraph {
        /// Keep a block's id by sending it back; absent on a new block.
        #[serde(default)]
        id: Option<String>,
        /// The text; raw HTML is escaped.
        #[schema(min_length = 1)]
        text: String,
    },
    /// A heading of level 2 to 4.
    Heading {
        /// Keep a block's id by sending it back; absent on a new block.
        #[serde(default)]
        id: Option<String>,
        /// 2, 3 or 4.
        #[schema(minimum = 2, maximum = 4)]
        level: u8,
        /// The heading text, with inline Markdown.
        #[schema(min_length = 1)]
        text: String,
    },
    /// A quote, by reference to a stored quote.
    Quote {
        /// Keep a block's id by sending it back; absent on a new block.
        #[serde(default)]
        id: Option<String>,
        /// Id of an existing quote.
        quote_id: String,
    },
    /// A photo, by reference to a stored media item.
    Media {
        /// Keep a block's id by sending it back; absent on a new block.
        #[serde(default)]
        id: Option<String>,
        /// Id of an existing media item.
        media_id: String,
        /// A caption for this use of the photo; the photo's own caption otherwise.
        #[serde(default)]
        caption: Option<String>,
    },
    /// A bulleted or numbered list.
    List {
        /// Keep a block's id by sending it back; absent on a new block.
        #[serde(default)]
        id: Option<String>,
        /// Numbered when true (default false).
        #[serde(default)]
        ordered: Option<bool>,
        /// The items, each with inline Markdown.
        #[schema(min_items = 1)]
        items: Vec<String>,
    },
}

impl Block {
    /// The block's stable id.
    pub fn id(&self) -> &str {
        match self {
            Block::Paragraph { id, .. }
            | Block::Heading { id, .. }
            | Block::Quote { id, .. }
            | Block::Media { id, .. }
            | Block::List { id, .. } => id,
        }
    }
}

/// A fresh block id: short, random, URL-safe.
fn new_block_id() -> String {
    format!("b{:012x}", rand::random::<u64>() & 0xffff_ffff_ffff)
}

fn valid_block_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Reads a client's body array into typed blocks, naming each fault by its place
/// (`body[2].text`). References to quotes and media are checked against the database
/// separately (see [`references`]).
pub fn parse_blocks(value: &Value) -> Result<Vec<Block>, Vec<FieldError>> {
    let Value::Array(items) = value else {
        return Err(vec![FieldError::new("body", "must be an array of blocks")]);
    };
    if items.len() > MAX_BLOCKS {
        return Err(vec![FieldError::new(
            "body",
            format!(
                "holds {} blocks; at most {MAX_BLOCKS} are allowed",
                items.len()
            ),
        )]);
    }
    let mut errors = Vec::new();
    let mut blocks = Vec::with_capacity(items.len());
    let mut seen_ids: Vec<String> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let at = format!("body[{index}]");
        let Value::Object(map) = item else {
            errors.push(FieldError::new(at, "must be an object with a `type`"));
            continue;
        };
        match parse_block(&at, map, &mut errors) {
            Some(block) => {
                if seen_ids.iter().any(|id| id == block.id()) {
                    errors.push(FieldError::new(
                        format!("{at}.id"),
                        "is used by an earlier block; block ids must be unique",
                    ));
                }
                seen_ids.push(block.id().to_owned());
                blocks.push(block);
            }
            None => continue,
        }
    }
    if errors.is_empty() {
        Ok(blocks)
    } else {
        Err(errors)
    }
}

fn parse_block(at: &str, map: &Map<String, Value>, errors: &mut Vec<FieldError>) -> Option<Block> {
    let before = errors.len();
    let kind = match map.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        Some(_) => {
            errors.push(FieldError::new(format!("{at}.type"), "must be a string"));
            return None;
        }
        None => {
            errors.push(FieldError::new(format!("{at}.type"), "is required"));
            return None;
        }
    };
    let allowed: &[&str] = match kind {
        "paragraph" => &["id", "type", "text"],
        "heading" => &["id", "type", "level", "text"],
        "quote" => &["id", "type", "quote_id"],
        "media" => &["id", "type", "media_id", "caption"],
        "list" => &["id", "type", "ordered", "items"],
        other => {
            errors.push(FieldError::new(
                format!("{at}.type"),
                format!(
                    "`{other}` is not a block type; use paragraph, heading, quote, media or list"
                ),
            ));
            return None;
        }
    };
    for key in map.keys() {
        if !allowed.contains(&key.as_str()) {
            errors.push(FieldError::new(
                format!("{at}.{key}"),
                format!("is not a field of a {kind} block"),
            ));
        }
    }
    let id = match map.get("id") {
        None | Some(Value::Null) => new_block_id(),
        Some(Value::String(id)) if valid_block_id(id) => id.clone(),
        Some(_) => {
            errors.push(FieldError::new(
                format!("{at}.id"),
                "must be 1 to 64 letters, digits, `-` or `_`",
            ));
            String::new()
        }
    };
    let block = match kind {
        "paragraph" => Block::Paragraph {
            id,
            text: text_field(at, map, "text", errors),
        },
        "heading" => {
            let level = match map.get("level") {
                Some(Value::Number(n)) if n.as_u64().is_some_and(|l| (2..=4).contains(&l)) => {
                    n.as_u64().unwrap_or(2) as u8
                }
                Some(_) => {
                    errors.push(FieldError::new(format!("{at}.level"), "must be 2, 3 or 4"));
                    0
                }
                None => {
                    errors.push(FieldError::new(format!("{at}.level"), "is required"));
                    0
                }
            };
            Block::Heading {
                id,
                level,
                text: text_field(at, map, "text", errors),
            }
        }
        "quote" => Block::Quote {
            id,
            quote_id: id_field(at, map, "quote_id", errors),
        },
        "media" => {
            let caption = match map.get("caption") {
                None | Some(Value::Null) => None,
                Some(_) => Some(text_field(at, map, "caption", errors)),
            };
            Block::Media {
                id,
                media_id: id_field(at, map, "media_id", errors),
                caption,
            }
        }
        _ => {
            let ordered = match map.get("ordered") {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => {
                    errors.push(FieldError::new(
                        format!("{at}.ordered"),
                        "must be true or false",
                    ));
                    false
                }
            };
            let items = match map.get("items") {
                Some(Value::Array(items)) if !items.is_empty() => items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| match item {
                        Value::String(s) if !s.trim().is_empty() && s.len() <= MAX_TEXT => {
                            s.clone()
                        }
                        _ => {
                            errors.push(FieldError::new(
                                format!("{at}.items[{i}]"),
                                "must be a non-empty string",
                            ));
                            String::new()
                        }
                    })
                    .collect(),
                Some(_) => {
                    errors.push(FieldError::new(
                        format!("{at}.items"),
                        "must be a non-empty array of strings",
                    ));
                    Vec::new()
                }
                None => {
                    errors.push(FieldError::new(format!("{at}.items"), "is required"));
                    Vec::new()
                }
            };
            Block::List { id, ordered, items }
        }
    };
    (errors.len() == before).then_some(block)
}

fn text_field(
    at: &str,
    map: &Map<String, Value>,
    name: &str,
    errors: &mut Vec<FieldError>,
) -> String {
    match map.get(name) {
        Some(Value::String(text)) if text.trim().is_empty() => {
            errors.push(FieldError::new(format!("{at}.{name}"), "must not be empty"));
            String::new()
        }
        Some(Value::String(text)) if text.len() > MAX_TEXT => {
            errors.push(FieldError::new(
                format!("{at}.{name}"),
                format!("must be at most {MAX_TEXT} bytes"),
            ));
            String::new()
        }
        Some(Value::String(text)) => text.clone(),
        Some(_) => {
            errors.push(FieldError::new(format!("{at}.{name}"), "must be a string"));
            String::new()
        }
        None => {
            errors.push(FieldError::new(format!("{at}.{name}"), "is required"));
            String::new()
        }
    }
}

fn id_field(
    at: &str,
    map: &Map<String, Value>,
    name: &str,
    errors: &mut Vec<FieldError>,
) -> String {
    match map.get(name) {
        Some(Value::String(id)) if !id.is_empty() && id.len() <= 200 => id.clone(),
        Some(_) => {
            errors.push(FieldError::new(
                format!("{at}.{name}"),
                "must be the id of an existing item",
            ));
            String::new()
        }
        None => {
            errors.push(FieldError::new(format!("{at}.{name}"), "is required"));
            String::new()
        }
    }
}

/// Ids referred to by blocks, each with the index of its block.
pub type References = Vec<(usize, String)>;

/// The quote ids and media ids the blocks refer to, each with the index of its first block.
pub fn references(blocks: &[Block]) -> (References, References) {
    let mut quotes = Vec::new();
    let mut media = Vec::new();
    for (index, block) in blocks.iter().enumerate() {
        match block {
            Block::Quote { quote_id, .. } => quotes.push((index, quote_id.clone())),
            Block::Media { media_id, .. } => media.push((index, media_id.clone())),
            _ => {}
        }
    }
    (quotes, media)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn valid_blocks_are_typed_and_given_ids() {
        let blocks = parse_blocks(&json!([
            {"type": "paragraph", "text": "Hello"},
            {"id": "h", "type": "heading", "level": 3, "text": "Next"},
            {"type": "list", "ordered": true, "items": ["a", "b"]},
        ]))
        .unwrap();
        assert_eq!(blocks.len(), 3);
        assert!(blocks[0].id().starts_with('b'));
        assert_eq!(blocks[1].id(), "h");
    }

    #[test]
    fn faults_are_named_by_block_and_field() {
        let errors = parse_blocks(&json!([
            {"type": "paragraph", "text": "  "},
            {"type": "heading", "level": 7, "text": "x"},
            {"type": "video", "url": "x"},
            {"type": "quote"},
            {"type": "paragraph", "text": "x", "colour": "red"},
        ]))
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "body[0].text",
                "body[1].level",
                "body[2].type",
                "body[3].quote_id",
                "body[4].colour"
            ]
        );
    }

    #[test]
    fn duplicate_block_ids_are_refused() {
        let errors = parse_blocks(&json!([
            {"id": "a", "type": "paragraph", "text": "x"},
            {"id": "a", "type": "paragraph", "text": "y"},
        ]))
        .unwrap_err();
        assert_eq!(errors[0].field, "body[1].id");
    }
}
