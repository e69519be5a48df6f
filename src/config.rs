//! Typed settings, read once from the environment (and `.env`) and passed down explicitly.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;
use secrecy::SecretString;

/// The JWT secret shipped in `.env.example`; a server configured with it refuses to start.
pub const EXAMPLE_JWT_SECRET: &str = "replace-me-with-at-least-32-random-bytes-of-secret";

/// Where the database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// An SQLite file on disk.
    Sqlite(PathBuf),
}

/// A rate: `count` events per `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Events allowed per period; 0 turns the limit off.
    pub count: u32,
    /// The period the count refers to.
    pub period: Duration,
}

/// An aspect ratio a focal-point crop may have, e.g. 16:9.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AspectRatio {
    /// Width part, 1..=100.
    pub width: u32,
    /// Height part, 1..=100.
    pub height: u32,
}

/// Output format of the structured logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable `key=value` lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Every setting newsdesk reads, in one place.
#[derive(Clone)]
pub struct Settings {
    /// `DATABASE_URL`.
    pub database: DatabaseUrl,
    /// `NEWSDESK_BIND`.
    pub bind: SocketAddr,
    /// `NEWSDESK_PUBLIC_URL`, without a trailing slash; `None` means derive it from the bound address.
    pub public_url: Option<String>,
    /// `NEWSDESK_MEDIA_DIR`.
    pub media_dir: PathBuf,
    /// `NEWSDESK_JWT_SECRET`; `None` means use the one kept in the database.
    pub jwt_secret: Option<SecretString>,
    /// `NEWSDESK_ADMIN_EMAIL`.
    pub admin_email: Option<String>,
    /// `NEWSDESK_ADMIN_PASSWORD`.
    pub admin_password: Option<SecretString>,
    /// `NEWSDESK_DEMO`.
    pub demo: bool,
    /// `NEWSDESK_RATE_LIMIT`: anonymous requests per client address.
    pub rate_limit: Rate,
    /// `NEWSDESK_USER_RATE_LIMIT`: requests per signed-in user.
    pub user_rate_limit: Rate,
    /// `NEWSDESK_LOGIN_RATE_LIMIT`: failed logins per address and per email.
    pub login_rate_limit: Rate,
    /// `NEWSDESK_TRUSTED_PROXIES`: the proxies whose `Forwarded` and `X-Forwarded-For` headers
    /// name the client; empty means those headers are never believed.
    pub trusted_proxies: Vec<IpNet>,
    /// `NEWSDESK_WEBHOOK_ALLOW_PRIVATE`.
    pub webhook_allow_private: bool,
    /// `NEWSDESK_CACHE_MAX_AGE`: `max-age` sent on public reads.
    pub cache_max_age: u32,
    /// `NEWSDESK_MAX_BODY_BYTES`: largest JSON request body.
    pub max_body_bytes: usize,
    /// `NEWSDESK_MAX_UPLOAD_BYTES`: largest media upload.
    pub max_upload_bytes: usize,
    /// `NEWSDESK_MAX_IMAGE_PIXELS`: largest declared image size (width × height) accepted.
    pub max_image_pixels: u64,
    /// `NEWSDESK_RENDITION_WIDTHS`: widths of the renditions made on upload, ascending.
    pub rendition_widths: Vec<u32>,
    /// `NEWSDESK_CROP_CACHE_BYTES`: the most disk the cache of focal-point crops may use.
    pub crop_cache_bytes: u64,
    /// `NEWSDESK_CROP_SIZES`: the aspect ratios crops come in, each at every rendition width.
    pub crop_sizes: Vec<AspectRatio>,
    /// `NEWSDESK_CROP_CONCURRENCY`: crops being made at once (0 = one per core).
    pub crop_concurrency: usize,
    /// `NEWSDESK_CROP_WAIT_MS`: how long a crop waits for its turn before a 503.
    pub crop_wait: Duration,
    /// `NEWSDESK_RESPONSE_CACHE_BYTES`: memory for anonymous read responses kept between
    /// writes (0 turns the cache off).
    pub response_cache_bytes: u64,
    /// `NEWSDESK_RESPONSE_CACHE_TTL`: the longest a kept response is served, in seconds; the
    /// bound on how late a write by another process (the CLI importer) shows.
    pub response_cache_ttl: Duration,
    /// `NEWSDESK_SHUTDOWN_TIMEOUT`: how long in-flight requests get to finish after SIGTERM.
    pub shutdown_timeout: Duration,
    /// `NEWSDESK_CLIENT_TIMEOUT`: how long a client may take to send its request head.
    pub client_timeout: Duration,
    /// `NEWSDESK_WORKERS`: HTTP worker threads (0 = one per core).
    pub workers: usize,
    /// `NEWSDESK_DB_POOL_SIZE`: pooled database connections.
    pub db_pool_size: u32,
    /// `NEWSDESK_DB_BUSY_TIMEOUT_MS`: how long a write waits for the database lock before a 503.
    pub db_busy_timeout: Duration,
    /// `NEWSDESK_LOG_FORMAT`: `text` or `json`.
    pub log_format: LogFormat,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secrets are wrapped in `SecretString`, whose Debug output is redacted.
        f.debug_struct("Settings")
            .field("database", &self.database)
            .field("bind", &self.bind)
            .field("public_url", &self.public_url)
            .field("media_dir", &self.media_dir)
            .field("jwt_secret", &self.jwt_secret)
            .field("admin_email", &self.admin_email)
            .field("demo", &self.demo)
            .field("rate_limit", &self.rate_limit)
            .field("user_rate_limit", &self.user_rate_limit)
            .field("login_rate_limit", &self.login_rate_limit)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish_non_exhaustive()
    }
}

