//! Library storage: seeding from the built-in data file, reads, and the clinic's changes.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::exercises;
use crate::domain::text::fold;
use crate::domain::{Dosage, Side};
use crate::error::AppError;
use crate::library::{Library, LibraryEntry};
use crate::store::Refusal;
use crate::store::audit::{self, Action, Actor, Event};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = exercises)]
pub struct ExerciseRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub aliases: String,
    pub category: String,
    pub regions: String,
    pub position: String,
    pub equipment: String,
    pub difficulty: String,
    pub summary: String,
    pub steps: String,
    pub cautions: String,
    pub common_mistakes: String,
    pub source: String,
    pub variant_of: Option<String>,
    pub relation: Option<String>,
    pub sets: i32,
    pub reps: i32,
    pub hold_seconds: i32,
    pub rest_seconds: i32,
    pub side: String,
    pub times_per_day: i32,
    pub days_per_week: i32,
    pub built_in: bool,
    pub changed_by_clinic: bool,
    pub archived: bool,
    pub search_text: String,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// An exercise as the app uses it: lists decoded, dosage validated.
#[derive(Debug, Clone)]
pub struct Exercise {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub aliases: Vec<String>,
    pub category: String,
    pub regions: Vec<String>,
    pub position: String,
    pub equipment: Vec<String>,
    pub difficulty: String,
    pub summary: String,
    pub steps: Vec<String>,
    pub cautions: Vec<String>,
    pub common_mistakes: Vec<String>,
    pub source: String,
    pub variant_of: Option<String>,
    pub relation: Option<String>,
    pub dosage: Dosage,
    pub built_in: bool,
    pub changed_by_clinic: bool,
    pub archived: bool,
    pub search_text: String,
}

fn list(json: &str) -> Result<Vec<String>, AppError> {
    serde_json::from_str(json)
        .map_err(|e| AppError::Internal(format!("stored list is not JSON: {e}")))
}

fn to_json(items: &[String]) -> String {
    serde_json::Value::from(items.to_vec()).to_string()
}

impl TryFrom<ExerciseRow> for Exercise {
    type Error = AppError;

    fn try_from(row: ExerciseRow) -> Result<Self, AppError> {
        let side = Side::parse(&row.side).map_err(AppError::Internal)?;
        Ok(Self {
            aliases: list(&row.aliases)?,
            regions: list(&row.regions)?,
            equipment: list(&row.equipment)?,
            steps: list(&row.steps)?,
            cautions: list(&row.cautions)?,
            common_mistakes: list(&row.common_mistakes)?,
            dosage: Dosage {
                sets: row.sets,
                reps: row.reps,
                hold_seconds: row.hold_seconds,
                rest_seconds: row.rest_seconds,
                side,
                times_per_day: row.times_per_day,
                days_per_week: row.days_per_week,
            },
            id: row.id,
            slug: row.slug,
            name: row.name,
            category: row.category,
            position: row.position,
            difficulty: row.difficulty,
            summary: row.summary,
            source: row.source,
            variant_of: row.variant_of,
            relation: row.relation,
            built_in: row.built_in,
            changed_by_clinic: row.changed_by_clinic,
            archived: row.archived,
            search_text: row.search_text,
        })
    }
}

/// The validated content of an exercise, from the seed file or a therapist's form.
#[derive(Debug, Clone)]
pub struct ExerciseContent {
    pub name: String,
    pub aliases: Vec<String>,
    pub category: String,
    pub regions: Vec<String>,
    pub position: String,
    pub equipment: Vec<String>,
    pub difficulty: String,
    pub summary: String,
    pub steps: Vec<String>,
    pub cautions: Vec<String>,
    pub common_mistakes: Vec<String>,
    pub dosage: Dosage,
}

impl ExerciseContent {
    fn search_text(&self) -> String {
        let mut text = self.name.clone();
        for part in self.aliases.iter().chain(&self.steps) {
            text.push('\n');
            text.push_str(part);
        }
        text.push('\n');
        text.push_str(&self.summary);
        fold(&text)
    }
}

/// Inserts every built-in entry whose slug is missing. Entries already present,
/// including ones the clinic changed or archived, are left exactly as they are.
pub fn seed_library(conn: &mut DbConn, library: &Library) -> Result<usize, AppError> {
    let existing: HashSet<String> = exercises::table
        .select(exercises::slug)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let now = Utc::now().naive_utc();
    let mut inserted = 0;
    for entry in library
        .exercise
        .iter()
        .filter(|e| !existing.contains(&e.slug))
    {
        let content = content_from_seed(entry)?;
        let source = entry
            .sources
            .iter()
            .filter_map(|id| library.article.iter().find(|a| a.id == *id))
            .map(|a| a.title.clone())
            .collect::<Vec<_>>()
            .join("; ");
        insert(
            conn,
            &entry.slug,
            &content,
            &source,
            entry.variant_of.as_deref(),
            entry.relation.as_deref(),
            true,
            None,
            now,
        )?;
        inserted += 1;
    }
    Ok(inserted)
}

