//! Cases: open, read (one timeline), discharge, mark entered in error, red-flag actions.

use crate::dates::{Shown, ShownDay};
use crate::store;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::FormErrors;
use crate::domain::clinical::{
    AssessmentKind, CASE_REGIONS, DISCHARGE_OUTCOMES, Urgency, bounded_line, bounded_text,
    label_of, one_of, past_date, red_flag_label, required_line, required_text,
};
use crate::error::AppError;
use crate::store::audit::{Action, Event};
use crate::store::cases::{AssessmentLine, CaseRow, NewCase};
use crate::store::consent::{ConsentKind, ConsentLine};
use crate::store::letters::{LetterKind, LetterLine};
use crate::store::patients as patient_queries;
use crate::store::patients::PatientRow;
use crate::store::visits::VisitCounts;
use crate::views::outcomes::OutcomeSummary;
use crate::views::timeline::{CareRecords, TimelineEntry, timeline_page};
use crate::web::Audited;
use crate::web::Staff;
use crate::web::csrf::CsrfForm;
use crate::web::{AppState, Layout, Pager, SelectOption, actor, render, render_with_status};
use crate::web::{audited_case, audited_patient};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/patients/{id}/cases/new", web::get().to(new_page))
        .route("/patients/{id}/cases", web::post().to(create))
        .route("/cases/{id}", web::get().to(show))
        .route("/cases/{id}/discharge", web::get().to(discharge_page))
        .route("/cases/{id}/discharge", web::post().to(discharge))
        .route("/cases/{id}/error", web::get().to(error_page))
        .route("/cases/{id}/error", web::post().to(mark_in_error))
        .route("/cases/{id}/red-flags", web::get().to(red_flags_page))
        .route("/cases/{id}/red-flags", web::post().to(record_red_flags));
}

#[derive(Debug, Clone, Default, Deserialize)]
struct CaseForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body_region: String,
    #[serde(default)]
    onset_date: String,
    #[serde(default)]
    mechanism: String,
    #[serde(default)]
    referral_source: String,
    #[serde(default)]
    goals: String,
    #[serde(default)]
    therapist_id: String,
}

