//! The clinic's own exercise pictures: uploaded through the exercise page, refused with a
//! message when they are not what the form takes, served to staff and patients, printed
//! on the sheet, carried by backups.

mod common;

use std::io::Cursor;

use common::clinic::{case_for, case_patient_id, exercise_id, item, portal_patient, post_builder};
use common::{Browser, TestApp, csrf_from, html_unescape, location, spawn_app};
use image::ImageFormat;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

/// A photo-like picture: smooth light with shapes and some grain, different per seed.
fn photo(width: u32, height: u32, seed: u32) -> image::RgbImage {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    image::RgbImage::from_fn(width, height, |x, y| {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let grain = (state >> 27) as i32 - 16;
        let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
        let dx = fx - 0.3 - (seed % 5) as f32 * 0.08;
        let dy = fy - 0.5;
        let figure = if dx * dx + dy * dy < 0.04 { -70 } else { 0 };
        let channel = |base: f32, tilt: f32| {
            (base + tilt * fx * 80.0 + fy * 40.0 + (figure + grain) as f32).clamp(0.0, 255.0) as u8
        };
        image::Rgb([
            channel(170.0, 0.6),
            channel(150.0 + (seed % 7) as f32 * 6.0, 0.3),
            channel(120.0, -0.4),
        ])
    })
}

fn encoded(picture: &image::DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Vec::new();
    picture
        .write_to(&mut Cursor::new(&mut bytes), format)
        .unwrap_or_else(|e| panic!("encode {format:?}: {e}"));
    bytes
}

fn jpeg(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let picture = image::DynamicImage::ImageRgb8(photo(width, height, seed));
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 90)
        .encode_image(&picture)
        .unwrap_or_else(|e| panic!("{e}"));
    bytes
}

/// A drawing with a transparent background.
fn png_drawing(width: u32, height: u32) -> Vec<u8> {
    let picture = image::RgbaImage::from_fn(width, height, |x, y| {
        if (x + y) % 40 < 6 {
            image::Rgba([20, 60, 90, 255])
        } else {
            image::Rgba([255, 255, 255, 0])
        }
    });
    encoded(&image::DynamicImage::ImageRgba8(picture), ImageFormat::Png)
}

const GPS_MARKER: &[u8] = b"PHYSIOCASE-GPS-MARKER";

/// A JPEG whose EXIF block (APP1) says "rotate 90° clockwise to view" and carries a GPS
/// block with a latitude reference and a datum text that can be searched for.
fn jpeg_with_exif_gps(width: u32, height: u32) -> Vec<u8> {
    let plain = jpeg(width, height, 3);
    let mut tiff: Vec<u8> = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    // IFD0: orientation 6, and the pointer to the GPS IFD at offset 38.
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1, 0x00, 0x06, 0, 0]);
    tiff.extend_from_slice(&[0x88, 0x25, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 38]);
    tiff.extend_from_slice(&0u32.to_be_bytes());
    // GPS IFD: latitude reference "N" and a map datum text stored at offset 68.
    let mut datum = GPS_MARKER.to_vec();
    datum.push(0);
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend_from_slice(&[0x00, 0x01, 0x00, 0x02, 0, 0, 0, 2, b'N', 0, 0, 0]);
    tiff.extend_from_slice(&[0x00, 0x12, 0x00, 0x02]);
    tiff.extend_from_slice(&(datum.len() as u32).to_be_bytes());
    tiff.extend_from_slice(&68u32.to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    assert_eq!(tiff.len(), 68);
    tiff.extend_from_slice(&datum);
    let mut app1 = b"Exif\x00\x00".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&plain[2..]);
    out
}

/// A valid PNG that claims 30000 × 30000 pixels (900 megapixels) and compresses to a
/// small file: one bit per pixel, every pixel black.
fn png_bomb() -> Vec<u8> {
    use std::io::Write;
    const SIDE: u32 = 30_000;
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut header = Vec::new();
    header.extend_from_slice(&SIDE.to_be_bytes());
    header.extend_from_slice(&SIDE.to_be_bytes());
    header.extend_from_slice(&[1, 0, 0, 0, 0]);
    let row = vec![0u8; 1 + (SIDE as usize).div_ceil(8)];
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    for _ in 0..SIDE {
        encoder.write_all(&row).unwrap_or_else(|e| panic!("{e}"));
    }
    let data = encoder.finish().unwrap_or_else(|e| panic!("{e}"));
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &header);
    chunk(&mut out, b"IDAT", &data);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Posts the exercise page's picture form as a browser does: multipart, with the page's
