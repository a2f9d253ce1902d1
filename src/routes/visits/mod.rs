//! Visit notes: one per contact, a draft until its author signs it; signed means read-only
//! for everyone, and corrections are addenda.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::dates::{Shown, WallTimeError, Zone};
use crate::domain::FormErrors;
use crate::domain::clinical::{bounded_text, optional_int};
use crate::error::AppError;
use crate::store;
use crate::store::audit::{Action, Event};
use crate::store::cases::CaseRow;
use crate::store::consent::NewConsent;
use crate::store::patients::{PatientRow, user_name};
use crate::store::visits::{
    Attendance, TreatmentKind, VisitAddendum, VisitContent, VisitRow, WrittenVisit,
};
use crate::views::consent::ConsentForm;
use crate::views::outcomes::{OutcomeFields, ShownMeasures, entry_values};
use crate::views::pain::with_note;
use crate::web::csrf::CsrfForm;
use crate::web::guard::record_refusal;
use crate::web::{
    AppState, Audited, Layout, Staff, actor, audited_case, render, render_with_status,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/cases/{id}/visits/new", web::get().to(new_page))
        .route("/cases/{id}/visits", web::post().to(create))
        .route("/visits/{id}", web::get().to(show))
        .route("/visits/{id}/edit", web::get().to(edit_page))
        .route("/visits/{id}/edit", web::post().to(update))
        .route("/visits/{id}/addenda", web::post().to(add_addendum));
}

const TEXT_LIMIT: usize = 4000;

/// The clinical fields a visit that did not take place leaves empty: (field, label).
const CLINICAL_FIELDS: &[(&str, &str)] = &[
    ("duration", "duration"),
    ("subjective", "subjective update"),
    ("pain_today", "pain score"),
    ("objective", "objective findings"),
    ("treatment_note", "treatment"),
    ("response", "response"),
    ("plan", "plan"),
];

const BLANK_SIGNING: &str = "Record what happened at the visit before signing: a signed note can never be changed. To finish it later, save it as a draft.";

/// The visit form as typed, kept field by field so it can be shown again.
#[derive(Debug, Clone, Default)]
pub struct VisitForm {
    values: HashMap<String, String>,
    treatments: Vec<String>,
}

