//! Outcome measures on pages: the fields an assessment or visit form asks (PSFS activities
//! carried forward with their last scores, the region's movements with their last values,
//! the global rating of change), reading them back, and the case page's summary with a
//! small chart per activity, for the PSFS mean, per movement and for the global rating.
//! The charts' classes are styled by `static/chart.css`.

use std::fmt::Write as _;

use chrono::NaiveDateTime;

use crate::dates::{Shown, Zone};
use crate::domain::FormErrors;
use crate::domain::clinical::{CASE_REGIONS, label_of, optional_int};
use crate::domain::outcomes::{
    GLOBAL_CHANGE_RANGE, Movement, MovementValue, OutcomeEntry, PSFS_ACTIVITY_MAX_CHARS,
    PSFS_IMPORTANT_MEAN_CHANGE, PSFS_IMPORTANT_SINGLE_CHANGE, PSFS_NEW_ROWS, PsfsChange, PsfsItem,
    global_change_choices, global_change_label, movement, movements_for,
};
use crate::error::AppError;
use crate::store::cases::CaseRow;
use crate::store::outcomes::{Measure, Measurement, PsfsActivity, psfs_means};
use crate::views::pain_chart::Xml;
use crate::web::{AppState, SelectOption};

/// An activity the form carries forward, with its last score.
#[derive(Debug, Clone)]
pub struct CarriedActivity {
    pub id: i64,
    pub activity: String,
    /// "Last: 4 on 3 Dec 2026", shown under its field.
    pub last: String,
}

impl CarriedActivity {
    pub fn score_field(&self) -> String {
        format!("psfs_score_a{}", self.id)
    }

    pub fn retire_field(&self) -> String {
        format!("psfs_retire_a{}", self.id)
    }
}

/// A movement the form asks for, with its last value.
#[derive(Debug, Clone)]
pub struct AskedMovement {
    pub movement: &'static Movement,
    /// "Last: 40° on 3 Dec 2026", shown under its field.
    pub last: String,
}

impl AskedMovement {
    pub fn field(&self) -> String {
        format!("rom_{}", self.movement.key)
    }

    pub fn label(&self) -> String {
        format!("{} ({})", self.movement.label, self.movement.unit.name())
    }
}

/// What an assessment or visit form asks of the case's outcomes.
#[derive(Debug, Clone, Default)]
pub struct OutcomeFields {
    pub activities: Vec<CarriedActivity>,
    pub movements: Vec<AskedMovement>,
    pub region_label: &'static str,
    /// The global rating of change: at reviews, visits and discharge, not at the first
    /// assessment.
    pub asks_global_change: bool,
    pub new_rows: Vec<usize>,
}

impl OutcomeFields {
    /// The fields a form asks on `case`: its PSFS activities with their last scores and its
    /// region's movements with their last values. Read within the form page's request,
    /// whose case read is audited.
    pub async fn load(
        state: &AppState,
        case: &CaseRow,
        asks_global_change: bool,
    ) -> Result<Self, AppError> {
        let case_id = case.id;
        let (activities, measurements) = state
            .read(move |c| {
                Ok::<_, AppError>((
                    crate::store::outcomes::activities(c, case_id)?,
                    crate::store::outcomes::of_case(c, case_id)?,
                ))
            })
            .await?;
        Ok(Self::for_case(
            &case.body_region,
            &activities,
            &measurements,
            asks_global_change,
            state.zone(),
        ))
    }

