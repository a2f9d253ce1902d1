//! Starts the real app on port 0 with a fresh database per test, and drives it over HTTP.
//! With TEST_DATABASE_URL=postgres://… each test gets its own PostgreSQL schema instead
//! of a temporary SQLite file.
#![allow(dead_code)]

pub mod clinic;

use std::path::PathBuf;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use physiocase::config::Settings;
use physiocase::db::{DatabaseUrl, DbConn, DbPool, PooledConn};
use physiocase::startup::Application;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Response, StatusCode, redirect};

pub const PASSWORD: &str = "violet kettle harbour 42";

pub struct TestApp {
    pub address: String,
    pub pool: DbPool,
    pub setup_link: Option<String>,
    pub database_url: String,
    _database: TestDatabase,
}

enum TestDatabase {
    Sqlite(PathBuf),
    Postgres { admin_url: String, schema: String },
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match self {
            Self::Sqlite(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Self::Postgres { admin_url, schema } => {
                if let Ok(mut conn) = PgConnection::establish(admin_url) {
                    let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
                }
            }
        }
    }
}

fn unique_suffix() -> String {
    physiocase::secrets::random_token()[..16].to_owned()
}

fn fresh_database() -> (String, TestDatabase) {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.trim().is_empty() => {
            let schema = format!("t_{}", unique_suffix());
            let mut conn = PgConnection::establish(&admin_url)
                .unwrap_or_else(|e| panic!("TEST_DATABASE_URL does not answer: {e}"));
            conn.batch_execute(&format!("CREATE SCHEMA {schema}"))
                .unwrap_or_else(|e| panic!("could not create test schema: {e}"));
            let separator = if admin_url.contains('?') { '&' } else { '?' };
            let url = format!("{admin_url}{separator}options=-csearch_path%3D{schema}");
            (url, TestDatabase::Postgres { admin_url, schema })
        }
        _ => {
            let dir = std::env::temp_dir().join(format!("physiocase-test-{}", unique_suffix()));
            std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("temp dir: {e}"));
            let path = dir.join("test.db");
            (
                format!("sqlite://{}", path.display()),
                TestDatabase::Sqlite(dir),
            )
        }
    }
}

/// A form's date and time `days` days ago: recent enough for a case opened today.
#[allow(dead_code)]
pub fn days_ago(days: i64) -> String {
    (chrono::Utc::now().naive_utc() - chrono::Duration::days(days))
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

pub fn is_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.trim().is_empty())
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts another app instance on an existing database (a restart, or a second instance).
pub async fn start_on(database_url: &str) -> (String, DbPool) {
    start_on_with(database_url, |_| {}).await
}

/// `start_on` with adjusted settings.
pub async fn start_on_with(
    database_url: &str,
    adjust: impl FnOnce(&mut Settings),
) -> (String, DbPool) {
    let database_url = DatabaseUrl::parse(database_url).unwrap_or_else(|e| panic!("{e}"));
    let mut settings = Settings::for_database(database_url);
    adjust(&mut settings);
    let app = Application::build(settings).unwrap_or_else(|e| panic!("app failed to build: {e}"));
    let address = format!("http://127.0.0.1:{}", app.port());
    let pool = app.pool();
    let server = app
        .run()
        .unwrap_or_else(|e| panic!("app failed to start: {e}"));
    tokio::spawn(server);
    (address, pool)
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let (url, guard) = fresh_database();
    let database_url = DatabaseUrl::parse(&url).unwrap_or_else(|e| panic!("{e}"));
    let mut settings = Settings::for_database(database_url);
    adjust(&mut settings);
    let app = Application::build(settings).unwrap_or_else(|e| panic!("app failed to build: {e}"));
    let address = format!("http://127.0.0.1:{}", app.port());
    let pool = app.pool();
    let setup_link = app.setup_link().map(str::to_owned);
    let server = app
        .run()
        .unwrap_or_else(|e| panic!("app failed to start: {e}"));
    tokio::spawn(server);
    TestApp {
        address,
        pool,
        setup_link,
        database_url: url,
        _database: guard,
    }
}