/// CSRF token.
async fn upload(
    browser: &Browser,
    exercise: i64,
    file_name: &str,
    mime: &str,
    bytes: Vec<u8>,
    caption: &str,
) -> reqwest::Response {
    let page = browser.page(&format!("/exercises/{exercise}")).await;
    let token = csrf_from(&page).unwrap_or_else(|| panic!("no form on the exercise page"));
    let part = Part::bytes(bytes)
        .file_name(file_name.to_owned())
        .mime_str(mime)
        .unwrap_or_else(|e| panic!("{e}"));
    let form = Form::new()
        .text("csrf_token", token)
        .text("caption", caption.to_owned())
        .part("picture", part);
    browser
        .client
        .post(browser.url(&format!("/exercises/{exercise}/pictures")))
        .multipart(form)
        .send()
        .await
        .unwrap_or_else(|e| panic!("upload: {e}"))
}

/// Uploads a picture that must be accepted; returns its id.
async fn add_picture(app: &TestApp, browser: &Browser, exercise: i64, bytes: Vec<u8>) -> i64 {
    let response = upload(browser, exercise, "photo.jpg", "image/jpeg", bytes, "").await;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    assert_eq!(status, StatusCode::SEE_OTHER, "upload accepted: {body}");
    newest_picture(app)
}

fn newest_picture(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    use physiocase::db::schema::exercise_pictures::dsl;
    dsl::exercise_pictures
        .select(dsl::id)
        .order(dsl::id.desc())
        .first(&mut app.conn())
        .unwrap_or_else(|e| panic!("no picture stored: {e}"))
}

async fn fetch(browser: &Browser, path: &str) -> (String, Vec<u8>) {
    let response = browser.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    let kind = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = response
        .bytes()
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    (kind, bytes)
}

