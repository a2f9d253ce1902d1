//! Letters: a draft made from the record, its author's edits and signature, the signed
//! PDF; and the signature block staff set on their account.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::dates::{Shown, ShownDay};
use crate::domain::FormErrors;
use crate::domain::clinical::Urgency;
use crate::domain::clinical::bounded_line;
use crate::error::AppError;
use crate::pdf::{ClinicHeader, Letter, Paper};
use crate::store;
use crate::store::audit::{Action, Event};
use crate::store::letters::{LetterKind, LetterRow, Paragraph, Signatory};
use crate::store::patients::PatientRow;
use crate::web::csrf::CsrfForm;
use crate::web::{
    AppState, Audited, Layout, SelectOption, Staff, actor, audited_case, render, render_with_status,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/cases/{id}/letters/new", web::get().to(new_page))
        .route("/cases/{id}/letters", web::post().to(create))
        .route("/letters/{id}", web::get().to(show))
        .route("/letters/{id}", web::post().to(update))
        .route("/letters/{id}/letter.pdf", web::get().to(pdf))
        .route("/account/signature", web::get().to(signature_page))
        .route("/account/signature", web::post().to(set_signature));
}

// ---- a new draft

#[derive(Deserialize)]
struct NewQuery {
    #[serde(default)]
    kind: String,
}

#[derive(Template)]
#[template(path = "letters/new.html")]
struct NewPage {
    layout: Layout,
    case_id: i64,
    case_title: String,
    patient: Audited<PatientRow>,
    kind: LetterKind,
    urgencies: Vec<SelectOption>,
    errors: FormErrors,
}

fn urgency_options(chosen: &str) -> Vec<SelectOption> {
    Urgency::ALL
        .iter()
        .map(|u| SelectOption {
            value: u.as_str().into(),
            label: u.label().into(),
            selected: u.as_str() == chosen,
        })
        .collect()
}

fn kind_of(raw: &str) -> Result<LetterKind, AppError> {
    LetterKind::parse(raw).ok_or_else(|| AppError::BadRequest("letter kind".into()))
}

async fn new_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    case_id: web::Path<i64>,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, AppError> {
    let case_id = case_id.into_inner();
    let kind = kind_of(&query.kind)?;
    let (case, patient) = audited_case(&state, actor(&req), case_id, "letter form").await?;
    // The urgency recorded with the referral is the letter's unless the therapist changes it.
    let recorded = state
        .read(move |c| Ok(store::letters::latest_referral(c, case_id)?))
        .await?
        .and_then(|referral| referral.urgency)
        .map_or("", Urgency::as_str);
    render(
        &req,
        &NewPage {
            layout: Layout::new(&req, &state, kind.label()),
            case_id,
            case_title: case.title,
            patient,
            kind,
            urgencies: urgency_options(recorded),
            errors: FormErrors::default(),
        },
    )
}

#[derive(Clone, Deserialize)]
struct NewForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    urgency: String,
}

