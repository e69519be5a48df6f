//! Photos: safe uploads (type from bytes, pixel floods, metadata stripped, polyglots), responsive
//! renditions, `?w=` selection and WebP negotiation, focal-point crops, rights for partners,
//! usage, clean-up on delete and `newsdesk media verify`.

use serde_json::Value;

use crate::helpers::{TestApp, TestResponse};
use crate::speakers::{Fixtures, bearer, images};
use newsdesk::auth::{Role, Scope};

const BOUNDARY: &str = "photos-test-boundary";

/// A `multipart/form-data` upload: text parts, then the file with a made-up name and type.
fn form(texts: &[(&str, &str)], file: &[u8], declared_type: &str) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in texts {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../photo.jpg\"\r\nContent-Type: {declared_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload_with(
    app: &TestApp,
    auth: &str,
    texts: &[(&str, &str)],
    file: &[u8],
) -> TestResponse {
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    app.raw(
        "POST",
        "/v1/media",
        &[("authorization", auth), ("content-type", &content_type)],
        Some(form(texts, file, "image/jpeg")),
    )
    .await
}

async fn upload(app: &TestApp, auth: &str, file: &[u8]) -> TestResponse {
    upload_with(app, auth, &[], file).await
}

/// Files anywhere under a directory.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(files_under(&path));
            } else {
                found.push(path);
            }
        }
    }
    found
}

/// CRC-32 as PNG chunks use it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG of about 1 KB whose valid IHDR claims 60000×60000 pixels.
fn pixel_flood_png() -> Vec<u8> {
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut chunk = b"IHDR".to_vec();
    chunk.extend_from_slice(&60000u32.to_be_bytes());
    chunk.extend_from_slice(&60000u32.to_be_bytes());
    chunk.extend_from_slice(&[8, 2, 0, 0, 0]);
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&chunk);
    png.extend_from_slice(&crc32(&chunk).to_be_bytes());
    // An IDAT of zeros, as a flood would carry (a tiny deflate stream claiming a huge image).
    let mut idat = b"IDAT".to_vec();
    idat.extend_from_slice(&[0u8; 950]);
    png.extend_from_slice(&950u32.to_be_bytes());
    png.extend_from_slice(&idat);
    png.extend_from_slice(&crc32(&idat).to_be_bytes());
    png
}

/// A JPEG whose APP1 EXIF block holds an orientation (a quarter turn) and a GPS latitude.
fn jpeg_with_gps(width: u16, height: u16) -> Vec<u8> {
    let plain = images::jpeg(width, height);
    let mut tiff: Vec<u8> = vec![b'I', b'I', 42, 0, 8, 0, 0, 0];
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&0x0112u16.to_le_bytes());
    tiff.extend_from_slice(&3u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&6u16.to_le_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0x8825u16.to_le_bytes());
    tiff.extend_from_slice(&4u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&38u32.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&2u32.to_le_bytes());
    tiff.extend_from_slice(b"N\0\0\0");
    tiff.extend_from_slice(&0u32.to_le_bytes());
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&plain[2..]);
    out
}

/// The markers of a JPEG's segments before the image data.
fn jpeg_markers(bytes: &[u8]) -> Vec<u8> {
    let mut markers = Vec::new();
    let mut at = 2;
    while at + 4 <= bytes.len() && bytes[at] == 0xFF {
        let marker = bytes[at + 1];
        markers.push(marker);
        if marker == 0xDA {
            break;
        }
        let len = u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]) as usize;
        at += 2 + len;
    }
    markers
}

fn id_of(response: &TestResponse) -> String {
    response.value()["id"].as_str().unwrap().to_owned()
}

fn decode(bytes: &[u8]) -> (u32, u32) {
    let image = image::load_from_memory(bytes).unwrap();
    (image.width(), image.height())
}

#[actix_web::test]
async fn a_one_kilobyte_png_claiming_60000_by_60000_is_a_422_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let auth = bearer(&app, Role::Contributor).await;
    let flood = pixel_flood_png();
    assert!(flood.len() <= 1024);

    let started = std::time::Instant::now();
    let response = upload(&app, &auth, &flood).await;

    let problem = response.problem(422);
    assert_eq!(problem["errors"][0]["field"], "file");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("60000")
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(files_under(&app.dir.path().join("media")).is_empty());
}

