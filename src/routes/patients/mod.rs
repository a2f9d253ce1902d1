//! Patients: search, create, edit, and the patient page with their cases.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::dates::{Shown, ShownDay};
use crate::domain::FormErrors;
use crate::domain::clinical::{
    SEXES, bounded_line, bounded_text, date_of_birth, label_of, red_flag_label, required_line,
};
use crate::error::AppError;
use crate::store;
use crate::store::audit::{Action, Event};
use crate::store::patients::{
    CaseLine, ContactBy, ContactDetails, PatientDetails, PatientRow, Registration, SamePerson,
};
use crate::store::search::{ListedPatient, PatientSearch};
use crate::web::Audited;
use crate::web::Staff;
use crate::web::csrf::CsrfForm;
use crate::web::{
    AppState, Layout, Pager, SelectOption, actor, render, render_with_status, url_encode,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/patients", web::get().to(list))
        .route("/patients", web::post().to(create))
        .route("/patients/new", web::get().to(new_page))
        .route("/patients/{id}", web::get().to(show))
        .route("/patients/{id}/edit", web::get().to(edit_page))
        .route("/patients/{id}/edit", web::post().to(update));
}

const PER_PAGE: i64 = 25;

pub struct PatientLine {
    pub id: i64,
    pub name: String,
    pub date_of_birth: String,
    pub reference: String,
}

impl From<&ListedPatient> for PatientLine {
    fn from(row: &ListedPatient) -> Self {
        Self {
            id: row.id,
            name: format!("{}, {}", row.family_name, row.given_name),
            date_of_birth: row.date_of_birth.to_string(),
            reference: row.clinic_reference.clone().unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "patients/list.html")]
struct ListPage {
    layout: Layout,
    q: String,
    patients: Vec<PatientLine>,
    pager: Pager,
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    q: String,
    page: Option<i64>,
}

async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let ListQuery { q, page } = query.into_inner();
    let search = PatientSearch::parse(&q);
    let base_query = if q.trim().is_empty() {
        String::new()
    } else {
        format!("q={}", url_encode(q.trim()))
    };
    let who = actor(&req);
    let read = move |c: &mut crate::db::DbConn| {
        let matches = store::search::matching(c, &search)?;
        let pager = Pager::capped(
            page,
            PER_PAGE,
            matches.counted(),
            store::search::SEARCH_COUNT_CAP,
            base_query,
        );
        let rows = store::search::lines_of(c, matches.page(pager.offset(), PER_PAGE))?;
        // The search terms can be names: the audit records only that a search happened.
        let event = Event::new(Action::PatientSearch).detail(format!(
            "{}{} results",
            if pager.more { "more than " } else { "" },
            pager.total
        ));
        Ok(((rows, pager), event))
    };
    state
        .audited_page(who, read, |read| {
            let (rows, pager) = read.into_inner();
            render(
                &req,
                &ListPage {
                    layout: Layout::new(&req, &state, "Patients"),
                    q,
                    patients: rows.iter().map(PatientLine::from).collect(),
                    pager,
                },
            )
        })
        .await
}

/// The patient form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PatientForm {
    #[serde(default)]
    given_name: String,
    #[serde(default)]
    family_name: String,
    #[serde(default)]
    date_of_birth: String,
    #[serde(default)]
    sex: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    clinic_reference: String,
    #[serde(default)]
    primary_therapist_id: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    preferred_language: String,
    #[serde(default)]
    contact_by: String,
    #[serde(default)]
    gp_name: String,
    #[serde(default)]
    gp_practice: String,
    #[serde(default)]
    gp_address: String,
    #[serde(default)]
    gp_phone: String,
    #[serde(default)]
    gp_email: String,
    #[serde(default)]
    emergency_name: String,
    #[serde(default)]
    emergency_relationship: String,
    #[serde(default)]
    emergency_phone: String,
    /// Ticked once the user has seen the records with the same name and date of birth.
    #[serde(default)]
    confirmed_different: String,
}