fn content_from_seed(entry: &LibraryEntry) -> Result<ExerciseContent, AppError> {
    let bad = |what: &str| AppError::Internal(format!("library entry {}: {what}", entry.slug));
    let int = |n: u32| i32::try_from(n).map_err(|_| bad("number out of range"));
    Ok(ExerciseContent {
        name: entry.name.clone(),
        aliases: entry.aliases.clone(),
        category: entry.category.clone(),
        regions: entry.regions.clone(),
        position: entry.position.clone(),
        equipment: entry.equipment.clone(),
        difficulty: entry.difficulty.clone(),
        summary: entry.summary.clone(),
        steps: entry.steps.clone(),
        cautions: entry.cautions.clone(),
        common_mistakes: entry.common_mistakes.clone(),
        dosage: Dosage {
            sets: int(entry.dosage.sets)?,
            reps: int(entry.dosage.reps)?,
            hold_seconds: int(entry.dosage.hold_seconds)?,
            rest_seconds: int(entry.dosage.rest_seconds)?,
            side: Side::parse(&entry.dosage.side).map_err(|_| bad("side"))?,
            times_per_day: int(entry.dosage.times_per_day)?,
            days_per_week: int(entry.dosage.days_per_week)?,
        },
    })
}

#[allow(clippy::too_many_arguments)]
fn insert(
    conn: &mut DbConn,
    slug: &str,
    content: &ExerciseContent,
    source: &str,
    variant_of: Option<&str>,
    relation: Option<&str>,
    built_in: bool,
    created_by: Option<i64>,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(exercises::table)
        .values((
            exercises::slug.eq(slug),
            exercises::name.eq(&content.name),
            exercises::aliases.eq(to_json(&content.aliases)),
            exercises::category.eq(&content.category),
            exercises::regions.eq(to_json(&content.regions)),
            exercises::position.eq(&content.position),
            exercises::equipment.eq(to_json(&content.equipment)),
            exercises::difficulty.eq(&content.difficulty),
            exercises::summary.eq(&content.summary),
            exercises::steps.eq(to_json(&content.steps)),
            exercises::cautions.eq(to_json(&content.cautions)),
            exercises::common_mistakes.eq(to_json(&content.common_mistakes)),
            exercises::source.eq(source),
            exercises::variant_of.eq(variant_of),
            exercises::relation.eq(relation),
            exercises::sets.eq(content.dosage.sets),
            exercises::reps.eq(content.dosage.reps),
            exercises::hold_seconds.eq(content.dosage.hold_seconds),
            exercises::rest_seconds.eq(content.dosage.rest_seconds),
            exercises::side.eq(content.dosage.side.as_str()),
            exercises::times_per_day.eq(content.dosage.times_per_day),
            exercises::days_per_week.eq(content.dosage.days_per_week),
            exercises::built_in.eq(built_in),
            exercises::changed_by_clinic.eq(false),
            exercises::archived.eq(false),
            exercises::search_text.eq(content.search_text()),
            exercises::created_by.eq(created_by),
            exercises::created_at.eq(now),
            exercises::updated_at.eq(now),
        ))
        .returning(exercises::id)
        .get_result(conn)
}

/// A therapist adds an exercise of the clinic's own to the library, with its audit event.
pub fn add(
    conn: &mut DbConn,
    who: &Actor,
    content: &ExerciseContent,
    author: i64,
) -> Result<i64, Refusal> {
    let id = create(conn, content, author)?;
    audit::record(
        conn,
        who,
        Event::new(Action::ExerciseCreated).entity("exercise", id),
    )?;
    Ok(id)
}

/// A therapist changes an exercise, with its audit event. The event names the fields
/// changed, so a built-in entry's history is on record.
pub fn revise(
    conn: &mut DbConn,
    who: &Actor,
    id: i64,
    content: &ExerciseContent,
) -> Result<(), Refusal> {
    let existing = find(conn, id)?;
    update(conn, id, content, existing.built_in)?;
    audit::record(
        conn,
        who,
        Event::new(Action::ExerciseUpdated)
            .entity("exercise", id)
            .detail(format!(
                "{}fields: {}",
                if existing.built_in {
                    "built-in entry; "
                } else {
                    ""
                },
                changed_fields(&existing, content).join(", ")
            )),
    )?;
    Ok(())
}

