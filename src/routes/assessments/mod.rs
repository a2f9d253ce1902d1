//! Assessments: a draft until its author signs it; signed means read-only for everyone.
//! Corrections to a signed assessment are addenda with their own author and time.

use crate::dates::{Shown, WallTimeError, Zone};
use crate::store;
use crate::store::assessments::Written;
use crate::store::consent::NewConsent;
use crate::views::consent::ConsentForm;
use crate::views::outcomes::{OutcomeFields, ShownMeasures, entry_values};
use crate::views::pain::with_note;
use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use crate::domain::FormErrors;
use crate::domain::clinical::{
    AssessmentContent, AssessmentKind, BODY_CHART, RED_FLAG_ANSWERS, RED_FLAGS, bounded_text,
    label_of, optional_int,
};
use crate::error::AppError;
use crate::store::assessments::{Addendum, AssessmentRow};
use crate::store::audit::{Action, Event};
use crate::store::cases::CaseRow;
use crate::store::patients::{PatientRow, user_name};
use crate::web::Audited;
use crate::web::Staff;
use crate::web::audited_case;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::guard::record_refusal;
use crate::web::{AppState, Layout, actor, render, render_with_status};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/cases/{id}/assessments/new", web::get().to(new_page))
        .route("/cases/{id}/assessments", web::post().to(create))
        .route("/assessments/{id}", web::get().to(show))
        .route("/assessments/{id}/edit", web::get().to(edit_page))
        .route("/assessments/{id}/edit", web::post().to(update))
        .route("/assessments/{id}/sign", web::post().to(sign))
        .route("/assessments/{id}/addenda", web::post().to(add_addendum));
}

/// Free-text sections of the form: (field, label, rows).
pub const TEXT_SECTIONS: &[(&str, &str)] = &[
    ("presenting_complaint", "Presenting complaint"),
    ("history", "History of the complaint"),
    ("onset_mechanism", "Onset and mechanism"),
    ("aggravating", "Aggravating factors"),
    ("easing", "Easing factors"),
    ("pattern_24h", "24-hour pattern"),
    ("work_posture", "Work and posture"),
    ("previous_episodes", "Previous episodes"),
    ("medication", "Medication"),
];

pub const OBJECTIVE_TEXT: &[(&str, &str)] = &[
    ("posture", "Posture"),
    ("shoulder_elevation", "Shoulder elevation"),
    ("neuro_screen", "Neurological screen"),
    ("palpation", "Palpation"),
    ("special_tests", "Special tests"),
];

pub const PLAN_TEXT: &[(&str, &str)] = &[
    ("impression", "Clinical impression"),
    ("plan", "Plan"),
    ("goals", "Goals"),
];

pub const PAIN_FIELDS: &[(&str, &str)] = &[
    ("pain_now", "Pain now"),
    ("pain_best", "Pain at best"),
    ("pain_worst", "Pain at worst (24 h)"),
];

const TEXT_LIMIT: usize = 4000;

/// The assessment form as typed, kept field by field so it can be shown again.
#[derive(Debug, Clone, Default)]
pub struct AssessmentForm {
    values: HashMap<String, String>,
    body_regions: Vec<String>,
}

