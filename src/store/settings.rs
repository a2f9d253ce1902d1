//! Clinic details shown on pages and sheets.

use diesel::prelude::*;

use crate::dates::Zone;
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
    /// An IANA name; empty only before the server first starts on this database.
    pub time_zone: String,
    /// Called first for chest pain or difficulty breathing (the stop box and the portal).
    pub emergency_number: String,
}

pub fn load(conn: &mut DbConn) -> QueryResult<ClinicSettings> {
    clinic_settings::table
        .find(1)
        .select(ClinicSettings::as_select())
        .first(conn)
}

/// What every page shows of the clinic: its name, and the zone its times are read in.
#[derive(Debug, Clone, Default)]
pub struct ClinicHeader {
    pub name: String,
    pub zone: Zone,
}

pub fn header(conn: &mut DbConn) -> QueryResult<ClinicHeader> {
    let (name, zone): (String, String) = clinic_settings::table
        .find(1)
        .select((clinic_settings::name, clinic_settings::time_zone))
        .first(conn)?;
    let zone = Zone::parse(&zone).unwrap_or_else(|| {
        tracing::warn!(
            zone,
            "the clinic's time zone is not in the zone database; using UTC"
        );
        Zone::UTC
    });
    Ok(ClinicHeader { name, zone })
}

/// A database the server has not started on yet takes the server's default zone, once.
pub fn fill_time_zone(conn: &mut DbConn, default: Zone) -> QueryResult<()> {
    diesel::update(
        clinic_settings::table
            .find(1)
            .filter(clinic_settings::time_zone.eq("")),
    )
    .set(clinic_settings::time_zone.eq(default.name()))
    .execute(conn)?;
    Ok(())
}

#[derive(Clone)]
pub struct NewSettings {
    pub name: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    pub default_paper: String,
    pub sheet_footer: String,
    pub time_zone: Zone,
    /// None leaves the number as it is.
    pub emergency_number: Option<String>,
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
            clinic_settings::time_zone.eq(new.time_zone.name()),
            clinic_settings::updated_at.eq(chrono::Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    if let Some(number) = &new.emergency_number {
        diesel::update(clinic_settings::table.find(1))
            .set(clinic_settings::emergency_number.eq(number))
            .execute(conn)?;
    }
    Ok(1)
}

/// The clinic's name and contact details alone, with their audit event (the demo's clinic).
pub fn set_contact_details(
    conn: &mut DbConn,
    who: &Actor,
    name: &str,
    address: &str,
    phone: &str,
    email: &str,
) -> QueryResult<()> {
    diesel::update(clinic_settings::table.find(1))
        .set((
            clinic_settings::name.eq(name),
            clinic_settings::address.eq(address),
            clinic_settings::phone.eq(phone),
            clinic_settings::email.eq(email),
            clinic_settings::updated_at.eq(chrono::Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        who,
        Event::new(Action::SettingsChanged).detail("clinic name and contact details"),
    )?;
    Ok(())
}

/// An admin saves the clinic's settings, with its audit event. A new time zone changes how
/// times read, never what is stored; the event names the change.
pub fn change(conn: &mut DbConn, who: &Actor, new: &NewSettings) -> QueryResult<()> {
    let before: String = clinic_settings::table
        .find(1)
        .select(clinic_settings::time_zone)
        .first(conn)?;
    save(conn, new)?;
    let mut event = Event::new(Action::SettingsChanged);
    if before != new.time_zone.name() {
        event = event.detail(format!("time zone: {before} -> {}", new.time_zone.name()));
    }
    audit::record(conn, who, event)?;
    Ok(())
}
