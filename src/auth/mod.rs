//! Who is asking: password hashing, the signed cookies and sign-in rate limits. The
//! request guards and CSRF checks that use them are in `web`; sessions and one-time links
//! are kept by `store::sessions` and `store::tokens`.

pub mod cookies;
pub mod password;
pub mod rate_limit;