impl CaseForm {
    fn validate(
        &self,
        therapists: &[(i64, String)],
        born: chrono::NaiveDate,
        today: chrono::NaiveDate,
    ) -> Result<NewCase, FormErrors> {
        let mut errors = FormErrors::default();
        let title = errors.take("title", required_line(&self.title, 200, "A title"));
        let region = errors.take(
            "body_region",
            one_of(CASE_REGIONS, &self.body_region, "the body region"),
        );
        let onset = if self.onset_date.trim().is_empty() {
            Some(None)
        } else {
            errors.take(
                "onset_date",
                past_date(&self.onset_date, "onset date", today).and_then(|onset| {
                    if onset < born {
                        Err(format!(
                            "The onset date cannot be before the patient's date of birth ({}).",
                            born.to_day()
                        ))
                    } else {
                        Ok(Some(onset))
                    }
                }),
            )
        };
        let mechanism = errors.take(
            "mechanism",
            bounded_text(&self.mechanism, 2000, "The mechanism"),
        );
        let referral = errors.take(
            "referral_source",
            bounded_line(&self.referral_source, 200, "The referral source"),
        );
        let goals = errors.take("goals", bounded_text(&self.goals, 4000, "Goals"));
        let therapist = match self.therapist_id.trim().parse::<i64>() {
            Ok(id) if therapists.iter().any(|(t, _)| *t == id) => Some(id),
            _ => {
                errors.add(
                    "therapist_id",
                    "Choose the therapist responsible for this case.",
                );
                None
            }
        };
        match (title, region, onset, mechanism, referral, goals, therapist) {
            (
                Some(title),
                Some(body_region),
                Some(onset_date),
                Some(mechanism),
                Some(referral_source),
                Some(goals),
                Some(therapist_id),
            ) if errors.is_empty() => Ok(NewCase {
                title,
                body_region,
                onset_date,
                mechanism,
                referral_source,
                goals,
                therapist_id,
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Template)]
#[template(path = "cases/new.html")]
struct NewPage {
    layout: Layout,
    patient: Audited<PatientRow>,
    form: CaseForm,
    regions: Vec<SelectOption>,
    therapists: Vec<SelectOption>,
    errors: FormErrors,
    today: String,
}

impl NewPage {
    fn new(
        layout: Layout,
        patient: Audited<PatientRow>,
        form: CaseForm,
        therapists: &[(i64, String)],
        errors: FormErrors,
    ) -> Self {
        let today = layout.zone.today().to_string();
        Self {
            regions: SelectOption::from_table(CASE_REGIONS, &[form.body_region.as_str()]),
            therapists: therapists
                .iter()
                .map(|(id, name)| SelectOption {
                    value: id.to_string(),
                    label: name.clone(),
                    selected: form.therapist_id == id.to_string(),
                })
                .collect(),
            layout,
            patient,
            form,
            errors,
            today,
        }
    }
}

async fn new_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    patient_id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let patient_id = patient_id.into_inner();
    let who = actor(&req);
    let (patient, therapists) = state
        .audited(who, move |c| {
            let patient = patient_queries::find(c, patient_id)?;
            let event = Event::new(Action::PatientRead)
                .entity("patient", patient_id)
                .patient(patient_id)
                .detail("new case form");
            Ok(((patient, patient_queries::therapists(c)?), event))
        })
        .await?
        .take(|(patient, therapists)| (patient, therapists));
    let form = CaseForm {
        body_region: "thoracic".into(),
        therapist_id: staff.user_id.to_string(),
        ..CaseForm::default()
    };
    let page = NewPage::new(
        Layout::new(&req, &state, "Open a case"),
        patient,
        form,
        &therapists,
        FormErrors::default(),
    );
    render(&req, &page)
}

async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    patient_id: web::Path<i64>,
    CsrfForm(form): CsrfForm<CaseForm>,
) -> Result<HttpResponse, AppError> {
    let patient_id = patient_id.into_inner();
    let (born, therapists) = state
        .read(move |conn| {
            Ok((
                patient_queries::find(conn, patient_id)?.date_of_birth,
                patient_queries::therapists(conn)?,
            ))
        })
        .await?;
    let case = match form.validate(&therapists, born, state.zone().today()) {
        Ok(case) => case,
        Err(errors) => {
            let patient = audited_patient(&state, actor(&req), patient_id, "new case form").await?;
            let page = NewPage::new(
                Layout::new(&req, &state, "Open a case"),
                patient,
                form,
                &therapists,
                errors,
            );
            return render_with_status(&req, &page, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let who = actor(&req);
    let author = staff.user_id;
    let id = state
        .change(move |c| store::cases::open(c, &who, patient_id, &case, author))
        .await?;
    Ok(state.redirect_with_flash(
        &format!("/cases/{id}"),
        "The case is open. Start with an initial assessment.",
    ))
}

#[derive(Template)]
#[template(path = "cases/show.html")]
struct ShowPage {
    layout: Layout,
    case: CaseRow,
    patient: Audited<PatientRow>,
    therapist: String,
    region: &'static str,
    outcome: &'static str,
    assessments: Vec<AssessmentLine>,
    timeline: Vec<TimelineEntry>,
    /// The timeline's pages (the newest first).
    pager: Pager,
    red_flags: Vec<(i64, String, Vec<&'static str>)>,
    kinds: Vec<(&'static str, &'static str)>,
    /// The current programme version's number and exercise count.
    programme: Option<(i32, usize)>,
    /// Clinic templates a first programme can start from in one click.
    templates: Vec<(i64, String)>,
    pain: crate::views::pain::PainPanel,
    pain_form: crate::views::pain::PainForm,
    errors: FormErrors,
    adherence: crate::store::pain::Adherence,
    letters: Vec<LetterLine>,
    letter_kinds: Vec<LetterKind>,
    /// Where each kind of consent stands.
    standing: Vec<(ConsentKind, Option<ConsentLine>)>,
    visit_counts: VisitCounts,
    outcomes: OutcomeSummary,
}

/// Which page of the timeline a case page shows.
#[derive(Deserialize)]
struct TimelineQuery {
    page: Option<i64>,
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    id: web::Path<i64>,
    query: web::Query<TimelineQuery>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let requested_page = query.into_inner().page;
    let who = actor(&req);
    let zone = state.zone();
    let page = move |c: &mut crate::db::DbConn| {
        let (case, patient, therapist) = store::cases::find_with_patient_and_therapist(c, id)?;
        let assessments = store::cases::assessments_of(c, id)?;
        let lines = store::cases::score_lines(c, id)?;
        let sources = store::cases::timeline_sources(c, id)?;
        let consents = store::consent::history(c, id)?;
        let visits = store::visits::lines_of(c, id)?;
        let visit_addenda = store::visits::addenda_lines_of(c, id)?;
        let care = CareRecords {
            visits: &visits,
            visit_addenda: &visit_addenda,
            consents: &consents,
        };
        let (timeline, pager) =
            timeline_page(id, &assessments, &lines, &sources, &care, requested_page);
        let consent = store::consent::standing(&consents);
        let visit_counts = store::visits::counts(&visits);
        // The programme's versions were read for the timeline (newest first) and their
        // exercises for adherence: the current version and its size come from those.
        let items = crate::store::programmes::item_rows(c, id)?;
        let programme = sources.programme_versions.first().map(|current| {
            let size = items.iter().filter(|row| row.0 == current.version).count();
            (current.version, size)
        });
        // Read only while there is no programme: then they start the first one.
        let templates = if programme.is_none() && case.is_open() {
            crate::store::programmes::active_templates(c)?
        } else {
            Vec::new()
        };
        let scores: Vec<_> = lines
            .into_iter()
            .map(|line| (line.at, line.context, line.score))
            .collect();
        let marks = sources
            .programme_versions
            .iter()
            .rev()
            .map(|version| (version.at, version.version))
            .collect();
        let schedule = crate::store::programmes::schedule(&items, zone);
        let adherence = crate::store::pain::adherence(c, id, &schedule, zone.today())?;
        let letters = crate::store::letters::lines_of_case(c, id)?;
        let measurements = crate::store::outcomes::of_case(c, id)?;
        // A referral letter follows a red flag recorded as referred (already read for the
        // timeline); a discharge summary follows discharge.
        let mut letter_kinds = Vec::new();
        if sources
            .red_flag_actions
            .iter()
            .any(|a| a.action == "referred")
        {
            letter_kinds.push(LetterKind::GpReferral);
        }
        if case.status.is_discharged() {
            letter_kinds.push(LetterKind::DischargeSummary);
        }
        let event = Event::new(Action::CaseRead)
            .entity("case", id)
            .patient(case.patient_id);
        let view = CaseView {
            case,
            therapist,
            assessments,
            timeline,
            pager,
            programme,
            templates,
            scores,
            marks,
            adherence,
            letters,
            letter_kinds,
            consent,
            visit_counts,
            measurements,
        };
        Ok(((patient, view), event))
    };
    state
        .audited_page(who, page, |data| {
            let (patient, view) = data.take(|(patient, view)| (patient, view));
            show_page(&req, &state, patient, view)
        })
        .await
}

/// What the case page reads in its one snapshot.
struct CaseView {
    case: CaseRow,
    therapist: String,
    assessments: Vec<AssessmentLine>,
    timeline: Vec<TimelineEntry>,
    pager: Pager,
    programme: Option<(i32, usize)>,
    templates: Vec<(i64, String)>,
    /// The chart's data: drawn in `show_page`, while the audit event commits.
    scores: Vec<(chrono::NaiveDateTime, String, i32)>,
    marks: Vec<(chrono::NaiveDateTime, i32)>,
    adherence: crate::store::pain::Adherence,
    letters: Vec<LetterLine>,
    /// The letters the record allows now.
    letter_kinds: Vec<LetterKind>,
    consent: Vec<(ConsentKind, Option<ConsentLine>)>,
    visit_counts: VisitCounts,
    /// PSFS, movements and global rating: summarised and charted in `show_page`.
    measurements: Vec<crate::store::outcomes::Measurement>,
}

fn show_page(
    req: &HttpRequest,
    state: &AppState,
    patient: Audited<PatientRow>,
    view: CaseView,
) -> Result<HttpResponse, AppError> {
    let case = view.case;
    let red_flags = if case.status.is_entered_in_error() || case.red_flags_pending.is_empty() {
        Vec::new()
    } else {
        vec![(
            case.id,
            case.title.clone(),
            case.pending_flags()
                .iter()
                .map(|f| red_flag_label(f))
                .collect(),
        )]
    };
    render(
        req,
        &ShowPage {
            layout: Layout::new(req, state, case.title.clone()),
            region: label_of(CASE_REGIONS, &case.body_region),
            outcome: case
                .discharge_outcome
                .as_deref()
                .map(|o| label_of(DISCHARGE_OUTCOMES, o))
                .unwrap_or(""),
            therapist: view.therapist,
            // One initial assessment per case: once there is one, it is not offered again.
            kinds: AssessmentKind::ALL
                .iter()
                .filter(|kind| {
                    **kind != AssessmentKind::Initial
                        || !view.assessments.iter().any(|a| {
                            a.kind == AssessmentKind::Initial.as_str()
                                && !a.status.is_entered_in_error()
                        })
                })
                .map(|k| (k.as_str(), k.label()))
                .collect(),
            programme: view.programme,
            templates: view.templates,
            pain: crate::views::pain::pain_panel(
                &format!("case-{}-pain", case.id),
                &view.scores,
                &view.marks,
                state.zone(),
            ),
            pain_form: crate::views::pain::PainForm::blank(state.zone()),
            errors: FormErrors::default(),
            adherence: view.adherence,
            letters: view.letters,
            letter_kinds: view.letter_kinds,
            standing: view.consent,
            visit_counts: view.visit_counts,
            outcomes: OutcomeSummary::from_measurements(&view.measurements, state.zone()),
            case,
            patient,
            assessments: view.assessments,
            timeline: view.timeline,
            pager: view.pager,
            red_flags,
        },
    )
}

#[derive(Template)]
#[template(path = "cases/discharge.html")]
struct DischargePage {
    layout: Layout,
    case: CaseRow,
    patient: Audited<PatientRow>,
    outcomes: Vec<SelectOption>,
    can_discharge: bool,
    errors: FormErrors,
}

async fn discharge_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let who = actor(&req);
    let (patient, (case, can_discharge)) = state
        .audited(who, move |c| {
            let (case, patient) = store::cases::find_with_patient(c, id)?;
            let ready = store::cases::has_signed_discharge_assessment(c, id)?;
            let event = Event::new(Action::CaseRead)
                .entity("case", id)
                .patient(case.patient_id)
                .detail("discharge form");
            Ok(((case, patient, ready), event))
        })
        .await?
        .take(|(case, patient, ready)| (patient, (case, ready)));
    render(
        &req,
        &DischargePage {
            layout: Layout::new(&req, &state, "Discharge"),
            outcomes: SelectOption::from_table(DISCHARGE_OUTCOMES, &[]),
            can_discharge: can_discharge && case.is_open(),
            case,
            patient,
            errors: FormErrors::default(),
        },
    )
}

#[derive(Deserialize)]
struct DischargeForm {
    #[serde(default)]
    outcome: String,
}

async fn discharge(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<DischargeForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let outcome = one_of(DISCHARGE_OUTCOMES, &form.outcome, "the outcome");
    let who = actor(&req);
    let result = match outcome {
        Ok(outcome) => {
            let who = who.clone();
            state
                .change(move |c| store::cases::discharge(c, &who, id, &outcome))
                .await
        }
        Err(message) => Err(AppError::Refused {
            field: "outcome",
            message,
        }),
    };
    match result {
        Ok(()) => Ok(state.redirect_with_flash(&format!("/cases/{id}"), "The case is discharged.")),
        Err(AppError::Refused { field, message }) => {
            let errors = FormErrors::one(field, message);
            let ready = state
                .read(move |c| Ok(store::cases::has_signed_discharge_assessment(c, id)?))
                .await?;
            let (case, patient) = audited_case(&state, who, id, "discharge form").await?;
            let page = DischargePage {
                layout: Layout::new(&req, &state, "Discharge"),
                outcomes: SelectOption::from_table(DISCHARGE_OUTCOMES, &[form.outcome.as_str()]),
                can_discharge: ready && case.is_open(),
                case,
                patient,
                errors,
            };
            render_with_status(&req, &page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "cases/error.html")]
struct ErrorFormPage {
    layout: Layout,
    case: CaseRow,
    patient: Audited<PatientRow>,
    reason: String,
    errors: FormErrors,
}

async fn error_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let (case, patient) = audited_case(&state, actor(&req), id, "entered-in-error form").await?;
    render(
        &req,
        &ErrorFormPage {
            layout: Layout::new(&req, &state, "Entered in error"),
            case,
            patient,
            reason: String::new(),
            errors: FormErrors::default(),
        },
    )
}

#[derive(Deserialize)]
struct ReasonForm {
    #[serde(default)]
    reason: String,
}

async fn mark_in_error(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let reason = match required_text(&form.reason, 1000, "A reason") {
        Ok(reason) => reason,
        Err(message) => {
            let (case, patient) =
                audited_case(&state, actor(&req), id, "entered-in-error form").await?;
            let mut errors = FormErrors::default();
            errors.add("reason", message);
            let page = ErrorFormPage {
                layout: Layout::new(&req, &state, "Entered in error"),
                case,
                patient,
                reason: form.reason,
                errors,
            };
            return render_with_status(&req, &page, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let who = actor(&req);
    state
        .change(move |c| store::cases::mark_in_error(c, &who, id, &reason))
        .await?;
    Ok(state.redirect_with_flash(
        &format!("/cases/{id}"),
        "The case is marked as entered in error. It stays on record.",
    ))
}

#[derive(Template)]
#[template(path = "cases/red_flags.html")]
struct RedFlagsPage {
    layout: Layout,
    case: CaseRow,
    patient: Audited<PatientRow>,
    pending: Vec<(String, &'static str, bool)>,
    action: String,
    urgency: String,
    urgencies: [Urgency; 4],
    reason: String,
    errors: FormErrors,
}

async fn red_flags_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let (case, patient) = audited_case(&state, actor(&req), id, "red-flag form").await?;
    let pending = case
        .pending_flags()
        .into_iter()
        .map(|f| {
            let label = red_flag_label(&f);
            (f, label, true)
        })
        .collect();
    render(
        &req,
        &RedFlagsPage {
            layout: Layout::new(&req, &state, "Red flags"),
            case,
            patient,
            pending,
            action: String::new(),
            urgency: String::new(),
            urgencies: Urgency::ALL,
            reason: String::new(),
            errors: FormErrors::default(),
        },
    )
}

#[derive(Deserialize)]
struct RedFlagForm {
    #[serde(default)]
    flag: Vec<String>,
    #[serde(default)]
    action: String,
    #[serde(default)]
    urgency: String,
    #[serde(default)]
    reason: String,
}

async fn record_red_flags(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<RedFlagForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let case = state
        .read(move |conn| Ok(store::cases::find(conn, id)?))
        .await?;
    let pending = case.pending_flags();
    let mut errors = FormErrors::default();
    let flags: Vec<String> = form
        .flag
        .iter()
        .filter(|f| pending.contains(f))
        .cloned()
        .collect();
    if flags.is_empty() {
        errors.add("flag", "Tick the red flags this action covers.");
    }
    let decision = match form.action.trim() {
        "referred" => match Urgency::parse(&form.urgency) {
            Some(urgency) => Some(store::cases::RedFlagDecision::Referred(urgency)),
            None => {
                errors.add(
                    "urgency",
                    "Choose how urgent the referral is: emergency, urgent, soon or routine.",
                );
                None
            }
        },
        "cleared" => Some(store::cases::RedFlagDecision::Cleared),
        _ => {
            errors.add("action", "Choose what was done: referred on, or cleared.");
            None
        }
    };
    let reason = errors.take("reason", required_text(&form.reason, 2000, "The reason"));
    let (true, Some(decision), Some(reason)) = (errors.is_empty(), decision, reason) else {
        let (case, patient) = audited_case(&state, actor(&req), id, "red-flag form").await?;
        let page = RedFlagsPage {
            layout: Layout::new(&req, &state, "Red flags"),
            pending: pending
                .into_iter()
                .map(|f| {
                    let label = red_flag_label(&f);
                    let ticked = form.flag.contains(&f);
                    (f, label, ticked)
                })
                .collect(),
            case,
            patient,
            action: form.action,
            urgency: form.urgency,
            urgencies: Urgency::ALL,
            reason: form.reason,
            errors,
        };
        return render_with_status(&req, &page, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let who = actor(&req);
    let author = staff.user_id;
    state
        .change(move |c| {
            store::cases::act_on_red_flags(c, &who, id, &flags, decision, &reason, author)
        })
        .await?;
    Ok(state.redirect_with_flash(
        &format!("/cases/{id}"),
        "The red-flag action has been recorded.",
    ))
}
