//! PostgreSQL only: two app instances writing through one database at once, and an app
//! whose database connections are cut from under it. On the SQLite run (no
//! TEST_DATABASE_URL) each test says so and returns; .ci/run runs them on PostgreSQL.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::clinic::{exercise_id, item, open_case, post_builder};
use common::{
    PASSWORD, TestApp, extract_between, spawn_app, spawn_app_with, start_on, start_on_with,
};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::header::{LOCATION, ORIGIN, RETRY_AFTER};
use reqwest::{StatusCode, redirect};

const THERAPIST_EMAIL: &str = "theo@clinic.test";

/// The admin URL of the PostgreSQL database the tests run on, or `None` on the SQLite run.
fn postgres_admin_url(test: &str) -> Option<String> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            eprintln!("{test}: PostgreSQL only, not run on SQLite (set TEST_DATABASE_URL)");
            None
        }
    }
}

fn case_id(case: &str) -> i64 {
    case.trim_start_matches("/cases/")
        .parse()
        .unwrap_or_else(|e| panic!("{case}: {e}"))
}

fn patient_of(app: &TestApp, case: i64) -> i64 {
    use physiocase::db::schema::cases::dsl;
    dsl::cases
        .find(case)
        .select(dsl::patient_id)
        .first(&mut app.conn())
        .unwrap_or_else(|e| panic!("case {case}: {e}"))
}

/// A programme of two exercises for `case`, saved through the builder as a therapist does.
async fn save_programme(app: &TestApp, t: &common::Browser, case: &str) -> [i64; 2] {
    let chin = exercise_id(app, "chin-tuck");
    let cat = exercise_id(app, "cat-cow");
    let response = post_builder(
        t,
        case,
        &[
            item(chin, "3", "5", "each-side"),
            item(cat, "1", "0", "both"),
        ],
        "save",
        &[],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "programme saved");
    [chin, cat]
}

/// Gives a case's patient portal access with `email` and sets their password.
async fn give_portal_access(app: &TestApp, t: &common::Browser, patient: i64, email: &str) {
    let page = format!("/patients/{patient}/portal");
    let response = t.submit(&page, &page, &[("email", email)]).await;
    assert_eq!(response.status(), StatusCode::OK, "portal access given");
    let html = response.text().await.unwrap_or_default();
    let link = extract_between(&html, "id=\"portal-link\" readonly value=\"", "\"")
        .unwrap_or_else(|| panic!("the portal link is shown"));
    let response = app
        .browser()
        .post_url(&link, &[("password", PASSWORD), ("confirm", PASSWORD)])
        .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "portal password set"
    );
}

/// One answer: status, Location, and whether a Retry-After came with it.
struct Answer {
    status: StatusCode,
    location: String,
    retry_after: bool,
}

/// One user's browser, sending each request to whichever instance it is given. Sessions
/// live in the database and cookies do not depend on the port, so one sign-in serves
/// both instances; each request carries the Origin of the instance it goes to.
struct Client {
    http: reqwest::Client,
    email: String,
    csrf: String,
}

impl Client {
    fn new(email: &str) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .pool_idle_timeout(Duration::from_secs(2))
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        Self {
            http,
            email: email.to_owned(),
            csrf: String::new(),
        }
    }

    async fn send(request: reqwest::RequestBuilder) -> Answer {
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("the app did not answer: {e}"));
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        Answer {
            status: response.status(),
            location: header(LOCATION).unwrap_or_default(),
            retry_after: header(RETRY_AFTER).is_some(),
        }
    }

    async fn get(&self, base: &str, path: &str) -> Answer {
        Self::send(self.http.get(format!("{base}{path}"))).await
    }

    async fn post(&self, base: &str, path: &str, fields: &[(&str, String)]) -> Answer {
        let mut all: Vec<(&str, String)> = vec![("csrf_token", self.csrf.clone())];
        all.extend_from_slice(fields);
        Self::send(
            self.http
                .post(format!("{base}{path}"))
                .header(ORIGIN, base)
                .form(&all),
        )
        .await
    }

    /// Signs in on `base` (a write: a session and its audit event) and reads the new
    /// session's form token from `home`. Returns the sign-in's answer.
    async fn sign_in(&mut self, base: &str, home: &str) -> Answer {
        let answer = Self::send(
            self.http
                .post(format!("{base}/login"))
                .header(ORIGIN, base)
                .form(&[("email", self.email.as_str()), ("password", PASSWORD)]),
        )
        .await;
        if answer.status == StatusCode::SEE_OTHER {
            let html = self
                .http
                .get(format!("{base}{home}"))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{home}: {e}"))
                .text()
                .await
                .unwrap_or_default();
            self.csrf = common::csrf_from(&html)
                .unwrap_or_else(|| panic!("no form token on {home} after signing in"));
        }
        answer
    }
}