impl VisitForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = Self::default();
        for (key, value) in pairs {
            if key == "treatment" {
                form.treatments.push(value);
            } else if key != "csrf_token" {
                form.values.insert(key, value);
            }
        }
        form
    }

    fn blank(zone: Zone) -> Self {
        let mut form = Self::default();
        form.values.insert("visited_at".into(), zone.now_input());
        form.values
            .insert("attendance".into(), Attendance::Attended.as_str().into());
        form
    }

    fn from_row(row: &VisitRow, zone: Zone) -> Result<Self, AppError> {
        let mut values = HashMap::new();
        let number = |v: Option<i32>| v.map(|n| n.to_string()).unwrap_or_default();
        for (key, value) in [
            ("visited_at", row.visited_at.to_input(zone).to_string()),
            ("attendance", row.attendance.as_str().to_owned()),
            ("duration", number(row.duration_minutes)),
            ("subjective", row.subjective.clone()),
            ("pain_today", number(row.pain_today)),
            ("objective", row.objective.clone()),
            ("treatment_note", row.treatment_note.clone()),
            ("response", row.response.clone()),
            ("plan", row.plan.clone()),
            ("note", row.note.clone()),
        ] {
            values.insert(key.to_owned(), value);
        }
        values.extend(entry_values(&row.outcomes()?));
        Ok(Self {
            values,
            treatments: row
                .treatment_kinds()
                .iter()
                .map(|k| k.as_str().to_owned())
                .collect(),
        })
    }

    pub fn get(&self, field: &str) -> &str {
        self.values.get(field).map(String::as_str).unwrap_or("")
    }

    pub fn attendances(&self) -> Vec<(&'static str, &'static str, bool)> {
        Attendance::ALL
            .iter()
            .map(|a| (a.as_str(), a.label(), self.get("attendance") == a.as_str()))
            .collect()
    }

    pub fn treatment_options(&self) -> Vec<(&'static str, &'static str, bool)> {
        TreatmentKind::ALL
            .iter()
            .map(|t| {
                (
                    t.as_str(),
                    t.label(),
                    self.treatments.iter().any(|k| k == t.as_str()),
                )
            })
            .collect()
    }

    fn signing(&self) -> bool {
        self.get("intent") == "sign"
    }

    fn consent(&self) -> ConsentForm {
        ConsentForm::from_fields(|key| self.get(key).to_owned())
    }

    /// When the typed time happened twice (the clocks went back), what was recorded.
    fn time_note(&self, zone: Zone) -> Option<String> {
        zone.from_input(self.get("visited_at"))
            .ok()
            .and_then(|taken| taken.ambiguity)
    }

    fn validate(&self, zone: Zone, asked: &OutcomeFields) -> Result<VisitContent, FormErrors> {
        let mut errors = FormErrors::default();
        let attendance = Attendance::parse(self.get("attendance"));
        if attendance.is_none() {
            errors.add("attendance", "Choose whether the patient attended.");
        }
        let mut text = |field: &str, label: &str| -> String {
            errors
                .take(field, bounded_text(self.get(field), TEXT_LIMIT, label))
                .unwrap_or_default()
        };
        let subjective = text("subjective", "The subjective update");
        let objective = text("objective", "The objective findings");
        let treatment_note = text("treatment_note", "The treatment note");
        let response = text("response", "The response");
        let plan = text("plan", "The plan");
        let note = text("note", "The note");
        let duration = errors
            .take(
                "duration",
                optional_int(self.get("duration"), (1, 480), "The duration in minutes"),
            )
            .flatten();
        let pain_today = errors
            .take(
                "pain_today",
                optional_int(self.get("pain_today"), (0, 10), "Today's pain"),
            )
            .flatten();
        let mut treatments = Vec::new();
        for key in &self.treatments {
            match TreatmentKind::parse(key) {
                Some(kind) if !treatments.contains(&kind) => treatments.push(kind),
                Some(_) => {}
                None => errors.add("treatment", "Choose treatments from the list."),
            }
        }
        if treatments.contains(&TreatmentKind::Other) && treatment_note.is_empty() {
            errors.add("treatment_note", "Say what the other treatment was.");
        }
        if let Some(kind) = attendance
            && !kind.took_place()
        {
            for (field, label) in CLINICAL_FIELDS {
                if !self.get(field).trim().is_empty() && !errors.has(field) {
                    errors.add(
                        *field,
                        format!(
                            "A visit that did not take place has no {label}: leave it empty, or choose “Attended”."
                        ),
                    );
                }
            }
            if !self.treatments.is_empty() {
                errors.add(
                    "treatment",
                    "A visit that did not take place has no treatment: untick it, or choose “Attended”.",
                );
            }
        }
        let outcomes = asked.read(|key| self.get(key).to_owned(), &mut errors);
        if let Some(kind) = attendance
            && !kind.took_place()
        {
            for (field, _) in entry_values(&outcomes) {
                errors.add(
                    field,
                    "A visit that did not take place has no measurements: leave it empty, or choose “Attended”.",
                );
            }
        }
        let visited_at = match zone.past_from_input(self.get("visited_at")) {
            Ok(taken) => Some(taken.utc),
            Err(WallTimeError::Future) => {
                errors.add(
                    "visited_at",
                    "The visit time cannot be in the future: write the note once the visit has happened.",
                );
                None
            }
            Err(WallTimeError::Skipped(why)) => {
                errors.add("visited_at", why);
                None
            }
            Err(WallTimeError::Unreadable) => {
                errors.add("visited_at", "Enter the date and time of the visit.");
                None
            }
        };
        match (visited_at, attendance) {
            (Some(visited_at), Some(attendance)) if errors.is_empty() => Ok(VisitContent {
                visited_at,
                attendance,
                duration_minutes: duration,
                subjective,
                pain_today,
                objective,
                treatments,
                treatment_note,
                response,
                plan,
                note,
                outcomes,
            }),
            _ => Err(errors),
        }
    }
}

