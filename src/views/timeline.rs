//! The case timeline: assessments, addenda, visit notes, consent decisions, pain scores,
//! red-flag decisions and programme versions merged into one list, newest first, a page
//! at a time.

use chrono::NaiveDateTime;

use crate::domain::clinical::{AssessmentKind, red_flag_label, stop_symptom};
use crate::store::cases::{AssessmentLine, ScoreLine, TimelineSources, context_label};
use crate::store::consent::ConsentLine;
use crate::store::visits::{VisitAddendumLine, VisitLine};
use crate::web::Pager;

/// How many entries one page of a case's timeline shows, newest first.
pub const TIMELINE_PER_PAGE: i64 = 25;

/// One line of the case timeline.
pub struct TimelineEntry {
    pub at: NaiveDateTime,
    pub kind: &'static str,
    pub title: String,
    pub detail: String,
    pub link: Option<String>,
    pub struck: bool,
}

/// Where a timeline entry comes from: an index into that source's rows.
enum Source {
    Assessment(usize),
    Addendum(usize),
    Pain(usize),
    RedFlag(usize),
    StopReport(usize),
    Programme(usize),
    Visit(usize),
    VisitAddendum(usize),
    Consent(usize),
}

/// The case's visit notes and consent decisions, each newest first.
pub struct CareRecords<'a> {
    pub visits: &'a [VisitLine],
    pub visit_addenda: &'a [VisitAddendumLine],
    pub consents: &'a [ConsentLine],
}

