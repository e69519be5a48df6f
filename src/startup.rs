//! Building and running the HTTP server.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::{ErrorHandlers, from_fn};
use actix_web::{App, web};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

use crate::api;
use crate::api::ops::ApiDocument;
use crate::config::Settings;
use crate::db::Db;
use crate::http::fallback::{self, RouteTable};
use crate::http::telemetry::{self, Metrics};
use crate::state::AppState;

/// A bound, not yet running, server.
pub struct Application {
    port: u16,
    address: String,
    server: Server,
    state: AppState,
    first_admin_notice: Option<String>,
}

/// Whether the server installs its own SIGTERM/Ctrl-C handlers (tests run many servers in one
/// process and stop them by dropping the runtime).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signals {
    /// Graceful shutdown on SIGTERM, SIGINT and SIGQUIT.
    Handle,
    /// No signal handling.
    Ignore,
}

impl Application {
    /// Opens the database, prepares the state and binds the listener (port 0 picks a free one).
    pub fn build(settings: Settings, signals: Signals) -> anyhow::Result<Self> {
        let db = Db::open(&settings)?;
        let auth = Arc::new(crate::auth::AuthState::new(&settings, &db)?);
        let first_admin_notice = crate::auth::bootstrap::ensure_first_admin(&settings, &db)?;
        let listener = TcpListener::bind(settings.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind))?;
        let local = listener.local_addr()?;
        let address = format!("http://{local}");
        let public_url: Arc<str> = settings
            .public_url
            .clone()
            .unwrap_or_else(|| address.clone())
            .into();
        let crops =
            crate::media::renditions::CropLimit::new(settings.crop_concurrency, settings.crop_wait);
        let state = AppState {
            crops,
            settings: Arc::new(settings),
            db,
            public_url,
            auth,
        };
        let server = run(listener, state.clone(), signals)?;
        Ok(Application {
            port: local.port(),
            address,
            server,
            state,
            first_admin_notice,
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://IP:PORT` of the listener.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The state the server runs with.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The demo admin's generated credentials, when this start created them (print once).
    pub fn first_admin_notice(&self) -> Option<&str> {
        self.first_admin_notice.as_deref()
    }

    /// Serves until shut down (and runs webhook deliveries meanwhile); after SIGTERM, in-flight
    /// requests complete first.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let webhooks = crate::webhooks::spawn_dispatcher(self.state.clone());
        let result = self.server.await;
        webhooks.abort();
        result
    }
}

/// Threads each worker may use for blocking work (database calls, files, images). Database
/// work needs a pooled connection, so threads beyond the pool's size only wait for one; and
/// every thread the pool grows to keeps its own allocator arena, so the default (hundreds)
/// took the server to 200-580 MiB under 64 concurrent signed-in requests in `bench/run`.
fn blocking_threads(settings: &crate::config::Settings) -> usize {
    let workers = if settings.workers > 0 {
        settings.workers
    } else {
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
    };
    usize::try_from(settings.db_pool_size.max(1))
        .unwrap_or(usize::MAX)
        .div_ceil(workers)
        .max(4)
}

fn run(listener: TcpListener, state: AppState, signals: Signals) -> anyhow::Result<Server> {
    let settings = state.settings.clone();
    let document = api::openapi();
    let route_table = web::Data::new(RouteTable::from_openapi(&document));
    let document = web::Data::new(ApiDocument(api::openapi_json().into_bytes()));
    let metrics = web::Data::new(Metrics::new()?);
    let state = web::Data::new(state);
    let response_cache = web::Data::new(crate::http::response_cache::ResponseCache::new(
        settings.response_cache_bytes,
        settings.response_cache_ttl,
    ));
    let max_body = settings.max_body_bytes;

    let mut server = actix_web::HttpServer::new(move || {
        let json_config = web::JsonConfig::default()
            .limit(max_body)
            .error_handler(fallback::json_error)
            // application/json and any +json type (e.g. application/merge-patch+json for PATCH).
            .content_type(|mime| {
                mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json")
            });
        App::new()
            .into_utoipa_app()
            .app_data(state.clone())
            .app_data(response_cache.clone())
            .app_data(metrics.clone())
            .app_data(document.clone())
            .app_data(route_table.clone())
            .app_data(json_config)
            .app_data(web::QueryConfig::default().error_handler(fallback::query_error))
            .app_data(web::PathConfig::default().error_handler(fallback::path_error))
            .configure(api::routes)
            .into_app()
            .configure(crate::bench::routes)
            .service(web::redirect("/docs", "/docs/"))
            .service(
                SwaggerUi::new("/docs/{_:.*}").config(
                    SwaggerConfig::new(["/openapi.json"])
                        .persist_authorization(true)
                        .display_request_duration(true),
                ),
            )
            .default_service(web::to(fallback::unmatched))
            .wrap(from_fn(crate::http::json_depth::middleware))
            .wrap(from_fn(crate::http::idempotency::middleware))
            .wrap(from_fn(crate::http::response_cache::middleware))
            .wrap(from_fn(crate::auth::guard::guard))
            .wrap(ErrorHandlers::new().default_handler(fallback::problem_for_plain_errors))
            .wrap(from_fn(crate::http::coding::middleware))
            .wrap(public_cors())
            .wrap(from_fn(telemetry::observe))
            .wrap(from_fn(crate::http::security_headers::middleware))
    })
    .listen(listener)?
    .shutdown_timeout(settings.shutdown_timeout.as_secs())
    .client_request_timeout(settings.client_timeout)
    .client_disconnect_timeout(std::time::Duration::from_secs(1));
    if settings.workers > 0 {
        server = server.workers(settings.workers);
    }
    server = server.worker_max_blocking_threads(blocking_threads(&settings));
    if signals == Signals::Ignore {
        server = server.disable_signals();
    }
    Ok(server.run())
}

/// CORS for public reads: any origin may GET and HEAD, and see the caching and paging headers.
fn public_cors() -> actix_cors::Cors {
    actix_cors::Cors::default()
        .allow_any_origin()
        .send_wildcard()
        .allowed_methods(["GET", "HEAD"])
        .allow_any_header()
        .expose_headers([
            "etag",
            "last-modified",
            "link",
            "location",
            "retry-after",
            "ratelimit",
            "ratelimit-policy",
        ])
        .max_age(3600)
}
