//! Programme versions and clinic templates.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::dates::Zone;
use crate::db::schema::{
    exercises, programme_items, programme_template_items, programme_templates, programme_versions,
    users,
};
use crate::db::stamp::Stamp;
use crate::db::{DbConn, native};
use crate::domain::adherence::{self, InForce};
use crate::domain::{Dosage, Side};
use crate::error::AppError;
use crate::library::Library;
use crate::store::Refusal;
use crate::store::audit::{self, Action, Actor, Event};
use crate::store::cases;

/// One prescribed exercise with its dosage and the therapist's note. On an item of a
/// saved version, the name, steps and cautions are those it was issued with; saving
/// takes them from the library (see `save_version`), whatever a draft item holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgrammeItem {
    pub exercise_id: i64,
    pub exercise_name: String,
    pub dosage: Dosage,
    pub note: String,
    pub steps: Vec<String>,
    pub cautions: Vec<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = programme_versions)]
pub struct VersionRow {
    pub id: i64,
    pub case_id: i64,
    pub version: i32,
    pub author_id: i64,
    pub notes: String,
    pub review_date: Option<NaiveDate>,
    pub template_id: Option<i64>,
    #[diesel(deserialize_as = Stamp)]
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct ProgrammeVersion {
    pub row: VersionRow,
    pub author: String,
    pub items: Vec<ProgrammeItem>,
}

type ItemColumns = (
    i64,
    String,
    i32,
    i32,
    i32,
    i32,
    String,
    i32,
    i32,
    String,
    String,
    String,
);

/// A list stored as a JSON array of strings (steps, cautions).
fn text_list(json: &str) -> Result<Vec<String>, AppError> {
    serde_json::from_str(json)
        .map_err(|e| AppError::Internal(format!("stored list is not JSON: {e}")))
}

fn item_from(columns: ItemColumns) -> Result<ProgrammeItem, AppError> {
    let (
        exercise_id,
        exercise_name,
        sets,
        reps,
        hold_seconds,
        rest_seconds,
        side,
        times_per_day,
        days_per_week,
        note,
        steps,
        cautions,
    ) = columns;
    Ok(ProgrammeItem {
        exercise_id,
        exercise_name,
        steps: text_list(&steps)?,
        cautions: text_list(&cautions)?,
        dosage: Dosage {
            sets,
            reps,
            hold_seconds,
            rest_seconds,
            side: Side::parse(&side).map_err(AppError::Internal)?,
            times_per_day,
            days_per_week,
        },
        note,
    })
}

fn load_version(conn: &mut DbConn, row: VersionRow) -> Result<ProgrammeVersion, AppError> {
    let author = native!(conn, |c| users::table
        .find(row.author_id)
        .select(users::display_name)
        .first(c))?;
    let items: Vec<ItemColumns> = native!(conn, |c| programme_items::table
        .filter(programme_items::version_id.eq(row.id))
        .order(programme_items::position.asc())
        .select((
            programme_items::exercise_id,
            programme_items::exercise_name,
            programme_items::sets,
            programme_items::reps,
            programme_items::hold_seconds,
            programme_items::rest_seconds,
            programme_items::side,
            programme_items::times_per_day,
            programme_items::days_per_week,
            programme_items::note,
            programme_items::steps,
            programme_items::cautions,
        ))
        .load(c))?;
    let items = items.into_iter().map(item_from).collect::<Result<_, _>>()?;
    Ok(ProgrammeVersion { row, author, items })
}

pub fn current(conn: &mut DbConn, case_id: i64) -> Result<Option<ProgrammeVersion>, AppError> {
    let row = native!(conn, |c| programme_versions::table
        .filter(programme_versions::case_id.eq(case_id))
        .order(programme_versions::version.desc())
        .select(VersionRow::as_select())
        .first(c)
        .optional())?;
    row.map(|r| load_version(conn, r)).transpose()
}

/// The current version's number and its exercises in order: all a case page or an
/// adherence tick needs of a programme, without each item's dosage or the author.
pub fn current_exercise_ids(
    conn: &mut DbConn,
    case_id: i64,
) -> QueryResult<Option<(i32, Vec<i64>)>> {
    let row: Option<(i64, i32)> = native!(conn, |c| programme_versions::table
        .filter(programme_versions::case_id.eq(case_id))
        .order(programme_versions::version.desc())
        .select((programme_versions::id, programme_versions::version))
        .first(c)
        .optional())?;
    let Some((version_id, number)) = row else {
        return Ok(None);
    };
    let ids = native!(conn, |c| programme_items::table
        .filter(programme_items::version_id.eq(version_id))
        .order(programme_items::position.asc())
        .select(programme_items::exercise_id)
        .load(c))?;
    Ok(Some((number, ids)))
}

/// One exercise of one saved version: (version, saved at, exercise, days a week).
pub type ItemRow = (i32, NaiveDateTime, i64, i32);

/// The exercises of every saved version of a case, oldest version first, each version's
/// in their order. One query; the case page takes adherence's schedule and the current
/// version's size from it.
pub fn item_rows(conn: &mut DbConn, case_id: i64) -> QueryResult<Vec<ItemRow>> {
    let rows: Vec<(i32, Stamp, i64, i32)> = native!(conn, |c| programme_items::table
        .inner_join(programme_versions::table)
        .filter(programme_versions::case_id.eq(case_id))
        .order((
            programme_versions::version.asc(),
            programme_items::position.asc(),
        ))
        .select((
            programme_versions::version,
            programme_versions::created_at,
            programme_items::exercise_id,
            programme_items::days_per_week,
        ))
        .load(c))?;
    Ok(rows
        .into_iter()
        .map(|(number, Stamp(at), exercise_id, days)| (number, at, exercise_id, days))
        .collect())
}

/// Every version of a case's programme as adherence counts it, from `item_rows`: from the
/// day each was saved, its exercises and their days a week, oldest version first.
/// A version is in force from the local day (in `zone`) it was saved.
pub fn schedule(rows: &[ItemRow], zone: Zone) -> Vec<InForce> {
    adherence::schedule(
        rows.iter()
            .map(|&(number, at, exercise_id, days_per_week)| {
                (
                    i64::from(number),
                    zone.day_of(at),
                    exercise_id,
                    days_per_week,
                )
            }),
    )
}

pub fn version(
    conn: &mut DbConn,
    case_id: i64,
    number: i32,
) -> Result<Option<ProgrammeVersion>, AppError> {
    let row = native!(conn, |c| programme_versions::table
        .filter(programme_versions::case_id.eq(case_id))
        .filter(programme_versions::version.eq(number))
        .select(VersionRow::as_select())
        .first(c)
        .optional())?;
    row.map(|r| load_version(conn, r)).transpose()
}

/// Every version of a case's programme, newest first: (number, saved at, author, item count).
pub fn history(conn: &mut DbConn, case_id: i64) -> QueryResult<Vec<(i32, NaiveDateTime, String)>> {
    programme_versions::table
        .inner_join(users::table.on(users::id.eq(programme_versions::author_id)))
        .filter(programme_versions::case_id.eq(case_id))
        .order(programme_versions::version.desc())
        .select((
            programme_versions::version,
            programme_versions::created_at,
            users::display_name,
        ))
        .load(conn)
}

pub struct NewVersion<'a> {
    pub case_id: i64,
    pub author_id: i64,
    pub notes: &'a str,
    pub review_date: Option<NaiveDate>,
    pub template_id: Option<i64>,
    pub items: &'a [ProgrammeItem],
    /// When it was saved: now, except for imported or demonstration histories.
    pub saved_at: NaiveDateTime,
}

