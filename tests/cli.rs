//! The built binary: its commands, its start-up output and its shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn newsdesk(dir: &tempfile::TempDir) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_newsdesk"));
    command
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", dir.path().join("cli.db"))
        .env("NEWSDESK_BIND", "127.0.0.1:0")
        .env("NEWSDESK_MEDIA_DIR", dir.path().join("media"))
        .env("NEWSDESK_DEMO", "false")
        .env("NEWSDESK_SHUTDOWN_TIMEOUT", "10")
        .env(
            "NEWSDESK_JWT_SECRET",
            "cli-test-secret-that-is-long-enough-0123456789",
        );
    command
}

/// Starts `newsdesk serve` and returns it with the address it printed.
fn serve(dir: &tempfile::TempDir) -> (Child, String) {
    let mut child = newsdesk(dir)
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().unwrap().unwrap();
    let address = first
        .strip_prefix("newsdesk listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {first}"))
        .to_owned();
    let rest: Vec<String> = lines.by_ref().take(2).map(|l| l.unwrap()).collect();
    assert!(
        rest[1].contains("/docs/"),
        "the Swagger UI URL is printed: {rest:?}"
    );
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, address)
}

fn http_get(address: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

fn terminate(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait_for_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if started.elapsed() > limit {
            child.kill().ok();
            panic!("the server did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn serve_prints_the_port_it_bound_and_exits_zero_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, address) = serve(&dir);
    assert!(
        !address.ends_with(":0"),
        "a real port is printed: {address}"
    );
    let response = http_get(&address, "/healthz");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    terminate(&child);
    let status = wait_for_exit(&mut child, Duration::from_secs(15));
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn a_request_in_flight_at_sigterm_is_answered_before_exit() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, address) = serve(&dir);
    // A request whose body is still arriving when SIGTERM comes.
    let mut stream = TcpStream::connect(&address).unwrap();
    let body = br#"{"email":"nobody@example.com","password":"not-this-one"}"#;
    write!(
        stream,
        "POST /v1/auth/token HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(&body[..10]).unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    terminate(&child);
    std::thread::sleep(Duration::from_millis(300));
    stream.write_all(&body[10..]).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 401"),
        "the whole body was read and the credentials refused: {response}"
    );
    assert!(response.contains("application/problem+json"), "{response}");
    let status = wait_for_exit(&mut child, Duration::from_secs(15));
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn the_openapi_command_prints_the_committed_document() {
    let dir = tempfile::tempdir().unwrap();
    let output = newsdesk(&dir).arg("openapi").output().unwrap();
    assert!(output.status.success());
    let printed = String::from_utf8(output.stdout).unwrap();
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .unwrap();
    assert_eq!(printed, committed);
}

#[test]
fn migrate_creates_the_database_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let output = newsdesk(&dir).arg("migrate").output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.path().join("cli.db").exists());
    assert!(String::from_utf8_lossy(&output.stdout).contains("up to date"));
}

#[test]
fn a_short_jwt_secret_stops_the_server_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let output = newsdesk(&dir)
        .env("NEWSDESK_JWT_SECRET", "short")
        .arg("serve")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("NEWSDESK_JWT_SECRET"), "{stderr}");
    assert!(stderr.contains("at least 32"), "{stderr}");
}

fn http_request(address: &str, method: &str, path: &str, headers: &[&str], body: &str) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for header in headers {
        head.push_str(header);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

fn sign_in(address: &str, email: &str, password: &str) -> String {
    let body = format!(r#"{{"email":"{email}","password":"{password}"}}"#);
    http_request(
        address,
        "POST",
        "/v1/auth/token",
        &["Content-Type: application/json"],
        &body,
    )
}

fn stop(mut child: Child) {
    terminate(&child);
    wait_for_exit(&mut child, Duration::from_secs(15));
}

#[test]
fn user_add_reads_the_password_from_stdin_and_the_user_can_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let mut add = newsdesk(&dir)
        .args([
            "user",
            "add",
            "--email",
            "Ed@Example.com",
            "--role",
            "editor",
        ])
        .arg("--password-stdin")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(b"a long enough passphrase\n")
        .unwrap();
    let output = add.wait_with_output().unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("created editor ed@example.com"));

    let (child, address) = serve(&dir);
    let response = sign_in(&address, "ed@example.com", "a long enough passphrase");
    stop(child);

    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("access_token"));
}

#[test]
fn user_add_without_a_terminal_or_password_stdin_refuses_clearly() {
    let dir = tempfile::tempdir().unwrap();

    let output = newsdesk(&dir)
        .args(["user", "add", "--email", "e@example.com", "--role", "admin"])
        .stdin(Stdio::null())
        .output()
        .unwrap();

    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--password-stdin"));
}

