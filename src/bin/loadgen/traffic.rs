//! Virtual users: signed-in therapists and patients, each with one request in flight,
//! doing what they do in a day until the time is up.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::header::{HeaderMap, HeaderValue, LOCATION, ORIGIN};
use reqwest::{StatusCode, redirect};
use tokio::task::JoinSet;

use crate::generate::{Acks, Clinic, EXERCISES_PER_VERSION, PASSWORD};
use crate::{Args, Scenario};

/// No virtual user sends more than this, whatever the time allows.
const MAX_REQUESTS_PER_USER: u64 = 5_000_000;
/// Sign-ins in flight at most in signin-under-load; beyond it a tick is skipped.
const MAX_SIGNINS_IN_FLIGHT: usize = 200;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

pub const DASHBOARD: &str = "GET /";
pub const SEARCH: &str = "GET /patients?q=";
pub const CASE_PAGE: &str = "GET /cases/{id}";
pub const STAFF_PAIN: &str = "POST /cases/{id}/pain";
pub const PAIN_AGAIN: &str = "POST /cases/{id}/pain (same key again)";
pub const BUILDER: &str = "GET /cases/{id}/programme/builder";
pub const SAVE: &str = "POST /cases/{id}/programme/builder (save)";
pub const STAFF_PDF: &str = "GET /cases/{id}/programme.pdf";
pub const PORTAL: &str = "GET /me";
pub const PORTAL_PAIN: &str = "POST /me/pain";
pub const PORTAL_DONE: &str = "POST /me/done";
pub const PORTAL_PDF: &str = "GET /me/programme.pdf";
pub const SIGN_IN: &str = "POST /login";

#[derive(Default)]
pub struct RouteStats {
    /// Latency of each measured request, in microseconds.
    pub micros: Vec<u32>,
    pub errors: u64,
    pub error_examples: Vec<String>,
}

pub struct Outcome {
    pub routes: BTreeMap<&'static str, RouteStats>,
    pub measured: Duration,
    pub acks: Acks,
    pub signins_skipped: u64,
    pub users: (usize, usize),
    /// CPU seconds used while measured: (server, load generator, whole machine).
    pub cpu: Option<(f64, f64, f64)>,
}

struct Recorder {
    measure_from: Instant,
    routes: BTreeMap<&'static str, RouteStats>,
    acks: Acks,
}

impl Recorder {
    fn new(measure_from: Instant) -> Self {
        Self {
            measure_from,
            routes: BTreeMap::new(),
            acks: Acks::default(),
        }
    }

    fn record(&mut self, route: &'static str, started: Instant, problem: Option<String>) {
        if started < self.measure_from {
            return;
        }
        let stats = self.routes.entry(route).or_default();
        match problem {
            None => stats
                .micros
                .push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX)),
            Some(problem) => {
                stats.errors += 1;
                if stats.error_examples.len() < 3 && !stats.error_examples.contains(&problem) {
                    stats.error_examples.push(problem);
                }
            }
        }
    }

    fn merge(&mut self, other: Recorder) {
        for (route, stats) in other.routes {
            let mine = self.routes.entry(route).or_default();
            mine.micros.extend(stats.micros);
            mine.errors += stats.errors;
            for example in stats.error_examples {
                if mine.error_examples.len() < 3 && !mine.error_examples.contains(&example) {
                    mine.error_examples.push(example);
                }
            }
        }
        self.acks.pain_keys.extend(other.acks.pain_keys);
        self.acks.pain_unacked.extend(other.acks.pain_unacked);
        self.acks.versions.extend(other.acks.versions);
        for (case, n) in other.acks.version_attempts {
            *self.acks.version_attempts.entry(case).or_default() += n;
        }
    }
}

