//! The progress review: are patients getting better, and with whom? Figures for a date
//! range, overall and per therapist, each linking to the cases behind it.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Duration, NaiveDate, NaiveDateTime, Utc};
use serde::Deserialize;

use crate::domain::clinical::parse_date;
use crate::error::AppError;
use crate::store::audit::Action;
use crate::store::audit::Event;
use crate::store::reports::{self, CaseFacts, CaseListLine, Figure, Figures, Range};
use crate::store::visits::VisitCounts;
use crate::web::Admin;
use crate::web::{AppState, Layout, Pager, actor, render, url_encode};

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
    /// The range's days are the clinic's (`zone`), from local midnight to local midnight.
    fn range(&self, zone: crate::dates::Zone) -> (Range, String, String, Vec<String>) {
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
        let to = date(&self.to, zone.day_of(now), "to");
        let from = date(&self.from, to - Duration::days(89), "from");
        let (from, to) = if from > to { (to, from) } else { (from, to) };
        let range = Range {
            from: zone.start_of_day(from),
            to: to.succ_opt().map_or(NaiveDateTime::MAX, |next| {
                zone.start_of_day(next) - Duration::seconds(1)
            }),
            now,
            zone,
        };
        (range, from.to_string(), to.to_string(), problems)
    }
}

pub struct TherapistFigures {
    pub id: i64,
    pub name: String,
    pub figures: Figures,
    /// Their signed visit notes of visits in the range.
    pub visits: VisitCounts,
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
    change_chart: charts::BarChart,
    cases_chart: charts::BarChart,
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

    /// "n of m (p %)": discharged cases with an important PSFS change of those with two
    /// PSFS records.
    fn psfs_share(&self, figures: &Figures) -> String {
        match figures.share_psfs_important {
            Some(share) => format!(
                "{} of {} ({share} %)",
                figures.psfs_important, figures.psfs_with_change
            ),
            None => "—".into(),
        }
    }

    /// A median rating with its sign, as the rating's choices show it.
    fn rating(&self, value: &Option<f64>) -> String {
        match value {
            Some(v) if *v > 0.0 => format!("+{}", self.num(value)),
            _ => self.num(value),
        }
    }

    fn count(&self, figures: &Figures, key: &str) -> usize {
        figures.count(Figure::parse(key))
    }
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    _admin: Admin,
) -> Result<HttpResponse, AppError> {
    let query: ReviewQuery = serde_html_form::from_str(req.query_string()).unwrap_or_default();
    let (range, from, to, problems) = query.range(state.zone());
    let who = actor(&req);
    let (facts, names, weekly, visits) = state
        .audited_long(who, move |c| {
            let facts = reports::load_facts(c, &range)?;
            let names = reports::therapist_names(c)?;
            let visits = reports::visit_counts(c, &range)?;
            let event = Event::new(Action::ReviewRead);
            Ok(((facts, names, range, visits), event))
        })
        .await?
        .into_inner();
    let range = weekly;
    let overall = reports::compute(&facts, &range);
    let therapists = names
        .into_iter()
        .filter_map(|(id, name)| {
            let own: Vec<CaseFacts> = facts
                .iter()
                .filter(|c| c.therapist_id == id)
                .cloned()
                .collect();
            let seen = visits.get(&id).copied();
            (!own.is_empty() || seen.is_some()).then(|| TherapistFigures {
                id,
                name,
                figures: reports::compute(&own, &range),
                visits: seen.unwrap_or_default(),
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
    let (range, from, to, _) = query.range(state.zone());
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
            let ids = reports::cases_behind(c, &range, figure, therapist)?;
            let pager = Pager::new(page, 25, ids.len() as i64, base);
            let shown: Vec<i64> = ids
                .into_iter()
                .skip(usize::try_from(pager.offset()).unwrap_or(0))
                .take(25)
                .collect();
            let lines = reports::case_lines(c, &shown)?;
            let therapist_name = therapist.map(|t| reports::staff_name(c, t)).transpose()?;
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

    /// A drawn chart and the same figures as rows, its text alternative.
    pub struct BarChart {
        pub svg: String,
        pub label_heading: String,
        pub value_heading: &'static str,
        pub rows: Vec<(String, usize)>,
    }

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
    pub fn change_distribution(distribution: &BTreeMap<i32, usize>) -> BarChart {
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
        let svg = bars(
            "Pain change from baseline, in points: cases per change",
            &labels,
            &values,
            "#135e7a",
        );
        // Only the changes some case made: 21 rows of mostly zeros would hide them.
        let rows = labels
            .into_iter()
            .zip(values)
            .filter(|(_, count)| *count > 0)
            .collect();
        BarChart {
            svg,
            label_heading: "Change (points)".to_owned(),
            value_heading: "Cases",
            rows,
        }
    }

    /// New cases per week of the range.
    pub fn new_cases(cases: &[CaseFacts], range: &Range) -> BarChart {
        let (weeks_per_bar, labels, values) = new_case_counts(cases, range);
        let title = if weeks_per_bar == 1 {
            "New cases per week".to_owned()
        } else {
            format!("New cases per {weeks_per_bar} weeks")
        };
        let svg = bars(&title, &labels, &values, "#1e6b3a");
        BarChart {
            svg,
            label_heading: if weeks_per_bar == 1 {
                "Week from".to_owned()
            } else {
                format!("{weeks_per_bar} weeks from")
            },
            value_heading: "New cases",
            rows: labels.into_iter().zip(values).collect(),
        }
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
            labels.push(range.zone.local(start).format(label_format).to_string());
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
    use chrono::NaiveDateTime;

    use super::*;
    use crate::domain::adherence::Tally;
    use crate::store::cases::CaseStatus;

    fn at(day: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, day)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .unwrap_or_default()
    }

    /// An open case with no scores, opened on the given day of March 2026.
    fn opened_on(id: i64, day: u32) -> CaseFacts {
        CaseFacts {
            id,
            therapist_id: 1,
            status: CaseStatus::Open,
            created_at: at(day),
            discharged_at: None,
            baseline: None,
            latest: None,
            trend: String::new(),
            last_pain_at: None,
            red_flags: false,
            assessments: 0,
            adherence: Tally::default(),
            outcome: Default::default(),
        }
    }

    #[test]
    fn new_cases_are_all_counted_however_long_the_range() {
        let cases: Vec<CaseFacts> = (1..=28).map(|day| opened_on(i64::from(day), day)).collect();
        let month = Range {
            from: at(1),
            to: at(31),
            now: at(31),
            zone: crate::dates::Zone::UTC,
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
                zone: crate::dates::Zone::UTC,
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
}
