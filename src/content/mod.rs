//! Article bodies: the block types, their validation on write and their rendering to sanitised
//! HTML (done once, when an article is saved, never on a read).

pub mod blocks;
pub mod render;

pub use blocks::{Block, parse_blocks};
pub use render::{MediaRef, QuoteRef, RenderContext, plain_text, render_html};
