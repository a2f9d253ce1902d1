//! The printable PDF home-exercise sheet, for staff and (through the portal) patients.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::dates::{Shown, ShownDay, Zone};
use crate::db::DbConn;
use crate::domain::clinical::STOP_SYMPTOMS;
use crate::error::AppError;
use crate::pdf::{ClinicHeader, Paper, Sheet, SheetItem, SheetPicture};
use crate::store;
use crate::store::audit::{self, Action, Event};
use crate::store::patients::user_name;
use crate::store::programmes::ProgrammeVersion;
use crate::store::settings;
use crate::web::{AppState, Layout, render_with_status};

#[derive(Debug, Deserialize)]
pub struct PrintQuery {
    pub version: Option<i32>,
    pub paper: Option<String>,
    /// `large` for large print.
    pub size: Option<String>,
}

impl PrintQuery {
    fn paper(&self) -> Result<Option<Paper>, AppError> {
        match self.paper.as_deref() {
            None | Some("") => Ok(None),
            Some("a4") => Ok(Some(Paper::A4)),
            Some("letter") => Ok(Some(Paper::Letter)),
            Some(_) => Err(AppError::BadRequest("paper must be a4 or letter".into())),
        }
    }

    fn large_print(&self) -> Result<bool, AppError> {
        match self.size.as_deref() {
            None | Some("") | Some("standard") => Ok(false),
            Some("large") => Ok(true),
            Some(_) => Err(AppError::BadRequest(
                "size must be standard or large".into(),
            )),
        }
    }
}

/// The outcome of preparing a sheet: the sheet, or the refusal (red flags wait for action).
pub type Prepared = Result<Sheet, &'static str>;

/// Gathers everything printed on a case's sheet from one read snapshot, with the audit
/// event to write before it is printed (run it through `AppState::audited`). Refused, and
/// the refusal audited, while the case has red flags waiting for action.
pub fn prepare_sheet(
    c: &mut DbConn,
    case_id: i64,
    query: &PrintQuery,
    portal_url: String,
) -> Result<(Prepared, Event<'static>), AppError> {
    let paper = query.paper()?;
    let large_print = query.large_print()?;
    {
        let (case, patient) = store::cases::find_with_patient(c, case_id)?;
        if !case.pending_flags().is_empty() {
            let refused = Event::new(Action::ProgrammePrintRefused)
                .entity("case", case_id)
                .patient(case.patient_id)
                .outcome(audit::Outcome::Denied)
                .detail("red flags waiting for action");
            return Ok((Err("red flags"), refused));
        }
        let version = match query.version {
            Some(n) => store::programmes::version(c, case_id, n)?,
            None => store::programmes::current(c, case_id)?,
        }
        .ok_or(AppError::NotFound)?;
        let clinic = settings::load(c)?;
        let zone = Zone::parse(&clinic.time_zone).unwrap_or_default();
        let exercises = sheet_exercises(&version);
        let exercise_ids: Vec<i64> = version.items.iter().map(|i| i.exercise_id).collect();
        let slugs = store::exercises::slugs(c, &exercise_ids)?;
        let figures: Vec<_> = version
            .items
            .iter()
            .map(|i| {
                slugs
                    .get(&i.exercise_id)
                    .and_then(|slug| crate::library::figures_for(slug))
                    .map(|f| f.drawings.clone())
                    .unwrap_or_default()
            })
            .collect();
        let pictures = SheetPictures::gather(c, &exercise_ids)?;
        let therapist = user_name(c, case.therapist_id)?;
        let printed = Event::new(Action::ProgrammePrinted)
            .entity("programme_version", version.row.id)
            .patient(case.patient_id)
            .detail(format!("version {}", version.row.version));
        let default_paper = if clinic.default_paper == "letter" {
            Paper::Letter
        } else {
            Paper::A4
        };
        let sheet = Sheet {
            clinic: ClinicHeader {
                name: clinic.name,
                address: clinic.address,
                phone: clinic.phone,
                email: clinic.email,
                footer_text: clinic.sheet_footer,
            },
            patient_name: patient.full_name(),
            patient_date_of_birth: patient.date_of_birth.to_day().to_string(),
            therapist_name: therapist,
            // The clinic's day: a sheet saved at 08:00 in Sydney is not dated the day before.
            issued_on: version.row.created_at.to_day_in(zone).to_string(),
            issued_at: version.row.created_at,
            review_on: version.row.review_date.map(|day| day.to_day().to_string()),
            version: version.row.version,
            case_title: case.title,
            programme_notes: version.row.notes.clone(),
            items: exercises
                .into_iter()
                .zip(figures)
                .zip(&exercise_ids)
                .map(|((e, figures), exercise_id)| SheetItem {
                    name: e.name,
                    dosage: e.dosage,
                    steps: e.steps,
                    note: e.note,
                    cautions: e.cautions,
                    // The clinic's own pictures replace the drawn ones where it chose them.
                    figures: if pictures.of(*exercise_id).is_empty() {
                        figures
                    } else {
                        Vec::new()
                    },
                    pictures: pictures.of(*exercise_id),
                })
                .collect(),
            pictures: pictures.printed,
            stop_symptoms: STOP_SYMPTOMS.iter().map(|s| s.text.to_owned()).collect(),
            portal_url: store::portal::has_access(c, case.patient_id)?.then_some(portal_url),
            paper: paper.unwrap_or(default_paper),
            large_print,
        };
        Ok((Ok(sheet), printed))
    }
}

