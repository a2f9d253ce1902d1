//! Role guards as extractors, and the middleware that loads the session once per request.
//! Every refusal is audited before the 403 goes out.

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::domain::Role;
use crate::error::AppError;
use crate::store::audit::{Action, Event, Outcome};
use crate::store::sessions::{self as session, SessionUser};
use crate::web::{AppState, actor};

/// Loads the session named by the cookie (if live) into the request's extensions.
pub async fn load_session(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let path = req.path();
    let needs_session = !(path.starts_with("/static/") || path == "/healthz");
    if let (true, Some(state)) = (needs_session, req.app_data::<web::Data<AppState>>()) {
        let state = state.get_ref().clone();
        let cookie = state.cookies.session_id(req.request());
        let refresh_clinic = state.clinic_is_stale();
        if cookie.is_some() || refresh_clinic {
            let (lookup, clinic) = state
                .read(move |conn| {
                    let lookup = match cookie {
                        Some(raw) => session::lookup(conn, &raw)?,
                        None => session::Lookup::Unknown,
                    };
                    let clinic = if refresh_clinic {
                        Some(crate::store::settings::header(conn)?)
                    } else {
                        None
                    };
                    Ok((lookup, clinic))
                })
                .await?;
            if let Some(clinic) = clinic {
                state.set_clinic(clinic);
            }
            // At most once a minute per session (or once when it ends): a small write.
            let lookup = if session::needs_settling(&lookup) {
                state
                    .write(move |c| {
                        session::settle(c, &lookup)?;
                        Ok(lookup)
                    })
                    .await?
            } else {
                lookup
            };
            if let session::Lookup::Live { user, .. } = lookup {
                req.extensions_mut().insert(user);
            }
        }
    }
    next.call(req).await
}

async fn require(req: HttpRequest, allowed: fn(Role) -> bool) -> Result<SessionUser, AppError> {
    let Some(user) = req.extensions().get::<SessionUser>().cloned() else {
        let next = if req.method() == actix_web::http::Method::GET {
            match req.uri().path_and_query() {
                Some(pq) => pq.as_str().to_owned(),
                None => req.path().to_owned(),
            }
        } else {
            "/".to_owned()
        };
        return Err(AppError::SignInRequired { next });
    };
    if allowed(user.role) {
        return Ok(user);
    }
    record_refusal(&req, Action::AccessDenied).await?;
    Err(AppError::Forbidden)
}

/// Writes the audit event for a refused request (role or CSRF).
pub async fn record_refusal(req: &HttpRequest, action: Action) -> Result<(), AppError> {
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return Err(AppError::Internal("application state missing".into()));
    };
    let who = actor(req);
    let target = format!("{} {}", req.method(), req.path());
    state
        .record(
            who,
            Event::new(action)
                .entity("route", target)
                .outcome(Outcome::Denied),
        )
        .await
}

macro_rules! role_guard {
    ($(#[$doc:meta])* $name:ident, $allowed:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub SessionUser);

        impl FromRequest for $name {
            type Error = AppError;
            type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let req = req.clone();
                Box::pin(async move { require(req, $allowed).await.map($name) })
            }
        }

        impl std::ops::Deref for $name {
            type Target = SessionUser;
            fn deref(&self) -> &SessionUser {
                &self.0
            }
        }
    };
}

role_guard!(
    /// Any signed-in user.
    AnyUser, |_| true
);
role_guard!(
    /// Clinic staff: therapists and admins.
    Staff, Role::is_staff
);
role_guard!(
    /// Clinic admins only.
    Admin, |role| role == Role::Admin
);
role_guard!(
    /// Patients only (the portal).
    Patient, |role| role == Role::Patient
);
