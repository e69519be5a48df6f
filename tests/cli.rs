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
    assert!(output.status.success());
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