#[test]
fn key_create_prints_a_working_key_once() {
    let dir = tempfile::tempdir().unwrap();
    let output = newsdesk(&dir)
        .args(["key", "create", "--name", "Wire", "--scope", "feeds:read"])
        .args(["--scope", "content:read", "--rate-limit", "120/min"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let key = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert!(key.starts_with("ndk_"), "{key}");

    let (child, address) = serve(&dir);
    let accepted = http_request(
        &address,
        "GET",
        "/healthz",
        &[&format!("X-Api-Key: {key}")],
        "",
    );
    let refused = http_request(&address, "GET", "/healthz", &["X-Api-Key: ndk_wrong"], "");
    stop(child);

    assert!(accepted.starts_with("HTTP/1.1 200"), "{accepted}");
    assert!(
        accepted
            .to_ascii_lowercase()
            .contains("ratelimit-policy: \"per-key\";q=120;w=60")
    );
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
}

#[test]
fn the_configured_admin_is_created_on_first_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = newsdesk(&dir)
        .env("NEWSDESK_ADMIN_EMAIL", "chief@example.com")
        .env("NEWSDESK_ADMIN_PASSWORD", "the chief's passphrase")
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let address = first
        .strip_prefix("newsdesk listening on http://")
        .unwrap()
        .to_owned();
    std::thread::spawn(move || for _ in lines {});

    let response = sign_in(&address, "chief@example.com", "the chief's passphrase");
    stop(child);

    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
}

#[test]
fn demo_mode_creates_a_local_admin_and_prints_its_password_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = newsdesk(&dir)
        .env("NEWSDESK_DEMO", "true")
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let address = first
        .strip_prefix("newsdesk listening on http://")
        .unwrap()
        .to_owned();
    let notice = lines
        .by_ref()
        .take(10)
        .map(|l| l.unwrap())
        .find(|l| l.contains("admin@localhost"))
        .expect("the demo admin is announced");
    std::thread::spawn(move || for _ in lines {});
    let password = notice
        .split("admin@localhost / ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();

    let response = sign_in(&address, "admin@localhost", &password);
    stop(child);

    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
}

/// Runs `newsdesk ARGS` to completion and returns its output.
fn run(dir: &tempfile::TempDir, args: &[&str]) -> std::process::Output {
    newsdesk(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Three articles in export form: a published one, a scheduled one and a draft.
const ARTICLES_JSONL: &str = concat!(
    r#"{"id":"0193a000-0000-7000-8000-000000000001","slug":"harbour-tolls-rise","headline":"Harbour tolls rise","standfirst":"By eight per cent.","body":[{"id":"b1","type":"paragraph","text":"The port raised tolls *today*."}],"section":"business","tags":["shipping"],"status":"published","published_at":"2026-01-02T08:00:00Z"}"#,
    "\n",
    r#"{"id":"0193a000-0000-7000-8000-000000000002","slug":"budget-day","headline":"Budget day","status":"scheduled","published_at":"2099-01-01T00:00:00Z"}"#,
    "\n",
    r#"{"id":"0193a000-0000-7000-8000-000000000003","slug":"a-draft","headline":"A draft","body":[{"id":"b1","type":"heading","level":2,"text":"Notes"}]}"#,
    "\n",
);

fn write_file(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

fn export_lines(dir: &tempfile::TempDir, format: &str) -> Vec<serde_json::Value> {
    let output = run(dir, &["export", "--format", format]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The fields an export and re-import must keep (times of the copy and versions differ).
fn content_of(article: &serde_json::Value) -> serde_json::Value {
    let keep = [
        "id",
        "slug",
        "headline",
        "standfirst",
        "body",
        "body_html",
        "section",
        "tags",
        "status",
        "published_at",
        "language",
        "corrections",
    ];
    keep.iter()
        .map(|k| ((*k).to_owned(), article[*k].clone()))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

#[test]
fn exported_articles_imported_into_a_fresh_database_are_the_same_articles() {
    let first = tempfile::tempdir().unwrap();
    let source = write_file(&first, "in.jsonl", ARTICLES_JSONL);
    let imported = run(&first, &["import", &source]);
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let exported = export_lines(&first, "jsonl");
    let second = tempfile::tempdir().unwrap();
    let copy = write_file(&second, "copy.jsonl", &{
        let mut text = String::new();
        for line in &exported {
            text.push_str(&line.to_string());
            text.push('\n');
        }
        text
    });

    let reimported = run(&second, &["import", &copy]);

    assert!(
        reimported.status.success(),
        "{}",
        String::from_utf8_lossy(&reimported.stderr)
    );
    let again = export_lines(&second, "jsonl");
    assert_eq!(exported.len(), 3);
    assert_eq!(
        exported.iter().map(content_of).collect::<Vec<_>>(),
        again.iter().map(content_of).collect::<Vec<_>>()
    );
    assert_eq!(exported[0]["status"], "published");
    assert_eq!(exported[1]["status"], "scheduled");
    assert!(
        exported[0]["body_html"]
            .as_str()
            .unwrap()
            .contains("<em>today</em>")
    );
}

#[test]
fn importing_the_same_file_twice_skips_what_is_already_there() {
    let dir = tempfile::tempdir().unwrap();
    let source = write_file(&dir, "in.jsonl", ARTICLES_JSONL);
    assert!(run(&dir, &["import", &source]).status.success());

    let again = run(&dir, &["import", &source]);

    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{stderr}");
    assert!(stderr.contains("created 0, skipped 3"), "{stderr}");
    assert_eq!(export_lines(&dir, "jsonl").len(), 3);
}

#[test]
fn import_reports_bad_lines_by_number_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let text = concat!(
        r#"{"slug":"fine","headline":"Fine"}"#,
        "\n",
        "not json\n",
        r#"{"slug":"Bad Slug","headline":"Bad"}"#,
        "\n",
        r#"{"headline":"Unknown block","body":[{"type":"video"}]}"#,
        "\n",
    );
    let source = write_file(&dir, "in.jsonl", text);

    let output = run(&dir, &["import", &source]);

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("in.jsonl:2: not an article"), "{stderr}");
    assert!(
        stderr.contains("in.jsonl:3:") && stderr.contains("slug"),
        "{stderr}"
    );
    assert!(stderr.contains("in.jsonl:4:"), "{stderr}");
    assert!(stderr.contains("created 1"), "{stderr}");
}

#[test]
fn ninjs_export_has_only_published_articles() {
    let dir = tempfile::tempdir().unwrap();
    let source = write_file(&dir, "in.jsonl", ARTICLES_JSONL);
    assert!(run(&dir, &["import", &source]).status.success());

    let items = export_lines(&dir, "ninjs");

    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["headlines"][0]["value"], "Harbour tolls rise");
}

#[test]
fn export_writes_to_a_file_with_output() {
    let dir = tempfile::tempdir().unwrap();
    let source = write_file(&dir, "in.jsonl", ARTICLES_JSONL);
    assert!(run(&dir, &["import", &source]).status.success());
    let target = dir.path().join("out.jsonl");

    let output = run(
        &dir,
        &[
            "export",
            "--format",
            "jsonl",
            "--output",
            target.to_str().unwrap(),
        ],
    );

    assert!(output.status.success());
    assert!(output.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&target).unwrap().lines().count(), 3);
}

#[test]
fn backup_writes_a_database_that_opens_with_the_same_rows() {
    use diesel::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let source = write_file(&dir, "in.jsonl", ARTICLES_JSONL);
    assert!(run(&dir, &["import", &source]).status.success());
    let target = dir.path().join("backup.db");

    let output = run(&dir, &["backup", target.to_str().unwrap()]);

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let count = |path: &std::path::Path| -> (i64, i64) {
        let mut conn = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
        let articles = newsdesk::db::schema::articles::table
            .count()
            .get_result(&mut conn)
            .unwrap();
        let changes = newsdesk::db::schema::changes::table
            .count()
            .get_result(&mut conn)
            .unwrap();
        (articles, changes)
    };
    assert_eq!(count(&target), count(&dir.path().join("cli.db")));
    assert_eq!(count(&target).0, 3);
}

#[test]
fn backup_leaves_out_the_generated_jwt_secret_and_a_restore_generates_a_new_one() {
    use diesel::prelude::*;
    use newsdesk::auth::tokens::{SECRET_SETTING, TokenKeys};
    use newsdesk::db::schema::app_settings;
    let dir = tempfile::tempdir().unwrap();
    let settings_for = |path: std::path::PathBuf| {
        let mut settings = newsdesk::config::Settings::from_lookup(|_| None).unwrap();
        settings.database = newsdesk::config::DatabaseUrl::Sqlite(path);
        settings
    };
    let stored_secret = |path: &std::path::Path| -> Option<String> {
        let mut conn = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
        app_settings::table
            .find(SECRET_SETTING)
            .select(app_settings::value)
            .first(&mut conn)
            .optional()
            .unwrap()
    };
    // A server started without NEWSDESK_JWT_SECRET keeps a generated one in its database.
    let live = dir.path().join("cli.db");
    let settings = settings_for(live.clone());
    let db = newsdesk::db::Db::open(&settings).unwrap();
    TokenKeys::resolve(&settings, &db).unwrap();
    drop(db);
    let secret = stored_secret(&live).unwrap();
    let target = dir.path().join("backup.db");

    let output = run(&dir, &["backup", target.to_str().unwrap()]);

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let bytes = std::fs::read(&target).unwrap();
    assert!(
        !bytes
            .windows(secret.len())
            .any(|window| window == secret.as_bytes()),
        "the backup file holds the JWT secret"
    );
    assert_eq!(stored_secret(&target), None);
    assert_eq!(stored_secret(&live).as_deref(), Some(secret.as_str()));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with(".newsdesk-backup-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // The restored database's first start generates a secret of its own.
    let restored = settings_for(target.clone());
    let db = newsdesk::db::Db::open(&restored).unwrap();
    TokenKeys::resolve(&restored, &db).unwrap();
    drop(db);
    let fresh = stored_secret(&target).unwrap();
    assert_ne!(fresh, secret);
}

#[test]
fn backup_refuses_to_overwrite_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = write_file(&dir, "taken.db", "precious");

    let output = run(&dir, &["backup", &target]);

    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("already exists"));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");
}
