//! What an outside test of the running app found: redirects off the site, forged origins,
//! control characters, HTTPS cookies and headers, HEAD, cut-off and slow form bodies.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};

use common::clinic::case_for;
use common::{Browser, PASSWORD, TestApp, location, spawn_app, spawn_app_with};
use reqwest::StatusCode;

/// Values of `next` a browser would take off the site, or that hide a way off it.
const HOSTILE_NEXT: &[&str] = &[
    "/\t/evil.example",
    "/%09/evil.example",
    "/\n/evil.example",
    "/%0a/evil.example",
    "/\r\n/evil.example",
    "//evil.example",
    "/\\evil.example",
    "/\\/evil.example",
    "\\\\evil.example",
    "/%5C%5Cevil.example",
    "/%2F%2Fevil",
    "/%2f/evil.example",
    "https://evil.example/",
    "https:evil.example",
    "http://evil.example",
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "data:text/html,x",
    "evil.example",
    "/ /evil.example",
];

#[tokio::test]
async fn a_signed_in_user_is_never_sent_off_the_site_by_next() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    for next in HOSTILE_NEXT {
        let path = format!("/login?next={}", physiocase::web::url_encode(next));
        let response = admin.get(&path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(location(&response), "/", "next = {next:?}");
    }
    // A path on the site is kept, query and all.
    let response = admin.get("/login?next=%2Fpatients%3Fq%3Dann").await;
    assert_eq!(location(&response), "/patients?q=ann");
}

