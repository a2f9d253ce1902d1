//! Sign-in, sign-out, one-time setup links and password changes.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::{DisplayName, Email, FormErrors, NewPassword};
use crate::error::AppError;
use crate::store;
use crate::store::audit::Actor;
use crate::store::audit::{Action, Event, Outcome};
use crate::store::sessions as session;
use crate::store::tokens::{Purpose, TokenProblem};
use crate::store::users::Newcomer;
use crate::web::AnyUser;
use crate::web::csrf::{CsrfForm, NoFields, PublicForm};
use crate::web::{AppState, Layout, actor, render, render_with_status};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login_page))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/setup/{token}", web::get().to(setup_page))
        .route("/setup/{token}", web::post().to(setup))
        .route("/account/password", web::get().to(password_page))
        .route("/account/password", web::post().to(change_password));
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    next: String,
    error: String,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let next = state.safe_next(query.next.as_deref());
    if crate::web::session_user(&req).is_some() {
        return Ok(crate::web::redirect(&next));
    }
    render(
        &req,
        &LoginPage {
            layout: Layout::new(&req, &state, "Sign in"),
            email: String::new(),
            next,
            error: String::new(),
        },
    )
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

const SIGNIN_FAILED: &str = "The email or password is not right. Check both and try again.";

async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    PublicForm(form): PublicForm<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let next = state.safe_next(Some(&form.next));
    let account = form.email.trim().to_lowercase();
    let who = actor(&req);
    let page = |error: String| LoginPage {
        layout: Layout::new(&req, &state, "Sign in"),
        email: form.email.clone(),
        next: next.clone(),
        error,
    };

    let ip = req.peer_addr().map(|a| a.ip());
    let device = state.cookies.device_for(&req, &account);
    if let Err(wait) = state.signin_limiter.check(&account, ip, device.as_deref()) {
        let seconds = wait.as_secs().max(1);
        // The first refusal of a burst is recorded now; the rest as one count later.
        if state.signin_limiter.note_refusal(&account) {
            state
                .record(
                    who.clone(),
                    Event::new(Action::SigninRateLimited)
                        .outcome(Outcome::Denied)
                        .detail(format!("first refused attempt on {account}")),
                )
                .await?;
        }
        let message = format!(
            "Too many sign-in attempts. For your security, please wait {seconds} second{} and try again.",
            if seconds == 1 { "" } else { "s" }
        );
        return render_with_status(&req, &page(message), StatusCode::TOO_MANY_REQUESTS);
    }

    let password = form.password.clone();
    let old_cookie = state.cookies.session_id(&req);
    let user = state
        .read({
            let account = account.clone();
            move |conn| Ok(store::users::find_by_email(conn, &account)?)
        })
        .await?;
    // Always verify against some hash, so an unknown email takes as long as a wrong password.
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let password_ok = state.password_work.verify(password, stored).await?;
    let usable = user.filter(|u| u.active && u.password_hash.is_some() && password_ok);
    let verified = usable.map(|user| Actor {
        user_id: Some(user.id),
        role: user.role(),
        ip: who.ip.clone(),
    });
    let signed_in = state
        .write(move |c| {
            Ok(session::sign_in(
                c,
                &who,
                old_cookie.as_deref(),
                verified.as_ref(),
            )?)
        })
        .await?;

    match signed_in {
        Some(raw) => Ok(HttpResponse::SeeOther()
            .insert_header((actix_web::http::header::LOCATION, next))
            .cookie(state.cookies.session(raw))
            .cookie(state.cookies.device(&account))
            .finish()),
        None => render_with_status(&req, &page(SIGNIN_FAILED.into()), StatusCode::UNAUTHORIZED),
    }
}

async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AnyUser,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let who = actor(&req);
    let hash = user.session_hash.clone();
    let user_id = user.user_id;
    state
        .write(move |c| Ok(session::sign_out(c, &who, &hash, user_id)?))
        .await?;
    let gone = state.cookies.session_removal();
    let mut response = state.redirect_with_flash("/login", "You have signed out.");
    response
        .add_removal_cookie(&gone)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(response)
}

#[derive(Template)]
#[template(path = "auth/setup.html")]
struct SetupPage {
    layout: Layout,
    token: String,
    /// The first admin types their own name and email; invited people already have them.
    first_admin: bool,
    account_name: String,
    account_email: String,
    name: String,
    email: String,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "auth/link_problem.html")]
struct LinkProblemPage {
    layout: Layout,
    message: &'static str,
}

fn link_problem(
    req: &HttpRequest,
    state: &AppState,
    problem: TokenProblem,
) -> Result<HttpResponse, AppError> {
    let status = match problem {
        TokenProblem::Unknown => StatusCode::NOT_FOUND,
        TokenProblem::Used | TokenProblem::Expired => StatusCode::GONE,
    };
    render_with_status(
        req,
        &LinkProblemPage {
            layout: Layout::new(req, state, "Link not usable"),
            message: problem.explain(),
        },
        status,
    )
}

