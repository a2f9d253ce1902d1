//! A fresh clinic database of a chosen size. The schema comes from the app's own
//! migrations and its built-in library from building the app once; the bulk rows are
//! multi-row INSERT statements, one transaction per chunk. Every denormalised column
//! (case pain summary, review date, pending red flags, patient search words) is
//! computed by the same rules as the app, and a sample is re-checked with the app's
//! own functions before the run.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use chrono::{Duration, NaiveDate, NaiveDateTime, Timelike, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::ManageConnection;
use diesel::sql_types::{BigInt, Nullable, Text};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use physiocase::config::Settings;
use physiocase::db::schema::exercises;
use physiocase::db::{DatabaseUrl, DbConn, DbManager};
use physiocase::demo::{GIVEN, TITLES};
use physiocase::domain::clinical::{AssessmentContent, RED_FLAGS};
use physiocase::domain::outcomes::{MovementValue, OutcomeEntry, PsfsItem};
use physiocase::domain::pain::PainSummary;
use physiocase::domain::text::{fold, sort_name};
use physiocase::startup::Application;
use physiocase::store::search::{PatientSearch, words_of};

/// Every generated account's password (hashed once, the hash shared).
pub const PASSWORD: &str = "loadgen violet harbour 2026";
/// The clinic name of a database this tool made: only such a database is ever replaced.
const MARKER: &str = "Loadgen benchmark clinic";
const DOMAIN: &str = "bench.physiocase.example";
pub const EXERCISES_PER_VERSION: usize = 10;
/// One patient in this many whose newest case has a programme gets a portal account.
const PORTAL_EVERY: i64 = 10;
const ROWS_PER_STATEMENT: usize = 500;
const ROWS_PER_TRANSACTION: usize = 50_000;

pub struct Sizes {
    pub patients: u64,
    pub cases: u64,
    pub scores: u64,
    pub versions: u64,
}

#[derive(Debug, Clone)]
pub struct Exercise {
    pub id: i64,
    pub name: String,
    pub sets: i32,
    pub reps: i32,
    pub hold_seconds: i32,
    pub rest_seconds: i32,
    pub side: String,
    pub times_per_day: i32,
    pub days_per_week: i32,
    /// Steps and cautions as the library stores them (JSON arrays), frozen into each item.
    pub steps: String,
    pub cautions: String,
}

pub struct PortalAccount {
    pub email: String,
    pub case_id: i64,
    /// The exercises of the case's current programme (what "done today" may tick).
    pub exercises: Vec<i64>,
}

/// What the traffic needs to know about the generated clinic.
pub struct Clinic {
    pub therapists: Vec<String>,
    pub portal: Vec<PortalAccount>,
    pub case_count: i64,
    /// Open cases without pending red flags: pain scores go here.
    pub open_cases: Vec<i64>,
    /// Open cases with a current 10-exercise programme and no red flags: printable.
    pub printable_cases: Vec<i64>,
    /// Printable cases that no portal patient uses: programme saves go here.
    pub save_cases: Vec<i64>,
    /// Programme versions of each case before the run, by case id.
    pub versions_before: HashMap<i64, i32>,
    pub exercises: Vec<Exercise>,
    pub search_terms: Vec<String>,
    pub counts: Counts,
}

#[derive(Default)]
pub struct Counts {
    rows: Vec<(&'static str, i64)>,
    bytes: Option<i64>,
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .rows
            .iter()
            .map(|(table, n)| format!("{n} {table}"))
            .collect();
        f.write_str(&parts.join(", "))?;
        if let Some(bytes) = self.bytes {
            write!(f, "; {:.0} MB on disk", bytes as f64 / 1_048_576.0)?;
        }
        Ok(())
    }
}

/// More given names, after the demo's (`physiocase::demo::GIVEN`), for a bigger clinic.
const MORE_GIVEN: &[&str] = &[
    "Ana", "Ben", "Carla", "Dev", "Elif", "Finn", "Gaël", "Hana", "Ines", "Jonas", "Kofi", "Lena",
    "Marta", "Nils", "Olga", "Pavel", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wen",
    "Ximena", "Yusuf", "Zainab", "Agnès", "Bruno", "Céline", "Dário", "Emre", "Freya", "Gustav",
    "Hélène", "Ivo", "Jana", "Karim", "Łucja", "Mohammed", "Noor",
];
/// The i-th given name, counting the demo's first, round and round.
fn given_name(i: usize) -> &'static str {
    GIVEN
        .iter()
        .chain(MORE_GIVEN)
        .nth(i % (GIVEN.len() + MORE_GIVEN.len()))
        .copied()
        .unwrap_or_default()
}

const FAMILY_ROOTS: &[&str] = &[
    "Kowal", "Núñ", "Papad", "Ivan", "Khan", "O'Bri", "Chen", "Adey", "Murph", "Lind", "Pat",
    "Dub", "Garc", "Tanak", "Hadd", "Okaf", "Petr", "Walk", "Łukas", "Sörens", "Müll", "Schm",
    "Ross", "Bian", "Haz", "Ferr", "Nakam", "Sat", "Kim", "Park", "Nguy", "Tran", "Silv", "Sant",
    "Oliv", "Mend", "Rí", "Dvoř", "Novák", "Horv",
];
const FAMILY_ENDINGS: &[&str] = &[
    "", "ski", "son", "ez", "ov", "ova", "er", "man", "ić", "ides", "oglu", "ata", "ini", "elli",
    "stein", "berg", "ard", "ley", "ton", "well", "ford", "es", "os", "ak", "ek",
];

struct PatientPlan {
    id: i64,
    given: &'static str,
    family: String,
    born: NaiveDate,
    sex: &'static str,
    therapist: i64,
    reference: String,
}

struct VersionPlan {
    saved_at: NaiveDateTime,
    review_date: NaiveDate,
    /// Indices into the active exercise list.
    exercises: Vec<usize>,
    number: i32,
}