fn browser(base: &str, cookies: bool) -> Result<reqwest::Client, String> {
    let mut headers = HeaderMap::new();
    headers.insert(
        ORIGIN,
        HeaderValue::from_str(base).map_err(|e| format!("origin header: {e}"))?,
    );
    reqwest::Client::builder()
        .cookie_store(cookies)
        .redirect(redirect::Policy::none())
        .default_headers(headers)
        .tcp_nodelay(true)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(|e| format!("http client: {e}"))
}

fn csrf_from(html: &str) -> Option<String> {
    let start = "name=\"csrf_token\" value=\"";
    let from = html.find(start)? + start.len();
    let to = html[from..].find('"')? + from;
    Some(html[from..to].to_owned())
}

#[derive(Clone, Copy)]
enum Role {
    Therapist,
    /// Index into the clinic's portal accounts.
    Patient(usize),
}

struct Vu {
    client: reqwest::Client,
    base: String,
    csrf: String,
    role: Role,
    /// Position among the therapist users (for disjoint programme saves).
    therapist_slot: usize,
}

/// Status and, for a redirect, where it points; the body is read to the end.
async fn send(request: reqwest::RequestBuilder) -> Result<(StatusCode, String, Vec<u8>), String> {
    let response = request
        .send()
        .await
        .map_err(|e| format!("transport: {}", with_causes(&e)))?;
    let status = response.status();
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("body: {}", with_causes(&e)))?
        .to_vec();
    Ok((status, location, body))
}

/// An error and every cause under it: reqwest's own message ("error sending request")
/// does not say whether the connection was refused, reset or closed.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

fn expect(
    result: &Result<(StatusCode, String, Vec<u8>), String>,
    wanted: StatusCode,
) -> Option<String> {
    match result {
        Ok((status, _, _)) if *status == wanted => None,
        Ok((status, location, _)) if status.is_redirection() => {
            Some(format!("{status} to {location}"))
        }
        Ok((status, _, _)) => Some(status.to_string()),
        Err(e) => Some(e.clone()),
    }
}

impl Vu {
    async fn sign_in(
        base: &str,
        email: &str,
        role: Role,
        therapist_slot: usize,
    ) -> Result<Self, String> {
        let client = browser(base, true)?;
        let (status, _, _) = send(client.post(format!("{base}/login")).form(&[
            ("email", email),
            ("password", PASSWORD),
            ("next", ""),
        ]))
        .await?;
        if status != StatusCode::SEE_OTHER {
            return Err(format!("sign-in of {email} answered {status}"));
        }
        let home = match role {
            Role::Therapist => "/",
            Role::Patient(_) => "/me",
        };
        let (status, _, body) = send(client.get(format!("{base}{home}"))).await?;
        let csrf = csrf_from(&String::from_utf8_lossy(&body))
            .ok_or_else(|| format!("no form token on {home} for {email} ({status})"))?;
        Ok(Self {
            client,
            base: base.to_owned(),
            csrf,
            role,
            therapist_slot,
        })
    }

    async fn get(&self, path: &str) -> Result<(StatusCode, String, Vec<u8>), String> {
        send(self.client.get(format!("{}{path}", self.base))).await
    }

    async fn post(
        &self,
        path: &str,
        fields: &[(String, String)],
    ) -> Result<(StatusCode, String, Vec<u8>), String> {
        send(
            self.client
                .post(format!("{}{path}", self.base))
                .form(fields),
        )
        .await
    }

    fn pain_form(&self, rng: &mut StdRng, key: &str) -> Vec<(String, String)> {
        let context =
            ["now", "now", "now", "rest", "activity", "worst-24h"][rng.random_range(0..6)];
        vec![
            ("csrf_token".into(), self.csrf.clone()),
            ("score".into(), rng.random_range(0..=10).to_string()),
            ("context".into(), context.into()),
            ("recorded_at".into(), String::new()),
            ("note".into(), String::new()),
            ("idempotency_key".into(), key.to_owned()),
        ]
    }
}