/// A setting that could not be understood.
#[derive(Debug)]
pub struct ConfigError {
    /// The environment variable at fault.
    pub variable: &'static str,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.variable, self.message)
    }
}

impl std::error::Error for ConfigError {}

fn invalid(variable: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        message: message.into(),
    }
}

impl Settings {
    /// Reads `.env` when present, then the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal; a malformed one is reported.
        if let Err(err) = dotenvy::dotenv()
            && !err.not_found()
        {
            return Err(invalid(".env", err.to_string()));
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds settings from any name → value lookup (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let value = |name: &str| get(name).filter(|v| !v.trim().is_empty());

        let database = parse_database_url(
            &value("DATABASE_URL").unwrap_or_else(|| "sqlite://newsdesk.db".to_owned()),
        )?;
        let bind = value("NEWSDESK_BIND")
            .unwrap_or_else(|| "127.0.0.1:8080".to_owned())
            .parse()
            .map_err(|e| invalid("NEWSDESK_BIND", format!("not a socket address: {e}")))?;
        let public_url = value("NEWSDESK_PUBLIC_URL").map(|u| u.trim_end_matches('/').to_owned());
        if let Some(url) = &public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(invalid(
                "NEWSDESK_PUBLIC_URL",
                "must start with http:// or https://",
            ));
        }
        let jwt_secret = match value("NEWSDESK_JWT_SECRET") {
            None => None,
            Some(secret) => {
                if secret == EXAMPLE_JWT_SECRET {
                    return Err(invalid(
                        "NEWSDESK_JWT_SECRET",
                        "is the example value from .env.example; set a random secret of at least 32 bytes (e.g. `openssl rand -base64 48`) or unset it to use a generated one",
                    ));
                }
                if secret.len() < 32 {
                    return Err(invalid(
                        "NEWSDESK_JWT_SECRET",
                        format!("is {} bytes long; it must be at least 32", secret.len()),
                    ));
                }
                Some(SecretString::from(secret))
            }
        };

        Ok(Settings {
            database,
            bind,
            public_url,
            media_dir: PathBuf::from(value("NEWSDESK_MEDIA_DIR").unwrap_or_else(|| "media".into())),
            jwt_secret,
            admin_email: value("NEWSDESK_ADMIN_EMAIL"),
            admin_password: value("NEWSDESK_ADMIN_PASSWORD").map(SecretString::from),
            demo: parse_bool("NEWSDESK_DEMO", value("NEWSDESK_DEMO"), true)?,
            rate_limit: parse_rate(
                "NEWSDESK_RATE_LIMIT",
                value("NEWSDESK_RATE_LIMIT"),
                "600/min",
            )?,
            user_rate_limit: parse_rate(
                "NEWSDESK_USER_RATE_LIMIT",
                value("NEWSDESK_USER_RATE_LIMIT"),
                "3000/min",
            )?,
            login_rate_limit: parse_rate(
                "NEWSDESK_LOGIN_RATE_LIMIT",
                value("NEWSDESK_LOGIN_RATE_LIMIT"),
                "10/15min",
            )?,
            trusted_proxies: parse_networks(
                "NEWSDESK_TRUSTED_PROXIES",
                value("NEWSDESK_TRUSTED_PROXIES"),
            )?,
            webhook_allow_private: parse_bool(
                "NEWSDESK_WEBHOOK_ALLOW_PRIVATE",
                value("NEWSDESK_WEBHOOK_ALLOW_PRIVATE"),
                false,
            )?,
            cache_max_age: parse_num(
                "NEWSDESK_CACHE_MAX_AGE",
                value("NEWSDESK_CACHE_MAX_AGE"),
                60,
            )?,
            max_body_bytes: parse_num(
                "NEWSDESK_MAX_BODY_BYTES",
                value("NEWSDESK_MAX_BODY_BYTES"),
                1024 * 1024,
            )?,
            max_upload_bytes: parse_num(
                "NEWSDESK_MAX_UPLOAD_BYTES",
                value("NEWSDESK_MAX_UPLOAD_BYTES"),
                20 * 1024 * 1024,
            )?,
            max_image_pixels: parse_num(
                "NEWSDESK_MAX_IMAGE_PIXELS",
                value("NEWSDESK_MAX_IMAGE_PIXELS"),
                50_000_000,
            )?,
            rendition_widths: parse_widths(value("NEWSDESK_RENDITION_WIDTHS"))?,
            crop_cache_bytes: parse_num(
                "NEWSDESK_CROP_CACHE_BYTES",
                value("NEWSDESK_CROP_CACHE_BYTES"),
                256 * 1024 * 1024,
            )?,
            crop_sizes: parse_ratios(value("NEWSDESK_CROP_SIZES"))?,
            crop_concurrency: parse_num(
                "NEWSDESK_CROP_CONCURRENCY",
                value("NEWSDESK_CROP_CONCURRENCY"),
                0,
            )?,
            crop_wait: Duration::from_millis(parse_num(
                "NEWSDESK_CROP_WAIT_MS",
                value("NEWSDESK_CROP_WAIT_MS"),
                10_000,
            )?),
            response_cache_bytes: parse_num(
                "NEWSDESK_RESPONSE_CACHE_BYTES",
                value("NEWSDESK_RESPONSE_CACHE_BYTES"),
                32 * 1024 * 1024,
            )?,
            response_cache_ttl: Duration::from_secs(parse_num(
                "NEWSDESK_RESPONSE_CACHE_TTL",
                value("NEWSDESK_RESPONSE_CACHE_TTL"),
                10,
            )?),
            shutdown_timeout: Duration::from_secs(parse_num(
                "NEWSDESK_SHUTDOWN_TIMEOUT",
                value("NEWSDESK_SHUTDOWN_TIMEOUT"),
                30,
            )?),
            client_timeout: Duration::from_millis(parse_num(
                "NEWSDESK_CLIENT_TIMEOUT_MS",
                value("NEWSDESK_CLIENT_TIMEOUT_MS"),
                5000,
            )?),
            workers: parse_num("NEWSDESK_WORKERS", value("NEWSDESK_WORKERS"), 0)?,
            db_pool_size: parse_num("NEWSDESK_DB_POOL_SIZE", value("NEWSDESK_DB_POOL_SIZE"), 16)?,
            db_busy_timeout: Duration::from_millis(parse_num(
                "NEWSDESK_DB_BUSY_TIMEOUT_MS",
                value("NEWSDESK_DB_BUSY_TIMEOUT_MS"),
                5000,
            )?),
            log_format: match value("NEWSDESK_LOG_FORMAT").as_deref() {
                None | Some("text") => LogFormat::Text,
                Some("json") => LogFormat::Json,
                Some(other) => {
                    return Err(invalid(
                        "NEWSDESK_LOG_FORMAT",
                        format!("`{other}` is neither `text` nor `json`"),
                    ));
                }
            },
        })
    }
}

