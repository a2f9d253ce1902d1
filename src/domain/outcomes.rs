//! Outcome measures beyond the pain score: the Patient-Specific Functional Scale (PSFS),
//! range of movement by body region and the patient's global rating of change.
//!
//! PSFS: each activity is scored 0 (unable) to 10 (able as before the problem). The
//! clinically important change is 2 points for the mean of the activities and 3 points for
//! a single activity (Stratford et al. 1995, Physiotherapy Canada 47:258–263).

use serde::{Deserialize, Serialize};

/// The smallest change of the PSFS mean that is clinically important (Stratford 1995).
pub const PSFS_IMPORTANT_MEAN_CHANGE: f64 = 2.0;
/// The smallest change of one PSFS activity that is clinically important (Stratford 1995).
pub const PSFS_IMPORTANT_SINGLE_CHANGE: i32 = 3;
/// New activities a form offers at once; the case keeps any number.
pub const PSFS_NEW_ROWS: usize = 5;
pub const PSFS_ACTIVITY_MAX_CHARS: usize = 200;

/// The global rating of change runs from −7 (a very great deal worse) to +7.
pub const GLOBAL_CHANGE_RANGE: (i32, i32) = (-7, 7);

/// What the patient says of their change since treatment began, −7..=+7.
pub fn global_change_label(value: i32) -> &'static str {
    match value {
        7 => "A very great deal better",
        6 => "A great deal better",
        5 => "Quite a bit better",
        4 => "Moderately better",
        3 => "Somewhat better",
        2 => "A little bit better",
        1 => "A tiny bit better",
        0 => "About the same",
        -1 => "A tiny bit worse",
        -2 => "A little bit worse",
        -3 => "Somewhat worse",
        -4 => "Moderately worse",
        -5 => "Quite a bit worse",
        -6 => "A great deal worse",
        -7 => "A very great deal worse",
        _ => "",
    }
}

/// The choices of the rating, best first, as (value, label).
pub fn global_change_choices() -> Vec<(i32, &'static str)> {
    (GLOBAL_CHANGE_RANGE.0..=GLOBAL_CHANGE_RANGE.1)
        .rev()
        .map(|v| (v, global_change_label(v)))
        .collect()
}

/// How a movement is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Degrees,
    /// A distance, e.g. fingertips to floor: smaller is better.
    Centimetres,
}

impl Unit {
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Degrees => "°",
            Self::Centimetres => " cm",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Degrees => "degrees",
            Self::Centimetres => "centimetres",
        }
    }

    /// The values a form accepts.
    pub fn range(self) -> (i32, i32) {
        match self {
            Self::Degrees => (0, 180),
            Self::Centimetres => (0, 100),
        }
    }
}

/// One movement measured for a region. Keys are stored with every value: never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Movement {
    pub key: &'static str,
    pub label: &'static str,
    pub unit: Unit,
}

const fn deg(key: &'static str, label: &'static str) -> Movement {
    Movement {
        key,
        label,
        unit: Unit::Degrees,
    }
}

const fn cm(key: &'static str, label: &'static str) -> Movement {
    Movement {
        key,
        label,
        unit: Unit::Centimetres,
    }
}

const THORACIC: &[Movement] = &[
    deg("thoracic-rotation-left", "Thoracic rotation left"),
    deg("thoracic-rotation-right", "Thoracic rotation right"),
    deg("thoracic-flexion", "Thoracic flexion"),
    deg("thoracic-extension", "Thoracic extension"),
];

const CERVICAL: &[Movement] = &[
    deg("cervical-flexion", "Neck flexion"),
    deg("cervical-extension", "Neck extension"),
    deg("cervical-rotation-left", "Neck rotation left"),
    deg("cervical-rotation-right", "Neck rotation right"),
    deg("cervical-side-flexion-left", "Neck side flexion left"),
    deg("cervical-side-flexion-right", "Neck side flexion right"),
];

const LUMBAR: &[Movement] = &[
    cm(
        "lumbar-flexion-fingertip-floor",
        "Lumbar flexion, fingertips to floor",
    ),
    deg("lumbar-extension", "Lumbar extension"),
    cm(
        "lumbar-side-flexion-left-fingertip-floor",
        "Side flexion left, fingertips to floor",
    ),
    cm(
        "lumbar-side-flexion-right-fingertip-floor",
        "Side flexion right, fingertips to floor",
    ),
];