impl PatientForm {
    fn from_row(row: &PatientRow) -> Self {
        Self {
            given_name: row.given_name.clone(),
            family_name: row.family_name.clone(),
            date_of_birth: row.date_of_birth.to_string(),
            sex: row.sex.clone().unwrap_or_default(),
            phone: row.phone.clone(),
            email: row.email.clone(),
            clinic_reference: row.clinic_reference.clone().unwrap_or_default(),
            primary_therapist_id: row
                .primary_therapist_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            notes: row.notes.clone(),
            address: row.contact.address.clone(),
            preferred_language: row.contact.preferred_language.clone(),
            contact_by: row.contact.contact_by.as_str().to_owned(),
            gp_name: row.contact.gp_name.clone(),
            gp_practice: row.contact.gp_practice.clone(),
            gp_address: row.contact.gp_address.clone(),
            gp_phone: row.contact.gp_phone.clone(),
            gp_email: row.contact.gp_email.clone(),
            emergency_name: row.contact.emergency_name.clone(),
            emergency_relationship: row.contact.emergency_relationship.clone(),
            emergency_phone: row.contact.emergency_phone.clone(),
            confirmed_different: String::new(),
        }
    }

    fn confirmed_different(&self) -> bool {
        self.confirmed_different == "yes"
    }

