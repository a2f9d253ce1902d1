//! The clinic's own pictures of an exercise (at most three), and which pictures an
//! exercise shows: the library's drawn figures or the clinic's pictures.
//!
//! Pictures are library content, not patient data: staff and patients may both see them.
//! The bytes are immutable per id (a changed picture is a new row), so they can be
//! cached for as long as a browser likes.

use std::collections::HashMap;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{exercise_pictures, exercises};
use crate::domain::picture::{self, MAX_PER_EXERCISE, PreparedPicture};
use crate::error::AppError;
use crate::store::Refusal;
use crate::store::audit::{self, Action, Actor, Event};

crate::store::stored::stored_text! {
    /// Which pictures an exercise shows, by the name stored in `exercises.picture_choice`.
    pub enum PictureChoice {
        /// The library's drawn figures (none yet for the clinic's own exercises).
        Drawn = "drawn",
        /// The clinic's own photos or drawings, in place of the drawn figures.
        Clinic = "clinic",
    }
}

/// A stored picture without its bytes: what pages need to link to it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = exercise_pictures)]
pub struct PictureInfo {
    pub id: i64,
    pub exercise_id: i64,
    pub position: i32,
    pub caption: String,
    pub screen_width: i32,
    pub screen_height: i32,
    pub created_at: NaiveDateTime,
}

/// Which rendition of a picture to serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Screen,
    Thumb,
    Print,
}

