//! One error type for every handler. It renders an error page; details go to the log only.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::db::DbError;

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
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
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
            Error::DatabaseError(_, info) if is_transient(info.message()) => {
                Self::Unavailable(info.message().to_owned())
            }
            other => Self::Internal(other.to_string()),
        }
    }
}

/// SQLite reports a full disk or a held lock as plain errors; both pass, so they are a 503.
fn is_transient(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    [
        "database is locked",
        "database or disk is full",
        "disk i/o error",
        "database table is locked",
        "busy",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}

impl From<DbError> for AppError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Query(e) => e.into(),
            DbError::Pool(e) => Self::Unavailable(e.to_string()),
            other => Self::Internal(other.to_string()),
        }
    }
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
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::SignInRequired { next } = self {
            let location = format!("/login?next={}", crate::web::url_encode(next));
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
            Self::Conflict(_) => (
                "Already changed",
                "Someone else changed this at the same time. Reload the page to see the latest version and try again.",
            ),
            Self::Unavailable(_) => (
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
            Self::Unavailable(detail) => tracing::warn!(%detail, "service unavailable"),
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
        if matches!(self, Self::Unavailable(_)) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        }
        response
    }
}
