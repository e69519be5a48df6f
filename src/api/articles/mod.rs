//! Articles: the response and request types, who may see and change what, and the checks every
//! write runs. Handlers live in the submodules, one file per kind of action.

pub mod include;
pub mod lifecycle;
pub mod read;
pub mod revisions;
pub mod write;

use crate::error::ApiError;

pub use crate::views::articles::Included;
pub use crate::views::articles::{
    Article, ArticleLinks, ArticleSummary, Correction, SUMMARY_FIELDS, article_from_row,
    last_modified, summary_from_row,
};

/// Reads an optional JSON body: empty is `None`; otherwise it must be valid JSON of the right
/// shape (unknown fields are a 422 naming the field, like every other body).
pub fn optional_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<Option<T>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(bytes).map(Some).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => {
                let message = e.to_string();
                let field = message
                    .split('`')
                    .nth(1)
                    .filter(|_| message.starts_with("unknown field"))
                    .unwrap_or("body")
                    .to_owned();
                ApiError::invalid(vec![crate::error::FieldError::new(field, message)])
            }
            _ => ApiError::bad_request(format!("the body is not valid JSON: {e}")),
        }
    })
}