/// One rendition's bytes and content type.
#[derive(Debug, Clone)]
pub struct PictureBytes {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// A picture as the sheet prints it: a baseline JPEG and its size in pixels.
#[derive(Debug, Clone)]
pub struct PrintPicture {
    pub id: i64,
    pub caption: String,
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// What an exercise shows beside its name and steps.
#[derive(Debug, Clone)]
pub enum Shown {
    /// The library's drawn figures.
    Drawn,
    /// The clinic's own pictures, in order.
    Clinic(Vec<PictureInfo>),
}

/// The clinic's pictures of an exercise, in order.
pub fn for_exercise(conn: &mut DbConn, exercise_id: i64) -> Result<Vec<PictureInfo>, AppError> {
    Ok(exercise_pictures::table
        .filter(exercise_pictures::exercise_id.eq(exercise_id))
        .order((
            exercise_pictures::position.asc(),
            exercise_pictures::id.asc(),
        ))
        .select(PictureInfo::as_select())
        .load(conn)?)
}

/// The choice stored on an exercise.
pub fn choice(conn: &mut DbConn, exercise_id: i64) -> Result<PictureChoice, AppError> {
    let stored: String = exercises::table
        .find(exercise_id)
        .select(exercises::picture_choice)
        .first(conn)?;
    PictureChoice::parse(&stored)
        .ok_or_else(|| AppError::Internal(format!("unknown picture choice {stored:?}")))
}

/// Which pictures this exercise shows: the clinic's when the therapist chose them and
/// there is at least one, else the drawn figures.
pub fn shown(conn: &mut DbConn, exercise_id: i64) -> Result<Shown, AppError> {
    if choice(conn, exercise_id)? == PictureChoice::Drawn {
        return Ok(Shown::Drawn);
    }
    let pictures = for_exercise(conn, exercise_id)?;
    Ok(if pictures.is_empty() {
        Shown::Drawn
    } else {
        Shown::Clinic(pictures)
    })
}

/// The pictures shown for each of these exercises, in order. Exercises showing drawn
/// figures are absent.
pub fn shown_for(
    conn: &mut DbConn,
    exercise_ids: &[i64],
) -> Result<HashMap<i64, Vec<PictureInfo>>, AppError> {
    let rows: Vec<PictureInfo> = exercise_pictures::table
        .inner_join(exercises::table)
        .filter(exercise_pictures::exercise_id.eq_any(exercise_ids))
        .filter(exercises::picture_choice.eq(PictureChoice::Clinic.as_str()))
        .order((
            exercise_pictures::exercise_id.asc(),
            exercise_pictures::position.asc(),
            exercise_pictures::id.asc(),
        ))
        .select(PictureInfo::as_select())
        .load(conn)?;
    let mut shown: HashMap<i64, Vec<PictureInfo>> = HashMap::new();
    for row in rows {
        shown.entry(row.exercise_id).or_default().push(row);
    }
    Ok(shown)
}

/// The print renditions shown for each of these exercises, for the sheet.
pub fn print_pictures(
    conn: &mut DbConn,
    exercise_ids: &[i64],
) -> Result<HashMap<i64, Vec<PrintPicture>>, AppError> {
    let rows: Vec<(i64, i64, String, Vec<u8>, i32, i32)> = exercise_pictures::table
        .inner_join(exercises::table)
        .filter(exercise_pictures::exercise_id.eq_any(exercise_ids))
        .filter(exercises::picture_choice.eq(PictureChoice::Clinic.as_str()))
        .order((
            exercise_pictures::exercise_id.asc(),
            exercise_pictures::position.asc(),
            exercise_pictures::id.asc(),
        ))
        .select((
            exercise_pictures::id,
            exercise_pictures::exercise_id,
            exercise_pictures::caption,
            exercise_pictures::print_jpeg,
            exercise_pictures::print_width,
            exercise_pictures::print_height,
        ))
        .load(conn)?;
    let mut by_exercise: HashMap<i64, Vec<PrintPicture>> = HashMap::new();
    for (id, exercise_id, caption, jpeg, width, height) in rows {
        by_exercise
            .entry(exercise_id)
            .or_default()
            .push(PrintPicture {
                id,
                caption,
                jpeg,
                width: u32::try_from(width).unwrap_or(0),
                height: u32::try_from(height).unwrap_or(0),
            });
    }
    Ok(by_exercise)
}

/// One rendition's bytes, or `None` when there is no such picture.
pub fn bytes(
    conn: &mut DbConn,
    picture_id: i64,
    size: Size,
) -> Result<Option<PictureBytes>, AppError> {
    let found = exercise_pictures::table.find(picture_id);
    let row: Option<(String, Vec<u8>)> = match size {
        Size::Screen => found
            .select((exercise_pictures::screen_type, exercise_pictures::screen))
            .first(conn)
            .optional()?,
        Size::Thumb => found
            .select((exercise_pictures::screen_type, exercise_pictures::thumb))
            .first(conn)
            .optional()?,
        Size::Print => found
            .select(exercise_pictures::print_jpeg)
            .first::<Vec<u8>>(conn)
            .optional()?
            .map(|bytes| ("image/jpeg".to_owned(), bytes)),
    };
    Ok(row.map(|(content_type, bytes)| PictureBytes {
        content_type,
        bytes,
    }))
}

/// A therapist adds a picture to an exercise, with its audit event. A fourth picture is
/// refused; the count is read in the same transaction as the insert.
pub fn add(
    conn: &mut DbConn,
    who: &Actor,
    exercise_id: i64,
    typed_caption: &str,
    prepared: &PreparedPicture,
) -> Result<i64, Refusal> {
    let name: String = exercises::table
        .find(exercise_id)
        .select(exercises::name)
        .first(conn)?;
    let existing = for_exercise(conn, exercise_id)?;
    if existing.len() >= MAX_PER_EXERCISE {
        return Err(Refusal::rule(
            "picture",
            "This exercise already has three pictures, the most it can have. Remove one before adding another.",
        ));
    }
    let position = existing.iter().map(|p| p.position).max().unwrap_or(0) + 1;
    let place = existing.len() + 1;
    let caption = picture::caption_or_default(typed_caption, &name, place);
    let dimension = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    let now: NaiveDateTime = Utc::now().naive_utc();
    let id: i64 = diesel::insert_into(exercise_pictures::table)
        .values((
            exercise_pictures::exercise_id.eq(exercise_id),
            exercise_pictures::position.eq(position),
            exercise_pictures::caption.eq(&caption),
            exercise_pictures::screen_type.eq(prepared.screen.content_type),
            exercise_pictures::screen.eq(prepared.screen.bytes.as_slice()),
            exercise_pictures::screen_width.eq(dimension(prepared.screen.width)),
            exercise_pictures::screen_height.eq(dimension(prepared.screen.height)),
            exercise_pictures::print_jpeg.eq(prepared.print.bytes.as_slice()),
            exercise_pictures::print_width.eq(dimension(prepared.print.width)),
            exercise_pictures::print_height.eq(dimension(prepared.print.height)),
            exercise_pictures::thumb.eq(prepared.thumb.bytes.as_slice()),
            exercise_pictures::created_by.eq(who.user_id),
            exercise_pictures::created_at.eq(now),
        ))
        .returning(exercise_pictures::id)
        .get_result(conn)?;
    audit::record(
        conn,
        who,
        Event::new(Action::ExercisePictureAdded)
            .entity("exercise", exercise_id)
            .detail(format!(
                "picture {id}; {} bytes on screen, {} in print",
                prepared.screen.bytes.len(),
                prepared.print.bytes.len()
            )),
    )?;
    Ok(id)
}

/// A therapist removes a picture from an exercise, with its audit event.
pub fn remove(
    conn: &mut DbConn,
    who: &Actor,
    exercise_id: i64,
    picture_id: i64,
) -> Result<(), Refusal> {
    let removed = diesel::delete(
        exercise_pictures::table
            .filter(exercise_pictures::id.eq(picture_id))
            .filter(exercise_pictures::exercise_id.eq(exercise_id)),
    )
    .execute(conn)?;
    audited_change(
        conn,
        who,
        removed,
        Event::new(Action::ExercisePictureRemoved)
            .entity("exercise", exercise_id)
            .detail(format!("picture {picture_id}")),
    )
}

/// A therapist chooses which pictures an exercise shows, with its audit event.
pub fn set_choice(
    conn: &mut DbConn,
    who: &Actor,
    exercise_id: i64,
    chosen: PictureChoice,
) -> Result<(), Refusal> {
    let changed = diesel::update(exercises::table.find(exercise_id))
        .set(exercises::picture_choice.eq(chosen.as_str()))
        .execute(conn)?;
    audited_change(
        conn,
        who,
        changed,
        Event::new(Action::ExercisePictureChoiceChanged)
            .entity("exercise", exercise_id)
            .detail(chosen.as_str()),
    )
}

/// Records `event` for a write that touched `rows` rows; none means there was no such
/// picture or exercise, and nothing is recorded.
fn audited_change(
    conn: &mut DbConn,
    who: &Actor,
    rows: usize,
    event: Event<'_>,
) -> Result<(), Refusal> {
    if rows == 0 {
        return Err(Refusal::Error(AppError::NotFound));
    }
    audit::record(conn, who, event)?;
    Ok(())
}