impl AssessmentForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = Self::default();
        for (key, value) in pairs {
            if key == "body_region" {
                form.body_regions.push(value);
            } else if key != "csrf_token" {
                form.values.insert(key, value);
            }
        }
        form
    }

    pub fn get(&self, field: &str) -> &str {
        self.values.get(field).map(String::as_str).unwrap_or("")
    }

    /// The consent fields typed on this form (see `views::consent`).
    fn consent(&self) -> ConsentForm {
        ConsentForm::from_fields(|key| self.get(key).to_owned())
    }

    pub fn region_checked(&self, key: &str) -> bool {
        self.body_regions.iter().any(|r| r == key)
    }

    pub fn red_flag_checked(&self, flag: &str, answer: &str) -> bool {
        let chosen = self.get(&format!("rf_{flag}"));
        chosen == answer || (chosen.is_empty() && answer == "not-asked")
    }

    fn from_content(content: &AssessmentContent, assessed_at: NaiveDateTime, zone: Zone) -> Self {
        let mut values = HashMap::new();
        let text = |v: &String| v.clone();
        let pairs: [(&str, String); 17] = [
            ("presenting_complaint", text(&content.presenting_complaint)),
            ("history", text(&content.history)),
            ("onset_mechanism", text(&content.onset_mechanism)),
            ("aggravating", text(&content.aggravating)),
            ("easing", text(&content.easing)),
            ("pattern_24h", text(&content.pattern_24h)),
            ("work_posture", text(&content.work_posture)),
            ("previous_episodes", text(&content.previous_episodes)),
            ("medication", text(&content.medication)),
            ("posture", text(&content.posture)),
            ("shoulder_elevation", text(&content.shoulder_elevation)),
            ("neuro_screen", text(&content.neuro_screen)),
            ("palpation", text(&content.palpation)),
            ("special_tests", text(&content.special_tests)),
            ("impression", text(&content.impression)),
            ("plan", text(&content.plan)),
            ("goals", text(&content.goals)),
        ];
        for (key, value) in pairs {
            values.insert(key.to_owned(), value);
        }
        let number = |v: Option<i32>| v.map(|n| n.to_string()).unwrap_or_default();
        for (key, value) in [
            ("pain_now", content.pain_now),
            ("pain_best", content.pain_best),
            ("pain_worst", content.pain_worst),
            // A draft from before movements followed the region: its thoracic values.
            ("rom_thoracic-rotation-left", content.rotation_left),
            ("rom_thoracic-rotation-right", content.rotation_right),
            ("rom_thoracic-flexion", content.flexion),
            ("rom_thoracic-extension", content.extension),
        ] {
            values.insert(key.to_owned(), number(value));
        }
        for (flag, answer) in &content.red_flags {
            values.insert(format!("rf_{flag}"), answer.clone());
        }
        values.extend(entry_values(&content.outcomes));
        values.insert("assessed_at".into(), assessed_at.to_input(zone).to_string());
        Self {
            values,
            body_regions: content.body_regions.clone(),
        }
    }

    /// The form as typed, its time read as local wall time in `zone`.
    /// When the typed time happened twice (the clocks went back), what was recorded.
    fn time_note(&self, zone: Zone) -> Option<String> {
        zone.from_input(self.get("assessed_at"))
            .ok()
            .and_then(|taken| taken.ambiguity)
    }

    fn validate(
        &self,
        zone: Zone,
        outcomes: &OutcomeFields,
    ) -> Result<(NaiveDateTime, AssessmentContent), FormErrors> {
        let mut errors = FormErrors::default();
        let mut text = |field: &str, label: &str| -> String {
            errors
                .take(
                    field.to_owned(),
                    bounded_text(self.get(field), TEXT_LIMIT, label),
                )
                .unwrap_or_default()
        };
        let mut content = AssessmentContent {
            presenting_complaint: text("presenting_complaint", "The presenting complaint"),
            history: text("history", "The history"),
            onset_mechanism: text("onset_mechanism", "Onset and mechanism"),
            aggravating: text("aggravating", "Aggravating factors"),
            easing: text("easing", "Easing factors"),
            pattern_24h: text("pattern_24h", "The 24-hour pattern"),
            work_posture: text("work_posture", "Work and posture"),
            previous_episodes: text("previous_episodes", "Previous episodes"),
            medication: text("medication", "Medication"),
            posture: text("posture", "Posture"),
            shoulder_elevation: text("shoulder_elevation", "Shoulder elevation"),
            neuro_screen: text("neuro_screen", "The neurological screen"),
            palpation: text("palpation", "Palpation"),
            special_tests: text("special_tests", "Special tests"),
            impression: text("impression", "The clinical impression"),
            plan: text("plan", "The plan"),
            goals: text("goals", "Goals"),
            ..AssessmentContent::default()
        };
        let mut number = |field: &str, range: (i32, i32), label: &str| -> Option<i32> {
            errors
                .take(
                    field.to_owned(),
                    optional_int(self.get(field), range, label),
                )
                .flatten()
        };
        content.pain_now = number("pain_now", (0, 10), "Pain now");
        content.pain_best = number("pain_best", (0, 10), "Pain at best");
        content.pain_worst = number("pain_worst", (0, 10), "Pain at worst");
        if let (Some(best), Some(worst)) = (content.pain_best, content.pain_worst)
            && best > worst
        {
            errors.add(
                "pain_best",
                "Pain at best cannot be higher than pain at worst.",
            );
        }
        content.body_regions = self
            .body_regions
            .iter()
            .filter(|r| BODY_CHART.iter().any(|(k, _)| k == r))
            .cloned()
            .collect();
        for (flag, _) in RED_FLAGS {
            let answer = match self.get(&format!("rf_{flag}")) {
                "" => "not-asked",
                other => other,
            };
            if RED_FLAG_ANSWERS.iter().any(|(k, _)| *k == answer) {
                content
                    .red_flags
                    .push(((*flag).to_owned(), answer.to_owned()));
            } else {
                errors.add(format!("rf_{flag}"), "Answer yes, no or not asked.");
            }
        }
        content.outcomes = outcomes.read(|key| self.get(key).to_owned(), &mut errors);
        let assessed_at = match zone.past_from_input(self.get("assessed_at")) {
            // Assessments happen now or in the past.
            Ok(taken) => Some(taken.utc),
            Err(WallTimeError::Future) => {
                errors.add(
                    "assessed_at",
                    "The assessment time cannot be in the future.",
                );
                None
            }
            Err(WallTimeError::Skipped(why)) => {
                errors.add("assessed_at", why);
                None
            }
            Err(WallTimeError::Unreadable) => {
                errors.add("assessed_at", "Enter the date and time of the assessment.");
                None
            }
        };
        match assessed_at {
            Some(at) if errors.is_empty() => Ok((at, content)),
            _ => Err(errors),
        }
    }
}

