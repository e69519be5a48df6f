//! The foundation: operational endpoints, error rendering, request ids and the docs.

use crate::helpers::TestApp;

#[actix_web::test]
async fn healthz_says_the_process_is_up() {
    let app = TestApp::spawn().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.value()["status"], "ok");
}

#[actix_web::test]
async fn readyz_says_the_database_answers() {
    let app = TestApp::spawn().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.value()["status"], "ok");
}

#[actix_web::test]
async fn the_database_is_created_in_wal_mode_with_migrations_applied() {
    let app = TestApp::spawn().await;
    assert!(app.db_path().exists());
    let header = std::fs::read(app.db_path()).unwrap();
    // Bytes 18 and 19 of the SQLite header are 2 when the file is in WAL mode.
    assert_eq!(&header[18..20], &[2, 2]);
}

#[actix_web::test]
async fn metrics_count_requests_by_route_template_method_and_status() {
    let app = TestApp::spawn().await;
    app.get("/healthz").await;
    app.get("/no/such/thing").await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status, 200);
    assert!(
        response
            .header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text();
    assert!(
        text.contains(
            r#"newsdesk_http_requests_total{method="GET",route="/healthz",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
    assert!(text.contains("newsdesk_http_request_duration_seconds_bucket"));
}

#[actix_web::test]
async fn unknown_routes_are_problem_json_404s() {
    let app = TestApp::spawn().await;
    let response = app.get("/v1/nothing-here").await;
    let problem = response.problem(404);
    assert_eq!(problem["type"], "/problems/not-found");
}

#[actix_web::test]
async fn a_wrong_method_is_a_405_listing_the_allowed_ones() {
    let app = TestApp::spawn().await;
    let response = app.raw("DELETE", "/healthz", &[], None).await;
    response.problem(405);
    assert_eq!(response.header("allow"), Some("GET, HEAD"));
}

#[actix_web::test]
async fn head_requests_get_the_get_headers_without_a_body() {
    let app = TestApp::spawn().await;
    let response = app.raw("HEAD", "/healthz", &[], None).await;
    assert_eq!(response.status, 200);
    assert!(response.body.is_empty());
}

#[actix_web::test]
async fn request_ids_are_kept_when_given_and_made_up_otherwise() {
    let app = TestApp::spawn().await;
    let given = app
        .get_with("/healthz", &[("x-request-id", "trace-abc-123")])
        .await;
    assert_eq!(given.header("x-request-id"), Some("trace-abc-123"));
    let made = app.get("/healthz").await;
    let id = made.header("x-request-id").unwrap();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let problem = app.get("/missing").await;
    assert!(problem.header("x-request-id").is_some());
}

#[actix_web::test]
async fn responses_are_compressed_when_the_client_asks() {
    let app = TestApp::spawn().await;
    let response = app
        .get_with("/openapi.json", &[("accept-encoding", "gzip")])
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-encoding"), Some("gzip"));
}

#[actix_web::test]
async fn the_openapi_document_is_3_1_with_security_schemes_and_problem_schema() {
    let app = TestApp::spawn().await;
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status, 200);
    let doc = response.value();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "newsdesk");
    assert_eq!(doc["servers"][0]["url"], "/");
    assert!(
        doc["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "operations")
    );
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["api_key"]["name"], "X-Api-Key");
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    let readyz_503 = &doc["paths"]["/readyz"]["get"]["responses"]["503"]["content"];
    assert_eq!(
        readyz_503["application/problem+json"]["schema"]["$ref"],
        "#/components/schemas/Problem"
    );
}

#[actix_web::test]
async fn the_openapi_document_answers_conditional_requests() {
    let app = TestApp::spawn().await;
    let first = app.get("/openapi.json").await;
    let etag = first.header("etag").unwrap().to_owned();
    let again = app
        .get_with("/openapi.json", &[("if-none-match", &etag)])
        .await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
}

#[actix_web::test]
async fn the_committed_openapi_document_matches_the_served_one() {
    let app = TestApp::spawn().await;
    let served = app.get("/openapi.json").await.text();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &served).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == served,
        "openapi/openapi.json is out of date: run `cargo run -- openapi > openapi/openapi.json` \
         (or `UPDATE_OPENAPI=1 cargo test`) and commit it"
    );
}

#[actix_web::test]
async fn swagger_ui_is_served_from_the_binary_and_points_at_the_document() {
    let app = TestApp::spawn().await;
    let redirect = app.get("/docs").await;
    assert_eq!(redirect.status, 307);
    assert_eq!(redirect.header("location"), Some("/docs/"));
    let index = app.get("/docs/").await;
    assert_eq!(index.status, 200);
    assert!(index.text().contains("swagger-ui"));
    let init = app.get("/docs/swagger-initializer.js").await;
    assert_eq!(init.status, 200);
    assert!(init.text().contains("/openapi.json"));
    let bundle = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(bundle.status, 200);
    assert!(bundle.body.len() > 100_000);
}