struct CasePlan {
    id: i64,
    patient: i64,
    therapist: i64,
    open: bool,
    red_flag: bool,
    opened: NaiveDateTime,
    discharged: Option<NaiveDateTime>,
    /// (when, context, score); the first `from_assessment` are the initial assessment's.
    scores: Vec<(NaiveDateTime, &'static str, i32)>,
    from_assessment: usize,
    versions: Vec<VersionPlan>,
}

fn err(context: &str) -> impl Fn(diesel::result::Error) -> String + '_ {
    move |e| format!("{context}: {e}")
}

/// A SQL text literal.
fn q(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn ts(at: NaiveDateTime) -> String {
    format!("'{}'", at.format("%Y-%m-%d %H:%M:%S"))
}

fn day(date: NaiveDate) -> String {
    format!("'{}'", date.format("%Y-%m-%d"))
}

fn opt<T>(value: Option<T>, f: impl Fn(T) -> String) -> String {
    value.map_or_else(|| "NULL".to_owned(), f)
}

/// Appends many rows with multi-row INSERT statements, committing every chunk.
struct Loader<'c> {
    conn: &'c mut DbConn,
    pg: bool,
    head: String,
    sql: String,
    in_statement: usize,
    in_transaction: usize,
    pub total: u64,
}

impl<'c> Loader<'c> {
    fn new(conn: &'c mut DbConn, pg: bool) -> Self {
        Self {
            conn,
            pg,
            head: String::new(),
            sql: String::new(),
            in_statement: 0,
            in_transaction: 0,
            total: 0,
        }
    }

    fn boolean(&self, value: bool) -> &'static str {
        match (self.pg, value) {
            (true, true) => "TRUE",
            (true, false) => "FALSE",
            (false, true) => "1",
            (false, false) => "0",
        }
    }

    fn table(&mut self, table: &str, columns: &str) -> Result<(), String> {
        self.flush()?;
        self.head = format!("INSERT INTO {table} ({columns}) VALUES ");
        Ok(())
    }

    fn row(&mut self, values: &str) -> Result<(), String> {
        if self.in_statement == 0 {
            self.sql.clear();
            self.sql.push_str(&self.head);
        } else {
            self.sql.push(',');
        }
        self.sql.push('(');
        self.sql.push_str(values);
        self.sql.push(')');
        self.in_statement += 1;
        if self.in_statement >= ROWS_PER_STATEMENT {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), String> {
        if self.in_statement == 0 {
            return Ok(());
        }
        if self.in_transaction == 0 {
            self.conn
                .batch_execute("BEGIN")
                .map_err(err("begin a chunk"))?;
        }
        diesel::sql_query(self.sql.as_str())
            .execute(self.conn)
            .map_err(|e| format!("bulk insert ({}…): {e}", &self.head))?;
        self.total += self.in_statement as u64;
        self.in_transaction += self.in_statement;
        self.in_statement = 0;
        if self.in_transaction >= ROWS_PER_TRANSACTION {
            self.commit()?;
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<(), String> {
        if self.in_transaction > 0 {
            self.conn
                .batch_execute("COMMIT")
                .map_err(err("commit a chunk"))?;
            self.in_transaction = 0;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), String> {
        self.flush()?;
        self.commit()
    }
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Nullable<Text>)]
    name: Option<String>,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Removes a database this tool made before; refuses to touch anything else.
fn make_room(url: &DatabaseUrl) -> Result<(), String> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("create {}: {e}", dir.display()))?;
            }
            let size = match std::fs::metadata(path) {
                Ok(meta) => meta.len(),
                Err(_) => return Ok(()),
            };
            if size > 0 {
                let path_text = path
                    .to_str()
                    .ok_or_else(|| "the SQLite path is not UTF-8".to_owned())?;
                let mut conn = diesel::SqliteConnection::establish(path_text)
                    .map_err(|e| format!("open {}: {e}", path.display()))?;
                let name = diesel::sql_query("SELECT name FROM clinic_settings WHERE id = 1")
                    .get_result::<Name>(&mut conn)
                    .ok()
                    .and_then(|n| n.name);
                if name.as_deref() != Some(MARKER) {
                    return Err(format!(
                        "{} exists and was not made by loadgen: choose another --database-url",
                        path.display()
                    ));
                }
            }
            for suffix in ["", "-wal", "-shm"] {
                let mut file = path.clone().into_os_string();
                file.push(suffix);
                match std::fs::remove_file(&file) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(format!("remove {}: {e}", path.display())),
                }
            }
            Ok(())
        }
        DatabaseUrl::Postgres(raw) => {
            let mut conn = diesel::PgConnection::establish(raw)
                .map_err(|e| format!("connect to {url}: {e}"))?;
            let schema = diesel::sql_query("SELECT current_schema() AS name")
                .get_result::<Name>(&mut conn)
                .map_err(err("current schema"))?
                .name
                .ok_or_else(|| "the PostgreSQL search_path names no schema".to_owned())?;
            let tables = diesel::sql_query(
                "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema()",
            )
            .get_result::<Count>(&mut conn)
            .map_err(err("list tables"))?
            .n;
            if tables == 0 {
                return Ok(());
            }
            let name = diesel::sql_query("SELECT name FROM clinic_settings WHERE id = 1")
                .get_result::<Name>(&mut conn)
                .ok()
                .and_then(|n| n.name);
            if name.as_deref() != Some(MARKER) {
                return Err(format!(
                    "schema {schema} of {url} has tables and was not made by loadgen: use an empty database"
                ));
            }
            let quoted = format!("\"{}\"", schema.replace('"', "\"\""));
            conn.batch_execute(&format!(
                "DROP SCHEMA {quoted} CASCADE; CREATE SCHEMA {quoted};"
            ))
            .map_err(err("drop the old benchmark schema"))
        }
    }
}

