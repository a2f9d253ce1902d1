//! Pain over time: therapists' scores, the chart and summary shown on case and portal pages.

use crate::store;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::auth::Staff;
use crate::auth::csrf::CsrfForm;
use crate::domain::FormErrors;
use crate::error::AppError;
use crate::store::audit::{self, Action, Event};
use crate::store::cases::CaseRow;
use crate::store::patients::PatientRow;
use crate::views::pain::PainForm;
use crate::web::Audited;
use crate::web::audited_case;
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
            form: PainForm::blank(),
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
    let valid = match form.validate() {
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
    let author = staff.user_id;
    let stored = state
        .write(move |c| {
            let (case, patient) = store::cases::find_with_patient(c, case_id)?;
            if case.status.is_entered_in_error() {
                return Err(AppError::NotFound);
            }
            if let Some(problem) = case.too_early(valid.recorded_at, patient.date_of_birth) {
                return Ok(Err(problem));
            }
            let inserted = store::pain::insert_score(
                c,
                &store::pain::NewPainScore {
                    case_id,
                    score: valid.score,
                    context: valid.context.as_str(),
                    recorded_at: valid.recorded_at,
                    recorded_by: author,
                    recorder_role: "therapist",
                    note: &valid.note,
                    idempotency_key: &valid.key,
                },
            )?;
            if inserted {
                audit::record(
                    c,
                    &who,
                    Event::new(Action::PainRecorded)
                        .entity("case", case_id)
                        .patient(case.patient_id),
                )?;
            }
            Ok::<_, AppError>(Ok(inserted))
        })
        .await;
    match stored {
        // Two copies of one request raced: the key's unique index let one through.
        Ok(Ok(_)) | Err(AppError::Conflict(_)) => {
            Ok(state
                .redirect_with_flash(&format!("/cases/{case_id}"), "The pain score is recorded."))
        }
        Ok(Err(problem)) => {
            let (case, patient) = audited_case(&state, who_again, case_id, "pain form").await?;
            let mut errors = FormErrors::default();
            errors.add("recorded_at", problem);
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
