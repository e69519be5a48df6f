//! newsdesk: a headless JSON/REST content API for news.
//!
//! The binary in `main.rs` only parses the command line; everything else lives here so tests can
//! start the real server in-process.

pub mod api;
pub mod auth;
pub mod bench;
pub mod cli;
pub mod config;
pub mod content;
pub mod db;
pub mod demo;
pub mod error;
pub mod feeds;
pub mod http;
pub mod ids;
pub mod imaging;
pub mod logging;
pub mod media;
pub mod newsroom;
pub mod startup;
pub mod state;
pub mod time;
pub mod transfer;
pub mod views;
pub mod webhooks;
