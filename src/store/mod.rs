//! The data layer: one module per record, each with its row types, its queries and its
//! writes. Routes, start-up, the demo and the load generator reach the database through
//! here, never through each other.

pub mod assessments;
pub mod audit;
pub mod caseload;
pub mod cases;
pub mod consent;
pub mod exercise_pictures;
pub mod exercises;
pub mod exports;
pub mod keys;
pub mod letters;
pub mod outcomes;
pub mod pain;
pub mod patients;
pub mod portal;
pub mod programmes;
pub mod reports;
pub mod search;
pub mod sessions;
pub mod settings;
pub mod status;
pub(crate) mod stored;
pub mod tokens;
pub mod users;
pub mod visits;

#[cfg(test)]
pub(crate) mod query_plans;

use crate::error::AppError;

/// Why a store use-case did not do what was asked. Nothing was stored.
#[derive(Debug)]
pub enum Refusal {
    /// A rule said no; the message belongs beside the form field named.
    Rule {
        field: &'static str,
        message: String,
    },
    /// Not found, the database failed, and the like: answered as any other error.
    Error(AppError),
}

impl Refusal {
    pub fn rule(field: &'static str, message: impl Into<String>) -> Self {
        Self::Rule {
            field,
            message: message.into(),
        }
    }
}

impl From<AppError> for Refusal {
    fn from(error: AppError) -> Self {
        Self::Error(error)
    }
}

impl From<diesel::result::Error> for Refusal {
    fn from(error: diesel::result::Error) -> Self {
        Self::Error(error.into())
    }
}

/// Inside a write transaction a refusal is an error, so the transaction is rolled back;
/// the handler finds it again as `AppError::Refused` and shows it on its form.
impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Rule { field, message } => AppError::Refused { field, message },
            Refusal::Error(error) => error,
        }
    }
}
#[cfg(test)]
mod search_plans;
