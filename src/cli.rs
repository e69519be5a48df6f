//! The command line: `serve` (the default), `migrate`, `openapi`, `user add`, `key create`,
//! `backup`, `export` and `import`.

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
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage partner API keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Copy the live database to a new file (a consistent snapshot; never overwrites).
    Backup {
        /// Where to write the copy; must not exist yet.
        path: std::path::PathBuf,
    },
    /// Write articles as JSON lines: every article (`jsonl`) or published ones as ninjs.
    Export {
        /// `jsonl` (the API's article representation) or `ninjs`.
        #[arg(long, value_enum)]
        format: crate::transfer::ExportFormat,
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
    /// Create articles from JSON lines as `export --format jsonl` writes them. Articles whose
    /// id or slug already exists are skipped; exits non-zero if any line failed.
    Import {
        /// Files of JSON lines.
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
    },
    /// Check stored photo files.
    #[command(subcommand)]
    Media(MediaCommand),
}

/// `newsdesk media ...`
#[derive(Debug, Subcommand)]
pub enum MediaCommand {
    /// Check every stored file against its recorded SHA-256 and report missing, corrupt and
    /// orphaned files; exits non-zero when any is found.
    Verify,
}

/// `newsdesk user ...`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. The password is read from standard input with --password-stdin, or
    /// prompted for (twice, without echo) on a terminal.
    Add {
        /// The sign-in email.
        #[arg(long)]
        email: String,
        /// admin, editor or contributor.
        #[arg(long)]
        role: crate::auth::Role,
        /// The name shown in admin tools (default: the part of the email before `@`).
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// `newsdesk key ...`
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create a partner API key and print it once.
    Create {
        /// What the key is for, e.g. the partner's name.
        #[arg(long)]
        name: String,
        /// A scope: content:read, feeds:read or embargoed:read (repeat or list several).
        #[arg(long = "scope", required = true, num_args = 1..)]
        scopes: Vec<crate::auth::Scope>,
        /// The key's own rate limit, e.g. 120/min or 10/s; 0 is unlimited.
        #[arg(long, default_value = crate::auth::keys::DEFAULT_KEY_RATE)]
        rate_limit: String,
    },
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
        Command::User(UserCommand::Add {
            email,
            role,
            display_name,
            password_stdin,
        }) => {
            let settings = load_settings()?;
            crate::logging::init(settings.log_format);
            let password = read_password(password_stdin)?;
            let db = Db::open(&settings)?;
            let user = actix_web::rt::System::new().block_on(crate::auth::users::create_user(
                &db,
                crate::auth::users::NewUser {
                    email,
                    display_name,
                    role,
                    password,
                },
            ));
            let user = user.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("created {} {} (id {})", user.role, user.email, user.id);
            Ok(())
        }
        Command::Key(KeyCommand::Create {
            name,
            scopes,
            rate_limit,
        }) => {
            let settings = load_settings()?;
            crate::logging::init(settings.log_format);
            let rate = crate::auth::keys::rate_from_text(&rate_limit)
                .map_err(|e| anyhow::anyhow!("--rate-limit: {e}"))?;
            let db = Db::open(&settings)?;
            let created = actix_web::rt::System::new().block_on(crate::auth::keys::create_api_key(
                &db,
                crate::auth::keys::NewApiKey {
                    name,
                    scopes,
                    rate,
                    created_by: None,
                },
            ));
            let (row, key) = created.map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!(
                "created API key {} ({}), rate {}; the key is printed once below, store it now",
                row.id,
                row.name,
                crate::auth::keys::format_rate(rate)
            );
            println!("{key}");
            Ok(())
        }
        Command::Media(MediaCommand::Verify) => {
            let settings = load_settings()?;
            crate::logging::init(settings.log_format);
            let db = Db::open(&settings)?;
            let rows = actix_web::rt::System::new()
                .block_on(db.read(crate::db::media::all_files))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let expected = crate::media::verify::expected_files(&rows);
            let on_terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
            let report =
                crate::media::verify::verify(&settings.media_dir, &expected, |done, total| {
                    if on_terminal {
                        eprint!("\rchecked {done}/{total}");
                        if done == total {
                            eprintln!();
                        }
                    }
                })?;
            if crate::media::verify::print_report(&report) {
                Ok(())
            } else {
                anyhow::bail!("media files need attention")
            }
        }
        Command::Backup { path } => {
            let settings = load_settings()?;
            crate::logging::init(settings.log_format);
            let db = Db::open(&settings)?;
            actix_web::rt::System::new().block_on(crate::transfer::backup(&db, &path))?;
            eprintln!("backed up to {}", path.display());
            Ok(())
        }
        Command::Export { format, output } => {
            let settings = load_settings()?;
            crate::logging::init(settings.log_format);
            let db = Db::open(&settings)?;
            let public_url = cli_public_url(&settings);
            let mut out: Box<dyn Write> = match &output {
                Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            let written = actix_web::rt::System::new().block_on(crate::transfer::export(
                &db,
                format,
                &public_url,
                &mut out,
            ))?;
            if output.is_some() {
                eprintln!("exported {written} articles");
            }
            Ok(())
        }
        Command::Import { paths } => {
            let settings = load_settings()?;
            crate::logging::init(settings.log_format);
            let db = Db::open(&settings)?;
            let public_url = cli_public_url(&settings);
            let report = actix_web::rt::System::new().block_on(crate::transfer::import(
                &db,
                &paths,
                &public_url,
            ))?;
            for failure in &report.failures {
                eprintln!("{failure}");
            }
            eprintln!(
                "created {}, skipped {} already present, failed {}",
                report.created,
                report.skipped,
                report.failures.len()
            );
            if report.failures.is_empty() {
                Ok(())
            } else {
                anyhow::bail!("{} lines could not be imported", report.failures.len())
            }
        }
        Command::Serve => {
            let settings = load_settings()?;
            crate::logging::init(settings.log_format);
            actix_web::rt::System::new().block_on(serve(settings))
        }
    }
}

/// The new user's password: the first line of standard input, or a prompt on a terminal.
fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal};
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("no terminal to prompt for the password on; pass --password-stdin");
    }
    let first = rpassword::prompt_password("Password: ")?;
    let again = rpassword::prompt_password("Again: ")?;
    if first != again {
        anyhow::bail!("the passwords differ");
    }
    Ok(first)
}

/// The base of absolute links written by commands that run without a server.
fn cli_public_url(settings: &Settings) -> String {
    settings
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", settings.bind))
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
        if let Some(notice) = app.first_admin_notice() {
            writeln!(out, "{notice}")?;
        }
        out.flush()?;
    }
    tracing::info!(%address, "serving");
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}
