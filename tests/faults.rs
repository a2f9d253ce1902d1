//! Fault tests: the server runs as a real child process and is killed with SIGKILL in the
//! middle of writes, starved of disk space, blocked by another process's write lock, and
//! started on a broken database file. They use the SQLite file itself, so they run on
//! SQLite only (a run with TEST_DATABASE_URL skips them), stop by themselves, and remove
//! their processes, mounts and files.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use physiocase::config::Settings;
use physiocase::db::{DatabaseUrl, DbPool};
use physiocase::domain::clinical::AssessmentContent;
use physiocase::domain::{DisplayName, Email, Role};
use physiocase::startup::Application;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::header::{HeaderMap, HeaderValue, LOCATION, ORIGIN, RETRY_AFTER};
use reqwest::{StatusCode, redirect};

const PASSWORD: &str = "violet kettle harbour 42";
const KILLS: usize = 24;
const ITEMS: usize = 10;

fn server_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_physiocase"))
}

/// These tests break the SQLite file on purpose; a PostgreSQL run has nothing to add.
fn skip_on_postgres(test: &str) -> bool {
    let postgres = std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.trim().is_empty());
    if postgres {
        eprintln!("{test}: skipped on the PostgreSQL run (it tests the SQLite file itself)");
    }
    postgres
}

/// A directory removed with everything in it when the test ends, pass or fail.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let suffix = &physiocase::secrets::random_token()[..12];
        let dir = std::env::temp_dir().join(format!("physiocase-{name}-{suffix}"));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The server as a child process; killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// SIGKILL: no shutdown code runs, exactly like a power cut of the process.
    fn kill_9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("free port: {e}"))
}

fn serve_command(database: &str, port: u16) -> Command {
    let mut command = Command::new(server_bin());
    command
        .arg("serve")
        .arg("--bind")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--database-url")
        .arg(database)
        .arg("--workers")
        .arg("2")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    command
}

