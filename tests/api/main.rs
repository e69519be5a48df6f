//! End-to-end tests: each starts the real server on a free loopback port with its own database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod article_lists;
mod articles;
mod auth;
mod bodies;
mod changes;
mod conditional;
mod feeds;
mod fixtures;
mod helpers;
mod media;
mod ops;
mod pagination;
mod photos;
mod policy;
mod quotes;
mod response_cache;
mod schemas;
mod search;
mod security;
mod speakers;
mod visibility;
mod webhooks;