    /// The fields for a case of `region`, from its activities (active ones are carried) and
    /// its measurements so far.
    pub fn for_case(
        region: &str,
        activities: &[PsfsActivity],
        measurements: &[Measurement],
        asks_global_change: bool,
        zone: Zone,
    ) -> Self {
        let last = |measure: Measure, unit: &str, matches: &dyn Fn(&Measurement) -> bool| {
            match measurements
                .iter()
                .rev()
                .find(|m| m.measure == measure && matches(m))
            {
                Some(m) => format!(
                    "Last: {}{unit} on {}",
                    m.value,
                    m.measured_at.to_day_in(zone)
                ),
                None => "Not measured before".into(),
            }
        };
        Self {
            activities: activities
                .iter()
                .filter(|a| !a.is_retired())
                .map(|a| CarriedActivity {
                    id: a.id,
                    activity: a.activity.clone(),
                    last: last(Measure::Psfs, "", &|m| m.psfs_activity_id == Some(a.id)),
                })
                .collect(),
            movements: movements_for(region)
                .iter()
                .map(|movement| AskedMovement {
                    movement,
                    last: last(Measure::Movement, movement.unit.symbol(), &|m| {
                        m.item.as_deref() == Some(movement.key)
                    }),
                })
                .collect(),
            region_label: label_of(CASE_REGIONS, region),
            asks_global_change,
            new_rows: (1..=PSFS_NEW_ROWS).collect(),
        }
    }

    /// The rating's choices, marking the one typed.
    pub fn global_change_options(&self, typed: &str) -> Vec<SelectOption> {
        global_change_choices()
            .into_iter()
            .map(|(value, label)| SelectOption {
                value: value.to_string(),
                label: format!("{value:+} {label}"),
                selected: typed.trim_start_matches('+') == value.to_string(),
            })
            .collect()
    }

    /// Reads the outcome fields of a submitted form; problems go to `errors` by field.
    pub fn read(&self, get: impl Fn(&str) -> String, errors: &mut FormErrors) -> OutcomeEntry {
        let mut entry = OutcomeEntry::default();
        for carried in &self.activities {
            let retire = get(&carried.retire_field()) == "yes";
            let field = carried.score_field();
            match optional_int(&get(&field), (0, 10), "The score") {
                Ok(Some(score)) => entry.psfs.push(PsfsItem {
                    activity_id: Some(carried.id),
                    activity: carried.activity.clone(),
                    score,
                }),
                Ok(None) => {}
                Err(message) => errors.add(field, message),
            }
            if retire {
                entry.psfs_retired.push(carried.id);
            }
        }
        for row in &self.new_rows {
            let activity_key = format!("psfs_activity_{row}");
            let score_key = format!("psfs_score_{row}");
            let activity = get(&activity_key).trim().to_owned();
            let score = get(&score_key);
            match (activity.is_empty(), score.trim().is_empty()) {
                (true, true) => {}
                (true, false) => errors.add(activity_key, "Name the activity this score is for."),
                (false, true) => errors.add(
                    score_key,
                    "Score the activity from 0 (unable) to 10 (as before).",
                ),
                (false, false) => {
                    if activity.chars().count() > PSFS_ACTIVITY_MAX_CHARS {
                        errors.add(activity_key, "An activity has at most 200 characters.");
                        continue;
                    }
                    if self.activities.iter().any(|a| a.activity == activity)
                        || entry.psfs.iter().any(|p| p.activity == activity)
                    {
                        errors.add(
                            activity_key,
                            "This activity is already on the list: score it there.",
                        );
                        continue;
                    }
                    match optional_int(&score, (0, 10), "The score") {
                        Ok(Some(score)) => entry.psfs.push(PsfsItem {
                            activity_id: None,
                            activity,
                            score,
                        }),
                        Ok(None) => {}
                        Err(message) => errors.add(score_key, message),
                    }
                }
            }
        }
        for asked in &self.movements {
            let field = asked.field();
            let (low, high) = asked.movement.unit.range();
            match optional_int(&get(&field), (low, high), asked.movement.label) {
                Ok(Some(value)) => entry.movements.push(MovementValue {
                    movement: asked.movement.key.to_owned(),
                    value,
                }),
                Ok(None) => {}
                Err(message) => errors.add(field, message),
            }
        }
        if self.asks_global_change {
            let (low, high) = GLOBAL_CHANGE_RANGE;
            let raw = get("global_change");
            match optional_int(raw.trim_start_matches('+'), (low, high), "The rating") {
                Ok(rating) => entry.global_change = rating,
                Err(_) => errors.add(
                    "global_change",
                    "Choose the patient's rating from −7 (a very great deal worse) to +7.",
                ),
            }
        }
        entry
    }
}