#[derive(Template)]
#[template(path = "assessments/form.html")]
struct FormPage {
    layout: Layout,
    case: CaseRow,
    patient: Audited<PatientRow>,
    kind: AssessmentKind,
    action: String,
    form: AssessmentForm,
    errors: FormErrors,
    /// PSFS, movements and (after the first assessment) the global rating of change.
    outcomes: OutcomeFields,
    text_sections: &'static [(&'static str, &'static str)],
    objective_text: &'static [(&'static str, &'static str)],
    plan_text: &'static [(&'static str, &'static str)],
    pain_fields: &'static [(&'static str, &'static str)],
    body_chart: &'static [(&'static str, &'static str)],
    red_flag_list: &'static [(&'static str, &'static str)],
    answers: &'static [(&'static str, &'static str)],
    /// Why the case cannot be signed yet (no consent to treatment): its consent fields
    /// are shown, to record it in the same submit.
    consent_missing: Option<&'static str>,
    consent: ConsentForm,
}

impl FormPage {
    fn new(
        layout: Layout,
        case: CaseRow,
        patient: Audited<PatientRow>,
        kind: AssessmentKind,
        action: String,
        form: AssessmentForm,
        errors: FormErrors,
    ) -> Self {
        Self {
            layout,
            case,
            patient,
            kind,
            action,
            form,
            errors,
            outcomes: OutcomeFields::default(),
            text_sections: TEXT_SECTIONS,
            objective_text: OBJECTIVE_TEXT,
            plan_text: PLAN_TEXT,
            pain_fields: PAIN_FIELDS,
            body_chart: BODY_CHART,
            red_flag_list: RED_FLAGS,
            answers: RED_FLAG_ANSWERS,
            consent_missing: None,
            consent: ConsentForm::default(),
        }
    }

    /// The case's outcome fields (see `OutcomeFields::load`).
    fn with_outcomes(mut self, outcomes: OutcomeFields) -> Self {
        self.outcomes = outcomes;
        self
    }

    /// Shows the consent fields when the case has no consent to treatment.
    fn with_consent(mut self, missing: Option<&'static str>, zone: Zone) -> Self {
        self.consent_missing = missing;
        self.consent = self.form.consent().or_blank(zone);
        self
    }
}

