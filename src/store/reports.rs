//! The progress review's figures: the facts of each case that can matter for a period,
//! the figures computed from them, and the cases behind each figure.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::dates::Zone;
use crate::db::DbConn;
use crate::db::schema::{
    adherence_ticks, assessments, cases, patients, programme_items, programme_versions, users,
};
use crate::domain::adherence::{self, InForce, Tally};
use crate::store::assessments::AssessmentStatus;
use crate::store::cases::CaseStatus;
use crate::store::outcomes::{self as outcome_queries, CaseOutcome, CasesOf};

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
    /// PSFS and global rating; read for the cases discharged in the range only.
    pub outcome: CaseOutcome,
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

    /// The figure a link names; an unknown key is the whole cohort.
    pub fn parse(key: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|f| f.key() == key)
            .unwrap_or(Self::Cohort)
    }
}

/// The period the review covers, and the time it is read at.
pub struct Range {
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
    pub now: NaiveDateTime,
    /// The clinic's zone: adherence counts its days.
    pub zone: Zone,
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
    /// Cases discharged in the range with two PSFS records or more, and how many of them
    /// changed importantly (either way) from the first record to the last.
    pub psfs_with_change: usize,
    pub psfs_important: usize,
    pub share_psfs_important: Option<u32>,
    /// The median of the latest global rating of change of each case discharged in the
    /// range that has one, and how many have one.
    pub median_global_change: Option<f64>,
    pub rated: usize,
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
    let discharged: Vec<&CaseFacts> = cases
        .iter()
        .filter(|c| range.matches(Figure::Discharged, c))
        .collect();
    let psfs_changes: Vec<bool> = discharged
        .iter()
        .filter_map(|c| c.outcome.psfs.map(|p| p.important))
        .collect();
    let psfs_important = psfs_changes.iter().filter(|important| **important).count();
    let ratings: Vec<i32> = discharged
        .iter()
        .filter_map(|c| c.outcome.latest_global_change)
        .collect();
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
        psfs_with_change: psfs_changes.len(),
        psfs_important,
        share_psfs_important: percent(psfs_important, psfs_changes.len()),
        rated: ratings.len(),
        median_global_change: median(ratings.iter().map(|r| f64::from(*r)).collect()),
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
            range.zone.day_of(at),
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
        .filter(adherence_ticks::day.ge(range.zone.day_of(range.from)))
        .filter(adherence_ticks::day.le(range.zone.day_of(range.to)))
        .select((
            adherence_ticks::case_id,
            adherence_ticks::exercise_id,
            adherence_ticks::day,
        ))
        .load::<(i64, i64, NaiveDate)>(conn)?
    {
        ticks.entry(case_id).or_default().push((exercise_id, day));
    }
    // The PSFS and global rating figures count the cases discharged in the range.
    let outcomes =
        outcome_queries::case_outcomes(conn, CasesOf::DischargedBetween(range.from, range.to))?;
    let today = range
        .zone
        .day_of(range.now)
        .min(range.zone.day_of(range.to));
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
                let end = discharged_at.map_or(today, |d| range.zone.day_of(d).min(today));
                let adherence = match schedules.get(&id) {
                    Some(schedule) => adherence::tally(
                        schedule,
                        ticks.get(&id).map_or(&[][..], |t| &t[..]),
                        range.zone.day_of(range.from),
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
                    outcome: outcomes.get(&id).copied().unwrap_or_default(),
                }
            },
        )
        .collect())
}

/// Each therapist's signed visit notes of visits in the range: attended and not attended.
pub fn visit_counts(
    conn: &mut DbConn,
    range: &Range,
) -> QueryResult<BTreeMap<i64, crate::store::visits::VisitCounts>> {
    crate::store::visits::counts_by_author(conn, range.from, range.to)
}

/// Every member of staff, by name.
pub fn therapist_names(conn: &mut DbConn) -> QueryResult<Vec<(i64, String)>> {
    users::table
        .filter(users::role.ne("patient"))
        .order(users::display_name.asc())
        .select((users::id, users::display_name))
        .load(conn)
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

/// The ids of the cases behind one figure, optionally of one therapist, newest first.
pub fn cases_behind(
    conn: &mut DbConn,
    range: &Range,
    figure: Figure,
    therapist: Option<i64>,
) -> QueryResult<Vec<i64>> {
    let mut ids: Vec<i64> = load_facts(conn, range)?
        .iter()
        .filter(|f| range.matches(figure, f) && therapist.is_none_or(|t| f.therapist_id == t))
        .map(|f| f.id)
        .collect();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    Ok(ids)
}

/// The list lines of the cases named, newest first.
pub fn case_lines(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<CaseListLine>> {
    let rows: Vec<ListRow> = cases::table
        .inner_join(patients::table)
        .inner_join(users::table.on(users::id.eq(cases::therapist_id)))
        .filter(cases::id.eq_any(ids))
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
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, given, family, title, therapist, status, baseline, latest, trend)| CaseListLine {
                id,
                patient: format!("{given} {family}"),
                title,
                therapist,
                status,
                baseline,
                latest,
                trend,
            },
        )
        .collect())
}

/// A member of staff's display name.
pub fn staff_name(conn: &mut DbConn, user_id: i64) -> QueryResult<String> {
    users::table
        .find(user_id)
        .select(users::display_name)
        .first(conn)
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
            outcome: CaseOutcome::default(),
        }
    }

    #[test]
    fn figures_match_a_hand_computed_fixture() {
        let range = Range {
            from: at(1),
            to: at(31),
            now: at(31),
            zone: Zone::UTC,
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
            zone: Zone::UTC,
        };
        assert_eq!(compute(&cases, &stale).count(Figure::NoRecentPain), 3);
    }

    #[test]
    fn discharged_cases_give_the_psfs_share_and_the_median_rating() {
        use crate::domain::outcomes::PsfsChange;
        let range = Range {
            from: at(1),
            to: at(31),
            now: at(31),
            zone: Zone::UTC,
        };
        let discharged = |id, psfs: Option<PsfsChange>, rating: Option<i32>| {
            let mut c = case(
                id,
                1,
                CaseStatus::Discharged,
                2,
                None,
                None,
                "not-enough",
                2,
            );
            c.outcome = CaseOutcome {
                psfs,
                latest_global_change: rating,
                ..CaseOutcome::default()
            };
            c
        };
        let mut open = case(5, 1, CaseStatus::Open, 2, None, None, "not-enough", 1);
        open.outcome.psfs = Some(PsfsChange::of_mean(2.0, 9.0));
        open.outcome.latest_global_change = Some(7);
        let cases = vec![
            discharged(1, Some(PsfsChange::of_mean(4.0, 7.0)), Some(5)),
            discharged(2, Some(PsfsChange::of_mean(4.0, 5.5)), Some(2)),
            // One PSFS record only: not counted in the share.
            discharged(3, None, Some(-1)),
            discharged(4, Some(PsfsChange::of_mean(8.0, 5.5)), None),
            open,
        ];
        let f = compute(&cases, &range);
        assert_eq!((f.psfs_important, f.psfs_with_change), (2, 3));
        assert_eq!(f.share_psfs_important, Some(67));
        assert_eq!((f.median_global_change, f.rated), (Some(2.0), 3));
        let none = compute(&cases[4..], &range);
        assert_eq!(
            (none.share_psfs_important, none.median_global_change),
            (None, None)
        );
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
