//! The content core: the rules of the newsroom, written once and shared by the HTTP handlers,
//! the command line and every read path. Every operation on articles, speakers, quotes and
//! photos lives here; handlers only parse requests, call these with the caller and shape the
//! answer.

pub mod articles;
pub mod changes;
pub mod clock;
pub mod feed;
pub mod media;
pub mod policy;
pub mod quotes;
pub mod revisions;
pub mod slugs;
pub mod speakers;
pub mod story;
pub mod visibility;
