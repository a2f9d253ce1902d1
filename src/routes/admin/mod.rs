//! Clinic administration: staff accounts.

pub mod audit_log;
pub mod exports;
pub mod fhir;
pub mod review;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::{DisplayName, Email, FormErrors, Role};
use crate::error::AppError;
use crate::store;
use crate::store::audit::{Action, Event};
use crate::store::settings;
use crate::store::tokens::Purpose;
use crate::store::users::UserRow;
use crate::web::Admin;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::{AppState, Layout, Pager, actor, render, render_with_status};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/staff", web::get().to(staff_list))
        .route("/admin/staff/invite", web::get().to(invite_page))
        .route("/admin/staff/invite", web::post().to(invite))
        .route("/admin/staff/{id}/deactivate", web::post().to(deactivate))
        .route("/admin/staff/{id}/reactivate", web::post().to(reactivate))
        .route("/admin/staff/{id}/link", web::post().to(new_link))
        .route("/admin", web::get().to(review::show))
        .route("/admin/cases", web::get().to(review::case_list))
        .route("/admin/settings", web::get().to(settings_page))
        .route("/admin/settings", web::post().to(save_settings))
        .route("/admin/audit", web::get().to(audit_log::show))
        .route("/admin/audit/verify", web::post().to(audit_log::verify))
        .route(
            "/admin/exports/outcomes.csv",
            web::get().to(exports::outcomes_csv),
        )
        .route(
            "/admin/exports/pain-scores.csv",
            web::get().to(exports::pain_csv),
        )
        .route(
            "/admin/exports/measurements.csv",
            web::get().to(exports::measurements_csv),
        )
        .route(
            "/admin/patients/{id}/record.fhir.json",
            web::get().to(fhir::admin_export),
        )
        .route("/me/record.fhir.json", web::get().to(fhir::patient_export));
}

const STAFF_PER_PAGE: i64 = 25;

#[derive(Template)]
#[template(path = "admin/staff.html")]
struct StaffPage {
    layout: Layout,
    staff: Vec<StaffRow>,
    pager: Pager,
    me: i64,
}

struct StaffRow {
    id: i64,
    name: String,
    email: String,
    role: &'static str,
    active: bool,
    has_password: bool,
}

impl From<UserRow> for StaffRow {
    fn from(row: UserRow) -> Self {
        Self {
            role: row.role().map(Role::label).unwrap_or("Unknown"),
            id: row.id,
            name: row.display_name,
            email: row.email,
            active: row.active,
            has_password: row.password_hash.is_some(),
        }
    }
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<i64>,
}

async fn staff_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: Admin,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let who = actor(&req);
    let page = query.page;
    let (rows, pager) = state
        .audited(who, move |c| {
            let total = store::users::count_staff(c)?;
            let pager = Pager::new(page, STAFF_PER_PAGE, total, String::new());
            let rows = store::users::list_staff(c, pager.offset(), pager.per_page)?;
            Ok(((rows, pager), Event::new(Action::StaffList)))
        })
        .await?
        .into_inner();
    render(
        &req,
        &StaffPage {
            layout: Layout::new(&req, &state, "Staff"),
            staff: rows.into_iter().map(StaffRow::from).collect(),
            pager,
            me: admin.user_id,
        },
    )
}

#[derive(Template)]
#[template(path = "admin/invite.html")]
struct InvitePage {
    layout: Layout,
    name: String,
    email: String,
    role: String,
    errors: FormErrors,
}

async fn invite_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    _admin: Admin,
) -> Result<HttpResponse, AppError> {
    render(
        &req,
        &InvitePage {
            layout: Layout::new(&req, &state, "Invite a staff member"),
            name: String::new(),
            email: String::new(),
            role: "therapist".into(),
            errors: FormErrors::default(),
        },
    )
}

#[derive(Deserialize)]
struct InviteForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

#[derive(Template)]
#[template(path = "admin/invite_link.html")]
struct InviteLinkPage {
    layout: Layout,
    name: String,
    link: String,
    valid_hours: i64,
}

