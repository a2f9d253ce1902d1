//! One error type for every handler. It renders an error page; details go to the log only.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("the form's security token is missing or wrong")]
    Csrf,
    #[error("sign-in required")]
    SignInRequired { next: String },
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("a form body ended before its announced length, or came without one")]
    IncompleteBody,
    #[error("a form body over the size limit")]
    BodyTooLarge,
    #[error("a form body that did not arrive in time")]
    SlowBody,
    #[error("conflict: {0}")]
    Conflict(String),
    /// A rule refused a change (see `store::Refusal`); the transaction is rolled back.
    #[error("refused: {field}")]
    Refused {
        field: &'static str,
        message: String,
    },
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    /// PostgreSQL aborted the transaction to break a deadlock or a serialization
    /// conflict (SQLSTATE 40P01 or 40001): running it again may well succeed.
    #[error("transaction aborted by the database, may be retried: {0}")]
    Retryable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::NotFound => Self::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                Self::Conflict(info.message().to_owned())
            }
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, info) => {
                Self::Retryable(info.message().to_owned())
            }
            Error::DatabaseError(_, info) if is_deadlock(info.message()) => {
                Self::Retryable(info.message().to_owned())
            }
            // The server went away (a restart, a terminated connection): the pool and
            // the writer replace the connection, so this passes.
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => Self::Unavailable(info.message().to_owned()),
            Error::BrokenTransactionManager => Self::Unavailable(error.to_string()),
            Error::DatabaseError(_, info) if is_transient(info.message()) => {
                Self::Unavailable(info.message().to_owned())
            }
            other => Self::Internal(other.to_string()),
        }
    }
}

/// PostgreSQL's deadlock error, SQLSTATE 40P01. diesel passes 40001 on as
/// `SerializationFailure` but files 40P01 under `Unknown`, and its error information
/// gives no SQLSTATE, only the server's message; so the message it is (the server's
/// `lc_messages` must stay English, its default, for this to match).
fn is_deadlock(message: &str) -> bool {
    message.starts_with("deadlock detected")
}

/// SQLite reports a full disk or a held lock as plain errors, and PostgreSQL a server
/// shutting down or starting up; all of them pass, so they are a 503.
fn is_transient(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    [
        "database is locked",
        "database or disk is full",
        "disk i/o error",
        "database table is locked",
        "busy",
        // PostgreSQL, SQLSTATE 57P01 to 57P03 and a lost connection.
        "terminating connection due to administrator command",
        "the database system is shutting down",
        "the database system is starting up",
        "the database system is in recovery mode",
        "server closed the connection unexpectedly",
        "no connection to the server",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        Self::Unavailable(error.to_string())
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        Self::Internal(error.to_string())
    }
}