#[actix_web::test]
async fn a_jpeg_with_gps_exif_is_stored_upright_with_no_exif_left_in_any_file() {
    let app = TestApp::spawn().await;
    let auth = bearer(&app, Role::Contributor).await;
    let upload_bytes = jpeg_with_gps(400, 200);
    assert!(jpeg_markers(&upload_bytes).contains(&0xE1));

    let response = upload(&app, &auth, &upload_bytes).await;

    assert_eq!(response.status, 201, "{}", response.text());
    let media = response.value();
    // Orientation 6 is a quarter turn: the stored picture is 200 wide and 400 high.
    assert_eq!(
        (media["width"].as_i64(), media["height"].as_i64()),
        (Some(200), Some(400))
    );
    let id = media["id"].as_str().unwrap();
    let file = app
        .get_with(&format!("/v1/media/{id}/file"), &[("authorization", &auth)])
        .await;
    assert_eq!(decode(&file.body), (200, 400));
    assert_eq!(
        newsdesk::media::sha256_hex(&file.body),
        media["sha256"].as_str().unwrap()
    );
    assert_eq!(file.body.len() as i64, media["bytes"].as_i64().unwrap());
    for stored in files_under(&app.dir.path().join("media")) {
        let bytes = std::fs::read(&stored).unwrap();
        assert!(
            !bytes.windows(4).any(|w| w == b"Exif"),
            "{stored:?} has EXIF"
        );
        assert!(
            !bytes.windows(4).any(|w| w == b"http"),
            "{stored:?} has XMP"
        );
        if bytes.starts_with(&[0xFF, 0xD8]) {
            assert!(!jpeg_markers(&bytes).contains(&0xE1), "{stored:?} has APP1");
        }
    }
}

#[actix_web::test]
async fn svg_with_a_script_html_and_a_gif_header_followed_by_script_are_refused() {
    let app = TestApp::spawn().await;
    let auth = bearer(&app, Role::Contributor).await;
    let svg = b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><script>alert(document.cookie)</script></svg>".to_vec();
    let html = b"<html><body><script>alert(1)</script></body></html>".to_vec();
    // A GIF header with a script where the image data should be: its type sniffs as GIF but
    // it does not decode, so it is refused as unreadable (422) and never stored.
    let mut gif_polyglot = b"GIF89a/*\x0a\x00\x0a\x00\x00\x00\x00*/=1;alert(1);".to_vec();
    gif_polyglot.extend_from_slice(b"<script>alert(1)</script>");

    let svg_response = upload(&app, &auth, &svg).await;
    let html_response = upload(&app, &auth, &html).await;
    let gif_response = upload(&app, &auth, &gif_polyglot).await;

    svg_response.problem(415);
    html_response.problem(415);
    let problem = gif_response.problem(422);
    assert_eq!(problem["errors"][0]["field"], "file");
    assert!(files_under(&app.dir.path().join("media")).is_empty());
}

#[actix_web::test]
async fn a_jpeg_with_html_appended_is_accepted_but_stored_re_encoded_without_the_html() {
    let app = TestApp::spawn().await;
    let auth = bearer(&app, Role::Contributor).await;
    let mut polyglot = images::jpeg(64, 48);
    polyglot.extend_from_slice(b"<html><script>alert(document.cookie)</script></html>");

    let response = upload(&app, &auth, &polyglot).await;

    assert_eq!(response.status, 201, "{}", response.text());
    let id = id_of(&response);
    let file = app
        .get_with(&format!("/v1/media/{id}/file"), &[("authorization", &auth)])
        .await;
    assert!(!file.body.windows(7).any(|w| w == b"<script"));
    assert_eq!(file.header("content-type"), Some("image/jpeg"));
    assert_eq!(file.header("x-content-type-options"), Some("nosniff"));
}