#[derive(Clone, Copy)]
enum Action {
    Dashboard,
    Search,
    CasePage,
    StaffPain,
    Programme,
    StaffPdf,
    Portal,
    PortalPain,
    PortalDone,
    PortalPdf,
}

/// (action, weight) per role for each scenario.
fn menu(scenario: Scenario, role: Role) -> &'static [(Action, u32)] {
    use Action::*;
    match (scenario, role) {
        (Scenario::Mix, Role::Therapist) => &[
            (Dashboard, 10),
            (Search, 15),
            (CasePage, 35),
            (StaffPain, 15),
            (Programme, 5),
            (StaffPdf, 12),
        ],
        (Scenario::Mix, Role::Patient(_)) => &[
            (Portal, 40),
            (PortalPain, 25),
            (PortalDone, 20),
            (PortalPdf, 15),
        ],
        // The pages people wait for, while others sign in.
        (Scenario::SigninUnderLoad, Role::Therapist) => {
            &[(Dashboard, 15), (Search, 25), (CasePage, 60)]
        }
        (Scenario::SigninUnderLoad, Role::Patient(_)) => &[(Portal, 1)],
        (Scenario::CasePage, _) => &[(CasePage, 1)],
        (Scenario::Search, _) => &[(Search, 1)],
        (Scenario::Pdf, _) => &[(StaffPdf, 1)],
        (Scenario::PainWrites, Role::Therapist) => &[(StaffPain, 1)],
        (Scenario::PainWrites, Role::Patient(_)) => &[(PortalPain, 1)],
    }
}

fn pick(menu: &[(Action, u32)], rng: &mut StdRng) -> Option<Action> {
    let total: u32 = menu.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total.max(1));
    for (action, weight) in menu {
        if roll < *weight {
            return Some(*action);
        }
        roll -= weight;
    }
    None
}

struct Plan {
    clinic: Arc<Clinic>,
    scenario: Scenario,
    therapist_users: usize,
    review_date: String,
    /// Open loop: the time between one user's requests.
    interval: Option<Duration>,
}

fn any<T: Copy>(items: &[T], rng: &mut StdRng) -> Option<T> {
    (!items.is_empty()).then(|| items[rng.random_range(0..items.len())])
}

