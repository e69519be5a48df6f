//! Faults the server must survive: abusive bodies, slow and idle clients, and shutdown with
//! requests in flight. Each test starts the built binary on a free loopback port with its own
//! database, and talks to it over plain TCP so it controls every byte and every pause.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `newsdesk serve` that is killed when dropped, whatever the test did.
struct Server {
    child: Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts the binary with a temporary database and the given extra environment.
    fn start(env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_newsdesk"));
        command
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DATABASE_URL", dir.path().join("faults.db"))
            .env("NEWSDESK_BIND", "127.0.0.1:0")
            .env("NEWSDESK_MEDIA_DIR", dir.path().join("media"))
            .env("NEWSDESK_DEMO", "false")
            .env("NEWSDESK_RATE_LIMIT", "0")
            .env("NEWSDESK_WORKERS", "2")
            .env("RUST_LOG", "warn")
            .env(
                "NEWSDESK_JWT_SECRET",
                "faults-test-secret-that-is-long-enough-0123456789",
            );
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let address = first
            .strip_prefix("newsdesk listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line: {first}"))
            .to_owned();
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            address,
            _dir: dir,
        }
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(&self.address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        stream
    }

    /// One request on a fresh connection; returns the whole response text.
    fn request(&self, head_and_body: &[u8]) -> String {
        let mut stream = self.connect();
        stream.write_all(head_and_body).unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        String::from_utf8_lossy(&response).into_owned()
    }

    fn get(&self, path: &str) -> String {
        self.request(
            format!("GET {path} HTTP/1.1\r\nHost: faults\r\nConnection: close\r\n\r\n").as_bytes(),
        )
    }

    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit, failing the test after `limit`.
    fn wait_for_exit(&mut self, limit: Duration) -> std::process::ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                started.elapsed() < limit,
                "the server did not exit within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn status_of(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"))
}

fn deeply_nested_array(depth: usize) -> Vec<u8> {
    let mut body = Vec::with_capacity(depth * 2);
    body.extend(std::iter::repeat_n(b'[', depth));
    body.extend(std::iter::repeat_n(b']', depth));
    body
}

#[actix_web::test]
async fn a_json_body_ten_thousand_levels_deep_is_a_400_problem_not_a_crash() {
    use actix_web::{App, HttpResponse, test, web};
    // Arrange: a JSON endpoint configured exactly as the server configures its extractor.
    let app = test::init_service(
        App::new()
            .app_data(
                web::JsonConfig::default().error_handler(newsdesk::http::fallback::json_error),
            )
            .route(
                "/echo",
                web::post().to(|body: web::Json<serde_json::Value>| async move {
                    HttpResponse::Ok().json(body.into_inner())
                }),
            ),
    )
    .await;

    // Act
    let request = test::TestRequest::post()
        .uri("/echo")
        .insert_header(("content-type", "application/json"))
        .set_payload(deeply_nested_array(10_000))
        .to_request();
    let response = test::call_service(&app, request).await;

    // Assert
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "application/problem+json"
    );
    let body: serde_json::Value = test::read_body_json(response).await;
    assert_eq!(body["status"], 400);
    assert!(
        body["detail"].as_str().unwrap().contains("recursion limit"),
        "{body}"
    );
}

