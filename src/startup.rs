//! Builds the application from settings: pool, migrations, seed data, routes, listener.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::{self, DefaultHeaders, Logger};
use actix_web::{App, HttpServer, web};

use crate::auth::rate_limit::SignInLimiter;
use crate::config::Settings;
use crate::db::{self, DbError, DbPool, write_tx};
use crate::error::AppError;
use crate::routes;
use crate::store;
use crate::store::audit::{self, Action, Actor, Event};
use crate::web::AppState;

/// Requests larger than this are refused before they are read.
const BODY_LIMIT_BYTES: usize = 256 * 1024;

const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; form-action 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("could not listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("start-up failed: {0}")]
    App(#[from] AppError),
}

pub struct Application {
    listener: TcpListener,
    state: AppState,
    workers: Option<usize>,
    db_pool_size: u32,
    signin_burst_quiet: std::time::Duration,
    port: u16,
    setup_link: Option<String>,
}

impl Application {
    /// Opens the database, migrates, seeds, and binds the port (0 picks a free one).
    pub fn build(settings: Settings) -> Result<Self, StartupError> {
        let pool = db::connect_and_migrate(&settings.database_url, settings.db_pool_size)
            .map_err(|e| db::disk::explain_start_failure(&settings.database_url, e))?;
        let listener = TcpListener::bind(settings.bind).map_err(|source| StartupError::Bind {
            addr: settings.bind,
            source,
        })?;
        let addr = listener.local_addr().map_err(|source| StartupError::Bind {
            addr: settings.bind,
            source,
        })?;
        let public_url = settings
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"));

        let mut conn = pool.get().map_err(DbError::from)?;
        store::settings::fill_time_zone(&mut conn, settings.default_zone).map_err(DbError::from)?;
        let clinic = store::settings::header(&mut conn).map_err(DbError::from)?;
        seed_library(&mut conn)?;
        let setup_link = first_admin_link(&mut conn, &public_url)?;
        let flash_secret = crate::store::keys::flash_secret(&mut conn).map_err(DbError::from)?;
        let flash_key = actix_web::cookie::Key::try_from(flash_secret.as_slice())
            .map_err(|e| AppError::Internal(format!("the flash-signing key: {e}")))?;
        drop(conn);

        let state = AppState::new(
            pool,
            &settings.database_url,
            crate::web::SiteAddress {
                url: public_url,
                configured: settings.public_url.is_some(),
            },
            SignInLimiter::new(
                settings.signin_per_account_per_minute,
                settings.signin_per_ip_per_minute,
                settings.signin_burst_quiet,
            ),
            match &settings.cjk_font {
                Some(font_file) => crate::pdf::SheetRenderer::with_cjk_font(font_file),
                None => crate::pdf::SheetRenderer::new(),
            }
            .map_err(|e| AppError::Internal(format!("sheet fonts: {e}")))?,
            clinic,
            flash_key,
        )
        .map_err(|e| AppError::Internal(format!("worker threads: {e}")))?;
        Ok(Self {
            listener,
            state,
            workers: settings.workers,
            db_pool_size: settings.db_pool_size,
            signin_burst_quiet: settings.signin_burst_quiet,
            port: addr.port(),
            setup_link,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The one-time link that creates the first admin, when no account exists yet.
    pub fn setup_link(&self) -> Option<&str> {
        self.setup_link.as_deref()
    }

    /// Reads the clinic's name, contact details and zone again, after something other than
    /// the settings page changed them (the demo fills them in).
    pub fn reload_clinic(&self) -> Result<(), StartupError> {
        let mut conn = self.pool().get().map_err(DbError::from)?;
        let clinic = store::settings::header(&mut conn).map_err(DbError::from)?;
        self.state.set_clinic(clinic);
        Ok(())
    }

    pub fn pool(&self) -> DbPool {
        self.state.pool.clone()
    }

    pub fn public_url(&self) -> &str {
        &self.state.public_url
    }

    /// Starts serving; the returned server runs until stopped.
    pub fn run(self) -> Result<Server, StartupError> {
        record_ended_signin_bursts(&self.state, self.signin_burst_quiet);
        let https = self.state.https;
        let state = web::Data::new(self.state);
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(BODY_LIMIT_BYTES))
                // An address with a value the page cannot read (`/cases/abc`, `?page=x`)
                // gets the app's own pages, not the extractor's wording. The values are not
                // logged: a query can hold a patient's name typed into search.
                .app_data(
                    web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()),
                )
                .app_data(web::QueryConfig::default().error_handler(|_, _| {
                    AppError::BadRequest("a query value could not be read".into()).into()
                }))
                .wrap(middleware::from_fn(crate::web::csrf::check_origin))
                .wrap(middleware::from_fn(crate::web::guard::load_session))
                .wrap(security_headers())
                .wrap(middleware::Condition::new(
                    https,
                    strict_transport_security(),
                ))
                .wrap(middleware::from_fn(head_as_get))
                .wrap(
                    // Paths only: query strings can hold patient names typed into search.
                    Logger::new("%{method}xi %U %s %Dms")
                        .custom_request_replace("method", |req| req.method().to_string()),
                )
                .configure(routes::configure)
                .default_service(web::to(|| async {
                    Err::<actix_web::HttpResponse, _>(AppError::NotFound)
                }))
        });
        let workers = self
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1);
        // Blocking work (writes, exports, sheets, hashing) needs at most one thread per
        // pooled connection; more threads would only queue for connections and cost memory.
        server = server
            .workers(workers)
            .worker_max_blocking_threads((self.db_pool_size as usize).div_ceil(workers).max(2));
        let addr = self.listener.local_addr().ok();
        let server = server
            .listen(self.listener)
            .map_err(|source| StartupError::Bind {
                addr: addr.unwrap_or_else(|| std::net::SocketAddr::from(([0, 0, 0, 0], 0))),
                source,
            })?
            .run();
        Ok(server)
    }
}

fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // Not no-referrer: with it, browsers send `Origin: null` on same-site form posts.
        .add((header::REFERRER_POLICY, "same-origin"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        // Pages carry patient and account data; only static files opt back into caching.
        .add((header::CACHE_CONTROL, "no-store"))
}

/// Writes, for each burst of refused sign-ins that has gone quiet, one audit row with
/// the number of refusals after its first (which was recorded when it happened). The
/// thread ends with the app.
fn record_ended_signin_bursts(state: &AppState, quiet: std::time::Duration) {
    let limiter = std::sync::Arc::downgrade(&state.signin_limiter);
    let writes = state.writes.clone();
    let every = (quiet / 2).clamp(
        std::time::Duration::from_millis(200),
        std::time::Duration::from_secs(10),
    );
    let started = std::thread::Builder::new()
        .name("signin-bursts".into())
        .spawn(move || {
            loop {
                std::thread::sleep(every);
                let Some(limiter) = limiter.upgrade() else {
                    break;
                };
                for (account, refused) in limiter.ended_bursts() {
                    let recorded = writes.submit(move |c| {
                        let event = Event::new(Action::SigninRateLimited)
                            .outcome(audit::Outcome::Denied)
                            .detail(format!(
                                "{refused} more attempts on {account} refused in the same burst"
                            ));
                        audit::record(c, &Actor::default(), event)?;
                        Ok(())
                    });
                    if let Err(e) = recorded.and_then(|pending| pending.wait()) {
                        tracing::warn!(error = %e, "a burst of refused sign-ins was not recorded");
                    }
                }
            }
        });
    if let Err(e) = started {
        tracing::warn!(error = %e, "refused sign-in bursts will not be recorded");
    }
}

/// Behind an https:// public URL, browsers are told to use nothing else for a year.
fn strict_transport_security() -> DefaultHeaders {
    DefaultHeaders::new().add((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"))
}

/// A HEAD request is routed as its GET (with the same checks and audit event); the
/// HTTP layer sends the answer's headers without its body.
async fn head_as_get(
    mut req: actix_web::dev::ServiceRequest,
    next: middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    if req.method() == actix_web::http::Method::HEAD {
        req.head_mut().method = actix_web::http::Method::GET;
    }
    next.call(req).await
}

/// Adds built-in library entries that this database does not have yet.
fn seed_library(conn: &mut db::DbConn) -> Result<(), StartupError> {
    let library =
        crate::library::load().map_err(|e| AppError::Internal(format!("built-in library: {e}")))?;
    let (exercises, templates) = write_tx(conn, |c| {
        let exercises = store::exercises::seed_library(c, &library)?;
        let templates = store::programmes::seed_templates(c, &library)?;
        Ok::<_, AppError>((exercises, templates))
    })?;
    if exercises + templates > 0 {
        tracing::info!(exercises, templates, "built-in library entries added");
    }
    Ok(())
}

/// On a database with no accounts, issues a fresh one-time link for the first admin.
fn first_admin_link(
    conn: &mut db::DbConn,
    public_url: &str,
) -> Result<Option<String>, StartupError> {
    let raw = write_tx(conn, |c| {
        store::users::first_admin_link(c).map_err(AppError::from)
    })?;
    Ok(raw.map(|raw| format!("{public_url}/setup/{raw}")))
}
