//! Pain scores on the 0–10 numeric rating scale: the vocabulary and the clinical
//! summary of a case's pain over time. The chart is drawn in `views::pain_chart`.
//!
//! Minimal clinically important difference (MCID) for the pain NRS follows
//! Farrar et al. 2001 and Childs et al. 2005: a fall of at least 2 points
//! *and* at least 30 % from baseline.

use chrono::NaiveDateTime;

// ---------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------

/// When the pain was felt, as asked on the pain scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PainContext {
    Now,
    AtRest,
    OnActivity,
    Worst24h,
    Best,
}

impl PainContext {
    pub const ALL: [PainContext; 5] = [
        PainContext::Now,
        PainContext::AtRest,
        PainContext::OnActivity,
        PainContext::Worst24h,
        PainContext::Best,
    ];

    /// Stable key for storage and form values.
    pub fn as_str(self) -> &'static str {
        match self {
            PainContext::Now => "now",
            PainContext::AtRest => "rest",
            PainContext::OnActivity => "activity",
            PainContext::Worst24h => "worst-24h",
            PainContext::Best => "best",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let key = s.trim();
        Self::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(key))
            .ok_or_else(|| {
                format!(
                    "Unknown pain context '{key}': expected now, rest, activity, worst-24h or best."
                )
            })
    }

    /// Human-readable name for forms, legends and reports.
    pub fn label(self) -> &'static str {
        match self {
            PainContext::Now => "Now",
            PainContext::AtRest => "At rest",
            PainContext::OnActivity => "On activity",
            PainContext::Worst24h => "Worst in 24 h",
            PainContext::Best => "Best",
        }
    }
}

/// A pain score on the 0–10 numeric rating scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PainScore(u8);

const MSG_ENTER: &str = "Enter a pain score from 0 (no pain) to 10 (worst imaginable).";
const MSG_RANGE: &str = "A pain score must be from 0 (no pain) to 10 (worst imaginable).";
const MSG_WHOLE: &str = "Enter a whole-number pain score from 0 to 10 (no decimals).";

impl PainScore {
    pub const MAX: u8 = 10;

    pub fn new(value: i32) -> Option<Self> {
        u8::try_from(value)
            .ok()
            .filter(|v| *v <= Self::MAX)
            .map(PainScore)
    }

    /// Parses form input; accepts "7" and "7/10", with surrounding spaces.
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let t = t.strip_suffix("/10").map_or(t, str::trim_end);
        if t.is_empty() {
            return Err(MSG_ENTER.to_string());
        }
        match t.parse::<i32>() {
            Ok(v) => Self::new(v).ok_or_else(|| MSG_RANGE.to_string()),
            Err(_) => match t.parse::<f64>() {
                Ok(f) if f.is_finite() && f.fract() != 0.0 => Err(MSG_WHOLE.to_string()),
                Ok(f) if f.is_finite() => Err(MSG_RANGE.to_string()),
                _ => Err(MSG_ENTER.to_string()),
            },
        }
    }

    pub fn value(self) -> u8 {
        self.0
    }
}

// ---------------------------------------------------------------------------
// Clinical summary
// ---------------------------------------------------------------------------

/// Integer arithmetic so that exactly 30 % counts (floats would make 10 → 7
/// depend on rounding).
fn is_important_drop(baseline: u8, latest: u8) -> bool {
    let drop = i64::from(baseline) - i64::from(latest);
    drop >= 2 && drop * 100 >= i64::from(baseline) * 30
}