    /// The optional contact details; a field's refusal goes into `errors`.
    fn validate_contact(&self, errors: &mut FormErrors) -> ContactDetails {
        let mut line = |field: &'static str, raw: &str, max: usize, what: &str| {
            errors
                .take(field, bounded_line(raw, max, what))
                .unwrap_or_default()
        };
        let preferred_language = line(
            "preferred_language",
            &self.preferred_language,
            60,
            "The preferred language",
        );
        let gp_name = line("gp_name", &self.gp_name, 100, "The GP's name");
        let gp_practice = line("gp_practice", &self.gp_practice, 120, "The practice");
        let gp_phone = line(
            "gp_phone",
            &self.gp_phone,
            40,
            "The practice's phone number",
        );
        let emergency_name = line(
            "emergency_name",
            &self.emergency_name,
            100,
            "The emergency contact's name",
        );
        let emergency_relationship = line(
            "emergency_relationship",
            &self.emergency_relationship,
            60,
            "The relationship",
        );
        let emergency_phone = line(
            "emergency_phone",
            &self.emergency_phone,
            40,
            "The emergency contact's phone number",
        );
        let address = errors
            .take("address", bounded_text(&self.address, 300, "The address"))
            .unwrap_or_default();
        let gp_address = errors
            .take(
                "gp_address",
                bounded_text(&self.gp_address, 300, "The practice's address"),
            )
            .unwrap_or_default();
        let gp_email = if self.gp_email.trim().is_empty() {
            String::new()
        } else {
            errors
                .take(
                    "gp_email",
                    crate::domain::Email::parse(&self.gp_email).map(|e| e.as_str().to_owned()),
                )
                .unwrap_or_default()
        };
        let contact_by = match self.contact_by.trim() {
            "" => ContactBy::NoPreference,
            raw => ContactBy::parse(raw).unwrap_or_else(|| {
                errors.add("contact_by", "Choose one of the options.");
                ContactBy::NoPreference
            }),
        };
        ContactDetails {
            address,
            preferred_language,
            contact_by,
            gp_name,
            gp_practice,
            gp_address,
            gp_phone,
            gp_email,
            emergency_name,
            emergency_relationship,
            emergency_phone,
        }
    }

    /// `today` is the clinic's: a birth date is not in the future there.
    fn validate(
        &self,
        therapists: &[(i64, String)],
        today: chrono::NaiveDate,
    ) -> Result<PatientDetails, FormErrors> {
        let mut errors = FormErrors::default();
        let given_name = errors.take(
            "given_name",
            required_line(&self.given_name, 100, "Given name"),
        );
        let family_name = errors.take(
            "family_name",
            required_line(&self.family_name, 100, "Family name"),
        );
        let dob = errors.take("date_of_birth", date_of_birth(&self.date_of_birth, today));
        let sex = if self.sex.trim().is_empty() {
            None
        } else if SEXES.iter().any(|(k, _)| *k == self.sex.trim()) {
            Some(self.sex.trim().to_owned())
        } else {
            errors.add("sex", "Choose one of the options, or leave it blank.");
            None
        };
        let phone = errors.take("phone", bounded_line(&self.phone, 40, "The phone number"));
        let email = if self.email.trim().is_empty() {
            Some(String::new())
        } else {
            errors.take(
                "email",
                crate::domain::Email::parse(&self.email).map(|e| e.as_str().to_owned()),
            )
        };
        let reference = errors.take(
            "clinic_reference",
            bounded_line(&self.clinic_reference, 40, "The clinic reference"),
        );
        let therapist = match self.primary_therapist_id.trim() {
            "" => Some(None),
            raw => match raw.parse::<i64>() {
                Ok(id) if therapists.iter().any(|(t, _)| *t == id) => Some(Some(id)),
                _ => {
                    errors.add("primary_therapist_id", "Choose a therapist from the list.");
                    None
                }
            },
        };
        let notes = errors.take("notes", bounded_text(&self.notes, 4000, "Notes"));
        let contact = self.validate_contact(&mut errors);
        match (
            given_name,
            family_name,
            dob,
            phone,
            email,
            reference,
            therapist,
            notes,
        ) {
            (
                Some(given_name),
                Some(family_name),
                Some(date_of_birth),
                Some(phone),
                Some(email),
                Some(reference),
                Some(primary_therapist_id),
                Some(notes),
            ) if errors.is_empty() => Ok(PatientDetails {
                given_name,
                family_name,
                date_of_birth,
                sex,
                phone,
                email,
                clinic_reference: Some(reference).filter(|r| !r.is_empty()),
                primary_therapist_id,
                notes,
                contact,
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Template)]
#[template(path = "patients/form.html")]
struct FormPage {
    layout: Layout,
    heading: String,
    action: String,
    form: PatientForm,
    sexes: Vec<SelectOption>,
    therapists: Vec<SelectOption>,
    contact_by: Vec<SelectOption>,
    errors: FormErrors,
    today: String,
    /// Records with the same name and date of birth, shown before a new one is added.
    same_person: Vec<SamePerson>,
}

impl FormPage {
    fn new(
        layout: Layout,
        heading: String,
        action: String,
        form: PatientForm,
        therapists: &[(i64, String)],
        errors: FormErrors,
    ) -> Self {
        let today = layout.zone.today().to_string();
        Self {
            sexes: SEXES
                .iter()
                .map(|(k, l)| SelectOption {
                    value: (*k).into(),
                    label: (*l).into(),
                    selected: form.sex == *k,
                })
                .collect(),
            therapists: therapists
                .iter()
                .map(|(id, name)| SelectOption {
                    value: id.to_string(),
                    label: name.clone(),
                    selected: form.primary_therapist_id == id.to_string(),
                })
                .collect(),
            contact_by: ContactBy::ALL
                .iter()
                .map(|c| SelectOption {
                    value: c.as_str().into(),
                    label: c.label().into(),
                    selected: form.contact_by == c.as_str(),
                })
                .collect(),
            same_person: Vec::new(),
            layout,
            heading,
            action,
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
) -> Result<HttpResponse, AppError> {
    let therapists = state
        .read(|conn| Ok(store::patients::therapists(conn)?))
        .await?;
    let form = PatientForm {
        primary_therapist_id: staff.user_id.to_string(),
        ..PatientForm::default()
    };
    let page = FormPage::new(
        Layout::new(&req, &state, "New patient"),
        "New patient".into(),
        "/patients".into(),
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
    CsrfForm(form): CsrfForm<PatientForm>,
) -> Result<HttpResponse, AppError> {
    let therapists = state
        .read(|conn| Ok(store::patients::therapists(conn)?))
        .await?;
    let page = |form: PatientForm, errors: FormErrors| {
        FormPage::new(
            Layout::new(&req, &state, "New patient"),
            "New patient".into(),
            "/patients".into(),
            form,
            &therapists,
            errors,
        )
    };
    let details = match form.validate(&therapists, state.zone().today()) {
        Ok(details) => details,
        Err(errors) => {
            return render_with_status(&req, &page(form, errors), StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let who = actor(&req);
    let author = staff.user_id;
    let confirmed_different = form.confirmed_different();
    let registered = state
        .change(move |c| store::patients::register(c, &who, &details, author, confirmed_different))
        .await;
    match registered {
        Ok(Registration::Added(id)) => Ok(
            state.redirect_with_flash(&format!("/patients/{id}"), "The patient has been added.")
        ),
        Ok(Registration::HeldBack(same_person)) => {
            let mut held = page(form, FormErrors::default());
            held.same_person = same_person;
            render_with_status(&req, &held, StatusCode::CONFLICT)
        }
        Err(AppError::Refused { field, message }) => render_with_status(
            &req,
            &page(form, FormErrors::one(field, message)),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "patients/show.html")]
struct ShowPage {
    layout: Layout,
    patient: Audited<PatientRow>,
    sex: &'static str,
    primary_therapist: String,
    cases: Vec<CaseLine>,
    red_flags: Vec<(i64, String, Vec<&'static str>)>,
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let who = actor(&req);
    let (patient, (therapist, cases)) = state
        .audited(who, move |c| {
            let patient = store::patients::find(c, id)?;
            let therapist = match patient.primary_therapist_id {
                Some(t) => store::patients::user_name(c, t)?,
                None => String::new(),
            };
            let cases = store::patients::cases_of(c, id)?;
            let event = Event::new(Action::PatientRead)
                .entity("patient", id)
                .patient(id);
            Ok(((patient, therapist, cases), event))
        })
        .await?
        .take(|(patient, therapist, cases)| (patient, (therapist, cases)));
    let red_flags = cases
        .iter()
        .filter(|c| !c.red_flags_pending.is_empty() && !c.status.is_entered_in_error())
        .map(|c| {
            (
                c.id,
                c.title.clone(),
                c.red_flags_pending.split(',').map(red_flag_label).collect(),
            )
        })
        .collect();
    render(
        &req,
        &ShowPage {
            layout: Layout::new(&req, &state, patient.full_name()),
            sex: patient
                .sex
                .as_deref()
                .map(|s| label_of(SEXES, s))
                .unwrap_or("Not recorded"),
            primary_therapist: therapist,
            patient,
            cases,
            red_flags,
        },
    )
}

async fn edit_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let who = actor(&req);
    let (patient, therapists) = state
        .audited(who, move |c| {
            let patient = store::patients::find(c, id)?;
            let event = Event::new(Action::PatientRead)
                .entity("patient", id)
                .patient(id)
                .detail("edit form");
            Ok(((patient, store::patients::therapists(c)?), event))
        })
        .await?
        .take(|(patient, therapists)| (patient, therapists));
    let page = FormPage::new(
        Layout::new(&req, &state, format!("Edit {}", patient.full_name())),
        format!("Edit {}", patient.full_name()),
        format!("/patients/{id}/edit"),
        PatientForm::from_row(&patient),
        &therapists,
        FormErrors::default(),
    );
    render(&req, &page)
}

async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<PatientForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let (patient, therapists) = state
        .read(move |conn| {
            Ok((
                store::patients::find(conn, id)?,
                store::patients::therapists(conn)?,
            ))
        })
        .await?;
    let retry = |form: PatientForm, errors: FormErrors| {
        let page = FormPage::new(
            Layout::new(&req, &state, format!("Edit {}", patient.full_name())),
            format!("Edit {}", patient.full_name()),
            format!("/patients/{id}/edit"),
            form,
            &therapists,
            errors,
        );
        render_with_status(&req, &page, StatusCode::UNPROCESSABLE_ENTITY)
    };
    let details = match form.validate(&therapists, state.zone().today()) {
        Ok(details) => details,
        Err(errors) => return retry(form, errors),
    };
    let who = actor(&req);
    match state
        .change(move |c| store::patients::amend(c, &who, id, &details))
        .await
    {
        Ok(()) => Ok(state.redirect_with_flash(
            &format!("/patients/{id}"),
            "The patient's details have been saved.",
        )),
        Err(AppError::Refused { field, message }) => retry(form, FormErrors::one(field, message)),
        Err(e) => Err(e),
    }
}

/// Formats a date for pages: 2024-03-31.
pub fn ymd(date: &NaiveDate) -> String {
    date.to_string()
}