#[derive(Deserialize)]
struct KindQuery {
    #[serde(default)]
    kind: String,
}

async fn new_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    case_id: web::Path<i64>,
    query: web::Query<KindQuery>,
) -> Result<HttpResponse, AppError> {
    let case_id = case_id.into_inner();
    let kind = AssessmentKind::parse(&query.kind).unwrap_or(AssessmentKind::Initial);
    let who = actor(&req);
    let (patient, (case, initial, missing)) = state
        .audited(who, move |c| {
            let loaded = store::cases::find_with_patient(c, case_id)?;
            let initial = store::assessments::initial_in_the_way(c, case_id, kind)?;
            let missing = store::consent::treatment_consent_missing(c, case_id)?;
            let event = Event::new(Action::CaseRead)
                .entity("case", case_id)
                .patient(loaded.0.patient_id)
                .detail("new assessment form");
            Ok(((loaded, initial, missing), event))
        })
        .await?
        .take(|((case, patient), initial, missing)| (patient, (case, initial, missing)));
    if !case.is_open() {
        return Err(AppError::NotFound);
    }
    if let Some(at) = initial {
        return Ok(state.redirect_with_flash(
            &format!("/cases/{case_id}/assessments/new?kind=review"),
            &second_initial(at),
        ));
    }
    let mut form = AssessmentForm::default();
    form.values
        .insert("assessed_at".into(), state.zone().now_input());
    let outcomes = OutcomeFields::load(&state, &case, kind != AssessmentKind::Initial).await?;
    let page = FormPage::new(
        Layout::new(&req, &state, kind.label()),
        case,
        patient,
        kind,
        format!("/cases/{case_id}/assessments?kind={}", kind.as_str()),
        form,
        FormErrors::default(),
    )
    .with_outcomes(outcomes)
    .with_consent(missing, state.zone());
    render(&req, &page)
}

/// Why a case gets no second initial assessment, and what happens instead.
fn second_initial(at: NaiveDateTime) -> String {
    format!(
        "This case already has an initial assessment ({}), so this one is a review. \
         An initial assessment still in draft is finished from the case's timeline.",
        at.date()
    )
}

/// Where a refused assessment form is shown again: its case, kind, action and outcome fields.
struct FormTarget {
    case_id: i64,
    kind: AssessmentKind,
    action: String,
    outcomes: OutcomeFields,
}

/// The form again with what was typed and why it was refused (`missing` says why the case
/// has no consent to treatment, when it has none).
async fn refused_form(
    req: &HttpRequest,
    state: &AppState,
    target: &FormTarget,
    form: AssessmentForm,
    errors: FormErrors,
    missing: Option<&'static str>,
) -> Result<HttpResponse, AppError> {
    refuse_without_consent(req, &errors, missing).await?;
    let (case, patient) =
        audited_case(state, actor(req), target.case_id, "assessment form").await?;
    let page = FormPage::new(
        Layout::new(req, state, target.kind.label()),
        case,
        patient,
        target.kind,
        target.action.clone(),
        form,
        errors,
    )
    .with_outcomes(target.outcomes.clone())
    .with_consent(missing, state.zone());
    render_with_status(req, &page, StatusCode::UNPROCESSABLE_ENTITY)
}

fn wants_sign(form: &AssessmentForm) -> bool {
    form.get("intent") == "sign"
}

