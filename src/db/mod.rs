//! Storage: the SQLite connection pool and the one gateway every database call goes through.

pub mod api_keys;
pub mod articles;
pub mod content_support;
pub mod idempotency;
pub mod media;
pub mod quotes;
pub mod refresh_tokens;
pub mod schema;
pub mod search;
pub mod speakers;
pub mod users;
pub mod webhooks;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::{DatabaseUrl, Settings};
use crate::error::ApiError;

/// The migrations compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// A pooled SQLite connection.
pub type Conn = PooledConnection<ConnectionManager<SqliteConnection>>;

/// Sets the per-connection pragmas on every connection the pool opens.
#[derive(Debug, Clone)]
struct Pragmas {
    busy_timeout: Duration,
    queries: Arc<AtomicU64>,
}

/// Counts the statements a connection runs, into the gateway's shared counter.
struct QueryCounter(Arc<AtomicU64>);

impl Instrumentation for QueryCounter {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { .. } = event
            && !UNCOUNTED.with(std::cell::Cell::get)
        {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

thread_local! {
    /// Set while background work runs on this blocking thread, so its statements stay out of
    /// the per-request query counts.
    static UNCOUNTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Marks the current thread's statements as background work until dropped.
struct Uncounted;

impl Uncounted {
    fn start() -> Uncounted {
        UNCOUNTED.with(|flag| flag.set(true));
        Uncounted
    }
}

impl Drop for Uncounted {
    fn drop(&mut self) {
        UNCOUNTED.with(|flag| flag.set(false));
    }
}

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for Pragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        // WAL lets readers go on while one writer commits; FULL makes every acknowledged
        // commit durable across a power cut or kill -9.
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = {};
             PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;",
            self.busy_timeout.as_millis()
        ))
        .map_err(diesel::r2d2::Error::QueryError)?;
        // Counted from here on, so the pragmas above do not show up in per-request counts.
        conn.set_instrumentation(QueryCounter(self.queries.clone()));
        Ok(())
    }
}

/// The database gateway: owns the pool and runs every query on the blocking thread pool.
#[derive(Clone)]
pub struct Db {
    pool: Pool<ConnectionManager<SqliteConnection>>,
    queries: Arc<AtomicU64>,
    writes: Arc<AtomicU64>,
}

impl Db {
    /// Opens (creating if needed) the database named in the settings and applies migrations.
    pub fn open(settings: &Settings) -> anyhow::Result<Self> {
        let DatabaseUrl::Sqlite(path) = &settings.database;
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)?;
        }
        let manager = ConnectionManager::<SqliteConnection>::new(path.to_string_lossy());
        let queries = Arc::new(AtomicU64::new(0));
        let pool = Pool::builder()
            .max_size(settings.db_pool_size.max(1))
            // Open one connection up front and the rest as load asks for them: start-up then
            // costs one open, not a pool's worth racing to switch a new file to WAL.
            .min_idle(Some(1))
            .connection_timeout(settings.db_busy_timeout.max(Duration::from_millis(250)))
            // A local SQLite file cannot drop a connection the way a server can, so the
            // `SELECT 1` r2d2 would otherwise run before every checkout is pure overhead.
            .test_on_check_out(false)
            .connection_customizer(Box::new(Pragmas {
                busy_timeout: settings.db_busy_timeout,
                queries: queries.clone(),
            }))
            .build(manager)?;
        let db = Db {
            pool,
            queries,
            writes: Arc::new(AtomicU64::new(0)),
        };
        db.migrate()?;
        Ok(db)
    }

    /// Applies every pending embedded migration; returns how many ran.
    pub fn migrate(&self) -> anyhow::Result<usize> {
        let mut conn = self.pool.get()?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
        Ok(applied.len())
    }

    /// A connection for synchronous callers (the CLI and start-up), never on an async worker.
    pub fn conn(&self) -> Result<Conn, ApiError> {
        Ok(self.pool.get()?)
    }

    /// Runs a read on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut SqliteConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        actix_web::web::block(move || {
            let _entered = span.enter();
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }

    /// Runs a write in a `BEGIN IMMEDIATE` transaction on the blocking pool: it either
    /// commits whole or leaves nothing behind.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut SqliteConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        let outcome = actix_web::web::block(move || {
            let _entered = span.enter();
            let mut conn = pool.get()?;
            conn.immediate_transaction(f)
        })
        .await;
        self.writes.fetch_add(1, Ordering::Release);
        outcome?
    }

    /// Like [`Db::read`], for background work (the webhook dispatcher): its statements are not
    /// counted in [`Db::queries_run`], so per-request query counts stay exact while it polls.
    pub async fn read_in_background<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut SqliteConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        actix_web::web::block(move || {
            let _entered = span.enter();
            let _uncounted = Uncounted::start();
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }

    /// Like [`Db::write`], for background work; see [`Db::read_in_background`].
    pub async fn write_in_background<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut SqliteConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        let outcome = actix_web::web::block(move || {
            let _entered = span.enter();
            let _uncounted = Uncounted::start();
            let mut conn = pool.get()?;
            conn.immediate_transaction(f)
        })
        .await;
        self.writes.fetch_add(1, Ordering::Release);
        outcome?
    }

    /// How many write transactions have finished through this gateway (committed or not). A
    /// reader that notes it before reading and finds it unchanged later knows that nothing it
    /// read has been changed by this server since: the response cache keys on it.
    pub fn writes_finished(&self) -> u64 {
        self.writes.load(Ordering::Acquire)
    }

    /// How many SQL statements have run through this gateway's connections since it opened
    /// (tests compare it before and after a request to check a fixed number of queries).
    pub fn queries_run(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    /// Answers whether the database responds to a trivial query.
    pub async fn ping(&self) -> Result<(), ApiError> {
        self.read(|conn| {
            diesel::sql_query("SELECT 1").execute(conn)?;
            Ok(())
        })
        .await
    }
}
