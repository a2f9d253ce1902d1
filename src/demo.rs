//! `physiocase demo`: a believable clinic in a fresh database, so a new user sees the app
//! alive in one command. Demo accounts exist only in databases made this way.

use chrono::{Duration, NaiveDateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::auth::password;
use crate::db::{DbConn, write_tx};
use crate::domain::clinical::{AssessmentContent, AssessmentKind, PsfsItem, RED_FLAGS};
use crate::domain::{DisplayName, Email, Role};
use crate::error::AppError;
use crate::store::assessments as assessment_queries;
use crate::store::audit::{self, Action, Actor, Event};
use crate::store::cases::{self as case_queries, NewCase};
use crate::store::pain as pain_queries;
use crate::store::patients::{self as patient_queries, PatientDetails};
use crate::store::portal as portal_queries;
use crate::store::programmes::{self as programme_queries, NewVersion};
use crate::store::users as user_queries;

pub const DEMO_PASSWORD: &str = "harbour lantern demo 2026";

pub struct DemoAccounts {
    pub admin: String,
    pub therapists: Vec<String>,
    pub patient: String,
}

/// Given names of many scripts and accents, so demonstration and load-test data show
/// how search folds them. Shared with the load generator.
pub const GIVEN: &[&str] = &[
    "Zoë",
    "José",
    "Ναταλία",
    "Фёдор",
    "Aisha",
    "Liam",
    "Mei",
    "Oluwaseun",
    "Siobhán",
    "Mateusz",
    "Ingrid",
    "Rahul",
    "Chloé",
    "Tomás",
    "Yuki",
    "Fatima",
    "Björn",
    "Amara",
    "Nikolai",
    "Grace",
];
const FAMILY: &[&str] = &[
    "Łukasiewicz",
    "Núñez",
    "Papadopoulou",
    "Ivanov",
    "Khan",
    "O'Brien",
    "Chen",
    "Adeyemi",
    "Murphy",
    "Kowalski",
    "Johansson",
    "Patel",
    "Dubois",
    "García",
    "Tanaka",
    "Haddad",
    "Lindqvist",
    "Okafor",
    "Petrov",
    "Walker",
];
/// Case titles, shared with the load generator.
pub const TITLES: &[&str] = &[
    "Thoracic pain — postural",
    "Upper back stiffness after long drives",
    "Mid-back pain — desk work",
    "Neck and shoulder tension",
    "Rib-cage pain after a cough",
];

fn err(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

/// Fills an empty database. Refuses if any account exists: demo data never mixes with real.
pub fn populate(conn: &mut DbConn, seed: u64) -> Result<DemoAccounts, AppError> {
    if user_queries::any_user_exists(conn)? {
        return Err(AppError::BadRequest(
            "this database already has accounts; the demo needs a fresh database".into(),
        ));
    }
    let hash = password::hash(DEMO_PASSWORD)?;
    let mut rng = StdRng::seed_from_u64(seed);
    let now = Utc::now().naive_utc();
    write_tx(conn, |c| {
        let account =
            |c: &mut DbConn, email: &str, name: &str, role: Role| -> Result<i64, AppError> {
                Ok(user_queries::create(
                    c,
                    &Email::parse(email).map_err(err)?,
                    &DisplayName::parse(name).map_err(err)?,
                    role,
                    Some(&hash),
                )?)
            };
        let admin_email = "admin@demo.physiocase.example";
        account(c, admin_email, "Ada Admin", Role::Admin)?;
        let therapist_names = ["Theo Marsh", "Priya Nair", "Jonas Weber"];
        let mut therapists = Vec::new();
        let mut therapist_emails = Vec::new();
        for name in therapist_names {
            let email = format!(
                "{}@demo.physiocase.example",
                name.split(' ').next().unwrap_or("therapist").to_lowercase()
            );
            therapists.push(account(c, &email, name, Role::Therapist)?);
            therapist_emails.push(email);
        }
        let templates = programme_queries::all_template_ids(c)?;
        let mut portal_patient = String::new();

        for n in 0..60_usize {
            let therapist = therapists[n % therapists.len()];
            let given = GIVEN[n % GIVEN.len()];
            let family = FAMILY[(n * 7 + n / 20) % FAMILY.len()];
            let born = chrono::NaiveDate::from_ymd_opt(
                1950 + i32::try_from(n % 50).unwrap_or(0),
                1 + u32::try_from(n % 12).unwrap_or(0),
                1 + u32::try_from(n % 27).unwrap_or(0),
            )
            .ok_or_else(|| err("date"))?;
            let patient_id = patient_queries::create(
                c,
                &PatientDetails {
                    given_name: given.into(),
                    family_name: family.into(),
                    date_of_birth: born,
                    sex: Some(["female", "male", "other", "not-stated"][n % 4].into()),
                    phone: format!("0117 496 {:04}", 1000 + n),
                    email: format!("patient{n}@demo.physiocase.example"),
                    clinic_reference: Some(format!("DEMO-{:04}", 1000 + n)),
                    primary_therapist_id: Some(therapist),
                    notes: String::new(),
                },
                therapist,
            )?;
            // Each case started somewhere in the last twelve weeks.
            let weeks = rng.random_range(1..=12_i64);
            let opened = now - Duration::weeks(weeks) - Duration::hours(rng.random_range(0..72));
            let case_id = case_queries::insert(
                c,
                patient_id,
                &NewCase {
                    title: TITLES[n % TITLES.len()].into(),
                    body_region: match TITLES[n % TITLES.len()] {
                        t if t.starts_with("Neck") => "cervical",
                        t if t.starts_with("Rib") => "rib-cage",
                        _ => "thoracic",
                    }
                    .into(),
                    onset_date: Some((opened - Duration::days(rng.random_range(7..60))).date()),
                    mechanism: "Gradual onset with long hours at a desk.".into(),
                    referral_source: ["GP", "Self-referral", "Employer"][n % 3].into(),
                    goals: "Work a full day and sleep without upper-back pain.".into(),
                    therapist_id: therapist,
                },
                therapist,
            )?;
            case_queries::set_opened_at(c, case_id, opened)?;

            // Most improve; some stall or worsen.
            let baseline = rng.random_range(5..=8_i32);
            let outcome = rng.random_range(0..100);
            let target = if outcome < 70 {
                baseline - rng.random_range(3..=5)
            } else if outcome < 88 {
                baseline - 1
            } else {
                baseline + 2
            };
            let red_flag = n % 23 == 5;
            let content = AssessmentContent {
                presenting_complaint:
                    "Aching between the shoulder blades, worse by the end of the working day."
                        .into(),
                history: "Started gradually; no injury.".into(),
                aggravating: "Sitting for more than an hour; looking down at a phone.".into(),
                easing: "Moving about; heat.".into(),
                pain_now: Some(baseline),
                pain_best: Some((baseline - 3).max(0)),
                pain_worst: Some((baseline + 1).min(10)),
                body_regions: vec!["thoracic-mid".into()],
                red_flags: RED_FLAGS
                    .iter()
                    .map(|(flag, _)| {
                        (
                            (*flag).to_owned(),
                            if red_flag && *flag == "night-pain" {
                                "yes"
                            } else {
                                "no"
                            }
                            .to_owned(),
                        )
                    })
                    .collect(),
                rotation_left: Some(rng.random_range(30..50)),
                rotation_right: Some(rng.random_range(30..50)),
                psfs: vec![PsfsItem {
                    activity: "Working at a computer".into(),
                    score: rng.random_range(2..6),
                }],
                impression: "Postural thoracic pain without neurological signs.".into(),
                plan: "Mobility and strengthening home programme; review in three weeks.".into(),
                ..AssessmentContent::default()
            };
            let assessment = assessment_queries::insert(
                c,
                case_id,
                AssessmentKind::Initial,
                therapist,
                opened,
                &content,
            )?;
            assessment_queries::mark_signed(c, assessment)?;
            // A few cases keep a "yes" on the red-flag screen, waiting for the therapist.
            case_queries::refresh_red_flags(c, case_id)?;

            // Two or three programme versions from a template, the dose rising over time.
            if let Some(template) = templates.get(n % templates.len().max(1)) {
                let (_, mut items) = programme_queries::template(c, *template)?;
                let versions = 1 + n % 3;
                for v in 0..versions {
                    if v > 0 {
                        for item in &mut items {
                            item.dosage.sets = (item.dosage.sets + 1).min(4);
                        }
                    }
                    let saved_at = opened + Duration::days(i64::try_from(v).unwrap_or(0) * 21 + 1);
                    if saved_at < now {
                        programme_queries::save_version(
                            c,
                            &NewVersion {
                                case_id,
                                author_id: therapist,
                                notes: "Little and often: spread the exercises through the day.",
                                review_date: Some((saved_at + Duration::days(21)).date()),
                                template_id: Some(*template),
                                items: &items,
                                saved_at,
                            },
                        )?;
                    }
                }
                // Ticks on most of the last 28 days.
                for day in 0..28 {
                    let date = (now - Duration::days(day)).date();
                    if date < opened.date() || rng.random_range(0..100) > 70 {
                        continue;
                    }
                    for item in &items {
                        pain_queries::tick(c, case_id, item.exercise_id, date, therapist)?;
                    }
                }
            }

            // A score every few days from baseline towards the target, with a little noise.
            let days = (now - opened).num_days().max(1);
            let mut day = 0;
            while day <= days {
                let progress = day as f64 / days as f64;
                let expected =
                    f64::from(baseline) + (f64::from(target) - f64::from(baseline)) * progress;
                let score = (expected + rng.random_range(-1.0..1.0))
                    .round()
                    .clamp(0.0, 10.0) as i32;
                let at: NaiveDateTime = opened + Duration::days(day) + Duration::hours(10);
                if day > 0 && at <= now {
                    pain_queries::insert_score(
                        c,
                        &pain_queries::NewPainScore {
                            case_id,
                            score,
                            context: "now",
                            recorded_at: at,
                            recorded_by: therapist,
                            recorder_role: "therapist",
                            note: "",
                            idempotency_key: &crate::secrets::random_token(),
                        },
                    )?;
                }
                day += rng.random_range(3..=6);
            }
            pain_queries::refresh_summary(c, case_id)?;

            // Every fifth case has ended; the first patient, the one with a portal account, stays
            // in treatment so the demo portal shows a programme to print and pain to log.
            if n % 5 == 4 && !red_flag {
                let discharge = assessment_queries::insert(
                    c,
                    case_id,
                    AssessmentKind::Discharge,
                    therapist,
                    now - Duration::days(1),
                    &AssessmentContent {
                        plan: "Continue the home programme independently.".into(),
                        red_flags: RED_FLAGS
                            .iter()
                            .map(|(f, _)| ((*f).to_owned(), "no".to_owned()))
                            .collect(),
                        ..AssessmentContent::default()
                    },
                )?;
                assessment_queries::mark_signed(c, discharge)?;
                case_queries::set_discharged(
                    c,
                    case_id,
                    if target < baseline - 2 {
                        "goals-met"
                    } else {
                        "goals-partly-met"
                    },
                )?;
            }
            if n == 0 {
                let email = Email::parse("zoe@demo.physiocase.example").map_err(err)?;
                let name = DisplayName::parse(&format!("{given} {family}")).map_err(err)?;
                let user = user_queries::create(c, &email, &name, Role::Patient, Some(&hash))?;
                portal_queries::link_to_patient(c, user, patient_id)?;
                portal_patient = email.as_str().to_owned();
            }
        }
        crate::store::tokens::expire_first_admin_links(c)?;
        audit::record(
            c,
            &Actor::default(),
            Event::new(Action::DemoCreated).detail("60 patients, 3 therapists"),
        )?;
        Ok(DemoAccounts {
            admin: admin_email.into(),
            therapists: therapist_emails,
            patient: portal_patient,
        })
    })
}