impl TestApp {
    /// A new browser with its own cookie jar, sending this site's Origin like a real browser.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.address)
    }

    pub fn conn(&self) -> PooledConn {
        self.pool.get().unwrap_or_else(|e| panic!("pool: {e}"))
    }

    /// Creates the first admin through the setup link and returns their signed-in browser.
    pub async fn first_admin(&self) -> Browser {
        let link = self
            .setup_link
            .clone()
            .unwrap_or_else(|| panic!("a fresh database prints a setup link"));
        let admin = self.browser();
        let response = admin
            .post_url(
                &link,
                &[
                    ("name", "Ada Admin"),
                    ("email", "ada@clinic.test"),
                    ("password", PASSWORD),
                    ("confirm", PASSWORD),
                ],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "first admin created"
        );
        admin
    }

    /// Admin invites a staff member; they set their password from the link. Returns their browser.
    pub async fn invite_staff(
        &self,
        admin: &Browser,
        name: &str,
        email: &str,
        role: &str,
    ) -> Browser {
        let page = admin
            .submit(
                "/admin/staff/invite",
                "/admin/staff/invite",
                &[("name", name), ("email", email), ("role", role)],
            )
            .await;
        assert_eq!(page.status(), StatusCode::OK, "invitation created");
        let html = page.text().await.unwrap_or_default();
        let link = extract_between(&html, "id=\"invite-link\" readonly value=\"", "\"")
            .unwrap_or_else(|| panic!("invite page shows the link: {html}"));
        let person = self.browser();
        let response = person
            .post_url(&link, &[("password", PASSWORD), ("confirm", PASSWORD)])
            .await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "password set from the link"
        );
        person
    }

    pub async fn therapist(&self) -> (Browser, Browser) {
        let admin = self.first_admin().await;
        let therapist = self
            .invite_staff(&admin, "Theo Therapist", "theo@clinic.test", "therapist")
            .await;
        (admin, therapist)
    }

    /// A signed-in patient account (created directly; the portal issue adds the real flow).
    pub async fn patient_account(&self, email: &str) -> Browser {
        use physiocase::domain::{DisplayName, Email, Role};
        let hash = physiocase::auth::password::hash(PASSWORD).unwrap_or_else(|e| panic!("{e}"));
        physiocase::store::users::create(
            &mut self.conn(),
            &Email::parse(email).unwrap_or_else(|e| panic!("{e}")),
            &DisplayName::parse("Pat Patient").unwrap_or_else(|e| panic!("{e}")),
            Role::Patient,
            Some(&hash),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let patient = self.browser();
        let response = patient
            .post_url("/login", &[("email", email), ("password", PASSWORD)])
            .await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "patient signed in"
        );
        patient
    }

    pub fn count(&self, table: &str) -> i64 {
        count_rows(&mut self.conn(), table)
    }

    pub fn audit_actions(&self) -> Vec<String> {
        use diesel::prelude::*;
        use physiocase::db::schema::audit_events::dsl::*;
        audit_events
            .order(id.asc())
            .select(action)
            .load(&mut self.conn())
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

pub fn count_rows(conn: &mut DbConn, table: &str) -> i64 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
        .get_result::<Count>(conn)
        .map(|c| c.n)
        .unwrap_or_else(|e| panic!("count {table}: {e}"))
}

pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
}

impl Browser {
    /// A new browser with its own cookie jar, sending the site's Origin like a real browser.
    pub fn new(address: &str) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::ORIGIN,
            HeaderValue::from_str(address).unwrap_or_else(|e| panic!("{e}")),
        );
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(redirect::Policy::none())
            .default_headers(headers)
            // actix closes a connection idle for 5 s: never reuse one it may be closing.
            .pool_idle_timeout(std::time::Duration::from_secs(2))
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        Self {
            client,
            base: address.to_owned(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{}", self.base, path)
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// A page that must answer 200: a test reading it never passes on an error page.
    pub async fn page(&self, path: &str) -> String {
        let (status, body) = self.get_text(path).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    pub async fn get_text(&self, path: &str) -> (StatusCode, String) {
        let response = self.get(path).await;
        let status = response.status();
        (status, response.text().await.unwrap_or_default())
    }

    pub async fn post_url(&self, url: &str, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(url))
            .form(fields)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {url}: {e}"))
    }

    /// The CSRF token of a page's first form.
    pub async fn csrf_token(&self, page: &str) -> String {
        let (status, html) = self.get_text(page).await;
        assert_eq!(status, StatusCode::OK, "GET {page} for its form");
        csrf_from(&html).unwrap_or_else(|| panic!("no csrf_token on {page}"))
    }

    /// Posts a form the way a browser does after loading `page`: with its CSRF token.
    pub async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let token = self.csrf_token(page).await;
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post_url(action, &all).await
    }

    /// A patient's "Done today" on one exercise of their portal programme.
    pub async fn tick_done(&self, token: &str, exercise_id: impl std::fmt::Display) -> Response {
        let exercise_id = exercise_id.to_string();
        self.post_url(
            "/me/done",
            &[("csrf_token", token), ("exercise_id", exercise_id.as_str())],
        )
        .await
    }
}

