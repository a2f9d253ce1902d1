//! The clinical record's vocabulary: assessment kinds, red flags, body chart, dates.

use crate::dates::ShownDay;
pub use crate::domain::outcomes::{OutcomeEntry, PsfsItem};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssessmentKind {
    Initial,
    Review,
    Discharge,
}

impl AssessmentKind {
    pub const ALL: [AssessmentKind; 3] = [Self::Initial, Self::Review, Self::Discharge];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Initial => "initial",
            Self::Review => "review",
            Self::Discharge => "discharge",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw.trim())
            .ok_or_else(|| "Choose the kind of assessment: initial, review or discharge.".into())
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Initial => "Initial assessment",
            Self::Review => "Review",
            Self::Discharge => "Discharge assessment",
        }
    }
}

/// Screening answers that call for medical referral. Keys are stored with every answer:
/// never rename one. A question added later is simply absent from older assessments.
pub const RED_FLAGS: &[(&str, &str)] = &[
    (
        "numbness-weakness",
        "Numbness or weakness in the arms or legs",
    ),
    (
        "tingling",
        "Tingling (pins and needles) in the arms or legs",
    ),
    (
        "unsteady-walking",
        "Unsteady walking or clumsy hands (spinal cord)",
    ),
    ("bladder-bowel", "Any change in bladder or bowel control"),
    ("chest-pain", "Chest pain"),
    ("breathing", "Difficulty breathing"),
    ("severe-headache", "Severe headache"),
    (
        "severe-unrelieved",
        "Severe pain that rest and pain medication do not ease",
    ),
    (
        "night-pain",
        "Pain at night that does not ease with rest or position",
    ),
    ("worsening", "Steadily worsening pain"),
    (
        "persistent-weeks",
        "Pain lasting several weeks despite home care",
    ),
    ("stops-activities", "Pain that stops daily activities"),
    ("fall-accident", "Pain after a fall or accident"),
    (
        "fracture-risk",
        "Osteoporosis or fracture risk (including long-term steroid use)",
    ),
    (
        "inflammatory",
        "Morning stiffness over 30 minutes that eases with movement",
    ),
    ("weight-loss", "Unexplained weight loss"),
    ("cancer-history", "History of cancer"),
    ("fever", "Fever or feeling unwell"),
];

/// The prefix of a pending red flag raised by a patient's stop report, not an assessment.
pub const REPORTED_PREFIX: &str = "stop:";

pub fn red_flag_label(key: &str) -> &'static str {
    if let Some(stop) = key.strip_prefix(REPORTED_PREFIX) {
        return stop_symptom(stop).map_or("Reported by the patient", |s| s.flag_label);
    }
    RED_FLAGS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, label)| *label)
        .unwrap_or("Unknown red flag")
}

/// One reason to stop the exercises and contact the clinic, in a patient's words. The
/// sheet's stop box prints the list; the portal asks it with every pain score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopSymptom {
    /// Stored with a patient's report: never rename one.
    pub key: &'static str,
    pub text: &'static str,
    /// How the case shows it while it waits for the therapist.
    pub flag_label: &'static str,
    /// Call the emergency number before the clinic.
    pub emergency: bool,
}

impl std::fmt::Display for StopSymptom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text)
    }
}

/// When a patient should stop and contact the clinic: the red flags in a patient's words.
pub const STOP_SYMPTOMS: &[StopSymptom] = &[
    StopSymptom {
        key: "numbness-tingling",
        text: "numbness, tingling or weakness in your arms or legs",
        flag_label: "Patient reports numbness, tingling or weakness in the arms or legs",
        emergency: false,
    },
    StopSymptom {
        key: "walking-bladder",
        text: "unsteady walking, clumsy hands, or a change in bladder or bowel control",
        flag_label: "Patient reports unsteady walking, clumsy hands or a bladder or bowel change",
        emergency: false,
    },
    StopSymptom {
        key: "chest-breathing",
        text: "chest pain or difficulty breathing",
        flag_label: "Patient reports chest pain or difficulty breathing",
        emergency: true,
    },
    StopSymptom {
        key: "headache-faint",
        text: "a severe headache, dizziness or feeling faint",
        flag_label: "Patient reports a severe headache, dizziness or feeling faint",
        emergency: false,
    },
    StopSymptom {
        key: "worsening-night",
        text: "pain that keeps getting worse, or wakes you at night and does not ease",
        flag_label: "Patient reports pain getting worse, or waking them at night",
        emergency: false,
    },
    StopSymptom {
        key: "fall-accident",
        text: "pain after a fall or accident",
        flag_label: "Patient reports pain after a fall or accident",
        emergency: false,
    },
    StopSymptom {
        key: "fever-weight",
        text: "fever, feeling unwell, or losing weight without trying",
        flag_label: "Patient reports fever, feeling unwell or weight loss",
        emergency: false,
    },
];

