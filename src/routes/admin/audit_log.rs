//! The audit viewer: filter, page, and verify the hash chain.

use crate::dates::{Shown, Zone};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use crate::domain::clinical::parse_date;
use crate::error::AppError;
use crate::store::audit::{self, Action, AuditLine, AuditSearch, ChainReport, Event};
use crate::web::Admin;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::{AppState, Layout, Pager, actor, render, url_encode};

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuditFilter {
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub patient: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    pub page: Option<i64>,
}

impl AuditFilter {
    /// The filter's days are the clinic's (`zone`): "from 7 Dec" starts at its local midnight.
    fn parse(&self, zone: Zone) -> (AuditSearch, Vec<String>) {
        let mut problems = Vec::new();
        let mut id = |raw: &str, what: &str| -> Option<i64> {
            let raw = raw.trim();
            if raw.is_empty() {
                return None;
            }
            raw.parse()
                .map_err(|_| problems.push(format!("The {what} must be a number.")))
                .ok()
        };
        let user = id(&self.user, "user id");
        let patient = id(&self.patient, "patient id");
        let mut date = |raw: &str, what: &str, end: bool| -> Option<NaiveDateTime> {
            let raw = raw.trim();
            if raw.is_empty() {
                return None;
            }
            match parse_date(raw) {
                Ok(d) if end => d
                    .succ_opt()
                    .map(|next| zone.start_of_day(next) - chrono::Duration::microseconds(1)),
                Ok(d) => Some(zone.start_of_day(d)),
                Err(_) => {
                    problems.push(format!("The {what} date is not a date like 2026-01-31."));
                    None
                }
            }
        };
        let from = date(&self.from, "from", false);
        let to = date(&self.to, "to", true);
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            problems.push("The from date is after the to date.".to_owned());
        }
        let action = Some(self.action.trim().to_owned()).filter(|a| !a.is_empty());
        (
            AuditSearch {
                user,
                patient,
                action,
                from,
                to,
            },
            problems,
        )
    }

    fn query_string(&self) -> String {
        [
            ("user", &self.user),
            ("patient", &self.patient),
            ("action", &self.action),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", url_encode(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
    }
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    layout: Layout,
    filter: AuditFilter,
    problems: Vec<String>,
    lines: Vec<AuditLine>,
    pager: Pager,
    report: Option<ChainReport>,
}

async fn page(
    req: &HttpRequest,
    state: &AppState,
    filter: AuditFilter,
    report: Option<ChainReport>,
) -> Result<AuditPage, AppError> {
    let (parsed, problems) = filter.parse(state.zone());
    let page = filter.page;
    let base = filter.query_string();
    let who = actor(req);
    // A filter that cannot be read finds nothing rather than quietly showing everything.
    let readable = problems.is_empty();
    let (lines, pager) = state
        .audited_long(who, move |c| {
            if !readable {
                return Ok((
                    (Vec::new(), Pager::new(None, 50, 0, base)),
                    Event::new(Action::AuditRead),
                ));
            }
            let total = audit::count(c, &parsed)?;
            let pager = Pager::new(page, 50, total, base);
            let lines = audit::page(c, &parsed, pager.offset(), pager.per_page)?;
            let event = Event::new(Action::AuditRead);
            Ok(((lines, pager), event))
        })
        .await?
        .into_inner();
    Ok(AuditPage {
        layout: Layout::new(req, state, "Audit log"),
        filter,
        problems,
        lines,
        pager,
        report,
    })
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    _admin: Admin,
) -> Result<HttpResponse, AppError> {
    let filter: AuditFilter = serde_html_form::from_str(req.query_string()).unwrap_or_default();
    let page = page(&req, &state, filter, None).await?;
    render(&req, &page)
}

pub async fn verify(
    req: HttpRequest,
    state: web::Data<AppState>,
    _admin: Admin,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let who = actor(&req);
    // The whole chain is read on the blocking pool: it is long work.
    let report = state.db(move |conn| Ok(audit::verify_chain(conn)?)).await?;
    state
        .record(
            who,
            Event::new(Action::AuditVerified).detail(match &report.first_broken {
                None => format!("{} rows ok", report.rows_checked),
                Some(b) => format!("broken at row {}", b.id),
            }),
        )
        .await?;
    let page = page(&req, &state, AuditFilter::default(), Some(report)).await?;
    render(&req, &page)
}