/// A therapist issues the next version of a case's programme, with its audit events, and
/// gets its number. Refused while red flags wait for action or once the case is closed:
/// checked here, in the write, since an action or a new "yes" may have come in after the
/// builder was read.
pub fn issue(conn: &mut DbConn, who: &Actor, new: &NewVersion<'_>) -> Result<i32, Refusal> {
    let case = cases::find(conn, new.case_id)?;
    if !case.pending_flags().is_empty() || !case.is_open() {
        return Err(Refusal::rule(
            "gate",
            "The programme could not be issued: the case changed meanwhile.",
        ));
    }
    let (version_id, number) = save_version(conn, new)?;
    audit::record(
        conn,
        who,
        Event::new(Action::ProgrammeSaved)
            .entity("programme_version", version_id)
            .patient(case.patient_id)
            .detail(format!("version {number}")),
    )?;
    if let Some(template) = new.template_id {
        audit::record(
            conn,
            who,
            Event::new(Action::TemplateUsed)
                .entity("template", template)
                .patient(case.patient_id),
        )?;
    }
    Ok(number)
}

/// Saves the next version number. A concurrent save of the same number hits the
/// unique (case, version) key and fails as a conflict instead of overwriting.
///
/// Each item keeps the exercise's name, steps and cautions as the library has them in
/// this transaction, so the version reads the same after the exercise is edited.
pub fn save_version(conn: &mut DbConn, new: &NewVersion<'_>) -> Result<(i64, i32), AppError> {
    let ids: Vec<i64> = new.items.iter().map(|i| i.exercise_id).collect();
    let content: HashMap<i64, (String, String, String)> = exercises::table
        .filter(exercises::id.eq_any(&ids))
        .select((
            exercises::id,
            exercises::name,
            exercises::steps,
            exercises::cautions,
        ))
        .load::<(i64, String, String, String)>(conn)?
        .into_iter()
        .map(|(id, name, steps, cautions)| (id, (name, steps, cautions)))
        .collect();
    let last: Option<i32> = programme_versions::table
        .filter(programme_versions::case_id.eq(new.case_id))
        .select(diesel::dsl::max(programme_versions::version))
        .first(conn)?;
    let number = last.unwrap_or(0) + 1;
    let id: i64 = diesel::insert_into(programme_versions::table)
        .values((
            programme_versions::case_id.eq(new.case_id),
            programme_versions::version.eq(number),
            programme_versions::author_id.eq(new.author_id),
            programme_versions::notes.eq(new.notes),
            programme_versions::review_date.eq(new.review_date),
            programme_versions::template_id.eq(new.template_id),
            programme_versions::created_at.eq(new.saved_at),
        ))
        .returning(programme_versions::id)
        .get_result(conn)?;
    for (position, item) in new.items.iter().enumerate() {
        let (name, steps, cautions) = content.get(&item.exercise_id).ok_or_else(|| {
            AppError::Internal(format!("no exercise {} to save", item.exercise_id))
        })?;
        diesel::insert_into(programme_items::table)
            .values((
                programme_items::version_id.eq(id),
                programme_items::position.eq(i32::try_from(position).unwrap_or(i32::MAX)),
                programme_items::exercise_id.eq(item.exercise_id),
                programme_items::exercise_name.eq(name),
                programme_items::steps.eq(steps),
                programme_items::cautions.eq(cautions),
                programme_items::sets.eq(item.dosage.sets),
                programme_items::reps.eq(item.dosage.reps),
                programme_items::hold_seconds.eq(item.dosage.hold_seconds),
                programme_items::rest_seconds.eq(item.dosage.rest_seconds),
                programme_items::side.eq(item.dosage.side.as_str()),
                programme_items::times_per_day.eq(item.dosage.times_per_day),
                programme_items::days_per_week.eq(item.dosage.days_per_week),
                programme_items::note.eq(&item.note),
            ))
            .execute(conn)?;
    }
    diesel::update(crate::db::schema::cases::table.find(new.case_id))
        .set(crate::db::schema::cases::review_date.eq(new.review_date))
        .execute(conn)?;
    Ok((id, number))
}