#[actix_web::test]
async fn renditions_come_at_each_configured_width_below_the_original_in_both_formats() {
    let app = TestApp::spawn().await;
    let auth = bearer(&app, Role::Contributor).await;

    let response = upload(&app, &auth, &images::jpeg(1200, 900)).await;

    assert_eq!(response.status, 201, "{}", response.text());
    let media = response.value();
    let renditions = media["renditions"].as_array().unwrap();
    let listed: Vec<(i64, i64, &str)> = renditions
        .iter()
        .map(|r| {
            (
                r["width"].as_i64().unwrap(),
                r["height"].as_i64().unwrap(),
                r["content_type"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            (320, 240, "image/jpeg"),
            (320, 240, "image/webp"),
            (640, 480, "image/jpeg"),
            (640, 480, "image/webp"),
            (1024, 768, "image/jpeg"),
            (1024, 768, "image/webp"),
        ]
    );
    for r in renditions {
        let url = r["url"].as_str().unwrap();
        let path = &url[url.find("/v1/").unwrap()..];
        let file = app.get_with(path, &[("authorization", &auth)]).await;
        assert_eq!(file.status, 200, "{path}");
        assert_eq!(file.header("content-type"), r["content_type"].as_str());
        assert_eq!(
            decode(&file.body),
            (
                r["width"].as_u64().unwrap() as u32,
                r["height"].as_u64().unwrap() as u32
            )
        );
    }
}

/// Uploads a photo and has a new published article use it, so anyone may fetch it; returns
/// (photo id, article id).
async fn public_photo(
    app: &TestApp,
    fx: &mut Fixtures,
    texts: &[(&str, &str)],
    bytes: &[u8],
) -> (String, String) {
    // Rights fields are editors' to set.
    let auth = bearer(app, Role::Editor).await;
    let response = upload_with(app, &auth, texts, bytes).await;
    assert_eq!(response.status, 201, "{}", response.text());
    let id = id_of(&response);
    let article = fx.published_article();
    fx.link_media(&article, &id);
    (id, article)
}

#[actix_web::test]
async fn w_serves_the_smallest_rendition_wide_enough_and_webp_to_clients_that_accept_it() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let (id, _) = public_photo(&app, &mut fx, &[], &images::jpeg(1200, 900)).await;
    let path = format!("/v1/media/{id}/file");

    let small = app.get(&format!("{path}?w=300")).await;
    let middle = app.get(&format!("{path}?w=700")).await;
    let wide = app.get(&format!("{path}?w=2000")).await;
    let webp = app
        .get_with(
            &format!("{path}?w=300"),
            &[("accept", "image/avif,image/webp,*/*;q=0.8")],
        )
        .await;
    let refused_webp = app
        .get_with(&format!("{path}?w=300"), &[("accept", "image/webp;q=0")])
        .await;
    let forced = app.get(&format!("{path}?w=300&format=webp")).await;
    let original = app.get(&path).await;

    assert_eq!(decode(&small.body), (320, 240));
    assert_eq!(small.header("content-type"), Some("image/jpeg"));
    assert!(small.header("vary").unwrap().starts_with("Accept"));
    assert_eq!(decode(&middle.body), (1024, 768));
    assert_eq!(decode(&wide.body), (1200, 900));
    assert_eq!(webp.header("content-type"), Some("image/webp"));
    assert_eq!(decode(&webp.body), (320, 240));
    assert_eq!(refused_webp.header("content-type"), Some("image/jpeg"));
    assert_eq!(forced.header("content-type"), Some("image/webp"));
    assert_eq!(decode(&original.body), (1200, 900));
    for response in [&small, &webp, &original] {
        assert_eq!(response.header("cache-control"), Some("public, max-age=60"));
        let etag = response.header("etag").unwrap();
        assert!(etag.starts_with('"'));
        assert_eq!(
            etag,
            format!("\"{}\"", newsdesk::media::sha256_hex(&response.body))
        );
    }
    let again = app
        .get_with(
            &format!("{path}?w=300"),
            &[("if-none-match", small.header("etag").unwrap())],
        )
        .await;
    assert_eq!(again.status, 304);
    let part = app
        .get_with(&format!("{path}?w=300"), &[("range", "bytes=0-9")])
        .await;
    assert_eq!(part.status, 206);
    assert_eq!(part.body, &small.body[..10]);
}

#[actix_web::test]
async fn anonymous_file_reads_are_kept_per_format_and_ranges_always_reach_the_disk() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let (id, _) = public_photo(&app, &mut fx, &[], &images::jpeg(800, 600)).await;
    let path = format!("/v1/media/{id}/file?w=300");
    let webp = [("accept", "image/webp,*/*;q=0.8")];

    let jpeg_first = app.get(&path).await;
    let webp_first = app.get_with(&path, &webp).await;
    let jpeg_again = app.get(&path).await;
    let webp_again = app.get_with(&path, &webp).await;
    let part = app.get_with(&path, &[("range", "bytes=0-9")]).await;

    assert_eq!(jpeg_first.header("x-cache"), Some("MISS"));
    assert_eq!(webp_first.header("x-cache"), Some("MISS"));
    assert_eq!(jpeg_again.header("x-cache"), Some("HIT"));
    assert_eq!(webp_again.header("x-cache"), Some("HIT"));
    assert_eq!(jpeg_again.header("content-type"), Some("image/jpeg"));
    assert_eq!(webp_again.header("content-type"), Some("image/webp"));
    assert_eq!(jpeg_again.body, jpeg_first.body);
    assert_eq!(webp_again.body, webp_first.body);
    assert_eq!(jpeg_again.header("etag"), jpeg_first.header("etag"));
    assert!(jpeg_again.header("vary").unwrap().starts_with("Accept"));
    assert_eq!(part.status, 206);
    assert_eq!(part.header("x-cache"), None);
    assert_eq!(part.body, &jpeg_first.body[..10]);
}

