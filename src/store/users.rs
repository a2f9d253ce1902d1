//! Accounts of staff and patients, and what is done with them: invitations, one-time
//! links, passwords, deactivation.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::dates::Zone;
use crate::db::DbConn;
use crate::db::schema::users;
use crate::domain::{DisplayName, Email, Role};
use crate::error::AppError;
use crate::store::Refusal;
use crate::store::audit::{self, Action, Actor, Event};
use crate::store::sessions;
use crate::store::tokens::{self, LiveToken, Purpose, TokenProblem};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: Option<String>,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl UserRow {
    pub fn role(&self) -> Option<Role> {
        Role::parse(&self.role).ok()
    }
}

pub fn find_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<UserRow> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
}

pub fn any_user_exists(conn: &mut DbConn) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(users::table.select(users::id))).get_result(conn)
}

pub fn email_taken(conn: &mut DbConn, email: &Email) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table.filter(users::email.eq(email.as_str())),
    ))
    .get_result(conn)
}

/// Creates an account; `password_hash` is None for someone who will set it from a link.
pub fn create(
    conn: &mut DbConn,
    email: &Email,
    name: &DisplayName,
    role: Role,
    password_hash: Option<&str>,
) -> QueryResult<i64> {
    let now = Utc::now().naive_utc();
    diesel::insert_into(users::table)
        .values((
            users::email.eq(email.as_str()),
            users::display_name.eq(name.as_str()),
            users::role.eq(role.as_str()),
            users::password_hash.eq(password_hash),
            users::active.eq(true),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .returning(users::id)
        .get_result(conn)
}

pub fn set_password(conn: &mut DbConn, user_id: i64, password_hash: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set((
            users::password_hash.eq(password_hash),
            users::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)
}

pub fn set_active(conn: &mut DbConn, user_id: i64, active: bool) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set((
            users::active.eq(active),
            users::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)
}

pub fn count_staff(conn: &mut DbConn) -> QueryResult<i64> {
    users::table
        .filter(users::role.ne(Role::Patient.as_str()))
        .count()
        .get_result(conn)
}

pub fn list_staff(conn: &mut DbConn, offset: i64, limit: i64) -> QueryResult<Vec<UserRow>> {
    users::table
        .filter(users::role.ne(Role::Patient.as_str()))
        .order((
            users::active.desc(),
            users::display_name.asc(),
            users::id.asc(),
        ))
        .offset(offset)
        .limit(limit)
        .select(UserRow::as_select())
        .load(conn)
}

/// An admin invites a member of staff: their account, and a one-time link to set a
/// password, with its audit event. Refused when the email has an account already.
pub fn invite(
    conn: &mut DbConn,
    who: &Actor,
    email: &Email,
    name: &DisplayName,
    role: Role,
    admin_id: i64,
) -> Result<String, Refusal> {
    if email_taken(conn, email)? {
        return Err(Refusal::rule(
            "email",
            "Someone already has an account with this email.",
        ));
    }
    let user_id = create(conn, email, name, role, None)?;
    let raw = tokens::issue(conn, Purpose::Invite, Some(user_id), Some(admin_id))?;
    audit::record(
        conn,
        who,
        Event::new(Action::StaffInvited)
            .entity("user", user_id)
            .detail(role.as_str()),
    )?;
    Ok(raw)
}

/// A staff account, or not found (patients' accounts are managed from their record).
fn find_staff(conn: &mut DbConn, user_id: i64) -> Result<UserRow, AppError> {
    let user = find(conn, user_id)?;
    if user.role().is_some_and(Role::is_staff) {
        Ok(user)
    } else {
        Err(AppError::NotFound)
    }
}

/// An admin deactivates a staff account (signed out everywhere, links ended) or makes it
/// active again, with its audit event.
pub fn set_staff_active(
    conn: &mut DbConn,
    who: &Actor,
    user_id: i64,
    active: bool,
) -> Result<(), Refusal> {
    find_staff(conn, user_id)?;
    let action = if active {
        set_active(conn, user_id, true)?;
        Action::StaffReactivated
    } else {
        shut_out(conn, user_id)?;
        Action::StaffDeactivated
    };
    audit::record(conn, who, Event::new(action).entity("user", user_id))?;
    Ok(())
}

/// Deactivates an account and ends its sessions and unused links.
pub fn shut_out(conn: &mut DbConn, user_id: i64) -> QueryResult<()> {
    set_active(conn, user_id, false)?;
    sessions::revoke_all_for_user(conn, user_id)?;
    tokens::revoke_for_user(conn, user_id)?;
    Ok(())
}

/// An admin makes a fresh one-time link for an active member of staff who has not set a
/// password or has forgotten it, with its audit event. Gives their name and the link.
pub fn issue_staff_link(
    conn: &mut DbConn,
    who: &Actor,
    user_id: i64,
    admin_id: i64,
) -> Result<(String, String), Refusal> {
    let user = find_staff(conn, user_id)?;
    if !user.active {
        return Err(AppError::NotFound.into());
    }
    let raw = tokens::issue(conn, Purpose::Invite, Some(user_id), Some(admin_id))?;
    audit::record(
        conn,
        who,
        Event::new(Action::StaffLinkIssued).entity("user", user_id),
    )?;
    Ok((user.display_name, raw))
}

/// A user changes their own password, with its audit event: every other browser signed
/// in as them is signed out, and this one gets a new session (its raw id is returned).
pub fn change_password(
    conn: &mut DbConn,
    who: &Actor,
    user_id: i64,
    password_hash: &str,
) -> QueryResult<String> {
    set_password(conn, user_id, password_hash)?;
    sessions::revoke_all_for_user(conn, user_id)?;
    let raw = sessions::create(conn, user_id)?;
    audit::record(
        conn,
        who,
        Event::new(Action::AccountPasswordChanged).entity("user", user_id),
    )?;
    Ok(raw)
}

/// Who sets a password from a one-time link: the first admin names themself; an invited
/// member of staff or a patient already has an account.
pub enum Newcomer<'a> {
    FirstAdmin {
        name: &'a DisplayName,
        email: &'a Email,
    },
    Invited,
}

/// Sets a password from a one-time link and signs the user in (the new session's raw id
/// is returned), with its audit event; the link is used up. Refused when the first
/// admin's email has an account, or as `Conflict` when the link was used meanwhile.
pub fn set_up_account(
    conn: &mut DbConn,
    who: &Actor,
    token: &LiveToken,
    newcomer: &Newcomer<'_>,
    password_hash: &str,
) -> Result<String, Refusal> {
    if !tokens::consume(conn, token.id)? {
        return Err(AppError::Conflict("setup link used".into()).into());
    }
    let user_id = match (newcomer, token.user_id) {
        (Newcomer::FirstAdmin { name, email }, None) => {
            if email_taken(conn, email)? {
                return Err(Refusal::rule(
                    "email",
                    "An account with this email already exists.",
                ));
            }
            create(conn, email, name, Role::Admin, Some(password_hash))?
        }
        (Newcomer::Invited, Some(user_id)) => {
            set_password(conn, user_id, password_hash)?;
            sessions::revoke_all_for_user(conn, user_id)?;
            user_id
        }
        _ => return Err(AppError::Internal("setup link without an account".into()).into()),
    };
    let user = find(conn, user_id)?;
    let raw_session = sessions::create(conn, user_id)?;
    let newcomer = Actor {
        user_id: Some(user_id),
        role: user.role(),
        ip: who.ip.clone(),
    };
    audit::record(
        conn,
        &newcomer,
        Event::new(Action::AccountPasswordSet)
            .entity("user", user_id)
            .detail(token.purpose.as_str()),
    )?;
    Ok(raw_session)
}

/// The one-time link a raw value names, with the account it is for (none for the first
/// admin's link), or why it cannot be used.
pub fn find_by_link(
    conn: &mut DbConn,
    raw: &str,
) -> QueryResult<Result<(LiveToken, Option<UserRow>), TokenProblem>> {
    let token = match tokens::find(conn, raw)? {
        Ok(token) => token,
        Err(problem) => return Ok(Err(problem)),
    };
    let account = match token.user_id {
        Some(id) => Some(find(conn, id)?),
        None => None,
    };
    Ok(Ok((token, account)))
}

/// An operator creates an account from the command line, with its audit event. None
/// when the email has an account already.
pub fn create_from_command_line(
    conn: &mut DbConn,
    email: &Email,
    name: &DisplayName,
    role: Role,
    password_hash: &str,
) -> QueryResult<Option<i64>> {
    if email_taken(conn, email)? {
        return Ok(None);
    }
    let id = create(conn, email, name, role, Some(password_hash))?;
    audit::record(
        conn,
        &Actor::default(),
        Event::new(Action::AccountCreatedCli)
            .entity("user", id)
            .detail(role.as_str()),
    )?;
    Ok(Some(id))
}

/// On a database with no accounts, a fresh one-time link for the first admin (its raw
/// value), with its audit event.
pub fn first_admin_link(conn: &mut DbConn) -> QueryResult<Option<String>> {
    if any_user_exists(conn)? {
        return Ok(None);
    }
    let raw = tokens::issue(conn, Purpose::FirstAdmin, None, None)?;
    audit::record(
        conn,
        &Actor::default(),
        Event::new(Action::SetupFirstAdminLinkIssued),
    )?;
    Ok(Some(raw))
}

/// A patient's own zone, when they set one in the portal (None: the clinic's).
pub fn own_zone(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<Zone>> {
    let name: String = users::table
        .find(user_id)
        .select(users::time_zone)
        .first(conn)?;
    Ok(Zone::parse(&name))
}

/// A patient sets (or, with None, clears) their own zone, with its audit event. It
/// changes how their portal reads and counts days, never what is stored.
pub fn set_own_zone(
    conn: &mut DbConn,
    who: &Actor,
    user_id: i64,
    zone: Option<Zone>,
) -> QueryResult<()> {
    let before: String = users::table
        .find(user_id)
        .select(users::time_zone)
        .first(conn)?;
    let after = zone.map_or("", Zone::name);
    diesel::update(users::table.find(user_id))
        .set((
            users::time_zone.eq(after),
            users::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    let shown = |name: &str| {
        if name.is_empty() {
            "the clinic's".to_owned()
        } else {
            name.to_owned()
        }
    };
    audit::record(
        conn,
        who,
        Event::new(Action::AccountTimeZoneChanged)
            .entity("user", user_id)
            .detail(format!("time zone: {} -> {}", shown(&before), shown(after))),
    )?;
    Ok(())
}

/// A member of staff sets what their letters print under their name, with its audit event.
pub fn set_signature(
    conn: &mut DbConn,
    who: &Actor,
    user_id: i64,
    profession: &str,
    registration_number: &str,
) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::profession.eq(profession),
            users::registration_number.eq(registration_number),
            users::updated_at.eq(chrono::Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        who,
        Event::new(Action::AccountSignatureChanged).entity("user", user_id),
    )?;
    Ok(())
}