/// Everything a written note must pass: the form's checks, the case's dates, and (when it
/// is to be signed) that it is not blank and the case has consent to treatment, or the
/// form records it (`missing` says why the case has none).
fn checked(
    form: &VisitForm,
    outcomes: &OutcomeFields,
    case: &CaseRow,
    patient: &PatientRow,
    zone: Zone,
    missing: Option<&'static str>,
) -> Result<(VisitContent, Option<NewConsent>), FormErrors> {
    let mut errors = FormErrors::default();
    let content = match form.validate(zone, outcomes) {
        Ok(content) => {
            if let Some(problem) = case.too_early(content.visited_at, patient.date_of_birth, zone) {
                errors.add("visited_at", problem);
            }
            if form.signing() && content.is_blank() {
                errors.add("subjective", BLANK_SIGNING);
            }
            Some(content)
        }
        Err(more) => {
            errors.0.extend(more.0);
            None
        }
    };
    let consent = match form.consent().for_signing(missing, form.signing(), zone) {
        Ok(consent) => Some(consent),
        Err(more) => {
            errors.0.extend(more.0);
            None
        }
    };
    match (content, consent) {
        (Some(content), Some(consent)) if errors.is_empty() => Ok((content, consent)),
        _ => Err(errors),
    }
}

#[derive(Template)]
#[template(path = "visits/form.html")]
struct FormPage {
    layout: Layout,
    case: CaseRow,
    patient: Audited<PatientRow>,
    action: String,
    form: VisitForm,
    errors: FormErrors,
    consent_missing: Option<&'static str>,
    consent: ConsentForm,
    /// PSFS, movements and the global rating of change, for a visit that took place.
    outcomes: OutcomeFields,
}

impl FormPage {
    #[allow(clippy::too_many_arguments)]
    fn new(
        req: &HttpRequest,
        state: &AppState,
        case: CaseRow,
        patient: Audited<PatientRow>,
        action: String,
        form: VisitForm,
        errors: FormErrors,
        consent_missing: Option<&'static str>,
    ) -> Self {
        let consent = form.consent().or_blank(state.zone());
        Self {
            layout: Layout::new(req, state, "Visit note"),
            case,
            patient,
            action,
            form,
            errors,
            consent_missing,
            consent,
            outcomes: OutcomeFields::default(),
        }
    }

    /// The case's outcome fields (see `OutcomeFields::load`).
    fn with_outcomes(mut self, outcomes: OutcomeFields) -> Self {
        self.outcomes = outcomes;
        self
    }
}

async fn new_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    case_id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let case_id = case_id.into_inner();
    let (patient, (case, missing)) = state
        .audited(actor(&req), move |c| {
            let (case, patient) = store::cases::find_with_patient(c, case_id)?;
            let missing = store::consent::treatment_consent_missing(c, case_id)?;
            let event = Event::new(Action::CaseRead)
                .entity("case", case_id)
                .patient(case.patient_id)
                .detail("new visit note form");
            Ok(((patient, (case, missing)), event))
        })
        .await?
        .take(|(patient, rest)| (patient, rest));
    if !case.is_open() {
        return Err(AppError::NotFound);
    }
    let outcomes = OutcomeFields::load(&state, &case, true).await?;
    let page = FormPage::new(
        &req,
        &state,
        case,
        patient,
        format!("/cases/{case_id}/visits"),
        VisitForm::blank(state.zone()),
        FormErrors::default(),
        missing,
    )
    .with_outcomes(outcomes);
    render(&req, &page)
}

/// The form again with what was typed and why it was refused.
async fn refused_form(
    req: &HttpRequest,
    state: &AppState,
    case_id: i64,
    action: String,
    form: VisitForm,
    errors: FormErrors,
    missing: Option<&'static str>,
) -> Result<HttpResponse, AppError> {
    if let Some(why) = missing
        && errors.get("consent_method") == why
    {
        record_refusal(req, Action::ConsentSigningRefused).await?;
    }
    let (case, patient) = audited_case(state, actor(req), case_id, "visit note form").await?;
    let outcomes = OutcomeFields::load(state, &case, true).await?;
    let page = FormPage::new(req, state, case, patient, action, form, errors, missing)
        .with_outcomes(outcomes);
    render_with_status(req, &page, StatusCode::UNPROCESSABLE_ENTITY)
}

