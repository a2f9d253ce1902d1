//! The progress review: are patients getting better, and with whom? Figures for a date
//! range, overall and per therapist, each linking to the cases behind it.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Deserialize;

use crate::auth::Admin;
use crate::db::DbConn;
use crate::db::schema::{
    adherence_ticks, assessments, cases, patients, programme_items, programme_versions, users,
};
use crate::domain::adherence::{self, InForce, Tally};
use crate::domain::clinical::parse_date;
use crate::error::AppError;
use crate::store::assessments::AssessmentStatus;
use crate::store::audit::Action;
use crate::store::audit::Event;
use crate::store::cases::CaseStatus;
use crate::web::{AppState, Layout, Pager, actor, render, url_encode};

/// What the review needs of one case.
#[derive(Debug, Clone)]
pub struct CaseFacts {
    pub id: i64,
    pub therapist_id: i64,
    pub status: CaseStatus,
    pub created_at: NaiveDateTime,
    pub discharged_at: Option<NaiveDateTime>,
    pub baseline: Option<i32>,
    pub latest: Option<i32>,
    pub trend: String,
    pub last_pain_at: Option<NaiveDateTime>,
    pub red_flags: bool,
    pub assessments: i64,
    /// Exercise days prescribed in the range and how many were done (`domain::adherence`).
    pub adherence: Tally,
}

/// Which cases a figure counts; also the filter of the case list behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    Cohort,
    Open,
    Discharged,
    New,
    Improving,
    Worsening,
    NoRecentPain,
    RedFlags,
}

impl Figure {
    pub const ALL: [Figure; 8] = [
        Figure::Cohort,
        Figure::Open,
        Figure::Discharged,
        Figure::New,
        Figure::Improving,
        Figure::Worsening,
        Figure::NoRecentPain,
        Figure::RedFlags,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Cohort => "cohort",
            Self::Open => "open",
            Self::Discharged => "discharged",
            Self::New => "new",
            Self::Improving => "improving",
            Self::Worsening => "worsening",
            Self::NoRecentPain => "no-recent-pain",
            Self::RedFlags => "red-flags",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Cohort => "Cases active in the period",
            Self::Open => "Open cases",
            Self::Discharged => "Discharged in the period",
            Self::New => "New in the period",
            Self::Improving => "Reached a clinically important improvement",
            Self::Worsening => "Worsening",
            Self::NoRecentPain => "Open, no pain score for 14 days",
            Self::RedFlags => "Open, red flags waiting for action",
        }
    }

    fn parse(key: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|f| f.key() == key)
            .unwrap_or(Self::Cohort)
    }
}

pub struct Range {
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
    pub now: NaiveDateTime,
}

impl Range {
    /// A case is in the cohort when it was open at some time in the range.
    fn active(&self, c: &CaseFacts) -> bool {
        !c.status.is_entered_in_error()
            && c.created_at <= self.to
            && c.discharged_at.is_none_or(|d| d >= self.from)
    }