async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    case_id: web::Path<i64>,
    query: web::Query<KindQuery>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let case_id = case_id.into_inner();
    let kind = AssessmentKind::parse(&query.kind).map_err(AppError::BadRequest)?;
    let form = AssessmentForm::from_pairs(pairs);
    let ((case, patient), initial, missing) = state
        .read(move |conn| {
            let initial = store::assessments::initial_in_the_way(conn, case_id, kind)?;
            let missing = store::consent::treatment_consent_missing(conn, case_id)?;
            Ok::<_, AppError>((
                store::cases::find_with_patient(conn, case_id)?,
                initial,
                missing,
            ))
        })
        .await?;
    if !case.is_open() {
        return Err(AppError::NotFound);
    }
    // A second initial assessment (another tab, an old form): what was typed comes back
    // as a review, to check and save.
    if let Some(at) = initial {
        let mut errors = FormErrors::default();
        errors.add("kind", second_initial(at));
        let (case, patient) = audited_case(&state, actor(&req), case_id, "assessment form").await?;
        let outcomes = OutcomeFields::load(&state, &case, true).await?;
        let page = FormPage::new(
            Layout::new(&req, &state, AssessmentKind::Review.label()),
            case,
            patient,
            AssessmentKind::Review,
            format!("/cases/{case_id}/assessments?kind=review"),
            form,
            errors,
        )
        .with_outcomes(outcomes)
        .with_consent(missing, state.zone());
        return render_with_status(&req, &page, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let outcomes = OutcomeFields::load(&state, &case, kind != AssessmentKind::Initial).await?;
    let target = FormTarget {
        case_id,
        kind,
        action: format!("/cases/{case_id}/assessments?kind={}", kind.as_str()),
        outcomes,
    };
    let (assessed_at, content, consent) = match checked(
        &form,
        &target.outcomes,
        kind,
        &case,
        &patient,
        state.zone(),
        missing,
    ) {
        Ok(valid) => valid,
        Err(errors) => return refused_form(&req, &state, &target, form, errors, missing).await,
    };
    let sign_now = wants_sign(&form);
    let written = Written {
        assessed_at,
        content,
        sign: sign_now,
        consent,
    };
    let who = actor(&req);
    let author = staff.user_id;
    let id = match state
        .change(move |c| store::assessments::write(c, &who, case_id, kind, author, &written))
        .await
    {
        Ok(id) => id,
        // Consent withdrawn since the form was read: shown as on any refused form.
        Err(AppError::Refused { field, message }) => {
            let missing = state
                .read(move |c| Ok(store::consent::treatment_consent_missing(c, case_id)?))
                .await?;
            let errors = FormErrors::one(field, message);
            return refused_form(&req, &state, &target, form, errors, missing).await;
        }
        Err(other) => return Err(other),
    };
    let message = if sign_now {
        "The assessment is signed."
    } else {
        "The draft is saved. Sign it when it is complete."
    };
    let message = with_note(message, form.time_note(state.zone()));
    Ok(state.redirect_with_flash(&format!("/assessments/{id}"), &message))
}

/// Everything a written assessment must pass: the form's checks, the case's dates, and
/// (when it is to be signed) that it is not blank and the case has consent to treatment,
/// or the form records it (`missing` says why the case has none).
fn checked(
    form: &AssessmentForm,
    outcomes: &OutcomeFields,
    kind: AssessmentKind,
    case: &CaseRow,
    patient: &PatientRow,
    zone: Zone,
    missing: Option<&'static str>,
) -> Result<(NaiveDateTime, AssessmentContent, Option<NewConsent>), FormErrors> {
    let valid = within_case(form.validate(zone, outcomes), case, patient, zone)
        .and_then(|valid| signable(valid, kind, wants_sign(form)));
    let consent = form.consent().for_signing(missing, wants_sign(form), zone);
    match (valid, consent) {
        (Ok((at, content)), Ok(consent)) => Ok((at, content, consent)),
        (Err(mut errors), Err(more)) => {
            errors.0.extend(more.0);
            Err(errors)
        }
        (Err(errors), _) | (_, Err(errors)) => Err(errors),
    }
}

/// A signature refused for want of consent is audited, as every refusal is.
async fn refuse_without_consent(
    req: &HttpRequest,
    errors: &FormErrors,
    missing: Option<&'static str>,
) -> Result<(), AppError> {
    if let Some(why) = missing
        && errors.get("consent_method") == why
    {
        record_refusal(req, Action::ConsentSigningRefused).await?;
    }
    Ok(())
}

/// The form's checks, then the case's: an assessment (and the pain scores in it) cannot
/// be dated before the case allows (see `CaseRow::too_early`).
fn within_case(
    validated: Result<(NaiveDateTime, AssessmentContent), FormErrors>,
    case: &CaseRow,
    patient: &PatientRow,
    zone: Zone,
) -> Result<(NaiveDateTime, AssessmentContent), FormErrors> {
    let (assessed_at, content) = validated?;
    match case.too_early(assessed_at, patient.date_of_birth, zone) {
        None => Ok((assessed_at, content)),
        Some(problem) => {
            let mut errors = FormErrors::default();
            errors.add("assessed_at", problem);
            Err(errors)
        }
    }
}

/// Refuses to sign a blank assessment (see `AssessmentContent::is_blank`); a blank
/// draft may still be saved.
/// An initial assessment is signed only with the whole red-flag screen answered: each
/// question left "not asked" is named beside it.
fn signable(
    valid: (NaiveDateTime, AssessmentContent),
    kind: AssessmentKind,
    signing: bool,
) -> Result<(NaiveDateTime, AssessmentContent), FormErrors> {
    if signing && valid.1.is_blank() {
        let mut errors = FormErrors::default();
        errors.add("presenting_complaint", BLANK_SIGNING);
        return Err(errors);
    }
    if signing && kind == AssessmentKind::Initial {
        let unanswered = valid.1.unanswered_screen();
        if !unanswered.is_empty() {
            let mut errors = FormErrors::default();
            for (flag, label) in unanswered {
                errors.add(
                    format!("rf_{flag}"),
                    format!("{label}: answer yes or no before signing an initial assessment (not asked)."),
                );
            }
            return Err(errors);
        }
    }
    Ok(valid)
}

/// How a record written before a screen question existed shows that question.
const PREDATES_QUESTION: &str = "Not asked (the screen predates this question)";

const BLANK_SIGNING: &str = "Record at least one finding before signing: a signed assessment can never be changed. To finish it later, save it as a draft.";

pub struct ShownSection {
    pub label: &'static str,
    pub text: String,
}

#[derive(Template)]
#[template(path = "assessments/show.html")]
struct ShowPage {
    layout: Layout,
    assessment: AssessmentRow,
    kind: AssessmentKind,
    case: CaseRow,
    patient: Audited<PatientRow>,
    author: String,
    content: AssessmentContent,
    subjective: Vec<ShownSection>,
    objective: Vec<ShownSection>,
    closing: Vec<ShownSection>,
    regions: Vec<&'static str>,
    red_flags: Vec<(&'static str, &'static str)>,
    measures: ShownMeasures,
    addenda: Vec<Addendum>,
    is_author: bool,
    addendum: String,
    errors: FormErrors,
}

fn sections(
    content: &AssessmentContent,
    keys: &[(&'static str, &'static str)],
) -> Vec<ShownSection> {
    keys.iter()
        .map(|(key, label)| {
            let text = match *key {
                "presenting_complaint" => &content.presenting_complaint,
                "history" => &content.history,
                "onset_mechanism" => &content.onset_mechanism,
                "aggravating" => &content.aggravating,
                "easing" => &content.easing,
                "pattern_24h" => &content.pattern_24h,
                "work_posture" => &content.work_posture,
                "previous_episodes" => &content.previous_episodes,
                "medication" => &content.medication,
                "posture" => &content.posture,
                "shoulder_elevation" => &content.shoulder_elevation,
                "neuro_screen" => &content.neuro_screen,
                "palpation" => &content.palpation,
                "special_tests" => &content.special_tests,
                "impression" => &content.impression,
                "plan" => &content.plan,
                _ => &content.goals,
            };
            ShownSection {
                label,
                text: text.clone(),
            }
        })
        .filter(|s| !s.text.is_empty())
        .collect()
}

/// What an assessment's pages show, read with their audit event.
type AssessmentView = (
    AssessmentRow,
    CaseRow,
    Audited<PatientRow>,
    String,
    Vec<Addendum>,
);

async fn load_for_page(
    state: &AppState,
    req: &HttpRequest,
    id: i64,
    detail: &'static str,
) -> Result<AssessmentView, AppError> {
    let who = actor(req);
    state
        .audited(who, move |c| {
            let assessment = store::assessments::find(c, id)?;
            let (case, patient) = store::cases::find_with_patient(c, assessment.case_id)?;
            let author = user_name(c, assessment.author_id)?;
            let addenda = store::assessments::addenda_of(c, id)?;
            let event = Event::new(Action::AssessmentRead)
                .entity("assessment", id)
                .patient(case.patient_id)
                .detail(detail);
            Ok(((assessment, case, patient, author, addenda), event))
        })
        .await
        .map(|read| {
            let (patient, (assessment, case, author, addenda)) =
                read.take(|(a, c, patient, author, addenda)| (patient, (a, c, author, addenda)));
            (assessment, case, patient, author, addenda)
        })
}

fn show_page(
    req: &HttpRequest,
    state: &AppState,
    staff_id: i64,
    (assessment, case, patient, author, addenda): AssessmentView,
    addendum: String,
    errors: FormErrors,
) -> Result<ShowPage, AppError> {
    let content = assessment.content()?;
    Ok(ShowPage {
        layout: Layout::new(req, state, assessment.kind().label()),
        measures: ShownMeasures::of(&content.outcomes),
        kind: assessment.kind(),
        subjective: sections(&content, TEXT_SECTIONS),
        objective: sections(&content, OBJECTIVE_TEXT),
        closing: sections(&content, PLAN_TEXT),
        regions: content
            .body_regions
            .iter()
            .map(|r| label_of(BODY_CHART, r))
            .collect(),
        red_flags: RED_FLAGS
            .iter()
            .map(|(flag, label)| {
                let answer = content
                    .red_flags
                    .iter()
                    .find(|(stored, _)| stored == flag)
                    .map_or(PREDATES_QUESTION, |(_, answer)| {
                        label_of(RED_FLAG_ANSWERS, answer)
                    });
                (*label, answer)
            })
            .collect(),
        is_author: assessment.author_id == staff_id,
        content,
        assessment,
        case,
        patient,
        author,
        addenda,
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
    let loaded = load_for_page(&state, &req, id.into_inner(), "view").await?;
    let page = show_page(
        &req,
        &state,
        staff.user_id,
        loaded,
        String::new(),
        FormErrors::default(),
    )?;
    render(&req, &page)
}

#[derive(Template)]
#[template(path = "assessments/locked.html")]
struct LockedPage {
    layout: Layout,
    id: i64,
    message: &'static str,
}

/// A signed assessment cannot be edited, and only its author edits or signs a draft.
async fn refuse_change(
    req: &HttpRequest,
    state: &AppState,
    row: &AssessmentRow,
    staff_id: i64,
) -> Result<Option<HttpResponse>, AppError> {
    if !row.is_draft() {
        record_refusal(req, Action::AssessmentChangeRefused).await?;
        let page = LockedPage {
            layout: Layout::new(req, state, "Signed assessment"),
            id: row.id,
            message: "This assessment is signed and cannot be changed by anyone. To correct or add to it, write an addendum.",
        };
        return render_with_status(req, &page, StatusCode::CONFLICT).map(Some);
    }
    if row.author_id != staff_id {
        record_refusal(req, Action::AssessmentChangeRefused).await?;
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
    let (assessment, case, patient, _, _) = load_for_page(&state, &req, id, "edit form").await?;
    if let Some(refusal) = refuse_change(&req, &state, &assessment, staff.user_id).await? {
        return Ok(refusal);
    }
    let case_id = case.id;
    let missing = state
        .read(move |c| Ok(store::consent::treatment_consent_missing(c, case_id)?))
        .await?;
    let form =
        AssessmentForm::from_content(&assessment.content()?, assessment.assessed_at, state.zone());
    let outcomes =
        OutcomeFields::load(&state, &case, assessment.kind() != AssessmentKind::Initial).await?;
    let page = FormPage::new(
        Layout::new(&req, &state, assessment.kind().label()),
        case,
        patient,
        assessment.kind(),
        format!("/assessments/{id}/edit"),
        form,
        FormErrors::default(),
    )
    .with_outcomes(outcomes)
    .with_consent(missing, state.zone());
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
    let (assessment, case, patient, missing) = state
        .read(move |conn| {
            let assessment = store::assessments::find(conn, id)?;
            let (case, patient) = store::cases::find_with_patient(conn, assessment.case_id)?;
            let missing = store::consent::treatment_consent_missing(conn, case.id)?;
            Ok((assessment, case, patient, missing))
        })
        .await?;
    if let Some(refusal) = refuse_change(&req, &state, &assessment, staff.user_id).await? {
        return Ok(refusal);
    }
    let form = AssessmentForm::from_pairs(pairs);
    let case_id = case.id;
    let kind = assessment.kind();
    let outcomes = OutcomeFields::load(&state, &case, kind != AssessmentKind::Initial).await?;
    let target = FormTarget {
        case_id,
        kind,
        action: format!("/assessments/{id}/edit"),
        outcomes,
    };
    let (assessed_at, content, consent) = match checked(
        &form,
        &target.outcomes,
        kind,
        &case,
        &patient,
        state.zone(),
        missing,
    ) {
        Ok(valid) => valid,
        Err(errors) => return refused_form(&req, &state, &target, form, errors, missing).await,
    };
    let sign_now = wants_sign(&form);
    let written = Written {
        assessed_at,
        content,
        sign: sign_now,
        consent,
    };
    let who = actor(&req);
    match state
        .change(move |c| store::assessments::revise(c, &who, id, &written))
        .await
    {
        Ok(()) => {}
        // Consent withdrawn since the form was read: shown as on any refused form.
        Err(AppError::Refused { field, message }) => {
            let missing = state
                .read(move |c| Ok(store::consent::treatment_consent_missing(c, case_id)?))
                .await?;
            let errors = FormErrors::one(field, message);
            return refused_form(&req, &state, &target, form, errors, missing).await;
        }
        Err(other) => return Err(other),
    }
    let message = if sign_now {
        "The assessment is signed."
    } else {
        "The draft is saved."
    };
    let message = with_note(message, form.time_note(state.zone()));
    Ok(state.redirect_with_flash(&format!("/assessments/{id}"), &message))
}

async fn sign(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let assessment = state
        .read(move |conn| Ok(store::assessments::find(conn, id)?))
        .await?;
    if let Some(refusal) = refuse_change(&req, &state, &assessment, staff.user_id).await? {
        return Ok(refusal);
    }
    let content = assessment.content()?;
    if content.is_blank() {
        return Ok(state.redirect_with_flash(&format!("/assessments/{id}/edit"), BLANK_SIGNING));
    }
    if let Err(crate::store::Refusal::Rule { message, .. }) =
        store::assessments::screen_complete(assessment.kind(), &content)
    {
        return Ok(state.redirect_with_flash(&format!("/assessments/{id}/edit"), &message));
    }
    let case_id = assessment.case_id;
    let missing = state
        .read(move |c| Ok(store::consent::treatment_consent_missing(c, case_id)?))
        .await?;
    // Without consent to treatment the edit form takes it and signs in one step.
    let no_consent = |why: &str| {
        let (req, state) = (req.clone(), state.clone());
        let why = why.to_owned();
        async move {
            record_refusal(&req, Action::ConsentSigningRefused).await?;
            Ok::<_, AppError>(state.redirect_with_flash(&format!("/assessments/{id}/edit"), &why))
        }
    };
    if let Some(why) = missing {
        return no_consent(why).await;
    }
    let who = actor(&req);
    match state
        .change(move |c| store::assessments::sign(c, &who, id))
        .await
    {
        Ok(()) => {}
        Err(AppError::Refused { message, .. }) => return no_consent(&message).await,
        Err(other) => return Err(other),
    }
    Ok(state.redirect_with_flash(&format!("/assessments/{id}"), "The assessment is signed."))
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
                .change(move |c| store::assessments::add_addendum(c, &who, id, author, &body))
                .await
        }
        Err(refused) => Err(refused),
    };
    match added {
        Ok(_) => Ok(state.redirect_with_flash(
            &format!("/assessments/{id}"),
            "The addendum has been added.",
        )),
        Err(AppError::Refused { field, message }) => {
            let loaded = load_for_page(&state, &req, id, "view").await?;
            let errors = FormErrors::one(field, message);
            let page = show_page(&req, &state, staff.user_id, loaded, form.body, errors)?;
            render_with_status(&req, &page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(e),
    }
}