fn saved_message(form: &VisitForm, zone: Zone) -> String {
    let message = if form.signing() {
        "The visit note is signed."
    } else {
        "The draft is saved. Sign it when it is complete."
    };
    with_note(message, form.time_note(zone))
}

async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    case_id: web::Path<i64>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let case_id = case_id.into_inner();
    let form = VisitForm::from_pairs(pairs);
    let action = format!("/cases/{case_id}/visits");
    let ((case, patient), missing) = state
        .read(move |c| {
            Ok((
                store::cases::find_with_patient(c, case_id)?,
                store::consent::treatment_consent_missing(c, case_id)?,
            ))
        })
        .await?;
    if !case.is_open() {
        return Err(AppError::NotFound);
    }
    let outcomes = OutcomeFields::load(&state, &case, true).await?;
    let zone = state.zone();
    let (content, consent) = match checked(&form, &outcomes, &case, &patient, zone, missing) {
        Ok(valid) => valid,
        Err(errors) => {
            return refused_form(&req, &state, case_id, action, form, errors, missing).await;
        }
    };
    let written = WrittenVisit {
        content,
        sign: form.signing(),
        consent,
        zone,
    };
    let who = actor(&req);
    let author = staff.user_id;
    match state
        .change(move |c| store::visits::write(c, &who, case_id, author, &written))
        .await
    {
        Ok(id) => {
            Ok(state.redirect_with_flash(&format!("/visits/{id}"), &saved_message(&form, zone)))
        }
        Err(AppError::Refused { field, message }) => {
            let missing = state
                .read(move |c| Ok(store::consent::treatment_consent_missing(c, case_id)?))
                .await?;
            let errors = FormErrors::one(field, message);
            refused_form(&req, &state, case_id, action, form, errors, missing).await
        }
        Err(other) => Err(other),
    }
}

/// What a visit note's pages show, read with their audit event.
struct VisitView {
    visit: VisitRow,
    case: CaseRow,
    patient: Audited<PatientRow>,
    author: String,
    addenda: Vec<VisitAddendum>,
}

async fn load(
    state: &AppState,
    req: &HttpRequest,
    id: i64,
    detail: &'static str,
) -> Result<VisitView, AppError> {
    let (patient, (visit, case, author, addenda)) = state
        .audited(actor(req), move |c| {
            let visit = store::visits::find(c, id)?;
            let (case, patient) = store::cases::find_with_patient(c, visit.case_id)?;
            let author = user_name(c, visit.author_id)?;
            let addenda = store::visits::addenda_of(c, id)?;
            let event = Event::new(Action::VisitRead)
                .entity("visit", id)
                .patient(case.patient_id)
                .detail(detail);
            Ok(((patient, (visit, case, author, addenda)), event))
        })
        .await?
        .take(|(patient, rest)| (patient, rest));
    Ok(VisitView {
        visit,
        case,
        patient,
        author,
        addenda,
    })
}

#[derive(Template)]
#[template(path = "visits/show.html")]
struct ShowPage {
    layout: Layout,
    visit: VisitRow,
    case: CaseRow,
    patient: Audited<PatientRow>,
    author: String,
    treatments: Vec<&'static str>,
    measures: ShownMeasures,
    addenda: Vec<VisitAddendum>,
    is_author: bool,
    addendum: String,
    errors: FormErrors,
}

fn show_page(
    req: &HttpRequest,
    state: &AppState,
    staff_id: i64,
    view: VisitView,
    addendum: String,
    errors: FormErrors,
) -> Result<ShowPage, AppError> {
    let measures = ShownMeasures::of(&view.visit.outcomes()?);
    Ok(ShowPage {
        measures,
        layout: Layout::new(req, state, "Visit note"),
        treatments: view
            .visit
            .treatment_kinds()
            .iter()
            .map(|k| k.label())
            .collect(),
        is_author: view.visit.author_id == staff_id,
        visit: view.visit,
        case: view.case,
        patient: view.patient,
        author: view.author,
        addenda: view.addenda,
        addendum,
        errors,
    })
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let view = load(&state, &req, id.into_inner(), "view").await?;
    let page = show_page(
        &req,
        &state,
        staff.user_id,
        view,
        String::new(),
        FormErrors::default(),
    )?;
    render(&req, &page)
}