pub fn csrf_from(html: &str) -> Option<String> {
    extract_between(html, "name=\"csrf_token\" value=\"", "\"")
}

pub fn extract_between(text: &str, start: &str, end: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(html_unescape(&text[from..to]))
}

pub fn html_unescape(text: &str) -> String {
    text.replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#62;", ">")
        .replace("&#60;", "<")
        .replace("&amp;", "&")
}

pub fn location(response: &Response) -> String {
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// A set-up this test needs cannot be made here (mount needs root, a tool is missing…).
/// Under CI (`CI` set, as `.ci/run` does) that fails the test: a test that cannot run
/// must not count as passed. Elsewhere it says so loudly and the caller returns.
pub fn precondition_unmet(test: &str, why: &str) {
    let message = format!("{test}: NOT RUN, {why}");
    if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false") {
        panic!("{message}; CI runs every test, so this fails");
    }
    eprintln!("\n!!! {message} !!!\n");
}

/// The opening tags of an HTML page, each as its name and attributes (values unescaped).
pub fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let Some(end) = rest.find('>') else { break };
        let inside = &rest[..end];
        rest = &rest[end + 1..];
        if inside.starts_with(['/', '!', '?']) {
            continue;
        }
        let name_end = inside
            .find(|c: char| c.is_whitespace())
            .unwrap_or(inside.len());
        let mut attributes = Vec::new();
        let mut text = inside[name_end..].trim_start();
        while !text.is_empty() {
            let key_end = text
                .find(|c: char| c == '=' || c.is_whitespace())
                .unwrap_or(text.len());
            let key = text[..key_end].to_owned();
            text = text[key_end..].trim_start();
            let mut value = String::new();
            if let Some(after) = text.strip_prefix("=\"") {
                let close = after.find('"').unwrap_or(after.len());
                value = html_unescape(&after[..close]);
                text = after.get(close + 1..).unwrap_or("").trim_start();
            }
            if !key.is_empty() {
                attributes.push((key, value));
            }
        }
        found.push((inside[..name_end].to_ascii_lowercase(), attributes));
    }
    found
}