async fn choose_clinic_pictures(browser: &Browser, exercise: i64) {
    let page = format!("/exercises/{exercise}");
    let response = browser
        .submit(
            &page,
            &format!("/exercises/{exercise}/pictures/choice"),
            &[("choice", "clinic")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The markers of a JPEG's segments up to the start of its image data.
fn jpeg_markers(bytes: &[u8]) -> Vec<u8> {
    let mut markers = Vec::new();
    let mut at = 2;
    while at + 4 <= bytes.len() && bytes[at] == 0xFF {
        let marker = bytes[at + 1];
        markers.push(marker);
        if marker == 0xDA {
            break;
        }
        let length = u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]) as usize;
        at += 2 + length;
    }
    markers
}

#[tokio::test]
async fn jpeg_png_and_webp_uploads_are_stored_and_served_with_their_type() {
    let app = spawn_app().await;
    let (_admin, t) = app.therapist().await;
    let chin = exercise_id(&app, "chin-tuck");

    let photo_id = add_picture(&app, &t, chin, jpeg(1600, 1200, 1)).await;
    let (kind, screen) = fetch(&t, &format!("/exercise-pictures/{photo_id}/screen")).await;
    assert_eq!(kind, "image/jpeg");
    let shown = image::load_from_memory(&screen).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (shown.width(), shown.height()),
        (800, 600),
        "longest side 800"
    );
    let (kind, print) = fetch(&t, &format!("/exercise-pictures/{photo_id}/print")).await;
    assert_eq!(kind, "image/jpeg");
    assert!(image::load_from_memory(&print).is_ok_and(|p| p.width() < 400));

    let response = upload(
        &t,
        chin,
        "drawing.png",
        "image/png",
        png_drawing(400, 300),
        "",
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let drawing = newest_picture(&app);
    let (kind, bytes) = fetch(&t, &format!("/exercise-pictures/{drawing}/screen")).await;
    assert_eq!(kind, "image/png", "a drawing keeps its transparency");
    let shown = image::load_from_memory_with_format(&bytes, ImageFormat::Png)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(shown.color().has_alpha());

    let webp = encoded(
        &image::DynamicImage::ImageRgb8(photo(640, 480, 2)),
        ImageFormat::WebP,
    );
    let response = upload(&t, chin, "photo.webp", "image/webp", webp, "").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let from_webp = newest_picture(&app);
    let response = t
        .get(&format!("/exercise-pictures/{from_webp}/thumb"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(
        headers.get("content-type").map(|v| v.as_bytes()),
        Some(&b"image/jpeg"[..])
    );
    assert_eq!(
        headers.get("x-content-type-options").map(|v| v.as_bytes()),
        Some(&b"nosniff"[..])
    );
    let cache = headers
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        cache.contains("max-age=31536000") && cache.contains("immutable"),
        "{cache}"
    );
    let thumb = response.bytes().await.unwrap_or_default();
    assert!(image::load_from_memory(&thumb).is_ok_and(|p| p.width() == 160));

    // The exercise page shows all three, each with its text alternative.
    let page = t.page(&format!("/exercises/{chin}")).await;
    for id in [photo_id, drawing, from_webp] {
        assert!(page.contains(&format!("src=\"/exercise-pictures/{id}/screen\"")));
    }
    assert!(
        page.contains("alt=\"Chin tuck, picture 1\""),
        "default caption"
    );
    let actions = app.audit_actions();
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "exercise.picture_added")
            .count(),
        3
    );

    // Patients see library pictures through the portal; nobody signed out does.
    let case = common::clinic::open_case(&t).await;
    let patient = portal_patient(&app, &t, case_patient_id(&app, &case), "zoe@example.com").await;
    let (kind, _) = fetch(&patient, &format!("/exercise-pictures/{photo_id}/screen")).await;
    assert_eq!(kind, "image/jpeg");
    let stranger = app.browser();
    let response = stranger
        .get(&format!("/exercise-pictures/{photo_id}/screen"))
        .await;
    assert_ne!(response.status(), StatusCode::OK);
    assert!(location(&response).starts_with("/login"));
}

#[tokio::test]
async fn exif_gps_is_gone_and_the_photo_is_turned_upright() {
    let app = spawn_app().await;
    let (_admin, t) = app.therapist().await;
    let chin = exercise_id(&app, "chin-tuck");
    let sent = jpeg_with_exif_gps(600, 400);
    assert!(contains(&sent, GPS_MARKER) && contains(&sent, b"Exif\0\0"));
    assert!(jpeg_markers(&sent).contains(&0xE1));
    let id = add_picture(&app, &t, chin, sent).await;
    for size in ["screen", "print", "thumb"] {
        let (_, bytes) = fetch(&t, &format!("/exercise-pictures/{id}/{size}")).await;
        assert!(
            !contains(&bytes, GPS_MARKER),
            "{size}: the GPS block is gone"
        );
        assert!(!contains(&bytes, b"Exif"), "{size}: no EXIF at all");
        assert!(!jpeg_markers(&bytes).contains(&0xE1), "{size}: no APP1");
        let shown = image::load_from_memory(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            shown.height() > shown.width(),
            "{size}: turned upright ({} × {})",
            shown.width(),
            shown.height()
        );
    }
    // Nor is it anywhere in the database.
    use diesel::prelude::*;
    use physiocase::db::schema::exercise_pictures::dsl;
    let stored: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = dsl::exercise_pictures
        .select((dsl::screen, dsl::print_jpeg, dsl::thumb))
        .load(&mut app.conn())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(stored.iter().all(|(a, b, c)| !contains(a, GPS_MARKER)
        && !contains(b, GPS_MARKER)
        && !contains(c, GPS_MARKER)));
}