fn pain_fields(key: &str) -> Vec<(&'static str, String)> {
    vec![
        ("score", "5".into()),
        ("context", "now".into()),
        ("recorded_at", String::new()),
        ("note", String::new()),
        ("idempotency_key", key.to_owned()),
    ]
}

fn programme_fields(exercises: [i64; 2]) -> Vec<(String, String)> {
    let mut fields = vec![
        ("action".to_owned(), "save".to_owned()),
        ("notes".to_owned(), "Little and often.".to_owned()),
        ("review_date".to_owned(), String::new()),
    ];
    for (i, id) in exercises.iter().enumerate() {
        for (key, value) in [
            ("exercise", id.to_string()),
            ("sets", "3".into()),
            ("reps", "10".into()),
            ("hold_seconds", "5".into()),
            ("rest_seconds", "0".into()),
            ("side", "both".into()),
            ("times_per_day", "2".into()),
            ("days_per_week", "7".into()),
            ("note", String::new()),
        ] {
            fields.push((format!("item_{i}_{key}"), value));
        }
    }
    fields
}

fn as_refs(fields: &[(String, String)]) -> Vec<(&str, String)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect()
}

/// What one client's writes were answered, and what it was told was stored.
#[derive(Default)]
struct Tally {
    /// Status of every write, in order.
    statuses: Vec<StatusCode>,
    pain_keys: Vec<String>,
    versions: Vec<(i64, i64)>,
    assessments: Vec<i64>,
    ticks: usize,
    untick: usize,
    sign_ins: usize,
}

/// A therapist: pain scores on every case, and on their own case programme saves and
/// signed review assessments, with a fresh sign-in now and then; every other write goes
/// to the other instance.
async fn staff_writes(
    mut client: Client,
    instances: [String; 2],
    cases: Vec<i64>,
    own_case: i64,
    exercises: [i64; 2],
    writes: usize,
    seed: u64,
) -> Tally {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut tally = Tally::default();
    let programme = programme_fields(exercises);
    for n in 0..writes {
        let base = &instances[n % 2];
        let answer = match n % 10 {
            6 => {
                let answer = client
                    .post(
                        base,
                        &format!("/cases/{own_case}/programme/builder"),
                        &as_refs(&programme),
                    )
                    .await;
                let prefix = format!("/cases/{own_case}/programme/versions/");
                if answer.status == StatusCode::SEE_OTHER
                    && let Some(v) = answer.location.strip_prefix(&prefix)
                {
                    let v = v
                        .parse()
                        .unwrap_or_else(|e| panic!("{}: {e}", answer.location));
                    tally.versions.push((own_case, v));
                }
                answer
            }
            7 => {
                let answer = client
                    .post(
                        base,
                        &format!("/cases/{own_case}/assessments?kind=review"),
                        &as_refs(&common::clinic::signed_review_fields()),
                    )
                    .await;
                if answer.status == StatusCode::SEE_OTHER
                    && let Some(id) = answer.location.strip_prefix("/assessments/")
                {
                    let id = id
                        .parse()
                        .unwrap_or_else(|e| panic!("{}: {e}", answer.location));
                    tally.assessments.push(id);
                }
                answer
            }
            9 => {
                let answer = client.sign_in(base, "/").await;
                if answer.status == StatusCode::SEE_OTHER {
                    tally.sign_ins += 1;
                }
                answer
            }
            _ => {
                let case = cases[rng.random_range(0..cases.len())];
                let key = physiocase::secrets::random_token();
                let answer = client
                    .post(base, &format!("/cases/{case}/pain"), &pain_fields(&key))
                    .await;
                if answer.status == StatusCode::SEE_OTHER {
                    tally.pain_keys.push(key);
                }
                answer
            }
        };
        tally.statuses.push(answer.status);
    }
    tally
}