/// The form values of a stored entry, to show a draft again.
pub fn entry_values(entry: &OutcomeEntry) -> Vec<(String, String)> {
    let mut values = Vec::new();
    let mut new_row = 0;
    for item in &entry.psfs {
        match item.activity_id {
            Some(id) => values.push((format!("psfs_score_a{id}"), item.score.to_string())),
            None => {
                new_row += 1;
                values.push((format!("psfs_activity_{new_row}"), item.activity.clone()));
                values.push((format!("psfs_score_{new_row}"), item.score.to_string()));
            }
        }
    }
    for id in &entry.psfs_retired {
        values.push((format!("psfs_retire_a{id}"), "yes".into()));
    }
    for m in &entry.movements {
        values.push((format!("rom_{}", m.movement), m.value.to_string()));
    }
    if let Some(rating) = entry.global_change {
        values.push(("global_change".into(), rating.to_string()));
    }
    values
}

/// A signed or draft record's measures as its page shows them: the PSFS scores and mean,
/// each movement with its value and unit, and the global rating in words.
#[derive(Debug, Clone, Default)]
pub struct ShownMeasures {
    pub psfs: Vec<PsfsItem>,
    pub psfs_mean: Option<f64>,
    pub movements: Vec<(String, String)>,
    pub global_change: Option<String>,
}

impl ShownMeasures {
    pub fn of(entry: &OutcomeEntry) -> Self {
        Self {
            psfs: entry.psfs.clone(),
            psfs_mean: entry.psfs_mean(),
            movements: entry
                .movements
                .iter()
                .filter_map(|m| {
                    movement(&m.movement).map(|asked| {
                        (
                            asked.label.to_owned(),
                            format!("{}{}", m.value, asked.unit.symbol()),
                        )
                    })
                })
                .collect(),
            global_change: entry
                .global_change
                .map(|v| format!("{v:+} ({})", global_change_label(v))),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.psfs.is_empty() && self.movements.is_empty() && self.global_change.is_none()
    }
}

/// One line of the case's outcome summary: a PSFS activity, the PSFS mean or a movement.
#[derive(Debug, Clone)]
pub struct OutcomeLine {
    pub label: String,
    pub unit: &'static str,
    pub first: String,
    pub latest: String,
    pub change: String,
    /// For PSFS: whether the change is clinically important, in words.
    pub verdict: Option<&'static str>,
    pub important: bool,
    pub retired: bool,
    pub chart: String,
}

/// The case page's outcomes: PSFS per activity and mean, movements, global rating.
#[derive(Debug, Clone, Default)]
pub struct OutcomeSummary {
    pub psfs: Vec<OutcomeLine>,
    pub psfs_mean: Option<OutcomeLine>,
    pub movements: Vec<OutcomeLine>,
    pub global_change: Vec<(NaiveDateTime, i32, &'static str)>,
    pub global_chart: String,
}

impl OutcomeSummary {
    pub fn is_empty(&self) -> bool {
        self.psfs.is_empty() && self.movements.is_empty() && self.global_change.is_empty()
    }

    pub fn latest_global_change(&self) -> Option<(NaiveDateTime, i32, &'static str)> {
        self.global_change.last().copied()
    }