const SHOULDER: &[Movement] = &[
    deg("shoulder-flexion", "Shoulder flexion"),
    deg("shoulder-abduction", "Shoulder abduction"),
    deg("shoulder-external-rotation", "Shoulder external rotation"),
    deg("shoulder-internal-rotation", "Shoulder internal rotation"),
    cm("shoulder-hand-behind-back", "Hand behind back, thumb to C7"),
];

/// The movements asked for on a case of this body region (`clinical::CASE_REGIONS`). The
/// rib cage moves with the thoracic spine; an "other" region has no standard set.
pub fn movements_for(region: &str) -> &'static [Movement] {
    match region {
        "cervical" => CERVICAL,
        "lumbar" => LUMBAR,
        "shoulder" => SHOULDER,
        "thoracic" | "rib-cage" => THORACIC,
        _ => &[],
    }
}

/// Any region's movement, by its stored key.
pub fn movement(key: &str) -> Option<&'static Movement> {
    [THORACIC, CERVICAL, LUMBAR, SHOULDER]
        .into_iter()
        .flatten()
        .find(|m| m.key == key)
}

/// One activity's score on a form. An activity already on the case carries its id; a new
/// one has none until the record is signed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PsfsItem {
    #[serde(default)]
    pub activity_id: Option<i64>,
    pub activity: String,
    pub score: i32,
}

/// A movement's measured value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MovementValue {
    pub movement: String,
    pub value: i32,
}

/// The outcome measures of one assessment or visit note, as its draft keeps them until it
/// is signed: then they become the case's measurements.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OutcomeEntry {
    pub psfs: Vec<PsfsItem>,
    /// Activities of the case retired at this record: no longer scored from here on.
    pub psfs_retired: Vec<i64>,
    pub movements: Vec<MovementValue>,
    pub global_change: Option<i32>,
}

impl OutcomeEntry {
    pub fn is_blank(&self) -> bool {
        self.psfs.is_empty()
            && self.psfs_retired.is_empty()
            && self.movements.is_empty()
            && self.global_change.is_none()
    }

    /// The PSFS mean of this record to one decimal, when any activity is scored.
    pub fn psfs_mean(&self) -> Option<f64> {
        mean(self.psfs.iter().map(|p| p.score))
    }
}

/// The mean of whole-number scores to one decimal.
pub fn mean(scores: impl Iterator<Item = i32>) -> Option<f64> {
    let (sum, count) = scores.fold((0i64, 0i64), |(s, c), v| (s + i64::from(v), c + 1));
    if count == 0 {
        return None;
    }
    Some((sum as f64 / count as f64 * 10.0).round() / 10.0)
}

/// A PSFS change from the first score to the latest, and whether it matters clinically.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PsfsChange {
    pub first: f64,
    pub latest: f64,
    pub important: bool,
}

impl PsfsChange {
    /// A single activity: important at 3 points or more either way.
    pub fn of_activity(first: i32, latest: i32) -> Self {
        Self {
            first: f64::from(first),
            latest: f64::from(latest),
            important: (latest - first).abs() >= PSFS_IMPORTANT_SINGLE_CHANGE,
        }
    }

    /// The mean of the activities: important at 2 points or more either way.
    pub fn of_mean(first: f64, latest: f64) -> Self {
        Self {
            first,
            latest,
            // Means are kept to one decimal; compare in tenths so 1.99… never counts as 2.
            important: ((latest - first) * 10.0).round().abs() >= PSFS_IMPORTANT_MEAN_CHANGE * 10.0,
        }
    }

    pub fn change(&self) -> f64 {
        ((self.latest - self.first) * 10.0).round() / 10.0
    }

    /// Higher PSFS scores are better.
    pub fn label(&self) -> &'static str {
        match (self.important, self.change() > 0.0) {
            (true, true) => "clinically important improvement",
            (true, false) => "clinically important worsening",
            (false, _) => "no clinically important change",
        }
    }
}

/// Items grouped by the record they belong to (an assessment's or visit's key), the records
/// in the order first seen and each record's items in order.
pub fn by_record<K: PartialEq, T>(items: impl IntoIterator<Item = (K, T)>) -> Vec<(K, Vec<T>)> {
    let mut records: Vec<(K, Vec<T>)> = Vec::new();
    for (record, item) in items {
        match records.iter_mut().find(|(k, _)| *k == record) {
            Some((_, of_record)) => of_record.push(item),
            None => records.push((record, vec![item])),
        }
    }
    records
}

/// The PSFS mean of each record, oldest first, from every PSFS score of a case in the
/// order recorded, each with the record it belongs to.
pub fn record_means<K: PartialEq>(scores: impl IntoIterator<Item = (K, i32)>) -> Vec<(K, f64)> {
    by_record(scores)
        .into_iter()
        .filter_map(|(record, of_record)| mean(of_record.into_iter()).map(|m| (record, m)))
        .collect()
}