impl From<askama::Error> for AppError {
    fn from(error: askama::Error) -> Self {
        Self::Internal(format!("template: {error}"))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    show_sign_in: bool,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Forbidden | Self::Csrf => StatusCode::FORBIDDEN,
            Self::SignInRequired { .. } => StatusCode::SEE_OTHER,
            Self::BadRequest(_) | Self::IncompleteBody => StatusCode::BAD_REQUEST,
            Self::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::SlowBody => StatusCode::REQUEST_TIMEOUT,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Refused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable(_) | Self::Retryable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::SignInRequired { next } = self {
            let location = format!(
                "/login?next={}",
                url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            );
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, location))
                .finish();
        }
        let (title, message) = match self {
            Self::NotFound => (
                "Page not found",
                "There is nothing at this address. It may have moved, or the link may be mistyped.",
            ),
            Self::Forbidden => (
                "Not allowed",
                "Your account does not have access to this page. If you think it should, ask your clinic admin.",
            ),
            Self::Csrf => (
                "Form not accepted",
                "This form could not be accepted: its security token was missing or out of date, or it was sent from another site. Go back, reload the page and try again.",
            ),
            Self::BadRequest(_) => (
                "Request not understood",
                "The request could not be read. Go back and try again.",
            ),
            Self::IncompleteBody => (
                "Form not received whole",
                "The form did not arrive complete (the connection may have dropped), so nothing was saved. Go back and send it again.",
            ),
            Self::BodyTooLarge => (
                "Form too large",
                "This form is larger than physiocase accepts (256 KB), so nothing was saved. A note or assessment field holds at most 4,000 characters (about two pages); go back, shorten the text and send it again.",
            ),
            Self::SlowBody => (
                "Form took too long",
                "The form did not arrive within 30 seconds, so nothing was saved. Check the connection, go back and send it again.",
            ),
            // Handlers show a refusal on the form it belongs to; this page is the fallback.
            Self::Refused { .. } => (
                "Not saved",
                "The change was refused and nothing was saved. Go back, check the form and try again.",
            ),
            Self::Conflict(_) => (
                "Already changed",
                "Someone else changed this at the same time. Reload the page to see the latest version and try again.",
            ),
            Self::Unavailable(_) | Self::Retryable(_) => (
                "Temporarily unavailable",
                "The clinic's data could not be saved or read just now, and nothing was changed. Please try again in a moment.",
            ),
            Self::Internal(_) | Self::SignInRequired { .. } => (
                "Something went wrong",
                "The page could not be shown and nothing was changed. The error has been logged; please try again.",
            ),
        };
        match self {
            Self::Internal(detail) => tracing::error!(%detail, "internal error"),
            Self::Unavailable(detail) | Self::Retryable(detail) => {
                tracing::warn!(%detail, "service unavailable")
            }
            Self::BadRequest(detail) => tracing::info!(%detail, "bad request"),
            _ => {}
        }
        let page = ErrorPage {
            title,
            message,
            show_sign_in: matches!(self, Self::Csrf | Self::Forbidden),
        };
        let body = page
            .render()
            .unwrap_or_else(|_| format!("<!doctype html><title>{title}</title><p>{message}</p>"));
        let mut response = HttpResponse::build(self.status_code())
            .content_type("text/html; charset=utf-8")
            .body(body);
        if matches!(self, Self::Unavailable(_) | Self::Retryable(_)) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorKind, Error};

    fn database_error(kind: DatabaseErrorKind, message: &str) -> Error {
        Error::DatabaseError(kind, Box::new(message.to_owned()))
    }

    /// The errors PostgreSQL gives while it restarts or after it cut a connection, as
    /// diesel reports them: each passes, so each is a 503 with Retry-After.
    #[test]
    fn a_lost_database_connection_is_a_503_to_retry() {
        for error in [
            database_error(
                DatabaseErrorKind::ClosedConnection,
                "server closed the connection unexpectedly",
            ),
            database_error(
                DatabaseErrorKind::UnableToSendCommand,
                "no connection to the server",
            ),
            database_error(
                DatabaseErrorKind::Unknown,
                "terminating connection due to administrator command",
            ),
            database_error(
                DatabaseErrorKind::Unknown,
                "the database system is shutting down",
            ),
            Error::BrokenTransactionManager,
        ] {
            let shown = error.to_string();
            let app_error = AppError::from(error);
            assert!(
                matches!(app_error, AppError::Unavailable(_)),
                "{shown}: {app_error:?}"
            );
            let response = app_error.error_response();
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert!(response.headers().contains_key(header::RETRY_AFTER));
        }
        let refused = AppError::from(crate::db::DbError::Connect(
            "connection to server at \"127.0.0.1\", port 5432 failed: Connection refused".into(),
        ));
        assert!(matches!(refused, AppError::Unavailable(_)), "{refused:?}");
    }

    #[test]
    fn deadlocks_and_serialization_failures_may_be_retried() {
        for error in [
            database_error(DatabaseErrorKind::Unknown, "deadlock detected"),
            database_error(
                DatabaseErrorKind::SerializationFailure,
                "could not serialize access due to concurrent update",
            ),
        ] {
            let app_error = AppError::from(error);
            assert!(matches!(app_error, AppError::Retryable(_)), "{app_error:?}");
            assert_eq!(app_error.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        }
        let other = AppError::from(database_error(
            DatabaseErrorKind::Unknown,
            "column \"deadlock\" does not exist",
        ));
        assert!(matches!(other, AppError::Internal(_)), "{other:?}");
    }
}