/// A patient on the portal: pain scores, "done" ticks taken back in turn, and sign-ins.
async fn patient_writes(
    mut client: Client,
    instances: [String; 2],
    exercise: i64,
    writes: usize,
) -> Tally {
    let mut tally = Tally::default();
    let mut ticked = false;
    for n in 0..writes {
        let base = &instances[n % 2];
        let answer = match n % 6 {
            2 | 4 => {
                let path = if ticked { "/me/done/undo" } else { "/me/done" };
                let answer = client
                    .post(base, path, &[("exercise_id", exercise.to_string())])
                    .await;
                if answer.status == StatusCode::SEE_OTHER {
                    if ticked {
                        tally.untick += 1;
                    } else {
                        tally.ticks += 1;
                    }
                    ticked = !ticked;
                }
                answer
            }
            5 => {
                let answer = client.sign_in(base, "/me").await;
                if answer.status == StatusCode::SEE_OTHER {
                    tally.sign_ins += 1;
                }
                answer
            }
            _ => {
                let key = physiocase::secrets::random_token();
                let answer = client.post(base, "/me/pain", &pain_fields(&key)).await;
                if answer.status == StatusCode::SEE_OTHER {
                    tally.pain_keys.push(key);
                }
                answer
            }
        };
        tally.statuses.push(answer.status);
    }
    tally
}