#[actix_web::test]
async fn crops_have_the_asked_size_keep_the_focal_point_and_are_made_once() {
    let app = TestApp::spawn_with(|s| s.rendition_widths = vec![100]).await;
    let mut fx = Fixtures::open(&app);
    // Black, with a white block at the far right where the focal point is.
    let picture = image::RgbImage::from_fn(800, 200, |x, _| {
        if x >= 720 {
            image::Rgb([255, 255, 255])
        } else {
            image::Rgb([0, 0, 0])
        }
    });
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(picture)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let (id, _) = public_photo(
        &app,
        &mut fx,
        &[("focal_point_x", "0.95"), ("focal_point_y", "0.5")],
        &png,
    )
    .await;
    let path = format!("/v1/media/{id}/file?w=100&h=100");

    let first = app.get(&path).await;
    let second = app.get(&path).await;
    let webp = app.get_with(&path, &[("accept", "image/webp")]).await;
    let revalidated = app
        .get_with(&path, &[("if-none-match", first.header("etag").unwrap())])
        .await;

    assert_eq!(first.status, 200);
    assert_eq!(first.header("content-type"), Some("image/png"));
    let crop = image::load_from_memory(&first.body).unwrap().to_rgb8();
    assert_eq!(crop.dimensions(), (100, 100));
    assert_eq!(
        crop.get_pixel(90, 50)[0],
        255,
        "the focal point stays in frame"
    );
    assert_eq!(second.body, first.body);
    assert_eq!(second.header("etag"), first.header("etag"));
    assert_eq!(first.header("cache-control"), Some("public, max-age=60"));
    assert_eq!(webp.header("content-type"), Some("image/webp"));
    assert_eq!(decode(&webp.body), (100, 100));
    assert_eq!(revalidated.status, 304);
    let cached = files_under(&app.dir.path().join("media/crops"));
    assert_eq!(cached.len(), 2, "one PNG and one WebP crop: {cached:?}");
}

#[actix_web::test]
async fn the_crop_cache_stays_within_its_byte_budget() {
    let app = TestApp::spawn_with(|s| {
        s.crop_cache_bytes = 3_000;
        s.rendition_widths = vec![40, 50, 60, 70, 80, 90];
    })
    .await;
    let mut fx = Fixtures::open(&app);
    let (id, _) = public_photo(&app, &mut fx, &[], &images::jpeg(400, 300)).await;

    for size in [40, 50, 60, 70, 80, 90] {
        let response = app
            .get(&format!("/v1/media/{id}/file?w={size}&h={size}"))
            .await;
        assert_eq!(response.status, 200);
        assert_eq!(decode(&response.body), (size, size));
    }

    let total: u64 = files_under(&app.dir.path().join("media/crops"))
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    assert!(total <= 3_000, "{total} bytes cached");
}

