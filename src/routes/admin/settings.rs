//! Clinic details shown on pages and sheets.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::clinic_settings;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = clinic_settings)]
pub struct ClinicSettings {
    pub name: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    pub default_paper: String,
    pub sheet_footer: String,
}

pub fn load(conn: &mut DbConn) -> QueryResult<ClinicSettings> {
    clinic_settings::table
        .find(1)
        .select(ClinicSettings::as_select())
        .first(conn)
}

pub fn clinic_name(conn: &mut DbConn) -> QueryResult<String> {
    clinic_settings::table
        .find(1)
        .select(clinic_settings::name)
        .first(conn)
}