fn family_name(n: usize) -> String {
    let root = FAMILY_ROOTS[n % FAMILY_ROOTS.len()];
    let ending = FAMILY_ENDINGS[(n / FAMILY_ROOTS.len()) % FAMILY_ENDINGS.len()];
    format!("{root}{ending}")
}

fn plan_patients(count: i64, therapists: i64, rng: &mut StdRng) -> Vec<PatientPlan> {
    let surnames = FAMILY_ROOTS.len() * FAMILY_ENDINGS.len();
    (1..=count)
        .map(|id| {
            let born = NaiveDate::from_ymd_opt(1940, 1, 1).unwrap_or_default()
                + Duration::days(rng.random_range(0..365 * 65));
            PatientPlan {
                id,
                given: given_name(rng.random_range(0..GIVEN.len() + MORE_GIVEN.len())),
                family: family_name(rng.random_range(0..surnames)),
                born,
                sex: ["female", "male", "other", "not-stated"][rng.random_range(0..4)],
                therapist: 2 + (id - 1) % therapists,
                reference: format!("P{id:07}"),
            }
        })
        .collect()
}

/// Per-case count of something spread evenly: `total / n`, the remainder to the first ones.
fn share(total: u64, n: u64, index: u64) -> usize {
    let base = total / n;
    let extra = u64::from(index < total % n);
    usize::try_from(base + extra).unwrap_or(usize::MAX)
}