#[actix_web::test]
async fn crops_come_only_in_the_offered_ratios_at_the_rendition_widths() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let (id, _) = public_photo(&app, &mut fx, &[], &images::jpeg(1200, 900)).await;
    let file = |query: &str| format!("/v1/media/{id}/file?{query}");

    let wide = app.get(&file("w=640&h=360")).await;
    let classic = app.get(&file("w=320&h=240")).await;
    let square = app.get(&file("w=1024&h=1024")).await;
    let odd_height = app.get(&file("w=640&h=400")).await;
    let odd_width = app.get(&file("w=600&h=600")).await;

    assert_eq!(wide.status, 200);
    assert_eq!(decode(&wide.body), (640, 360));
    assert_eq!(decode(&classic.body), (320, 240));
    // The original is only 900 high: the square crop is the largest it allows.
    assert_eq!(decode(&square.body), (900, 900));
    let problem = odd_height.problem(400);
    assert_eq!(problem["errors"][0]["field"], "h");
    let message = problem["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("640 (1:1), 360 (16:9), 480 (4:3)"),
        "{message}"
    );
    let problem = odd_width.problem(400);
    assert_eq!(problem["errors"][0]["field"], "w");
    assert!(
        problem.to_string().contains("320, 640, 1024, 1600"),
        "{problem}"
    );
}

#[actix_web::test]
async fn the_configured_crop_sizes_replace_the_default_ratios() {
    let app = TestApp::spawn_with(|s| {
        s.crop_sizes = vec![newsdesk::config::AspectRatio {
            width: 3,
            height: 2,
        }];
    })
    .await;
    let mut fx = Fixtures::open(&app);
    let (id, _) = public_photo(&app, &mut fx, &[], &images::jpeg(1200, 900)).await;

    let offered = app.get(&format!("/v1/media/{id}/file?w=320&h=213")).await;
    let default_square = app.get(&format!("/v1/media/{id}/file?w=320&h=320")).await;

    assert_eq!(decode(&offered.body), (320, 213));
    assert_eq!(default_square.problem(400)["errors"][0]["field"], "h");
}

#[actix_web::test]
async fn crops_are_made_a_bounded_number_at_a_time_and_cached_ones_need_no_turn() {
    let app = TestApp::spawn_with(|s| {
        s.crop_concurrency = 1;
        s.crop_wait = std::time::Duration::from_millis(100);
        // Off, so the second read reaches the crop cache rather than the kept response.
        s.response_cache_bytes = 0;
    })
    .await;
    let mut fx = Fixtures::open(&app);
    let (id, _) = public_photo(&app, &mut fx, &[], &images::jpeg(400, 300)).await;
    let path = format!("/v1/media/{id}/file?w=320&h=320");

    // The one turn is taken: a crop that has to be made waits, then gives up.
    let turn = app.state.crops.permit().await.unwrap();
    let while_busy = app.get(&path).await;
    drop(turn);
    let made = app.get(&path).await;
    let turn = app.state.crops.permit().await.unwrap();
    let from_cache = app.get(&path).await;
    drop(turn);

    while_busy.problem(503);
    assert_eq!(while_busy.header("retry-after"), Some("1"));
    assert_eq!(made.status, 200);
    assert_eq!(from_cache.status, 200);
    assert_eq!(from_cache.body, made.body);
}

#[actix_web::test]
async fn photo_files_are_cached_no_longer_than_their_usage_date_and_visibility_allow() {
    let app = TestApp::spawn_with(|s| s.cache_max_age = 86_400).await;
    let mut fx = Fixtures::open(&app);
    let editor = bearer(&app, Role::Editor).await;
    let soon = newsdesk::time::format(chrono::Utc::now() + chrono::Duration::seconds(600));
    let (lapsing, _) = public_photo(
        &app,
        &mut fx,
        &[("usage_expires", soon.as_str())],
        &images::jpeg(400, 300),
    )
    .await;
    let (published, _) = public_photo(&app, &mut fx, &[], &images::png(400, 300)).await;
    let unused = id_of(&upload(&app, &editor, &images::jpeg(64, 48)).await);
    let expired = id_of(
        &upload_with(
            &app,
            &editor,
            &[("usage_expires", "2020-01-01T00:00:00Z")],
            &images::gif(40, 30),
        )
        .await,
    );
    let file = |id: &str, query: &str| format!("/v1/media/{id}/file{query}");
    let as_editor = [("authorization", editor.as_str())];

    let lapsing_original = app.get(&file(&lapsing, "")).await;
    let lapsing_rendition = app.get(&file(&lapsing, "?w=320")).await;
    let published_original = app.get(&file(&published, "")).await;
    let unused_original = app.get_with(&file(&unused, ""), &as_editor).await;
    let unused_crop = app
        .get_with(&file(&unused, "?w=320&h=240"), &as_editor)
        .await;
    let expired_original = app.get_with(&file(&expired, ""), &as_editor).await;

    for lapsing in [&lapsing_original, &lapsing_rendition] {
        let control = lapsing.header("cache-control").unwrap();
        let max_age: u64 = control
            .strip_prefix("public, max-age=")
            .unwrap_or_else(|| panic!("{control}"))
            .parse()
            .unwrap_or_else(|_| panic!("{control}"));
        assert!((500..=600).contains(&max_age), "{control}");
    }
    // Visible only through a published article: short-lived, as an unpublish can hide it.
    assert_eq!(
        published_original.header("cache-control"),
        Some("public, max-age=86400")
    );
    assert_eq!(
        unused_original.header("cache-control"),
        Some("private, max-age=31536000, immutable")
    );
    // A crop moves with the focal point, so it is never immutable.
    assert_eq!(
        unused_crop.header("cache-control"),
        Some("private, max-age=86400")
    );
    assert_eq!(
        expired_original.header("cache-control"),
        Some("private, max-age=0")
    );
}

