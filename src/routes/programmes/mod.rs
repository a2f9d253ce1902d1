//! Exercise programmes: a builder that works without JavaScript, immutable versions
//! with a diff, the patient-facing view, and clinic templates.

pub mod diff;

use crate::dates::{Shown, ShownDay};
use crate::store;
use std::collections::{BTreeMap, HashMap};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::db::DbConn;
use crate::domain::clinical::{bounded_text, red_flag_label, required_line, review_date};
use crate::domain::{Dosage, DosageInput, FormErrors, Side};
use crate::error::AppError;
use crate::store::audit::{self, Action, Event};
use crate::store::cases::CaseRow;
use crate::store::exercise_pictures::PictureInfo;
use crate::store::exercises as exercise_queries;
use crate::store::patients::PatientRow;
use crate::store::programmes::{NewVersion, ProgrammeItem, ProgrammeVersion, TemplateRow};
use crate::views::library::{self as search, ExerciseCard, FacetView, LibraryQuery, Thumbnail};
use crate::views::sheet::{
    PrintQuery, SheetBlocked, SheetExercise, pdf_response, prepare_sheet, sheet_exercises,
};
use crate::web::Audited;
use crate::web::Staff;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::{AppState, Layout, Pager, SelectOption, actor, render, render_with_status};
use diff::Change;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/cases/{id}/programme", web::get().to(show))
        .route("/cases/{id}/programme/builder", web::get().to(builder_page))
        .route(
            "/cases/{id}/programme/builder",
            web::post().to(builder_post),
        )
        .route(
            "/cases/{id}/programme/versions/{n}",
            web::get().to(show_version),
        )
        .route("/cases/{id}/programme/sheet", web::get().to(sheet))
        .route("/cases/{id}/programme.pdf", web::get().to(staff_pdf))
        .route(
            "/cases/{id}/programme/template",
            web::post().to(save_as_template),
        )
        .route("/templates", web::get().to(template_list))
        .route("/templates/{id}", web::get().to(template_show))
        .route("/templates/{id}/edit", web::get().to(template_edit_page))
        .route("/templates/{id}/edit", web::post().to(template_update))
        .route("/templates/{id}/archive", web::post().to(template_archive))
        .route("/templates/{id}/restore", web::post().to(template_restore));
}

pub const MAX_ITEMS: usize = 30;
const NOTE_LIMIT: usize = 1000;
const LIBRARY_PER_PAGE: i64 = 8;

// ---- the builder

/// One item of the builder as typed.
#[derive(Debug, Clone)]
struct DraftItem {
    exercise_id: i64,
    dosage: DosageInput,
    note: String,
}

impl DraftItem {
    fn from_item(item: &ProgrammeItem) -> Self {
        Self {
            exercise_id: item.exercise_id,
            dosage: DosageInput::from(&item.dosage),
            note: item.note.clone(),
        }
    }
}

/// The whole builder form; every button posts all of it, so nothing is lost between steps.
#[derive(Debug, Clone, Default)]
struct Builder {
    items: Vec<DraftItem>,
    notes: String,
    review_date: String,
    template_id: Option<i64>,
    library: LibraryQuery,
    action: String,
    apply_template: String,
}