    pub fn matches(&self, figure: Figure, c: &CaseFacts) -> bool {
        if c.status.is_entered_in_error() {
            return false;
        }
        let stale = self.now - Duration::days(14);
        match figure {
            Figure::Cohort => self.active(c),
            Figure::Open => c.status.is_open(),
            Figure::Discharged => c
                .discharged_at
                .is_some_and(|d| d >= self.from && d <= self.to),
            Figure::New => c.created_at >= self.from && c.created_at <= self.to,
            Figure::Improving => self.active(c) && c.trend == "improving",
            Figure::Worsening => self.active(c) && c.trend == "worsening",
            Figure::NoRecentPain => {
                c.status.is_open() && c.last_pain_at.map_or(c.created_at < stale, |at| at < stale)
            }
            Figure::RedFlags => c.status.is_open() && c.red_flags,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub counts: Vec<(Figure, usize)>,
    /// Cases in the cohort with a baseline and a later score in the same context.
    pub with_change: usize,
    pub median_change: Option<f64>,
    pub share_mcid: Option<u32>,
    pub share_worsening: Option<u32>,
    pub median_assessments: Option<f64>,
    pub adherence: Option<u32>,
    pub change_distribution: BTreeMap<i32, usize>,
}

impl Figures {
    pub fn count(&self, figure: Figure) -> usize {
        self.counts
            .iter()
            .find(|(f, _)| *f == figure)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    }
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

fn percent(part: usize, whole: usize) -> Option<u32> {
    (whole > 0).then(|| u32::try_from((part * 100 + whole / 2) / whole).unwrap_or(100))
}

/// Every figure of the review, from the facts of the cases.
pub fn compute(cases: &[CaseFacts], range: &Range) -> Figures {
    let counts = Figure::ALL
        .iter()
        .map(|f| (*f, cases.iter().filter(|c| range.matches(*f, c)).count()))
        .collect();
    let cohort: Vec<&CaseFacts> = cases.iter().filter(|c| range.active(c)).collect();
    let changes: Vec<(i32, &CaseFacts)> = cohort
        .iter()
        .filter(|c| c.trend != "not-enough")
        .filter_map(|c| Some((c.latest? - c.baseline?, *c)))
        .collect();
    let mut distribution = BTreeMap::new();
    for (change, _) in &changes {
        *distribution.entry(*change).or_insert(0) += 1;
    }
    let mut adherence = Tally::default();
    for case in &cohort {
        adherence.add(case.adherence);
    }
    Figures {
        counts,
        with_change: changes.len(),
        median_change: median(changes.iter().map(|(d, _)| f64::from(*d)).collect()),
        share_mcid: percent(
            changes
                .iter()
                .filter(|(_, c)| c.trend == "improving")
                .count(),
            changes.len(),
        ),
        share_worsening: percent(
            changes
                .iter()
                .filter(|(_, c)| c.trend == "worsening")
                .count(),
            changes.len(),
        ),
        median_assessments: median(cohort.iter().map(|c| c.assessments as f64).collect()),
        adherence: adherence.percent(),
        change_distribution: distribution,
    }
}

type FactRow = (
    i64,
    i64,
    CaseStatus,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<i32>,
    Option<i32>,
    String,
    Option<NaiveDateTime>,
    String,
);

/// Loads the facts of every case that can matter for the range (one row per case).
pub fn load_facts(conn: &mut DbConn, range: &Range) -> QueryResult<Vec<CaseFacts>> {
    let rows: Vec<FactRow> = cases::table
        .filter(cases::status.ne(CaseStatus::EnteredInError.as_str()))
        .filter(cases::created_at.le(range.to))
        .filter(
            cases::discharged_at
                .is_null()
                .or(cases::discharged_at.ge(range.from)),
        )
        .select((
            cases::id,
            cases::therapist_id,
            cases::status,
            cases::created_at,
            cases::discharged_at,
            cases::pain_baseline,
            cases::pain_latest,
            cases::pain_trend,
            cases::last_pain_at,
            cases::red_flags_pending,
        ))
        .load(conn)?;
    let counts: BTreeMap<i64, i64> = assessments::table
        .filter(assessments::status.ne(AssessmentStatus::EnteredInError.as_str()))
        .group_by(assessments::case_id)
        .select((assessments::case_id, diesel::dsl::count(assessments::id)))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    // Each case's programme versions saved by the end of the range, with their items'
    // days a week: what adherence counts as prescribed.
    let items: Vec<(i64, i64, NaiveDateTime, i64, i32)> = programme_items::table
        .inner_join(programme_versions::table)
        .filter(programme_versions::created_at.le(range.to))
        .order((
            programme_versions::case_id.asc(),
            programme_versions::version.asc(),
            programme_items::position.asc(),
        ))
        .select((
            programme_versions::case_id,
            programme_versions::id,
            programme_versions::created_at,
            programme_items::exercise_id,
            programme_items::days_per_week,
        ))
        .load(conn)?;
    let mut by_case: BTreeMap<i64, Vec<(i64, NaiveDate, i64, i32)>> = BTreeMap::new();
    for (case_id, version_id, at, exercise_id, days_per_week) in items {
        by_case.entry(case_id).or_default().push((
            version_id,
            at.date(),
            exercise_id,
            days_per_week,
        ));
    }
    let schedules: BTreeMap<i64, Vec<InForce>> = by_case
        .into_iter()
        .map(|(case_id, rows)| (case_id, adherence::schedule(rows)))
        .collect();
    let mut ticks: BTreeMap<i64, Vec<(i64, NaiveDate)>> = BTreeMap::new();
    for (case_id, exercise_id, day) in adherence_ticks::table
        .filter(adherence_ticks::day.ge(range.from.date()))
        .filter(adherence_ticks::day.le(range.to.date()))
        .select((
            adherence_ticks::case_id,
            adherence_ticks::exercise_id,
            adherence_ticks::day,
        ))
        .load::<(i64, i64, NaiveDate)>(conn)?
    {
        ticks.entry(case_id).or_default().push((exercise_id, day));
    }
    let today = range.now.date().min(range.to.date());
    Ok(rows
        .into_iter()
        .map(
            |(
                id,
                therapist_id,
                status,
                created_at,
                discharged_at,
                baseline,
                latest_score,
                trend,
                last_pain_at,
                flags,
            )| {
                let end = discharged_at.map_or(today, |d| d.date().min(today));
                let adherence = match schedules.get(&id) {
                    Some(schedule) => adherence::tally(
                        schedule,
                        ticks.get(&id).map_or(&[][..], |t| &t[..]),
                        range.from.date(),
                        end,
                    ),
                    None => Tally::default(),
                };
                CaseFacts {
                    id,
                    therapist_id,
                    status,
                    created_at,
                    discharged_at,
                    baseline,
                    latest: latest_score,
                    trend,
                    last_pain_at,
                    red_flags: !flags.is_empty(),
                    assessments: counts.get(&id).copied().unwrap_or(0),
                    adherence,
                }
            },
        )
        .collect())
}

// ---- pages

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReviewQuery {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub figure: String,
    #[serde(default)]
    pub therapist: String,
    pub page: Option<i64>,
}

impl ReviewQuery {
    fn range(&self) -> (Range, String, String, Vec<String>) {
        let now = Utc::now().naive_utc();
        let mut problems = Vec::new();
        let mut date = |raw: &str, default: NaiveDate, what: &str| match raw.trim() {
            "" => default,
            value => parse_date(value).unwrap_or_else(|_| {
                problems.push(format!(
                    "The {what} date is not a date like 2026-01-31; showing the default."
                ));
                default
            }),
        };
        let to = date(&self.to, now.date(), "to");
        let from = date(&self.from, to - Duration::days(89), "from");
        let (from, to) = if from > to { (to, from) } else { (from, to) };
        let range = Range {
            from: from.and_hms_opt(0, 0, 0).unwrap_or_default(),
            to: to.and_hms_opt(23, 59, 59).unwrap_or_default(),
            now,
        };
        (range, from.to_string(), to.to_string(), problems)
    }
}

pub struct TherapistFigures {
    pub id: i64,
    pub name: String,
    pub figures: Figures,
}

pub struct FigureLink {
    pub key: &'static str,
    pub label: &'static str,
    pub count: usize,
}

#[derive(Template)]
#[template(path = "admin/review.html")]
struct ReviewPage {
    layout: Layout,
    from: String,
    to: String,
    problems: Vec<String>,
    overall: Figures,
    links: Vec<FigureLink>,
    therapists: Vec<TherapistFigures>,
    change_chart: String,
    cases_chart: String,
}

impl ReviewPage {
    fn link(&self, figure: &str, therapist: Option<&i64>) -> String {
        let mut link = format!(
            "/admin/cases?figure={figure}&from={}&to={}",
            url_encode(&self.from),
            url_encode(&self.to)
        );
        if let Some(id) = therapist {
            link.push_str(&format!("&therapist={id}"));
        }
        link
    }

    fn pct(&self, value: &Option<u32>) -> String {
        value
            .map(|v| format!("{v} %"))
            .unwrap_or_else(|| "—".into())
    }

    fn num(&self, value: &Option<f64>) -> String {
        value
            .map(|v| {
                let text = if v.fract() == 0.0 {
                    format!("{v:.0}")
                } else {
                    format!("{v:.1}")
                };
                // A real minus sign, as on the case pages.
                text.replace('-', "\u{2212}")
            })
            .unwrap_or_else(|| "—".into())
    }

    fn count(&self, figures: &Figures, key: &str) -> usize {
        figures.count(Figure::parse(key))
    }
}

fn therapist_names(conn: &mut DbConn) -> QueryResult<Vec<(i64, String)>> {
    users::table
        .filter(users::role.ne("patient"))
        .order(users::display_name.asc())
        .select((users::id, users::display_name))
        .load(conn)
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    _admin: Admin,
) -> Result<HttpResponse, AppError> {
    let query: ReviewQuery = serde_html_form::from_str(req.query_string()).unwrap_or_default();
    let (range, from, to, problems) = query.range();
    let who = actor(&req);
    let (facts, names, weekly) = state
        .audited_long(who, move |c| {
            let facts = load_facts(c, &range)?;
            let names = therapist_names(c)?;
            let event = Event::new(Action::ReviewRead);
            Ok(((facts, names, range), event))
        })
        .await?
        .into_inner();
    let range = weekly;
    let overall = compute(&facts, &range);
    let therapists = names
        .into_iter()
        .filter_map(|(id, name)| {
            let own: Vec<CaseFacts> = facts
                .iter()
                .filter(|c| c.therapist_id == id)
                .cloned()
                .collect();
            (!own.is_empty()).then(|| TherapistFigures {
                id,
                name,
                figures: compute(&own, &range),
            })
        })
        .collect();
    let change_chart = charts::change_distribution(&overall.change_distribution);
    let cases_chart = charts::new_cases(&facts, &range);
    render(
        &req,
        &ReviewPage {
            layout: Layout::new(&req, &state, "Progress review"),
            links: Figure::ALL
                .iter()
                .map(|f| FigureLink {
                    key: f.key(),
                    label: f.label(),
                    count: overall.count(*f),
                })
                .collect(),
            from,
            to,
            problems,
            overall,
            therapists,
            change_chart,
            cases_chart,
        },
    )
}

type ListRow = (
    i64,
    String,
    String,
    String,
    String,
    CaseStatus,
    Option<i32>,
    Option<i32>,
    String,
);

pub struct CaseListLine {
    pub id: i64,
    pub patient: String,
    pub title: String,
    pub therapist: String,
    pub status: CaseStatus,
    pub baseline: Option<i32>,
    pub latest: Option<i32>,
    pub trend: String,
}

#[derive(Template)]
#[template(path = "admin/cases.html")]
struct CaseListPage {
    layout: Layout,
    label: &'static str,
    from: String,
    to: String,
    therapist: String,
    cases: Vec<CaseListLine>,
    pager: Pager,
}

/// The cases behind one figure of the review.
pub async fn case_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    _admin: Admin,
) -> Result<HttpResponse, AppError> {
    let query: ReviewQuery = serde_html_form::from_str(req.query_string()).unwrap_or_default();
    let (range, from, to, _) = query.range();
    let figure = Figure::parse(&query.figure);
    let therapist: Option<i64> = query.therapist.trim().parse().ok();
    let page = query.page;
    let base = format!(
        "figure={}&from={}&to={}{}",
        figure.key(),
        url_encode(&from),
        url_encode(&to),
        therapist
            .map(|t| format!("&therapist={t}"))
            .unwrap_or_default()
    );
    let who = actor(&req);
    let (cases, pager, therapist_name) = state
        .audited_long(who, move |c| {
            let facts = load_facts(c, &range)?;
            let mut ids: Vec<i64> = facts
                .iter()
                .filter(|f| {
                    range.matches(figure, f) && therapist.is_none_or(|t| f.therapist_id == t)
                })
                .map(|f| f.id)
                .collect();
            ids.sort_unstable_by(|a, b| b.cmp(a));
            let pager = Pager::new(page, 25, ids.len() as i64, base);
            let shown: Vec<i64> = ids
                .into_iter()
                .skip(usize::try_from(pager.offset()).unwrap_or(0))
                .take(25)
                .collect();
            let rows: Vec<ListRow> = cases::table
                .inner_join(patients::table)
                .inner_join(users::table.on(users::id.eq(cases::therapist_id)))
                .filter(cases::id.eq_any(&shown))
                .order(cases::id.desc())
                .select((
                    cases::id,
                    patients::given_name,
                    patients::family_name,
                    cases::title,
                    users::display_name,
                    cases::status,
                    cases::pain_baseline,
                    cases::pain_latest,
                    cases::pain_trend,
                ))
                .load(c)?;
            let therapist_name = match therapist {
                Some(t) => Some(
                    users::table
                        .find(t)
                        .select(users::display_name)
                        .first::<String>(c)?,
                ),
                None => None,
            };
            let lines = rows
                .into_iter()
                .map(
                    |(id, given, family, title, therapist, status, baseline, latest, trend)| {
                        CaseListLine {
                            id,
                            patient: format!("{given} {family}"),
                            title,
                            therapist,
                            status,
                            baseline,
                            latest,
                            trend,
                        }
                    },
                )
                .collect();
            let event = Event::new(Action::ReviewCasesRead).detail(figure.key());
            Ok::<_, AppError>(((lines, pager, therapist_name), event))
        })
        .await?
        .into_inner();
    render(
        &req,
        &CaseListPage {
            layout: Layout::new(&req, &state, figure.label()),
            label: figure.label(),
            from,
            to,
            therapist: therapist_name.unwrap_or_default(),
            cases,
            pager,
        },
    )
}

/// Small server-rendered bar charts (presentation attributes only; no inline style).
mod charts {
    use std::collections::BTreeMap;
    use std::fmt::Write as _;

    use chrono::Duration;

    use super::{CaseFacts, Range};

    fn bars(title: &str, labels: &[String], values: &[usize], colour: &str) -> String {
        let width = 640.0;
        let height = 220.0;
        let (left, bottom, top) = (36.0, 40.0, 16.0);
        let max = values.iter().copied().max().unwrap_or(0).max(1) as f64;
        let n = values.len().max(1) as f64;
        let slot = (width - left - 8.0) / n;
        let plot_h = height - bottom - top;
        let mut svg = format!(
            r#"<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{title}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="11">"#
        );
        let _ = write!(
            svg,
            r##"<line x1="{left}" y1="{}" x2="{}" y2="{}" stroke="#444"/>"##,
            height - bottom,
            width - 8.0,
            height - bottom
        );
        let _ = write!(
            svg,
            r##"<text x="4" y="{}" fill="#333">{}</text><text x="4" y="{}" fill="#333">0</text>"##,
            top + 8.0,
            max as usize,
            height - bottom
        );
        let every = (values.len() / 12).max(1);
        for (i, (label, value)) in labels.iter().zip(values).enumerate() {
            let h = (*value as f64) / max * plot_h;
            let x = left + i as f64 * slot + slot * 0.15;
            let y = height - bottom - h;
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{h:.1}" fill="{colour}"><title>{label}: {value}</title></rect>"#,
                slot * 0.7
            );
            if *value > 0 {
                let _ = write!(
                    svg,
                    r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#222">{value}</text>"##,
                    x + slot * 0.35,
                    y - 3.0
                );
            }
            if i % every == 0 {
                let _ = write!(
                    svg,
                    r##"<text x="{:.1}" y="{}" text-anchor="middle" fill="#333">{label}</text>"##,
                    x + slot * 0.35,
                    height - bottom + 14.0
                );
            }
        }
        svg.push_str("</svg>");
        svg
    }

    /// How many cases changed by each number of points (negative is better).
    pub fn change_distribution(distribution: &BTreeMap<i32, usize>) -> String {
        let labels: Vec<String> = (-10..=10)
            .map(|d| {
                if d > 0 {
                    format!("+{d}")
                } else {
                    d.to_string()
                }
            })
            .collect();
        let values: Vec<usize> = (-10..=10)
            .map(|d| distribution.get(&d).copied().unwrap_or(0))
            .collect();
        bars(
            "Pain change from baseline, in points: cases per change",
            &labels,
            &values,
            "#135e7a",
        )
    }

    /// New cases per week of the range.
    pub fn new_cases(cases: &[CaseFacts], range: &Range) -> String {
        let (weeks_per_bar, labels, values) = new_case_counts(cases, range);
        let title = if weeks_per_bar == 1 {
            "New cases per week".to_owned()
        } else {
            format!("New cases per {weeks_per_bar} weeks")
        };
        bars(&title, &labels, &values, "#1e6b3a")
    }

    /// New cases of the range by week; over a longer range, by as many weeks a bar as keep
    /// the chart to `MOST_BARS` bars, so that every new case of the range is counted.
    /// Returns the weeks per bar, each bar's label and its count.
    pub(super) fn new_case_counts(
        cases: &[CaseFacts],
        range: &Range,
    ) -> (i64, Vec<String>, Vec<usize>) {
        const MOST_BARS: u64 = 53;
        let days = (range.to - range.from).num_days().unsigned_abs() + 1;
        let weeks_per_bar = i64::try_from(days.div_ceil(7).div_ceil(MOST_BARS))
            .unwrap_or(1)
            .max(1);
        let step = Duration::days(7 * weeks_per_bar);
        // Bars weeks apart over more than a year: the year tells them apart.
        let label_format = if weeks_per_bar > 1 { "%b %Y" } else { "%d %b" };
        let mut labels = Vec::new();
        let mut values = Vec::new();
        let mut start = range.from;
        while start <= range.to {
            let end = (start + step).min(range.to + Duration::seconds(1));
            labels.push(start.format(label_format).to_string());
            values.push(
                cases
                    .iter()
                    .filter(|c| c.created_at >= start && c.created_at < end)
                    .count(),
            );
            start += step;
        }
        (weeks_per_bar, labels, values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, day)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .unwrap_or_default()
    }

    #[allow(clippy::too_many_arguments)]
    fn case(
        id: i64,
        therapist: i64,
        status: CaseStatus,
        created: u32,
        baseline: Option<i32>,
        latest: Option<i32>,
        trend: &str,
        assessments: i64,
    ) -> CaseFacts {
        CaseFacts {
            id,
            therapist_id: therapist,
            status,
            created_at: at(created),
            discharged_at: status.is_discharged().then(|| at(20)),
            baseline,
            latest,
            trend: trend.into(),
            last_pain_at: Some(at(25)),
            red_flags: false,
            assessments,
            adherence: Tally { due: 70, done: 35 },
        }
    }

    #[test]
    fn figures_match_a_hand_computed_fixture() {
        let range = Range {
            from: at(1),
            to: at(31),
            now: at(31),
        };
        let cases = vec![
            case(1, 1, CaseStatus::Open, 2, Some(8), Some(4), "improving", 2), // −4
            case(
                2,
                1,
                CaseStatus::Discharged,
                3,
                Some(6),
                Some(5),
                "no-change",
                3,
            ), // −1
            case(3, 2, CaseStatus::Open, 4, Some(3), Some(6), "worsening", 1), // +3
            case(4, 2, CaseStatus::Open, 5, Some(5), None, "not-enough", 1),   // no change figure
            case(
                5,
                2,
                CaseStatus::EnteredInError,
                6,
                Some(9),
                Some(1),
                "improving",
                9,
            ), // ignored
        ];
        let f = compute(&cases, &range);
        assert_eq!(f.count(Figure::Cohort), 4);
        assert_eq!(f.count(Figure::Open), 3);
        assert_eq!(f.count(Figure::Discharged), 1);
        assert_eq!(f.count(Figure::New), 4);
        assert_eq!(f.with_change, 3);
        assert_eq!(f.median_change, Some(-1.0));
        assert_eq!(f.share_mcid, Some(33));
        assert_eq!(f.share_worsening, Some(33));
        assert_eq!(f.median_assessments, Some(1.5));
        assert_eq!(f.adherence, Some(50));
        assert_eq!(f.change_distribution.get(&-4), Some(&1));
        assert_eq!(f.change_distribution.get(&3), Some(&1));
        let stale = Range {
            from: at(1),
            to: at(31),
            now: at(31) + Duration::days(20),
        };
        assert_eq!(compute(&cases, &stale).count(Figure::NoRecentPain), 3);
    }

    #[test]
    fn new_cases_are_all_counted_however_long_the_range() {
        let cases: Vec<CaseFacts> = (1..=28)
            .map(|day| case(i64::from(day), 1, CaseStatus::Open, day, None, None, "", 0))
            .collect();
        let month = Range {
            from: at(1),
            to: at(31),
            now: at(31),
        };
        let (weeks, labels, values) = charts::new_case_counts(&cases, &month);
        assert_eq!((weeks, labels.len()), (1, 5));
        assert_eq!(labels[0], "01 Mar");
        assert_eq!(values.iter().sum::<usize>(), 28);

        for from_year in [2024, 1900] {
            let long = Range {
                from: NaiveDate::from_ymd_opt(from_year, 1, 1)
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .unwrap_or_default(),
                to: at(31),
                now: at(31),
            };
            let (weeks, labels, values) = charts::new_case_counts(&cases, &long);
            assert!(
                weeks > 1 && labels.len() <= 53,
                "{weeks} weeks a bar, {} bars",
                labels.len()
            );
            assert_eq!(values.iter().sum::<usize>(), 28, "from {from_year}");
            assert!(labels[0].ends_with(&from_year.to_string()), "{}", labels[0]);
        }
    }

    #[test]
    fn medians_and_shares_handle_edges() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0]), Some(3.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(percent(0, 0), None);
        assert_eq!(percent(2, 3), Some(67));
    }
}
