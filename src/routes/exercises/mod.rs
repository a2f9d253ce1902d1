//! The exercise library for staff: search with facets, read, and the clinic's own entries.

mod pictures;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::clinical::{bounded_line, bounded_text};
use crate::domain::{Dosage, DosageInput, FormErrors, Side};
use crate::error::AppError;
use crate::library::{CATEGORIES, DIFFICULTIES, EQUIPMENT, POSITIONS, REGIONS, label_for};
use crate::store;
use crate::store::exercises::{Exercise, ExerciseContent};
use crate::views::library::{
    self as search, ExerciseCard, FacetView, FigureView, LibraryQuery, figure_views, labels,
};
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::{AnyUser, Staff};
use crate::web::{AppState, Layout, Pager, actor, render, render_with_status};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/exercises", web::get().to(list))
        .route("/exercises", web::post().to(create))
        .route("/exercises/new", web::get().to(new_page))
        .route("/exercises/{id}", web::get().to(show))
        .route("/exercises/{id}/edit", web::get().to(edit_page))
        .route("/exercises/{id}/edit", web::post().to(update))
        .route("/exercises/{id}/archive", web::post().to(archive))
        .route("/exercises/{id}/restore", web::post().to(restore))
        .route("/library/figures", web::get().to(contact_sheet))
        .route("/library/figures/{slug}/{file}", web::get().to(figure_svg))
        .configure(pictures::routes);
}

const PER_PAGE: i64 = 20;

#[derive(Template)]
#[template(path = "exercises/list.html")]
struct ListPage {
    layout: Layout,
    q: String,
    facets: Vec<FacetView>,
    items: Vec<ExerciseCard>,
    pager: Pager,
    filtered: bool,
    show_archived: bool,
}

async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
) -> Result<HttpResponse, AppError> {
    let query = LibraryQuery::parse(req.query_string());
    let archived = query.show_archived();
    let searched = query.clone();
    let (result, clinic_pictures) = state
        .read(move |conn| {
            let all = store::exercises::all(conn, archived)?;
            let result = search::search(all, &searched, PER_PAGE);
            let shown: Vec<i64> = result.items.iter().map(|e| e.id).collect();
            let clinic_pictures = store::exercise_pictures::shown_for(conn, &shown)?;
            Ok((result, clinic_pictures))
        })
        .await?;
    let mut items: Vec<ExerciseCard> = result.items.iter().map(ExerciseCard::from).collect();
    search::show_clinic_pictures(&mut items, &clinic_pictures);
    render(
        &req,
        &ListPage {
            layout: Layout::new(&req, &state, "Exercise library"),
            q: query.q.clone(),
            items,
            facets: result.facets,
            pager: result.pager,
            filtered: query.is_filtered(),
            show_archived: archived,
        },
    )
}

#[derive(Template)]
#[template(path = "exercises/show.html")]
struct ShowPage {
    layout: Layout,
    exercise: Exercise,
    category: &'static str,
    regions: String,
    position: &'static str,
    equipment: String,
    difficulty: &'static str,
    dosage: String,
    base: Option<(i64, String)>,
    variants: Vec<(i64, String, Option<String>)>,
    figures: Vec<FigureView>,
    pictures: pictures::PicturesSection,
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let page = show_page(
        &req,
        &state,
        id.into_inner(),
        pictures::UploadForm::default(),
    )
    .await?;
    render(&req, &page)
}

/// The exercise page; `upload` is the picture form as typed, with its problem if refused.
async fn show_page(
    req: &HttpRequest,
    state: &AppState,
    id: i64,
    upload: pictures::UploadForm,
) -> Result<ShowPage, AppError> {
    let (exercise, base, variants, stored_pictures, choice) = state
        .read(move |conn| {
            let exercise = store::exercises::find(conn, id)?;
            let base = match &exercise.variant_of {
                Some(slug) => store::exercises::find_by_slug(conn, slug)?.map(|b| (b.id, b.name)),
                None => None,
            };
            let variants = store::exercises::variants_of(conn, &exercise.slug)?;
            let stored_pictures = store::exercise_pictures::for_exercise(conn, id)?;
            let choice = store::exercise_pictures::choice(conn, id)?;
            Ok((exercise, base, variants, stored_pictures, choice))
        })
        .await?;
    Ok(ShowPage {
        layout: Layout::new(req, state, exercise.name.clone()),
        pictures: pictures::PicturesSection::new(stored_pictures, choice, upload),
        category: label_for(CATEGORIES, &exercise.category).unwrap_or("Other"),
        regions: labels(REGIONS, &exercise.regions),
        position: label_for(POSITIONS, &exercise.position).unwrap_or("Other"),
        equipment: labels(EQUIPMENT, &exercise.equipment),
        difficulty: label_for(DIFFICULTIES, &exercise.difficulty).unwrap_or("Other"),
        dosage: exercise.dosage.plain_words(),
        figures: figure_views(&exercise.slug),
        exercise,
        base,
        variants,
    })
}