impl Builder {
    fn from_version(version: Option<&ProgrammeVersion>) -> Self {
        match version {
            Some(v) => Self {
                items: v.items.iter().map(DraftItem::from_item).collect(),
                notes: v.row.notes.clone(),
                review_date: v.row.review_date.map(|d| d.to_string()).unwrap_or_default(),
                ..Self::default()
            },
            None => Self::default(),
        }
    }

    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut builder = Self::default();
        let mut items: BTreeMap<usize, BTreeMap<String, String>> = BTreeMap::new();
        for (key, value) in pairs {
            if let Some(rest) = key.strip_prefix("item_")
                && let Some((index, field)) = rest.split_once('_')
                && let Ok(index) = index.parse::<usize>()
            {
                items
                    .entry(index)
                    .or_default()
                    .insert(field.to_owned(), value);
                continue;
            }
            match key.as_str() {
                "notes" => builder.notes = value,
                "review_date" => builder.review_date = value,
                "template_id" => builder.template_id = value.parse().ok(),
                "action" => builder.action = value,
                "apply_template" => builder.apply_template = value,
                "q" => builder.library.q = value,
                "category" => builder.library.category.push(value),
                "region" => builder.library.region.push(value),
                "position" => builder.library.position.push(value),
                "equipment" => builder.library.equipment.push(value),
                "difficulty" => builder.library.difficulty.push(value),
                "lib_page" => builder.library.page = value.parse().ok(),
                _ => {}
            }
        }
        for fields in items.into_values().take(MAX_ITEMS + 1) {
            let get = |name: &str| fields.get(name).cloned().unwrap_or_default();
            let Ok(exercise_id) = get("exercise").parse::<i64>() else {
                continue;
            };
            builder.items.push(DraftItem {
                exercise_id,
                dosage: DosageInput {
                    sets: get("sets"),
                    reps: get("reps"),
                    hold_seconds: get("hold_seconds"),
                    rest_seconds: get("rest_seconds"),
                    side: get("side"),
                    times_per_day: get("times_per_day"),
                    days_per_week: get("days_per_week"),
                },
                note: get("note"),
            });
        }
        builder
    }

    /// Validates for saving: dosage in range, notes bounded, 1 to 30 exercises.
    fn validate(
        &self,
        names: &BTreeMap<i64, (String, bool)>,
        current: &[i64],
        today: NaiveDate,
    ) -> Result<(Vec<ProgrammeItem>, String, Option<NaiveDate>), FormErrors> {
        let mut errors = FormErrors::default();
        if self.items.is_empty() {
            errors.add("items", "Add at least one exercise before saving.");
        }
        if self.items.len() > MAX_ITEMS {
            errors.add(
                "items",
                format!(
                    "A programme has at most {MAX_ITEMS} exercises; remove some before saving."
                ),
            );
        }
        let mut items = Vec::new();
        for (index, draft) in self.items.iter().enumerate() {
            let prefix = format!("item_{index}_");
            let dosage = Dosage::parse(&draft.dosage, &mut errors, &prefix);
            let note = errors.take(
                format!("{prefix}note"),
                bounded_text(&draft.note, NOTE_LIMIT, "The note"),
            );
            let Some((name, archived)) = names.get(&draft.exercise_id) else {
                errors.add(
                    format!("{prefix}exercise"),
                    "This exercise no longer exists.",
                );
                continue;
            };
            if *archived && !current.contains(&draft.exercise_id) {
                errors.add(
                    format!("{prefix}exercise"),
                    format!("{name} is archived and cannot be newly added."),
                );
            }
            if items
                .iter()
                .any(|i: &ProgrammeItem| i.exercise_id == draft.exercise_id)
            {
                errors.add(
                    format!("{prefix}exercise"),
                    format!("{name} is already in the programme."),
                );
            }
            if let (Some(dosage), Some(note)) = (dosage, note) {
                // Steps and cautions are frozen from the library when the version is saved.
                items.push(ProgrammeItem {
                    exercise_id: draft.exercise_id,
                    exercise_name: name.clone(),
                    dosage,
                    note,
                    steps: Vec::new(),
                    cautions: Vec::new(),
                });
            }
        }
        let notes = errors.take("notes", bounded_text(&self.notes, 4000, "Programme notes"));
        let review_date = if self.review_date.trim().is_empty() {
            Some(None)
        } else {
            errors.take(
                "review_date",
                review_date(&self.review_date, today).map(Some),
            )
        };
        match (notes, review_date) {
            (Some(notes), Some(review_date)) if errors.is_empty() => {
                Ok((items, notes, review_date))
            }
            _ => Err(errors),
        }
    }
}

pub struct ItemView {
    index: usize,
    exercise_id: i64,
    thumbnail: Option<Thumbnail>,
    name: String,
    archived: bool,
    dosage: DosageInput,
    sides: Vec<SelectOption>,
    note: String,
    first: bool,
    last: bool,
    /// Where the page returns after this item is removed: the item that takes its place,
    /// else the one before it, else the list's heading.
    after_remove: String,
}

