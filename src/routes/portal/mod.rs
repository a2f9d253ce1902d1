//! The patient portal (/me) and, for staff, giving and revoking a patient's access.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::dates::Zone;
use crate::domain::clinical::{STOP_SYMPTOMS, StopSymptom, stop_symptom};
use crate::domain::{Email, FormErrors};
use crate::error::AppError;
use crate::store;
use crate::store::audit::{Action, Event};
use crate::store::pain as pain_queries;
use crate::store::patients::{self as patient_queries, PatientRow};
use crate::store::programmes as programme_queries;
use crate::store::users as user_queries;
use crate::views::library::Thumbnail;
use crate::views::pain::{PainForm, PainPanel, pain_panel};
use crate::views::sheet::{
    PrintQuery, SheetBlocked, SheetExercise, pdf_response, prepare_sheet, sheet_exercises,
};
use crate::web::Audited;
use crate::web::audited_patient;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::{AppState, Layout, actor, render, render_with_status};
use crate::web::{Patient, Staff};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/patients/{id}/portal", web::get().to(access_page))
        .route("/patients/{id}/portal", web::post().to(give_access))
        .route(
            "/patients/{id}/portal/revoke",
            web::post().to(revoke_access),
        )
        .route("/me", web::get().to(portal_home))
        .route("/me/programme.pdf", web::get().to(portal_pdf))
        .route("/me/pain", web::post().to(portal_pain))
        .route("/me/done", web::post().to(portal_done))
        .route("/me/done/undo", web::post().to(portal_undo_done))
        .route("/me/time-zone", web::post().to(portal_time_zone));
}

/// A QR code as inline SVG (presentation attributes only, so the CSP needs no inline style).
pub fn qr_svg(text: &str, label: &str) -> Result<String, AppError> {
    let code = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| AppError::Internal(format!("QR code: {e}")))?;
    let width = code.width();
    let colors = code.to_colors();
    let quiet = 4;
    let size = width + 2 * quiet;
    let mut path = String::new();
    for (i, color) in colors.iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (x, y) = (i % width + quiet, i / width + quiet);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    let label = label
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;");
    Ok(format!(
        r##"<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="200" height="200" role="img" aria-label="{label}" shape-rendering="crispEdges"><rect width="{size}" height="{size}" fill="#fff"/><path d="{path}" fill="#000"/></svg>"##
    ))
}

// ---- staff: portal access

#[derive(Template)]
#[template(path = "portal/access.html")]
struct AccessPage {
    layout: Layout,
    patient: Audited<PatientRow>,
    status: &'static str,
    email: String,
    errors: FormErrors,
    link: Option<String>,
    qr: String,
}

fn access_status(user: Option<&user_queries::UserRow>) -> &'static str {
    match user {
        None => "none",
        Some(u) if !u.active => "revoked",
        Some(u) if u.password_hash.is_none() => "invited",
        Some(_) => "active",
    }
}

async fn access_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let who = actor(&req);
    let (patient, user) = state
        .audited(who, move |c| {
            let patient = patient_queries::find(c, id)?;
            let user = store::portal::portal_user(c, id)?;
            let event = Event::new(Action::PatientRead)
                .entity("patient", id)
                .patient(id)
                .detail("portal access");
            Ok(((patient, user), event))
        })
        .await?
        .take(|(patient, user)| (patient, user));
    let email = user
        .as_ref()
        .map(|u| u.email.clone())
        .unwrap_or_else(|| patient.email.clone());
    render(
        &req,
        &AccessPage {
            layout: Layout::new(&req, &state, "Portal access"),
            status: access_status(user.as_ref()),
            patient,
            email,
            errors: FormErrors::default(),
            link: None,
            qr: String::new(),
        },
    )
}

#[derive(Deserialize)]
struct AccessForm {
    #[serde(default)]
    email: String,
}