/// Parses `sqlite://PATH`, `sqlite:PATH` or a bare path.
pub fn parse_database_url(url: &str) -> Result<DatabaseUrl, ConfigError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Err(invalid(
            "DATABASE_URL",
            "PostgreSQL is not supported by this build yet; use sqlite://PATH",
        ));
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    if path.is_empty() || path.contains("://") {
        return Err(invalid(
            "DATABASE_URL",
            format!("`{url}` is not sqlite://PATH or a file path"),
        ));
    }
    Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
}

fn parse_bool(var: &'static str, v: Option<String>, default: bool) -> Result<bool, ConfigError> {
    match v.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => Err(invalid(var, format!("`{other}` is not true or false"))),
    }
}

fn parse_num<T: std::str::FromStr>(
    var: &'static str,
    v: Option<String>,
    default: T,
) -> Result<T, ConfigError> {
    match v {
        None => Ok(default),
        Some(s) => s
            .trim()
            .parse()
            .map_err(|_| invalid(var, format!("`{s}` is not a non-negative whole number"))),
    }
}

/// Parses a comma-separated list of widths; defaults to 320, 640, 1024 and 1600.
fn parse_widths(v: Option<String>) -> Result<Vec<u32>, ConfigError> {
    let Some(text) = v else {
        return Ok(vec![320, 640, 1024, 1600]);
    };
    let mut widths = text
        .split(',')
        .map(|w| {
            w.trim()
                .parse::<u32>()
                .ok()
                .filter(|w| (16..=8192).contains(w))
        })
        .collect::<Option<Vec<u32>>>()
        .ok_or_else(|| {
            invalid(
                "NEWSDESK_RENDITION_WIDTHS",
                format!("`{text}` is not a comma-separated list of widths between 16 and 8192"),
            )
        })?;
    widths.sort_unstable();
    widths.dedup();
    Ok(widths)
}