pub fn stop_symptom(key: &str) -> Option<&'static StopSymptom> {
    STOP_SYMPTOMS.iter().find(|s| s.key == key)
}

/// How soon a referred patient is to be seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    Emergency,
    Urgent,
    Soon,
    Routine,
}

impl Urgency {
    pub const ALL: [Urgency; 4] = [Self::Emergency, Self::Urgent, Self::Soon, Self::Routine];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Emergency => "emergency",
            Self::Urgent => "urgent",
            Self::Soon => "soon",
            Self::Routine => "routine",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Emergency => "Emergency: sent to emergency care now",
            Self::Urgent => "Urgent: to be seen the same day",
            Self::Soon => "Soon: to be seen within a week",
            Self::Routine => "Routine",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|u| u.as_str() == raw.trim())
    }
}

/// The answer to one red-flag question.
pub const RED_FLAG_ANSWERS: &[(&str, &str)] =
    &[("yes", "Yes"), ("no", "No"), ("not-asked", "Not asked")];

/// Regions on the body chart.
pub const BODY_CHART: &[(&str, &str)] = &[
    ("cervical", "Neck (cervical)"),
    ("thoracic-upper", "Upper thoracic"),
    ("thoracic-mid", "Mid thoracic"),
    ("thoracic-lower", "Lower thoracic"),
    ("lumbar", "Lower back (lumbar)"),
    ("shoulder-left", "Left shoulder"),
    ("shoulder-right", "Right shoulder"),
    ("rib-cage-left", "Left rib cage"),
    ("rib-cage-right", "Right rib cage"),
];

/// The region a case is about.
pub const CASE_REGIONS: &[(&str, &str)] = &[
    ("thoracic", "Upper / mid back (thoracic)"),
    ("cervical", "Neck (cervical)"),
    ("lumbar", "Lower back (lumbar)"),
    ("shoulder", "Shoulder"),
    ("rib-cage", "Rib cage"),
    ("other", "Other"),
];

pub const SEXES: &[(&str, &str)] = &[
    ("female", "Female"),
    ("male", "Male"),
    ("other", "Other"),
    ("not-stated", "Prefers not to say"),
];

pub const DISCHARGE_OUTCOMES: &[(&str, &str)] = &[
    ("goals-met", "Goals met"),
    ("goals-partly-met", "Goals partly met"),
    ("goals-not-met", "Goals not met"),
    ("self-discharged", "Patient stopped attending"),
    ("referred-on", "Referred on to another service"),
];

pub fn label_of(table: &[(&str, &'static str)], key: &str) -> &'static str {
    table
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, l)| *l)
        .unwrap_or("Other")
}

pub fn one_of(table: &[(&str, &str)], raw: &str, what: &str) -> Result<String, String> {
    let value = raw.trim();
    if table.iter().any(|(k, _)| *k == value) {
        Ok(value.to_owned())
    } else {
        Err(format!("Choose {what}."))
    }
}

/// A date typed as YYYY-MM-DD (what date inputs send) or DD/MM/YYYY.
pub fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    let value = raw.trim();
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(value, "%d/%m/%Y"))
        .map_err(|_| "Enter a date like 2024-03-31.".to_owned())
}

/// A date that cannot be in the future (birth, onset); `today` is the clinic's.
pub fn past_date(raw: &str, what: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let date = parse_date(raw).map_err(|_| format!("Enter the {what} like 1980-03-31."))?;
    if date > today {
        return Err(format!("The {what} cannot be in the future."));
    }
    Ok(date)
}

/// When a programme is next to be reviewed, given the clinic's local date: not already past
/// and within a year, so a mistyped year is caught rather than hiding the case from the
/// review list.
pub fn review_date(raw: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let date = parse_date(raw)?;
    if date < today {
        return Err(format!(
            "That review date ({}) has passed: choose today or a later date, or leave it empty.",
            date.to_day()
        ));
    }
    if date > today + chrono::Duration::days(366) {
        return Err(format!(
            "That review date ({}) is more than a year away: check the year.",
            date.to_day()
        ));
    }
    Ok(date)
}

pub fn date_of_birth(raw: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    if raw.trim().is_empty() {
        return Err("Enter the date of birth.".into());
    }
    let date = past_date(raw, "date of birth", today)?;
    let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN);
    if date < earliest {
        return Err("Check the date of birth: it is before 1900.".into());
    }
    Ok(date)
}

