//! Clinic details shown on pages and sheets.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::clinic_settings;
use crate::store::audit::{self, Action, Actor, Event};

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

#[derive(Clone)]
pub struct NewSettings {
    pub name: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    pub default_paper: String,
    pub sheet_footer: String,
}

fn save(conn: &mut DbConn, new: &NewSettings) -> QueryResult<usize> {
    diesel::update(clinic_settings::table.find(1))
        .set((
            clinic_settings::name.eq(&new.name),
            clinic_settings::address.eq(&new.address),
            clinic_settings::phone.eq(&new.phone),
            clinic_settings::email.eq(&new.email),
            clinic_settings::default_paper.eq(&new.default_paper),
            clinic_settings::sheet_footer.eq(&new.sheet_footer),
            clinic_settings::updated_at.eq(chrono::Utc::now().naive_utc()),
        ))
        .execute(conn)
}

/// An admin saves the clinic's settings, with its audit event.
pub fn change(conn: &mut DbConn, who: &Actor, new: &NewSettings) -> QueryResult<()> {
    save(conn, new)?;
    audit::record(conn, who, Event::new(Action::SettingsChanged))?;
    Ok(())
}