async fn run_user(
    vu: Vu,
    plan: Arc<Plan>,
    seed: u64,
    measure_from: Instant,
    deadline: Instant,
) -> Recorder {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut rec = Recorder::new(measure_from);
    let clinic = &plan.clinic;
    let menu = menu(plan.scenario, vu.role);
    // Each therapist user saves programmes on its own cases only, so no two race.
    let my_saves: Vec<i64> = clinic
        .save_cases
        .iter()
        .enumerate()
        .filter(|(i, _)| i % plan.therapist_users.max(1) == vu.therapist_slot)
        .map(|(_, id)| *id)
        .collect();
    let mut sent = 0_u64;
    // Open loop: start at a random phase so users do not send in lockstep.
    let mut due = plan
        .interval
        .map(|interval| Instant::now() + interval.mul_f64(rng.random::<f64>()));
    while Instant::now() < deadline && sent < MAX_REQUESTS_PER_USER {
        let Some(action) = pick(menu, &mut rng) else {
            break;
        };
        sent += 1;
        let started = match (due.as_mut(), plan.interval) {
            (Some(at), Some(interval)) => {
                tokio::time::sleep_until((*at).into()).await;
                let was_due = *at;
                *at += interval;
                was_due
            }
            _ => Instant::now(),
        };
        match action {
            Action::Dashboard => {
                let r = vu.get("/").await;
                rec.record(DASHBOARD, started, expect(&r, StatusCode::OK));
            }
            Action::Search => {
                let term = if clinic.search_terms.is_empty() {
                    ""
                } else {
                    clinic.search_terms[rng.random_range(0..clinic.search_terms.len())].as_str()
                };
                let r = vu.get(&format!("/patients?q={term}")).await;
                rec.record(SEARCH, started, expect(&r, StatusCode::OK));
            }
            Action::CasePage => {
                let id = rng.random_range(1..=clinic.case_count.max(1));
                let r = vu.get(&format!("/cases/{id}")).await;
                rec.record(CASE_PAGE, started, expect(&r, StatusCode::OK));
            }
            Action::StaffPain => {
                let Some(id) = any(&clinic.open_cases, &mut rng) else {
                    continue;
                };
                let key = physiocase::secrets::random_token();
                let form = vu.pain_form(&mut rng, &key);
                let path = format!("/cases/{id}/pain");
                let r = vu.post(&path, &form).await;
                let problem = expect(&r, StatusCode::SEE_OTHER);
                let acked = problem.is_none();
                rec.record(STAFF_PAIN, started, problem);
                if acked {
                    rec.acks.pain_keys.push(key.clone());
                    // A double click or a retried request: the same key must store nothing new.
                    if rng.random_range(0..100) < 5 {
                        let again = Instant::now();
                        let r = vu.post(&path, &form).await;
                        rec.record(PAIN_AGAIN, again, expect(&r, StatusCode::SEE_OTHER));
                    }
                } else {
                    rec.acks.pain_unacked.push(key);
                }
            }
            Action::Programme => {
                let Some(id) = any(&my_saves, &mut rng) else {
                    continue;
                };
                let r = vu.get(&format!("/cases/{id}/programme/builder")).await;
                rec.record(BUILDER, started, expect(&r, StatusCode::OK));
                let form = save_form(&vu, clinic, &plan.review_date, &mut rng);
                *rec.acks.version_attempts.entry(id).or_default() += 1;
                let save_started = Instant::now();
                let r = vu
                    .post(&format!("/cases/{id}/programme/builder"), &form)
                    .await;
                let mut problem = expect(&r, StatusCode::SEE_OTHER);
                if problem.is_none() {
                    let prefix = format!("/cases/{id}/programme/versions/");
                    let number = r
                        .as_ref()
                        .ok()
                        .and_then(|(_, location, _)| location.strip_prefix(&prefix))
                        .and_then(|n| n.parse::<i32>().ok());
                    match number {
                        Some(n) => rec.acks.versions.push((id, n)),
                        None => {
                            let location = r.as_ref().map(|x| x.1.clone()).unwrap_or_default();
                            problem = Some(format!("saved elsewhere: {location}"));
                        }
                    }
                }
                rec.record(SAVE, save_started, problem);
            }
            Action::StaffPdf => {
                let Some(id) = any(&clinic.printable_cases, &mut rng) else {
                    continue;
                };
                let r = vu.get(&format!("/cases/{id}/programme.pdf")).await;
                rec.record(STAFF_PDF, started, expect_pdf(&r));
            }
            Action::Portal => {
                let r = vu.get("/me").await;
                rec.record(PORTAL, started, expect(&r, StatusCode::OK));
            }
            Action::PortalPain => {
                let key = physiocase::secrets::random_token();
                let form = vu.pain_form(&mut rng, &key);
                let r = vu.post("/me/pain", &form).await;
                let problem = expect(&r, StatusCode::SEE_OTHER);
                if problem.is_none() {
                    rec.acks.pain_keys.push(key);
                } else {
                    rec.acks.pain_unacked.push(key);
                }
                rec.record(PORTAL_PAIN, started, problem);
            }
            Action::PortalDone => {
                let Role::Patient(index) = vu.role else {
                    continue;
                };
                let exercises = clinic
                    .portal
                    .get(index)
                    .map(|p| p.exercises.as_slice())
                    .unwrap_or_default();
                let Some(exercise) = any(exercises, &mut rng) else {
                    continue;
                };
                let form = vec![
                    ("csrf_token".to_owned(), vu.csrf.clone()),
                    ("exercise_id".to_owned(), exercise.to_string()),
                ];
                let r = vu.post("/me/done", &form).await;
                rec.record(PORTAL_DONE, started, expect(&r, StatusCode::SEE_OTHER));
            }
            Action::PortalPdf => {
                let r = vu.get("/me/programme.pdf").await;
                rec.record(PORTAL_PDF, started, expect_pdf(&r));
            }
        }
    }
    rec
}

