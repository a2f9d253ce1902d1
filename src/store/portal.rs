//! Portal accounts and the case a patient's portal shows.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{cases, programme_versions, users};
use crate::domain::{DisplayName, Email, Role};
use crate::error::AppError;
use crate::store::Refusal;
use crate::store::audit::{self, Action, Actor, Event};
use crate::store::cases::CaseRow;
use crate::store::status::CaseStatus;
use crate::store::tokens::{self, Purpose};
use crate::store::users::{self as accounts, UserRow};

/// The portal account of a patient, if one was ever created.
pub fn portal_user(conn: &mut DbConn, patient_id: i64) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::patient_id.eq(patient_id))
        .filter(users::role.eq("patient"))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// Whether the patient can sign in to the portal (an account that is not shut out).
pub fn has_access(conn: &mut DbConn, patient_id: i64) -> QueryResult<bool> {
    Ok(portal_user(conn, patient_id)?.is_some_and(|user| user.active))
}

/// Without an audit event: for the demo's seeding. The app writes through the use-cases
/// above, which record theirs.
pub(crate) fn link_to_patient(
    conn: &mut DbConn,
    user_id: i64,
    patient_id: i64,
) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set(users::patient_id.eq(Some(patient_id)))
        .execute(conn)
}

fn set_email(conn: &mut DbConn, user_id: i64, email: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set(users::email.eq(email))
        .execute(conn)
}

/// The case the portal shows: the newest open case with a programme, else the newest open case.
pub fn portal_case(conn: &mut DbConn, patient_id: i64) -> QueryResult<Option<CaseRow>> {
    let with_programme = cases::table
        .filter(cases::patient_id.eq(patient_id))
        .filter(cases::status.eq(CaseStatus::Open.as_str()))
        .filter(diesel::dsl::exists(
            programme_versions::table.filter(programme_versions::case_id.eq(cases::id)),
        ))
        .order((cases::created_at.desc(), cases::id.desc()))
        .select(CaseRow::as_select())
        .first(conn)
        .optional()?;
    if with_programme.is_some() {
        return Ok(with_programme);
    }
    cases::table
        .filter(cases::patient_id.eq(patient_id))
        .filter(cases::status.eq(CaseStatus::Open.as_str()))
        .order((cases::created_at.desc(), cases::id.desc()))
        .select(CaseRow::as_select())
        .first(conn)
        .optional()
}

/// Whether the patient has a case that was discharged (their treatment has ended).
pub fn has_discharged_case(conn: &mut DbConn, patient_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        cases::table
            .filter(cases::patient_id.eq(patient_id))
            .filter(cases::status.eq(CaseStatus::Discharged.as_str())),
    ))
    .get_result(conn)
}

/// A therapist gives a patient portal access at `email`: their account (made, or
/// re-activated with that email) and a one-time sign-in link, with its audit event.
/// Refused when another account uses the email.
pub fn give_access(
    conn: &mut DbConn,
    who: &Actor,
    patient_id: i64,
    email: &Email,
    staff_id: i64,
) -> Result<(UserRow, String), Refusal> {
    let patient = crate::store::patients::find(conn, patient_id)?;
    let existing = portal_user(conn, patient_id)?;
    let taken_by_other = accounts::find_by_email(conn, email.as_str())?
        .is_some_and(|u| Some(u.id) != existing.as_ref().map(|e| e.id));
    if taken_by_other {
        return Err(Refusal::rule(
            "email",
            "Another account already uses this email. Use the patient's own address.",
        ));
    }
    let user_id = match &existing {
        Some(user) => {
            set_email(conn, user.id, email.as_str())?;
            accounts::set_active(conn, user.id, true)?;
            user.id
        }
        None => {
            let name = DisplayName::parse(&patient.full_name()).map_err(AppError::Internal)?;
            let user_id = accounts::create(conn, email, &name, Role::Patient, None)?;
            link_to_patient(conn, user_id, patient_id)?;
            user_id
        }
    };
    let raw = tokens::issue(conn, Purpose::Portal, Some(user_id), Some(staff_id))?;
    audit::record(
        conn,
        who,
        Event::new(Action::PortalAccessGiven)
            .entity("user", user_id)
            .patient(patient_id),
    )?;
    Ok((accounts::find(conn, user_id)?, raw))
}

/// A therapist ends a patient's portal access: signed out, links ended, with its audit
/// event.
pub fn revoke_access(conn: &mut DbConn, who: &Actor, patient_id: i64) -> Result<(), Refusal> {
    let user = portal_user(conn, patient_id)?.ok_or(AppError::NotFound)?;
    accounts::shut_out(conn, user.id)?;
    audit::record(
        conn,
        who,
        Event::new(Action::PortalAccessRevoked)
            .entity("user", user.id)
            .patient(patient_id),
    )?;
    Ok(())
}
