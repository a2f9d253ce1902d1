//! Validated values. Handlers parse raw input into these; invalid input never reaches the database.

mod account;
pub mod adherence;
pub mod clinical;
pub mod dosage;
pub mod outcomes;
pub mod pain;
pub mod picture;
pub mod text;

pub use account::{DisplayName, Email, NewPassword, Role};
pub use dosage::{Dosage, DosageInput, Side};

/// A message for one form field, shown next to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// All the problems found in one submitted form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormErrors(pub Vec<FieldError>);

impl FormErrors {
    /// The errors of a form that failed on one field.
    pub fn one(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = Self::default();
        errors.add(field, message);
        errors
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The message for a field, for the template (empty when the field is fine).
    pub fn get(&self, field: &str) -> &str {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
            .unwrap_or("")
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field)
    }

    /// Collects the error of a parse into this list and returns the value if it parsed.
    pub fn take<T>(&mut self, field: impl Into<String>, parsed: Result<T, String>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }
}
