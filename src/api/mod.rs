//! The HTTP API: the one route table, from which the OpenAPI document is also collected.

pub mod api_keys;
pub mod articles;
pub mod auth;
pub mod changes;
pub mod doc;
pub mod feeds;
pub mod media;
pub mod ops;
pub mod pagination;
pub mod patch;
pub mod query;
pub mod quotes;
pub mod search;
pub mod speakers;
pub mod taxonomy;
pub mod users;
pub mod webhooks;

use actix_web::App;
use utoipa::openapi::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every documented endpoint. The same function serves the live app and the
/// document, so they cannot drift apart.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(ops::healthz)
        .service(ops::readyz)
        .service(ops::metrics)
        .service(ops::openapi_json)
        .service(changes::list_changes)
        .service(feeds::get_rss_feed)
        .service(feeds::get_atom_feed)
        .service(feeds::get_json_feed)
        .service(feeds::get_ninjs_feed)
        .service(feeds::get_article_ninjs)
        .service(auth::issue_token)
        .service(auth::get_me)
        .service(auth::refresh_token)
        .service(auth::logout)
        .service(auth::change_password)
        .service(users::list_users)
        .service(users::create_user)
        .service(users::get_user)
        .service(users::update_user)
        .service(api_keys::list_api_keys)
        .service(api_keys::create_api_key)
        .service(api_keys::get_api_key)
        .service(api_keys::revoke_api_key);
    cfg.service(speakers::list_speakers)
        .service(speakers::create_speaker)
        .service(speakers::get_speaker)
        .service(speakers::update_speaker)
        .service(speakers::delete_speaker)
        .service(quotes::list_speaker_quotes)
        .service(speakers::list_speaker_articles);
    cfg.service(quotes::list_quotes)
        .service(quotes::create_quote)
        .service(quotes::get_quote)
        .service(quotes::update_quote)
        .service(quotes::delete_quote);
    cfg.service(media::list_media)
        .service(media::create_media)
        .service(media::get_media)
        .service(media::get_media_file)
        .service(media::get_media_usage)
        .service(media::update_media)
        .service(media::delete_media);
    cfg.service(articles::read::list_articles)
        .service(articles::write::create_article)
        .service(articles::read::get_article)
        .service(articles::write::update_article)
        .service(articles::write::delete_article)
        .service(articles::lifecycle::publish_article)
        .service(articles::lifecycle::unpublish_article)
        .service(articles::lifecycle::archive_article)
        .service(articles::lifecycle::create_correction)
        .service(articles::revisions::list_article_revisions)
        .service(articles::revisions::get_article_revision)
        .service(taxonomy::list_sections)
        .service(taxonomy::list_tags);
    cfg.service(search::search_content);
    cfg.service(webhooks::list_webhooks)
        .service(webhooks::create_webhook)
        .service(webhooks::get_webhook)
        .service(webhooks::delete_webhook)
        .service(webhooks::list_webhook_deliveries);
}

/// The complete OpenAPI document, built from the route table without starting a server.
pub fn openapi() -> OpenApi {
    let (_, collected) = App::new()
        .into_utoipa_app()
        .configure(routes)
        .split_for_parts();
    doc::finish(collected)
}

/// The document as pretty-printed JSON with a trailing newline, as committed in `openapi/`.
pub fn openapi_json() -> String {
    let mut text = serde_json::to_string_pretty(&openapi()).unwrap_or_default();
    text.push('\n');
    text
}
