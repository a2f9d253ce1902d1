//! The home page: where each role starts.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::auth::AnyUser;
use crate::error::AppError;
use crate::web::{AppState, Layout, render};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home));
}

#[derive(Template)]
#[template(path = "home/home.html")]
struct HomePage {
    layout: Layout,
}

async fn home(
    req: HttpRequest,
    state: web::Data<AppState>,
    _user: AnyUser,
) -> Result<HttpResponse, AppError> {
    render(
        &req,
        &HomePage {
            layout: Layout::new(&req, &state, "Home"),
        },
    )
}
