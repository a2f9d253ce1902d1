//! Server-side sessions. The cookie holds a random 256-bit id; the table holds only its hash.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{sessions, users};
use crate::db::stamp::Stamp;
use crate::db::{DbConn, native};
use crate::domain::Role;
use crate::secrets::{random_token, token_hash};
use crate::store::audit::{self, Action, Actor, Event, Outcome};

pub const IDLE_TIMEOUT_MINUTES: i64 = 30;
pub const ABSOLUTE_TIMEOUT_HOURS: i64 = 12;
/// `last_seen_at` is written at most this often, so reading a page rarely costs a write.
const TOUCH_EVERY_SECONDS: i64 = 60;

/// The signed-in user of this request, loaded once by the session middleware.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub session_hash: String,
    pub user_id: i64,
    pub role: Role,
    pub display_name: String,
    pub email: String,
    pub csrf_token: String,
    /// For a patient's portal account: whose record it is.
    pub patient_id: Option<i64>,
}

impl SessionUser {
    pub fn actor(&self, ip: Option<String>) -> Actor {
        Actor {
            user_id: Some(self.user_id),
            role: Some(self.role),
            ip,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = sessions)]
struct NewSession<'a> {
    id_hash: &'a str,
    user_id: i64,
    csrf_token: &'a str,
    created_at: NaiveDateTime,
    last_seen_at: NaiveDateTime,
}

/// Starts a session and returns the raw id for the cookie (never stored).
pub fn create(conn: &mut DbConn, user_id: i64) -> QueryResult<String> {
    let raw = random_token();
    let now = Utc::now().naive_utc();
    diesel::insert_into(sessions::table)
        .values(&NewSession {
            id_hash: &token_hash(&raw),
            user_id,
            csrf_token: &random_token(),
            created_at: now,
            last_seen_at: now,
        })
        .execute(conn)?;
    Ok(raw)
}

/// What a cookie names, read without writing anything.
#[derive(Clone)]
pub enum Lookup {
    /// A live session; `stale_seen_at` says `last_seen_at` is due to be written.
    Live {
        user: SessionUser,
        stale_seen_at: bool,
    },
    /// Expired, or its account is deactivated: to be deleted.
    Ended {
        session_hash: String,
    },
    Unknown,
}

/// Finds the session for a cookie value. A pure read, so it can run in a read snapshot;
/// `settle` does the (rare) write the answer calls for.
pub fn lookup(conn: &mut DbConn, raw: &str) -> QueryResult<Lookup> {
    let hash = token_hash(raw);
    let found = native!(conn, |c| sessions::table
        .inner_join(users::table)
        .filter(sessions::id_hash.eq(&hash))
        .select((
            sessions::created_at,
            sessions::last_seen_at,
            sessions::csrf_token,
            users::id,
            users::role,
            users::display_name,
            users::email,
            users::active,
            users::patient_id,
        ))
        .first::<(
            Stamp,
            Stamp,
            String,
            i64,
            String,
            String,
            String,
            bool,
            Option<i64>,
        )>(c)
        .optional())?;
    let Some((
        Stamp(created_at),
        Stamp(last_seen_at),
        csrf_token,
        user_id,
        role,
        display_name,
        email,
        active,
        patient_id,
    )) = found
    else {
        return Ok(Lookup::Unknown);
    };
    let now = Utc::now().naive_utc();
    let expired = now - last_seen_at > Duration::minutes(IDLE_TIMEOUT_MINUTES)
        || now - created_at > Duration::hours(ABSOLUTE_TIMEOUT_HOURS);
    let role = Role::parse(&role).ok();
    let (false, true, Some(role)) = (expired, active, role) else {
        return Ok(Lookup::Ended { session_hash: hash });
    };
    Ok(Lookup::Live {
        stale_seen_at: now - last_seen_at > Duration::seconds(TOUCH_EVERY_SECONDS),
        user: SessionUser {
            session_hash: hash,
            user_id,
            role,
            display_name,
            email,
            csrf_token,
            patient_id,
        },
    })
}

/// Writes what a lookup calls for: deletes an ended session, or moves `last_seen_at` on.
/// Returns whether there is anything to write, so callers can skip the write path.
pub fn needs_settling(lookup: &Lookup) -> bool {
    matches!(
        lookup,
        Lookup::Ended { .. }
            | Lookup::Live {
                stale_seen_at: true,
                ..
            }
    )
}

pub fn settle(conn: &mut DbConn, lookup: &Lookup) -> QueryResult<()> {
    match lookup {
        Lookup::Ended { session_hash } => {
            delete_by_hash(conn, session_hash)?;
        }
        Lookup::Live {
            user,
            stale_seen_at: true,
        } => {
            diesel::update(sessions::table.find(&user.session_hash))
                .set(sessions::last_seen_at.eq(Utc::now().naive_utc()))
                .execute(conn)?;
        }
        Lookup::Live { .. } | Lookup::Unknown => {}
    }
    Ok(())
}

fn delete(conn: &mut DbConn, raw: &str) -> QueryResult<usize> {
    delete_by_hash(conn, &token_hash(raw))
}

pub fn delete_by_hash(conn: &mut DbConn, hash: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(hash)).execute(conn)
}

/// Ends every session of a user: on password change, deactivation, portal revocation.
pub fn revoke_all_for_user(conn: &mut DbConn, user_id: i64) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)
}

/// A sign-in attempt, with its audit event: a new session for `verified`, the user whose
/// password was checked, acting from the same address (its raw id is returned); or none,
/// recorded as failed. The browser's earlier session (`replacing`, its raw cookie value)
/// ends either way.
pub fn sign_in(
    conn: &mut DbConn,
    who: &Actor,
    replacing: Option<&str>,
    verified: Option<&Actor>,
) -> QueryResult<Option<String>> {
    if let Some(old) = replacing {
        delete(conn, old)?;
    }
    let Some((user, user_id)) = verified.and_then(|user| Some((user, user.user_id?))) else {
        audit::record(
            conn,
            who,
            Event::new(Action::SigninFailed).outcome(Outcome::Failed),
        )?;
        return Ok(None);
    };
    let raw = create(conn, user_id)?;
    audit::record(
        conn,
        user,
        Event::new(Action::Signin).entity("user", user_id),
    )?;
    Ok(Some(raw))
}

/// A user signs out: their session ends, with its audit event.
pub fn sign_out(
    conn: &mut DbConn,
    who: &Actor,
    session_hash: &str,
    user_id: i64,
) -> QueryResult<()> {
    delete_by_hash(conn, session_hash)?;
    audit::record(
        conn,
        who,
        Event::new(Action::Signout).entity("user", user_id),
    )?;
    Ok(())
}
