//! The foundation: setup link, sign-in, sessions, CSRF, rate limits, role guards, audit chain.

mod common;

use common::{PASSWORD, csrf_from, location, spawn_app, spawn_app_with};
use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;
use reqwest::StatusCode;

#[tokio::test]
async fn health_check_answers_when_the_database_does() {
    let app = spawn_app().await;
    let response = app.browser().get("/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap_or_default(), "ok\n");
}

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    let app = spawn_app().await;
    let response = app.browser().get("/login").await;
    let headers = response.headers();
    let csp = headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    for part in [
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "script-src 'self'",
    ] {
        assert!(csp.contains(part), "CSP has {part}: {csp}");
    }
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(
        headers.get("x-content-type-options").map(|v| v.as_bytes()),
        Some(&b"nosniff"[..])
    );
    assert_eq!(
        headers.get("referrer-policy").map(|v| v.as_bytes()),
        Some(&b"same-origin"[..]),
        "no-referrer would make browsers send Origin: null"
    );
    assert_eq!(
        headers.get("cache-control").map(|v| v.as_bytes()),
        Some(&b"no-store"[..])
    );
}

#[tokio::test]
async fn the_first_admin_link_works_once_and_only_once() {
    let app = spawn_app().await;
    let link = app.setup_link.clone().unwrap_or_default();
    assert!(
        link.contains("/setup/"),
        "a fresh database offers a setup link"
    );
    assert_eq!(app.count("users"), 0, "no account exists by default");

    let page = app.browser().get(&link).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .unwrap_or_default()
            .contains("Create the first admin account")
    );

    let admin = app.first_admin().await;
    let (status, home) = admin.get_text("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("Ada Admin"), "signed in as the new admin");

    let again = app.browser();
    let second = again
        .post_url(
            &link,
            &[
                ("name", "Eve"),
                ("email", "eve@evil.test"),
                ("password", PASSWORD),
                ("confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(second.status(), StatusCode::GONE);
    assert!(
        second
            .text()
            .await
            .unwrap_or_default()
            .contains("already been used")
    );
    assert_eq!(app.count("users"), 1, "the used link created nothing");

    // The token is stored only as a hash.
    let raw = link.rsplit('/').next().unwrap_or_default().to_owned();
    use diesel::prelude::*;
    use physiocase::db::schema::setup_tokens::dsl::*;
    let hashes: Vec<String> = setup_tokens
        .select(token_hash)
        .load(&mut app.conn())
        .unwrap_or_default();
    assert!(!hashes.contains(&raw));
    assert!(hashes.contains(&physiocase::secrets::token_hash(&raw)));
}

#[tokio::test]
async fn the_setup_form_keeps_what_was_typed_and_explains_a_weak_password() {
    let app = spawn_app().await;
    let link = app.setup_link.clone().unwrap_or_default();
    let response = app
        .browser()
        .post_url(
            &link,
            &[
                ("name", "Zoë Łukasiewicz"),
                ("email", "zoe@clinic.test"),
                ("password", "password1"),
                ("confirm", "password1"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    assert!(html.contains("Zoë Łukasiewicz"), "typed name kept");
    assert!(html.contains("zoe@clinic.test"), "typed email kept");
    assert!(
        html.contains("at least 10 characters") || html.contains("too weak"),
        "reason given"
    );
    assert_eq!(app.count("users"), 0, "nothing stored");
}

#[tokio::test]
async fn sign_in_and_sign_out_and_the_old_cookie_is_refused() {
    let app = spawn_app().await;
    app.first_admin().await;
    let browser = app.browser();
    let response = browser
        .post_url(
            "/login",
            &[
                ("email", "ADA@clinic.test"),
                ("password", PASSWORD),
                ("next", "/admin/staff"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&response),
        "/admin/staff",
        "returned where they were going"
    );
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("physiocase_session="))
        .map(str::to_owned)
        .unwrap_or_default();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain http on 127.0.0.1 must work in a browser"
    );
    let session_value = cookie
        .trim_start_matches("physiocase_session=")
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(session_value.len() >= 32, "at least 128 bits");

    let (status, _) = browser.get_text("/admin/staff").await;
    assert_eq!(status, StatusCode::OK);

    let token = browser.csrf_token("/").await;
    let out = browser.post_url("/logout", &[("csrf_token", &token)]).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&out), "/login");

    // Replaying the old cookie from another client gets a sign-in redirect.
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let response = replay
        .get(format!("{}/admin/staff", app.address))
        .header("cookie", format!("physiocase_session={session_value}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).starts_with("/login?next="));
}

#[tokio::test]
async fn session_ids_are_stored_only_as_hashes_and_renewed_at_sign_in() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let before: Vec<String> = {
        use diesel::prelude::*;
        use physiocase::db::schema::sessions::dsl::*;
        sessions
            .select(id_hash)
            .load(&mut app.conn())
            .unwrap_or_default()
    };
    let response = admin
        .post_url(
            "/login",
            &[
                ("email", "ada@clinic.test"),
                ("password", PASSWORD),
                ("next", "/"),
            ],
        )
        .await;
    // Already signed in: the login page's POST signs in afresh with a new id.
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let after: Vec<String> = {
        use diesel::prelude::*;
        use physiocase::db::schema::sessions::dsl::*;
        sessions
            .select(id_hash)
            .load(&mut app.conn())
            .unwrap_or_default()
    };
    assert_eq!(after.len(), 1, "the old session was replaced");
    assert_ne!(before, after, "a new id at sign-in");
    assert!(after.iter().all(|h| h.len() == 64));
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    app.first_admin().await;
    let browser = app.browser();
    let wrong = browser
        .post_url(
            "/login",
            &[
                ("email", "ada@clinic.test"),
                ("password", "not the password"),
            ],
        )
        .await;
    let wrong_status = wrong.status();
    let wrong_html = wrong.text().await.unwrap_or_default();
    let unknown = browser
        .post_url(
            "/login",
            &[
                ("email", "nobody@clinic.test"),
                ("password", "not the password"),
            ],
        )
        .await;
    assert_eq!(wrong_status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let unknown_html = unknown.text().await.unwrap_or_default();
    let message = "The email or password is not right.";
    assert!(wrong_html.contains(message) && unknown_html.contains(message));
    assert!(
        unknown_html.contains("nobody@clinic.test"),
        "typed email kept"
    );
    let failed = app
        .audit_actions()
        .iter()
        .filter(|a| *a == "signin.failed")
        .count();
    assert_eq!(failed, 2, "every failed attempt is audited");
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_account_and_says_when_to_retry() {
    let app = spawn_app().await;
    app.first_admin().await;
    let browser = app.browser();
    for _ in 0..5 {
        let response = browser
            .post_url(
                "/login",
                &[
                    ("email", "ada@clinic.test"),
                    ("password", "wrong password here"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused while the limit holds.
    let limited = browser
        .post_url(
            "/login",
            &[("email", "ada@clinic.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let html = limited.text().await.unwrap_or_default();
    assert!(html.contains("Too many sign-in attempts"), "{html}");
    assert!(
        html.contains("wait") && html.contains("second"),
        "says when to try again"
    );
    assert!(
        app.audit_actions()
            .contains(&"signin.rate_limited".to_owned())
    );
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_ip_across_accounts() {
    let app = spawn_app_with(|s| s.signin_per_ip_per_minute = 3).await;
    let browser = app.browser();
    for n in 0..3 {
        let email = format!("person{n}@clinic.test");
        let response = browser
            .post_url(
                "/login",
                &[("email", &email), ("password", "whatever it is")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let limited = browser
        .post_url(
            "/login",
            &[("email", "other@clinic.test"), ("password", "x")],
        )
        .await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn csrf_missing_wrong_or_foreign_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let other = app
        .invite_staff(&admin, "Olga Other", "olga@clinic.test", "admin")
        .await;
    let foreign_token = other.csrf_token("/").await;
    let users_before = app.count("users");

    let fields = |token: &'static str| {
        vec![
            ("csrf_token", token),
            ("name", "Mallory"),
            ("email", "mallory@clinic.test"),
            ("role", "admin"),
        ]
    };
    let missing = admin
        .post_url(
            "/admin/staff/invite",
            &[
                ("name", "Mallory"),
                ("email", "mallory@clinic.test"),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    let wrong = admin
        .post_url("/admin/staff/invite", &fields("0123456789abcdef"))
        .await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let leaked: &'static str = Box::leak(foreign_token.into_boxed_str());
    let foreign = admin.post_url("/admin/staff/invite", &fields(leaked)).await;
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("users"), users_before, "no account was created");
    let refusals = app
        .audit_actions()
        .iter()
        .filter(|a| *a == "csrf.token_refused")
        .count();
    assert_eq!(refusals, 3, "each refusal is audited");

    // A cross-site post is refused by its Origin, even with a valid token.
    let token = admin.csrf_token("/admin/staff/invite").await;
    let cross = admin
        .client
        .post(format!("{}/admin/staff/invite", app.address))
        .header("origin", "https://evil.example")
        .form(&[
            ("csrf_token", token.as_str()),
            ("name", "Mallory"),
            ("email", "mallory@clinic.test"),
            ("role", "admin"),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("users"), users_before);
}

#[tokio::test]
async fn a_post_with_neither_origin_nor_referer_is_refused() {
    let app = spawn_app().await;
    let bare = reqwest::Client::new();
    let response = bare
        .post(format!("{}/login", app.address))
        .form(&[("email", "a@b.c"), ("password", "x")])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn role_guards_redirect_strangers_and_refuse_other_roles() {
    let app = spawn_app().await;
    let (_admin, therapist) = app.therapist().await;

    let stranger = app.browser();
    let response = stranger.get("/admin/staff?page=2").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&response),
        "/login?next=%2Fadmin%2Fstaff%3Fpage%3D2"
    );

    let (status, html) = therapist.get_text("/admin/staff").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("Not allowed"));
    let token = therapist.csrf_token("/").await;
    let response = therapist
        .post_url(
            "/admin/staff/invite",
            &[
                ("csrf_token", &token),
                ("name", "X"),
                ("email", "x@clinic.test"),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        app.audit_actions()
            .iter()
            .filter(|a| *a == "access.denied")
            .count()
            >= 2
    );
}

#[tokio::test]
async fn an_invited_therapist_signs_in_and_deactivation_ends_their_sessions() {
    let app = spawn_app().await;
    let (admin, therapist) = app.therapist().await;
    let (status, home) = therapist.get_text("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("Theo Therapist"));

    let staff = admin.page("/admin/staff").await;
    assert!(staff.contains("theo@clinic.test"));
    let therapist_id = {
        use diesel::prelude::*;
        use physiocase::db::schema::users::dsl::*;
        users
            .filter(email.eq("theo@clinic.test"))
            .select(id)
            .first::<i64>(&mut app.conn())
            .unwrap_or_default()
    };
    let response = admin
        .submit(
            "/admin/staff",
            &format!("/admin/staff/{therapist_id}/deactivate"),
            &[],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let response = therapist.get("/").await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "signed out everywhere"
    );
    let again = app.browser();
    let response = again
        .post_url(
            "/login",
            &[("email", "theo@clinic.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "a deactivated account cannot sign in"
    );

    admin
        .submit(
            "/admin/staff",
            &format!("/admin/staff/{therapist_id}/reactivate"),
            &[],
        )
        .await;
    let response = again
        .post_url(
            "/login",
            &[("email", "theo@clinic.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "reactivated");
}

#[tokio::test]
async fn an_invitation_email_cannot_be_taken_twice_and_the_form_keeps_input() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let response = admin
        .submit(
            "/admin/staff/invite",
            "/admin/staff/invite",
            &[
                ("name", "Ada Again"),
                ("email", "ADA@clinic.test"),
                ("role", "therapist"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    assert!(html.contains("already has an account"));
    assert!(html.contains("Ada Again"));
    let response = admin
        .submit(
            "/admin/staff/invite",
            "/admin/staff/invite",
            &[
                ("name", ""),
                ("email", "not-an-email"),
                ("role", "superuser"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap_or_default();
    assert!(html.contains("Enter a name."));
    assert!(html.contains("not-an-email"));
    assert!(html.contains("Choose a role"));
    assert_eq!(app.count("users"), 1);
}

#[tokio::test]
async fn changing_the_password_revokes_other_sessions() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let laptop = app.browser();
    let response = laptop
        .post_url(
            "/login",
            &[("email", "ada@clinic.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let new_password = "lantern orchard pebble 77";
    let response = admin
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("current", "wrong one"),
                ("password", new_password),
                ("confirm", new_password),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap_or_default()
            .contains("current password is not right")
    );

    let response = admin
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("current", PASSWORD),
                ("password", new_password),
                ("confirm", new_password),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (status, _) = admin.get_text("/").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "this browser stays signed in with a new id"
    );
    assert_eq!(
        laptop.get("/").await.status(),
        StatusCode::SEE_OTHER,
        "the other device is signed out"
    );
    let response = laptop
        .post_url(
            "/login",
            &[("email", "ada@clinic.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "old password no longer works"
    );
    let response = laptop
        .post_url(
            "/login",
            &[("email", "ada@clinic.test"), ("password", new_password)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn audited_actions_form_a_valid_chain() {
    let app = spawn_app().await;
    let (admin, therapist) = app.therapist().await;
    let _ = app
        .browser()
        .post_url(
            "/login",
            &[
                ("email", "theo@clinic.test"),
                ("password", "wrong password!"),
            ],
        )
        .await;
    let _ = therapist.get("/admin/staff").await;
    let token = admin.csrf_token("/").await;
    let _ = admin.post_url("/logout", &[("csrf_token", &token)]).await;

    let actions = app.audit_actions();
    for expected in [
        "setup.first_admin_link_issued",
        "account.password_set",
        "staff.invited",
        "signin.failed",
        "access.denied",
        "signout",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} audited: {actions:?}"
        );
    }
    let report =
        physiocase::store::audit::verify_chain(&mut app.conn()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.first_broken, None);
    assert_eq!(report.rows_checked as usize, actions.len());
}

#[tokio::test]
async fn the_audit_trail_refuses_edits_and_audit_verify_names_a_tampered_row() {
    let app = spawn_app().await;
    app.therapist().await;
    let mut conn = app.conn();
    let blocked = conn.batch_execute("UPDATE audit_events SET action = 'nothing' WHERE id = 2");
    assert!(
        blocked.is_err(),
        "the database refuses edits to the audit trail"
    );

    // Someone with full database access removes the guard and edits row 3.
    let drop_guard = if common::is_postgres() {
        "DROP TRIGGER audit_events_no_update ON audit_events"
    } else {
        "DROP TRIGGER audit_events_no_update"
    };
    conn.batch_execute(drop_guard)
        .unwrap_or_else(|e| panic!("{e}"));
    diesel::sql_query("UPDATE audit_events SET ip = '10.9.9.9' WHERE id = 3")
        .execute(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"));
    drop(conn);

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_physiocase"))
        .args(["audit-verify", "--database-url", &app.database_url])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("BROKEN at row 3"), "{stdout}");
}

#[tokio::test]
async fn audit_verify_reports_an_intact_chain() {
    let app = spawn_app().await;
    app.therapist().await;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_physiocase"))
        .args(["audit-verify", "--database-url", &app.database_url])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("audit chain ok"));
}

#[tokio::test]
async fn create_user_reads_the_password_from_stdin() {
    use std::io::Write;
    let app = spawn_app().await;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_physiocase"))
        .args([
            "create-user",
            "--role",
            "therapist",
            "--email",
            "Cli@Clinic.test",
            "--name",
            "Cleo Cli",
            "--database-url",
            &app.database_url,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(mut stdin) = child.stdin.take() {
        let _ = writeln!(stdin, "{PASSWORD}");
    }
    let output = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let response = app
        .browser()
        .post_url(
            "/login",
            &[("email", "cli@clinic.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_unknown_database_scheme_is_a_clear_error() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_physiocase"))
        .args([
            "audit-verify",
            "--database-url",
            "mysql://root@localhost/db",
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unsupported database URL scheme"),
        "{stderr}"
    );
}

#[tokio::test]
async fn unknown_pages_get_a_404_page_in_the_layout() {
    let app = spawn_app().await;
    let (status, html) = app.browser().get_text("/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Page not found"));
    let _ = csrf_from(&html);
}

#[tokio::test]
async fn unreadable_values_in_an_address_get_the_apps_own_pages() {
    let app = spawn_app().await;
    let (_admin, t) = app.therapist().await;
    let (status, html) = t.get_text("/cases/abc").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        html.contains("Page not found") && !html.contains("parse"),
        "{html}"
    );
    let (status, html) = t.get_text("/patients?page=abc").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        html.contains("Request not understood") && !html.contains("deserialize"),
        "{html}"
    );
    assert!(html.contains("Go back"), "with the way back");
}

#[tokio::test]
async fn sessions_expire_after_30_idle_minutes_and_12_hours_in_all() {
    use diesel::prelude::*;
    use physiocase::db::schema::sessions::dsl;
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    assert_eq!(admin.get("/").await.status(), StatusCode::OK);
    let now = chrono::Utc::now().naive_utc();
    diesel::update(dsl::sessions)
        .set(dsl::last_seen_at.eq(now - chrono::Duration::minutes(31)))
        .execute(&mut app.conn())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        admin.get("/").await.status(),
        StatusCode::SEE_OTHER,
        "idle for 31 minutes: signed out"
    );
    assert_eq!(app.count("sessions"), 0, "the expired session is deleted");

    let again = app.browser();
    again
        .post_url(
            "/login",
            &[("email", "ada@clinic.test"), ("password", PASSWORD)],
        )
        .await;
    diesel::update(dsl::sessions)
        .set((
            dsl::created_at.eq(now - chrono::Duration::hours(12) - chrono::Duration::minutes(1)),
            dsl::last_seen_at.eq(now),
        ))
        .execute(&mut app.conn())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        again.get("/").await.status(),
        StatusCode::SEE_OTHER,
        "past 12 hours: signed out even when active"
    );
}

#[tokio::test]
async fn an_https_public_url_marks_the_cookie_secure() {
    let app = spawn_app_with(|s| s.public_url = Some("https://clinic.example".into())).await;
    let link = app.setup_link.clone().unwrap_or_default();
    assert!(
        link.starts_with("https://clinic.example/setup/"),
        "links use the public URL"
    );
    let path = link.trim_start_matches("https://clinic.example");
    // The form comes from the public site: only its origin may post.
    let browser = app.browser();
    let response = browser
        .client
        .post(browser.url(path))
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
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("__Host-physiocase_session="))
        .unwrap_or_default()
        .to_owned();
    assert!(cookie.contains("Secure"), "{cookie}");
}