#[derive(QueryableByName)]
struct Counter {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Deadlocks PostgreSQL has detected in this database so far (statistics lag a little).
fn deadlocks(admin_url: &str) -> i64 {
    let mut conn = PgConnection::establish(admin_url).unwrap_or_else(|e| panic!("{e}"));
    diesel::sql_query(
        "SELECT deadlocks AS n FROM pg_stat_database WHERE datname = current_database()",
    )
    .get_result::<Counter>(&mut conn)
    .map(|c| c.n)
    .unwrap_or_else(|e| panic!("{e}"))
}

fn audit_count(app: &TestApp, action: &str) -> i64 {
    use physiocase::db::schema::audit_events::dsl;
    dsl::audit_events
        .filter(dsl::action.eq(action))
        .count()
        .get_result(&mut app.conn())
        .unwrap_or_else(|e| panic!("{e}"))
}

#[derive(QueryableByName)]
struct KeyCount {
    #[diesel(sql_type = Text)]
    k: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn pain_key_counts(app: &TestApp) -> HashMap<String, i64> {
    diesel::sql_query(
        "SELECT idempotency_key AS k, COUNT(*) AS n FROM pain_scores \
         WHERE idempotency_key IS NOT NULL GROUP BY idempotency_key",
    )
    .load::<KeyCount>(&mut app.conn())
    .unwrap_or_else(|e| panic!("{e}"))
    .into_iter()
    .map(|row| (row.k, row.n))
    .collect()
}

/// The clients sign in again and again, from one address: the sign-in limits (each
/// instance keeps its own) would refuse most of them.
fn many_sign_ins(settings: &mut physiocase::config::Settings) {
    settings.signin_per_account_per_minute = 1_000;
    settings.signin_per_ip_per_minute = 1_000;
}

const STAFF_CLIENTS: usize = 6;
const PATIENT_CLIENTS: usize = 2;
const WRITES_PER_CLIENT: usize = 80;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_database_answer_every_concurrent_write_once() {
    let Some(admin_url) =
        postgres_admin_url("two_instances_on_one_database_answer_every_concurrent_write_once")
    else {
        return;
    };
    let app = spawn_app_with(many_sign_ins).await;
    // The first admin first: an instance started on a database without one issues a new
    // setup link, and the first instance's would no longer work.
    let (_admin, t) = app.therapist().await;
    let (address_b, _pool_b) = start_on_with(&app.database_url, many_sign_ins).await;
    let instances = [app.address.clone(), address_b];

    // One case per client; the patients' cases have a programme to tick.
    let mut case_paths = Vec::new();
    for _ in 0..STAFF_CLIENTS + PATIENT_CLIENTS {
        case_paths.push(open_case(&t).await);
    }
    let cases: Vec<i64> = case_paths.iter().map(|c| case_id(c)).collect();
    let mut patients = Vec::new();
    for (n, case) in case_paths[STAFF_CLIENTS..].iter().enumerate() {
        let exercises = save_programme(&app, &t, case).await;
        let email = format!("patient{n}@example.test");
        give_portal_access(&app, &t, patient_of(&app, case_id(case)), &email).await;
        patients.push((email, exercises[n % 2]));
    }
    let chin = exercise_id(&app, "chin-tuck");
    let cat = exercise_id(&app, "cat-cow");

    // Every client signs in before the counts are taken.
    let mut staff = Vec::new();
    for n in 0..STAFF_CLIENTS {
        let mut client = Client::new(THERAPIST_EMAIL);
        let answer = client.sign_in(&instances[n % 2], "/").await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "therapist signed in");
        staff.push(client);
    }
    let mut portal = Vec::new();
    for (n, (email, exercise)) in patients.iter().enumerate() {
        let mut client = Client::new(email);
        let answer = client.sign_in(&instances[n % 2], "/me").await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "patient signed in");
        portal.push((client, *exercise));
    }
    let signins_before = audit_count(&app, "signin");
    let ticked_before = audit_count(&app, "portal.done_ticked");
    let unticked_before = audit_count(&app, "portal.done_undone");
    let versions_before = app.count("programme_versions");
    let deadlocks_before = deadlocks(&admin_url);

    let mut running = Vec::new();
    for (n, client) in staff.into_iter().enumerate() {
        running.push(tokio::spawn(staff_writes(
            client,
            instances.clone(),
            cases.clone(),
            cases[n],
            [chin, cat],
            WRITES_PER_CLIENT,
            n as u64,
        )));
    }
    for (n, (client, exercise)) in portal.into_iter().enumerate() {
        // Half the patients start on the other instance.
        let mut order = instances.clone();
        order.rotate_left(n % 2);
        running.push(tokio::spawn(patient_writes(
            client,
            order,
            exercise,
            WRITES_PER_CLIENT,
        )));
    }
    let mut tallies = Vec::new();
    for client in running {
        tallies.push(
            client
                .await
                .unwrap_or_else(|e| panic!("a client failed: {e}")),
        );
    }

    let sent: usize = tallies.iter().map(|t| t.statuses.len()).sum();
    let mut answers: BTreeMap<u16, usize> = BTreeMap::new();
    for status in tallies.iter().flat_map(|t| &t.statuses) {
        *answers.entry(status.as_u16()).or_default() += 1;
    }
    let acknowledged = answers.get(&303).copied().unwrap_or(0);
    eprintln!(
        "two instances: {sent} writes sent, {acknowledged} acknowledged, answers {answers:?}, \
         deadlocks PostgreSQL detected meanwhile: {}",
        deadlocks(&admin_url) - deadlocks_before
    );
    assert!(sent >= 500, "at least 500 writes were sent ({sent})");
    let failed = answers.range(500..).map(|(_, n)| n).sum::<usize>();
    assert_eq!(failed, 0, "no write answered 5xx: {answers:?}");
    assert_eq!(acknowledged, sent, "every write acknowledged: {answers:?}");

