//! Syndication: RSS 2.0, Atom 1.0, JSON Feed 1.1 and IPTC ninjs, built from publicly visible
//! articles with a fixed number of queries whatever the feed's length.

pub mod formats;
pub mod ninjs;
pub mod query;

pub use query::{FeedArticle, FeedFilter, FeedMedia, FeedPerson, load_feed};