async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    case_id: web::Path<i64>,
    CsrfForm(form): CsrfForm<NewForm>,
) -> Result<HttpResponse, AppError> {
    let case_id = case_id.into_inner();
    let kind = kind_of(&form.kind)?;
    let urgency = Urgency::parse(form.urgency.trim());
    let who = actor(&req);
    let author = staff.user_id;
    let zone = state.zone();
    match state
        .change(move |c| store::letters::draft(c, &who, case_id, kind, urgency, author, zone))
        .await
    {
        Ok(id) => Ok(state.redirect_with_flash(
            &format!("/letters/{id}"),
            "The draft is made from the record: read it, change what needs changing, then sign it.",
        )),
        Err(AppError::Refused { field, message }) => {
            let (case, patient) = audited_case(&state, actor(&req), case_id, "letter form").await?;
            render_with_status(
                &req,
                &NewPage {
                    layout: Layout::new(&req, &state, kind.label()),
                    case_id,
                    case_title: case.title,
                    patient,
                    kind,
                    urgencies: urgency_options(&form.urgency),
                    errors: FormErrors::one(field, message),
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => Err(e),
    }
}

// ---- reading, editing and signing

#[derive(Template)]
#[template(path = "letters/show.html")]
struct ShowPage {
    layout: Layout,
    letter: LetterRow,
    patient: Audited<PatientRow>,
    case_title: String,
    author: String,
    paragraphs: Vec<Paragraph>,
    /// The reader wrote this draft: they may edit and sign it.
    may_edit: bool,
    errors: FormErrors,
}

impl ShowPage {
    /// The form field of the n-th editable paragraph.
    fn field_of(&self, index: &usize) -> String {
        let n = self.paragraphs[..*index]
            .iter()
            .filter(|p| p.editable)
            .count();
        format!("paragraph_{n}")
    }
}

struct LetterData {
    letter: LetterRow,
    case_title: String,
    author: String,
}

async fn read_letter(
    req: &HttpRequest,
    state: &AppState,
    id: i64,
) -> Result<(Audited<PatientRow>, LetterData), AppError> {
    let who = actor(req);
    Ok(state
        .audited(who, move |c| {
            let letter = store::letters::find(c, id)?;
            let case = store::cases::find(c, letter.case_id)?;
            let patient = store::patients::find(c, case.patient_id)?;
            let author = store::patients::user_name(c, letter.author_id)?;
            let event = Event::new(Action::LetterRead)
                .entity("letter", id)
                .patient(case.patient_id);
            let data = LetterData {
                letter,
                case_title: case.title,
                author,
            };
            Ok(((patient, data), event))
        })
        .await?
        .take(|(patient, data)| (patient, data)))
}

fn show_page(
    req: &HttpRequest,
    state: &AppState,
    patient: Audited<PatientRow>,
    data: LetterData,
    reader: i64,
    edited: Option<&[String]>,
    errors: FormErrors,
) -> Result<ShowPage, AppError> {
    let mut paragraphs = data.letter.paragraphs()?;
    if let Some(texts) = edited {
        let mut texts = texts.iter();
        for paragraph in paragraphs.iter_mut().filter(|p| p.editable) {
            paragraph.text = texts.next().cloned().unwrap_or_default();
        }
    }
    Ok(ShowPage {
        layout: Layout::new(req, state, data.letter.kind.label()),
        may_edit: !data.letter.is_signed() && data.letter.author_id == reader,
        case_title: data.case_title,
        author: data.author,
        letter: data.letter,
        patient,
        paragraphs,
        errors,
    })
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (patient, data) = read_letter(&req, &state, id.into_inner()).await?;
    let page = show_page(
        &req,
        &state,
        patient,
        data,
        staff.user_id,
        None,
        FormErrors::default(),
    )?;
    render(&req, &page)
}

/// The editable paragraphs as typed (`paragraph_0`, `paragraph_1`, …) and the button.
#[derive(Clone, Default)]
struct LetterForm {
    texts: Vec<String>,
    sign: bool,
}

impl<'de> Deserialize<'de> for LetterForm {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let fields: Vec<(String, String)> = Vec::deserialize(d)?;
        let mut numbered: Vec<(usize, String)> = fields
            .iter()
            .filter_map(|(k, v)| {
                let n = k.strip_prefix("paragraph_")?.parse().ok()?;
                Some((n, v.clone()))
            })
            .collect();
        numbered.sort_by_key(|(n, _)| *n);
        Ok(Self {
            texts: numbered.into_iter().map(|(_, v)| v).collect(),
            sign: fields.iter().any(|(k, v)| k == "action" && v == "sign"),
        })
    }
}

/// Longest paragraph a letter takes (about two pages of text).
const PARAGRAPH_MAX: usize = 6000;

async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<LetterForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let author = staff.user_id;
    let mut errors = FormErrors::default();
    let mut texts = Vec::with_capacity(form.texts.len());
    for (n, raw) in form.texts.iter().enumerate() {
        let text = raw.trim().replace("\r\n", "\n");
        if text.chars().count() > PARAGRAPH_MAX {
            errors.add(
                format!("paragraph_{n}"),
                format!("A paragraph has at most {PARAGRAPH_MAX} characters."),
            );
        }
        texts.push(text);
    }
    let refused = |errors: FormErrors| {
        let req = req.clone();
        let state = state.clone();
        let texts = texts.clone();
        async move {
            let (patient, data) = read_letter(&req, &state, id).await?;
            let page = show_page(&req, &state, patient, data, author, Some(&texts), errors)?;
            render_with_status(&req, &page, StatusCode::UNPROCESSABLE_ENTITY)
        }
    };
    if !errors.is_empty() {
        return refused(errors).await;
    }
    let who = actor(&req);
    let saved = {
        let texts = texts.clone();
        let who = who.clone();
        state
            .change(move |c| store::letters::revise(c, &who, id, author, &texts))
            .await
    };
    match saved {
        Ok(()) => {}
        Err(AppError::Refused { field, message }) => {
            return refused(FormErrors::one(field, message)).await;
        }
        Err(e) => return Err(e),
    }
    if !form.sign {
        return Ok(state.redirect_with_flash(&format!("/letters/{id}"), "The draft is saved."));
    }

    // Signing: print the letter as it stands, then keep that print for good.
    let ready = state
        .read(move |c| {
            let ready = store::letters::for_signing(c, id, author);
            match ready {
                Ok((letter, signatory)) => {
                    let printable = printable(c, &letter)?;
                    Ok(Ok((letter, signatory, printable)))
                }
                Err(refusal) => Ok(Err(refusal)),
            }
        })
        .await?;
    let (letter, signatory, printable) = match ready {
        Ok(ready) => ready,
        Err(store::Refusal::Rule { field, message }) => {
            return refused(FormErrors::one(field, message)).await;
        }
        Err(store::Refusal::Error(e)) => return Err(e),
    };
    let signed_at = chrono::Utc::now().naive_utc();
    let zone = state.zone();
    let print = printable.letter(Some(&signatory), signed_at, zone);
    let renderer = state.sheet_renderer.clone();
    let bytes = state
        .sheet_work
        .run(move || renderer.render_letter(&print))
        .await?
        .map_err(|e| AppError::Internal(format!("letter: {e}")))?;
    match state
        .change(move |c| store::letters::sign(c, &who, &letter, author, signed_at, &bytes))
        .await
    {
        Ok(()) => Ok(state.redirect_with_flash(
            &format!("/letters/{id}"),
            "The letter is signed. Print it from here; it will not change.",
        )),
        Err(AppError::Refused { field, message }) => refused(FormErrors::one(field, message)).await,
        Err(e) => Err(e),
    }
}

/// What a letter prints besides its signature, read from the record.
struct Printable {
    clinic: ClinicHeader,
    kind: LetterKind,
    recipient: String,
    salutation: String,
    regarding: Vec<String>,
    paragraphs: Vec<Paragraph>,
    paper: Paper,
}

fn printable(c: &mut crate::db::DbConn, letter: &LetterRow) -> Result<Printable, AppError> {
    let case = store::cases::find(c, letter.case_id)?;
    let patient = store::patients::find(c, case.patient_id)?;
    let clinic = store::settings::load(c)?;
    let mut regarding = vec![
        format!("Re: {}", patient.full_name()),
        format!("Born {}", patient.date_of_birth.to_day()),
    ];
    if let Some(reference) = &patient.clinic_reference {
        regarding.push(format!("Clinic reference {reference}"));
    }
    if !patient.contact.address.trim().is_empty() {
        regarding.push(patient.contact.address.trim().replace('\n', ", "));
    }
    let gp = patient.contact.gp_name.trim();
    let paper = if clinic.default_paper == "letter" {
        Paper::Letter
    } else {
        Paper::A4
    };
    Ok(Printable {
        paper,
        clinic: ClinicHeader {
            name: clinic.name,
            address: clinic.address,
            phone: clinic.phone,
            email: clinic.email,
            footer_text: clinic.sheet_footer,
        },
        kind: letter.kind,
        recipient: letter.recipient.clone(),
        salutation: if gp.is_empty() {
            "Dear Doctor,".to_owned()
        } else {
            format!("Dear {gp},")
        },
        regarding,
        paragraphs: letter.paragraphs()?,
    })
}

impl Printable {
    fn letter(
        self,
        signed_by: Option<&Signatory>,
        at: chrono::NaiveDateTime,
        zone: crate::dates::Zone,
    ) -> Letter {
        Letter {
            clinic: self.clinic,
            title: self.kind.label().to_owned(),
            date: at.to_day_in(zone).to_string(),
            recipient: self.recipient,
            regarding: self.regarding,
            salutation: self.salutation,
            paragraphs: self
                .paragraphs
                .into_iter()
                .filter(|p| !p.text.trim().is_empty())
                .map(|p| (p.heading, p.text))
                .collect(),
            signed_by: signed_by.map(|s| {
                (
                    s.name.clone(),
                    s.profession.clone(),
                    s.registration_number.clone(),
                )
            }),
            created_at: at,
            paper: self.paper,
        }
    }
}

/// A signed letter's PDF is the one kept at signing; a draft prints marked as a draft.
async fn pdf(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let who = actor(&req);
    let (stored, draft) = state
        .audited(who, move |c| {
            let letter = store::letters::find(c, id)?;
            let (_, patient_id) = store::letters::owner(c, id)?;
            let stored = store::letters::signed_pdf(c, id)?;
            let draft = match stored {
                Some(_) => None,
                None => Some((printable(c, &letter)?, letter.updated_at)),
            };
            let event = Event::new(Action::LetterPrinted)
                .entity("letter", id)
                .patient(patient_id)
                .detail(if draft.is_some() { "draft" } else { "signed" });
            Ok(((stored, draft), event))
        })
        .await?
        .into_inner();
    let bytes = match (stored, draft) {
        (Some(bytes), _) => bytes,
        (None, Some((printable, updated_at))) => {
            let print = printable.letter(None, updated_at, state.zone());
            let renderer = state.sheet_renderer.clone();
            state
                .sheet_work
                .run(move || renderer.render_letter(&print))
                .await?
                .map_err(|e| AppError::Internal(format!("letter: {e}")))?
        }
        (None, None) => return Err(AppError::NotFound),
    };
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"letter-{id}.pdf\""),
        ))
        .body(bytes))
}