    // Every acknowledged write is stored, once.
    let stored = pain_key_counts(&app);
    let pain_keys: Vec<&String> = tallies.iter().flat_map(|t| &t.pain_keys).collect();
    for key in &pain_keys {
        assert_eq!(stored.get(*key), Some(&1), "pain score {key} stored once");
    }
    assert_eq!(
        stored.len(),
        pain_keys.len(),
        "no pain score beyond those sent"
    );
    let versions: Vec<(i64, i64)> = tallies.iter().flat_map(|t| t.versions.clone()).collect();
    for (case, version) in &versions {
        use physiocase::db::schema::programme_versions::dsl;
        let rows: i64 = dsl::programme_versions
            .filter(dsl::case_id.eq(case))
            .filter(dsl::version.eq(i32::try_from(*version).unwrap_or(i32::MAX)))
            .count()
            .get_result(&mut app.conn())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            rows, 1,
            "programme version {version} of case {case} stored once"
        );
    }
    assert_eq!(
        app.count("programme_versions") - versions_before,
        i64::try_from(versions.len()).unwrap_or(i64::MAX),
        "one version per acknowledged save"
    );
    let assessments: Vec<i64> = tallies.iter().flat_map(|t| t.assessments.clone()).collect();
    for (n, case) in cases.iter().take(STAFF_CLIENTS).enumerate() {
        use physiocase::db::schema::assessments::dsl;
        let ids: Vec<i64> = dsl::assessments
            .filter(dsl::case_id.eq(case))
            .order(dsl::id.asc())
            .select(dsl::id)
            .load(&mut app.conn())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ids, tallies[n].assessments, "case {case}'s assessments");
    }
    assert!(!assessments.is_empty() && !versions.is_empty());
    let count = |f: fn(&Tally) -> usize| tallies.iter().map(f).sum::<usize>() as i64;
    assert_eq!(
        audit_count(&app, "portal.done_ticked") - ticked_before,
        count(|t| t.ticks)
    );
    assert_eq!(
        audit_count(&app, "portal.done_undone") - unticked_before,
        count(|t| t.untick)
    );
    assert_eq!(
        audit_count(&app, "signin") - signins_before,
        count(|t| t.sign_ins)
    );
    assert!(count(|t| t.ticks) > 0 && count(|t| t.sign_ins) > 0);

    // The audit chain is whole, as `physiocase audit-verify` checks it.
    let report =
        physiocase::store::audit::verify_chain(&mut app.conn()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.first_broken, None, "the audit chain is intact");
    assert!(report.rows_checked as usize > sent);

    // A sign-out on one instance ends the session on the other.
    let mut client = Client::new(THERAPIST_EMAIL);
    let answer = client.sign_in(&instances[0], "/").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(client.get(&instances[1], "/").await.status, StatusCode::OK);
    let answer = client.post(&instances[0], "/logout", &[]).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "signed out");
    let after = client.get(&instances[1], "/").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert!(
        after.location.starts_with("/login"),
        "the other instance asks to sign in again: {}",
        after.location
    );
}

/// Terminates every connection this app's instance holds (it is told apart by its
/// application name; other tests share the database) and returns how many there were.
fn terminate_connections(admin_url: &str, application: &str) -> i64 {
    let mut conn = PgConnection::establish(admin_url).unwrap_or_else(|e| panic!("{e}"));
    diesel::sql_query(
        "SELECT COUNT(*) AS n FROM ( \
           SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
           WHERE datname = current_database() AND pid <> pg_backend_pid() \
             AND application_name = $1) AS ended",
    )
    .bind::<Text, _>(application)
    .get_result::<Counter>(&mut conn)
    .map(|c| c.n)
    .unwrap_or_else(|e| panic!("{e}"))
}