/// The highest score that would count as a clinically important improvement
/// from `baseline`; `None` when no improvement is possible (baseline < 2).
pub fn mcid_target(baseline: u8) -> Option<u8> {
    (0..=baseline)
        .rev()
        .find(|&t| is_important_drop(baseline, t))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trend {
    ImportantImprovement,
    Worsening,
    NoImportantChange,
    NotEnoughData,
}

impl Trend {
    /// The stored form of the trend, kept on the case for dashboards and outcome figures.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ImportantImprovement => "improving",
            Self::Worsening => "worsening",
            Self::NoImportantChange => "no-change",
            Self::NotEnoughData => "not-enough",
        }
    }

    pub fn from_key(key: &str) -> Self {
        match key {
            "improving" => Self::ImportantImprovement,
            "worsening" => Self::Worsening,
            "no-change" => Self::NoImportantChange,
            _ => Self::NotEnoughData,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Trend::ImportantImprovement => "clinically important improvement",
            Trend::Worsening => "worsening",
            Trend::NoImportantChange => "no clinically important change",
            Trend::NotEnoughData => "not enough scores yet",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PainSummary {
    pub baseline: Option<u8>,
    pub latest: Option<u8>,
    /// latest − baseline; `None` with fewer than two scores.
    pub change_points: Option<i32>,
    /// (latest − baseline) / baseline × 100; `None` when baseline is 0.
    pub change_percent: Option<f64>,
    pub trend: Trend,
    pub count: usize,
}

impl PainSummary {
    /// `scores` are expected in time order. The earliest and latest by
    /// timestamp are used anyway, so an unsorted slice still gives the right
    /// answer; ties keep slice order.
    pub fn from_scores(scores: &[(NaiveDateTime, u8)]) -> Self {
        let count = scores.len();
        let first = scores.iter().min_by_key(|(t, _)| *t).map(|(_, v)| *v);
        let last = scores.iter().max_by_key(|(t, _)| *t).map(|(_, v)| *v);
        let (Some(b), Some(l), true) = (first, last, count >= 2) else {
            return PainSummary {
                baseline: first,
                latest: last,
                change_points: None,
                change_percent: None,
                trend: Trend::NotEnoughData,
                count,
            };
        };
        let change = i32::from(l) - i32::from(b);
        let trend = if is_important_drop(b, l) {
            Trend::ImportantImprovement
        } else if change >= 2 {
            Trend::Worsening
        } else {
            Trend::NoImportantChange
        };
        PainSummary {
            baseline: Some(b),
            latest: Some(l),
            change_points: Some(change),
            change_percent: (b > 0).then(|| f64::from(change) / f64::from(b) * 100.0),
            trend,
            count,
        }
    }

    pub fn label(&self) -> &'static str {
        self.trend.label()
    }

    /// E.g. "−3 points (−43 %)", "+2 points (+40 %)", "+3 points" (baseline 0);
    /// empty when there is no change to report yet.
    pub fn change_text(&self) -> String {
        let Some(points) = self.change_points else {
            return String::new();
        };
        let unit = if points.abs() == 1 { "point" } else { "points" };
        let text = format!("{} {unit}", signed(i64::from(points)));
        match self.change_percent {
            // Round half away from zero; i64 cast is safe for any u8 ratio.
            Some(pct) => format!("{text} ({} %)", signed(pct.round() as i64)),
            None => text,
        }
    }
}

/// A real minus sign (U+2212) reads better than a hyphen in clinical text.
fn signed(v: i64) -> String {
    match v {
        0 => "0".to_string(),
        v if v > 0 => format!("+{v}"),
        v => format!("\u{2212}{}", v.unsigned_abs()),
    }
}

/// Score histories for tests, here and in the chart's.
#[cfg(test)]
pub(crate) mod sample {
    use chrono::{NaiveDate, NaiveDateTime, TimeDelta};

    pub fn at(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(h, 0, 0))
            .expect("valid test date")
    }

    pub fn day(n: i64) -> NaiveDateTime {
        at(2025, 3, 3, 9) + TimeDelta::days(n)
    }

    pub fn seq(values: &[u8]) -> Vec<(NaiveDateTime, u8)> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (day(i as i64 * 7), *v))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::sample::seq;
    use super::*;

    fn summary(values: &[u8]) -> PainSummary {
        PainSummary::from_scores(&seq(values))
    }

    // --- vocabulary -------------------------------------------------------

    #[test]
    fn context_round_trips_and_labels() {
        for c in PainContext::ALL {
            assert_eq!(PainContext::parse(c.as_str()), Ok(c));
        }
        assert_eq!(PainContext::parse(" Worst-24H "), Ok(PainContext::Worst24h));
        assert_eq!(PainContext::AtRest.as_str(), "rest");
        assert_eq!(PainContext::Worst24h.label(), "Worst in 24 h");
        assert_eq!(PainContext::OnActivity.label(), "On activity");
        assert!(PainContext::parse("sometimes").is_err());
        assert!(PainContext::parse("").is_err());
    }

    #[test]
    fn score_parse_accepts_whole_numbers_in_range() {
        assert_eq!(PainScore::parse("0").map(PainScore::value), Ok(0));
        assert_eq!(PainScore::parse(" 10 ").map(PainScore::value), Ok(10));
        assert_eq!(PainScore::parse("7/10").map(PainScore::value), Ok(7));
        assert_eq!(PainScore::parse("+5").map(PainScore::value), Ok(5));
    }

    #[test]
    fn score_parse_rejects_with_clear_messages() {
        assert_eq!(PainScore::parse(""), Err(MSG_ENTER.to_string()));
        assert_eq!(PainScore::parse("   "), Err(MSG_ENTER.to_string()));
        assert_eq!(PainScore::parse("bad"), Err(MSG_ENTER.to_string()));
        assert_eq!(PainScore::parse("NaN"), Err(MSG_ENTER.to_string()));
        assert_eq!(PainScore::parse("11"), Err(MSG_RANGE.to_string()));
        assert_eq!(PainScore::parse("-1"), Err(MSG_RANGE.to_string()));
        assert_eq!(PainScore::parse("99999999999"), Err(MSG_RANGE.to_string()));
        assert_eq!(PainScore::parse("6.5"), Err(MSG_WHOLE.to_string()));
        assert!(MSG_ENTER.contains("0 (no pain) to 10 (worst imaginable)"));
    }

    #[test]
    fn score_new_bounds() {
        assert_eq!(PainScore::new(0).map(PainScore::value), Some(0));
        assert_eq!(PainScore::new(10).map(PainScore::value), Some(10));
        assert_eq!(PainScore::new(11), None);
        assert_eq!(PainScore::new(-1), None);
        assert_eq!(PainScore::new(256), None);
    }

    // --- MCID -------------------------------------------------------------

    #[test]
    fn mcid_target_known_values() {
        assert_eq!(mcid_target(0), None);
        assert_eq!(mcid_target(1), None);
        assert_eq!(mcid_target(2), Some(0));
        assert_eq!(mcid_target(3), Some(1));
        assert_eq!(mcid_target(4), Some(2));
        assert_eq!(mcid_target(5), Some(3));
        assert_eq!(mcid_target(6), Some(4));
        assert_eq!(mcid_target(7), Some(4));
        assert_eq!(mcid_target(8), Some(5));
        assert_eq!(mcid_target(9), Some(6));
        assert_eq!(mcid_target(10), Some(7));
    }

    #[test]
    fn mcid_target_agrees_with_summary_for_every_baseline() {
        for b in 0..=10u8 {
            for l in 0..=10u8 {
                let improved = summary(&[b, l]).trend == Trend::ImportantImprovement;
                let reaches = mcid_target(b).is_some_and(|t| l <= t);
                assert_eq!(improved, reaches, "baseline {b} latest {l}");
            }
        }
    }

    // --- summary ----------------------------------------------------------

    #[test]
    fn summary_empty() {
        let s = summary(&[]);
        assert_eq!(s.count, 0);
        assert_eq!(s.baseline, None);
        assert_eq!(s.latest, None);
        assert_eq!(s.change_points, None);
        assert_eq!(s.trend, Trend::NotEnoughData);
        assert_eq!(s.label(), "not enough scores yet");
        assert_eq!(s.change_text(), "");
    }

    #[test]
    fn summary_single_score_is_not_enough() {
        let s = summary(&[6]);
        assert_eq!(s.count, 1);
        assert_eq!(s.baseline, Some(6));
        assert_eq!(s.latest, Some(6));
        assert_eq!(s.change_points, None);
        assert_eq!(s.change_percent, None);
        assert_eq!(s.trend, Trend::NotEnoughData);
        assert_eq!(s.change_text(), "");
    }

    #[test]
    fn summary_exactly_30_percent_is_improvement() {
        let s = summary(&[10, 7]);
        assert_eq!(s.trend, Trend::ImportantImprovement);
        assert_eq!(s.change_points, Some(-3));
        assert_eq!(s.label(), "clinically important improvement");
        assert_eq!(s.change_text(), "−3 points (−30 %)");
    }

    #[test]
    fn summary_exactly_2_points_and_40_percent_is_improvement() {
        assert_eq!(summary(&[5, 3]).trend, Trend::ImportantImprovement);
    }

    #[test]
    fn summary_2_points_but_under_30_percent_is_no_change() {
        let s = summary(&[7, 5]);
        assert_eq!(s.trend, Trend::NoImportantChange);
        assert_eq!(s.label(), "no clinically important change");
        assert_eq!(summary(&[10, 8]).trend, Trend::NoImportantChange);
    }

    #[test]
    fn summary_30_percent_but_under_2_points_is_no_change() {
        // 3 → 2 is 33 % but only 1 point.
        assert_eq!(summary(&[3, 2]).trend, Trend::NoImportantChange);
    }

    #[test]
    fn summary_small_baselines() {
        assert_eq!(summary(&[3, 1]).trend, Trend::ImportantImprovement);
        assert_eq!(summary(&[2, 0]).trend, Trend::ImportantImprovement);
        assert_eq!(summary(&[1, 0]).trend, Trend::NoImportantChange);
    }

    #[test]
    fn summary_worsening_needs_2_points() {
        let s = summary(&[2, 4]);
        assert_eq!(s.trend, Trend::Worsening);
        assert_eq!(s.label(), "worsening");
        assert_eq!(summary(&[4, 5]).trend, Trend::NoImportantChange);
        assert_eq!(summary(&[8, 10]).trend, Trend::Worsening);
    }

    #[test]
    fn summary_baseline_zero() {
        let s = summary(&[0, 3]);
        assert_eq!(s.trend, Trend::Worsening);
        assert_eq!(s.change_percent, None);
        assert_eq!(s.change_text(), "+3 points");
        assert_eq!(summary(&[0, 1]).trend, Trend::NoImportantChange);
        assert_eq!(summary(&[0, 2]).trend, Trend::Worsening);
        let z = summary(&[0, 0]);
        assert_eq!(z.trend, Trend::NoImportantChange);
        assert_eq!(z.change_text(), "0 points");
    }

    #[test]
    fn summary_uses_first_and_last_only() {
        let s = summary(&[7, 1, 9, 4]);
        assert_eq!(s.baseline, Some(7));
        assert_eq!(s.latest, Some(4));
        assert_eq!(s.count, 4);
        assert_eq!(s.trend, Trend::ImportantImprovement);
    }

    #[test]
    fn summary_orders_by_time_even_if_unsorted() {
        let mut scores = seq(&[8, 6, 3]);
        scores.reverse();
        let s = PainSummary::from_scores(&scores);
        assert_eq!((s.baseline, s.latest), (Some(8), Some(3)));
    }

    #[test]
    fn change_text_formats() {
        assert_eq!(summary(&[7, 4]).change_text(), "−3 points (−43 %)");
        assert_eq!(summary(&[5, 7]).change_text(), "+2 points (+40 %)");
        assert_eq!(summary(&[4, 4]).change_text(), "0 points (0 %)");
        assert_eq!(summary(&[10, 9]).change_text(), "−1 point (−10 %)");
        assert_eq!(summary(&[8, 7]).change_text(), "−1 point (−13 %)");
        let p = summary(&[7, 4]).change_percent.unwrap_or(f64::NAN);
        assert!((p - (-300.0 / 7.0)).abs() < 1e-9);
    }
}