async fn setup_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let raw = token.into_inner();
    let lookup = raw.clone();
    let found = state
        .read(move |conn| Ok(store::users::find_by_link(conn, &lookup)?))
        .await?;
    let (token, account) = match found {
        Ok(found) => found,
        Err(problem) => return link_problem(&req, &state, problem),
    };
    render(
        &req,
        &SetupPage {
            layout: Layout::new(&req, &state, "Set your password"),
            token: raw,
            first_admin: token.purpose == Purpose::FirstAdmin,
            account_name: account
                .as_ref()
                .map(|a| a.display_name.clone())
                .unwrap_or_default(),
            account_email: account.map(|a| a.email).unwrap_or_default(),
            name: String::new(),
            email: String::new(),
            errors: FormErrors::default(),
        },
    )
}

#[derive(Deserialize)]
struct SetupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

async fn setup(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    PublicForm(form): PublicForm<SetupForm>,
) -> Result<HttpResponse, AppError> {
    let raw = token.into_inner();
    let lookup = raw.clone();
    let found = state
        .read(move |conn| Ok(store::users::find_by_link(conn, &lookup)?))
        .await?;
    let (token, account) = match found {
        Ok(found) => found,
        Err(problem) => return link_problem(&req, &state, problem),
    };
    let first_admin = token.purpose == Purpose::FirstAdmin;

    let mut errors = FormErrors::default();
    let (name, email) = if first_admin {
        (
            errors.take("name", DisplayName::parse(&form.name)),
            errors.take("email", Email::parse(&form.email)),
        )
    } else {
        (None, None)
    };
    let (context_name, context_email) = match &account {
        Some(a) => (a.display_name.clone(), a.email.clone()),
        None => (form.name.clone(), form.email.clone()),
    };
    let new_password = errors.take(
        "password",
        NewPassword::parse(
            &form.password,
            &form.confirm,
            &[&context_name, &context_email],
        ),
    );
    if !errors.is_empty() {
        let page = SetupPage {
            layout: Layout::new(&req, &state, "Set your password"),
            token: raw,
            first_admin,
            account_name: context_name,
            account_email: if first_admin {
                String::new()
            } else {
                context_email
            },
            name: form.name,
            email: form.email,
            errors,
        };
        return render_with_status(&req, &page, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let Some(new_password) = new_password else {
        return Err(AppError::Internal("validated password missing".into()));
    };
    let hash = state
        .password_work
        .hash(new_password.expose().to_owned())
        .await?;

    let who = actor(&req);
    let outcome = state
        .change(move |c| {
            let newcomer = match (&name, &email) {
                (Some(name), Some(email)) => Newcomer::FirstAdmin { name, email },
                _ => Newcomer::Invited,
            };
            store::users::set_up_account(c, &who, &token, &newcomer, &hash)
        })
        .await;
    match outcome {
        Ok(raw_session) => Ok(HttpResponse::SeeOther()
            .insert_header((actix_web::http::header::LOCATION, "/"))
            .cookie(state.cookies.session(raw_session))
            .finish()),
        Err(AppError::Refused { field, message }) => {
            let errors = FormErrors::one(field, message);
            let page = SetupPage {
                layout: Layout::new(&req, &state, "Set your password"),
                token: raw,
                first_admin,
                account_name: String::new(),
                account_email: String::new(),
                name: form.name,
                email: form.email,
                errors,
            };
            render_with_status(&req, &page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        // Another request used the link between reading it and now.
        Err(AppError::Conflict(_)) => link_problem(&req, &state, TokenProblem::Used),
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "auth/password.html")]
struct PasswordPage {
    layout: Layout,
    errors: FormErrors,
}

async fn password_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    _user: AnyUser,
) -> Result<HttpResponse, AppError> {
    render(
        &req,
        &PasswordPage {
            layout: Layout::new(&req, &state, "Change your password"),
            errors: FormErrors::default(),
        },
    )
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AnyUser,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let user_id = user.user_id;
    let current = form.current.clone();
    let stored = state
        .read(move |conn| Ok(store::users::find(conn, user_id)?.password_hash))
        .await?;
    let current_ok = state.password_work.verify(current, stored).await?;
    let mut errors = FormErrors::default();
    if !current_ok {
        errors.add("current", "Your current password is not right.");
    }
    let new_password = errors.take(
        "password",
        NewPassword::parse(
            &form.password,
            &form.confirm,
            &[&user.display_name, &user.email],
        ),
    );
    let (true, Some(new_password)) = (errors.is_empty(), new_password) else {
        let page = PasswordPage {
            layout: Layout::new(&req, &state, "Change your password"),
            errors,
        };
        return render_with_status(&req, &page, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let hash = state
        .password_work
        .hash(new_password.expose().to_owned())
        .await?;
    let who = actor(&req);
    let raw_session = state
        .write(move |c| Ok(store::users::change_password(c, &who, user_id, &hash)?))
        .await?;
    let mut response = state.redirect_with_flash(
        "/",
        "Your password has been changed. Other devices have been signed out.",
    );
    response
        .add_cookie(&state.cookies.session(raw_session))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(response)
}