/// A second instance on the test's database that names itself (`application_name`), so
/// a test can cut only its connections. Returns its address and its name.
async fn start_named_instance(app: &TestApp) -> (String, String) {
    let application = format!("physiocase_{}", &physiocase::secrets::random_token()[..12]);
    let (address, _pool) = start_on(&format!(
        "{}&application_name={application}",
        app.database_url
    ))
    .await;
    (address, application)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminated_database_connections_are_replaced_and_no_acknowledged_write_is_lost() {
    let Some(admin_url) = postgres_admin_url(
        "terminated_database_connections_are_replaced_and_no_acknowledged_write_is_lost",
    ) else {
        return;
    };
    let app = spawn_app().await;
    let (_admin, t) = app.therapist().await;
    let case = case_id(&open_case(&t).await);
    // The instance under test names itself, so only its connections are cut.
    let (address, application) = start_named_instance(&app).await;

    let mut clients = Vec::new();
    for _ in 0..2 {
        let mut client = Client::new(THERAPIST_EMAIL);
        let answer = client.sign_in(&address, "/").await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "signed in");
        clients.push(client);
    }
    let page = format!("/cases/{case}");
    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let mut running = Vec::new();
    for client in clients {
        let (address, page, stop, acknowledged) = (
            address.clone(),
            page.clone(),
            stop.clone(),
            acknowledged.clone(),
        );
        running.push(tokio::spawn(async move {
            let mut keys = Vec::new();
            let mut others: Vec<(StatusCode, bool)> = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let key = physiocase::secrets::random_token();
                let answer = client
                    .post(&address, &format!("{page}/pain"), &pain_fields(&key))
                    .await;
                if answer.status == StatusCode::SEE_OTHER {
                    keys.push(key);
                    acknowledged.fetch_add(1, Ordering::SeqCst);
                } else {
                    others.push((answer.status, answer.retry_after));
                }
                let answer = client.get(&address, &page).await;
                if answer.status != StatusCode::OK {
                    others.push((answer.status, answer.retry_after));
                }
            }
            (keys, others)
        }));
    }
    // Waits (a bounded number of times) until `more` further writes are acknowledged.
    let wait_for_writes = |more: usize| {
        let acknowledged = acknowledged.clone();
        async move {
            let target = acknowledged.load(Ordering::SeqCst) + more;
            for _ in 0..600 {
                if acknowledged.load(Ordering::SeqCst) >= target {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            false
        }
    };
    assert!(
        wait_for_writes(10).await,
        "writes go through before the cut"
    );
    let mut terminated = 0;
    for _ in 0..3 {
        let ended = terminate_connections(&admin_url, &application);
        assert!(ended > 0, "the instance had database connections to cut");
        terminated += ended;
        assert!(
            wait_for_writes(10).await,
            "writes go through again after the connections were cut"
        );
    }
    stop.store(true, Ordering::SeqCst);
    let mut keys = Vec::new();
    let mut others = Vec::new();
    for client in running {
        let (k, o) = client
            .await
            .unwrap_or_else(|e| panic!("a client failed: {e}"));
        keys.extend(k);
        others.extend(o);
    }

    // Cut once more while idle: the pool's idle connections and the writer's all die.
    terminated += terminate_connections(&admin_url, &application);
    let mut client = Client::new(THERAPIST_EMAIL);
    let mut recovered = false;
    for _ in 0..50 {
        if client.csrf.is_empty()
            && client.sign_in(&address, "/").await.status != StatusCode::SEE_OTHER
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        let page = client.get(&address, &page).await.status;
        let health = client.get(&address, "/healthz").await.status;
        if page == StatusCode::OK && health == StatusCode::OK {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        recovered,
        "a sign-in, the case page and /healthz answer again"
    );

    eprintln!(
        "terminated {terminated} connections under load; {} writes acknowledged; \
         other answers: {others:?}",
        keys.len()
    );
    // While a connection was being replaced, an answer could only be a 503 to retry.
    for (status, retry_after) in &others {
        assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE, "{others:?}");
        assert!(retry_after, "a 503 says when to retry");
    }
    let stored = pain_key_counts(&app);
    for key in &keys {
        assert_eq!(
            stored.get(key),
            Some(&1),
            "acknowledged pain score {key} is stored once"
        );
    }
}

/// A login role of its own for one app instance, removed when the test ends: turning its
/// login off makes the database refuse that instance alone, as a stopped server would.
struct InstanceRole {
    admin_url: String,
    name: String,
}

impl InstanceRole {
    fn create(admin_url: &str, schema: &str) -> Self {
        let name =
            format!("physiocase_{}", &physiocase::secrets::random_token()[..12]).to_lowercase();
        let role = Self {
            admin_url: admin_url.to_owned(),
            name,
        };
        role.run(&format!(
            "CREATE ROLE {name} LOGIN; \
             GRANT ALL ON SCHEMA {schema} TO {name}; \
             GRANT ALL ON ALL TABLES IN SCHEMA {schema} TO {name}; \
             GRANT ALL ON ALL SEQUENCES IN SCHEMA {schema} TO {name};",
            name = role.name
        ));
        role
    }

    fn run(&self, sql: &str) {
        let mut conn = PgConnection::establish(&self.admin_url).unwrap_or_else(|e| panic!("{e}"));
        diesel::connection::SimpleConnection::batch_execute(&mut conn, sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Refuses the role's new connections and ends its open ones.
    fn shut_out(&self) {
        self.run(&format!(
            "ALTER ROLE {name} NOLOGIN; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{name}';",
            name = self.name
        ));
    }

    fn let_in(&self) {
        self.run(&format!("ALTER ROLE {} LOGIN", self.name));
    }
}

impl Drop for InstanceRole {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.admin_url) {
            let _ = diesel::connection::SimpleConnection::batch_execute(
                &mut conn,
                &format!(
                    "ALTER ROLE {name} NOLOGIN; \
                     SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{name}'; \
                     DROP OWNED BY {name}; DROP ROLE {name};",
                    name = self.name
                ),
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_database_refuses_the_app_it_answers_503_and_recovers_when_it_is_back() {
    let Some(admin_url) = postgres_admin_url(
        "while_the_database_refuses_the_app_it_answers_503_and_recovers_when_it_is_back",
    ) else {
        return;
    };
    let app = spawn_app().await;
    let (_admin, t) = app.therapist().await;
    let case = case_id(&open_case(&t).await);
    let schema = app
        .database_url
        .split("search_path%3D")
        .nth(1)
        .unwrap_or_else(|| panic!("no schema in {}", app.database_url))
        .to_owned();
    let role = InstanceRole::create(&admin_url, &schema);
    let mut url = url::Url::parse(&app.database_url).unwrap_or_else(|e| panic!("{e}"));
    url.set_username(&role.name)
        .unwrap_or_else(|()| panic!("{url} takes no user name"));
    let (address, _pool) = start_on(url.as_str()).await;
    let mut client = Client::new(THERAPIST_EMAIL);
    assert_eq!(
        client.sign_in(&address, "/").await.status,
        StatusCode::SEE_OTHER
    );
    let page = format!("/cases/{case}");
    assert_eq!(client.get(&address, &page).await.status, StatusCode::OK);

    role.shut_out();
    let pain_before = app.count("pain_scores");
    for path in [page.as_str(), "/healthz"] {
        let answer = client.get(&address, path).await;
        assert_eq!(
            answer.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{path} while the database refuses the app"
        );
        assert!(answer.retry_after, "{path}: a 503 says when to retry");
    }
    let key = physiocase::secrets::random_token();
    let answer = client
        .post(&address, &format!("{page}/pain"), &pain_fields(&key))
        .await;
    assert_eq!(
        answer.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "a write too"
    );
    assert_eq!(
        app.count("pain_scores"),
        pain_before,
        "and nothing is stored"
    );

    role.let_in();
    let mut answered = Vec::new();
    for _ in 0..50 {
        let page = client.get(&address, &page).await.status;
        let health = client.get(&address, "/healthz").await.status;
        answered.push((page, health));
        if page == StatusCode::OK && health == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        answered.last(),
        Some(&(StatusCode::OK, StatusCode::OK)),
        "the app answers again without a restart: {answered:?}"
    );
    let answer = client
        .post(&address, &format!("{page}/pain"), &pain_fields(&key))
        .await;
    assert_eq!(
        answer.status,
        StatusCode::SEE_OTHER,
        "writes go through again"
    );
    assert_eq!(pain_key_counts(&app).get(&key), Some(&1));
}

#[derive(QueryableByName)]
struct LockedId {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_postgresql_aborts_as_a_deadlock_runs_again_and_is_stored_once() {
    let Some(admin_url) =
        postgres_admin_url("a_write_postgresql_aborts_as_a_deadlock_runs_again_and_is_stored_once")
    else {
        return;
    };
    let app = spawn_app().await;
    let (_admin, t) = app.therapist().await;
    let case = case_id(&open_case(&t).await);
    let (address, application) = start_named_instance(&app).await;
    let mut client = Client::new(THERAPIST_EMAIL);
    assert_eq!(
        client.sign_in(&address, "/").await.status,
        StatusCode::SEE_OTHER
    );

    // Another transaction, as another program's might, locks the case row first. It
    // checks for deadlocks only after 30 s, so the app's transaction is the one that
    // PostgreSQL aborts.
    let mut other = PgConnection::establish(&app.database_url).unwrap_or_else(|e| panic!("{e}"));
    diesel::connection::SimpleConnection::batch_execute(
        &mut other,
        "SET deadlock_timeout = '30s'; BEGIN;",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let locked = diesel::sql_query("SELECT id FROM cases WHERE id = $1 FOR UPDATE")
        .bind::<BigInt, _>(case)
        .get_result::<LockedId>(&mut other)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(locked.id, case);
    let deadlocks_before = deadlocks(&admin_url);

    // The pain score's transaction locks the chain head (first, as every write
    // transaction does), then waits for the case row.
    let key = physiocase::secrets::random_token();
    let write = {
        let (address, key) = (address.clone(), key.clone());
        tokio::spawn(async move {
            client
                .post(&address, &format!("/cases/{case}/pain"), &pain_fields(&key))
                .await
        })
    };
    let mut waiting = false;
    for _ in 0..200 {
        let mut admin = PgConnection::establish(&admin_url).unwrap_or_else(|e| panic!("{e}"));
        let blocked = diesel::sql_query(
            "SELECT COUNT(*) AS n FROM pg_stat_activity \
             WHERE application_name = $1 AND wait_event_type = 'Lock'",
        )
        .bind::<Text, _>(&application)
        .get_result::<Counter>(&mut admin)
        .map(|c| c.n)
        .unwrap_or_else(|e| panic!("{e}"));
        if blocked > 0 {
            waiting = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(waiting, "the app's write waits for the locked case row");

    // Now the other transaction wants the chain head: each waits for the other, and
    // PostgreSQL ends the app's transaction as a deadlock. The other then gets the head.
    let head =
        diesel::sql_query("SELECT last_id AS id FROM audit_chain_head WHERE id = 1 FOR UPDATE")
            .get_result::<LockedId>(&mut other);
    assert!(
        head.is_ok(),
        "the other transaction got the chain head once the app's was aborted"
    );
    diesel::connection::SimpleConnection::batch_execute(&mut other, "COMMIT")
        .unwrap_or_else(|e| panic!("{e}"));

    let answer = write
        .await
        .unwrap_or_else(|e| panic!("the write failed: {e}"));
    assert_eq!(
        answer.status,
        StatusCode::SEE_OTHER,
        "the aborted write ran again and was acknowledged"
    );
    assert_eq!(
        pain_key_counts(&app).get(&key),
        Some(&1),
        "and it is stored once"
    );
    eprintln!(
        "deadlocks PostgreSQL detected meanwhile: {} (statistics lag a little)",
        deadlocks(&admin_url) - deadlocks_before
    );
    let report =
        physiocase::store::audit::verify_chain(&mut app.conn()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.first_broken, None);
}
