//! Who is asking, and may they: passwords, sessions, CSRF, role guards, sign-in rate limits.

pub mod cookies;
pub mod csrf;
pub mod guard;
pub mod password;
pub mod rate_limit;

pub use crate::store::sessions::SessionUser;
pub use guard::{Admin, AnyUser, Patient, Staff};
