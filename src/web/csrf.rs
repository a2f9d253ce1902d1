//! Cross-site request forgery defences: an Origin/Referer check on every state-changing
//! request, and a per-session token in every signed-in form.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, ResponseError, web};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::AppError;
use crate::secrets::constant_time_eq;
use crate::store::audit::Action;
use crate::store::sessions::SessionUser;
use crate::web::AppState;
use crate::web::guard::record_refusal;

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
    let _ = record_refusal(&http_req, Action::CsrfOriginRefused).await;
    let response = AppError::Csrf.error_response().map_into_right_body();
    Ok(ServiceResponse::new(http_req, response))
}

/// The Origin (or Referer) must be the public URL's origin. Forwarding headers
/// (`X-Forwarded-Host`, `Forwarded`) are never consulted: anyone can send them. When no
/// public URL is configured (a server reached on its own address), the Host header the
/// browser sent names the site instead.
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
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return false;
    };
    if url::Url::parse(&state.public_url).is_ok_and(|public| public.origin() == claimed.origin()) {
        return true;
    }
    if state.public_url_configured {
        return false;
    }
    let sent_host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let scheme = if state.https { "https" } else { "http" };
    sent_host
        .and_then(|host| url::Url::parse(&format!("{scheme}://{host}")).ok())
        .is_some_and(|site| site.origin() == claimed.origin())
}

/// The largest form accepted: far above the longest text the forms allow (4,000
/// characters a field), far below what would strain the server.
pub const FORM_LIMIT: usize = 256 * 1024;

/// A form body must arrive whole within this time once its headers have (slow headers
/// are cut off by the HTTP layer itself).
const FORM_BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Reads a form body whole, or refuses it. Browsers send forms with a Content-Length;
/// a body that ends before it (a dropped connection, a half-closed socket) or that comes
/// without one (chunked, whose last chunk may never arrive) is refused, so a cut-off
/// clinical note is never stored as if complete. The text must be UTF-8.
async fn read_form_body(req: &HttpRequest, mut payload: Payload) -> Result<web::Bytes, AppError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok())
        .ok_or(AppError::IncompleteBody)?;
    if declared > FORM_LIMIT {
        return Err(AppError::BodyTooLarge);
    }
    let read = async {
        let mut body = web::BytesMut::with_capacity(declared);
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|_| AppError::IncompleteBody)?;
            if body.len() + chunk.len() > declared {
                return Err(AppError::IncompleteBody);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    };
    let body = tokio::time::timeout(FORM_BODY_TIMEOUT, read)
        .await
        .map_err(|_| AppError::SlowBody)??;
    if body.len() != declared {
        return Err(AppError::IncompleteBody);
    }
    if !is_utf8_form(&body) {
        return Err(AppError::BadRequest("a form body that is not UTF-8".into()));
    }
    Ok(body)
}

/// Every name and value, once percent-decoded, is UTF-8 text. (Form parsers replace
/// bad bytes with U+FFFD, which would store a patient named "���".)
fn is_utf8_form(body: &[u8]) -> bool {
    body.split(|b| *b == b'&').all(|pair| {
        pair.split(|b| *b == b'=').all(|part| {
            std::str::from_utf8(part).is_ok()
                && percent_encoding::percent_decode(part).decode_utf8().is_ok()
        })
    })
}

#[derive(Deserialize)]
struct TokenField {
    #[serde(default)]
    csrf_token: String,
}

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
        let payload = payload.take();
        Box::pin(async move {
            let bytes = read_form_body(&req, payload).await?;
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
                record_refusal(&req, Action::CsrfTokenRefused).await?;
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
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let bytes = read_form_body(&req, payload).await?;
            serde_html_form::from_bytes::<T>(&bytes)
                .map(PublicForm)
                .map_err(|e| AppError::BadRequest(format!("form fields: {e}")))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::is_utf8_form;

    #[test]
    fn form_text_must_be_utf8() {
        assert!(is_utf8_form(b"note=Zo%C3%AB+%E2%80%94+ok&score=3"));
        assert!(is_utf8_form(b""));
        assert!(!is_utf8_form(b"given_name=%FF%FE"));
        assert!(!is_utf8_form(b"given_name=\xff"));
        assert!(!is_utf8_form(b"%C3=x"));
    }
}