/// One drawn position of a built-in exercise. The figures are compiled in, so a browser
/// may keep them for a day; list pages name them with `<img>` and stay small. Patients
/// see them on their portal: library drawings are not patient data.
async fn figure_svg(
    _user: AnyUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, file) = path.into_inner();
    let svg = file
        .strip_suffix(".svg")
        .and_then(|n| n.parse::<usize>().ok())
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| crate::library::figures_for(&slug)?.svgs.get(i))
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((
            actix_web::http::header::CACHE_CONTROL,
            "private, max-age=86400",
        ))
        .body(svg.as_str()))
}

#[derive(Template)]
#[template(path = "exercises/figures.html")]
struct ContactSheetPage {
    layout: Layout,
    exercises: Vec<(String, i64, Vec<FigureView>)>,
}

/// Every built-in exercise's drawn positions on one page, to check them side by side.
async fn contact_sheet(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
) -> Result<HttpResponse, AppError> {
    let library = crate::library::load().map_err(|e| AppError::Internal(e.to_string()))?;
    let slugs: Vec<String> = library.exercise.iter().map(|e| e.slug.clone()).collect();
    let ids = state
        .read(move |conn| {
            slugs
                .iter()
                .map(|slug| {
                    store::exercises::find_by_slug(conn, slug).map(|found| found.map(|e| e.id))
                })
                .collect::<Result<Vec<_>, AppError>>()
        })
        .await?;
    let exercises = library
        .exercise
        .iter()
        .zip(ids)
        .map(|(entry, id)| {
            (
                entry.name.clone(),
                id.unwrap_or_default(),
                figure_views(&entry.slug),
            )
        })
        .collect();
    render(
        &req,
        &ContactSheetPage {
            layout: Layout::new(&req, &state, "Exercise figures"),
            exercises,
        },
    )
}

/// The exercise form as typed: every field kept as text so it can be shown again.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ExerciseForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    aliases: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    region: Vec<String>,
    #[serde(default)]
    position: String,
    #[serde(default)]
    equipment: Vec<String>,
    #[serde(default)]
    difficulty: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    steps: String,
    #[serde(default)]
    cautions: String,
    #[serde(default)]
    common_mistakes: String,
    #[serde(default)]
    sets: String,
    #[serde(default)]
    reps: String,
    #[serde(default)]
    hold_seconds: String,
    #[serde(default)]
    rest_seconds: String,
    #[serde(default)]
    side: String,
    #[serde(default)]
    times_per_day: String,
    #[serde(default)]
    days_per_week: String,
}

impl ExerciseForm {
    fn from_exercise(e: &Exercise) -> Self {
        let dosage = DosageInput::from(&e.dosage);
        Self {
            name: e.name.clone(),
            aliases: e.aliases.join(", "),
            category: e.category.clone(),
            region: e.regions.clone(),
            position: e.position.clone(),
            equipment: e.equipment.clone(),
            difficulty: e.difficulty.clone(),
            summary: e.summary.clone(),
            steps: e.steps.join("\n"),
            cautions: e.cautions.join("\n"),
            common_mistakes: e.common_mistakes.join("\n"),
            sets: dosage.sets,
            reps: dosage.reps,
            hold_seconds: dosage.hold_seconds,
            rest_seconds: dosage.rest_seconds,
            side: dosage.side,
            times_per_day: dosage.times_per_day,
            days_per_week: dosage.days_per_week,
        }
    }

    fn blank() -> Self {
        Self {
            category: "mobility".into(),
            region: vec!["thoracic".into()],
            position: "standing".into(),
            equipment: vec!["none".into()],
            difficulty: "easy".into(),
            sets: "1".into(),
            reps: "10".into(),
            hold_seconds: "0".into(),
            rest_seconds: "0".into(),
            side: "both".into(),
            times_per_day: "1".into(),
            days_per_week: "7".into(),
            ..Self::default()
        }
    }

