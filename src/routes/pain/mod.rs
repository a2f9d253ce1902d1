//! Pain over time: therapists' scores, the chart and summary shown on case and portal pages.

use crate::store;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::domain::FormErrors;
use crate::error::AppError;
use crate::store::cases::CaseRow;
use crate::store::patients::PatientRow;
use crate::views::pain::{PainForm, with_note};
use crate::web::Audited;
use crate::web::Staff;
use crate::web::audited_case;
use crate::web::csrf::CsrfForm;
use crate::web::{AppState, Layout, actor, render, render_with_status};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/cases/{id}/pain/new", web::get().to(new_page))
        .route("/cases/{id}/pain", web::post().to(record));
}

#[derive(Template)]
#[template(path = "pain/new.html")]
struct NewPage {
    layout: Layout,
    case: CaseRow,
    patient: Audited<PatientRow>,
    form: PainForm,
    errors: FormErrors,
}

async fn new_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    case_id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let case_id = case_id.into_inner();
    let (case, patient) = audited_case(&state, actor(&req), case_id, "pain form").await?;
    render(
        &req,
        &NewPage {
            layout: Layout::new(&req, &state, "Record pain"),
            case,
            patient,
            form: PainForm::blank(state.zone()),
            errors: FormErrors::default(),
        },
    )
}

async fn record(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    case_id: web::Path<i64>,
    CsrfForm(form): CsrfForm<PainForm>,
) -> Result<HttpResponse, AppError> {
    let case_id = case_id.into_inner();
    let zone = state.zone();
    let valid = match form.validate(zone) {
        Ok(valid) => valid,
        Err(errors) => {
            let (case, patient) = audited_case(&state, actor(&req), case_id, "pain form").await?;
            let page = NewPage {
                layout: Layout::new(&req, &state, "Record pain"),
                case,
                patient,
                form,
                errors,
            };
            return render_with_status(&req, &page, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let who = actor(&req);
    let who_again = who.clone();
    let therapist_id = staff.user_id;
    let stored = state
        .write(move |c| {
            Ok(store::pain::record_for_case(
                c,
                &who,
                therapist_id,
                case_id,
                &valid,
            )?)
        })
        .await;
    match stored {
        // Two copies of one request raced: the key's unique index let one through.
        Ok(_) | Err(AppError::Conflict(_)) => {
            let message = with_note("The pain score is recorded.", form.time_note(zone));
            Ok(state.redirect_with_flash(&format!("/cases/{case_id}"), &message))
        }
        Err(AppError::Refused { field, message }) => {
            let (case, patient) = audited_case(&state, who_again, case_id, "pain form").await?;
            let mut errors = FormErrors::default();
            errors.add(field, message);
            let page = NewPage {
                layout: Layout::new(&req, &state, "Record pain"),
                case,
                patient,
                form,
                errors,
            };
            render_with_status(&req, &page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(e),
    }
}
