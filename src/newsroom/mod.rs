//! The content core: the rules of the newsroom, written once and shared by the HTTP handlers,
//! the command line and every read path.

pub mod feed;
pub mod story;
pub mod visibility;