fn changed_fields(old: &Exercise, new: &ExerciseContent) -> Vec<&'static str> {
    let differs = [
        ("name", old.name != new.name),
        ("aliases", old.aliases != new.aliases),
        ("category", old.category != new.category),
        ("regions", old.regions != new.regions),
        ("position", old.position != new.position),
        ("equipment", old.equipment != new.equipment),
        ("difficulty", old.difficulty != new.difficulty),
        ("summary", old.summary != new.summary),
        ("steps", old.steps != new.steps),
        ("cautions", old.cautions != new.cautions),
        (
            "common mistakes",
            old.common_mistakes != new.common_mistakes,
        ),
        ("dosage", old.dosage != new.dosage),
    ];
    let changed: Vec<&'static str> = differs
        .into_iter()
        .filter_map(|(name, differs)| differs.then_some(name))
        .collect();
    if changed.is_empty() {
        vec!["none"]
    } else {
        changed
    }
}

/// Takes an exercise out of searches (`archived`; programmes that use it keep it) or
/// back in, with its audit event.
pub fn archive(conn: &mut DbConn, who: &Actor, id: i64, archived: bool) -> Result<(), Refusal> {
    find(conn, id)?;
    set_archived(conn, id, archived)?;
    let action = if archived {
        Action::ExerciseArchived
    } else {
        Action::ExerciseRestored
    };
    audit::record(conn, who, Event::new(action).entity("exercise", id))?;
    Ok(())
}

/// A therapist's own exercise. Its slug marks it as the clinic's, so no release can collide.
fn create(conn: &mut DbConn, content: &ExerciseContent, author: i64) -> QueryResult<i64> {
    let slug = format!("clinic-{}", &crate::secrets::random_token()[..12]);
    insert(
        conn,
        &slug,
        content,
        "The clinic's own exercise",
        None,
        None,
        false,
        Some(author),
        Utc::now().naive_utc(),
    )
}

fn update(
    conn: &mut DbConn,
    id: i64,
    content: &ExerciseContent,
    built_in: bool,
) -> QueryResult<usize> {
    diesel::update(exercises::table.find(id))
        .set((
            exercises::name.eq(&content.name),
            exercises::aliases.eq(to_json(&content.aliases)),
            exercises::category.eq(&content.category),
            exercises::regions.eq(to_json(&content.regions)),
            exercises::position.eq(&content.position),
            exercises::equipment.eq(to_json(&content.equipment)),
            exercises::difficulty.eq(&content.difficulty),
            exercises::summary.eq(&content.summary),
            exercises::steps.eq(to_json(&content.steps)),
            exercises::cautions.eq(to_json(&content.cautions)),
            exercises::common_mistakes.eq(to_json(&content.common_mistakes)),
            exercises::sets.eq(content.dosage.sets),
            exercises::reps.eq(content.dosage.reps),
            exercises::hold_seconds.eq(content.dosage.hold_seconds),
            exercises::rest_seconds.eq(content.dosage.rest_seconds),
            exercises::side.eq(content.dosage.side.as_str()),
            exercises::times_per_day.eq(content.dosage.times_per_day),
            exercises::days_per_week.eq(content.dosage.days_per_week),
            exercises::changed_by_clinic.eq(built_in),
            exercises::search_text.eq(content.search_text()),
            exercises::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)
}

fn set_archived(conn: &mut DbConn, id: i64, archived: bool) -> QueryResult<usize> {
    diesel::update(exercises::table.find(id))
        .set((
            exercises::archived.eq(archived),
            exercises::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)
}

pub fn find(conn: &mut DbConn, id: i64) -> Result<Exercise, AppError> {
    exercises::table
        .find(id)
        .select(ExerciseRow::as_select())
        .first(conn)?
        .try_into()
}

pub fn find_by_slug(conn: &mut DbConn, slug: &str) -> Result<Option<Exercise>, AppError> {
    exercises::table
        .filter(exercises::slug.eq(slug))
        .select(ExerciseRow::as_select())
        .first(conn)
        .optional()?
        .map(Exercise::try_from)
        .transpose()
}

/// The slugs of the given exercises by id: a built-in entry's slug names its figures.
pub fn slugs(conn: &mut DbConn, ids: &[i64]) -> Result<HashMap<i64, String>, AppError> {
    Ok(exercises::table
        .filter(exercises::id.eq_any(ids))
        .select((exercises::id, exercises::slug))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

/// Every exercise in or out of the archive: the library is bounded (tens to a few
/// hundred entries), so search and facet counts run over it in memory.
pub fn all(conn: &mut DbConn, archived: bool) -> Result<Vec<Exercise>, AppError> {
    exercises::table
        .filter(exercises::archived.eq(archived))
        .order((exercises::name.asc(), exercises::id.asc()))
        .select(ExerciseRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Exercise::try_from)
        .collect()
}

/// Variants of an exercise (entries naming it as their base).
pub fn variants_of(
    conn: &mut DbConn,
    slug: &str,
) -> Result<Vec<(i64, String, Option<String>)>, AppError> {
    Ok(exercises::table
        .filter(exercises::variant_of.eq(slug))
        .filter(exercises::archived.eq(false))
        .order(exercises::name.asc())
        .select((exercises::id, exercises::name, exercises::relation))
        .load(conn)?)
}