#[actix_web::test]
async fn bad_file_parameters_are_400s_naming_the_parameter() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let (id, _) = public_photo(&app, &mut fx, &[], &images::jpeg(64, 48)).await;
    let cases = [
        ("w=0", "w"),
        ("w=4097", "w"),
        ("w=10&h=0", "h"),
        ("w=10&h=5000", "h"),
        ("h=10", "h"),
        ("w=100&h=100", "w"),
        ("w=320&h=200", "h"),
        ("w=10&format=avif", "format"),
    ];

    for (query, field) in cases {
        let response = app.get(&format!("/v1/media/{id}/file?{query}")).await;
        let problem = response.problem(400);
        assert!(problem.to_string().contains(field), "{query}: {problem}");
    }
    let unknown = app.get(&format!("/v1/media/{id}/file?width=10")).await;
    assert!(unknown.problem(400).to_string().contains("width"));
}

#[actix_web::test]
async fn partners_only_see_photos_they_may_republish_while_the_licence_runs() {
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let jpeg = images::jpeg(40, 30);
    let (allowed, article) =
        public_photo(&app, &mut fx, &[("syndication_allowed", "true")], &jpeg).await;
    let (restricted, _) = public_photo(
        &app,
        &mut fx,
        &[("caption", "restricted")],
        &images::png(40, 30),
    )
    .await;
    let (expired, _) = public_photo(
        &app,
        &mut fx,
        &[
            ("syndication_allowed", "true"),
            ("usage_expires", "2020-01-01T00:00:00Z"),
        ],
        &images::gif(40, 30),
    )
    .await;
    fx.link_media(&article, &restricted);
    fx.link_media(&article, &expired);
    let key = app.api_key(&[Scope::ContentRead]).await;
    let partner = [("x-api-key", key.as_str())];

    let list = app.get_with("/v1/media?count=true", &partner).await;
    let public_list = app.get("/v1/media?count=true").await;
    let included = app
        .get_with(&format!("/v1/articles/{article}?include=media"), &partner)
        .await;

    let list = list.value();
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [allowed.as_str()]);
    assert_eq!(list["total"], 1);
    assert_eq!(public_list.value()["total"], 3);
    let included = included.value();
    assert_eq!(
        included["included"]["media"].as_array().unwrap().len(),
        1,
        "{included}"
    );
    assert_eq!(included["included"]["media"][0]["id"], allowed.as_str());
    assert_eq!(
        app.get_with(&format!("/v1/media/{allowed}"), &partner)
            .await
            .status,
        200
    );
    assert_eq!(
        app.get_with(&format!("/v1/media/{allowed}/file"), &partner)
            .await
            .status,
        200
    );
    for id in [&restricted, &expired] {
        app.get_with(&format!("/v1/media/{id}"), &partner)
            .await
            .problem(404);
        app.get_with(&format!("/v1/media/{id}/file"), &partner)
            .await
            .problem(404);
        app.get_with(&format!("/v1/media/{id}/file?w=10"), &partner)
            .await
            .problem(404);
        assert_eq!(app.get(&format!("/v1/media/{id}/file")).await.status, 200);
    }
}