/// Checks a page's form fields: ids are unique; every label's `for` names a control;
/// every id in an `aria-describedby` exists; a field marked in error has an invalid
/// control, described by its error; every error message with an id is named by some
/// control's `aria-describedby`.
pub fn assert_fields_described(page: &str, html: &str) {
    let all = tags(html);
    let attr = |attributes: &[(String, String)], key: &str| {
        attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    let mut ids = std::collections::HashMap::<String, usize>::new();
    for (_, attributes) in &all {
        if let Some(id) = attr(attributes, "id") {
            *ids.entry(id).or_default() += 1;
        }
    }
    for (id, count) in &ids {
        assert_eq!(*count, 1, "{page}: id {id:?} appears {count} times");
    }
    let controls = ["input", "select", "textarea"];
    let mut described = std::collections::HashSet::new();
    for (name, attributes) in &all {
        if name == "label"
            && let Some(target) = attr(attributes, "for")
        {
            let labelled = all.iter().any(|(n, a)| {
                controls.contains(&n.as_str()) && attr(a, "id").as_deref() == Some(&target)
            });
            assert!(labelled, "{page}: <label for={target:?}> names no control");
        }
        if let Some(list) = attr(attributes, "aria-describedby") {
            for id in list.split_whitespace() {
                assert!(
                    ids.contains_key(id),
                    "{page}: aria-describedby names missing {id:?}"
                );
                described.insert(id.to_owned());
            }
        }
        if controls.contains(&name.as_str())
            && attr(attributes, "aria-invalid").as_deref() == Some("true")
        {
            let field = attr(attributes, "name").unwrap_or_default();
            let list = attr(attributes, "aria-describedby").unwrap_or_default();
            assert!(
                list.split_whitespace()
                    .any(|id| id == format!("{field}-error")),
                "{page}: invalid {field:?} is not described by its error ({list:?})"
            );
        }
    }
    for (position, (name, attributes)) in all.iter().enumerate() {
        let class = attr(attributes, "class").unwrap_or_default();
        if class.split_whitespace().any(|c| c == "field--error") {
            let control = all[position..]
                .iter()
                .find(|(n, _)| controls.contains(&n.as_str()));
            let invalid = control.and_then(|(_, a)| attr(a, "aria-invalid"));
            assert_eq!(
                invalid.as_deref(),
                Some("true"),
                "{page}: a field marked in error whose control is not aria-invalid: {control:?}"
            );
        }
        if name == "p"
            && class.split_whitespace().any(|c| c == "field__error")
            && let Some(id) = attr(attributes, "id")
        {
            assert!(
                described.contains(&id),
                "{page}: error {id:?} describes no control"
            );
        }
    }
}

/// Saves a version of a case's programme straight through the store, as if issued at
/// `saved_at` (the builder always saves now): one exercise at 3 × 10, 5 s holds, on
/// `days_per_week` days. Returns the case's therapist.
pub fn save_version_at(
    app: &TestApp,
    case_id: i64,
    exercise_id: i64,
    days_per_week: i32,
    saved_at: chrono::NaiveDateTime,
) -> i64 {
    use diesel::prelude::*;
    use physiocase::db::schema::cases;
    use physiocase::domain::{Dosage, Side};
    use physiocase::store::programmes::{NewVersion, ProgrammeItem, save_version};
    let mut conn = app.conn();
    let therapist: i64 = cases::table
        .find(case_id)
        .select(cases::therapist_id)
        .first(&mut *conn)
        .unwrap_or_else(|e| panic!("case: {e}"));
    let items = [ProgrammeItem {
        exercise_id,
        exercise_name: String::new(),
        dosage: Dosage {
            sets: 3,
            reps: 10,
            hold_seconds: 5,
            rest_seconds: 0,
            side: Side::Both,
            times_per_day: 1,
            days_per_week,
        },
        note: String::new(),
        steps: Vec::new(),
        cautions: Vec::new(),
    }];
    save_version(
        &mut conn,
        &NewVersion {
            case_id,
            author_id: therapist,
            notes: "",
            review_date: None,
            template_id: None,
            items: &items,
            saved_at,
        },
    )
    .unwrap_or_else(|e| panic!("save: {e}"));
    therapist
}

/// An upgrade from the release before a migration: runs the migration whose name ends with
/// `suffix` down, then `between` (SQL that stores data as that release did), then up again.
#[allow(dead_code)]
pub fn upgrade_through(conn: &mut DbConn, suffix: &str, between: &str) {
    use diesel::connection::SimpleConnection;
    use diesel::migration::{Migration, MigrationSource};
    use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
    const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
    const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
    fn find<DB: diesel::backend::Backend>(
        source: &EmbeddedMigrations,
        suffix: &str,
    ) -> Box<dyn Migration<DB>>
    where
        EmbeddedMigrations: MigrationSource<DB>,
    {
        MigrationSource::<DB>::migrations(source)
            .unwrap_or_else(|e| panic!("migrations: {e}"))
            .into_iter()
            .find(|m| m.name().to_string().ends_with(suffix))
            .unwrap_or_else(|| panic!("a migration named …{suffix}"))
    }
    // PostgreSQL refuses an empty batch: nothing to store is nothing to send.
    fn run_between(c: &mut impl SimpleConnection, between: &str) {
        if !between.trim().is_empty() {
            c.batch_execute(between)
                .unwrap_or_else(|e| panic!("between the migration's runs: {e}"));
        }
    }
    let outcome = match conn {
        DbConn::Sqlite(c) => {
            let migration = find(&SQLITE, suffix);
            c.revert_migration(&*migration).and_then(|_| {
                run_between(c, between);
                c.run_migration(&*migration)
            })
        }
        DbConn::Pg(c) => {
            let migration = find(&POSTGRES, suffix);
            c.revert_migration(&*migration).and_then(|_| {
                run_between(c, between);
                c.run_migration(&*migration)
            })
        }
    };
    outcome.unwrap_or_else(|e| panic!("migration {suffix} down and up: {e}"));
}