#[derive(Template)]
#[template(path = "visits/locked.html")]
struct LockedPage {
    layout: Layout,
    id: i64,
}

/// A signed note cannot be edited, and only its author edits or signs a draft.
async fn refuse_change(
    req: &HttpRequest,
    state: &AppState,
    row: &VisitRow,
    staff_id: i64,
) -> Result<Option<HttpResponse>, AppError> {
    if !row.status.is_draft() {
        record_refusal(req, Action::VisitChangeRefused).await?;
        let page = LockedPage {
            layout: Layout::new(req, state, "Signed visit note"),
            id: row.id,
        };
        return render_with_status(req, &page, StatusCode::CONFLICT).map(Some);
    }
    if row.author_id != staff_id {
        record_refusal(req, Action::VisitChangeRefused).await?;
        return Err(AppError::Forbidden);
    }
    Ok(None)
}

async fn edit_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let view = load(&state, &req, id, "edit form").await?;
    if let Some(refusal) = refuse_change(&req, &state, &view.visit, staff.user_id).await? {
        return Ok(refusal);
    }
    let case_id = view.case.id;
    let missing = state
        .read(move |c| Ok(store::consent::treatment_consent_missing(c, case_id)?))
        .await?;
    let form = VisitForm::from_row(&view.visit, state.zone())?;
    let outcomes = OutcomeFields::load(&state, &view.case, true).await?;
    let page = FormPage::new(
        &req,
        &state,
        view.case,
        view.patient,
        format!("/visits/{id}/edit"),
        form,
        FormErrors::default(),
        missing,
    )
    .with_outcomes(outcomes);
    render(&req, &page)
}

async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let (visit, case, patient, missing) = state
        .read(move |c| {
            let visit = store::visits::find(c, id)?;
            let (case, patient) = store::cases::find_with_patient(c, visit.case_id)?;
            let missing = store::consent::treatment_consent_missing(c, case.id)?;
            Ok((visit, case, patient, missing))
        })
        .await?;
    if let Some(refusal) = refuse_change(&req, &state, &visit, staff.user_id).await? {
        return Ok(refusal);
    }
    let form = VisitForm::from_pairs(pairs);
    let action = format!("/visits/{id}/edit");
    let zone = state.zone();
    let case_id = case.id;
    let outcomes = OutcomeFields::load(&state, &case, true).await?;
    let (content, consent) = match checked(&form, &outcomes, &case, &patient, zone, missing) {
        Ok(valid) => valid,
        Err(errors) => {
            return refused_form(&req, &state, case_id, action, form, errors, missing).await;
        }
    };
    let written = WrittenVisit {
        content,
        sign: form.signing(),
        consent,
        zone,
    };
    let who = actor(&req);
    match state
        .change(move |c| store::visits::revise(c, &who, id, &written))
        .await
    {
        Ok(()) => {
            Ok(state.redirect_with_flash(&format!("/visits/{id}"), &saved_message(&form, zone)))
        }
        Err(AppError::Refused { field, message }) => {
            let missing = state
                .read(move |c| Ok(store::consent::treatment_consent_missing(c, case_id)?))
                .await?;
            let errors = FormErrors::one(field, message);
            refused_form(&req, &state, case_id, action, form, errors, missing).await
        }
        Err(other) => Err(other),
    }
}

async fn add_addendum(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<crate::web::AddendumForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let who = actor(&req);
    let author = staff.user_id;
    let added = match form.text() {
        Ok(body) => {
            state
                .change(move |c| store::visits::add_addendum(c, &who, id, author, &body))
                .await
        }
        Err(refused) => Err(refused),
    };
    match added {
        Ok(_) => {
            Ok(state.redirect_with_flash(&format!("/visits/{id}"), "The addendum has been added."))
        }
        Err(AppError::Refused { field, message }) => {
            let view = load(&state, &req, id, "view").await?;
            let errors = FormErrors::one(field, message);
            let page = show_page(&req, &state, staff.user_id, view, form.body, errors)?;
            render_with_status(&req, &page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(e),
    }
}