impl ItemView {
    /// The numeric dosage fields in form order: (key, label, typed value).
    fn dosage_fields(&self) -> Vec<(&'static str, &'static str, String)> {
        let d = &self.dosage;
        vec![
            ("sets", "Sets", d.sets.clone()),
            ("reps", "Reps", d.reps.clone()),
            ("hold_seconds", "Hold (s)", d.hold_seconds.clone()),
            ("rest_seconds", "Rest (s)", d.rest_seconds.clone()),
            ("times_per_day", "Times a day", d.times_per_day.clone()),
            ("days_per_week", "Days a week", d.days_per_week.clone()),
        ]
    }
}

#[derive(Template)]
#[template(path = "programmes/builder.html")]
struct BuilderPage {
    layout: Layout,
    case: CaseRow,
    patient: Audited<PatientRow>,
    items: Vec<ItemView>,
    notes: String,
    review_date: String,
    template_id: Option<i64>,
    templates: Vec<(i64, String)>,
    q: String,
    facets: Vec<FacetView>,
    results: Vec<ExerciseCard>,
    library_pager: Pager,
    pending_flags: Vec<&'static str>,
    errors: FormErrors,
    current_version: Option<i32>,
}

impl BuilderPage {
    /// Where every button posts; each adds the fragment the page returns to.
    fn address(&self) -> String {
        format!("/cases/{}/programme/builder", self.case.id)
    }

    /// Whether a library result is already in the programme (it is shown as such, not "Add").
    fn is_chosen(&self, exercise_id: &i64) -> bool {
        self.items
            .iter()
            .any(|item| item.exercise_id == *exercise_id)
    }
}

struct BuilderData {
    case: CaseRow,
    names: BTreeMap<i64, (String, bool)>,
    /// What each chosen exercise shows (first picture beside its name).
    item_pictures: HashMap<i64, Vec<Thumbnail>>,
    /// The clinic's pictures of library exercises that show them, for the results.
    library_pictures: HashMap<i64, Vec<PictureInfo>>,
    templates: Vec<(i64, String)>,
    library: Vec<exercise_queries::Exercise>,
    current: Option<ProgrammeVersion>,
}

fn load_builder_data(
    conn: &mut DbConn,
    case_id: i64,
    builder_ids: Vec<i64>,
) -> Result<(PatientRow, BuilderData), AppError> {
    let (case, patient) = store::cases::find_with_patient(conn, case_id)?;
    let current = store::programmes::current(conn, case_id)?;
    let mut ids = builder_ids;
    if let Some(v) = &current {
        ids.extend(v.items.iter().map(|i| i.exercise_id));
    }
    let names = store::programmes::exercise_names(conn, &ids)?
        .into_iter()
        .collect();
    let library = exercise_queries::all(conn, false)?;
    let library_ids: Vec<i64> = library.iter().map(|e| e.id).collect();
    let data = BuilderData {
        case,
        names,
        item_pictures: search::pictures_of(conn, &ids)?,
        library_pictures: store::exercise_pictures::shown_for(conn, &library_ids)?,
        templates: store::programmes::active_templates(conn)?,
        library,
        current,
    };
    Ok((patient, data))
}

/// The builder's data for a page, read with its audit event.
async fn audited_builder_data(
    state: &AppState,
    who: crate::store::audit::Actor,
    case_id: i64,
    ids: Vec<i64>,
) -> Result<(Audited<PatientRow>, BuilderData), AppError> {
    Ok(state
        .audited(who, move |c| {
            let (patient, data) = load_builder_data(c, case_id, ids)?;
            let event = Event::new(Action::ProgrammeRead)
                .entity("case", case_id)
                .patient(data.case.patient_id)
                .detail("builder");
            Ok(((patient, data), event))
        })
        .await?
        .take(|(patient, data)| (patient, data)))
}

