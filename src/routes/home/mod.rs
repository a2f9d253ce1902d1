//! The home page: a therapist's caseload and what needs attention; patients go to /me.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::dates::{Shown, ShownDay};
use crate::domain::Role;
use crate::domain::pain::Trend;
use crate::error::AppError;
use crate::store;
use crate::store::audit::Action;
use crate::store::audit::Event;
use crate::store::caseload::{Attention, DashboardCase};
use crate::web::AnyUser;
use crate::web::{AppState, Layout, Pager, actor, render};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home));
}

const LIST_LIMIT: i64 = 10;

pub struct AttentionList {
    pub key: &'static str,
    pub title: &'static str,
    pub empty: &'static str,
    pub cases: Vec<DashboardCase>,
    pub total: i64,
}

#[derive(Template)]
#[template(path = "home/home.html")]
struct HomePage {
    layout: Layout,
    is_admin: bool,
    cases: Vec<DashboardCase>,
    pager: Pager,
    attention: Vec<AttentionList>,
    /// Patients who said "yes" to a stop symptom in the portal: first, whatever else waits.
    stop_reported: Vec<DashboardCase>,
    scope: &'static str,
    /// The attention list the cases table shows in full, if one was chosen.
    list_key: &'static str,
}

impl HomePage {
    fn trend_label(&self, key: &str) -> &'static str {
        Trend::from_key(key).label()
    }
}

#[derive(Deserialize)]
struct HomeQuery {
    page: Option<i64>,
    #[serde(default)]
    scope: String,
    /// One attention list shown in full in the cases table (`review-due`, …).
    #[serde(default)]
    list: String,
}

async fn home(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AnyUser,
    query: web::Query<HomeQuery>,
) -> Result<HttpResponse, AppError> {
    if user.role == Role::Patient {
        return Ok(crate::web::redirect("/me"));
    }
    // Admins may look at the whole clinic's open cases; everyone starts with their own.
    let whole_clinic = user.role == Role::Admin && query.scope == "clinic";
    let therapist = if whole_clinic {
        None
    } else {
        Some(user.user_id)
    };
    let page = query.page;
    let (shown, list_key) = Attention::from_key(&query.list);
    let who = actor(&req);
    let today = state.zone().today();
    let read = move |c: &mut crate::db::DbConn| {
        let total = store::caseload::count_open(c, therapist, shown, today)?;
        let mut pager_query = Vec::new();
        if whole_clinic {
            pager_query.push("scope=clinic".to_owned());
        }
        if !list_key.is_empty() {
            pager_query.push(format!("list={list_key}"));
        }
        let pager = Pager::new(page, 25, total, pager_query.join("&")).at_anchor("open-cases");
        let cases = store::caseload::open_cases(
            c,
            therapist,
            shown,
            today,
            pager.offset(),
            pager.per_page,
        )?;
        let stop_reported = store::caseload::stop_reported(c, therapist)?;
        let mut lists = Vec::new();
        for (key, title, empty, attention) in [
            (
                "red-flags",
                "Red flags waiting for action",
                "No red flags are waiting.",
                Attention::RedFlags,
            ),
            (
                "worsening",
                "Pain worsening",
                "No case is worsening.",
                Attention::Worsening,
            ),
            (
                "review-due",
                "Reviews due",
                "No review is overdue.",
                Attention::ReviewDue,
            ),
            (
                "no-recent-pain",
                "No pain score for 14 days or more",
                "Every case has a recent pain score.",
                Attention::NoRecentPain,
            ),
        ] {
            let total = store::caseload::count_open(c, therapist, attention, today)?;
            let cases = if total == 0 {
                Vec::new()
            } else {
                store::caseload::open_cases(c, therapist, attention, today, 0, LIST_LIMIT)?
            };
            lists.push(AttentionList {
                key,
                title,
                empty,
                cases,
                total,
            });
        }
        // The dashboard shows patients' names and pain: a read of clinical data.
        let event = Event::new(Action::DashboardRead).detail(format!("{} open cases", pager.total));
        Ok(((cases, pager, lists, stop_reported), event))
    };
    state
        .audited_page(who, read, |read| {
            let (cases, pager, attention, stop_reported) = read.into_inner();
            render(
                &req,
                &HomePage {
                    layout: Layout::new(&req, &state, "Home"),
                    is_admin: user.role == Role::Admin,
                    cases,
                    pager,
                    attention,
                    stop_reported,
                    scope: if whole_clinic { "clinic" } else { "mine" },
                    list_key,
                },
            )
        })
        .await
}