/// Uploads what must be refused and returns the page answered.
async fn refused(
    app: &TestApp,
    t: &Browser,
    exercise: i64,
    name: &str,
    mime: &str,
    bytes: Vec<u8>,
    caption: &str,
) -> String {
    let before = app.count("exercise_pictures");
    let response = upload(t, exercise, name, mime, bytes, caption).await;
    let status = response.status();
    let page = response.text().await.unwrap_or_default();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {page}");
    assert_eq!(
        app.count("exercise_pictures"),
        before,
        "{name}: nothing stored"
    );
    assert!(
        page.contains("id=\"picture-error\""),
        "{name}: message beside the field"
    );
    html_unescape(&page)
}

#[tokio::test]
async fn bad_files_are_refused_on_the_form_with_the_caption_kept() {
    let app = spawn_app().await;
    let (_admin, t) = app.therapist().await;
    let chin = exercise_id(&app, "chin-tuck");
    let caption = "Start: chin level, eyes ahead — Zoë's way";

    let bomb = png_bomb();
    assert!(
        bomb.len() < 1024 * 1024,
        "the bomb is small: {} bytes",
        bomb.len()
    );
    let page = refused(&app, &t, chin, "huge.png", "image/png", bomb, caption).await;
    assert!(
        page.contains("30000 × 30000 pixels, more than the 40 megapixels accepted"),
        "{page}"
    );
    assert!(
        page.contains(&format!("value=\"{caption}\"")),
        "caption kept"
    );
    assert!(
        page.contains("up to 10 MB and 40 megapixels"),
        "the limit is in the help text"
    );

    let page = refused(
        &app,
        &t,
        chin,
        "notes.jpg",
        "image/jpeg",
        b"Exercise notes, not a photo at all.\n".to_vec(),
        caption,
    )
    .await;
    assert!(page.contains("The file is not a picture."));
    assert!(page.contains(&format!("value=\"{caption}\"")));

    let mut large = jpeg(64, 64, 9);
    large.resize(11 * 1024 * 1024, 0);
    let page = refused(&app, &t, chin, "large.jpg", "image/jpeg", large, caption).await;
    assert!(page.contains("The file is larger than 10 MB."));

    let page = refused(&app, &t, chin, "empty.jpg", "image/jpeg", Vec::new(), "").await;
    assert!(page.contains("Choose a photo or drawing to upload."));

    for seed in 0..3 {
        add_picture(&app, &t, chin, jpeg(300, 200, seed)).await;
    }
    let page = refused(
        &app,
        &t,
        chin,
        "fourth.jpg",
        "image/jpeg",
        jpeg(300, 200, 4),
        caption,
    )
    .await;
    assert!(page.contains("This exercise already has three pictures"));
    assert!(page.contains(&format!("value=\"{caption}\"")));
    assert_eq!(app.count("exercise_pictures"), 3);
}

#[tokio::test]
async fn removing_a_picture_is_audited_and_the_choice_feeds_the_library_list() {
    let app = spawn_app().await;
    let (_admin, t) = app.therapist().await;
    let chin = exercise_id(&app, "chin-tuck");
    let first = add_picture(&app, &t, chin, jpeg(400, 300, 1)).await;
    let second = add_picture(&app, &t, chin, jpeg(400, 300, 2)).await;

    let list = t.page("/exercises?q=chin+tuck").await;
    assert!(
        !list.contains("/exercise-pictures/"),
        "drawn figures are shown until the clinic's pictures are chosen"
    );
    choose_clinic_pictures(&t, chin).await;
    let list = t.page("/exercises?q=chin+tuck").await;
    assert!(list.contains(&format!("src=\"/exercise-pictures/{first}/thumb\"")));

    let page = format!("/exercises/{chin}");
    let response = t
        .submit(
            &page,
            &format!("/exercises/{chin}/pictures/{first}/remove"),
            &[],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("exercise_pictures"), 1);
    let response = t.get(&format!("/exercise-pictures/{first}/screen")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let list = t.page("/exercises?q=chin+tuck").await;
    assert!(list.contains(&format!("src=\"/exercise-pictures/{second}/thumb\"")));
    let actions = app.audit_actions();
    for action in [
        "exercise.picture_added",
        "exercise.picture_choice_changed",
        "exercise.picture_removed",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} audited");
    }
}

