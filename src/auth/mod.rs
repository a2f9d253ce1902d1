//! Who is asking, and may they: password hashing, cookies, CSRF, role guards, sign-in rate
//! limits. Sessions and one-time links are kept by `store::sessions` and `store::tokens`.

pub mod cookies;
pub mod csrf;
pub mod guard;
pub mod password;
pub mod rate_limit;

pub use crate::store::sessions::SessionUser;
pub use guard::{Admin, AnyUser, Patient, Staff};
