//! argon2id password hashes (the argon2 crate's defaults: m=19456 KiB, t=2, p=1).
//! Both functions are slow on purpose: in the app, call them through `PasswordWork`.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::error::AppError;

pub fn hash(password: &str) -> Result<String, AppError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("password hashing failed: {e}")))
}

/// True when `password` matches the stored PHC string. A malformed hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A real hash of a random password, verified against when the account does not exist,
/// so an unknown email costs the same time as a wrong password. Made once, on the password
/// thread (see `PasswordWork::for_this_machine`), so its 19 MiB of work memory is the same
/// memory every later hash reuses.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash(&crate::secrets::random_token()).unwrap_or_default())
}

/// Password hashing off the request workers, a bounded number at a time: each argon2
/// hash takes 19 MiB and tens of milliseconds of a core, so a burst of sign-ins queues
/// among itself instead of taking every core, thread and megabyte from the pages.
#[derive(Clone)]
pub struct PasswordWork(crate::work::BoundedWork);

impl PasswordWork {
    /// One hash at a time per two cores (at least one).
    pub fn for_this_machine() -> std::io::Result<Self> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let work = crate::work::BoundedWork::new("passwords", cores / 2)?;
        // Queued first, so no sign-in ever waits for it alone.
        work.start(|| {
            dummy_hash();
        })?;
        Ok(Self(work))
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.0.run(move || hash(&password)).await?
    }

    /// Checks a password against a stored hash, or, for an account without one (or no
    /// account at all), against the dummy hash, which takes as long and never matches.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, AppError> {
        self.0
            .run(move || match stored {
                Some(stored) => verify(&password, &stored),
                None => {
                    verify(&password, dummy_hash());
                    false
                }
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify() -> Result<(), AppError> {
        let stored = hash("violet kettle harbour")?;
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify("violet kettle harbour", &stored));
        assert!(!verify("violet kettle harbouR", &stored));
        assert!(!verify("anything", "not a hash"));
        Ok(())
    }
}