impl PsfsChange {
    /// The change of the PSFS mean from the first record to the latest; none without two.
    pub fn over_records(means: &[f64]) -> Option<Self> {
        match means {
            [first, .., latest] => Some(Self::of_mean(*first, *latest)),
            _ => None,
        }
    }
}

/// The outcome measures' own FHIR code system, under the clinic's base URL: no LOINC code
/// names the PSFS, the global rating of change or these movements (see README).
pub const CODE_SYSTEM_PATH: &str = "/fhir/CodeSystem/outcomes";
pub const CODE_PSFS_ACTIVITY: &str = "psfs-activity";
pub const CODE_PSFS_MEAN: &str = "psfs-mean";
pub const CODE_GLOBAL_CHANGE: &str = "global-rating-of-change";

impl Unit {
    /// The UCUM code of the unit, as FHIR quantities and the CSV export write it.
    pub fn ucum(self) -> &'static str {
        match self {
            Self::Degrees => "deg",
            Self::Centimetres => "cm",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psfs_changes_follow_stratford() {
        assert!(PsfsChange::of_activity(3, 6).important);
        assert!(!PsfsChange::of_activity(3, 5).important);
        assert!(PsfsChange::of_activity(8, 5).important);
        assert_eq!(
            PsfsChange::of_activity(8, 5).label(),
            "clinically important worsening"
        );
        assert!(PsfsChange::of_mean(4.5, 6.5).important);
        assert!(!PsfsChange::of_mean(4.5, 6.4).important);
        assert_eq!(
            PsfsChange::of_mean(4.5, 6.5).label(),
            "clinically important improvement"
        );
        assert_eq!(PsfsChange::of_mean(4.5, 6.5).change(), 2.0);
    }

    #[test]
    fn each_region_asks_for_its_own_movements() {
        let neck: Vec<&str> = movements_for("cervical").iter().map(|m| m.key).collect();
        assert!(neck.contains(&"cervical-side-flexion-left"));
        assert!(!neck.iter().any(|k| k.starts_with("thoracic")));
        assert_eq!(movements_for("thoracic").len(), 4);
        assert_eq!(movements_for("rib-cage"), movements_for("thoracic"));
        assert!(movements_for("other").is_empty());
        assert_eq!(
            movements_for("lumbar")[0].unit,
            Unit::Centimetres,
            "fingertips to floor is a distance"
        );
        assert_eq!(
            movement("shoulder-abduction").map(|m| m.unit),
            Some(Unit::Degrees)
        );
        assert!(movement("knee-flexion").is_none());
    }

    #[test]
    fn movement_keys_are_unique() {
        let mut keys: Vec<&str> = [THORACIC, CERVICAL, LUMBAR, SHOULDER]
            .into_iter()
            .flatten()
            .map(|m| m.key)
            .collect();
        let all = keys.len();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), all);
    }

    #[test]
    fn global_change_runs_from_minus_seven_to_seven() {
        let choices = global_change_choices();
        assert_eq!(choices.len(), 15);
        assert_eq!(choices[0], (7, "A very great deal better"));
        assert_eq!(global_change_label(0), "About the same");
        assert_eq!(global_change_label(8), "");
    }

    #[test]
    fn the_psfs_mean_changes_from_the_first_record_to_the_latest() {
        // Two activities at the first record, one carried and one new at a visit, two at
        // the last: means 4.5, 6.0 and 7.0.
        let means: Vec<f64> = record_means([(1, 4), (1, 5), (2, 6), (2, 6), (3, 7), (3, 7)])
            .into_iter()
            .map(|(_, mean)| mean)
            .collect();
        assert_eq!(means, vec![4.5, 6.0, 7.0]);
        let change = PsfsChange::over_records(&means);
        assert_eq!(
            change.map(|c| (c.first, c.latest, c.important)),
            Some((4.5, 7.0, true))
        );
        assert!(PsfsChange::over_records(&[5.0]).is_none());
        assert!(PsfsChange::over_records(&[]).is_none());
        assert!(PsfsChange::over_records(&[5.0, 6.9]).is_some_and(|c| !c.important));
    }

    #[test]
    fn means_to_one_decimal() {
        assert_eq!(mean([4, 5, 3].into_iter()), Some(4.0));
        assert_eq!(mean([4, 5].into_iter()), Some(4.5));
    }
}
