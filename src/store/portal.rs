//! Portal accounts and the case a patient's portal shows.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{cases, programme_versions, users};
use crate::store::cases::CaseRow;
use crate::store::cases::CaseStatus;
use crate::store::users::UserRow;

/// The portal account of a patient, if one was ever created.
pub fn portal_user(conn: &mut DbConn, patient_id: i64) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::patient_id.eq(patient_id))
        .filter(users::role.eq("patient"))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn link_to_patient(conn: &mut DbConn, user_id: i64, patient_id: i64) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set(users::patient_id.eq(Some(patient_id)))
        .execute(conn)
}

pub fn set_email(conn: &mut DbConn, user_id: i64, email: &str) -> QueryResult<usize> {
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
