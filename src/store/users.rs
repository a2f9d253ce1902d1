use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::users;
use crate::domain::{DisplayName, Email, Role};

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