fn builder_page_view(
    req: &HttpRequest,
    state: &AppState,
    patient: Audited<PatientRow>,
    data: BuilderData,
    builder: &Builder,
    errors: FormErrors,
) -> BuilderPage {
    let result = search::search(data.library, &builder.library, LIBRARY_PER_PAGE);
    let count = builder.items.len();
    let after_remove = |index: usize| {
        builder
            .items
            .get(index + 1)
            .or_else(|| index.checked_sub(1).and_then(|i| builder.items.get(i)))
            .map(|item| format!("item-{}", item.exercise_id))
            .unwrap_or_else(|| "programme-heading".to_owned())
    };
    BuilderPage {
        layout: Layout::new(req, state, "Programme builder"),
        items: builder
            .items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                let (name, archived) = data
                    .names
                    .get(&item.exercise_id)
                    .cloned()
                    .unwrap_or_else(|| ("Unknown exercise".into(), true));
                ItemView {
                    index,
                    exercise_id: item.exercise_id,
                    thumbnail: data
                        .item_pictures
                        .get(&item.exercise_id)
                        .and_then(|pictures| pictures.first())
                        .map(|p| Thumbnail {
                            src: p.src.clone(),
                            alt: p.alt.clone(),
                        }),
                    name,
                    archived,
                    sides: Side::ALL
                        .iter()
                        .map(|s| SelectOption {
                            value: s.as_str().into(),
                            label: s.label().into(),
                            selected: s.as_str() == item.dosage.side,
                        })
                        .collect(),
                    dosage: item.dosage.clone(),
                    note: item.note.clone(),
                    first: index == 0,
                    last: index + 1 == count,
                    after_remove: after_remove(index),
                }
            })
            .collect(),
        notes: builder.notes.clone(),
        review_date: builder.review_date.clone(),
        template_id: builder.template_id,
        templates: data.templates,
        q: builder.library.q.clone(),
        facets: result.facets,
        results: {
            let mut cards: Vec<ExerciseCard> =
                result.items.iter().map(ExerciseCard::from).collect();
            search::show_clinic_pictures(&mut cards, &data.library_pictures);
            cards
        },
        library_pager: result.pager,
        pending_flags: data
            .case
            .pending_flags()
            .iter()
            .map(|f| red_flag_label(f))
            .collect(),
        current_version: data.current.as_ref().map(|v| v.row.version),
        case: data.case,
        patient,
        errors,
    }
}

#[derive(Deserialize)]
struct BuilderQuery {
    template: Option<i64>,
}

async fn builder_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    case_id: web::Path<i64>,
    query: web::Query<BuilderQuery>,
) -> Result<HttpResponse, AppError> {
    let case_id = case_id.into_inner();
    let template = query.template;
    let who = actor(&req);
    let (patient, (data, builder)) = state
        .audited_change(who.clone(), move |c| {
            let template_items = match template {
                Some(id) => Some(store::programmes::apply_template(c, &who, id, case_id)?),
                None => None,
            };
            let ids: Vec<i64> = template_items
                .iter()
                .flat_map(|(_, items)| items.iter().map(|i| i.exercise_id))
                .collect();
            let (patient, data) = load_builder_data(c, case_id, ids)?;
            let builder = match &template_items {
                Some((row, items)) => Builder {
                    items: items.iter().map(DraftItem::from_item).collect(),
                    template_id: Some(row.id),
                    ..Builder::from_version(data.current.as_ref())
                },
                None => Builder::from_version(data.current.as_ref()),
            };
            let event = Event::new(Action::ProgrammeRead)
                .entity("case", case_id)
                .patient(data.case.patient_id)
                .detail("builder");
            Ok(((patient, (data, builder)), event))
        })
        .await?
        .take(|(patient, rest)| (patient, rest));
    if !data.case.is_open() {
        return Err(AppError::NotFound);
    }
    let page = builder_page_view(&req, &state, patient, data, &builder, FormErrors::default());
    render(&req, &page)
}