fn expect_pdf(result: &Result<(StatusCode, String, Vec<u8>), String>) -> Option<String> {
    match result {
        Ok((StatusCode::OK, _, body)) if body.starts_with(b"%PDF") => None,
        Ok((StatusCode::OK, _, _)) => Some("200 without a PDF".into()),
        _ => expect(result, StatusCode::OK),
    }
}

/// The builder form as a browser posts it: ten exercises with their usual dose, "save".
fn save_form(
    vu: &Vu,
    clinic: &Clinic,
    review_date: &str,
    rng: &mut StdRng,
) -> Vec<(String, String)> {
    let mut fields = vec![
        ("csrf_token".to_owned(), vu.csrf.clone()),
        ("action".to_owned(), "save".to_owned()),
        (
            "notes".to_owned(),
            "Little and often: spread the exercises through the day.".to_owned(),
        ),
        ("review_date".to_owned(), review_date.to_owned()),
    ];
    let count = clinic.exercises.len();
    let start = rng.random_range(0..count.max(1));
    for i in 0..EXERCISES_PER_VERSION.min(count) {
        let Some(e) = clinic.exercises.get((start + i) % count) else {
            continue;
        };
        for (key, value) in [
            ("exercise", e.id.to_string()),
            ("sets", e.sets.to_string()),
            ("reps", e.reps.to_string()),
            ("hold_seconds", e.hold_seconds.to_string()),
            ("rest_seconds", e.rest_seconds.to_string()),
            ("side", e.side.clone()),
            ("times_per_day", e.times_per_day.to_string()),
            ("days_per_week", e.days_per_week.to_string()),
            ("note", String::new()),
        ] {
            fields.push((format!("item_{i}_{key}"), value));
        }
    }
    fields
}

/// Fresh browsers signing in at a steady rate (open loop), each hashing a password.
async fn sign_in_stream(
    base: String,
    accounts: Vec<String>,
    per_second: u32,
    measure_from: Instant,
    deadline: Instant,
) -> (Recorder, u64) {
    let mut rec = Recorder::new(measure_from);
    let mut skipped = 0_u64;
    if accounts.is_empty() || per_second == 0 {
        return (rec, skipped);
    }
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(per_second)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut running: JoinSet<(Instant, Option<String>)> = JoinSet::new();
    let mut n = 0_usize;
    let limit = usize::try_from(per_second).unwrap_or(1) * 86_400;
    while Instant::now() < deadline && n < limit {
        ticker.tick().await;
        while let Some(done) = running.try_join_next() {
            if let Ok((started, problem)) = done {
                rec.record(SIGN_IN, started, problem);
            }
        }
        if running.len() >= MAX_SIGNINS_IN_FLIGHT {
            skipped += 1;
            continue;
        }
        let email = accounts[n % accounts.len()].clone();
        n += 1;
        let base = base.clone();
        running.spawn(async move {
            let started = Instant::now();
            let client = match browser(&base, false) {
                Ok(client) => client,
                Err(e) => return (started, Some(e)),
            };
            let r = send(client.post(format!("{base}/login")).form(&[
                ("email", email.as_str()),
                ("password", PASSWORD),
                ("next", ""),
            ]))
            .await;
            (started, expect(&r, StatusCode::SEE_OTHER))
        });
    }
    while let Some(done) = running.join_next().await {
        if let Ok((started, problem)) = done {
            rec.record(SIGN_IN, started, problem);
        }
    }
    (rec, skipped)
}