async fn invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: Admin,
    CsrfForm(form): CsrfForm<InviteForm>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FormErrors::default();
    let name = errors.take("name", DisplayName::parse(&form.name));
    let email = errors.take("email", Email::parse(&form.email));
    let role = errors.take(
        "role",
        Role::parse(&form.role).and_then(|r| {
            if r.is_staff() {
                Ok(r)
            } else {
                Err("Choose a role: admin or therapist.".into())
            }
        }),
    );
    let retry = |errors: FormErrors| InvitePage {
        layout: Layout::new(&req, &state, "Invite a staff member"),
        name: form.name.clone(),
        email: form.email.clone(),
        role: form.role.clone(),
        errors,
    };
    let (Some(name), Some(email), Some(role)) = (name, email, role) else {
        return render_with_status(&req, &retry(errors), StatusCode::UNPROCESSABLE_ENTITY);
    };
    let who = actor(&req);
    let admin_id = admin.user_id;
    let shown_name = name.as_str().to_owned();
    let created = state
        .change(move |c| store::users::invite(c, &who, &email, &name, role, admin_id))
        .await;
    let raw = match created {
        Ok(raw) => raw,
        Err(AppError::Refused { field, message }) => {
            let errors = FormErrors::one(field, message);
            return render_with_status(&req, &retry(errors), StatusCode::UNPROCESSABLE_ENTITY);
        }
        Err(e) => return Err(e),
    };
    render(
        &req,
        &InviteLinkPage {
            layout: Layout::new(&req, &state, "Invitation link"),
            name: shown_name,
            link: state.link(&format!("/setup/{raw}")),
            valid_hours: Purpose::Invite.lifetime().num_hours(),
        },
    )
}

async fn deactivate(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: Admin,
    id: web::Path<i64>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let user_id = id.into_inner();
    if user_id == admin.user_id {
        return Ok(state.redirect_with_flash(
            "/admin/staff",
            "You cannot deactivate your own account. Ask another admin.",
        ));
    }
    let who = actor(&req);
    state
        .change(move |c| store::users::set_staff_active(c, &who, user_id, false))
        .await?;
    Ok(state.redirect_with_flash(
        "/admin/staff",
        "The account is deactivated and signed out everywhere.",
    ))
}

async fn reactivate(
    req: HttpRequest,
    state: web::Data<AppState>,
    _admin: Admin,
    id: web::Path<i64>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let user_id = id.into_inner();
    let who = actor(&req);
    state
        .change(move |c| store::users::set_staff_active(c, &who, user_id, true))
        .await?;
    Ok(state.redirect_with_flash("/admin/staff", "The account is active again."))
}

/// A fresh one-time link for someone who has not set a password, or has forgotten it.
async fn new_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: Admin,
    id: web::Path<i64>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let user_id = id.into_inner();
    let who = actor(&req);
    let admin_id = admin.user_id;
    let (name, raw) = state
        .change(move |c| store::users::issue_staff_link(c, &who, user_id, admin_id))
        .await?;
    render(
        &req,
        &InviteLinkPage {
            layout: Layout::new(&req, &state, "Sign-in link"),
            name,
            link: state.link(&format!("/setup/{raw}")),
            valid_hours: Purpose::Invite.lifetime().num_hours(),
        },
    )
}

#[derive(Debug, Clone, Default, Deserialize)]
struct SettingsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    default_paper: String,
    #[serde(default)]
    sheet_footer: String,
    #[serde(default)]
    time_zone: String,
    /// Absent from a form that predates it: the number stays as it is.
    emergency_number: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage {
    layout: Layout,
    form: SettingsForm,
    errors: FormErrors,
    /// Zones by region; the current one is listed even when it is an old alias.
    zones: Vec<(&'static str, Vec<&'static str>)>,
}