async fn builder_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    case_id: web::Path<i64>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let case_id = case_id.into_inner();
    let mut builder = Builder::from_pairs(pairs);
    let mut errors = FormErrors::default();
    let action = builder.action.clone();
    let (verb, argument) = action.split_once(':').unwrap_or((action.as_str(), ""));

    // Steps that only change the form are answered by showing it again.
    match verb {
        "add" => {
            let exercise_id: i64 = argument
                .parse()
                .map_err(|_| AppError::BadRequest("exercise id".into()))?;
            let exercise = state
                .read(move |conn| exercise_queries::find(conn, exercise_id))
                .await?;
            if builder.items.len() >= MAX_ITEMS {
                errors.add(
                    "items",
                    format!("A programme has at most {MAX_ITEMS} exercises."),
                );
            } else if exercise.archived {
                errors.add(
                    "items",
                    format!("{} is archived and cannot be added.", exercise.name),
                );
            } else if builder.items.iter().any(|i| i.exercise_id == exercise_id) {
                errors.add(
                    "items",
                    format!("{} is already in the programme.", exercise.name),
                );
            } else {
                builder.items.push(DraftItem {
                    exercise_id,
                    dosage: DosageInput::from(&exercise.dosage),
                    note: String::new(),
                });
            }
        }
        "remove" | "up" | "down" => {
            let index: usize = argument
                .parse()
                .map_err(|_| AppError::BadRequest("item index".into()))?;
            if index < builder.items.len() {
                match verb {
                    "remove" => {
                        builder.items.remove(index);
                    }
                    "up" if index > 0 => builder.items.swap(index, index - 1),
                    "down" if index + 1 < builder.items.len() => {
                        builder.items.swap(index, index + 1)
                    }
                    _ => {}
                }
            }
        }
        "template" => {
            let template_id: i64 = builder
                .apply_template
                .parse()
                .map_err(|_| AppError::BadRequest("template id".into()))?;
            let who = actor(&req);
            let (row, items) = state
                .audited(who, move |c| {
                    let (row, items) = store::programmes::template(c, template_id)?;
                    let case = crate::store::cases::find(c, case_id)?;
                    let event = Event::new(Action::TemplateApplied)
                        .entity("template", template_id)
                        .patient(case.patient_id);
                    Ok(((row, items), event))
                })
                .await?
                .into_inner();
            builder.items = items.iter().map(DraftItem::from_item).collect();
            builder.template_id = Some(row.id);
        }
        "search" => builder.library.page = Some(1),
        "save" => return save(req, state, staff, case_id, builder).await,
        _ => {}
    }
    let ids: Vec<i64> = builder.items.iter().map(|i| i.exercise_id).collect();
    let (patient, data) = audited_builder_data(&state, actor(&req), case_id, ids).await?;
    if !data.case.is_open() {
        return Err(AppError::NotFound);
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = builder_page_view(&req, &state, patient, data, &builder, errors);
    render_with_status(&req, &page, status)
}