async fn start_server(db: &Path) -> Server {
    let port = free_port();
    let child = serve_command(&format!("sqlite://{}", db.display()), port)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start the server: {e}"));
    let mut server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let probe = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(response) = probe.get(format!("{}/healthz", server.base)).send().await
            && response.status() == StatusCode::OK
        {
            return server;
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!("the server exited at start with {status}");
        }
        assert!(Instant::now() < deadline, "no /healthz within 60 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A fresh database with the app's schema and library, one therapist and some cases.
/// (exercise id, sets, reps, hold, rest, side, times a day, days a week)
type ExerciseDose = (i64, i32, i32, i32, i32, String, i32, i32);

struct Clinic {
    db: PathBuf,
    url: String,
    cases: Vec<i64>,
    /// (id, sets, reps, hold, rest, side, times a day, days a week) of the first exercises.
    exercises: Vec<ExerciseDose>,
}

fn pool_for(url: &str) -> DbPool {
    let url = DatabaseUrl::parse(url).unwrap_or_else(|e| panic!("{e}"));
    physiocase::db::connect_and_migrate(&url, 2).unwrap_or_else(|e| panic!("open: {e}"))
}

fn make_clinic(db: PathBuf, cases: usize) -> Clinic {
    use physiocase::store::audit::Actor;
    use physiocase::store::cases::{self as case_queries, NewCase};
    use physiocase::store::patients::{self as patients, PatientDetails};
    use physiocase::store::users;
    let url = format!("sqlite://{}", db.display());
    // Building the app once runs the migrations and seeds the built-in library.
    let parsed = DatabaseUrl::parse(&url).unwrap_or_else(|e| panic!("{e}"));
    drop(Application::build(Settings::for_database(parsed)).unwrap_or_else(|e| panic!("{e}")));
    let pool = pool_for(&url);
    let mut conn = pool.get().unwrap_or_else(|e| panic!("{e}"));
    let hash = physiocase::auth::password::hash(PASSWORD).unwrap_or_else(|e| panic!("{e}"));
    let therapist = users::create(
        &mut conn,
        &Email::parse("theo@clinic.test").unwrap_or_else(|e| panic!("{e}")),
        &DisplayName::parse("Theo Therapist").unwrap_or_else(|e| panic!("{e}")),
        Role::Therapist,
        Some(&hash),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut ids = Vec::new();
    for n in 0..cases {
        let patient = patients::register(
            &mut conn,
            &Actor::default(),
            &PatientDetails {
                given_name: "Zoë".into(),
                family_name: format!("Łukasiewicz{n}"),
                date_of_birth: chrono::NaiveDate::from_ymd_opt(1980, 3, 31).unwrap_or_default(),
                sex: None,
                phone: String::new(),
                email: String::new(),
                clinic_reference: Some(format!("F-{n}")),
                primary_therapist_id: Some(therapist),
                notes: String::new(),
                contact: Default::default(),
            },
            therapist,
            false,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        let patients::Registration::Added(patient) = patient else {
            panic!("patient {n} held back as a duplicate");
        };
        let case = case_queries::open(
            &mut conn,
            &Actor::default(),
            patient,
            &NewCase {
                title: "Thoracic pain".into(),
                body_region: "thoracic".into(),
                onset_date: None,
                mechanism: String::new(),
                referral_source: String::new(),
                goals: String::new(),
                therapist_id: therapist,
            },
            therapist,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        // Signed reviews need the patient's consent to treatment.
        physiocase::store::consent::record(
            &mut conn,
            &Actor::default(),
            case,
            therapist,
            &physiocase::store::consent::NewConsent {
                kind: physiocase::store::consent::ConsentKind::Treatment,
                decision: physiocase::store::consent::ConsentDecision::Given,
                method: physiocase::store::consent::ConsentMethod::Verbal,
                given_by: physiocase::store::consent::GivenBy::Patient,
                representative_name: String::new(),
                representative_relationship: String::new(),
                occurred_at: chrono::Utc::now().naive_utc(),
            },
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        ids.push(case);
    }
    use physiocase::db::schema::exercises::dsl as ex;
    let exercises = ex::exercises
        .filter(ex::archived.eq(false))
        .order(ex::id.asc())
        .limit(i64::try_from(ITEMS).unwrap_or(10))
        .select((
            ex::id,
            ex::sets,
            ex::reps,
            ex::hold_seconds,
            ex::rest_seconds,
            ex::side,
            ex::times_per_day,
            ex::days_per_week,
        ))
        .load(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(exercises.len(), ITEMS, "the library has ten exercises");
    Clinic {
        db,
        url,
        cases: ids,
        exercises,
    }
}

/// A signed-in therapist's browser: its cookie jar, this site's Origin and the form token.
struct Browser {
    client: reqwest::Client,
    base: String,
    csrf: String,
}

type Answer = Result<(StatusCode, String, String), String>;

impl Browser {
    async fn sign_in(base: &str) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(
            ORIGIN,
            HeaderValue::from_str(base).unwrap_or_else(|e| panic!("{e}")),
        );
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(redirect::Policy::none())
            .default_headers(headers)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let response = client
            .post(format!("{base}/login"))
            .form(&[("email", "theo@clinic.test"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap_or_else(|e| panic!("sign in: {e}"));
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "signed in");
        let html = client
            .get(format!("{base}/"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("home: {e}"))
            .text()
            .await
            .unwrap_or_default();
        let start = "name=\"csrf_token\" value=\"";
        let from = html
            .find(start)
            .map(|i| i + start.len())
            .unwrap_or_else(|| panic!("no form token on the home page"));
        let to = html[from..].find('"').map_or(from, |i| i + from);
        Self {
            client,
            base: base.to_owned(),
            csrf: html[from..to].to_owned(),
        }
    }

    async fn answer(request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.map_err(|e| e.to_string())?;
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response.text().await.map_err(|e| e.to_string())?;
        Ok((status, location, body))
    }

    async fn get(&self, path: &str) -> Answer {
        Self::answer(self.client.get(format!("{}{path}", self.base))).await
    }

    async fn post(&self, path: &str, fields: &[(String, String)]) -> Answer {
        let mut all = vec![("csrf_token".to_owned(), self.csrf.clone())];
        all.extend_from_slice(fields);
        Self::answer(self.client.post(format!("{}{path}", self.base)).form(&all)).await
    }

    async fn pain(&self, case: i64, key: &str) -> Answer {
        self.post(
            &format!("/cases/{case}/pain"),
            &[
                ("score".into(), "6".into()),
                ("context".into(), "now".into()),
                ("recorded_at".into(), String::new()),
                ("note".into(), String::new()),
                ("idempotency_key".into(), key.to_owned()),
            ],
        )
        .await
    }

    async fn save_programme(&self, clinic: &Clinic, case: i64) -> Answer {
        let mut fields = vec![
            ("action".to_owned(), "save".to_owned()),
            ("notes".to_owned(), "Little and often.".to_owned()),
            ("review_date".to_owned(), String::new()),
        ];
        for (i, (id, sets, reps, hold, rest, side, times, days)) in
            clinic.exercises.iter().enumerate()
        {
            for (key, value) in [
                ("exercise", id.to_string()),
                ("sets", sets.to_string()),
                ("reps", reps.to_string()),
                ("hold_seconds", hold.to_string()),
                ("rest_seconds", rest.to_string()),
                ("side", side.clone()),
                ("times_per_day", times.to_string()),
                ("days_per_week", days.to_string()),
                ("note", String::new()),
            ] {
                fields.push((format!("item_{i}_{key}"), value));
            }
        }
        self.post(&format!("/cases/{case}/programme/builder"), &fields)
            .await
    }

    async fn review_assessment(&self, case: i64) -> Answer {
        let fields = common::clinic::signed_review_fields();
        self.post(&format!("/cases/{case}/assessments?kind=review"), &fields)
            .await
    }
}

fn new_key() -> String {
    physiocase::secrets::random_token()
}

/// What the server acknowledged (a 303 to the right place).
#[derive(Default)]
struct Acked {
    pain: Vec<String>,
    versions: Vec<(i64, i32)>,
    assessments: Vec<i64>,
    attempts: usize,
}

fn location_number(location: &str, prefix: &str) -> Option<i64> {
    location.strip_prefix(prefix)?.parse().ok()
}

/// One writer: pain scores on every case, a programme save on its own case every few
/// writes, now and then a signed review assessment, until told to stop or the server dies.
async fn writer(
    browser: Arc<Browser>,
    clinic: Arc<Clinic>,
    own_case: i64,
    seed: u64,
    stop: Arc<AtomicBool>,
    in_flight: Arc<AtomicUsize>,
) -> Acked {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut acked = Acked::default();
    for n in 0..5_000_usize {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        acked.attempts += 1;
        in_flight.fetch_add(1, Ordering::SeqCst);
        let outcome = match n % 8 {
            3 => {
                let answer = browser.save_programme(&clinic, own_case).await;
                if let Ok((StatusCode::SEE_OTHER, location, _)) = &answer {
                    let prefix = format!("/cases/{own_case}/programme/versions/");
                    if let Some(v) = location_number(location, &prefix) {
                        acked
                            .versions
                            .push((own_case, i32::try_from(v).unwrap_or(i32::MAX)));
                    }
                }
                answer
            }
            6 => {
                let answer = browser.review_assessment(own_case).await;
                if let Ok((StatusCode::SEE_OTHER, location, _)) = &answer
                    && let Some(id) = location_number(location, "/assessments/")
                {
                    acked.assessments.push(id);
                }
                answer
            }
            _ => {
                let case = clinic.cases[rng.random_range(0..clinic.cases.len())];
                let key = new_key();
                let answer = browser.pain(case, &key).await;
                if let Ok((StatusCode::SEE_OTHER, _, _)) = &answer {
                    acked.pain.push(key);
                }
                answer
            }
        };
        in_flight.fetch_sub(1, Ordering::SeqCst);
        if outcome.is_err() {
            // The server is gone: nothing more to send until it is back.
            break;
        }
    }
    acked
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

#[derive(QueryableByName)]
struct ForeignKeyProblem {
    #[diesel(sql_type = Text)]
    table: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    rowid: Option<i64>,
}

#[derive(QueryableByName)]
struct KeyCount {
    #[diesel(sql_type = Text)]
    k: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn pain_key_counts(conn: &mut SqliteConnection) -> HashMap<String, i64> {
    diesel::sql_query(
        "SELECT idempotency_key AS k, COUNT(*) AS n FROM pain_scores \
         WHERE idempotency_key IS NOT NULL GROUP BY idempotency_key",
    )
    .load::<KeyCount>(conn)
    .unwrap_or_else(|e| panic!("{e}"))
    .into_iter()
    .map(|r| (r.k, r.n))
    .collect()
}

fn sqlite(db: &Path) -> SqliteConnection {
    let mut conn =
        SqliteConnection::establish(&db.display().to_string()).unwrap_or_else(|e| panic!("{e}"));
    conn.batch_execute("PRAGMA busy_timeout = 10000;")
        .unwrap_or_else(|e| panic!("{e}"));
    conn
}

/// integrity_check is "ok" and foreign_key_check finds nothing.
fn assert_file_sound(db: &Path) {
    let mut conn = sqlite(db);
    let lines: Vec<String> = diesel::sql_query("PRAGMA integrity_check")
        .load::<Line>(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|l| l.integrity_check)
        .collect();
    assert_eq!(lines, vec!["ok".to_owned()], "PRAGMA integrity_check");
    let problems = diesel::sql_query("PRAGMA foreign_key_check")
        .load::<ForeignKeyProblem>(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"));
    let described: Vec<String> = problems
        .iter()
        .map(|p| format!("{} row {:?}", p.table, p.rowid))
        .collect();
    assert!(described.is_empty(), "foreign_key_check: {described:?}");
}

/// No programme version without items, no assessment half-written, every case's pain
/// summary equal to what the app computes from its scores, and the audit chain intact.
fn assert_nothing_half_written(clinic: &Clinic) {
    use physiocase::db::schema::{assessments, pain_scores, programme_items, programme_versions};
    let pool = pool_for(&clinic.url);
    let mut conn = pool.get().unwrap_or_else(|e| panic!("{e}"));
    let versions: Vec<(i64, i64, i32)> = programme_versions::table
        .select((
            programme_versions::id,
            programme_versions::case_id,
            programme_versions::version,
        ))
        .load(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"));
    for (id, case, number) in &versions {
        let items: i64 = programme_items::table
            .filter(programme_items::version_id.eq(id))
            .count()
            .get_result(&mut conn)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            items,
            i64::try_from(ITEMS).unwrap_or(0),
            "case {case} version {number} has {items} items"
        );
    }
    let rows: Vec<(i64, String, String, Option<chrono::NaiveDateTime>)> = assessments::table
        .select((
            assessments::id,
            assessments::status,
            assessments::content,
            assessments::signed_at,
        ))
        .load(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"));
    for (id, status, content, signed_at) in &rows {
        let content: AssessmentContent = serde_json::from_str(content)
            .unwrap_or_else(|e| panic!("assessment {id} content: {e}"));
        assert_eq!(
            status == "signed",
            signed_at.is_some(),
            "assessment {id}: status {status} and signed_at {signed_at:?} disagree"
        );
        let expected = [content.pain_now, content.pain_best, content.pain_worst]
            .iter()
            .filter(|p| p.is_some())
            .count();
        let stored: i64 = pain_scores::table
            .filter(pain_scores::assessment_id.eq(id))
            .count()
            .get_result(&mut conn)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            stored,
            i64::try_from(expected).unwrap_or(0),
            "assessment {id} has {stored} of its {expected} pain scores"
        );
    }
    conn.batch_execute("BEGIN")
        .unwrap_or_else(|e| panic!("{e}"));
    for case in &clinic.cases {
        use physiocase::store::cases::find;
        let before = find(&mut conn, *case).unwrap_or_else(|e| panic!("{e}"));
        physiocase::store::pain::refresh_summary(&mut conn, *case)
            .unwrap_or_else(|e| panic!("{e}"));
        let after = find(&mut conn, *case).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (
                before.pain_baseline,
                before.pain_latest,
                before.pain_trend,
                before.last_pain_at
            ),
            (
                after.pain_baseline,
                after.pain_latest,
                after.pain_trend,
                after.last_pain_at
            ),
            "case {case}'s stored pain summary matches its scores"
        );
    }
    conn.batch_execute("ROLLBACK")
        .unwrap_or_else(|e| panic!("{e}"));
    let chain = physiocase::store::audit::verify_chain(&mut conn).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        chain.first_broken.is_none(),
        "audit chain: {:?}",
        chain.first_broken
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_writes_loses_no_acknowledged_write() {
    if skip_on_postgres("kill_9_during_writes_loses_no_acknowledged_write") {
        return;
    }
    let dir = TempDir::new("kill9");
    let clinic = Arc::new(make_clinic(dir.0.join("clinic.db"), 4));
    let mut rng = StdRng::seed_from_u64(9);
    let mut all = Acked::default();
    let mut kills_in_flight = 0;
    let started = Instant::now();
    for cycle in 0..KILLS {
        let server = start_server(&clinic.db).await;
        let browser = Arc::new(Browser::sign_in(&server.base).await);
        let stop = Arc::new(AtomicBool::new(false));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let writers: Vec<_> = (0..3_usize)
            .map(|w| {
                tokio::spawn(writer(
                    browser.clone(),
                    clinic.clone(),
                    clinic.cases[w],
                    (cycle * 10 + w) as u64,
                    stop.clone(),
                    in_flight.clone(),
                ))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(rng.random_range(150..700))).await;
        if in_flight.load(Ordering::SeqCst) > 0 {
            kills_in_flight += 1;
        }
        server.kill_9();
        stop.store(true, Ordering::SeqCst);
        for handle in writers {
            let acked = tokio::time::timeout(Duration::from_secs(60), handle)
                .await
                .unwrap_or_else(|_| panic!("a writer did not stop"))
                .unwrap_or_else(|e| panic!("{e}"));
            all.pain.extend(acked.pain);
            all.versions.extend(acked.versions);
            all.assessments.extend(acked.assessments);
            all.attempts += acked.attempts;
        }
    }
    // It starts once more on what the last kill left, and answers.
    let server = start_server(&clinic.db).await;
    let browser = Browser::sign_in(&server.base).await;
    let (status, _, _) = browser
        .pain(clinic.cases[0], &new_key())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status, StatusCode::SEE_OTHER, "writes work after the kills");
    drop(server);

    assert_file_sound(&clinic.db);
    let mut conn = sqlite(&clinic.db);
    let stored = pain_key_counts(&mut conn);
    let lost: Vec<&String> = all
        .pain
        .iter()
        .filter(|k| !stored.contains_key(*k))
        .collect();
    let doubled = stored.values().filter(|n| **n > 1).count();
    use physiocase::db::schema::{assessments, programme_versions};
    let versions: BTreeMap<(i64, i32), ()> = programme_versions::table
        .select((programme_versions::case_id, programme_versions::version))
        .load::<(i64, i32)>(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|v| (v, ()))
        .collect();
    let lost_versions: Vec<&(i64, i32)> = all
        .versions
        .iter()
        .filter(|v| !versions.contains_key(v))
        .collect();
    let signed: Vec<i64> = assessments::table
        .filter(assessments::status.eq("signed"))
        .select(assessments::id)
        .load(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"));
    let lost_assessments: Vec<&i64> = all
        .assessments
        .iter()
        .filter(|id| !signed.contains(id))
        .collect();
    println!(
        "kill -9: {KILLS} kills ({kills_in_flight} with a write in flight) in {:.0} s; \
         {} writes sent; acknowledged {} pain scores, {} programme versions, {} signed \
         assessments; lost {}, duplicated {}",
        started.elapsed().as_secs_f64(),
        all.attempts,
        all.pain.len(),
        all.versions.len(),
        all.assessments.len(),
        lost.len() + lost_versions.len() + lost_assessments.len(),
        doubled
    );
    assert!(lost.is_empty(), "acknowledged pain scores lost: {lost:?}");
    assert_eq!(doubled, 0, "no idempotency key stored twice");
    assert!(lost_versions.is_empty(), "versions lost: {lost_versions:?}");
    assert!(
        lost_assessments.is_empty(),
        "assessments lost: {lost_assessments:?}"
    );
    assert!(
        kills_in_flight >= KILLS / 2,
        "most kills hit a write in flight ({kills_in_flight} of {KILLS})"
    );
    assert!(
        all.pain.len() >= KILLS && !all.versions.is_empty() && !all.assessments.is_empty(),
        "every kind of write was acknowledged between kills"
    );
    assert_nothing_half_written(&clinic);
}

/// A mounted tmpfs, unmounted when the test ends.
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

/// Fills the file system of `path` until the kernel refuses another byte.
fn fill_disk(path: &Path) -> u64 {
    use std::io::Write;
    let mut file = std::fs::File::create(path).unwrap_or_else(|e| panic!("{e}"));
    let block = vec![0x5a_u8; 64 * 1024];
    let mut written = 0_u64;
    for _ in 0..100_000 {
        match file.write(&block) {
            Ok(0) | Err(_) => break,
            Ok(n) => written += n as u64,
        }
    }
    // The last partial pages.
    for _ in 0..10_000 {
        match file.write(&block[..512]) {
            Ok(0) | Err(_) => break,
            Ok(n) => written += n as u64,
        }
    }
    let _ = file.sync_all();
    written
}

/// Whether `/healthz` answers `wanted` within 20 tries, half a second apart (its verdict
/// on writing stands a few seconds).
async fn health_becomes(browser: &Browser, wanted: StatusCode) -> bool {
    for _ in 0..20 {
        let (health, _, _) = browser
            .get("/healthz")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        if health == wanted {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    false
}

fn assert_unavailable(answer: &Answer, what: &str) {
    let (status, _, body) = answer.as_ref().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE, "{what}: {body}");
    assert!(
        body.contains("Temporarily unavailable") && body.contains("nothing was changed"),
        "{what} explains itself: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_503_stores_nothing_and_recovers() {
    if skip_on_postgres("a_full_disk_answers_503_stores_nothing_and_recovers") {
        return;
    }
    let dir = TempDir::new("diskfull");
    let mount_point = dir.0.join("small-disk");
    std::fs::create_dir_all(&mount_point).unwrap_or_else(|e| panic!("{e}"));
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=32m", "tmpfs"])
        .arg(&mount_point)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        common::precondition_unmet(
            "a_full_disk_answers_503_stores_nothing_and_recovers",
            "could not mount a small tmpfs (mount -t tmpfs needs root)",
        );
        return;
    }
    let _mount = Mount(mount_point.clone());
    let clinic = make_clinic(mount_point.join("clinic.db"), 1);
    let case = clinic.cases[0];
    let server = start_server(&clinic.db).await;
    let browser = Browser::sign_in(&server.base).await;
    let first = new_key();
    let (status, _, _) = browser
        .pain(case, &first)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "a write before the disk fills"
    );

    let filler = mount_point.join("filler");
    let filled = fill_disk(&filler);
    let mut acked = vec![first];
    let mut refused = None;
    for _ in 0..3_000 {
        let key = new_key();
        let answer = browser.pain(case, &key).await;
        match &answer {
            Ok((StatusCode::SEE_OTHER, _, _)) => acked.push(key),
            Ok((StatusCode::SERVICE_UNAVAILABLE, _, _)) => {
                assert_unavailable(&answer, "a pain score on a full disk");
                refused = Some(key);
                break;
            }
            other => panic!("a write on a full disk answered {other:?}"),
        }
    }
    let refused = refused.unwrap_or_else(|| panic!("3,000 writes fitted on a full disk"));
    let versions_before = {
        use physiocase::db::schema::programme_versions::dsl::*;
        programme_versions
            .count()
            .get_result::<i64>(&mut sqlite(&clinic.db))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    // A refused write leaves its pages in the WAL file for the next one, so a smaller
    // save may still fit there; each save answered 303 must then be stored.
    let mut saves_acked: i64 = 0;
    let mut save = browser.save_programme(&clinic, case).await;
    while matches!(save, Ok((StatusCode::SEE_OTHER, _, _))) && saves_acked < 50 {
        saves_acked += 1;
        save = browser.save_programme(&clinic, case).await;
    }
    assert_unavailable(&save, "a programme save on a full disk");
    // The health check's verdict stands a few seconds (the start-up probe may still
    // hold); then it reports that this instance cannot write.
    assert!(
        health_becomes(&browser, StatusCode::SERVICE_UNAVAILABLE).await,
        "the health check reports an instance that cannot write"
    );
    // A start on the full disk says so, rather than blaming the file.
    let fresh = physiocase::db::DatabaseUrl::parse(&format!(
        "sqlite://{}",
        mount_point.join("another.db").display()
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let start_on_full_disk =
        physiocase::startup::Application::build(physiocase::config::Settings::for_database(fresh));
    let message = start_on_full_disk
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        message.contains("disk holding the database is full"),
        "a start on a full disk: {message:?}"
    );

    // Reads that write nothing keep working; reads of patient data are audited in the
    // same transaction, so they are refused the same clean way.
    let (status, _, _) = browser
        .get("/exercises")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status, StatusCode::OK, "the library still reads");
    let case_page = browser.get(&format!("/cases/{case}")).await;
    let case_status = case_page.as_ref().map(|a| a.0).unwrap_or_default();
    assert!(
        case_status == StatusCode::OK || case_status == StatusCode::SERVICE_UNAVAILABLE,
        "an audited read answers 200 or a clean 503, got {case_status}"
    );

    {
        let mut conn = sqlite(&clinic.db);
        let stored = pain_key_counts(&mut conn);
        assert!(
            !stored.contains_key(&refused),
            "the refused score is not stored"
        );
        for key in &acked {
            assert_eq!(stored.get(key), Some(&1), "acknowledged {key} stored once");
        }
        use physiocase::db::schema::programme_versions::dsl::*;
        let now: i64 = programme_versions
            .count()
            .get_result(&mut conn)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            now,
            versions_before + saves_acked,
            "each acknowledged save is stored; the refused one stored no version"
        );
    }

    std::fs::remove_file(&filler).unwrap_or_else(|e| panic!("{e}"));
    let (status, _, _) = browser
        .pain(case, &refused)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "the same write works once space returns"
    );
    let (status, _, _) = browser
        .save_programme(&clinic, case)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "a programme save works again"
    );
    let (status, _, _) = browser
        .get(&format!("/cases/{case}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status, StatusCode::OK, "the case page works again");
    // The health check's verdict stands a few seconds; then it sees the room again.
    assert!(
        health_becomes(&browser, StatusCode::OK).await,
        "the health check recovers with the disk"
    );
    drop(server);
    let stored = pain_key_counts(&mut sqlite(&clinic.db));
    assert_eq!(
        stored.get(&refused),
        Some(&1),
        "the retried score is stored once"
    );
    assert_file_sound(&clinic.db);
    println!(
        "disk full: {:.1} MB filler, {} writes acknowledged before the first 503, \
         case page while full: {case_status}, all acknowledged stored, recovered",
        filled as f64 / 1_048_576.0,
        acked.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_lock_held_elsewhere_gives_503_then_recovers() {
    if skip_on_postgres("a_write_lock_held_elsewhere_gives_503_then_recovers") {
        return;
    }
    let dir = TempDir::new("locked");
    let clinic = make_clinic(dir.0.join("clinic.db"), 1);
    let case = clinic.cases[0];
    let server = start_server(&clinic.db).await;
    let browser = Arc::new(Browser::sign_in(&server.base).await);
    let (status, _, _) = browser
        .pain(case, &new_key())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status, StatusCode::SEE_OTHER);

    // Another process (this test) takes SQLite's one write lock and keeps it.
    let (release, released) = std::sync::mpsc::channel::<()>();
    let (locked, is_locked) = std::sync::mpsc::channel::<()>();
    let db = clinic.db.clone();
    let holder = std::thread::spawn(move || {
        let mut conn = SqliteConnection::establish(&db.display().to_string())
            .unwrap_or_else(|e| panic!("{e}"));
        conn.batch_execute("BEGIN IMMEDIATE")
            .unwrap_or_else(|e| panic!("{e}"));
        let _ = locked.send(());
        // Held until told, and never longer than 30 s.
        let _ = released.recv_timeout(Duration::from_secs(30));
        let _ = conn.batch_execute("ROLLBACK");
    });
    is_locked
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("lock: {e}"));

    let blocked_key = new_key();
    let started = Instant::now();
    let write = {
        let browser = browser.clone();
        let key = blocked_key.clone();
        tokio::spawn(async move { browser.pain(case, &key).await })
    };
    let page = {
        let browser = browser.clone();
        tokio::spawn(async move { browser.get(&format!("/cases/{case}")).await })
    };
    let library_started = Instant::now();
    let (status, _, _) = browser
        .get("/exercises")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let library_time = library_started.elapsed();
    assert_eq!(status, StatusCode::OK, "reads that write nothing go on");
    let write = write.await.unwrap_or_else(|e| panic!("{e}"));
    let waited = started.elapsed();
    let page = page.await.unwrap_or_else(|e| panic!("{e}"));
    assert_unavailable(&write, "a pain score while the lock is held");
    assert_unavailable(&page, "an audited case page while the lock is held");
    assert!(
        waited >= Duration::from_millis(4_500) && waited < Duration::from_secs(20),
        "the write waited for busy_timeout (5 s), not forever: {waited:?}"
    );
    let retry_after = browser
        .client
        .get(format!("{}/cases/{case}", browser.base))
        .send()
        .await
        .map(|r| (r.status(), r.headers().get(RETRY_AFTER).is_some()));
    assert!(
        matches!(retry_after, Ok((StatusCode::SERVICE_UNAVAILABLE, true))),
        "503 with Retry-After: {retry_after:?}"
    );
    assert!(
        !pain_key_counts(&mut sqlite(&clinic.db)).contains_key(&blocked_key),
        "the refused write stored nothing"
    );

    let _ = release.send(());
    holder
        .join()
        .unwrap_or_else(|_| panic!("the lock holder panicked"));
    let recovered = Instant::now();
    let (status, _, _) = browser
        .pain(case, &blocked_key)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "the same write works once the lock is gone"
    );
    let (status, _, _) = browser
        .get(&format!("/cases/{case}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status, StatusCode::OK, "pages work again without a restart");
    drop(server);
    assert_eq!(
        pain_key_counts(&mut sqlite(&clinic.db)).get(&blocked_key),
        Some(&1)
    );
    assert_file_sound(&clinic.db);
    println!(
        "write lock held elsewhere: write answered 503 after {:.1} s, library read took {:.0} ms, \
         recovered in {:.0} ms after release",
        waited.as_secs_f64(),
        library_time.as_secs_f64() * 1000.0,
        recovered.elapsed().as_secs_f64() * 1000.0
    );
}

/// Starts the server on `database` and expects it to refuse: a non-zero exit within
/// 60 s and a message on stderr. Returns the message.
fn refuses_to_start(database: &str) -> String {
    refuses_to_start_as(database, None).unwrap_or_else(|e| panic!("start the server: {e}"))
}

/// `refuses_to_start`, with the server running as user and group `uid` when given (only
/// root may do that); an error when the server could not be started at all.
fn refuses_to_start_as(database: &str, uid: Option<u32>) -> std::io::Result<String> {
    let mut command = serve_command(database, free_port());
    if let Some(uid) = uid {
        use std::os::unix::process::CommandExt;
        command.uid(uid).gid(uid);
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server started (or hung) on {database}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!status.success(), "non-zero exit on {database}: {stderr}");
    assert!(
        stderr.contains("physiocase:"),
        "a message on stderr for {database}: {stderr:?}"
    );
    Ok(stderr)
}

#[test]
fn a_corrupt_or_unreadable_database_is_refused_at_start() {
    const TEST: &str = "a_corrupt_or_unreadable_database_is_refused_at_start";
    if skip_on_postgres(TEST) {
        return;
    }
    let dir = TempDir::new("corrupt");

    // Not a database at all.
    let garbage = dir.0.join("garbage.db");
    let bytes: Vec<u8> = b"this is not a database, only text. "
        .iter()
        .copied()
        .cycle()
        .take(64 * 1024)
        .collect();
    std::fs::write(&garbage, &bytes).unwrap_or_else(|e| panic!("{e}"));
    let message = refuses_to_start(&format!("sqlite://{}", garbage.display()));
    assert!(
        message.contains("not a usable SQLite database")
            && message.contains(&garbage.display().to_string()),
        "names the problem and the file: {message}"
    );
    assert_eq!(
        std::fs::read(&garbage).unwrap_or_default(),
        bytes,
        "the file is left as it was"
    );

    // A real database with pages overwritten in the middle.
    let damaged = dir.0.join("damaged.db");
    let clinic = make_clinic(damaged.clone(), 3);
    {
        let mut conn = sqlite(&clinic.db);
        conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let mut file = std::fs::read(&damaged).unwrap_or_else(|e| panic!("{e}"));
    let page = 4096;
    assert!(file.len() > 12 * page, "the database has pages to damage");
    let end = file.len() - page;
    for byte in file[3 * page..end].iter_mut().step_by(7) {
        *byte ^= 0xa5;
    }
    std::fs::write(&damaged, &file).unwrap_or_else(|e| panic!("{e}"));
    let message = refuses_to_start(&clinic.url);
    assert!(
        message.contains("not a usable SQLite database") || message.contains("malformed"),
        "names the damage: {message}"
    );

    // A database cut off inside its 100-byte header (a copy that stopped early).
    let truncated = dir.0.join("truncated.db");
    std::fs::write(&truncated, &file[..60]).unwrap_or_else(|e| panic!("{e}"));
    let message = refuses_to_start(&format!("sqlite://{}", truncated.display()));
    assert!(
        message.contains("not a usable SQLite database")
            && message.contains(&truncated.display().to_string()),
        "names the problem and the file: {message}"
    );
    assert_eq!(std::fs::read(&truncated).unwrap_or_default(), &file[..60]);

    // A folder where the database file should be: unreadable as a file, even for root.
    let folder = dir.0.join("a-folder.db");
    std::fs::create_dir_all(&folder).unwrap_or_else(|e| panic!("{e}"));
    let message = refuses_to_start(&format!("sqlite://{}", folder.display()));
    assert!(
        message.contains(&format!(
            "{} is a folder, not a database file",
            folder.display()
        )),
        "names the path and what is wrong: {message}"
    );

    // A file where the database's folder should be: nothing can be opened below it.
    let not_a_folder = dir.0.join("not-a-folder");
    std::fs::write(&not_a_folder, b"a file").unwrap_or_else(|e| panic!("{e}"));
    let below = not_a_folder.join("clinic.db");
    let message = refuses_to_start(&format!("sqlite://{}", below.display()));
    assert!(
        message.contains(&format!(
            "{} is a file, not a folder",
            not_a_folder.display()
        )),
        "names the path and what is wrong: {message}"
    );

    // A file its user may not read. chmod does not stop root, so as root the server
    // runs as the unprivileged user `nobody` (65534), which is stopped.
    let locked = dir.0.join("no-permission.db");
    drop(make_clinic(locked.clone(), 1));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000))
        .unwrap_or_else(|e| panic!("{e}"));
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or_else(|e| panic!("id -u: {e}"));
    let url = format!("sqlite://{}", locked.display());
    let outcome = refuses_to_start_as(&url, root.then_some(65534));
    let _ = std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o600));
    match outcome {
        Ok(message) => assert!(
            message.contains(&format!("cannot read {}", locked.display()))
                && message.contains("ermission denied"),
            "names the path and what is wrong: {message}"
        ),
        Err(e) => common::precondition_unmet(
            TEST,
            &format!("the unreadable-file case could not start the server as user nobody: {e}"),
        ),
    }
}