impl SettingsPage {
    fn new(layout: Layout, form: SettingsForm, errors: FormErrors) -> Self {
        let mut zones = crate::dates::zone_choices();
        let listed = zones
            .iter()
            .any(|(_, names)| names.contains(&form.time_zone.as_str()));
        if let (false, Some(current)) = (listed, crate::dates::Zone::parse(&form.time_zone)) {
            zones.push(("Other names", vec![current.name()]));
        }
        Self {
            layout,
            form,
            errors,
            zones,
        }
    }
}

async fn settings_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    _admin: Admin,
) -> Result<HttpResponse, AppError> {
    let current = state.read(|conn| Ok(settings::load(conn)?)).await?;
    let form = SettingsForm {
        name: current.name,
        address: current.address,
        phone: current.phone,
        email: current.email,
        default_paper: current.default_paper,
        sheet_footer: current.sheet_footer,
        time_zone: current.time_zone,
        emergency_number: Some(current.emergency_number),
    };
    render(
        &req,
        &SettingsPage::new(
            Layout::new(&req, &state, "Clinic settings"),
            form,
            FormErrors::default(),
        ),
    )
}

/// The emergency number as dialled: digits, at most 15.
fn emergency_number(raw: &str) -> Result<String, String> {
    let number = raw.trim();
    if number.is_empty() {
        return Err("Enter the emergency number patients call first (such as 112 or 999).".into());
    }
    if number.len() > 15 || !number.chars().all(|c| c.is_ascii_digit()) {
        return Err("The emergency number is digits only, such as 112 or 999.".into());
    }
    Ok(number.to_owned())
}

async fn save_settings(
    req: HttpRequest,
    state: web::Data<AppState>,
    _admin: Admin,
    CsrfForm(form): CsrfForm<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    use crate::domain::clinical::{bounded_line, bounded_text, one_of, required_line};
    let mut errors = FormErrors::default();
    let name = errors.take("name", required_line(&form.name, 120, "The clinic name"));
    let address = errors.take("address", bounded_text(&form.address, 400, "The address"));
    let phone = errors.take("phone", bounded_line(&form.phone, 40, "The phone number"));
    let email = if form.email.trim().is_empty() {
        Some(String::new())
    } else {
        errors.take(
            "email",
            Email::parse(&form.email).map(|e| e.as_str().to_owned()),
        )
    };
    let paper = errors.take(
        "default_paper",
        one_of(
            &[("a4", ""), ("letter", "")],
            &form.default_paper,
            "A4 or Letter",
        ),
    );
    let footer = errors.take(
        "sheet_footer",
        bounded_text(&form.sheet_footer, 200, "The footer"),
    );
    let time_zone = errors.take(
        "time_zone",
        crate::dates::Zone::parse(&form.time_zone)
            .ok_or_else(|| "Choose the clinic's time zone from the list.".to_owned()),
    );
    let emergency_number = match &form.emergency_number {
        None => Some(None),
        Some(raw) => errors
            .take("emergency_number", emergency_number(raw))
            .map(Some),
    };
    let (
        true,
        Some(emergency_number),
        Some(name),
        Some(address),
        Some(phone),
        Some(email),
        Some(default_paper),
        Some(sheet_footer),
        Some(time_zone),
    ) = (
        errors.is_empty(),
        emergency_number,
        name,
        address,
        phone,
        email,
        paper,
        footer,
        time_zone,
    )
    else {
        let page = SettingsPage::new(Layout::new(&req, &state, "Clinic settings"), form, errors);
        return render_with_status(&req, &page, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let who = actor(&req);
    let new = settings::NewSettings {
        name: name.clone(),
        address,
        phone,
        email,
        default_paper,
        sheet_footer,
        time_zone,
        emergency_number,
    };
    state
        .write(move |c| Ok(settings::change(c, &who, &new)?))
        .await?;
    state.set_clinic(settings::ClinicHeader {
        name,
        zone: time_zone,
    });
    Ok(state.redirect_with_flash("/admin/settings", "The clinic settings are saved."))
}