async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    case_id: i64,
    builder: Builder,
) -> Result<HttpResponse, AppError> {
    let ids: Vec<i64> = builder.items.iter().map(|i| i.exercise_id).collect();
    let reread_ids = ids.clone();
    let (_, data) = state
        .read(move |conn| load_builder_data(conn, case_id, ids))
        .await?;
    if !data.case.is_open() {
        return Err(AppError::NotFound);
    }
    let current_ids: Vec<i64> = data
        .current
        .iter()
        .flat_map(|v| v.items.iter().map(|i| i.exercise_id))
        .collect();
    let mut validated = builder.validate(&data.names, &current_ids, state.zone().today());
    if !data.case.pending_flags().is_empty() {
        let mut errors = validated.err().unwrap_or_default();
        errors.add(
            "gate",
            "This case has red flags waiting for action, so the programme cannot be issued yet.",
        );
        validated = Err(errors);
    }
    let (items, notes, review_date) = match validated {
        Ok(valid) => valid,
        Err(errors) => {
            let (patient, data) =
                audited_builder_data(&state, actor(&req), case_id, reread_ids).await?;
            let page = builder_page_view(&req, &state, patient, data, &builder, errors);
            return render_with_status(&req, &page, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let who = actor(&req);
    let author = staff.user_id;
    let template_id = builder.template_id;
    let saved = state
        .change(move |c| {
            store::programmes::issue(
                c,
                &who,
                &NewVersion {
                    case_id,
                    author_id: author,
                    notes: &notes,
                    review_date,
                    template_id,
                    items: &items,
                    saved_at: chrono::Utc::now().naive_utc(),
                },
            )
        })
        .await;
    match saved {
        Ok(number) => Ok(state.redirect_with_flash(
            &format!("/cases/{case_id}/programme/versions/{number}"),
            &format!("Version {number} is saved and is now the current programme."),
        )),
        Err(AppError::Refused { message, .. }) => {
            Ok(state.redirect_with_flash(&format!("/cases/{case_id}/programme/builder"), &message))
        }
        Err(e) => Err(e),
    }
}

// ---- reading

pub struct ItemLine {
    pub number: usize,
    pub exercise_id: i64,
    pub pictures: Vec<Thumbnail>,
    pub name: String,
    pub dosage: String,
    pub note: String,
    pub steps: Vec<String>,
    pub cautions: Vec<String>,
}

fn item_lines(
    version: &ProgrammeVersion,
    pictures: &mut HashMap<i64, Vec<Thumbnail>>,
) -> Vec<ItemLine> {
    version
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| ItemLine {
            number: i + 1,
            exercise_id: item.exercise_id,
            pictures: pictures.remove(&item.exercise_id).unwrap_or_default(),
            name: item.exercise_name.clone(),
            dosage: item.dosage.plain_words(),
            note: item.note.clone(),
            steps: item.steps.clone(),
            cautions: item.cautions.clone(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "programmes/show.html")]
struct ProgrammePage {
    layout: Layout,
    case: CaseRow,
    patient: Audited<PatientRow>,
    current: Option<ProgrammeVersion>,
    items: Vec<ItemLine>,
    history: Vec<(i32, chrono::NaiveDateTime, String)>,
    pending_flags: Vec<&'static str>,
    template_name: String,
    template_description: String,
    errors: FormErrors,
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    case_id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let case_id = case_id.into_inner();
    let page = programme_page(
        &req,
        &state,
        case_id,
        String::new(),
        String::new(),
        FormErrors::default(),
    )
    .await?;
    render(&req, &page)
}

async fn programme_page(
    req: &HttpRequest,
    state: &AppState,
    case_id: i64,
    name: String,
    description: String,
    errors: FormErrors,
) -> Result<ProgrammePage, AppError> {
    let who = actor(req);
    let (patient, (case, current, history)) = state
        .audited(who, move |c| {
            let (case, patient) = store::cases::find_with_patient(c, case_id)?;
            let current = store::programmes::current(c, case_id)?;
            let history = store::programmes::history(c, case_id)?;
            let event = Event::new(Action::ProgrammeRead)
                .entity("case", case_id)
                .patient(case.patient_id);
            Ok(((case, patient, current, history), event))
        })
        .await?
        .take(|(case, patient, current, history)| (patient, (case, current, history)));
    Ok(ProgrammePage {
        layout: Layout::new(req, state, "Programme"),
        // The programme page lists names and doses; pictures are on the version page.
        items: current
            .as_ref()
            .map(|v| item_lines(v, &mut HashMap::new()))
            .unwrap_or_default(),
        pending_flags: case
            .pending_flags()
            .iter()
            .map(|f| red_flag_label(f))
            .collect(),
        case,
        patient,
        current,
        history,
        template_name: name,
        template_description: description,
        errors,
    })
}

#[derive(Template)]
#[template(path = "programmes/version.html")]
struct VersionPage {
    layout: Layout,
    case: CaseRow,
    patient: Audited<PatientRow>,
    version: ProgrammeVersion,
    items: Vec<ItemLine>,
    changes: Vec<Change>,
    previous: Option<i32>,
    is_current: bool,
}

async fn show_version(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    path: web::Path<(i64, i32)>,
) -> Result<HttpResponse, AppError> {
    let (case_id, number) = path.into_inner();
    let who = actor(&req);
    let (patient, (case, version, previous, latest, mut pictures)) = state
        .audited(who, move |c| {
            let (case, patient) = store::cases::find_with_patient(c, case_id)?;
            let version =
                store::programmes::version(c, case_id, number)?.ok_or(AppError::NotFound)?;
            let previous = if number > 1 {
                store::programmes::version(c, case_id, number - 1)?
            } else {
                None
            };
            let latest = store::programmes::current(c, case_id)?.map(|v| v.row.version);
            let ids: Vec<i64> = version.items.iter().map(|i| i.exercise_id).collect();
            let pictures = search::pictures_of(c, &ids)?;
            let event = Event::new(Action::ProgrammeRead)
                .entity("programme_version", version.row.id)
                .patient(case.patient_id)
                .detail(format!("version {number}"));
            Ok(((case, patient, version, previous, latest, pictures), event))
        })
        .await?
        .take(|(case, patient, version, previous, latest, pictures)| {
            (patient, (case, version, previous, latest, pictures))
        });
    let changes = match &previous {
        Some(prev) => diff::diff(&prev.items, &version.items),
        None => Vec::new(),
    };
    render(
        &req,
        &VersionPage {
            layout: Layout::new(&req, &state, format!("Programme version {number}")),
            items: item_lines(&version, &mut pictures),
            is_current: latest == Some(number),
            previous: previous.map(|p| p.row.version),
            changes,
            case,
            patient,
            version,
        },
    )
}

#[derive(Template)]
#[template(path = "programmes/sheet.html")]
pub struct SheetPage {
    pub layout: Layout,
    pub patient_name: String,
    pub version: i32,
    pub issued_on: String,
    pub therapist: String,
    pub notes: String,
    pub exercises: Vec<SheetExercise>,
    pub stop_symptoms: &'static [crate::domain::clinical::StopSymptom],
    pub pdf_link: String,
    pub back_link: String,
}

async fn sheet(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    case_id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let case_id = case_id.into_inner();
    let who = actor(&req);
    let shown = state
        .audited(who, move |c| {
            let (case, patient) = store::cases::find_with_patient(c, case_id)?;
            // The patient's view is printed from the browser: held back like the PDF.
            if !case.pending_flags().is_empty() {
                let refused = Event::new(Action::ProgrammePrintRefused)
                    .entity("case", case_id)
                    .patient(case.patient_id)
                    .outcome(audit::Outcome::Denied)
                    .detail("red flags waiting for action");
                return Ok((None, refused));
            }
            let version = store::programmes::current(c, case_id)?.ok_or(AppError::NotFound)?;
            let exercises = sheet_exercises(&version);
            let event = Event::new(Action::ProgrammeRead)
                .entity("programme_version", version.row.id)
                .patient(case.patient_id)
                .detail("patient view");
            Ok((Some((patient, version, exercises)), event))
        })
        .await?
        .take(|shown| match shown {
            Some((patient, version, exercises)) => (Some(patient), Some((version, exercises))),
            None => (None, None),
        });
    let (Some(patient), Some((version, exercises))) = (shown.0.transpose(), shown.1) else {
        return Ok(state.redirect_with_flash(
            &format!("/cases/{case_id}/programme"),
            "The sheet cannot be shown or printed while the case has red flags waiting for action.",
        ));
    };
    render(
        &req,
        &SheetPage {
            layout: Layout::new(&req, &state, "Home exercise programme"),
            patient_name: patient.full_name(),
            version: version.row.version,
            issued_on: version.row.created_at.date().to_string(),
            therapist: version.author.clone(),
            notes: version.row.notes.clone(),
            exercises,
            stop_symptoms: crate::domain::clinical::STOP_SYMPTOMS,
            pdf_link: format!("/cases/{case_id}/programme.pdf"),
            back_link: format!("/cases/{case_id}/programme"),
        },
    )
}

#[derive(Deserialize)]
struct TemplateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

fn validate_template(form: &TemplateForm) -> Result<(String, String), FormErrors> {
    let mut errors = FormErrors::default();
    let name = errors.take("name", required_line(&form.name, 120, "A name"));
    let description = errors.take(
        "description",
        bounded_text(&form.description, 1000, "The description"),
    );
    match (name, description) {
        (Some(n), Some(d)) if errors.is_empty() => Ok((n, d)),
        _ => Err(errors),
    }
}

async fn save_as_template(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    case_id: web::Path<i64>,
    CsrfForm(form): CsrfForm<TemplateForm>,
) -> Result<HttpResponse, AppError> {
    let case_id = case_id.into_inner();
    let (name, description) = match validate_template(&form) {
        Ok(valid) => valid,
        Err(errors) => {
            let page =
                programme_page(&req, &state, case_id, form.name, form.description, errors).await?;
            return render_with_status(&req, &page, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let who = actor(&req);
    let author = staff.user_id;
    let id = state
        .change(move |c| {
            store::programmes::save_as_template(c, &who, case_id, &name, &description, author)
        })
        .await?;
    Ok(state.redirect_with_flash(
        &format!("/templates/{id}"),
        "The programme is saved as a clinic template.",
    ))
}

// ---- templates

#[derive(Template)]
#[template(path = "programmes/templates.html")]
struct TemplateListPage {
    layout: Layout,
    templates: Vec<TemplateRow>,
    pager: Pager,
    archived: bool,
}

#[derive(Deserialize)]
struct TemplateListQuery {
    page: Option<i64>,
    archived: Option<String>,
}

async fn template_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    query: web::Query<TemplateListQuery>,
) -> Result<HttpResponse, AppError> {
    let archived = query.archived.as_deref() == Some("1");
    let page = query.page;
    let (templates, pager) = state
        .read(move |conn| {
            let (_, total) = store::programmes::templates(conn, archived, 0, 0)?;
            let pager = Pager::new(
                page,
                25,
                total,
                if archived {
                    "archived=1".into()
                } else {
                    String::new()
                },
            );
            let (rows, _) =
                store::programmes::templates(conn, archived, pager.offset(), pager.per_page)?;
            Ok((rows, pager))
        })
        .await?;
    render(
        &req,
        &TemplateListPage {
            layout: Layout::new(&req, &state, "Programme templates"),
            templates,
            pager,
            archived,
        },
    )
}

#[derive(Template)]
#[template(path = "programmes/template.html")]
struct TemplatePage {
    layout: Layout,
    template: TemplateRow,
    items: Vec<(usize, String, String)>,
}

async fn template_show(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let (template, items) = state
        .read(move |conn| store::programmes::template(conn, id))
        .await?;
    let items = items
        .iter()
        .enumerate()
        .map(|(i, item)| (i + 1, item.exercise_name.clone(), item.dosage.plain_words()))
        .collect();
    render(
        &req,
        &TemplatePage {
            layout: Layout::new(&req, &state, template.name.clone()),
            template,
            items,
        },
    )
}

#[derive(Template)]
#[template(path = "programmes/template_form.html")]
struct TemplateFormPage {
    layout: Layout,
    id: i64,
    name: String,
    description: String,
    errors: FormErrors,
}

async fn template_edit_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let (template, _) = state
        .read(move |conn| store::programmes::template(conn, id))
        .await?;
    render(
        &req,
        &TemplateFormPage {
            layout: Layout::new(&req, &state, "Edit template"),
            id,
            name: template.name,
            description: template.description,
            errors: FormErrors::default(),
        },
    )
}

async fn template_update(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<TemplateForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let (name, description) = match validate_template(&form) {
        Ok(valid) => valid,
        Err(errors) => {
            let page = TemplateFormPage {
                layout: Layout::new(&req, &state, "Edit template"),
                id,
                name: form.name,
                description: form.description,
                errors,
            };
            return render_with_status(&req, &page, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let who = actor(&req);
    state
        .change(move |c| store::programmes::describe_template(c, &who, id, &name, &description))
        .await?;
    Ok(state.redirect_with_flash(&format!("/templates/{id}"), "The template has been saved."))
}

async fn set_template_archived(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: i64,
    archived: bool,
) -> Result<HttpResponse, AppError> {
    let who = actor(&req);
    state
        .change(move |c| store::programmes::archive_template(c, &who, id, archived))
        .await?;
    let message = if archived {
        "The template is archived."
    } else {
        "The template is back in use."
    };
    Ok(state.redirect_with_flash(&format!("/templates/{id}"), message))
}

async fn template_archive(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    id: web::Path<i64>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    set_template_archived(req, state, id.into_inner(), true).await
}

async fn template_restore(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    id: web::Path<i64>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    set_template_archived(req, state, id.into_inner(), false).await
}

/// The sheet as a PDF, for staff.
pub async fn staff_pdf(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: crate::web::Staff,
    case_id: web::Path<i64>,
    query: web::Query<PrintQuery>,
) -> Result<HttpResponse, AppError> {
    let case_id = case_id.into_inner();
    let who = crate::web::actor(&req);
    let portal = state.link("/me");
    let query = query.into_inner();
    let prepared = state
        .audited(who, move |c| prepare_sheet(c, case_id, &query, portal))
        .await?
        .into_inner();
    match prepared {
        Ok(sheet) => pdf_response(&state, sheet).await,
        Err(_) => SheetBlocked {
            layout: Layout::new(&req, &state, "Sheet not printed"),
            reason: "The case has red flags waiting for action. Record what was done about \
                     them (referred or cleared) before printing the sheet."
                .into(),
            next_href: format!("/cases/{case_id}/red-flags"),
            next_label: "Act on the red flags",
        }
        .respond(&req),
    }
}