#[test]
fn a_deeply_nested_body_sent_to_the_server_gets_a_problem_and_the_server_stays_up() {
    let server = Server::start(&[]);
    let body = deeply_nested_array(10_000);
    let mut request = format!(
        "POST /v1/auth/token HTTP/1.1\r\nHost: faults\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);

    let response = server.request(&request);

    assert_eq!(status_of(&response), 400, "{response}");
    assert!(response.contains("application/problem+json"), "{response}");
    assert!(response.contains("nested too deeply"), "{response}");
    assert_eq!(status_of(&server.get("/healthz")), 200);
}

#[test]
fn a_client_sending_its_headers_one_byte_at_a_time_is_cut_off_while_others_are_served() {
    // Arrange: clients get 1.5 s to send a request head. (actix-http measures this deadline
    // from a clock it refreshes every 500 ms, so much shorter settings cut off even prompt
    // clients; see the README.)
    let server = Server::start(&[("NEWSDESK_CLIENT_TIMEOUT_MS", "1500")]);
    let padding = "a".repeat(100);
    let head = format!("GET /healthz HTTP/1.1\r\nHost: faults\r\nX-Padding: {padding}\r\n\r\n");
    let head = head.as_bytes();
    let mut slow = server.connect();
    let started = Instant::now();

    // Act: dribble the head at 20 bytes a second (it would take 7 s), serving others meanwhile.
    let mut sent = 0;
    let mut others_served = 0;
    while sent < head.len() && started.elapsed() < Duration::from_secs(10) {
        if slow.write_all(&head[sent..=sent]).is_err() {
            break;
        }
        sent += 1;
        if sent % 10 == 5 && status_of(&server.get("/healthz")) == 200 {
            others_served += 1;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let cut_off_after = started.elapsed();
    let mut rest = Vec::new();
    // The server answers 408 and closes; a write may already have failed on the closed socket.
    let _ = slow.read_to_end(&mut rest);
    let answer = String::from_utf8_lossy(&rest);

    // Assert
    assert!(
        sent < head.len(),
        "the whole slow head was accepted: {answer}"
    );
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "the slow client gets a 408 or nothing: {answer}"
    );
    assert!(
        cut_off_after < Duration::from_secs(4),
        "cut off after {cut_off_after:?}"
    );
    assert!(
        others_served >= 2,
        "other clients were served meanwhile ({others_served})"
    );
    assert_eq!(status_of(&server.get("/healthz")), 200);
}

#[test]
fn two_thousand_idle_connections_do_not_stop_service() {
    // Arrange: connections that never send a byte.
    let server = Server::start(&[("NEWSDESK_CLIENT_TIMEOUT_MS", "30000")]);
    let count: usize = std::env::var("FAULTS_IDLE_CONNECTIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000);
    let idle: Vec<TcpStream> = (0..count)
        .map(|_| TcpStream::connect(&server.address).unwrap())
        .collect();

    // Act
    let started = Instant::now();
    let response = server.get("/healthz");
    let elapsed = started.elapsed();

    // Assert
    assert_eq!(status_of(&response), 200, "{response}");
    assert!(
        elapsed < Duration::from_secs(2),
        "answered in {elapsed:?} with {} idle connections open",
        idle.len()
    );
}

#[test]
fn sigterm_lets_requests_in_flight_finish_refuses_new_ones_and_exits_zero() {
    // Arrange: three requests whose bodies are still arriving when SIGTERM comes.
    let mut server = Server::start(&[("NEWSDESK_SHUTDOWN_TIMEOUT", "5")]);
    let body = br#"{"email":"nobody@example.com","password":"not-this-one"}"#;
    let head = format!(
        "POST /v1/auth/token HTTP/1.1\r\nHost: faults\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut in_flight: Vec<TcpStream> = (0..3)
        .map(|_| {
            let mut stream = server.connect();
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(&body[..10]).unwrap();
            stream
        })
        .collect();
    // A completed request on another connection shows the server is reading those ones.
    assert_eq!(status_of(&server.get("/healthz")), 200);
    let started = Instant::now();

    // Act
    server.terminate();
    // The listener closes moments after the signal; allow a loaded machine up to 3 s.
    let refused = (0..30).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        TcpStream::connect(&server.address).is_err()
    });
    let answers: Vec<String> = in_flight
        .iter_mut()
        .map(|stream| {
            // The body's end may find the connection already answered (an endpoint that
            // answers without reading the body) and closed; the answer is what matters.
            let _ = stream.write_all(&body[10..]);
            let mut response = Vec::new();
            let _ = stream.read_to_end(&mut response);
            String::from_utf8_lossy(&response).into_owned()
        })
        .collect();
    let status = server.wait_for_exit(Duration::from_secs(10));

    // Assert
    for answer in &answers {
        assert!(answer.starts_with("HTTP/1.1 "), "a full answer: {answer:?}");
        assert_ne!(status_of(answer), 503, "{answer}");
    }
    assert!(refused, "new connections are refused after SIGTERM");
    assert!(status.success(), "exit status {status:?}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "exited within the configured shutdown timeout"
    );
}

#[cfg(not(feature = "bench"))]
#[test]
fn the_benchmark_ceiling_route_is_absent_from_a_default_build() {
    let server = Server::start(&[]);
    assert_eq!(status_of(&server.get("/__bench/ceiling")), 404);
}
