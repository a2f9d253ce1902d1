//! Clinic details shown on pages and sheets.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::clinic_settings;

pub fn clinic_name(conn: &mut DbConn) -> QueryResult<String> {
    clinic_settings::table
        .find(1)
        .select(clinic_settings::name)
        .first(conn)
}