/// Multi-line free text with a length limit; empty allowed. Tabs and line breaks are
/// kept; any other control character (NUL, escape, C1 codes) is refused: it has no place
/// in a record, and PostgreSQL cannot store a NUL at all.
pub fn bounded_text(raw: &str, max_chars: usize, what: &str) -> Result<String, String> {
    let text = raw.trim();
    if text.chars().count() > max_chars {
        return Err(format!("{what} has at most {max_chars} characters."));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(control_characters(what));
    }
    Ok(text.replace("\r\n", "\n"))
}

pub fn required_text(raw: &str, max_chars: usize, what: &str) -> Result<String, String> {
    let text = bounded_text(raw, max_chars, what)?;
    if text.is_empty() {
        return Err(format!("Enter {}.", what.to_lowercase()));
    }
    Ok(text)
}

/// One line of text (a name, a phone number, a title): no control character at all.
pub fn bounded_line(raw: &str, max_chars: usize, what: &str) -> Result<String, String> {
    let text = bounded_text(raw, max_chars, what)?;
    if text.chars().any(char::is_control) {
        return Err(control_characters(what));
    }
    Ok(text)
}

pub fn required_line(raw: &str, max_chars: usize, what: &str) -> Result<String, String> {
    let text = required_text(raw, max_chars, what)?;
    bounded_line(&text, max_chars, what)
}

fn control_characters(what: &str) -> String {
    format!(
        "{what} contains a control character (such as a NUL byte) that cannot be stored. Retype it or paste it as plain text."
    )
}

/// An optional whole number in a range; empty means not recorded.
pub fn optional_int(raw: &str, (low, high): (i32, i32), what: &str) -> Result<Option<i32>, String> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    match value.parse::<i32>() {
        Ok(n) if (low..=high).contains(&n) => Ok(Some(n)),
        _ => Err(format!(
            "{what} must be a whole number from {low} to {high}."
        )),
    }
}

/// The structured content of an assessment, stored as one JSON document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AssessmentContent {
    pub presenting_complaint: String,
    pub history: String,
    pub onset_mechanism: String,
    pub aggravating: String,
    pub easing: String,
    pub pattern_24h: String,
    pub work_posture: String,
    pub previous_episodes: String,
    pub medication: String,
    pub pain_now: Option<i32>,
    pub pain_best: Option<i32>,
    pub pain_worst: Option<i32>,
    pub body_regions: Vec<String>,
    /// Every red flag's answer, by key: "yes", "no" or "not-asked".
    pub red_flags: Vec<(String, String)>,
    pub posture: String,
    /// Thoracic movement as recorded before movements followed the case's region: kept to
    /// show older records; new ones record `outcomes.movements`.
    pub rotation_left: Option<i32>,
    pub rotation_right: Option<i32>,
    pub flexion: Option<i32>,
    pub extension: Option<i32>,
    pub shoulder_elevation: String,
    pub neuro_screen: String,
    pub palpation: String,
    pub special_tests: String,
    /// PSFS, movements and global rating of change (older records hold their PSFS here too).
    #[serde(flatten)]
    pub outcomes: OutcomeEntry,
    pub impression: String,
    pub plan: String,
    pub goals: String,
}

impl AssessmentContent {
    /// Nothing recorded but the date and time. A signed record can never be changed, so a
    /// blank one must not be signed. Every field is named, so a new one must be placed.
    pub fn is_blank(&self) -> bool {
        let Self {
            presenting_complaint,
            history,
            onset_mechanism,
            aggravating,
            easing,
            pattern_24h,
            work_posture,
            previous_episodes,
            medication,
            pain_now,
            pain_best,
            pain_worst,
            body_regions,
            red_flags,
            posture,
            rotation_left,
            rotation_right,
            flexion,
            extension,
            shoulder_elevation,
            neuro_screen,
            palpation,
            special_tests,
            outcomes,
            impression,
            plan,
            goals,
        } = self;
        [
            presenting_complaint,
            history,
            onset_mechanism,
            aggravating,
            easing,
            pattern_24h,
            work_posture,
            previous_episodes,
            medication,
            posture,
            shoulder_elevation,
            neuro_screen,
            palpation,
            special_tests,
            impression,
            plan,
            goals,
        ]
        .iter()
        .all(|text| text.trim().is_empty())
            && [
                pain_now,
                pain_best,
                pain_worst,
                rotation_left,
                rotation_right,
                flexion,
                extension,
            ]
            .iter()
            .all(|number| number.is_none())
            && body_regions.is_empty()
            && outcomes.is_blank()
            && red_flags.iter().all(|(_, answer)| answer == "not-asked")
    }

    pub fn flags_answered_yes(&self) -> Vec<String> {
        self.red_flags
            .iter()
            .filter(|(_, answer)| answer == "yes")
            .map(|(flag, _)| flag.clone())
            .collect()
    }