/// Exercises by id with (name, archived): to name builder items and check additions.
pub fn exercise_names(conn: &mut DbConn, ids: &[i64]) -> QueryResult<HashMap<i64, (String, bool)>> {
    Ok(exercises::table
        .filter(exercises::id.eq_any(ids))
        .select((exercises::id, exercises::name, exercises::archived))
        .load::<(i64, String, bool)>(conn)?
        .into_iter()
        .map(|(id, name, archived)| (id, (name, archived)))
        .collect())
}

// ---- templates

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = programme_templates)]
pub struct TemplateRow {
    pub id: i64,
    pub slug: Option<String>,
    pub name: String,
    pub description: String,
    pub archived: bool,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn templates(
    conn: &mut DbConn,
    archived: bool,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<TemplateRow>, i64)> {
    let total = programme_templates::table
        .filter(programme_templates::archived.eq(archived))
        .count()
        .get_result(conn)?;
    let rows = programme_templates::table
        .filter(programme_templates::archived.eq(archived))
        .order((
            programme_templates::name.asc(),
            programme_templates::id.asc(),
        ))
        .offset(offset)
        .limit(limit)
        .select(TemplateRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

pub fn active_templates(conn: &mut DbConn) -> QueryResult<Vec<(i64, String)>> {
    native!(conn, |c| programme_templates::table
        .filter(programme_templates::archived.eq(false))
        .order(programme_templates::name.asc())
        .select((programme_templates::id, programme_templates::name))
        .load(c))
}

/// Every template's id, archived or not, oldest first.
pub fn all_template_ids(conn: &mut DbConn) -> QueryResult<Vec<i64>> {
    programme_templates::table
        .order(programme_templates::id.asc())
        .select(programme_templates::id)
        .load(conn)
}

pub fn template(conn: &mut DbConn, id: i64) -> Result<(TemplateRow, Vec<ProgrammeItem>), AppError> {
    let row = programme_templates::table
        .find(id)
        .select(TemplateRow::as_select())
        .first(conn)?;
    let items = programme_template_items::table
        .inner_join(exercises::table)
        .filter(programme_template_items::template_id.eq(id))
        .order(programme_template_items::position.asc())
        .select((
            programme_template_items::exercise_id,
            exercises::name,
            programme_template_items::sets,
            programme_template_items::reps,
            programme_template_items::hold_seconds,
            programme_template_items::rest_seconds,
            programme_template_items::side,
            programme_template_items::times_per_day,
            programme_template_items::days_per_week,
            programme_template_items::note,
            exercises::steps,
            exercises::cautions,
        ))
        .load::<ItemColumns>(conn)?
        .into_iter()
        .map(item_from)
        .collect::<Result<_, _>>()?;
    Ok((row, items))
}

/// A template's exercises, taken into a case's programme builder, with its audit event.
pub fn apply_template(
    conn: &mut DbConn,
    who: &Actor,
    template_id: i64,
    case_id: i64,
) -> Result<(TemplateRow, Vec<ProgrammeItem>), AppError> {
    let case = cases::find(conn, case_id)?;
    let template = template(conn, template_id)?;
    audit::record(
        conn,
        who,
        Event::new(Action::TemplateApplied)
            .entity("template", template_id)
            .patient(case.patient_id),
    )?;
    Ok(template)
}

/// A therapist keeps a case's current programme as a clinic template, with its audit
/// event.
pub fn save_as_template(
    conn: &mut DbConn,
    who: &Actor,
    case_id: i64,
    name: &str,
    description: &str,
    author: i64,
) -> Result<i64, Refusal> {
    let case = cases::find(conn, case_id)?;
    let current = current(conn, case_id)?.ok_or(AppError::NotFound)?;
    let id = create_template(conn, None, name, description, &current.items, Some(author))?;
    audit::record(
        conn,
        who,
        Event::new(Action::TemplateCreated)
            .entity("template", id)
            .patient(case.patient_id),
    )?;
    Ok(id)
}

/// Renames a template and changes its description, with its audit event.
pub fn describe_template(
    conn: &mut DbConn,
    who: &Actor,
    id: i64,
    name: &str,
    description: &str,
) -> Result<(), Refusal> {
    template(conn, id)?;
    update_template(conn, id, name, description)?;
    audit::record(
        conn,
        who,
        Event::new(Action::TemplateUpdated).entity("template", id),
    )?;
    Ok(())
}

/// Takes a template out of use (`archived`) or back into it, with its audit event.
pub fn archive_template(
    conn: &mut DbConn,
    who: &Actor,
    id: i64,
    archived: bool,
) -> Result<(), Refusal> {
    template(conn, id)?;
    set_template_archived(conn, id, archived)?;
    let action = if archived {
        Action::TemplateArchived
    } else {
        Action::TemplateRestored
    };
    audit::record(conn, who, Event::new(action).entity("template", id))?;
    Ok(())
}

pub fn create_template(
    conn: &mut DbConn,
    slug: Option<&str>,
    name: &str,
    description: &str,
    items: &[ProgrammeItem],
    author: Option<i64>,
) -> QueryResult<i64> {
    let now = Utc::now().naive_utc();
    let id = diesel::insert_into(programme_templates::table)
        .values((
            programme_templates::slug.eq(slug),
            programme_templates::name.eq(name),
            programme_templates::description.eq(description),
            programme_templates::archived.eq(false),
            programme_templates::created_by.eq(author),
            programme_templates::created_at.eq(now),
            programme_templates::updated_at.eq(now),
        ))
        .returning(programme_templates::id)
        .get_result(conn)?;
    for (position, item) in items.iter().enumerate() {
        diesel::insert_into(programme_template_items::table)
            .values((
                programme_template_items::template_id.eq(id),
                programme_template_items::position.eq(i32::try_from(position).unwrap_or(i32::MAX)),
                programme_template_items::exercise_id.eq(item.exercise_id),
                programme_template_items::sets.eq(item.dosage.sets),
                programme_template_items::reps.eq(item.dosage.reps),
                programme_template_items::hold_seconds.eq(item.dosage.hold_seconds),
                programme_template_items::rest_seconds.eq(item.dosage.rest_seconds),
                programme_template_items::side.eq(item.dosage.side.as_str()),
                programme_template_items::times_per_day.eq(item.dosage.times_per_day),
                programme_template_items::days_per_week.eq(item.dosage.days_per_week),
                programme_template_items::note.eq(&item.note),
            ))
            .execute(conn)?;
    }
    Ok(id)
}

fn update_template(
    conn: &mut DbConn,
    id: i64,
    name: &str,
    description: &str,
) -> QueryResult<usize> {
    diesel::update(programme_templates::table.find(id))
        .set((
            programme_templates::name.eq(name),
            programme_templates::description.eq(description),
            programme_templates::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)
}

fn set_template_archived(conn: &mut DbConn, id: i64, archived: bool) -> QueryResult<usize> {
    diesel::update(programme_templates::table.find(id))
        .set((
            programme_templates::archived.eq(archived),
            programme_templates::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)
}

/// Adds the built-in templates whose slug is missing, with each exercise's usual dose.
pub fn seed_templates(conn: &mut DbConn, library: &Library) -> Result<usize, AppError> {
    let mut added = 0;
    for template in &library.template {
        let exists: Option<i64> = programme_templates::table
            .filter(programme_templates::slug.eq(&template.slug))
            .select(programme_templates::id)
            .first(conn)
            .optional()?;
        if exists.is_some() {
            continue;
        }
        let mut items = Vec::new();
        for slug in &template.exercises {
            let exercise = crate::store::exercises::find_by_slug(conn, slug)?.ok_or_else(|| {
                AppError::Internal(format!(
                    "template {} names unknown exercise {slug}",
                    template.slug
                ))
            })?;
            items.push(ProgrammeItem {
                exercise_id: exercise.id,
                exercise_name: exercise.name,
                dosage: exercise.dosage,
                note: String::new(),
                steps: exercise.steps,
                cautions: exercise.cautions,
            });
        }
        create_template(
            conn,
            Some(&template.slug),
            &template.name,
            &template.description,
            &items,
            None,
        )?;
        added += 1;
    }
    Ok(added)
}