/// The answer at a sheet's PDF address while it may not be printed: 409, and a page that
/// says why and where to go next (never a PDF, never a 200).
#[derive(Template)]
#[template(path = "programmes/sheet_blocked.html")]
pub struct SheetBlocked {
    pub layout: Layout,
    pub reason: String,
    pub next_href: String,
    pub next_label: &'static str,
}

impl SheetBlocked {
    pub fn respond(&self, req: &HttpRequest) -> Result<HttpResponse, AppError> {
        render_with_status(req, self, StatusCode::CONFLICT)
    }
}

/// Renders off the request workers, a bounded number at a time, and answers with the PDF.
pub async fn pdf_response(state: &AppState, sheet: Sheet) -> Result<HttpResponse, AppError> {
    let renderer = state.sheet_renderer.clone();
    let version = sheet.version;
    let bytes = state
        .sheet_work
        .run(move || renderer.render(&sheet))
        .await?
        .map_err(|e| AppError::Internal(format!("sheet: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"home-exercise-programme-v{version}.pdf\""),
        ))
        .body(bytes))
}

/// An exercise as the patient sees it: what to do, how much, and what to watch for.
pub struct SheetExercise {
    pub number: usize,
    pub name: String,
    pub dosage: String,
    pub steps: Vec<String>,
    pub note: String,
    pub cautions: Vec<String>,
}

/// The patient-facing content of a version: each exercise's steps and cautions as the
/// version was issued with them, not as the library reads now.
pub fn sheet_exercises(version: &ProgrammeVersion) -> Vec<SheetExercise> {
    version
        .items
        .iter()
        .enumerate()
        .map(|(index, item)| SheetExercise {
            number: index + 1,
            name: item.exercise_name.clone(),
            dosage: item.dosage.plain_words(),
            steps: item.steps.clone(),
            note: item.note.clone(),
            cautions: item.cautions.clone(),
        })
        .collect()
}

/// The clinic's pictures on a sheet: each printed once, however many items show it.
struct SheetPictures {
    printed: Vec<SheetPicture>,
    by_exercise: std::collections::HashMap<i64, Vec<usize>>,
}

impl SheetPictures {
    fn gather(c: &mut DbConn, exercise_ids: &[i64]) -> Result<Self, AppError> {
        let stored = store::exercise_pictures::print_pictures(c, exercise_ids)?;
        let mut printed = Vec::new();
        let mut by_exercise = std::collections::HashMap::new();
        for (exercise_id, pictures) in stored {
            let indexes = pictures
                .into_iter()
                .map(|p| {
                    printed.push(SheetPicture {
                        jpeg: p.jpeg.into(),
                        width: p.width,
                        height: p.height,
                        caption: p.caption,
                    });
                    printed.len() - 1
                })
                .collect();
            by_exercise.insert(exercise_id, indexes);
        }
        Ok(Self {
            printed,
            by_exercise,
        })
    }

    fn of(&self, exercise_id: i64) -> Vec<usize> {
        self.by_exercise
            .get(&exercise_id)
            .cloned()
            .unwrap_or_default()
    }
}
