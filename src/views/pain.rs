//! The pain panel (chart and summary) and the pain form, as case and portal pages show them.

use chrono::{NaiveDateTime, Utc};
use serde::Deserialize;

use crate::dates::{WallTimeError, Zone};
use crate::domain::FormErrors;
use crate::domain::clinical::bounded_text;
use crate::domain::pain::{PainContext, PainScore, PainSummary};
use crate::store::pain::ScoreEntry;
use crate::views::pain_chart::{ChartSeries, PainChart, VersionMark};
use crate::web::SelectOption;

/// The chart and its summary, ready for a template.
pub struct PainPanel {
    pub svg: String,
    /// The zone the chart's days and hours are drawn in, e.g. "Europe/London".
    pub zone: &'static str,
    /// The same chart laid out for a phone; the stylesheet shows one of the two.
    pub phone_svg: String,
    pub summary: PainSummary,
    pub count: usize,
    /// Every score, newest first: the chart's text alternative.
    pub rows: Vec<ScoreRow>,
}

/// One score as the table under the chart shows it, in the zone the chart is drawn in.
pub struct ScoreRow {
    pub when: String,
    pub context: &'static str,
    pub score: i32,
}

impl PainPanel {
    pub fn trend_label(&self) -> &'static str {
        self.summary.label()
    }

    pub fn trend_key(&self) -> &'static str {
        self.summary.trend.as_str()
    }
}

/// Builds the chart (one line per context, baseline, threshold, version marks) and the
/// summary over the baseline's context. The chart is drawn in the wall time of `zone`, so
/// its days and hours are the clinic's.
pub fn pain_panel(
    dom_id: &str,
    scores: &[(NaiveDateTime, String, i32)],
    marks: &[(NaiveDateTime, i32)],
    zone: Zone,
) -> PainPanel {
    let wall = |at: &NaiveDateTime| zone.local(*at).naive_local();
    let scores: Vec<(NaiveDateTime, String, i32)> = scores
        .iter()
        .map(|(at, context, score)| (wall(at), context.clone(), *score))
        .collect();
    let marks: Vec<(NaiveDateTime, i32)> = marks.iter().map(|(at, n)| (wall(at), *n)).collect();
    let to_u8 = |s: i32| u8::try_from(s.clamp(0, 10)).unwrap_or(0);
    let series: Vec<ChartSeries> = PainContext::ALL
        .iter()
        .filter_map(|context| {
            let points: Vec<(NaiveDateTime, u8)> = scores
                .iter()
                .filter(|(_, c, _)| c == context.as_str())
                .map(|(at, _, s)| (*at, to_u8(*s)))
                .collect();
            (!points.is_empty()).then_some(ChartSeries {
                context: *context,
                points,
            })
        })
        .collect();
    let baseline_context = scores.first().map(|(_, c, _)| c.clone());
    let primary: Vec<(NaiveDateTime, u8)> = scores
        .iter()
        .filter(|(_, c, _)| Some(c) == baseline_context.as_ref())
        .map(|(at, _, s)| (*at, to_u8(*s)))
        .collect();
    let summary = PainSummary::from_scores(&primary);
    let chart = PainChart {
        id: dom_id.to_owned(),
        series,
        baseline: summary.baseline,
        marks: marks
            .iter()
            .map(|(at, n)| VersionMark {
                at: *at,
                label: format!("v{n}"),
            })
            .collect(),
        title: "Pain over time (0 = no pain, 10 = worst imaginable)".into(),
    };
    let rows = scores
        .iter()
        .rev()
        .map(|(at, context, score)| ScoreRow {
            when: at.format("%-d %b %Y %H:%M").to_string(),
            context: PainContext::ALL
                .iter()
                .find(|c| c.as_str() == context.as_str())
                .map_or("Other", |c| c.label()),
            score: *score,
        })
        .collect();
    PainPanel {
        svg: chart.to_svg(),
        zone: zone.name(),
        phone_svg: chart.to_phone_svg(),
        summary,
        count: scores.len(),
        rows,
    }
}

/// The pain form as typed, with its one-use key.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PainForm {
    #[serde(default)]
    pub score: String,
    #[serde(default)]
    pub context: String,
    #[serde(default)]
    pub recorded_at: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub idempotency_key: String,
    /// The stop symptoms a patient ticked "yes" (the portal asks them with every score).
    #[serde(default)]
    pub stop: Vec<String>,
}

impl PainForm {
    /// Whether the patient ticked this stop symptom.
    pub fn stop_ticked(&self, key: &str) -> bool {
        self.stop.iter().any(|k| k == key)
    }
}

impl PainForm {
    /// A new form, its time now on the wall clock of `zone`.
    pub fn blank(zone: Zone) -> Self {
        Self {
            context: "now".into(),
            recorded_at: zone.now_input(),
            idempotency_key: crate::secrets::random_token(),
            ..Self::default()
        }
    }

    /// The score as typed, its time read as local wall time in `zone`.
    pub fn validate(&self, zone: Zone) -> Result<ScoreEntry, FormErrors> {
        let mut errors = FormErrors::default();
        let score = errors.take("score", PainScore::parse(&self.score));
        let context = errors.take("context", PainContext::parse(&self.context));
        let recorded_at = if self.recorded_at.trim().is_empty() {
            Some(Utc::now().naive_utc())
        } else {
            match zone.past_from_input(&self.recorded_at) {
                Ok(taken) => Some(taken.utc),
                Err(WallTimeError::Future) => {
                    errors.add("recorded_at", "The time cannot be in the future.");
                    None
                }
                Err(WallTimeError::Skipped(why)) => {
                    errors.add("recorded_at", why);
                    None
                }
                Err(WallTimeError::Unreadable) => {
                    errors.add(
                        "recorded_at",
                        "Enter the date and time, or leave it for now.",
                    );
                    None
                }
            }
        };
        let note = errors.take("note", bounded_text(&self.note, 500, "The note"));
        let key = self.idempotency_key.trim();
        if key.len() < 16 || key.len() > 128 {
            errors.add(
                "score",
                "This form is out of date. Reload the page and enter the score again.",
            );
        }
        match (score, context, recorded_at, note) {
            (Some(score), Some(context), Some(recorded_at), Some(note)) if errors.is_empty() => {
                Ok(ScoreEntry {
                    score: i32::from(score.value()),
                    context,
                    recorded_at,
                    typed_in: zone,
                    note,
                    key: key.to_owned(),
                })
            }
            _ => Err(errors),
        }
    }

    /// When the typed time happened twice (the clocks went back), what was recorded.
    pub fn time_note(&self, zone: Zone) -> Option<String> {
        zone.from_input(&self.recorded_at)
            .ok()
            .and_then(|taken| taken.ambiguity)
    }

    pub fn contexts(&self) -> Vec<SelectOption> {
        PainContext::ALL
            .iter()
            .filter(|c| **c != PainContext::Best)
            .map(|c| SelectOption {
                value: c.as_str().into(),
                label: c.label().into(),
                selected: c.as_str() == self.context,
            })
            .collect()
    }
}

/// A saved form's message, and what was recorded when its time happened twice.
pub fn with_note(message: &str, note: Option<String>) -> String {
    match note {
        Some(note) => format!("{message} {note}"),
        None => message.to_owned(),
    }
}
