//! One-time links: the first admin's setup link, staff invitations, patient portal access.
//! Stored hashed, valid for a limited time, usable once.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::setup_tokens;
use crate::secrets::{random_token, token_hash};

crate::store::stored::stored_text! {
    /// What a one-time link is for.
    pub enum Purpose {
        FirstAdmin = "first-admin",
        Invite = "invite",
        Portal = "portal",
    }
}

impl Purpose {
    pub fn lifetime(self) -> Duration {
        match self {
            Self::FirstAdmin | Self::Invite => Duration::hours(24),
            Self::Portal => Duration::days(7),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = setup_tokens)]
struct NewToken<'a> {
    token_hash: &'a str,
    purpose: &'a str,
    user_id: Option<i64>,
    created_by: Option<i64>,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

/// Creates a link token and returns the raw value (shown once, never stored).
/// Earlier unused tokens for the same user and purpose stop working.
pub fn issue(
    conn: &mut DbConn,
    purpose: Purpose,
    user_id: Option<i64>,
    created_by: Option<i64>,
) -> QueryResult<String> {
    let now = Utc::now().naive_utc();
    let earlier = setup_tokens::table
        .filter(setup_tokens::purpose.eq(purpose.as_str()))
        .filter(setup_tokens::used_at.is_null())
        .filter(setup_tokens::expires_at.gt(now));
    match user_id {
        Some(id) => diesel::update(earlier.filter(setup_tokens::user_id.eq(id)))
            .set(setup_tokens::expires_at.eq(now))
            .execute(conn)?,
        None => diesel::update(earlier.filter(setup_tokens::user_id.is_null()))
            .set(setup_tokens::expires_at.eq(now))
            .execute(conn)?,
    };
    let raw = random_token();
    diesel::insert_into(setup_tokens::table)
        .values(&NewToken {
            token_hash: &token_hash(&raw),
            purpose: purpose.as_str(),
            user_id,
            created_by,
            created_at: now,
            expires_at: now + purpose.lifetime(),
        })
        .execute(conn)?;
    Ok(raw)
}

/// A token that may still be used.
#[derive(Debug, Clone)]
pub struct LiveToken {
    pub id: i64,
    pub purpose: Purpose,
    pub user_id: Option<i64>,
    pub expires_at: NaiveDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    Unknown,
    Used,
    Expired,
}

impl TokenProblem {
    pub fn explain(self) -> &'static str {
        match self {
            Self::Unknown => {
                "This link is not valid. Check that it was copied in full, or ask for a new one."
            }
            Self::Used => {
                "This link has already been used. Links work once; ask for a new one if you need to set a password again."
            }
            Self::Expired => "This link has expired. Ask the clinic for a new one.",
        }
    }
}

pub fn find(conn: &mut DbConn, raw: &str) -> QueryResult<Result<LiveToken, TokenProblem>> {
    let row = setup_tokens::table
        .filter(setup_tokens::token_hash.eq(token_hash(raw)))
        .select((
            setup_tokens::id,
            setup_tokens::purpose,
            setup_tokens::user_id,
            setup_tokens::expires_at,
            setup_tokens::used_at,
        ))
        .first::<(
            i64,
            String,
            Option<i64>,
            NaiveDateTime,
            Option<NaiveDateTime>,
        )>(conn)
        .optional()?;
    let Some((id, purpose, user_id, expires_at, used_at)) = row else {
        return Ok(Err(TokenProblem::Unknown));
    };
    let Some(purpose) = Purpose::parse(&purpose) else {
        return Ok(Err(TokenProblem::Unknown));
    };
    if used_at.is_some() {
        return Ok(Err(TokenProblem::Used));
    }
    if expires_at <= Utc::now().naive_utc() {
        return Ok(Err(TokenProblem::Expired));
    }
    Ok(Ok(LiveToken {
        id,
        purpose,
        user_id,
        expires_at,
    }))
}

/// Marks a token used. Returns false if another request used it first.
pub fn consume(conn: &mut DbConn, token_id: i64) -> QueryResult<bool> {
    let changed = diesel::update(
        setup_tokens::table
            .find(token_id)
            .filter(setup_tokens::used_at.is_null()),
    )
    .set(setup_tokens::used_at.eq(Utc::now().naive_utc()))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Ends every unused link of a user (portal access revoked, account deactivated).
pub fn revoke_for_user(conn: &mut DbConn, user_id: i64) -> QueryResult<usize> {
    let now = Utc::now().naive_utc();
    diesel::update(
        setup_tokens::table
            .filter(setup_tokens::user_id.eq(user_id))
            .filter(setup_tokens::used_at.is_null())
            .filter(setup_tokens::expires_at.gt(now)),
    )
    .set(setup_tokens::expires_at.eq(now))
    .execute(conn)
}

/// Ends any unused first-admin link (once accounts exist, it must not create another).
pub fn expire_first_admin_links(conn: &mut DbConn) -> QueryResult<usize> {
    let now = Utc::now().naive_utc();
    diesel::update(
        setup_tokens::table
            .filter(setup_tokens::purpose.eq(Purpose::FirstAdmin.as_str()))
            .filter(setup_tokens::used_at.is_null())
            .filter(setup_tokens::expires_at.gt(now)),
    )
    .set(setup_tokens::expires_at.eq(now))
    .execute(conn)
}