#[actix_web::test]
async fn rights_fields_are_set_on_upload_and_changed_with_patch() {
    let app = TestApp::spawn().await;
    let auth = bearer(&app, Role::Editor).await;
    let response = upload_with(
        &app,
        &auth,
        &[
            ("credit", "Photo by A. Reporter"),
            ("copyright", "© 2026 Agency"),
            ("license", "editorial use only"),
        ],
        &images::jpeg(40, 30),
    )
    .await;
    let media = response.value();
    let id = media["id"].as_str().unwrap();

    let patched = app
        .json(
            "PATCH",
            &format!("/v1/media/{id}"),
            &serde_json::json!({"syndication_allowed": true, "usage_expires": "2031-05-01T12:00:00Z", "license": null}),
            &[("authorization", &auth), ("if-match", "*")],
        )
        .await;

    assert_eq!(media["syndication_allowed"], false);
    assert_eq!(media["credit"], "Photo by A. Reporter");
    assert_eq!(media["copyright"], "© 2026 Agency");
    assert_eq!(media["license"], "editorial use only");
    assert_eq!(patched.status, 200, "{}", patched.text());
    let patched = patched.value();
    assert_eq!(patched["syndication_allowed"], true);
    assert_eq!(patched["usage_expires"], "2031-05-01T12:00:00.000000Z");
    assert_eq!(patched["license"], Value::Null);
    assert_eq!(patched["credit"], "Photo by A. Reporter");
}

#[actix_web::test]
async fn usage_lists_the_articles_and_speakers_that_use_a_photo_and_blocks_deletion() {
    let app = TestApp::spawn().await;
    let auth = bearer(&app, Role::Editor).await;
    let id = id_of(&upload(&app, &auth, &images::jpeg(40, 30)).await);
    let unused = id_of(&upload(&app, &auth, &images::png(40, 30)).await);
    let mut fx = Fixtures::open(&app);
    let body_article = fx.published_article();
    fx.link_media(&body_article, &id);
    let speaker = fx.speaker_with_photo("Amina Diallo", Some(&id));

    let usage = app
        .get_with(
            &format!("/v1/media/{id}/usage"),
            &[("authorization", &auth)],
        )
        .await;
    let none = app
        .get_with(
            &format!("/v1/media/{unused}/usage"),
            &[("authorization", &auth)],
        )
        .await;
    let anonymous = app.get(&format!("/v1/media/{id}/usage")).await;
    let missing = app
        .get_with("/v1/media/no-such-photo/usage", &[("authorization", &auth)])
        .await;
    let delete = app
        .raw(
            "DELETE",
            &format!("/v1/media/{id}"),
            &[("authorization", &auth), ("if-match", "*")],
            None,
        )
        .await;

    assert_eq!(usage.status, 200);
    let usage = usage.value();
    assert_eq!(usage["media_id"], id.as_str());
    assert_eq!(usage["articles"][0]["id"], body_article.as_str());
    assert_eq!(usage["articles"][0]["hero"], false);
    assert_eq!(usage["speakers"][0]["id"], speaker.as_str());
    assert_eq!(usage["speakers"][0]["name"], "Amina Diallo");
    assert_eq!(none.value()["articles"], serde_json::json!([]));
    anonymous.problem(401);
    missing.problem(404);
    delete.problem(409);
}

#[actix_web::test]
async fn deleting_a_photo_removes_its_original_renditions_and_crops_from_disk() {
    let app = TestApp::spawn().await;
    let auth = bearer(&app, Role::Editor).await;
    let id = id_of(&upload(&app, &auth, &images::jpeg(700, 500)).await);
    let crop = app
        .get_with(
            &format!("/v1/media/{id}/file?w=320&h=320"),
            &[("authorization", &auth)],
        )
        .await;
    let media_dir = app.dir.path().join("media");
    let before = files_under(&media_dir).len();

    let deleted = app
        .raw(
            "DELETE",
            &format!("/v1/media/{id}"),
            &[("authorization", &auth), ("if-match", "*")],
            None,
        )
        .await;

    assert_eq!(crop.status, 200);
    // The original, 320 and 640 in JPEG and WebP, and the crop.
    assert_eq!(before, 6);
    assert_eq!(deleted.status, 204);
    assert_eq!(files_under(&media_dir), Vec::<std::path::PathBuf>::new());
}