/// Parses a comma-separated list of aspect ratios such as `1:1,16:9,4:3` (the default), each
/// part 1 to 100, duplicates (also `2:2` next to `1:1`) removed.
fn parse_ratios(v: Option<String>) -> Result<Vec<AspectRatio>, ConfigError> {
    let text = v.unwrap_or_else(|| "1:1,16:9,4:3".to_owned());
    let part = |p: &str| {
        p.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=100).contains(n))
    };
    let mut ratios: Vec<AspectRatio> = Vec::new();
    for item in text.split(',') {
        let ratio = item
            .split_once(':')
            .and_then(|(w, h)| Some((part(w)?, part(h)?)))
            .ok_or_else(|| {
                invalid(
                    "NEWSDESK_CROP_SIZES",
                    format!("`{text}` is not a comma-separated list of ratios like 1:1,16:9,4:3 (each part 1 to 100)"),
                )
            })?;
        let same = |r: &AspectRatio| {
            u64::from(r.width) * u64::from(ratio.1) == u64::from(ratio.0) * u64::from(r.height)
        };
        if !ratios.iter().any(same) {
            ratios.push(AspectRatio {
                width: ratio.0,
                height: ratio.1,
            });
        }
    }
    Ok(ratios)
}

/// Parses a comma-separated list of CIDRs such as `10.0.0.0/8, 2001:db8::/32`; a bare address
/// is a network of one.
fn parse_networks(var: &'static str, v: Option<String>) -> Result<Vec<IpNet>, ConfigError> {
    let Some(text) = v else {
        return Ok(Vec::new());
    };
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(IpNet::from))
                .map(|net| net.trunc())
                .map_err(|_| {
                    invalid(
                        var,
                        format!("`{item}` is not a CIDR like 10.0.0.0/8 or an IP address"),
                    )
                })
        })
        .collect()
}

