//! The data layer: one module per record, each with its row types, its queries and its
//! writes. Routes, start-up, the demo and the load generator reach the database through
//! here, never through each other.

pub mod assessments;
pub mod audit;
pub mod caseload;
pub mod cases;
pub mod exercises;
pub mod pain;
pub mod patients;
pub mod portal;
pub mod programmes;
pub mod settings;
pub(crate) mod stored;
pub mod users;

#[cfg(test)]
pub(crate) mod query_plans;
#[cfg(test)]
mod search_plans;
