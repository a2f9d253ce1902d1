//! Every route of the app, one folder per feature. `configure` is the one route table.

pub mod admin;
pub mod assessments;
pub mod auth;
pub mod cases;
pub mod consent;
pub mod exercises;
pub mod home;
pub mod letters;
pub mod pain;
pub mod patients;
pub mod portal;
pub mod programmes;
pub mod visits;

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::error::AppError;
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/static/{file}", web::get().to(static_file))
        .configure(home::routes)
        .configure(auth::routes)
        .configure(patients::routes)
        .configure(cases::routes)
        .configure(consent::routes)
        .configure(assessments::routes)
        .configure(pain::routes)
        .configure(portal::routes)
        .configure(programmes::routes)
        .configure(letters::routes)
        .configure(visits::routes)
        .configure(exercises::routes)
        .configure(admin::routes);
}

/// 200 when the database answers a query and takes a write; 503 otherwise, so a load
/// balancer can route around an instance that could only read.
async fn healthz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    state
        .read(|conn| Ok(crate::db::answers(conn)?))
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    if !state.can_write().await {
        return Err(AppError::Unavailable("the database takes no writes".into()));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok\n"))
}

/// The stylesheet: the app's own rules and the pain chart's, served as one file.
const APP_CSS: &str = concat!(
    include_str!("../../static/app.css"),
    "\n",
    include_str!("../../static/chart.css")
);

/// Static assets are compiled into the binary: copying one file deploys the app.
async fn static_file(file: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (body, content_type): (&'static str, &str) = match file.as_str() {
        "app.css" => (APP_CSS, "text/css; charset=utf-8"),
        _ => return Err(AppError::NotFound),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body))
}
