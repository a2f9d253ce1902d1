//! `physiocase demo`: a believable clinic in a fresh database, so a new user sees the app
//! alive in one command. Demo accounts exist only in databases made this way.

use chrono::{Duration, NaiveDateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::auth::password;
use crate::db::{DbConn, write_tx};
use crate::domain::clinical::{AssessmentContent, AssessmentKind, RED_FLAGS};
use crate::domain::outcomes::{MovementValue, OutcomeEntry, PsfsItem, Unit, movements_for};
use crate::domain::{DisplayName, Email, Role};
use crate::error::AppError;
use crate::store::assessments as assessment_queries;
use crate::store::audit::{self, Action, Actor, Event};
use crate::store::cases::{self as case_queries, NewCase};
use crate::store::consent::{
    self as consent_queries, ConsentDecision, ConsentKind, ConsentMethod, GivenBy, NewConsent,
};
use crate::store::pain as pain_queries;
use crate::store::patients::{self as patient_queries, PatientDetails};
use crate::store::portal as portal_queries;
use crate::store::programmes::{self as programme_queries, NewVersion};
use crate::store::users as user_queries;
use crate::store::visits::{self as visit_queries, Attendance, TreatmentKind, VisitContent};

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

/// Patients with portal accounts: the first few, all still in treatment.
const PORTAL_PATIENTS: usize = 4;

/// A review on schedule: the score where the case's course has brought it.
fn review_content(expected_pain: f64, outcomes: OutcomeEntry) -> AssessmentContent {
    let pain = expected_pain.round().clamp(0.0, 10.0) as i32;
    AssessmentContent {
        presenting_complaint: "Review of the home programme.".into(),
        history: "Doing the exercises most days.".into(),
        pain_now: Some(pain),
        pain_best: Some((pain - 2).max(0)),
        pain_worst: Some((pain + 2).min(10)),
        red_flags: RED_FLAGS
            .iter()
            .map(|(flag, _)| ((*flag).to_owned(), "no".to_owned()))
            .collect(),
        impression: "Progressing as expected.".into(),
        plan: "Dose a step up; review in three weeks.".into(),
        outcomes,
        ..AssessmentContent::default()
    }
}

/// A demo record's outcome measures, `progress` (0 to 1) into a twelve-week recovery: the
/// same two PSFS activities each time (carried forward by their wording), the region's
/// movements and, after the first assessment, the patient's rating of change.
fn measured(region: &str, progress: f64, rates_change: bool) -> OutcomeEntry {
    let step = |from: i32, by: f64| from + (progress * by).round() as i32;
    OutcomeEntry {
        psfs: vec![
            PsfsItem {
                activity_id: None,
                activity: "Working at a computer".into(),
                score: step(3, 5.0).min(10),
            },
            PsfsItem {
                activity_id: None,
                activity: "Sleeping through the night".into(),
                score: step(4, 4.0).min(10),
            },
        ],
        psfs_retired: Vec::new(),
        movements: movements_for(region)
            .iter()
            .enumerate()
            .map(|(i, movement)| MovementValue {
                movement: movement.key.to_owned(),
                value: match movement.unit {
                    Unit::Degrees => step(30 + 5 * i as i32, 15.0),
                    Unit::Centimetres => step(25, -12.0),
                },
            })
            .collect(),
        global_change: rates_change.then(|| step(0, 5.0)),
    }
}

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
            let id = account(c, &email, name, Role::Therapist)?;
            // Ready to sign letters: profession and an invented registration number.
            user_queries::set_signature(
                c,
                &Actor::default(),
                id,
                "Physiotherapist",
                &format!("PH{:06}", 100_000 + id * 7_919),
            )?;
            therapists.push(id);
            therapist_emails.push(email);
        }
        crate::store::settings::set_contact_details(
            c,
            &Actor::default(),
            "Harbourside Physiotherapy",
            "14 Quay Street, Bristol BS1 4DJ",
            "0117 496 0321",
            "hello@harbourside-physio.example",
        )?;
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
                    contact: demo_contact(n, family),
                },
                therapist,
            )?;
            // Each case started somewhere in the last twelve weeks; one whose red flag still
            // waits for the GP's answer started in the last two.
            let red_flag = n % 23 == 5;
            let weeks = if red_flag {
                1
            } else {
                rng.random_range(1..=12_i64)
            };
            let opened = now - Duration::weeks(weeks) - Duration::hours(rng.random_range(0..72));
            let region = match TITLES[n % TITLES.len()] {
                t if t.starts_with("Neck") => "cervical",
                t if t.starts_with("Rib") => "rib-cage",
                _ => "thoracic",
            };
            // How far into a twelve-week recovery a record is: its measures follow.
            let progress = |at: chrono::NaiveDateTime| {
                ((at - opened).num_days() as f64 / 84.0).clamp(0.0, 1.0)
            };
            let case_id = case_queries::insert(
                c,
                patient_id,
                &NewCase {
                    title: TITLES[n % TITLES.len()].into(),
                    body_region: region.into(),
                    onset_date: Some((opened - Duration::days(rng.random_range(7..60))).date()),
                    mechanism: "Gradual onset with long hours at a desk.".into(),
                    referral_source: ["GP", "Self-referral", "Employer"][n % 3].into(),
                    goals: "Work a full day and sleep without upper-back pain.".into(),
                    therapist_id: therapist,
                },
                therapist,
            )?;
            case_queries::set_opened_at(c, case_id, opened)?;
            // Consent to treatment at the first visit (now and then given by a relative),
            // and to sharing with the GP.
            let by_relative = n % 17 == 3;
            for kind in [ConsentKind::Treatment, ConsentKind::GpSharing] {
                consent_queries::insert(
                    c,
                    case_id,
                    therapist,
                    &NewConsent {
                        kind,
                        decision: ConsentDecision::Given,
                        method: if kind == ConsentKind::Treatment {
                            ConsentMethod::Verbal
                        } else {
                            ConsentMethod::Written
                        },
                        given_by: if by_relative {
                            GivenBy::Representative
                        } else {
                            GivenBy::Patient
                        },
                        representative_name: if by_relative {
                            format!("{} {family}", GIVEN[(n + 7) % GIVEN.len()])
                        } else {
                            String::new()
                        },
                        representative_relationship: if by_relative {
                            "daughter".into()
                        } else {
                            String::new()
                        },
                        occurred_at: opened,
                    },
                    opened,
                )?;
            }
            // Records are signed a little after the visit, as a therapist writes them up.
            let write_up = |rng: &mut StdRng| Duration::minutes(rng.random_range(15..=90));

            // The first few patients in treatment use the portal.
            let portal_user = if n < PORTAL_PATIENTS {
                let email = if n == 0 {
                    "zoe@demo.physiocase.example".to_owned()
                } else {
                    format!("portal{n}@demo.physiocase.example")
                };
                let email = Email::parse(&email).map_err(err)?;
                let name = DisplayName::parse(&format!("{given} {family}")).map_err(err)?;
                let user = user_queries::create(c, &email, &name, Role::Patient, Some(&hash))?;
                portal_queries::link_to_patient(c, user, patient_id)?;
                if n == 0 {
                    portal_patient = email.as_str().to_owned();
                }
                Some(user)
            } else {
                None
            };

            if portal_user.is_some() {
                consent_queries::insert(
                    c,
                    case_id,
                    therapist,
                    &NewConsent {
                        kind: ConsentKind::Portal,
                        decision: ConsentDecision::Given,
                        method: ConsentMethod::Verbal,
                        given_by: GivenBy::Patient,
                        representative_name: String::new(),
                        representative_relationship: String::new(),
                        occurred_at: opened,
                    },
                    opened,
                )?;
            }

            // A visit a week after the first, written up the same day; now and then one
            // missed.
            let mut visit_at = opened + Duration::days(7);
            while visit_at < now - Duration::hours(2) {
                let roll = rng.random_range(0..100);
                let attendance = match roll {
                    0..8 => Attendance::DidNotAttend,
                    8..12 => Attendance::CancelledLate,
                    _ => Attendance::Attended,
                };
                let content = if attendance.took_place() {
                    VisitContent {
                        visited_at: visit_at,
                        attendance,
                        duration_minutes: Some(30),
                        subjective: [
                            "Less stiff in the mornings; doing the exercises most days.",
                            "Sore after a long week at the desk; exercises help.",
                            "Sleeping better; pain mostly late in the day.",
                        ][roll % 3]
                            .into(),
                        pain_today: None,
                        objective: "Thoracic rotation improving; no neurological signs.".into(),
                        treatments: vec![
                            TreatmentKind::ExerciseTherapy,
                            TreatmentKind::EducationAdvice,
                        ],
                        treatment_note: "Reviewed the home programme; advice on desk breaks."
                            .into(),
                        response: "Moved more freely after the session.".into(),
                        plan: "Continue the home programme.".into(),
                        note: String::new(),
                        outcomes: measured(region, progress(visit_at), true),
                    }
                } else {
                    VisitContent {
                        visited_at: visit_at,
                        attendance,
                        duration_minutes: None,
                        subjective: String::new(),
                        pain_today: None,
                        objective: String::new(),
                        treatments: Vec::new(),
                        treatment_note: String::new(),
                        response: String::new(),
                        plan: String::new(),
                        note: "No reason given; a new appointment offered by text.".into(),
                        outcomes: OutcomeEntry::default(),
                    }
                };
                let signed_at = visit_at + write_up(&mut rng);
                visit_queries::insert_signed(c, case_id, therapist, &content, signed_at)?;
                visit_at += Duration::days(7);
            }

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
            let days = (now - opened).num_days().max(1);
            let expected_at = |at: NaiveDateTime| {
                let progress = ((at - opened).num_hours() as f64 / (days * 24) as f64).min(1.0);
                f64::from(baseline) + (f64::from(target) - f64::from(baseline)) * progress
            };
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
                outcomes: measured(region, 0.0, false),
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
            assessment_queries::mark_signed_at(c, assessment, opened + write_up(&mut rng))?;
            // A few cases keep a "yes" on the red-flag screen, waiting for the therapist.
            case_queries::refresh_red_flags(c, case_id)?;

            // The programme from a template the day after; then a review on each review date
            // it sets (three weeks on), and a new version with the dose a step up. A case
            // whose red flags wait gets no new version until they are acted on.
            if let Some(template) = templates.get(n % templates.len().max(1)) {
                let (_, mut items) = programme_queries::template(c, *template)?;
                let mut saved_at = opened + Duration::days(1);
                let mut first = true;
                // A visit in the last two hours may not be written up yet: leave it for later.
                while saved_at < now - Duration::hours(2) && (first || !red_flag) {
                    if !first {
                        let review_at = saved_at;
                        let review = assessment_queries::insert(
                            c,
                            case_id,
                            AssessmentKind::Review,
                            therapist,
                            review_at,
                            &review_content(
                                expected_at(review_at),
                                measured(region, progress(review_at), true),
                            ),
                        )?;
                        let signed_at = review_at + write_up(&mut rng);
                        assessment_queries::mark_signed_at(c, review, signed_at)?;
                        for item in &mut items {
                            item.dosage.sets = (item.dosage.sets + 1).min(4);
                        }
                        saved_at = signed_at;
                    }
                    let review_date = (saved_at + Duration::days(21)).date();
                    programme_queries::save_version(
                        c,
                        &NewVersion {
                            case_id,
                            author_id: therapist,
                            notes: "Little and often: spread the exercises through the day.",
                            review_date: Some(review_date),
                            template_id: Some(*template),
                            items: &items,
                            saved_at,
                        },
                    )?;
                    first = false;
                    saved_at = review_date.and_time(saved_at.time());
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

            // A score every few days from baseline towards the target, with a little noise;
            // a patient with the portal logs the last fortnight's scores themselves.
            let mut day = 0;
            while day <= days {
                let at: NaiveDateTime = opened + Duration::days(day) + Duration::hours(10);
                let score = (expected_at(at) + rng.random_range(-1.0..1.0))
                    .round()
                    .clamp(0.0, 10.0) as i32;
                let (recorded_by, recorder_role) = match portal_user {
                    Some(user) if now - at < Duration::days(14) => (user, "patient"),
                    _ => (therapist, "therapist"),
                };
                if day > 0 && at <= now {
                    pain_queries::insert_score(
                        c,
                        &pain_queries::NewPainScore {
                            case_id,
                            score,
                            context: "now",
                            recorded_at: at,
                            recorded_by,
                            recorder_role,
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
                let discharged_at = now - Duration::days(1);
                let discharge = assessment_queries::insert(
                    c,
                    case_id,
                    AssessmentKind::Discharge,
                    therapist,
                    discharged_at,
                    &AssessmentContent {
                        plan: "Continue the home programme independently.".into(),
                        outcomes: measured(region, progress(discharged_at), true),
                        red_flags: RED_FLAGS
                            .iter()
                            .map(|(f, _)| ((*f).to_owned(), "no".to_owned()))
                            .collect(),
                        ..AssessmentContent::default()
                    },
                )?;
                assessment_queries::mark_signed_at(
                    c,
                    discharge,
                    discharged_at + write_up(&mut rng),
                )?;
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

/// Believable contact details for demo patient `n`: an address, one of three GP practices,
/// and for most an emergency contact.
fn demo_contact(n: usize, family: &str) -> crate::store::patients::ContactDetails {
    use crate::store::patients::{ContactBy, ContactDetails};
    const STREETS: &[&str] = &[
        "Gloucester Road",
        "Cotham Hill",
        "North Street",
        "Wells Road",
    ];
    const PRACTICES: &[(&str, &str, &str, &str)] = &[
        (
            "Dr Helen Marsh",
            "Redland Green Surgery",
            "2 Redland Green Road\nBristol BS6 7HE",
            "0117 496 0501",
        ),
        (
            "Dr Kwame Asante",
            "Southville Health Centre",
            "41 Coronation Road\nBristol BS3 1AS",
            "0117 496 0622",
        ),
        (
            "Dr Sofia Rossi",
            "Harbourside Medical Practice",
            "9 Canons Way\nBristol BS1 5LF",
            "0117 496 0733",
        ),
    ];
    let (gp_name, gp_practice, gp_address, gp_phone) = PRACTICES[n % PRACTICES.len()];
    let with_contact = n % 5 != 3;
    ContactDetails {
        address: format!(
            "{} {}\nBristol BS{} {}AB",
            3 + n * 7 % 90,
            STREETS[n % STREETS.len()],
            3 + n % 6,
            1 + n % 9
        ),
        preferred_language: if n % 11 == 4 { "Polish" } else { "English" }.into(),
        contact_by: ContactBy::ALL[n % ContactBy::ALL.len()],
        gp_name: gp_name.into(),
        gp_practice: gp_practice.into(),
        gp_address: gp_address.into(),
        gp_phone: gp_phone.into(),
        gp_email: format!(
            "{}@nhs.example",
            gp_practice.to_lowercase().replace(' ', ".")
        ),
        emergency_name: if with_contact {
            format!("{} {family}", ["Sam", "Alex", "Jo", "Chris"][n % 4])
        } else {
            String::new()
        },
        emergency_relationship: if with_contact {
            ["Partner", "Daughter", "Son", "Friend"][n % 4].into()
        } else {
            String::new()
        },
        emergency_phone: if with_contact {
            format!("07700 900{:03}", 100 + n)
        } else {
            String::new()
        },
    }
}
