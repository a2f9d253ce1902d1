//! Cross-site request forgery defences: an Origin/Referer check on every state-changing
//! request, and a per-session token in every signed-in form.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, ResponseError, web};
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::auth::guard::record_refusal;
use crate::auth::{SessionUser, constant_time_eq};
use crate::error::AppError;
use crate::web::AppState;

/// Refuses a POST (or other unsafe method) whose Origin, or failing that Referer, is not
/// this site. Browsers send Origin on every cross-site form post.
pub async fn check_origin(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let safe_method = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe_method || origin_matches(req.request()) {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    tracing::info!(
        path = req.path(),
        "refused a cross-origin or origin-less request"
    );
    let (http_req, _) = req.into_parts();
    let _ = record_refusal(&http_req, "csrf.origin_refused").await;
    let response = AppError::Csrf.error_response().map_into_right_body();
    Ok(ServiceResponse::new(http_req, response))
}

fn origin_matches(req: &HttpRequest) -> bool {
    let headers = req.headers();
    let claimed = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| url::Url::parse(v).ok());
    let Some(claimed) = claimed else {
        return false;
    };
    let Some(claimed_host) = claimed.host_str() else {
        return false;
    };
    let claimed_authority = match claimed.port() {
        Some(port) => format!("{claimed_host}:{port}"),
        None => claimed_host.to_owned(),
    };
    // Same host as the request was sent to, or the configured public address.
    let host = req.connection_info().host().to_owned();
    if claimed_authority.eq_ignore_ascii_case(&host) {
        return true;
    }
    req.app_data::<web::Data<AppState>>()
        .and_then(|state| url::Url::parse(&state.public_url).ok())
        .is_some_and(|public| public.origin() == claimed.origin())
}

#[derive(Deserialize)]
struct TokenField {
    #[serde(default)]
    csrf_token: String,
}

const FORM_LIMIT: usize = 256 * 1024;

/// A form with no fields of its own (sign out, archive, sign): only its CSRF token matters.
#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// A signed-in form: checks the session's CSRF token, then parses the fields
/// (repeated keys allowed, for checkbox groups).
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let bytes = body
                .await
                .map_err(|e| AppError::BadRequest(format!("form body: {e}")))?;
            if bytes.len() > FORM_LIMIT {
                return Err(AppError::BadRequest("form too large".into()));
            }
            let sent = serde_html_form::from_bytes::<TokenField>(&bytes)
                .map(|t| t.csrf_token)
                .unwrap_or_default();
            let expected = req
                .extensions()
                .get::<SessionUser>()
                .map(|u| u.csrf_token.clone());
            let valid = expected.is_some_and(|token| {
                !sent.is_empty() && constant_time_eq(sent.as_bytes(), token.as_bytes())
            });
            if !valid {
                record_refusal(&req, "csrf.token_refused").await?;
                return Err(AppError::Csrf);
            }
            serde_html_form::from_bytes::<T>(&bytes)
                .map(CsrfForm)
                .map_err(|e| AppError::BadRequest(format!("form fields: {e}")))
        })
    }
}

/// A form posted before sign-in (sign-in, setup links). Origin-checked by the middleware;
/// there is no session yet to bind a token to.
pub struct PublicForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for PublicForm<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = body
                .await
                .map_err(|e| AppError::BadRequest(format!("form body: {e}")))?;
            serde_html_form::from_bytes::<T>(&bytes)
                .map(PublicForm)
                .map_err(|e| AppError::BadRequest(format!("form fields: {e}")))
        })
    }
}