// ---- the signature block on the account

#[derive(Template)]
#[template(path = "letters/signature.html")]
struct SignaturePage {
    layout: Layout,
    name: String,
    form: SignatureForm,
    errors: FormErrors,
}

#[derive(Clone, Default, Deserialize)]
struct SignatureForm {
    #[serde(default)]
    profession: String,
    #[serde(default)]
    registration_number: String,
}

async fn signature_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    let user_id = staff.user_id;
    let signatory = state
        .read(move |c| Ok(store::letters::signatory(c, user_id)?))
        .await?;
    render(
        &req,
        &SignaturePage {
            layout: Layout::new(&req, &state, "Your signature on letters"),
            name: signatory.name,
            form: SignatureForm {
                profession: signatory.profession,
                registration_number: signatory.registration_number,
            },
            errors: FormErrors::default(),
        },
    )
}

async fn set_signature(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    CsrfForm(form): CsrfForm<SignatureForm>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FormErrors::default();
    let profession = errors.take(
        "profession",
        bounded_line(&form.profession, 80, "The profession"),
    );
    let registration = errors.take(
        "registration_number",
        bounded_line(&form.registration_number, 40, "The registration number"),
    );
    let (Some(profession), Some(registration)) = (profession, registration) else {
        let user_id = staff.user_id;
        let name = state
            .read(move |c| Ok(store::letters::signatory(c, user_id)?.name))
            .await?;
        return render_with_status(
            &req,
            &SignaturePage {
                layout: Layout::new(&req, &state, "Your signature on letters"),
                name,
                form,
                errors,
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let who = actor(&req);
    let user_id = staff.user_id;
    state
        .change(move |c| {
            Ok(store::users::set_signature(
                c,
                &who,
                user_id,
                &profession,
                &registration,
            )?)
        })
        .await?;
    Ok(state.redirect_with_flash(
        "/account/signature",
        "Saved: your letters will be signed with these details.",
    ))
}
