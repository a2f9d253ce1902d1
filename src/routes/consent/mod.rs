//! Consent on a case: where each kind stands, every decision recorded, and the form that
//! records consent given or withdrawn. Nothing recorded here is ever changed or removed.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::dates::Shown;
use crate::domain::FormErrors;
use crate::error::AppError;
use crate::store;
use crate::store::audit::{Action, Event};
use crate::store::cases::CaseRow;
use crate::store::consent::{ConsentKind, ConsentLine};
use crate::store::patients::PatientRow;
use crate::views::consent::ConsentForm;
use crate::web::csrf::CsrfForm;
use crate::web::{AppState, Audited, Layout, Staff, actor, render, render_with_status};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/cases/{id}/consent", web::get().to(page))
        .route("/cases/{id}/consent", web::post().to(record));
}

#[derive(Template)]
#[template(path = "consent/page.html")]
struct ConsentPage {
    layout: Layout,
    case: CaseRow,
    patient: Audited<PatientRow>,
    standing: Vec<(ConsentKind, Option<ConsentLine>)>,
    history: Vec<ConsentLine>,
    consent: ConsentForm,
    errors: FormErrors,
}

async fn load(
    state: &AppState,
    req: &HttpRequest,
    case_id: i64,
) -> Result<(CaseRow, Audited<PatientRow>, Vec<ConsentLine>), AppError> {
    let (patient, (case, history)) = state
        .audited(actor(req), move |c| {
            let (case, patient) = store::cases::find_with_patient(c, case_id)?;
            let history = store::consent::history(c, case_id)?;
            let event = Event::new(Action::CaseRead)
                .entity("case", case_id)
                .patient(case.patient_id)
                .detail("consent");
            Ok(((patient, (case, history)), event))
        })
        .await?
        .take(|(patient, rest)| (patient, rest));
    if case.status.is_entered_in_error() {
        return Err(AppError::NotFound);
    }
    Ok((case, patient, history))
}

fn consent_page(
    req: &HttpRequest,
    state: &AppState,
    (case, patient, history): (CaseRow, Audited<PatientRow>, Vec<ConsentLine>),
    consent: ConsentForm,
    errors: FormErrors,
) -> ConsentPage {
    ConsentPage {
        layout: Layout::new(req, state, "Consent"),
        standing: store::consent::standing(&history),
        case,
        patient,
        history,
        consent,
        errors,
    }
}

async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let loaded = load(&state, &req, id.into_inner()).await?;
    let page = consent_page(
        &req,
        &state,
        loaded,
        ConsentForm::blank(state.zone()),
        FormErrors::default(),
    );
    render(&req, &page)
}

async fn record(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let case_id = id.into_inner();
    let form = ConsentForm::from_pairs(&pairs);
    let refused = match form.validate(state.zone()) {
        Ok(new) => {
            let who = actor(&req);
            let recorder = staff.user_id;
            let message = format!(
                "Consent recorded: {}, {}.",
                new.kind.label().to_lowercase(),
                new.decision.label()
            );
            match state
                .change(move |c| store::consent::record(c, &who, case_id, recorder, &new))
                .await
            {
                Ok(_) => {
                    return Ok(
                        state.redirect_with_flash(&format!("/cases/{case_id}#consent"), &message)
                    );
                }
                Err(AppError::Refused { field, message }) => FormErrors::one(field, message),
                Err(other) => return Err(other),
            }
        }
        Err(errors) => errors,
    };
    let loaded = load(&state, &req, case_id).await?;
    let page = consent_page(&req, &state, loaded, form, refused);
    render_with_status(&req, &page, StatusCode::UNPROCESSABLE_ENTITY)
}