/// The image XObjects of a PDF: (filter, stream length).
fn pdf_images(bytes: &[u8]) -> Vec<(String, usize)> {
    let doc = lopdf::Document::load_mem(bytes).unwrap_or_else(|e| panic!("PDF: {e}"));
    doc.objects
        .values()
        .filter_map(|object| {
            let lopdf::Object::Stream(stream) = object else {
                return None;
            };
            let subtype = stream.dict.get(b"Subtype").and_then(|s| s.as_name()).ok()?;
            (subtype == b"Image").then(|| {
                let filter = stream
                    .dict
                    .get(b"Filter")
                    .and_then(|f| f.as_name())
                    .map(|n| String::from_utf8_lossy(n).into_owned())
                    .unwrap_or_default();
                (filter, stream.content.len())
            })
        })
        .collect()
}

async fn sheet_bytes(t: &Browser, case: &str) -> Vec<u8> {
    let response = t.get(&format!("{case}/programme.pdf")).await;
    assert_eq!(response.status(), StatusCode::OK);
    response
        .bytes()
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_sheet_prints_the_chosen_pictures_and_thirty_stay_under_a_megabyte() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let ids: Vec<i64> = {
        use diesel::prelude::*;
        use physiocase::db::schema::exercises::dsl;
        dsl::exercises
            .select(dsl::id)
            .order(dsl::id)
            .limit(10)
            .load(&mut app.conn())
            .unwrap_or_default()
    };
    assert_eq!(ids.len(), 10);
    let items: Vec<_> = ids.iter().map(|id| item(*id, "2", "5", "both")).collect();
    let response = post_builder(&t, &case, &items, "save", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    // A picture of an exercise still showing its drawn figures is not printed.
    add_picture(&app, &t, ids[0], jpeg(1600, 1200, 100)).await;
    let without = sheet_bytes(&t, &case).await;
    assert!(pdf_images(&without).is_empty());

    choose_clinic_pictures(&t, ids[0]).await;
    let one = sheet_bytes(&t, &case).await;
    let images = pdf_images(&one);
    assert_eq!(images.len(), 1, "one image XObject");
    assert_eq!(images[0].0, "DCTDecode", "the JPEG is embedded as it is");
    let (_, print) = fetch(
        &t,
        &format!("/exercise-pictures/{}/print", newest_picture(&app)),
    )
    .await;
    assert_eq!(
        images[0].1,
        print.len(),
        "the print rendition's bytes, not re-encoded"
    );

    for (n, id) in ids.iter().enumerate() {
        let have = if n == 0 { 1 } else { 0 };
        for k in have..3 {
            add_picture(&app, &t, *id, jpeg(1600, 1200, (n * 3 + k) as u32)).await;
        }
        if n > 0 {
            choose_clinic_pictures(&t, *id).await;
        }
    }
    let full = sheet_bytes(&t, &case).await;
    let images = pdf_images(&full);
    assert_eq!(images.len(), 30, "each picture once");
    assert!(
        full.len() < 1024 * 1024,
        "30 pictures in {} bytes",
        full.len()
    );
    println!(
        "sheet: 10 exercises, 30 pictures: {} bytes; without pictures: {} bytes",
        full.len(),
        without.len()
    );
}

#[tokio::test]
async fn a_backup_carries_the_pictures() {
    let app = spawn_app().await;
    let (_admin, t) = app.therapist().await;
    let chin = exercise_id(&app, "chin-tuck");
    let id = add_picture(&app, &t, chin, jpeg(800, 600, 5)).await;
    let (_, screen) = fetch(&t, &format!("/exercise-pictures/{id}/screen")).await;
    let dir = std::env::temp_dir().join(format!(
        "physiocase-pictures-{}",
        &physiocase::secrets::random_token()[..12]
    ));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));

    if common::is_postgres() {
        // PostgreSQL is backed up with pg_dump (the backup command says so): the dump
        // holds the picture's bytes.
        let Some(schema) = app
            .database_url
            .split("search_path%3D")
            .nth(1)
            .map(str::to_owned)
        else {
            panic!("test schema not in {}", app.database_url);
        };
        let admin_url = std::env::var("TEST_DATABASE_URL").unwrap_or_default();
        let output = std::process::Command::new("pg_dump")
            .args([
                "--data-only",
                "--table",
                &format!("{schema}.exercise_pictures"),
                &admin_url,
            ])
            .output();
        let Ok(output) = output else {
            common::precondition_unmet("a_backup_carries_the_pictures", "pg_dump is not installed");
            return;
        };
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let dump = String::from_utf8_lossy(&output.stdout);
        assert!(
            dump.contains(&hex::encode(&screen)),
            "the dump holds the picture"
        );
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }

    let backup = dir.join("backup.db");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_physiocase"))
        .args([
            "backup",
            backup.to_str().unwrap_or_default(),
            "--database-url",
            &app.database_url,
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let restored = dir.join("restored.db");
    let url = format!("sqlite://{}", restored.display());
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_physiocase"))
        .args([
            "restore",
            backup.to_str().unwrap_or_default(),
            "--database-url",
            &url,
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let pool = physiocase::db::connect_and_migrate(
        &physiocase::db::DatabaseUrl::parse(&url).unwrap_or_else(|e| panic!("{e}")),
        1,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut conn = pool.get().unwrap_or_else(|e| panic!("{e}"));
    use diesel::prelude::*;
    use physiocase::db::schema::exercise_pictures::dsl;
    let restored_screen: Vec<u8> = dsl::exercise_pictures
        .find(id)
        .select(dsl::screen)
        .first(&mut conn)
        .unwrap_or_else(|e| panic!("the picture is in the backup: {e}"));
    assert_eq!(restored_screen, screen);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_builder_version_page_and_portal_show_each_exercises_pictures() {
    let app = spawn_app().await;
    let (_admin, t) = app.therapist().await;
    let case = common::clinic::open_case(&t).await;
    let chin = exercise_id(&app, "chin-tuck");
    let rolls = exercise_id(&app, "shoulder-rolls");
    post_builder(
        &t,
        &case,
        &[
            item(chin, "3", "5", "each-side"),
            item(rolls, "2", "0", "each-side"),
        ],
        "save",
        &[],
    )
    .await;
    let patient = portal_patient(&app, &t, case_patient_id(&app, &case), "zoe@example.com").await;
    let drawn = |slug: &str, n: usize| format!("src=\"/library/figures/{slug}/{n}.svg\"");

    // Drawn positions: both of each exercise on the version page and the portal, the first
    // beside the chosen item and the library results in the builder.
    let version = t.page(&format!("{case}/programme/versions/1")).await;
    let portal = patient.page("/me").await;
    for page in [&version, &portal] {
        for slug in ["chin-tuck", "shoulder-rolls"] {
            assert!(page.contains(&drawn(slug, 1)), "{slug} start");
            assert!(page.contains(&drawn(slug, 2)), "{slug} end");
        }
    }
    let builder = t
        .page(&format!("{case}/programme/builder?q=chin+tuck"))
        .await;
    assert!(
        builder.matches(&drawn("chin-tuck", 1)).count() >= 2,
        "beside the chosen item and the search result"
    );
    // The patient's browser may fetch the drawings it is shown.
    let (kind, svg) = fetch(&patient, "/library/figures/chin-tuck/1.svg").await;
    assert_eq!(kind, "image/svg+xml");
    assert!(svg.starts_with(b"<svg"));

    // Once the clinic's own pictures are chosen, they take the drawings' place everywhere.
    let photo = add_picture(&app, &t, chin, jpeg(400, 300, 3)).await;
    choose_clinic_pictures(&t, chin).await;
    let clinic = format!("src=\"/exercise-pictures/{photo}/thumb\"");
    let version = t.page(&format!("{case}/programme/versions/1")).await;
    let portal = patient.page("/me").await;
    let builder = t
        .page(&format!("{case}/programme/builder?q=chin+tuck"))
        .await;
    for page in [&version, &portal, &builder] {
        assert!(page.contains(&clinic));
        assert!(!page.contains(&drawn("chin-tuck", 1)));
        assert!(page.contains("Chin tuck, picture 1"), "with its caption");
    }
    assert!(
        portal.contains(&drawn("shoulder-rolls", 1)),
        "others unchanged"
    );
}
