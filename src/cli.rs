//! The command line: `serve` (the default), `migrate` and `openapi`.

use std::io::Write;

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::db::Db;
use crate::startup::{Application, Signals};

/// newsdesk: a headless content API for news.
#[derive(Debug, Parser)]
#[command(name = "newsdesk", version, about)]
pub struct Cli {
    /// What to do; without a command, serve.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Create the database if needed and apply pending migrations, then exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
}

/// Runs the parsed command line; the exit code is 0 on success.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Openapi => {
            let mut out = std::io::stdout().lock();
            out.write_all(crate::api::openapi_json().as_bytes())?;
            out.flush()?;
            Ok(())
        }
        Command::Migrate => {
            let settings = load_settings()?;
            crate::logging::init(settings.log_format);
            let db = Db::open(&settings)?;
            let applied = db.migrate()?;
            println!("database is up to date ({applied} migrations applied now)");
            Ok(())
        }
        Command::Serve => {
            let settings = load_settings()?;
            crate::logging::init(settings.log_format);
            actix_web::rt::System::new().block_on(serve(settings))
        }
    }
}

fn load_settings() -> anyhow::Result<Settings> {
    Settings::from_env().map_err(|e| anyhow::anyhow!("configuration error: {e}"))
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let app = Application::build(settings, Signals::Handle)?;
    let address = app.address().to_owned();
    if app.state().settings.demo {
        let loaded = crate::demo::load_if_empty(app.state())?;
        if loaded > 0 {
            tracing::info!(articles = loaded, "demo content loaded");
        }
    }
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "newsdesk listening on {address}")?;
        writeln!(out, "API:        {address}/v1")?;
        writeln!(out, "Swagger UI: {address}/docs/")?;
        out.flush()?;
    }
    tracing::info!(%address, "serving");
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}