    /// The screen's questions left "not asked" (or predating this record): an initial
    /// assessment is not signed until each is answered.
    pub fn unanswered_screen(&self) -> Vec<(&'static str, &'static str)> {
        RED_FLAGS
            .iter()
            .filter(|(key, _)| self.red_flag_answer(key) == "not-asked")
            .copied()
            .collect()
    }

    pub fn red_flag_answer(&self, key: &str) -> &str {
        self.red_flags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, a)| a.as_str())
            .unwrap_or("not-asked")
    }

    /// The PSFS mean to one decimal, when any activity is scored.
    pub fn psfs_average(&self) -> Option<f64> {
        self.outcomes.psfs_mean()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default()
    }

    #[test]
    fn dates_of_birth_must_be_plausible() {
        assert!(date_of_birth("1980-03-31", today()).is_ok());
        assert!(date_of_birth("31/03/1980", today()).is_ok());
        assert!(date_of_birth("", today()).is_err());
        assert!(date_of_birth("1899-12-31", today()).is_err());
        assert!(date_of_birth("2999-01-01", today()).is_err());
        assert!(date_of_birth("1980-02-30", today()).is_err());
    }

    #[test]
    fn a_review_date_is_from_today_to_a_year_ahead() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap_or_default();
        for ok in ["2026-12-05", "26/12/2026", "2027-12-06"] {
            assert!(review_date(ok, today).is_ok(), "{ok}");
        }
        let past = review_date("2026-12-04", today).unwrap_err();
        assert!(past.contains("(4 Dec 2026) has passed"), "{past}");
        let far = review_date("2027-12-07", today).unwrap_err();
        assert!(far.contains("more than a year away"), "{far}");
        assert!(review_date("next week", today).is_err());
    }

    #[test]
    fn older_records_keep_their_psfs_and_average_to_one_decimal() {
        // Stored before outcome measures had their own entry: the same JSON still reads.
        let stored = r#"{"presenting_complaint":"Mid-back ache","psfs":[
            {"activity":"Lifting","score":3},{"activity":"Driving","score":4},
            {"activity":"Sleeping","score":4}],"rotation_left":40}"#;
        let content: AssessmentContent = serde_json::from_str(stored).unwrap_or_default();
        assert_eq!(content.outcomes.psfs.len(), 3);
        assert_eq!(content.outcomes.psfs[0].activity_id, None);
        assert_eq!(content.rotation_left, Some(40));
        assert_eq!(content.psfs_average(), Some(3.7));
        assert_eq!(AssessmentContent::default().psfs_average(), None);
    }

    #[test]
    fn screen_and_stop_keys_are_unique_and_only_chest_symptoms_are_emergencies() {
        let mut flags: Vec<&str> = RED_FLAGS.iter().map(|(k, _)| *k).collect();
        flags.sort_unstable();
        flags.dedup();
        assert_eq!(flags.len(), RED_FLAGS.len());
        let mut stops: Vec<&str> = STOP_SYMPTOMS.iter().map(|s| s.key).collect();
        stops.sort_unstable();
        stops.dedup();
        assert_eq!(stops.len(), STOP_SYMPTOMS.len());
        assert!(STOP_SYMPTOMS.iter().all(|s| !s.key.contains(',')));
        let emergencies: Vec<&str> = STOP_SYMPTOMS
            .iter()
            .filter(|s| s.emergency)
            .map(|s| s.key)
            .collect();
        assert_eq!(emergencies, ["chest-breathing"]);
        assert_eq!(
            red_flag_label("stop:chest-breathing"),
            "Patient reports chest pain or difficulty breathing"
        );
        assert_eq!(red_flag_label("tingling"), RED_FLAGS[1].1);
    }

    #[test]
    fn an_old_record_lacks_the_newer_questions_and_they_count_as_not_asked() {
        let old = AssessmentContent {
            red_flags: vec![("chest-pain".into(), "no".into())],
            ..AssessmentContent::default()
        };
        let unanswered = old.unanswered_screen();
        assert_eq!(unanswered.len(), RED_FLAGS.len() - 1);
        assert!(unanswered.iter().any(|(k, _)| *k == "tingling"));
        assert!(!unanswered.iter().any(|(k, _)| *k == "chest-pain"));
    }

    #[test]
    fn optional_numbers_are_checked() {
        assert_eq!(optional_int("", (0, 10), "Pain"), Ok(None));
        assert_eq!(optional_int(" 7 ", (0, 10), "Pain"), Ok(Some(7)));
        assert!(optional_int("11", (0, 10), "Pain").is_err());
        assert!(optional_int("7.5", (0, 10), "Pain").is_err());
        assert!(optional_int("181", (0, 180), "Rotation").is_err());
    }
}