async fn give_access(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<AccessForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let who = actor(&req);
    let staff_id = staff.user_id;
    let outcome = match Email::parse(&form.email) {
        Ok(email) => {
            state
                .change(move |c| store::portal::give_access(c, &who, id, &email, staff_id))
                .await
        }
        Err(message) => Err(AppError::Refused {
            field: "email",
            message,
        }),
    };
    // The page shows the patient's details: a read, audited as such.
    let patient = audited_patient(&state, actor(&req), id, "portal access").await?;
    match outcome {
        Ok((user, raw)) => {
            let link = state.link(&format!("/setup/{raw}"));
            let qr = qr_svg(&link, "QR code of the patient's sign-in link")?;
            render(
                &req,
                &AccessPage {
                    layout: Layout::new(&req, &state, "Portal access"),
                    status: access_status(Some(&user)),
                    email: user.email,
                    patient,
                    errors: FormErrors::default(),
                    link: Some(link),
                    qr,
                },
            )
        }
        Err(AppError::Refused { field, message }) => {
            let existing = state
                .read(move |c| Ok(store::portal::portal_user(c, id)?))
                .await?;
            let errors = FormErrors::one(field, message);
            let page = AccessPage {
                layout: Layout::new(&req, &state, "Portal access"),
                status: access_status(existing.as_ref()),
                patient,
                email: form.email,
                errors,
                link: None,
                qr: String::new(),
            };
            render_with_status(&req, &page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(e),
    }
}

async fn revoke_access(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    id: web::Path<i64>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let who = actor(&req);
    state
        .change(move |c| store::portal::revoke_access(c, &who, id))
        .await?;
    Ok(state.redirect_with_flash(
        &format!("/patients/{id}/portal"),
        "Portal access is revoked and the patient is signed out.",
    ))
}

// ---- the patient's own pages

#[derive(Template)]
#[template(path = "portal/home.html")]
struct PortalPage {
    layout: Layout,
    name: String,
    has_case: bool,
    /// No open case, but an earlier one was discharged: treatment has ended.
    discharged: bool,
    /// The clinic's phone number for the stop box, when the clinic has set one.
    clinic_phone: String,
    version: Option<i32>,
    therapist: String,
    notes: String,
    exercises: Vec<SheetExercise>,
    exercise_ids: Vec<i64>,
    /// What each exercise shows, in the programme's order.
    pictures: Vec<Vec<Thumbnail>>,
    done_today: Vec<i64>,
    pain: PainPanel,
    pain_form: PainForm,
    errors: FormErrors,
    stop_symptoms: &'static [StopSymptom],
    /// Stop symptoms the patient reported that wait for the therapist: the programme is
    /// held back and the page says whom to call.
    reported: Vec<&'static StopSymptom>,
    /// Called first when a reported symptom is chest pain or difficulty breathing.
    emergency_number: String,
    can_print: bool,
    /// Red flags wait for the therapist: the patient is asked to call before exercising.
    review_pending: bool,
    /// The patient's own zone, when set; the select's choices.
    own_zone: String,
    zones: Vec<(&'static str, Vec<&'static str>)>,
    clinic_zone: &'static str,
}

impl PortalPage {
    fn emergency(&self) -> bool {
        self.reported.iter().any(|s| s.emergency)
    }

    fn is_done(&self, index: &usize) -> bool {
        self.exercise_ids
            .get(*index)
            .is_some_and(|id| self.done_today.contains(id))
    }

    fn exercise_id(&self, index: &usize) -> i64 {
        self.exercise_ids.get(*index).copied().unwrap_or(0)
    }

    fn pictures_of(&self, index: &usize) -> &[Thumbnail] {
        self.pictures.get(*index).map_or(&[], Vec::as_slice)
    }
}

fn patient_id_of(patient: &Patient) -> Result<i64, AppError> {
    patient.patient_id.ok_or(AppError::Forbidden)
}

/// The zone a patient's day follows: their own when they set one, else the clinic's.
async fn patient_zone(state: &AppState, patient: &Patient) -> Result<Option<Zone>, AppError> {
    let user_id = patient.user_id;
    state
        .read(move |c| Ok(crate::store::users::own_zone(c, user_id)?))
        .await
}

async fn portal_page(
    req: &HttpRequest,
    state: &AppState,
    patient: &Patient,
    form: PainForm,
    errors: FormErrors,
) -> Result<PortalPage, AppError> {
    let patient_id = patient_id_of(patient)?;
    let who = actor(req);
    let own_zone = patient_zone(state, patient).await?;
    let zone = own_zone.unwrap_or(state.zone());
    let today = zone.today();
    let mut layout = Layout::new(req, state, "My programme");
    layout.zone = zone;
    let loaded = state
        .audited(who, move |c| {
            let record = patient_queries::find(c, patient_id)?;
            let case = store::portal::portal_case(c, patient_id)?;
            let mut data = None;
            let discharged = case.is_none() && store::portal::has_discharged_case(c, patient_id)?;
            let (clinic_phone, emergency_number) = if case.is_some() {
                let settings = crate::store::settings::load(c)?;
                (settings.phone, settings.emergency_number)
            } else {
                (String::new(), String::new())
            };
            if let Some(case) = &case {
                let version = programme_queries::current(c, case.id)?;
                let exercises = match &version {
                    Some(v) => sheet_exercises(v),
                    None => Vec::new(),
                };
                let ids: Vec<i64> = version
                    .iter()
                    .flat_map(|v| v.items.iter().map(|i| i.exercise_id))
                    .collect();
                let mut shown = crate::views::library::pictures_of(c, &ids)?;
                let pictures: Vec<Vec<Thumbnail>> = ids
                    .iter()
                    .map(|id| shown.remove(id).unwrap_or_default())
                    .collect();
                let scores = pain_queries::case_scores(c, case.id)?;
                let marks = pain_queries::version_marks(c, case.id)?;
                let done = pain_queries::ticked_on(c, case.id, today)?;
                let therapist = patient_queries::user_name(c, case.therapist_id)?;
                data = Some((
                    case.clone(),
                    version,
                    (exercises, pictures),
                    scores,
                    marks,
                    done,
                    therapist,
                ));
            }
            let event = Event::new(Action::PortalRead)
                .entity("patient", patient_id)
                .patient(patient_id);
            Ok((
                (record, data, discharged, clinic_phone, emergency_number),
                event,
            ))
        })
        .await?;
    let (record, data, discharged, clinic_phone, emergency_number) = loaded.into_inner();
    let page = match data {
        Some((case, version, (exercises, pictures), scores, marks, done_today, therapist)) => {
            PortalPage {
                layout,
                name: record.given_name,
                has_case: true,
                discharged: false,
                clinic_phone,
                version: version.as_ref().map(|v| v.row.version),
                notes: version
                    .as_ref()
                    .map(|v| v.row.notes.clone())
                    .unwrap_or_default(),
                exercise_ids: version
                    .as_ref()
                    .map(|v| v.items.iter().map(|i| i.exercise_id).collect())
                    .unwrap_or_default(),
                therapist,
                exercises,
                pictures,
                done_today,
                pain: pain_panel("my-pain", &scores, &marks, zone),
                pain_form: form,
                errors,
                stop_symptoms: STOP_SYMPTOMS,
                reported: case.reported_stops(),
                emergency_number,
                can_print: case.pending_flags().is_empty() && version.is_some(),
                review_pending: !case.pending_flags().is_empty(),
                own_zone: own_zone.map_or("", Zone::name).to_owned(),
                zones: crate::dates::zone_choices(),
                clinic_zone: state.zone().name(),
            }
        }
        None => PortalPage {
            layout,
            name: record.given_name,
            has_case: false,
            discharged,
            clinic_phone,
            version: None,
            therapist: String::new(),
            notes: String::new(),
            exercises: Vec::new(),
            pictures: Vec::new(),
            exercise_ids: Vec::new(),
            done_today: Vec::new(),
            pain: pain_panel("my-pain", &[], &[], zone),
            pain_form: form,
            errors,
            stop_symptoms: STOP_SYMPTOMS,
            reported: Vec::new(),
            emergency_number,
            can_print: false,
            review_pending: false,
            own_zone: own_zone.map_or("", Zone::name).to_owned(),
            zones: crate::dates::zone_choices(),
            clinic_zone: state.zone().name(),
        },
    };
    Ok(page)
}

async fn portal_home(
    req: HttpRequest,
    state: web::Data<AppState>,
    patient: Patient,
) -> Result<HttpResponse, AppError> {
    let zone = patient_zone(&state, &patient)
        .await?
        .unwrap_or(state.zone());
    let page = portal_page(
        &req,
        &state,
        &patient,
        PainForm::blank(zone),
        FormErrors::default(),
    )
    .await?;
    render(&req, &page)
}

async fn portal_pdf(
    req: HttpRequest,
    state: web::Data<AppState>,
    patient: Patient,
    query: web::Query<PrintQuery>,
) -> Result<HttpResponse, AppError> {
    let patient_id = patient_id_of(&patient)?;
    let who = actor(&req);
    let portal = state.link("/me");
    // A patient prints their current programme only; older versions are for staff.
    let query = query.into_inner();
    let query = PrintQuery {
        version: None,
        paper: query.paper,
        size: query.size,
    };
    let prepared = state
        .audited(who, move |c| {
            let case = store::portal::portal_case(c, patient_id)?.ok_or(AppError::NotFound)?;
            prepare_sheet(c, case.id, &query, portal)
        })
        .await;
    let prepared = match prepared {
        // No open case or no programme yet: say so on the portal, not as a missing page.
        Err(AppError::NotFound) => {
            return Ok(state.redirect_with_flash("/me", "There is no programme to print yet."));
        }
        other => other?.into_inner(),
    };
    match prepared {
        Ok(sheet) => pdf_response(&state, sheet).await,
        Err(_) => SheetBlocked {
            layout: Layout::new(&req, &state, "Sheet not printed"),
            reason: "Your therapist needs to review your programme before it can be printed. \
                     Please stop the exercises for now and contact the clinic."
                .into(),
            next_href: "/me".into(),
            next_label: "Back to your programme",
        }
        .respond(&req),
    }
}

async fn portal_pain(
    req: HttpRequest,
    state: web::Data<AppState>,
    patient: Patient,
    CsrfForm(form): CsrfForm<PainForm>,
) -> Result<HttpResponse, AppError> {
    let patient_id = patient_id_of(&patient)?;
    let zone = patient_zone(&state, &patient)
        .await?
        .unwrap_or(state.zone());
    let Some(stop) = form
        .stop
        .iter()
        .map(|key| stop_symptom(key))
        .collect::<Option<Vec<&'static StopSymptom>>>()
    else {
        return Err(AppError::BadRequest("stop symptom".into()));
    };
    let valid = match form.validate(zone) {
        Ok(valid) => valid,
        Err(errors) if stop.is_empty() => {
            let page = portal_page(&req, &state, &patient, form, errors).await?;
            return render_with_status(&req, &page, StatusCode::UNPROCESSABLE_ENTITY);
        }
        // A "yes" to a stop symptom never waits on a mistyped score.
        Err(_) => return report_stop_alone(&req, &state, &patient, stop).await,
    };
    let reported = !stop.is_empty();
    let who = actor(&req);
    let user_id = patient.user_id;
    let stored = state
        .write(move |c| {
            Ok(store::pain::record_from_portal(
                c, &who, user_id, patient_id, &valid, &stop,
            )?)
        })
        .await;
    match stored {
        Ok(_) | Err(AppError::Conflict(_)) => {
            let (thanks, next) = if reported {
                (
                    "Your pain score and what you told us are saved. Please read the message below now.",
                    "/me#stop-now",
                )
            } else {
                ("Thank you: your pain score is saved.", "/me")
            };
            let message = crate::views::pain::with_note(thanks, form.time_note(zone));
            Ok(state.redirect_with_flash(next, &message))
        }
        Err(AppError::Refused { field, message }) => {
            if !form.stop.is_empty() {
                let stop: Vec<&'static StopSymptom> = form
                    .stop
                    .iter()
                    .filter_map(|key| stop_symptom(key))
                    .collect();
                return report_stop_alone(&req, &state, &patient, stop).await;
            }
            let mut errors = FormErrors::default();
            errors.add(field, message);
            let page = portal_page(&req, &state, &patient, form, errors).await?;
            render_with_status(&req, &page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(e),
    }
}

/// Stores a patient's stop report without the score they typed (it could not be stored)
/// and sends them to the message saying whom to call.
async fn report_stop_alone(
    req: &HttpRequest,
    state: &AppState,
    patient: &Patient,
    stop: Vec<&'static StopSymptom>,
) -> Result<HttpResponse, AppError> {
    let patient_id = patient_id_of(patient)?;
    let who = actor(req);
    let user_id = patient.user_id;
    state
        .write(move |c| {
            Ok(store::pain::stop_report_from_portal(
                c, &who, user_id, patient_id, &stop,
            )?)
        })
        .await?;
    Ok(state.redirect_with_flash(
        "/me#stop-now",
        "What you told us is saved, but your pain score is not: please read the message below now, and enter the score again later.",
    ))
}

#[derive(Deserialize)]
struct DoneForm {
    #[serde(default)]
    exercise_id: String,
}

impl DoneForm {
    fn exercise_id(&self) -> Result<i64, AppError> {
        self.exercise_id
            .trim()
            .parse()
            .map_err(|_| AppError::BadRequest("exercise id".into()))
    }
}

async fn portal_done(
    req: HttpRequest,
    state: web::Data<AppState>,
    patient: Patient,
    CsrfForm(form): CsrfForm<DoneForm>,
) -> Result<HttpResponse, AppError> {
    let patient_id = patient_id_of(&patient)?;
    let exercise_id = form.exercise_id()?;
    let who = actor(&req);
    let user_id = patient.user_id;
    let today = patient_zone(&state, &patient)
        .await?
        .unwrap_or(state.zone())
        .today();
    let done = state
        .write(move |c| pain_queries::mark_done(c, &who, patient_id, user_id, exercise_id, today))
        .await?;
    match done {
        pain_queries::Done::NotInProgramme => Err(AppError::NotFound),
        pain_queries::Done::OnHold => Ok(state.redirect_with_flash(
            "/me",
            "Your exercises are on hold: please do not do them until the clinic has spoken with you.",
        )),
        pain_queries::Done::Ticked => Ok(state.redirect_with_flash(
            "/me#exercises",
            "Well done: marked as done for today.",
        )),
    }
}

/// Takes back today's "done" for an exercise, ticked by mistake. Earlier days stay as
/// recorded: the therapist has already seen them.
async fn portal_undo_done(
    req: HttpRequest,
    state: web::Data<AppState>,
    patient: Patient,
    CsrfForm(form): CsrfForm<DoneForm>,
) -> Result<HttpResponse, AppError> {
    let patient_id = patient_id_of(&patient)?;
    let exercise_id = form.exercise_id()?;
    let who = actor(&req);
    let today = patient_zone(&state, &patient)
        .await?
        .unwrap_or(state.zone())
        .today();
    state
        .write(move |c| pain_queries::unmark_done(c, &who, patient_id, exercise_id, today))
        .await?;
    Ok(state.redirect_with_flash(
        "/me#exercises",
        "Taken back: that exercise is no longer marked as done today.",
    ))
}

#[derive(Debug, Deserialize)]
struct TimeZoneForm {
    #[serde(default)]
    time_zone: String,
}

/// A patient who lives away from the clinic sets their own zone: their day ("done today",
/// the pain form's time) follows it. Empty goes back to the clinic's.
async fn portal_time_zone(
    req: HttpRequest,
    state: web::Data<AppState>,
    patient: Patient,
    CsrfForm(form): CsrfForm<TimeZoneForm>,
) -> Result<HttpResponse, AppError> {
    let chosen = form.time_zone.trim();
    let zone = if chosen.is_empty() {
        None
    } else {
        Some(Zone::parse(chosen).ok_or_else(|| AppError::BadRequest("time zone".into()))?)
    };
    let who = actor(&req);
    let user_id = patient.user_id;
    state
        .write(move |c| Ok(crate::store::users::set_own_zone(c, &who, user_id, zone)?))
        .await?;
    let message = match zone {
        Some(zone) => format!("Your times and days now follow {}.", zone.name()),
        None => "Your times and days now follow the clinic's time zone.".to_owned(),
    };
    Ok(state.redirect_with_flash("/me#time-zone", &message))
}