#[actix_web::test]
async fn media_verify_reports_missing_corrupt_and_orphaned_files_with_a_failing_exit_code() {
    let app = TestApp::spawn().await;
    let auth = bearer(&app, Role::Contributor).await;
    let first = upload(&app, &auth, &images::jpeg(400, 300)).await.value();
    upload(&app, &auth, &images::png(30, 20)).await;
    let media_dir = app.dir.path().join("media");
    let verify = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_newsdesk"))
            .args(["media", "verify"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DATABASE_URL", app.db_path())
            .env("NEWSDESK_MEDIA_DIR", &media_dir)
            .env("NEWSDESK_DEMO", "false")
            .env(
                "NEWSDESK_JWT_SECRET",
                "verify-test-secret-that-is-long-enough-0123",
            )
            .output()
            .unwrap()
    };
    let clean = verify();
    let original = media_dir
        .join("originals")
        .join(&first["sha256"].as_str().unwrap()[..2])
        .join(first["sha256"].as_str().unwrap());
    let rendition_sha = {
        let url = first["renditions"][0]["url"].as_str().unwrap().to_owned();
        let path = &url[url.find("/v1/").unwrap()..];
        newsdesk::media::sha256_hex(&app.get_with(path, &[("authorization", &auth)]).await.body)
    };
    std::fs::write(&original, b"tampered").unwrap();
    std::fs::remove_file(
        media_dir
            .join("originals")
            .join(&rendition_sha[..2])
            .join(&rendition_sha),
    )
    .unwrap();
    std::fs::create_dir_all(media_dir.join("originals/00")).unwrap();
    std::fs::write(media_dir.join("originals/00/stray"), b"stray").unwrap();

    let broken = verify();

    assert!(
        clean.status.success(),
        "{}",
        String::from_utf8_lossy(&clean.stdout)
    );
    assert!(String::from_utf8_lossy(&clean.stdout).contains("0 missing, 0 corrupt, 0 orphaned"));
    assert!(!broken.status.success());
    let report = String::from_utf8_lossy(&broken.stdout);
    assert!(
        report.contains(&format!("corrupt   {}", first["sha256"].as_str().unwrap())),
        "{report}"
    );
    assert!(
        report.contains(&format!("missing   {rendition_sha}")),
        "{report}"
    );
    assert!(
        report.contains("orphaned") && report.contains("stray"),
        "{report}"
    );
}

#[actix_web::test]
async fn feeds_and_ninjs_give_partners_only_heroes_they_may_still_republish() {
    use diesel::RunQueryDsl;
    let app = TestApp::spawn().await;
    let mut fx = Fixtures::open(&app);
    let (allowed, first) = public_photo(
        &app,
        &mut fx,
        &[("syndication_allowed", "true")],
        &images::jpeg(40, 30),
    )
    .await;
    let (expired, second) = public_photo(
        &app,
        &mut fx,
        &[
            ("syndication_allowed", "true"),
            ("usage_expires", "2020-01-01T00:00:00Z"),
        ],
        &images::jpeg(30, 40),
    )
    .await;
    let mut conn = fx.conn();
    for (article, photo) in [(&first, &allowed), (&second, &expired)] {
        diesel::sql_query(format!(
            "UPDATE articles SET hero_media_id = '{photo}' WHERE id = '{article}'"
        ))
        .execute(&mut conn)
        .unwrap();
    }
    let key = app.api_key(&[Scope::FeedsRead]).await;
    let partner = [("x-api-key", key.as_str())];

    let ninjs = app.get_with("/v1/feeds/ninjs", &partner).await;
    let json_feed = app.get_with("/v1/feeds/json", &partner).await;
    let single = app
        .get_with(&format!("/v1/articles/{second}/ninjs"), &partner)
        .await;

    assert_eq!(ninjs.status, 200, "{}", ninjs.text());
    for response in [&ninjs, &json_feed] {
        assert!(response.text().contains(&allowed), "{}", response.text());
        assert!(!response.text().contains(&expired), "{}", response.text());
    }
    assert_eq!(single.status, 200, "{}", single.text());
    assert!(!single.text().contains(&expired));
}