fn plan_case(
    id: i64,
    sizes: &Sizes,
    patients: &[PatientPlan],
    version_slots: usize,
    exercise_count: usize,
    now: NaiveDateTime,
    seed: u64,
) -> CasePlan {
    let mut rng = StdRng::seed_from_u64(seed ^ (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let n = i64::try_from(sizes.patients).unwrap_or(i64::MAX);
    let total = i64::try_from(sizes.cases).unwrap_or(i64::MAX);
    let patient_index = usize::try_from((id - 1) % n).unwrap_or(0);
    let patient = &patients[patient_index];
    // A patient's newest case is open; older ones were discharged long ago.
    let open = id + n > total;
    let opened = if open {
        now - Duration::days(rng.random_range(14..120)) - Duration::hours(rng.random_range(0..24))
    } else {
        now - Duration::days(rng.random_range(400..1100)) - Duration::hours(rng.random_range(0..24))
    };
    let discharged = (!open).then(|| opened + Duration::days(rng.random_range(40..120)));
    let end = discharged.unwrap_or(now - Duration::hours(1));
    let red_flag = open && id % 37 == 0;

    let k = share(
        sizes.scores,
        sizes.cases,
        u64::try_from(id - 1).unwrap_or(0),
    );
    let from_assessment = k.min(3);
    let baseline = rng.random_range(4..=8_i32);
    let outcome = rng.random_range(0..100);
    let target = if outcome < 65 {
        (baseline - rng.random_range(3..=5)).max(0)
    } else if outcome < 85 {
        (baseline - 1).max(0)
    } else {
        (baseline + 2).min(10)
    };
    let mut scores = Vec::with_capacity(k);
    for (context, score) in [
        ("now", baseline),
        ("best", (baseline - 3).max(0)),
        ("worst-24h", (baseline + 2).min(10)),
    ]
    .into_iter()
    .take(from_assessment)
    {
        scores.push((opened, context, score));
    }
    let later = k - from_assessment;
    let span = (end - opened).num_seconds().max(1);
    for i in 0..later {
        let step = i64::try_from(i + 1).unwrap_or(0) * span / i64::try_from(later + 1).unwrap_or(1);
        let at = opened + Duration::seconds(step.max(1));
        let progress = step as f64 / span as f64;
        let expected = f64::from(baseline) + f64::from(target - baseline) * progress;
        let score = (expected + rng.random_range(-1.0..1.0))
            .round()
            .clamp(0.0, 10.0) as i32;
        let roll = rng.random_range(0..100);
        let context = if roll < 80 {
            "now"
        } else if roll < 95 {
            "activity"
        } else {
            "rest"
        };
        scores.push((at, context, score));
    }

    let mut versions = Vec::new();
    if !red_flag {
        for v in 0..version_slots {
            let step = i64::try_from(v + 1).unwrap_or(0) * span
                / i64::try_from(version_slots + 1).unwrap_or(1);
            let saved_at = opened + Duration::seconds(step.max(1));
            let start = rng.random_range(0..exercise_count.max(1));
            versions.push(VersionPlan {
                saved_at,
                review_date: (saved_at + Duration::days(21)).date(),
                exercises: (0..EXERCISES_PER_VERSION.min(exercise_count))
                    .map(|i| (start + i) % exercise_count)
                    .collect(),
                number: i32::try_from(v + 1).unwrap_or(i32::MAX),
            });
        }
    }
    CasePlan {
        id,
        patient: patient.id,
        therapist: patient.therapist,
        open,
        red_flag,
        opened,
        discharged,
        scores,
        from_assessment,
        versions,
    }
}

/// The case's pain summary by the app's rule (`refresh_summary`): baseline is the first
/// score, latest the newest in the baseline's context.
fn summary(
    scores: &[(NaiveDateTime, &'static str, i32)],
) -> (Option<i32>, Option<i32>, &'static str) {
    let Some((first_at, context, baseline)) = scores.first().copied() else {
        return (None, None, "not-enough");
    };
    let same: Vec<&(NaiveDateTime, &str, i32)> =
        scores.iter().filter(|(_, c, _)| *c == context).collect();
    let Some((latest_at, _, latest)) = same.last().map(|s| **s) else {
        return (Some(baseline), None, "not-enough");
    };
    let to_u8 = |s: i32| u8::try_from(s.clamp(0, 10)).unwrap_or(0);
    let series = if same.len() >= 2 {
        vec![(first_at, to_u8(baseline)), (latest_at, to_u8(latest))]
    } else {
        vec![(first_at, to_u8(baseline))]
    };
    let trend = PainSummary::from_scores(&series).trend.as_str();
    (Some(baseline), Some(latest), trend)
}

fn assessment_content(plan: &CasePlan, rng: &mut StdRng) -> AssessmentContent {
    let pain = |i: usize| {
        plan.scores
            .get(i)
            .filter(|_| i < plan.from_assessment)
            .map(|s| s.2)
    };
    AssessmentContent {
        presenting_complaint:
            "Aching between the shoulder blades, worse by the end of the working day.".into(),
        history: "Started gradually; no injury.".into(),
        aggravating: "Sitting for more than an hour; looking down at a phone.".into(),
        easing: "Moving about; heat.".into(),
        pain_now: pain(0),
        pain_best: pain(1),
        pain_worst: pain(2),
        body_regions: vec!["thoracic-mid".into()],
        red_flags: RED_FLAGS
            .iter()
            .map(|(flag, _)| {
                let yes = plan.red_flag && *flag == "night-pain";
                (
                    (*flag).to_owned(),
                    if yes { "yes" } else { "no" }.to_owned(),
                )
            })
            .collect(),
        // The case's one PSFS activity has the case's id (see `write_outcomes`).
        outcomes: OutcomeEntry {
            psfs: vec![PsfsItem {
                activity_id: Some(plan.id),
                activity: "Working at a computer".into(),
                score: rng.random_range(2..6),
            }],
            movements: ["thoracic-rotation-left", "thoracic-rotation-right"]
                .into_iter()
                .map(|movement| MovementValue {
                    movement: movement.into(),
                    value: rng.random_range(30..50),
                })
                .collect(),
            ..OutcomeEntry::default()
        },
        impression: "Postural thoracic pain without neurological signs.".into(),
        plan: "Mobility and strengthening home programme; review in three weeks.".into(),
        ..AssessmentContent::default()
    }
}

fn words(patient: &PatientPlan) -> String {
    words_of(patient.given, &patient.family, Some(&patient.reference))
}

fn load_exercises(conn: &mut DbConn) -> Result<Vec<Exercise>, String> {
    let rows = exercises::table
        .filter(exercises::archived.eq(false))
        .order(exercises::id.asc())
        .select((
            exercises::id,
            exercises::name,
            exercises::sets,
            exercises::reps,
            exercises::hold_seconds,
            exercises::rest_seconds,
            exercises::side,
            exercises::times_per_day,
            exercises::days_per_week,
            exercises::steps,
            exercises::cautions,
        ))
        .load::<(
            i64,
            String,
            i32,
            i32,
            i32,
            i32,
            String,
            i32,
            i32,
            String,
            String,
        )>(conn)
        .map_err(err("read the exercise library"))?;
    Ok(rows
        .into_iter()
        .map(
            |(
                id,
                name,
                sets,
                reps,
                hold_seconds,
                rest_seconds,
                side,
                times_per_day,
                days_per_week,
                steps,
                cautions,
            )| {
                Exercise {
                    id,
                    name,
                    sets,
                    reps,
                    hold_seconds,
                    rest_seconds,
                    side,
                    times_per_day,
                    days_per_week,
                    steps,
                    cautions,
                }
            },
        )
        .collect())
}

/// Builds the whole database and returns what the traffic needs.
pub fn build(url: &DatabaseUrl, sizes: &Sizes, seed: u64) -> Result<Clinic, String> {
    make_room(url)?;
    let pg = !url.is_sqlite();
    let now = Utc::now()
        .naive_utc()
        .with_nanosecond(0)
        .unwrap_or_default();
    let mut rng = StdRng::seed_from_u64(seed);
    let patient_count = i64::try_from(sizes.patients).map_err(|e| e.to_string())?;
    let case_count = i64::try_from(sizes.cases).map_err(|e| e.to_string())?;
    let therapist_count = (patient_count / 400).max(2);
    let hash = physiocase::auth::password::hash(PASSWORD).map_err(|e| e.to_string())?;

    // The real migrations, then staff accounts, then the app seeds its built-in library.
    let pool = physiocase::db::connect_and_migrate(url, 2).map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| format!("database: {e}"))?;
    let mut therapists = Vec::new();
    {
        let mut load = Loader::new(&mut conn, pg);
        load.table(
            "users",
            "id, email, display_name, role, password_hash, active, created_at, updated_at",
        )?;
        let yes = load.boolean(true);
        let created = ts(now - Duration::days(1200));
        load.row(&format!(
            "1, {}, 'Ada Admin', 'admin', {}, {yes}, {created}, {created}",
            q(&format!("admin@{DOMAIN}")),
            q(&hash)
        ))?;
        for t in 0..therapist_count {
            let email = format!("therapist{}@{DOMAIN}", t + 1);
            let name = format!(
                "{} {}",
                given_name(usize::try_from(t).unwrap_or(0)),
                family_name(usize::try_from(t * 7).unwrap_or(0))
            );
            load.row(&format!(
                "{}, {}, {}, 'therapist', {}, {yes}, {created}, {created}",
                t + 2,
                q(&email),
                q(&name),
                q(&hash)
            ))?;
            therapists.push(email);
        }
        load.finish()?;
    }
    drop(conn);
    drop(pool);
    let mut settings = Settings::for_database(url.clone());
    settings.db_pool_size = 2;
    drop(Application::build(settings).map_err(|e| format!("build the app once: {e}"))?);

    let mut conn = DbManager::new(url.clone())
        .connect()
        .map_err(|e| format!("database: {e}"))?;
    if !pg {
        // A fresh file that nobody else uses yet: durability per chunk is not needed.
        conn.batch_execute("PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;")
            .map_err(err("loader settings"))?;
    }
    diesel::sql_query(format!(
        "UPDATE clinic_settings SET name = {} WHERE id = 1",
        q(MARKER)
    ))
    .execute(&mut conn)
    .map_err(err("name the clinic"))?;
    let library = load_exercises(&mut conn)?;
    if library.len() < EXERCISES_PER_VERSION {
        return Err("the built-in library has fewer than 10 exercises".into());
    }

    let patients = plan_patients(patient_count, therapist_count, &mut rng);
    // Programme versions go to every case without red flags, evenly.
    let eligible: Vec<i64> = (1..=case_count)
        .filter(|id| !(*id + patient_count > case_count && id % 37 == 0))
        .collect();
    let mut slots: HashMap<i64, usize> = HashMap::new();
    for (index, id) in eligible.iter().enumerate() {
        let n = share(
            sizes.versions,
            eligible.len() as u64,
            u64::try_from(index).unwrap_or(0),
        );
        if n > 0 {
            slots.insert(*id, n);
        }
    }
    let cases: Vec<CasePlan> = (1..=case_count)
        .map(|id| {
            plan_case(
                id,
                sizes,
                &patients,
                slots.get(&id).copied().unwrap_or(0),
                library.len(),
                now,
                seed,
            )
        })
        .collect();

    let mut load = Loader::new(&mut conn, pg);
    let yes = load.boolean(true);

    load.table(
        "patients",
        "id, given_name, family_name, date_of_birth, sex, phone, email, clinic_reference, \
         primary_therapist_id, notes, created_by, created_at, updated_at, sort_name, search_words",
    )?;
    let first_opened: HashMap<i64, NaiveDateTime> = cases
        .iter()
        .filter(|c| c.id <= patient_count)
        .map(|c| (c.patient, c.opened))
        .collect();
    for p in &patients {
        let created = ts(first_opened.get(&p.id).copied().unwrap_or(now));
        load.row(&format!(
            "{}, {}, {}, {}, {}, {}, {}, {}, {}, '', {}, {created}, {created}, {}, {}",
            p.id,
            q(p.given),
            q(&p.family),
            day(p.born),
            q(p.sex),
            q(&format!("0117 496 {:04}", p.id % 10_000)),
            q(&format!("patient{}@{DOMAIN}", p.id)),
            q(&p.reference),
            p.therapist,
            p.therapist,
            q(&sort_name(p.given, &p.family)),
            q(&words(p)),
        ))?;
    }
    load.table(
        "cases",
        "id, patient_id, title, body_region, onset_date, mechanism, referral_source, goals, \
         therapist_id, status, discharge_outcome, discharged_at, error_reason, red_flags_pending, \
         created_by, created_at, updated_at, pain_baseline, pain_latest, pain_trend, \
         last_pain_at, review_date",
    )?;
    for c in &cases {
        let (baseline, latest, trend) = summary(&c.scores);
        let index = usize::try_from(c.id).unwrap_or(0);
        let outcome = if c.open {
            "NULL".to_owned()
        } else if baseline.zip(latest).is_some_and(|(b, l)| l <= b - 2) {
            q("goals-met")
        } else {
            q("goals-partly-met")
        };
        load.row(&format!(
            "{}, {}, {}, 'thoracic', {}, 'Gradual onset with long hours at a desk.', {}, \
             'Work a full day and sleep without upper-back pain.', {}, {}, {outcome}, {}, NULL, {}, \
             {}, {}, {}, {}, {}, {}, {}, {}",
            c.id,
            c.patient,
            q(TITLES[index % TITLES.len()]),
            day((c.opened - Duration::days(20)).date()),
            q(["GP", "Self-referral", "Employer"][index % 3]),
            c.therapist,
            q(if c.open { "open" } else { "discharged" }),
            opt(c.discharged, ts),
            q(if c.red_flag { "night-pain" } else { "" }),
            c.therapist,
            ts(c.opened),
            ts(c.discharged.unwrap_or(c.opened)),
            opt(baseline, |b| b.to_string()),
            opt(latest, |l| l.to_string()),
            q(trend),
            opt(c.scores.last().map(|s| s.0), ts),
            opt(c.versions.last().map(|v| v.review_date), day),
        ))?;
    }

    // Initial assessments have the case's id; discharge assessments follow.
    load.table(
        "assessments",
        "id, case_id, kind, status, author_id, assessed_at, content, signed_at, error_reason, \
         created_at, updated_at",
    )?;
    let mut next_assessment = case_count + 1;
    let mut discharge_of: Vec<(i64, i64, NaiveDateTime, i64)> = Vec::new();
    let mut initial_outcomes: Vec<OutcomeEntry> = Vec::with_capacity(cases.len());
    for c in &cases {
        let content = assessment_content(c, &mut rng);
        let json = serde_json::to_string(&content).map_err(|e| e.to_string())?;
        initial_outcomes.push(content.outcomes);
        let signed = c.opened + Duration::hours(1);
        load.row(&format!(
            "{}, {}, 'initial', 'signed', {}, {}, {}, {}, NULL, {}, {}",
            c.id,
            c.id,
            c.therapist,
            ts(c.opened),
            q(&json),
            ts(signed),
            ts(c.opened),
            ts(signed)
        ))?;
        if let Some(at) = c.discharged {
            discharge_of.push((next_assessment, c.id, at, c.therapist));
            next_assessment += 1;
        }
    }
    let discharge_content = serde_json::to_string(&AssessmentContent {
        plan: "Continue the home programme independently.".into(),
        red_flags: RED_FLAGS
            .iter()
            .map(|(f, _)| ((*f).to_owned(), "no".to_owned()))
            .collect(),
        ..AssessmentContent::default()
    })
    .map_err(|e| e.to_string())?;
    for (id, case_id, at, author) in &discharge_of {
        let assessed = *at - Duration::hours(2);
        load.row(&format!(
            "{id}, {case_id}, 'discharge', 'signed', {author}, {}, {}, {}, NULL, {}, {}",
            ts(assessed),
            q(&discharge_content),
            ts(assessed + Duration::minutes(30)),
            ts(assessed),
            ts(assessed + Duration::minutes(30)),
        ))?;
    }

    // The initial assessments' outcome measures, as signing stores them.
    load.table(
        "psfs_activities",
        "id, case_id, activity, added_at, added_by, retired_at, retired_by",
    )?;
    for (c, outcomes) in cases.iter().zip(&initial_outcomes) {
        for item in &outcomes.psfs {
            load.row(&format!(
                "{}, {}, {}, {}, {}, NULL, NULL",
                item.activity_id.unwrap_or(c.id),
                c.id,
                q(&item.activity),
                ts(c.opened),
                c.therapist
            ))?;
        }
    }
    load.table(
        "outcome_measurements",
        "id, case_id, measured_at, measure, psfs_activity_id, movement, value, assessment_id, \
         visit_id, recorded_by, recorded_at",
    )?;
    let mut measurement_id: i64 = 0;
    for (c, outcomes) in cases.iter().zip(&initial_outcomes) {
        let signed = ts(c.opened + Duration::hours(1));
        let measured = outcomes
            .psfs
            .iter()
            .map(|p| {
                (
                    "psfs",
                    p.activity_id.unwrap_or(c.id).to_string(),
                    "NULL".to_owned(),
                    p.score,
                )
            })
            .chain(
                outcomes
                    .movements
                    .iter()
                    .map(|m| ("movement", "NULL".to_owned(), q(&m.movement), m.value)),
            );
        for (measure, activity, movement, value) in measured {
            measurement_id += 1;
            load.row(&format!(
                "{measurement_id}, {}, {}, '{measure}', {activity}, {movement}, {value}, {}, NULL, {}, {signed}",
                c.id,
                ts(c.opened),
                c.id,
                c.therapist
            ))?;
        }
    }

    load.table(
        "pain_scores",
        "id, case_id, score, context, recorded_at, recorded_by, recorder_role, assessment_id, \
         note, idempotency_key, created_at",
    )?;
    // In the order a clinic records them: by time, every case's scores interleaved, so a
    // case's scores lie on many table pages as they would after months of use.
    let mut in_recorded_order: Vec<(NaiveDateTime, usize, usize)> = cases
        .iter()
        .enumerate()
        .flat_map(|(n, c)| c.scores.iter().enumerate().map(move |(i, s)| (s.0, n, i)))
        .collect();
    in_recorded_order.sort_unstable();
    let mut score_id: i64 = 0;
    for (at, n, i) in in_recorded_order {
        let c = &cases[n];
        let (_, context, score) = c.scores[i];
        score_id += 1;
        let (assessment, key) = if i < c.from_assessment {
            (c.id.to_string(), "NULL".to_owned())
        } else {
            ("NULL".to_owned(), format!("'bulk-{score_id:012}'"))
        };
        load.row(&format!(
            "{score_id}, {}, {score}, '{context}', {}, {}, 'therapist', {assessment}, '', {key}, {}",
            c.id,
            ts(at),
            c.therapist,
            ts(at)
        ))?;
    }

    load.table(
        "programme_versions",
        "id, case_id, version, author_id, notes, review_date, template_id, created_at",
    )?;
    let mut version_id: i64 = 0;
    let mut version_ids: Vec<(i64, &VersionPlan)> = Vec::new();
    for c in &cases {
        for v in &c.versions {
            version_id += 1;
            load.row(&format!(
                "{version_id}, {}, {}, {}, 'Little and often: spread the exercises through the day.', {}, NULL, {}",
                c.id,
                v.number,
                c.therapist,
                day(v.review_date),
                ts(v.saved_at)
            ))?;
            version_ids.push((version_id, v));
        }
    }
    load.table(
        "programme_items",
        "id, version_id, position, exercise_id, exercise_name, sets, reps, hold_seconds, \
         rest_seconds, side, times_per_day, days_per_week, note, steps, cautions",
    )?;
    let mut item_id: i64 = 0;
    for (vid, v) in &version_ids {
        for (position, index) in v.exercises.iter().enumerate() {
            let Some(e) = library.get(*index) else {
                continue;
            };
            item_id += 1;
            load.row(&format!(
                "{item_id}, {vid}, {position}, {}, {}, {}, {}, {}, {}, {}, {}, {}, '', {}, {}",
                e.id,
                q(&e.name),
                (e.sets + v.number - 1).min(4).max(e.sets),
                e.reps,
                e.hold_seconds,
                e.rest_seconds,
                q(&e.side),
                e.times_per_day,
                e.days_per_week,
                q(&e.steps),
                q(&e.cautions)
            ))?;
        }
    }

    // Portal accounts for some patients whose newest case has a programme, with ticks.
    let mut portal = Vec::new();
    load.table(
        "users",
        "id, email, display_name, role, password_hash, active, created_at, updated_at, patient_id",
    )?;
    let mut user_id = therapist_count + 1;
    let mut portal_cases = Vec::new();
    for c in cases.iter().filter(|c| c.open && !c.versions.is_empty()) {
        if c.patient % PORTAL_EVERY != 0 {
            continue;
        }
        let Some(p) = patients.get(usize::try_from(c.patient - 1).unwrap_or(usize::MAX)) else {
            continue;
        };
        user_id += 1;
        let email = format!("patient{}@{DOMAIN}", p.id);
        load.row(&format!(
            "{user_id}, {}, {}, 'patient', {}, {yes}, {}, {}, {}",
            q(&email),
            q(&format!("{} {}", p.given, p.family)),
            q(&hash),
            ts(c.opened),
            ts(c.opened),
            p.id
        ))?;
        let current: Vec<i64> = c
            .versions
            .last()
            .map(|v| {
                v.exercises
                    .iter()
                    .filter_map(|i| library.get(*i).map(|e| e.id))
                    .collect()
            })
            .unwrap_or_default();
        portal_cases.push((c, user_id, current.clone()));
        portal.push(PortalAccount {
            email,
            case_id: c.id,
            exercises: current,
        });
    }
    load.table(
        "adherence_ticks",
        "case_id, exercise_id, day, recorded_by, created_at",
    )?;
    let today = now.date();
    // Day by day, every patient's ticks of that evening together, as a clinic stores them.
    // Yesterday and before: "done today" during the run adds new rows.
    for back in (1..15).rev() {
        let date = today - Duration::days(back);
        for (c, user, current) in &portal_cases {
            let start = c.versions.first().map_or(today, |v| v.saved_at.date());
            if date < start || rng.random_range(0..100) >= 70 {
                continue;
            }
            for exercise in current {
                load.row(&format!(
                    "{}, {exercise}, {}, {user}, {}",
                    c.id,
                    day(date),
                    ts(date.and_hms_opt(19, 0, 0).unwrap_or(now))
                ))?;
            }
        }
    }
    load.finish()?;
    drop(load);

    if pg {
        for table in [
            "users",
            "patients",
            "cases",
            "assessments",
            "psfs_activities",
            "outcome_measurements",
            "pain_scores",
            "programme_versions",
            "programme_items",
            "adherence_ticks",
        ] {
            conn.batch_execute(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            ))
            .map_err(err("move the id sequences on"))?;
        }
        // Autovacuum would gather statistics soon after such a load; do it now.
        conn.batch_execute("ANALYZE").map_err(err("analyze"))?;
    } else {
        conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")
            .map_err(err("checkpoint"))?;
    }
    check_sample(&mut conn, &cases, &patients, &mut rng)?;

    let counts = count_rows(&mut conn, url)?;
    let open_cases: Vec<i64> = cases
        .iter()
        .filter(|c| c.open && !c.red_flag)
        .map(|c| c.id)
        .collect();
    let printable_cases: Vec<i64> = cases
        .iter()
        .filter(|c| c.open && !c.red_flag && !c.versions.is_empty())
        .map(|c| c.id)
        .collect();
    let portal_ids: BTreeSet<i64> = portal.iter().map(|p| p.case_id).collect();
    let save_cases = printable_cases
        .iter()
        .copied()
        .filter(|id| !portal_ids.contains(id))
        .collect();
    let versions_before = cases
        .iter()
        .map(|c| (c.id, i32::try_from(c.versions.len()).unwrap_or(i32::MAX)))
        .collect();
    let search_terms = (0..500)
        .filter_map(|_| patients.get(rng.random_range(0..patients.len())))
        .enumerate()
        .map(|(i, p)| match i % 20 {
            0..=8 => format!("{} {}", p.family, p.given),
            9..=13 => fold(&p.family).chars().take(4).collect(),
            14..=16 => p.reference.clone(),
            _ => format!("{} {}", p.born.format("%Y-%m-%d"), p.family),
        })
        .map(|term| url::form_urlencoded::byte_serialize(term.as_bytes()).collect())
        .collect();
    Ok(Clinic {
        therapists,
        portal,
        case_count,
        open_cases,
        printable_cases,
        save_cases,
        versions_before,
        exercises: library,
        search_terms,
        counts,
    })
}

#[derive(QueryableByName)]
struct StoredWords {
    #[diesel(sql_type = Text)]
    sort_name: String,
    #[diesel(sql_type = Text)]
    search_words: String,
}

/// Re-computes the denormalised columns of a sample with the app's own functions (inside
/// a transaction that is rolled back) and compares.
fn check_sample(
    conn: &mut DbConn,
    cases: &[CasePlan],
    patients: &[PatientPlan],
    rng: &mut StdRng,
) -> Result<(), String> {
    use physiocase::store::cases as case_queries;
    use physiocase::store::pain as pain_queries;
    let sample = 200.min(cases.len());
    conn.batch_execute("BEGIN")
        .map_err(err("begin the check"))?;
    let mut problems = Vec::new();
    for _ in 0..sample {
        let Some(plan) = cases.get(rng.random_range(0..cases.len())) else {
            continue;
        };
        let before = case_queries::find(conn, plan.id).map_err(err("read a case"))?;
        pain_queries::refresh_summary(conn, plan.id).map_err(err("refresh a summary"))?;
        case_queries::refresh_red_flags(conn, plan.id).map_err(|e| format!("red flags: {e}"))?;
        let after = case_queries::find(conn, plan.id).map_err(err("read a case"))?;
        let review = physiocase::store::programmes::current(conn, plan.id)
            .map_err(|e| format!("programme: {e}"))?
            .and_then(|v| v.row.review_date);
        let same = (
            before.pain_baseline,
            before.pain_latest,
            &before.pain_trend,
            before.last_pain_at,
            &before.red_flags_pending,
            before.review_date,
        ) == (
            after.pain_baseline,
            after.pain_latest,
            &after.pain_trend,
            after.last_pain_at,
            &after.red_flags_pending,
            review,
        );
        if !same {
            problems.push(format!("case {}", plan.id));
        }
    }
    for _ in 0..sample {
        let Some(p) = patients.get(rng.random_range(0..patients.len())) else {
            continue;
        };
        let stored: StoredWords = diesel::sql_query(format!(
            "SELECT sort_name, search_words FROM patients WHERE id = {}",
            p.id
        ))
        .get_result(conn)
        .map_err(err("read a patient's search words"))?;
        if stored.sort_name != sort_name(p.given, &p.family) || stored.search_words != words(p) {
            problems.push(format!("patient {} search words", p.id));
        }
        // The engine's index has them: their reference finds them.
        let search = PatientSearch::parse(&p.reference);
        let found = physiocase::store::search::matching(conn, &search)
            .map_err(err("search by reference"))?;
        if !found.listed().iter().any(|m| m.id == p.id) {
            problems.push(format!("patient {} not found by reference", p.id));
        }
    }
    conn.batch_execute("ROLLBACK")
        .map_err(err("roll the check back"))?;
    if problems.is_empty() {
        println!(
            "consistency check: {sample} cases and {sample} patients match the app's own rules"
        );
        Ok(())
    } else {
        Err(format!(
            "generated rows disagree with the app's rules: {}",
            problems.join(", ")
        ))
    }
}

fn count_rows(conn: &mut DbConn, url: &DatabaseUrl) -> Result<Counts, String> {
    let mut counts = Counts::default();
    for table in [
        "patients",
        "cases",
        "assessments",
        "pain_scores",
        "programme_versions",
        "programme_items",
        "adherence_ticks",
        "users",
    ] {
        let n = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result::<Count>(conn)
            .map_err(err("count rows"))?
            .n;
        counts.rows.push((table, n));
    }
    counts.bytes = match url {
        DatabaseUrl::Sqlite(path) => std::fs::metadata(path)
            .ok()
            .and_then(|m| i64::try_from(m.len()).ok()),
        DatabaseUrl::Postgres(_) => {
            diesel::sql_query("SELECT pg_database_size(current_database()) AS n")
                .get_result::<Count>(conn)
                .ok()
                .map(|c| c.n)
        }
    };
    Ok(counts)
}

/// Acknowledged writes of the run, to check against the database.
#[derive(Default)]
pub struct Acks {
    /// Idempotency keys of pain scores answered with 303.
    pub pain_keys: Vec<String>,
    /// Idempotency keys sent but not acknowledged (errors, timeouts).
    pub pain_unacked: Vec<String>,
    /// (case, version number) of programme saves answered with 303.
    pub versions: Vec<(i64, i32)>,
    /// Programme saves sent per case, acknowledged or not.
    pub version_attempts: HashMap<i64, i32>,
}

pub struct WriteCheck {
    pub pain_acked: usize,
    pub pain_lost: usize,
    pub pain_duplicated: usize,
    pub pain_unacked_stored: usize,
    pub versions_acked: usize,
    pub versions_lost: usize,
    pub versions_extra: usize,
    pub versions_wrong_items: usize,
    pub lost: usize,
    pub duplicated: usize,
}

#[derive(QueryableByName)]
struct KeyCount {
    #[diesel(sql_type = Text)]
    k: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct VersionItems {
    #[diesel(sql_type = BigInt)]
    case_id: i64,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    version: i32,
    #[diesel(sql_type = BigInt)]
    items: i64,
}

fn key_counts(conn: &mut DbConn, keys: &[String]) -> Result<HashMap<String, i64>, String> {
    let mut found = HashMap::new();
    for chunk in keys.chunks(500) {
        let list: Vec<String> = chunk.iter().map(|k| q(k)).collect();
        let rows = diesel::sql_query(format!(
            "SELECT idempotency_key AS k, COUNT(*) AS n FROM pain_scores \
             WHERE idempotency_key IN ({}) GROUP BY idempotency_key",
            list.join(",")
        ))
        .load::<KeyCount>(conn)
        .map_err(err("look the keys up"))?;
        for row in rows {
            found.insert(row.k, row.n);
        }
    }
    Ok(found)
}

/// Counts every acknowledged write against the rows in the database.
pub fn check_writes(url: &DatabaseUrl, clinic: &Clinic, acks: &Acks) -> Result<WriteCheck, String> {
    let mut conn = DbManager::new(url.clone())
        .connect()
        .map_err(|e| format!("database: {e}"))?;
    let mut keys = acks.pain_keys.clone();
    keys.sort();
    keys.dedup();
    let found = key_counts(&mut conn, &keys)?;
    let pain_lost = keys.iter().filter(|k| !found.contains_key(*k)).count();
    let pain_duplicated = found
        .values()
        .map(|n| usize::try_from(n - 1).unwrap_or(0))
        .sum();
    let unacked = key_counts(&mut conn, &acks.pain_unacked)?;

    let mut versions_lost = 0;
    let mut versions_extra = 0;
    let mut versions_wrong_items = 0;
    let cases: Vec<i64> = acks.version_attempts.keys().copied().collect();
    let mut stored: HashMap<(i64, i32), i64> = HashMap::new();
    for chunk in cases.chunks(500) {
        let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
        let rows = diesel::sql_query(format!(
            "SELECT v.case_id AS case_id, v.version AS version, \
             (SELECT COUNT(*) FROM programme_items i WHERE i.version_id = v.id) AS items \
             FROM programme_versions v WHERE v.case_id IN ({})",
            list.join(",")
        ))
        .load::<VersionItems>(&mut conn)
        .map_err(err("read the programme versions"))?;
        for row in rows {
            stored.insert((row.case_id, row.version), row.items);
        }
    }
    for (case, version) in &acks.versions {
        match stored.get(&(*case, *version)) {
            None => versions_lost += 1,
            Some(items) if *items != EXERCISES_PER_VERSION as i64 => versions_wrong_items += 1,
            Some(_) => {}
        }
    }
    for (case, attempts) in &acks.version_attempts {
        let before = clinic.versions_before.get(case).copied().unwrap_or(0);
        let now = stored.keys().filter(|(c, _)| c == case).count();
        let new = i32::try_from(now).unwrap_or(i32::MAX) - before;
        if new > *attempts {
            versions_extra += usize::try_from(new - attempts).unwrap_or(0);
        }
    }
    let empty_versions = diesel::sql_query(
        "SELECT COUNT(*) AS n FROM programme_versions v WHERE NOT EXISTS \
         (SELECT 1 FROM programme_items i WHERE i.version_id = v.id)",
    )
    .get_result::<Count>(&mut conn)
    .map_err(err("look for empty versions"))?
    .n;
    versions_wrong_items += usize::try_from(empty_versions).unwrap_or(0);
    Ok(WriteCheck {
        pain_acked: keys.len(),
        pain_lost,
        pain_duplicated,
        pain_unacked_stored: unacked.len(),
        versions_acked: acks.versions.len(),
        versions_lost,
        versions_extra,
        versions_wrong_items,
        lost: pain_lost + versions_lost + versions_wrong_items,
        duplicated: pain_duplicated + versions_extra,
    })
}