#[tokio::test]
async fn signing_in_never_sends_the_user_off_the_site() {
    let app = spawn_app_with(|s| s.signin_per_account_per_minute = 100).await;
    app.first_admin().await;
    for next in HOSTILE_NEXT {
        let browser = app.browser();
        let response = browser
            .post_url(
                "/login",
                &[
                    ("email", "ada@clinic.test"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(location(&response), "/", "next = {next:?}");
    }
}

async fn post_login_with_headers(app: &TestApp, headers: &[(&str, &str)]) -> StatusCode {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut request = client
        .post(format!("{}/login", app.address))
        .form(&[("email", "ada@clinic.test"), ("password", PASSWORD)]);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST /login: {e}"))
        .status()
}

#[tokio::test]
async fn forwarding_headers_cannot_vouch_for_a_foreign_origin() {
    let app = spawn_app().await;
    app.first_admin().await;
    let evil = "https://evil.example";
    for forged in [
        vec![("origin", evil), ("x-forwarded-host", "evil.example")],
        vec![
            ("origin", evil),
            ("x-forwarded-host", "evil.example"),
            ("x-forwarded-proto", "https"),
        ],
        vec![
            ("origin", evil),
            ("forwarded", "host=evil.example;proto=https"),
        ],
        vec![("referer", "https://evil.example/login")],
    ] {
        assert_eq!(
            post_login_with_headers(&app, &forged).await,
            StatusCode::FORBIDDEN,
            "{forged:?}"
        );
    }
    // The site's own origin still signs in.
    let own = app.address.clone();
    assert_eq!(
        post_login_with_headers(&app, &[("origin", own.as_str())]).await,
        StatusCode::SEE_OTHER
    );
    assert!(
        app.audit_actions()
            .iter()
            .filter(|a| *a == "csrf.origin_refused")
            .count()
            >= 4,
        "each refusal is audited"
    );
}

#[tokio::test]
async fn with_a_public_url_only_its_origin_may_post() {
    let app = spawn_app_with(|s| s.public_url = Some("https://clinic.example".into())).await;
    // The server's own address is no longer the site: the public URL is.
    let own = app.address.clone();
    assert_eq!(
        post_login_with_headers(&app, &[("origin", own.as_str())]).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post_login_with_headers(
            &app,
            &[
                ("origin", "https://evil.example"),
                ("host", "evil.example"),
                ("x-forwarded-host", "evil.example")
            ]
        )
        .await,
        StatusCode::FORBIDDEN
    );
    // The public origin is let through (no account yet: the password is simply wrong).
    assert_eq!(
        post_login_with_headers(&app, &[("origin", "https://clinic.example")]).await,
        StatusCode::UNAUTHORIZED
    );
}

async fn pain_form(t: &Browser, case: &str, note: &str) -> reqwest::Response {
    let token = t.csrf_token(case).await;
    let key = physiocase::secrets::random_token();
    t.post_url(
        &format!("{case}/pain"),
        &[
            ("csrf_token", token.as_str()),
            ("score", "4"),
            ("context", "now"),
            ("recorded_at", ""),
            ("note", note),
            ("idempotency_key", key.as_str()),
        ],
    )
    .await
}

#[tokio::test]
async fn control_characters_are_refused_on_the_form_that_sent_them() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    for note in ["sore\u{0}after stairs", "sore\u{1b}[2J", "sore\u{85}now"] {
        let response = pain_form(&t, &case, note).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{note:?}"
        );
        let html = response.text().await.unwrap_or_default();
        assert!(html.contains("control character"), "the form says why");
        assert!(html.contains("sore"), "what was typed is kept");
    }
    assert_eq!(app.count("pain_scores"), 0, "nothing stored");
    // Tabs and line breaks belong in multi-line text.
    let response = pain_form(&t, &case, "sore\tafter\r\nstairs").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("pain_scores"), 1);

    // A name is one line: a tab or a NUL is refused there, with the typed text kept.
    let patients_before = app.count("patients");
    let response = t
        .submit(
            "/patients/new",
            "/patients",
            &[
                ("given_name", "Ann\u{0}a"),
                ("family_name", "Kowal\tska"),
                ("date_of_birth", "1980-03-31"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    // Each field says so beside itself (the summary above repeats them as links).
    let beside_fields = html
        .split("class=\"field__error\"")
        .skip(1)
        .filter(|p| {
            p.split("</p>")
                .next()
                .is_some_and(|m| m.contains("control character"))
        })
        .count();
    assert_eq!(beside_fields, 2, "{html}");
    assert_eq!(app.count("patients"), patients_before);
}

#[tokio::test]
async fn a_form_body_that_is_not_utf8_is_refused_whole() {
    let app = spawn_app().await;
    let (t, _case) = case_for(&app).await;
    let token = t.csrf_token("/patients/new").await;
    let patients_before = app.count("patients");
    let body =
        format!("csrf_token={token}&given_name=%FF%FE&family_name=Lee&date_of_birth=1980-03-31");
    let response = t
        .client
        .post(t.url("/patients"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap_or_default();
    assert!(
        html.contains("Request not understood"),
        "the app's own page"
    );
    assert_eq!(app.count("patients"), patients_before, "no patient \"���\"");
}

/// Sends raw bytes to the app, half-closes the socket, and reads the whole answer.
fn raw_exchange(address: &str, request: &[u8], half_close: bool) -> String {
    let host = address.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).unwrap_or_else(|e| panic!("connect: {e}"));
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap_or_else(|e| panic!("{e}"));
    stream
        .write_all(request)
        .unwrap_or_else(|e| panic!("write: {e}"));
    if half_close {
        stream
            .shutdown(Shutdown::Write)
            .unwrap_or_else(|e| panic!("shutdown: {e}"));
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// A signed-in session's cookie header and a CSRF token, for raw requests.
async fn raw_session(app: &TestApp, email: &str) -> (String, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let response = client
        .post(format!("{}/login", app.address))
        .header("origin", app.address.as_str())
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "signed in");
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("physiocase_session="))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("no session cookie"))
        .to_owned();
    let token = csrf_for(&client, app, &cookie).await;
    (cookie, token)
}

/// The CSRF token of the session a raw `cookie` header names.
async fn csrf_for(client: &reqwest::Client, app: &TestApp, cookie: &str) -> String {
    let html = client
        .get(format!("{}/account/password", app.address))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    common::csrf_from(&html).unwrap_or_else(|| panic!("no token"))
}

#[tokio::test]
async fn a_cut_off_form_body_is_never_stored() {
    let app = spawn_app().await;
    let (_t, case) = case_for(&app).await;
    let (cookie, token) = raw_session(&app, "theo@clinic.test").await;
    let host = app.address.trim_start_matches("http://");
    let key = physiocase::secrets::random_token();
    let body = format!(
        "csrf_token={token}&score=6&context=now&recorded_at=&idempotency_key={key}&note=Pain+eased+after+the+walk+but+returned+at+night"
    );
    let head = |length: usize| {
        format!(
            "POST {case}/pain HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\nCookie: {cookie}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\
             Connection: close\r\n\r\n",
            origin = app.address
        )
    };

    // The body stops half-way through the note, and the client half-closes its socket.
    let cut = &body[..body.len() - 25];
    let answer = raw_exchange(
        &app.address,
        format!("{}{cut}", head(body.len())).as_bytes(),
        true,
    );
    assert!(
        !answer.starts_with("HTTP/1.1 303"),
        "a cut-off body is not acknowledged: {answer}"
    );

    // A chunked body whose last chunk never comes.
    let chunked = format!(
        "POST {case}/pain HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\nCookie: {cookie}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n{size:x}\r\n{cut}\r\n",
        origin = app.address,
        size = cut.len()
    );
    let answer = raw_exchange(&app.address, chunked.as_bytes(), true);
    assert!(
        !answer.starts_with("HTTP/1.1 303"),
        "an unended chunked body is not acknowledged: {answer}"
    );
    assert_eq!(app.count("pain_scores"), 0, "no truncated note stored");

    // The same request sent whole is stored: the raw requests above were well formed.
    let answer = raw_exchange(
        &app.address,
        format!("{}{body}", head(body.len())).as_bytes(),
        false,
    );
    assert!(answer.starts_with("HTTP/1.1 303"), "{answer}");
    assert_eq!(app.count("pain_scores"), 1);
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413_with_a_page_that_says_how_much_fits() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    let long = "a".repeat(300 * 1024);
    let response = pain_form(&t, &case, &long).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let html = response.text().await.unwrap_or_default();
    assert!(html.contains("4,000 characters"), "{html}");
    assert_eq!(app.count("pain_scores"), 0);
}

#[tokio::test]
async fn a_slow_form_body_times_out() {
    let app = spawn_app().await;
    let (_t, case) = case_for(&app).await;
    let (cookie, _token) = raw_session(&app, "theo@clinic.test").await;
    let host = app.address.trim_start_matches("http://");
    // Announces 500 bytes, sends 10 and then nothing, with the socket left open.
    let request = format!(
        "POST {case}/pain HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\nCookie: {cookie}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\nscore=6&co",
        origin = app.address
    );
    let answer = raw_exchange(&app.address, request.as_bytes(), false);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(app.count("pain_scores"), 0);
}

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn behind_https_cookies_are_host_only_and_secure_and_hsts_is_sent() {
    let app = spawn_app_with(|s| s.public_url = Some("https://clinic.example".into())).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let page = client
        .get(format!("{}/login", app.address))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let hsts = page
        .headers()
        .get("strict-transport-security")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(hsts, "max-age=31536000");

    // The link names the public URL; the test reaches the same server on its own address.
    let link = app
        .setup_link
        .clone()
        .unwrap_or_default()
        .replace("https://clinic.example", &app.address);
    let response = client
        .post(&link)
        .header("origin", "https://clinic.example")
        .form(&[
            ("name", "Ada Admin"),
            ("email", "ada@clinic.test"),
            ("password", PASSWORD),
            ("confirm", PASSWORD),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookies = set_cookies(&response);
    let session = cookies
        .iter()
        .find(|c| c.starts_with("__Host-physiocase_session="))
        .unwrap_or_else(|| panic!("{cookies:?}"));
    for attribute in ["Secure", "HttpOnly", "Path=/"] {
        assert!(session.contains(attribute), "{session}");
    }
    assert!(!session.contains("Domain"), "{session}");

    // Signing out sets a signed flash message the same way.
    let cookie = session.split(';').next().unwrap_or_default().to_owned();
    let token = csrf_for(&client, &app, &cookie).await;
    let response = client
        .post(format!("{}/logout", app.address))
        .header("origin", "https://clinic.example")
        .header("cookie", cookie.as_str())
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let cookies = set_cookies(&response);
    let flash = cookies
        .iter()
        .find(|c| c.starts_with("__Host-physiocase_flash="))
        .unwrap_or_else(|| panic!("{cookies:?}"));
    assert!(
        flash.contains("Secure") && flash.contains("Path=/"),
        "{flash}"
    );
    let value = flash.split(';').next().unwrap_or_default();
    let shown = client
        .get(format!("{}/login", app.address))
        .header("cookie", value)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    assert!(shown.contains("You have signed out."));
}

#[tokio::test]
async fn a_forged_flash_message_is_not_shown() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let page = |cookie: String| {
        let request = client
            .get(format!("{}/login", app.address))
            .header("cookie", cookie);
        async move {
            request
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .text()
                .await
                .unwrap_or_default()
        }
    };
    let forged = page("physiocase_flash=Call+0900+123+456+to+verify+your+account".into()).await;
    assert!(forged.contains("Sign in"), "the page itself is shown");
    assert!(!forged.contains("0900"), "an unsigned message is ignored");

    // A genuine one, with its text changed, is ignored too.
    let admin = app.first_admin().await;
    let token = admin.csrf_token("/account/password").await;
    let response = admin
        .post_url("/logout", &[("csrf_token", token.as_str())])
        .await;
    let genuine = set_cookies(&response)
        .into_iter()
        .find(|c| c.starts_with("physiocase_flash="))
        .and_then(|c| c.split(';').next().map(str::to_owned))
        .unwrap_or_else(|| panic!("no flash on sign-out"));
    assert!(page(genuine.clone()).await.contains("You have signed out."));
    // The message travels hex-encoded after its signature: change its last word.
    let signed_out = hex::encode("signed out.");
    let tampered = genuine.replace(&signed_out, &hex::encode("hacked!!!!!"));
    assert_ne!(tampered, genuine, "the message is in the cookie");
    assert!(!page(tampered).await.contains("hacked"));
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let app = spawn_app().await;
    let (t, case) = case_for(&app).await;
    for path in ["/login", "/healthz", "/static/app.css"] {
        let get = t.get(path).await;
        let head = t
            .client
            .head(t.url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(head.status(), get.status(), "HEAD {path}");
        assert_eq!(
            head.headers().get("content-type"),
            get.headers().get("content-type"),
            "HEAD {path}"
        );
        assert!(head.text().await.unwrap_or_default().is_empty(), "{path}");
    }
    // A patient's page: the same answer, and audited like the GET.
    let reads_before = app
        .audit_actions()
        .iter()
        .filter(|a| *a == "case.read")
        .count();
    let head = t
        .client
        .head(t.url(&case))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(head.status(), StatusCode::OK);
    assert!(head.text().await.unwrap_or_default().is_empty());
    let reads_after = app
        .audit_actions()
        .iter()
        .filter(|a| *a == "case.read")
        .count();
    assert_eq!(reads_after, reads_before + 1, "the read is audited");
}

#[tokio::test]
async fn guessing_at_an_account_does_not_lock_out_a_browser_that_signed_in_before() {
    let app = spawn_app_with(|s| {
        s.signin_per_account_per_minute = 3;
        s.signin_per_ip_per_minute = 1_000;
        s.signin_burst_quiet = std::time::Duration::from_secs(1);
    })
    .await;
    let admin = app.first_admin().await;
    let therapist = app
        .invite_staff(&admin, "Theo Therapist", "theo@clinic.test", "therapist")
        .await;
    // The therapist's own browser signs in once (and so gets its device cookie).
    let token = therapist.csrf_token("/account/password").await;
    therapist
        .post_url("/logout", &[("csrf_token", token.as_str())])
        .await;
    let response = therapist
        .post_url(
            "/login",
            &[("email", "theo@clinic.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let token = therapist.csrf_token("/account/password").await;
    therapist
        .post_url("/logout", &[("csrf_token", token.as_str())])
        .await;

    // Someone else guesses: the account's three tries a minute (one used by the
    // therapist's sign-in above) run out, and the guesser is throttled.
    let guesser = app.browser();
    let mut limited = 0;
    for n in 0..10 {
        let guess = format!("wrong guess {n}");
        let response = guesser
            .post_url(
                "/login",
                &[("email", "theo@clinic.test"), ("password", guess.as_str())],
            )
            .await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited += 1;
        }
    }
    assert_eq!(limited, 8, "the guesser is throttled after two tries");
    // A new browser is throttled too, with the right password ...
    let stranger = app.browser();
    let response = stranger
        .post_url(
            "/login",
            &[("email", "theo@clinic.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // ... but the therapist's own browser still gets in.
    let response = therapist
        .post_url(
            "/login",
            &[("email", "theo@clinic.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "not locked out");

    // Nine refusals: one row for the first, and one row counting the other eight once
    // the burst has gone quiet.
    let mut rows = Vec::new();
    for _ in 0..40 {
        rows = app
            .audit_actions()
            .into_iter()
            .filter(|a| a == "signin.rate_limited")
            .collect();
        if rows.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(
        rows.len(),
        2,
        "a burst is collapsed into its first row and a count"
    );
    let details = audit_details(&app, "signin.rate_limited");
    assert!(
        details
            .iter()
            .any(|d| d.starts_with("8 more attempts on theo@clinic.test")),
        "{details:?}"
    );
}

fn audit_details(app: &TestApp, wanted: &str) -> Vec<String> {
    use diesel::prelude::*;
    use physiocase::db::schema::audit_events::dsl::*;
    audit_events
        .filter(action.eq(wanted))
        .select(detail)
        .load::<Option<String>>(&mut app.conn())
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .flatten()
        .collect()
}

/// Every GET route of the app whose path takes a value, read from the route table's
/// source, so a route added later is visited too.
fn get_routes_with_a_value() -> Vec<String> {
    let mut routes = Vec::new();
    let mut files = vec![std::path::PathBuf::from("src/routes")];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap_or_else(|e| panic!("{e}")) {
                files.push(entry.unwrap_or_else(|e| panic!("{e}")).path());
            }
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        for call in source.split(".route(").skip(1) {
            let Some(pattern) = call.trim_start().strip_prefix('"') else {
                continue;
            };
            let Some((pattern, rest)) = pattern.split_once('"') else {
                continue;
            };
            let method = rest.trim_start_matches([',', ' ', '\n']);
            if pattern.contains('{') && method.starts_with("web::get()") {
                routes.push(pattern.to_owned());
            }
        }
    }
    routes.sort();
    routes
}

#[tokio::test]
async fn every_page_of_a_patients_data_writes_exactly_one_audit_event() {
    use common::clinic::{exercise_id, item, open_case, post_builder};
    let app = spawn_app().await;
    let (admin, t) = app.therapist().await;
    let case = open_case(&t).await;
    let case_id: i64 = case.trim_start_matches("/cases/").parse().unwrap_or(0);
    let (patient_id, patient_name): (i64, String) = {
        use diesel::prelude::*;
        use physiocase::db::schema::{cases, patients};
        cases::table
            .inner_join(patients::table)
            .filter(cases::id.eq(case_id))
            .select((patients::id, patients::family_name))
            .first(&mut app.conn())
            .unwrap_or_else(|e| panic!("the case's patient: {e}"))
    };
    // Its record: an assessment, a programme version, a template, a pain score.
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M").to_string();
    let response = t
        .submit(
            &format!("{case}/assessments/new?kind=initial"),
            &format!("{case}/assessments?kind=initial"),
            &[
                ("assessed_at", now.as_str()),
                ("presenting_complaint", "Stiff between the shoulders"),
                ("intent", "draft"),
            ],
        )
        .await;
    let assessment = location(&response);
    assert!(assessment.starts_with("/assessments/"), "{assessment}");
    let response = t
        .submit(
            &format!("{case}/visits/new"),
            &format!("{case}/visits"),
            &[
                ("visited_at", now.as_str()),
                ("attendance", "attended"),
                ("subjective", "Easier this week"),
                ("intent", "draft"),
            ],
        )
        .await;
    let visit = location(&response);
    assert!(visit.starts_with("/visits/"), "{visit}");
    let wall_angels = exercise_id(&app, "wall-angels");
    let response = post_builder(
        &t,
        &case,
        &[item(wall_angels, "2", "0", "both")],
        "save",
        &[],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = pain_form(&t, &case, "").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let template = {
        use diesel::prelude::*;
        use physiocase::db::schema::programme_templates::dsl::*;
        programme_templates
            .select(id)
            .first::<i64>(&mut app.conn())
            .unwrap_or_else(|e| panic!("a built-in template: {e}"))
    };

    // A draft letter (its making is tested with the letters).
    let letter: i64 = {
        use diesel::prelude::*;
        use physiocase::db::schema::{letters, users};
        let author: i64 = users::table
            .filter(users::role.eq("therapist"))
            .select(users::id)
            .first(&mut app.conn())
            .unwrap_or_else(|e| panic!("{e}"));
        let now = chrono::Utc::now().naive_utc();
        diesel::insert_into(letters::table)
            .values((
                letters::case_id.eq(case_id),
                letters::kind.eq("gp-referral"),
                letters::status.eq("draft"),
                letters::urgency.eq(Some("routine")),
                letters::recipient.eq("Dr A\n1 Road"),
                letters::body.eq("[]"),
                letters::author_id.eq(author),
                letters::created_at.eq(now),
                letters::updated_at.eq(now),
            ))
            .returning(letters::id)
            .get_result(&mut app.conn())
            .unwrap_or_else(|e| panic!("{e}"))
    };

    let routes = get_routes_with_a_value();
    assert!(routes.len() >= 20, "the route table was read: {routes:?}");
    let mut patient_pages = 0;
    for route in &routes {
        let section = route.split('/').nth(1).unwrap_or_default();
        // The clinic admin's pages are the admin's; the rest are the therapist's.
        let reader = if section == "admin" { &admin } else { &t };
        let path = match section {
            "patients" | "admin" => route.replace("{id}", &patient_id.to_string()),
            "cases" => route.replace("{id}", &case_id.to_string()),
            "assessments" => route.replace("{id}", assessment.trim_start_matches("/assessments/")),
            "visits" => route.replace("{id}", visit.trim_start_matches("/visits/")),
            "exercises" => route.replace("{id}", &wall_angels.to_string()),
            "templates" => route.replace("{id}", &template.to_string()),
            "letters" => route.replace("{id}", &letter.to_string()),
            // A setup link's token and a static file's name are not record ids; the
            // library's drawn figures and the clinic's exercise pictures are no patient's
            // data.
            "setup" | "static" | "library" | "exercise-pictures" => continue,
            other => panic!("a route under /{other}/ this test does not know: {route}"),
        }
        .replace("{n}", "1");
        // The case has its initial assessment: the form offered now is a review.
        let path = if path.ends_with("/assessments/new") {
            format!("{path}?kind=review")
        } else if path.ends_with("/letters/new") {
            format!("{path}?kind=gp-referral")
        } else {
            path
        };
        let events_before = app.count("audit_events");
        let response = reader.get(&path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        let is_pdf = response
            .headers()
            .get("content-type")
            .is_some_and(|v| v.as_bytes().starts_with(b"application/pdf"));
        let body = response.bytes().await.unwrap_or_default();
        let shows_the_patient = is_pdf || String::from_utf8_lossy(&body).contains(&patient_name);
        let events: Vec<Option<i64>> = {
            use diesel::prelude::*;
            use physiocase::db::schema::audit_events::dsl;
            dsl::audit_events
                .order(dsl::id)
                .offset(events_before)
                .select(dsl::patient_id)
                .load(&mut app.conn())
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let about_the_patient = events.iter().filter(|p| **p == Some(patient_id)).count();
        if shows_the_patient {
            patient_pages += 1;
            assert_eq!(
                about_the_patient, 1,
                "GET {path} shows the patient and must write exactly one audit event about them: {events:?}"
            );
        } else {
            assert_eq!(about_the_patient, 0, "GET {path}");
        }
    }
    assert!(patient_pages >= 15, "{patient_pages} patient pages visited");
}