/// One page of a case's timeline (every source merged, newest first) and the pager over
/// all of it. Every entry is ordered, but only the page's entries are written out.
/// `assessments` and `sources` are newest first, `scores` oldest first.
pub fn timeline_page(
    case_id: i64,
    assessments: &[AssessmentLine],
    scores: &[ScoreLine],
    sources: &TimelineSources,
    care: &CareRecords<'_>,
    page: Option<i64>,
) -> (Vec<TimelineEntry>, Pager) {
    let TimelineSources {
        addenda,
        red_flag_actions,
        stop_reports,
        programme_versions,
    } = sources;
    // Each source is newest first, and a stable sort keeps that order among equal times,
    // so every page is a slice of one fixed order.
    let mut order: Vec<(NaiveDateTime, Source)> = Vec::with_capacity(
        assessments.len()
            + addenda.len()
            + scores.len()
            + red_flag_actions.len()
            + stop_reports.len()
            + programme_versions.len()
            + care.visits.len()
            + care.visit_addenda.len()
            + care.consents.len(),
    );
    order.extend(
        assessments
            .iter()
            .enumerate()
            .map(|(i, a)| (a.assessed_at, Source::Assessment(i))),
    );
    order.extend(
        addenda
            .iter()
            .enumerate()
            .map(|(i, n)| (n.at, Source::Addendum(i))),
    );
    order.extend(
        scores
            .iter()
            .enumerate()
            .rev()
            .map(|(i, s)| (s.at, Source::Pain(i))),
    );
    order.extend(
        red_flag_actions
            .iter()
            .enumerate()
            .map(|(i, a)| (a.at, Source::RedFlag(i))),
    );
    order.extend(
        stop_reports
            .iter()
            .enumerate()
            .map(|(i, r)| (r.at, Source::StopReport(i))),
    );
    order.extend(
        programme_versions
            .iter()
            .enumerate()
            .map(|(i, v)| (v.at, Source::Programme(i))),
    );
    order.extend(
        care.visits
            .iter()
            .enumerate()
            .map(|(i, v)| (v.at, Source::Visit(i))),
    );
    order.extend(
        care.visit_addenda
            .iter()
            .enumerate()
            .map(|(i, n)| (n.at, Source::VisitAddendum(i))),
    );
    order.extend(
        care.consents
            .iter()
            .enumerate()
            .map(|(i, c)| (c.occurred_at, Source::Consent(i))),
    );
    order.sort_by_key(|(at, _)| std::cmp::Reverse(*at));

    let total = i64::try_from(order.len()).unwrap_or(i64::MAX);
    let pager = Pager::new(page, TIMELINE_PER_PAGE, total, String::new()).at_anchor("timeline");
    let skip = usize::try_from(pager.offset()).unwrap_or(usize::MAX);
    let take = usize::try_from(pager.per_page).unwrap_or(usize::MAX);
    let entries =
        order
            .into_iter()
            .skip(skip)
            .take(take)
            .map(|(at, source)| match source {
                Source::Assessment(i) => {
                    let a = &assessments[i];
                    let label = AssessmentKind::parse(&a.kind)
                        .map(|k| k.label())
                        .unwrap_or("Assessment");
                    let state = a.status.label();
                    TimelineEntry {
                        at,
                        kind: "assessment",
                        title: format!("{label} ({state})"),
                        detail: format!("by {}", a.author),
                        link: Some(format!("/assessments/{}", a.id)),
                        struck: a.status.is_entered_in_error(),
                    }
                }
                Source::Addendum(i) => {
                    let note = &addenda[i];
                    TimelineEntry {
                        at,
                        kind: "addendum",
                        title: format!("Addendum by {}", note.author),
                        detail: note.body.clone(),
                        link: Some(format!("/assessments/{}", note.assessment_id)),
                        struck: false,
                    }
                }
                Source::Pain(i) => {
                    let line = &scores[i];
                    let (score, who) = (line.score, &line.recorder);
                    TimelineEntry {
                        at,
                        kind: "pain",
                        title: format!("Pain {score}/10 ({})", context_label(&line.context)),
                        detail: if line.note.is_empty() {
                            format!("recorded by {who}")
                        } else {
                            format!("recorded by {who}: {}", line.note)
                        },
                        link: None,
                        struck: false,
                    }
                }
                Source::RedFlag(i) => {
                    let action = &red_flag_actions[i];
                    let names: Vec<&str> = action
                        .flags
                        .split(',')
                        .filter(|f| !f.is_empty())
                        .map(red_flag_label)
                        .collect();
                    TimelineEntry {
                        at,
                        kind: "red-flag",
                        title: format!(
                            "Red flags {} by {}",
                            match (action.action.as_str(), action.urgency) {
                                ("referred", Some(urgency)) => format!(
                                    "referred to a doctor ({})",
                                    urgency.label().to_lowercase()
                                ),
                                ("referred", None) => "referred to a doctor".to_owned(),
                                _ => "cleared".to_owned(),
                            },
                            action.recorder
                        ),
                        detail: format!("{}. Reason: {}", names.join("; "), action.reason),
                        link: None,
                        struck: false,
                    }
                }
                Source::StopReport(i) => {
                    let report = &stop_reports[i];
                    let said: Vec<&str> = report
                        .symptoms
                        .split(',')
                        .filter_map(stop_symptom)
                        .map(|s| s.text)
                        .collect();
                    TimelineEntry {
                        at,
                        kind: "red-flag",
                        title: format!(
                            "{} reported stop symptoms in the portal and was told to stop",
                            report.reporter
                        ),
                        detail: said.join("; "),
                        link: None,
                        struck: false,
                    }
                }
                Source::Programme(i) => {
                    let version = &programme_versions[i];
                    let (number, who) = (version.version, &version.author);
                    TimelineEntry {
                        at,
                        kind: "programme",
                        title: format!("Programme version {number}"),
                        detail: format!("saved by {who}"),
                        link: Some(format!("/cases/{case_id}/programme/versions/{number}")),
                        struck: false,
                    }
                }
                Source::Visit(i) => {
                    let visit = &care.visits[i];
                    TimelineEntry {
                        at,
                        kind: "visit",
                        title: format!(
                            "Visit: {} ({})",
                            visit.attendance.label().to_lowercase(),
                            visit.status.label()
                        ),
                        detail: format!("by {}", visit.author),
                        link: Some(format!("/visits/{}", visit.id)),
                        struck: false,
                    }
                }
                Source::VisitAddendum(i) => {
                    let note = &care.visit_addenda[i];
                    TimelineEntry {
                        at,
                        kind: "addendum",
                        title: format!("Addendum to a visit note by {}", note.author),
                        detail: note.body.clone(),
                        link: Some(format!("/visits/{}", note.visit_id)),
                        struck: false,
                    }
                }
                Source::Consent(i) => {
                    let line = &care.consents[i];
                    TimelineEntry {
                        at,
                        kind: "consent",
                        title: format!(
                            "Consent to {} {}",
                            line.kind.label().to_lowercase(),
                            line.decision.label()
                        ),
                        detail: format!("{}; recorded by {}", line.how(), line.recorder),
                        link: Some(format!("/cases/{case_id}/consent")),
                        struck: false,
                    }
                }
            })
            .collect();
    (entries, pager)
}