    pub fn from_measurements(measurements: &[Measurement], zone: Zone) -> Self {
        let mut summary = Self::default();
        // PSFS, one line per activity in the order first scored.
        let mut activity_ids: Vec<i64> = Vec::new();
        for m in measurements.iter().filter(|m| m.measure == Measure::Psfs) {
            if let Some(id) = m.psfs_activity_id
                && !activity_ids.contains(&id)
            {
                activity_ids.push(id);
            }
        }
        for id in activity_ids {
            let scores: Vec<&Measurement> = measurements
                .iter()
                .filter(|m| m.measure == Measure::Psfs && m.psfs_activity_id == Some(id))
                .collect();
            let (Some(first), Some(latest)) = (scores.first(), scores.last()) else {
                continue;
            };
            let change = PsfsChange::of_activity(first.value, latest.value);
            let points: Vec<(NaiveDateTime, f64)> = scores
                .iter()
                .map(|m| (m.measured_at, f64::from(m.value)))
                .collect();
            let label = first.item.clone().unwrap_or_default();
            summary.psfs.push(OutcomeLine {
                chart: small_chart(
                    &label,
                    &points,
                    (0.0, 10.0),
                    Some(f64::from(first.value + PSFS_IMPORTANT_SINGLE_CHANGE).min(10.0)),
                    zone,
                ),
                label,
                unit: "",
                first: first.value.to_string(),
                latest: latest.value.to_string(),
                change: signed(change.change()),
                verdict: (scores.len() > 1).then(|| change.label()),
                important: scores.len() > 1 && change.important,
                retired: latest.retired,
            });
        }
        let means = psfs_means(measurements);
        if let (Some(first), Some(latest)) = (means.first(), means.last()) {
            let change = PsfsChange::of_mean(first.1, latest.1);
            summary.psfs_mean = Some(OutcomeLine {
                label: "PSFS mean".into(),
                unit: "",
                first: format!("{:.1}", first.1),
                latest: format!("{:.1}", latest.1),
                change: signed(change.change()),
                verdict: (means.len() > 1).then(|| change.label()),
                important: means.len() > 1 && change.important,
                retired: false,
                chart: small_chart(
                    "PSFS mean",
                    &means,
                    (0.0, 10.0),
                    Some((first.1 + PSFS_IMPORTANT_MEAN_CHANGE).min(10.0)),
                    zone,
                ),
            });
        }
        // Movements, in the order of their regions' lists.
        let mut keys: Vec<&str> = Vec::new();
        for m in measurements
            .iter()
            .filter(|m| m.measure == Measure::Movement)
        {
            if let Some(key) = m.item.as_deref()
                && !keys.contains(&key)
            {
                keys.push(key);
            }
        }
        for key in keys {
            let Some(asked) = movement(key) else {
                continue;
            };
            let values: Vec<(NaiveDateTime, f64)> = measurements
                .iter()
                .filter(|m| m.measure == Measure::Movement && m.item.as_deref() == Some(key))
                .map(|m| (m.measured_at, f64::from(m.value)))
                .collect();
            let (Some(first), Some(latest)) = (values.first(), values.last()) else {
                continue;
            };
            let (low, high) = asked.unit.range();
            let top = values.iter().map(|v| v.1).fold(f64::from(low), f64::max);
            // Scale to the values measured, not the whole range, so change is visible.
            let top = (top / 10.0).ceil() * 10.0;
            summary.movements.push(OutcomeLine {
                label: asked.label.into(),
                unit: asked.unit.symbol(),
                first: format!("{}", first.1),
                latest: format!("{}", latest.1),
                change: signed(latest.1 - first.1),
                verdict: None,
                important: false,
                retired: false,
                chart: small_chart(
                    &format!("{} ({})", asked.label, asked.unit.name()),
                    &values,
                    (f64::from(low), top.clamp(10.0, f64::from(high))),
                    None,
                    zone,
                ),
            });
        }
        summary.global_change = measurements
            .iter()
            .filter(|m| m.measure == Measure::GlobalChange)
            .map(|m| (m.measured_at, m.value, global_change_label(m.value)))
            .collect();
        if !summary.global_change.is_empty() {
            let points: Vec<(NaiveDateTime, f64)> = summary
                .global_change
                .iter()
                .map(|(at, v, _)| (*at, f64::from(*v)))
                .collect();
            summary.global_chart =
                small_chart("Global rating of change", &points, (-7.0, 7.0), None, zone);
        }
        summary
    }
}

fn signed(change: f64) -> String {
    let rounded = (change * 10.0).round() / 10.0;
    if rounded == 0.0 {
        "0".into()
    } else if rounded.fract() == 0.0 {
        format!("{rounded:+.0}")
    } else {
        format!("{rounded:+.1}")
    }
}

/// A small line chart of values over time: the points joined, the first and last dates
/// under the axis, the range's ends beside it and, when given, a dashed line at `target`
/// (the score a clinically important improvement reaches). Read with the numbers above it.
pub fn small_chart(
    title: &str,
    points: &[(NaiveDateTime, f64)],
    (low, high): (f64, f64),
    target: Option<f64>,
    zone: Zone,
) -> String {
    // Whole viewBox units (about a pixel each where the chart is shown) are precise enough.
    const LEFT: i32 = 30;
    const RIGHT: i32 = 232;
    const TOP: i32 = 8;
    const BOTTOM: i32 = 72;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="oc-chart" viewBox="0 0 240 96" role="img" aria-label="{}"><rect class="oc-bg" x="{LEFT}" y="{TOP}" width="{}" height="{}"/>"#,
        Xml(title),
        RIGHT - LEFT,
        BOTTOM - TOP
    );
    let span = (high - low).max(1.0);
    let y = |v: f64| {
        let above = (v.clamp(low, high) - low) / span * f64::from(BOTTOM - TOP);
        BOTTOM - above.round() as i32
    };
    let _ = write!(
        svg,
        r#"<text class="oc-tick" x="{0}" y="{1}" text-anchor="end">{high}</text><text class="oc-tick" x="{0}" y="{BOTTOM}" text-anchor="end">{low}</text>"#,
        LEFT - 4,
        TOP + 4,
    );
    if low < 0.0 && high > 0.0 {
        let _ = write!(
            svg,
            r#"<line class="oc-zero" x1="{LEFT}" x2="{RIGHT}" y1="{0}" y2="{0}"/>"#,
            y(0.0)
        );
    }
    if let Some(target) = target {
        let _ = write!(
            svg,
            r#"<line class="oc-target" x1="{LEFT}" x2="{RIGHT}" y1="{0}" y2="{0}"/>"#,
            y(target)
        );
    }
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        svg.push_str("</svg>");
        return svg;
    };
    let seconds = (last.0 - first.0).num_seconds().max(1) as f64;
    let x = |at: NaiveDateTime| {
        if points.len() == 1 {
            (LEFT + RIGHT) / 2
        } else {
            let along = (at - first.0).num_seconds() as f64 / seconds;
            LEFT + 6 + (along * f64::from(RIGHT - LEFT - 12)).round() as i32
        }
    };
    svg.push_str(r#"<polyline class="oc-line" points=""#);
    for (i, (at, v)) in points.iter().enumerate() {
        let gap = if i == 0 { "" } else { " " };
        let _ = write!(svg, "{gap}{},{}", x(*at), y(*v));
    }
    svg.push_str(r#""/>"#);
    for (at, v) in points {
        let _ = write!(
            svg,
            r#"<circle class="oc-pt" cx="{}" cy="{}" r="3"/>"#,
            x(*at),
            y(*v)
        );
    }
    let _ = write!(
        svg,
        r#"<text class="oc-tick" x="{LEFT}" y="{}">{}</text>"#,
        BOTTOM + 16,
        first.0.to_day_in(zone)
    );
    if points.len() > 1 {
        let _ = write!(
            svg,
            r#"<text class="oc-tick" x="{RIGHT}" y="{}" text-anchor="end">{}</text>"#,
            BOTTOM + 16,
            last.0.to_day_in(zone)
        );
    }
    svg.push_str("</svg>");
    svg
}