pub async fn run(
    base: &str,
    server_pid: u32,
    clinic: Arc<Clinic>,
    args: &Args,
) -> Result<Outcome, String> {
    let patients_wanted = match args.scenario {
        Scenario::Mix | Scenario::SigninUnderLoad => args.concurrency / 3,
        Scenario::PainWrites => args.concurrency / 4,
        _ => 0,
    }
    .min(clinic.portal.len());
    let therapist_users = args.concurrency - patients_wanted;
    if clinic.therapists.is_empty() && therapist_users > 0 {
        return Err("the clinic has no therapists".into());
    }

    // Sign everyone in, a few at a time (each sign-in hashes a password).
    let mut users = Vec::new();
    let mut pending = JoinSet::new();
    for i in 0..args.concurrency {
        let (email, role, slot) = if i < therapist_users {
            (
                clinic.therapists[i % clinic.therapists.len()].clone(),
                Role::Therapist,
                i,
            )
        } else {
            let index = i - therapist_users;
            (clinic.portal[index].email.clone(), Role::Patient(index), 0)
        };
        let base = base.to_owned();
        pending.spawn(async move { Vu::sign_in(&base, &email, role, slot).await });
        if pending.len() >= 4
            && let Some(done) = pending.join_next().await
        {
            users.push(done.map_err(|e| e.to_string())??);
        }
    }
    while let Some(done) = pending.join_next().await {
        users.push(done.map_err(|e| e.to_string())??);
    }
    println!(
        "{} therapists and {} patients signed in",
        therapist_users, patients_wanted
    );

    let review_date = (chrono::Utc::now().date_naive() + chrono::Duration::days(21))
        .format("%Y-%m-%d")
        .to_string();
    let plan = Arc::new(Plan {
        clinic: clinic.clone(),
        scenario: args.scenario,
        therapist_users,
        review_date,
        interval: args
            .rate
            .filter(|rate| *rate > 0.0)
            .map(|rate| Duration::from_secs_f64(args.concurrency as f64 / rate)),
    });
    let start = Instant::now();
    let measure_from = start + Duration::from_secs(args.warmup);
    let deadline = measure_from + Duration::from_secs(args.seconds);
    let mut tasks = JoinSet::new();
    for (i, vu) in users.into_iter().enumerate() {
        let seed = args.seed.wrapping_mul(1000).wrapping_add(i as u64);
        tasks.spawn(run_user(vu, plan.clone(), seed, measure_from, deadline));
    }
    let signins = (args.scenario == Scenario::SigninUnderLoad).then(|| {
        let mut accounts = clinic.therapists.clone();
        accounts.extend(clinic.portal.iter().map(|p| p.email.clone()));
        tokio::spawn(sign_in_stream(
            base.to_owned(),
            accounts,
            args.signins_per_second,
            measure_from,
            deadline,
        ))
    });
    tokio::time::sleep_until(measure_from.into()).await;
    let cpu_from = crate::server::cpu_sample(server_pid);
    tokio::time::sleep_until(deadline.into()).await;
    let cpu_to = crate::server::cpu_sample(server_pid);
    let mut all = Recorder::new(measure_from);
    while let Some(done) = tasks.join_next().await {
        all.merge(done.map_err(|e| format!("a virtual user failed: {e}"))?);
    }
    let mut signins_skipped = 0;
    if let Some(handle) = signins {
        let (rec, skipped) = handle.await.map_err(|e| format!("sign-in stream: {e}"))?;
        all.merge(rec);
        signins_skipped = skipped;
    }
    let measured = deadline.saturating_duration_since(measure_from);
    Ok(Outcome {
        routes: all.routes,
        measured,
        acks: all.acks,
        signins_skipped,
        users: (therapist_users, patients_wanted),
        cpu: cpu_from
            .zip(cpu_to)
            .map(|(a, b)| (b.0 - a.0, b.1 - a.1, b.2 - a.2)),
    })
}
