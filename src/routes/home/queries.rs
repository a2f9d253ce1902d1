//! The therapist's dashboard: their open cases and the ones that need attention.

use chrono::{Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{cases, patients};

pub struct DashboardCase {
    pub id: i64,
    pub title: String,
    pub patient: String,
    pub pain_latest: Option<i32>,
    pub pain_baseline: Option<i32>,
    pub trend: String,
    pub last_pain_at: Option<NaiveDateTime>,
    pub review_date: Option<NaiveDate>,
    pub red_flags: bool,
}

type Row = (
    i64,
    String,
    String,
    String,
    Option<i32>,
    Option<i32>,
    String,
    Option<NaiveDateTime>,
    Option<NaiveDate>,
    String,
);

fn to_case(row: Row) -> DashboardCase {
    let (
        id,
        title,
        given,
        family,
        pain_latest,
        pain_baseline,
        trend,
        last_pain_at,
        review_date,
        flags,
    ) = row;
    DashboardCase {
        id,
        title,
        patient: format!("{given} {family}"),
        pain_latest,
        pain_baseline,
        trend,
        last_pain_at,
        review_date,
        red_flags: !flags.is_empty(),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Attention {
    All,
    ReviewDue,
    Worsening,
    RedFlags,
    NoRecentPain,
}

/// Cases of a therapist (all open cases when `therapist` is None) needing the given attention.
pub fn open_cases(
    conn: &mut DbConn,
    therapist: Option<i64>,
    attention: Attention,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<DashboardCase>, i64)> {
    let today = Utc::now().date_naive();
    let cutoff = Utc::now().naive_utc() - Duration::days(14);
    let build = || {
        let mut query = cases::table
            .inner_join(patients::table)
            .filter(cases::status.eq("open"))
            .into_boxed();
        if let Some(id) = therapist {
            query = query.filter(cases::therapist_id.eq(id));
        }
        match attention {
            Attention::All => query,
            Attention::ReviewDue => query.filter(cases::review_date.lt(today)),
            Attention::Worsening => query.filter(cases::pain_trend.eq("worsening")),
            Attention::RedFlags => query.filter(cases::red_flags_pending.ne("")),
            Attention::NoRecentPain => query.filter(
                cases::last_pain_at.lt(cutoff).or(cases::last_pain_at
                    .is_null()
                    .and(cases::created_at.lt(cutoff))),
            ),
        }
    };
    let total = build().count().get_result(conn)?;
    let rows = build()
        .order((cases::created_at.desc(), cases::id.desc()))
        .offset(offset)
        .limit(limit)
        .select((
            cases::id,
            cases::title,
            patients::given_name,
            patients::family_name,
            cases::pain_latest,
            cases::pain_baseline,
            cases::pain_trend,
            cases::last_pain_at,
            cases::review_date,
            cases::red_flags_pending,
        ))
        .load::<Row>(conn)?;
    Ok((rows.into_iter().map(to_case).collect(), total))
}