    /// Validates every field; all problems are reported at once.
    fn validate(&self) -> Result<ExerciseContent, FormErrors> {
        let mut errors = FormErrors::default();
        let name = self.name.trim().to_owned();
        if name.is_empty() {
            errors.add("name", "Enter a name for the exercise.");
        } else if name.chars().count() > 120 {
            errors.add("name", "A name has at most 120 characters.");
        }
        let aliases: Vec<String> = self
            .aliases
            .split(',')
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty())
            .collect();
        if aliases.len() > 10 || aliases.iter().any(|a| a.chars().count() > 80) {
            errors.add(
                "aliases",
                "List at most 10 other names, each at most 80 characters.",
            );
        }
        let one_of = |errors: &mut FormErrors,
                      field: &'static str,
                      value: &str,
                      table: &[(&str, &str)],
                      what: &str| {
            if !table.iter().any(|(k, _)| *k == value) {
                errors.add(field, format!("Choose {what}."));
            }
        };
        one_of(
            &mut errors,
            "category",
            &self.category,
            CATEGORIES,
            "a category",
        );
        one_of(
            &mut errors,
            "position",
            &self.position,
            POSITIONS,
            "a position",
        );
        one_of(
            &mut errors,
            "difficulty",
            &self.difficulty,
            DIFFICULTIES,
            "a difficulty",
        );
        if self.region.is_empty()
            || !self
                .region
                .iter()
                .all(|r| REGIONS.iter().any(|(k, _)| k == r))
        {
            errors.add("region", "Tick at least one body region.");
        }
        if self.equipment.is_empty()
            || !self
                .equipment
                .iter()
                .all(|r| EQUIPMENT.iter().any(|(k, _)| k == r))
        {
            errors.add("equipment", "Tick the equipment needed, or “None”.");
        } else if self.equipment.len() > 1 && self.equipment.iter().any(|e| e == "none") {
            errors.add(
                "equipment",
                "“None” cannot be ticked together with other equipment.",
            );
        }
        if self.summary.trim().chars().count() > 300 {
            errors.add("summary", "The summary has at most 300 characters.");
        }
        let lines = |text: &str| -> Vec<String> {
            text.lines()
                .map(|l| l.trim().to_owned())
                .filter(|l| !l.is_empty())
                .collect()
        };
        let steps = lines(&self.steps);
        if steps.is_empty() {
            errors.add("steps", "Write at least one step, one per line.");
        } else if steps.len() > 12 || steps.iter().any(|s| s.chars().count() > 400) {
            errors.add(
                "steps",
                "Write at most 12 steps, each at most 400 characters.",
            );
        }
        let cautions = lines(&self.cautions);
        if cautions.len() > 10 || cautions.iter().any(|s| s.chars().count() > 400) {
            errors.add(
                "cautions",
                "Write at most 10 cautions, each at most 400 characters.",
            );
        }
        let mistakes = lines(&self.common_mistakes);
        if mistakes.len() > 10 || mistakes.iter().any(|s| s.chars().count() > 400) {
            errors.add(
                "common_mistakes",
                "Write at most 10 common mistakes, each at most 400 characters.",
            );
        }
        // Control characters (a NUL byte, escapes) are refused in every text field.
        let texts: [(&str, &str, bool, &str); 6] = [
            ("name", &self.name, false, "The name"),
            ("aliases", &self.aliases, false, "The other names"),
            ("summary", &self.summary, true, "The summary"),
            ("steps", &self.steps, true, "The steps"),
            ("cautions", &self.cautions, true, "The cautions"),
            (
                "common_mistakes",
                &self.common_mistakes,
                true,
                "The common mistakes",
            ),
        ];
        for (field, raw, multi_line, what) in texts {
            let checked = if multi_line {
                bounded_text(raw, usize::MAX, what)
            } else {
                bounded_line(raw, usize::MAX, what)
            };
            if let (Err(problem), false) = (checked, errors.has(field)) {
                errors.add(field, problem);
            }
        }
        let dosage = Dosage::parse(
            &DosageInput {
                sets: self.sets.clone(),
                reps: self.reps.clone(),
                hold_seconds: self.hold_seconds.clone(),
                rest_seconds: self.rest_seconds.clone(),
                side: self.side.clone(),
                times_per_day: self.times_per_day.clone(),
                days_per_week: self.days_per_week.clone(),
            },
            &mut errors,
            "",
        );
        match (errors.is_empty(), dosage) {
            (true, Some(dosage)) => Ok(ExerciseContent {
                name,
                aliases,
                category: self.category.clone(),
                regions: self.region.clone(),
                position: self.position.clone(),
                equipment: self.equipment.clone(),
                difficulty: self.difficulty.clone(),
                summary: self.summary.trim().to_owned(),
                steps,
                cautions,
                common_mistakes: mistakes,
                dosage,
            }),
            _ => Err(errors),
        }
    }
}

pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

fn choices(table: &[(&'static str, &'static str)], selected: &[String]) -> Vec<Choice> {
    table
        .iter()
        .map(|(value, label)| Choice {
            value,
            label,
            selected: selected.iter().any(|s| s == value),
        })
        .collect()
}

fn side_choices(selected: &str) -> Vec<Choice> {
    Side::ALL
        .iter()
        .map(|side| Choice {
            value: side.as_str(),
            label: side.label(),
            selected: side.as_str() == selected,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "exercises/form.html")]
struct FormPage {
    layout: Layout,
    action: String,
    heading: String,
    built_in: bool,
    form: ExerciseForm,
    categories: Vec<Choice>,
    regions: Vec<Choice>,
    positions: Vec<Choice>,
    equipment: Vec<Choice>,
    difficulties: Vec<Choice>,
    sides: Vec<Choice>,
    errors: FormErrors,
}

impl FormPage {
    fn new(
        layout: Layout,
        action: String,
        heading: String,
        built_in: bool,
        form: ExerciseForm,
        errors: FormErrors,
    ) -> Self {
        Self {
            categories: choices(CATEGORIES, std::slice::from_ref(&form.category)),
            regions: choices(REGIONS, &form.region),
            positions: choices(POSITIONS, std::slice::from_ref(&form.position)),
            equipment: choices(EQUIPMENT, &form.equipment),
            difficulties: choices(DIFFICULTIES, std::slice::from_ref(&form.difficulty)),
            sides: side_choices(&form.side),
            layout,
            action,
            heading,
            built_in,
            form,
            errors,
        }
    }
}

async fn new_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
) -> Result<HttpResponse, AppError> {
    let page = FormPage::new(
        Layout::new(&req, &state, "New exercise"),
        "/exercises".into(),
        "New exercise".into(),
        false,
        ExerciseForm::blank(),
        FormErrors::default(),
    );
    render(&req, &page)
}

async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    CsrfForm(form): CsrfForm<ExerciseForm>,
) -> Result<HttpResponse, AppError> {
    let content = match form.validate() {
        Ok(content) => content,
        Err(errors) => {
            let page = FormPage::new(
                Layout::new(&req, &state, "New exercise"),
                "/exercises".into(),
                "New exercise".into(),
                false,
                form,
                errors,
            );
            return render_with_status(&req, &page, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let who = actor(&req);
    let author = staff.user_id;
    let id = state
        .change(move |c| store::exercises::add(c, &who, &content, author))
        .await?;
    Ok(state.redirect_with_flash(
        &format!("/exercises/{id}"),
        "The exercise has been added to the library.",
    ))
}

async fn edit_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let exercise = state
        .read(move |conn| store::exercises::find(conn, id))
        .await?;
    let page = FormPage::new(
        Layout::new(&req, &state, format!("Edit {}", exercise.name)),
        format!("/exercises/{id}/edit"),
        format!("Edit “{}”", exercise.name),
        exercise.built_in,
        ExerciseForm::from_exercise(&exercise),
        FormErrors::default(),
    );
    render(&req, &page)
}

async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<ExerciseForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let existing = state
        .read(move |conn| store::exercises::find(conn, id))
        .await?;
    let content = match form.validate() {
        Ok(content) => content,
        Err(errors) => {
            let page = FormPage::new(
                Layout::new(&req, &state, format!("Edit {}", existing.name)),
                format!("/exercises/{id}/edit"),
                format!("Edit “{}”", existing.name),
                existing.built_in,
                form,
                errors,
            );
            return render_with_status(&req, &page, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let who = actor(&req);
    state
        .change(move |c| store::exercises::revise(c, &who, id, &content))
        .await?;
    Ok(state.redirect_with_flash(&format!("/exercises/{id}"), "Your changes have been saved."))
}

async fn set_archived(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: i64,
    archived: bool,
) -> Result<HttpResponse, AppError> {
    let who = actor(&req);
    state
        .change(move |c| store::exercises::archive(c, &who, id, archived))
        .await?;
    let message = if archived {
        "The exercise is archived: it no longer appears in searches, and programmes that use it keep it."
    } else {
        "The exercise is back in the library."
    };
    Ok(state.redirect_with_flash(&format!("/exercises/{id}"), message))
}

async fn archive(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    id: web::Path<i64>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    set_archived(req, state, id.into_inner(), true).await
}

async fn restore(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    id: web::Path<i64>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    set_archived(req, state, id.into_inner(), false).await
}