/// Parses rates such as `600/min`, `10/15min`, `5/s`, `1000/hour`, or `0` (off).
pub fn parse_rate(
    var: &'static str,
    v: Option<String>,
    default: &str,
) -> Result<Rate, ConfigError> {
    let text = v.unwrap_or_else(|| default.to_owned());
    let text = text.trim();
    if text == "0" {
        return Ok(Rate {
            count: 0,
            period: Duration::from_secs(60),
        });
    }
    let bad = || {
        invalid(
            var,
            format!("`{text}` is not a rate like 600/min, 10/15min or 0"),
        )
    };
    let (count, per) = text.split_once('/').ok_or_else(bad)?;
    let count: u32 = count.trim().parse().map_err(|_| bad())?;
    let per = per.trim();
    let digits_end = per.find(|c: char| !c.is_ascii_digit()).unwrap_or(per.len());
    let multiple: u64 = if digits_end == 0 {
        1
    } else {
        per[..digits_end].parse().map_err(|_| bad())?
    };
    let unit_secs = match &per[digits_end..] {
        "s" | "sec" | "second" => 1,
        "m" | "min" | "minute" => 60,
        "h" | "hour" => 3600,
        "d" | "day" => 86_400,
        _ => return Err(bad()),
    };
    if multiple == 0 {
        return Err(bad());
    }
    Ok(Rate {
        count,
        period: Duration::from_secs(multiple * unit_secs),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_follow_the_contract() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.database, DatabaseUrl::Sqlite("newsdesk.db".into()));
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert!(s.demo);
        assert_eq!(s.rate_limit.count, 600);
        assert_eq!(s.rate_limit.period, Duration::from_secs(60));
        assert_eq!(s.login_rate_limit.count, 10);
        assert_eq!(s.login_rate_limit.period, Duration::from_secs(900));
        assert_eq!(s.user_rate_limit.count, 3000);
        assert_eq!(s.user_rate_limit.period, Duration::from_secs(60));
        assert!(s.trusted_proxies.is_empty());
        assert_eq!(s.cache_max_age, 60);
        assert_eq!(s.max_image_pixels, 50_000_000);
        assert_eq!(s.rendition_widths, vec![320, 640, 1024, 1600]);
        assert!(s.jwt_secret.is_none());
    }

    #[test]
    fn short_and_example_jwt_secrets_are_refused() {
        let short = settings(&[("NEWSDESK_JWT_SECRET", "too-short")]).unwrap_err();
        assert_eq!(short.variable, "NEWSDESK_JWT_SECRET");
        assert!(short.message.contains("at least 32"));
        let example = settings(&[("NEWSDESK_JWT_SECRET", EXAMPLE_JWT_SECRET)]).unwrap_err();
        assert!(example.message.contains(".env.example"));
        assert!(settings(&[("NEWSDESK_JWT_SECRET", &"x".repeat(32))]).is_ok());
    }

    #[test]
    fn database_urls_accept_sqlite_forms_and_refuse_others() {
        assert_eq!(
            parse_database_url("sqlite:///tmp/a.db").unwrap(),
            DatabaseUrl::Sqlite("/tmp/a.db".into())
        );
        assert_eq!(
            parse_database_url("data/n.db").unwrap(),
            DatabaseUrl::Sqlite("data/n.db".into())
        );
        assert!(parse_database_url("postgres://x").is_err());
        assert!(parse_database_url("mysql://x").is_err());
    }

    #[test]
    fn rates_parse_with_multiples_and_zero() {
        let r = parse_rate("X", Some("5/s".into()), "").unwrap();
        assert_eq!((r.count, r.period), (5, Duration::from_secs(1)));
        let r = parse_rate("X", Some("0".into()), "").unwrap();
        assert_eq!(r.count, 0);
        assert!(parse_rate("X", Some("5/fortnight".into()), "").is_err());
        assert!(parse_rate("X", Some("five/min".into()), "").is_err());
    }

    #[test]
    fn rendition_widths_are_sorted_and_checked() {
        let s = settings(&[("NEWSDESK_RENDITION_WIDTHS", "800, 400,400")]).unwrap();
        assert_eq!(s.rendition_widths, vec![400, 800]);
        let err = settings(&[("NEWSDESK_RENDITION_WIDTHS", "400,huge")]).unwrap_err();
        assert_eq!(err.variable, "NEWSDESK_RENDITION_WIDTHS");
    }

    #[test]
    fn crop_sizes_default_to_square_wide_and_classic_and_are_checked() {
        let ratio = |width, height| AspectRatio { width, height };
        let s = settings(&[]).unwrap();
        assert_eq!(s.crop_sizes, vec![ratio(1, 1), ratio(16, 9), ratio(4, 3)]);
        let s = settings(&[("NEWSDESK_CROP_SIZES", "3:2, 6:4,1:1")]).unwrap();
        assert_eq!(s.crop_sizes, vec![ratio(3, 2), ratio(1, 1)]);
        for bad in ["16x9", "0:1", "1:", "1:1,wide", "101:1"] {
            let err = settings(&[("NEWSDESK_CROP_SIZES", bad)]).unwrap_err();
            assert_eq!(err.variable, "NEWSDESK_CROP_SIZES", "{bad}");
        }
    }

    #[test]
    fn trusted_proxies_are_cidrs_or_addresses() {
        let s = settings(&[(
            "NEWSDESK_TRUSTED_PROXIES",
            "10.0.0.0/8, 192.0.2.7,2001:db8::/32",
        )])
        .unwrap();
        let shown: Vec<String> = s.trusted_proxies.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"]);
        let err = settings(&[("NEWSDESK_TRUSTED_PROXIES", "10.0.0.0/8,proxy")]).unwrap_err();
        assert_eq!(err.variable, "NEWSDESK_TRUSTED_PROXIES");
    }

    #[test]
    fn bad_booleans_name_the_variable() {
        let err = settings(&[("NEWSDESK_DEMO", "maybe")]).unwrap_err();
        assert_eq!(err.variable, "NEWSDESK_DEMO");
    }
}
