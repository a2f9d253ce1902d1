//! How much of an exercise, how often: sets, reps, holds, rests, side, frequency.

/// Which side of the body does the work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Both,
    Left,
    Right,
    Alternating,
    EachSide,
}

impl Side {
    pub const ALL: [Side; 5] = [
        Side::Both,
        Side::Left,
        Side::Right,
        Side::Alternating,
        Side::EachSide,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Both => "both",
            Self::Left => "left",
            Self::Right => "right",
            Self::Alternating => "alternating",
            Self::EachSide => "each-side",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|side| side.as_str() == raw.trim())
            .ok_or_else(|| "Choose a side: both, left, right, alternating or each side.".into())
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Both => "Both sides together",
            Self::Left => "Left only",
            Self::Right => "Right only",
            Self::Alternating => "Alternating sides",
            Self::EachSide => "Each side",
        }
    }

    /// The words used in the plain-language dosage line; None when nothing needs saying.
    fn words(self) -> Option<&'static str> {
        match self {
            Self::Both => None,
            Self::Left => Some("left side only"),
            Self::Right => Some("right side only"),
            Self::Alternating => Some("alternating sides"),
            Self::EachSide => Some("each side"),
        }
    }
}

/// A validated dosage. Ranges are the clinic's sanity limits, not clinical advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dosage {
    pub sets: i32,
    pub reps: i32,
    pub hold_seconds: i32,
    pub rest_seconds: i32,
    pub side: Side,
    pub times_per_day: i32,
    pub days_per_week: i32,
}

pub const SETS: (i32, i32) = (1, 20);
pub const REPS: (i32, i32) = (1, 100);
pub const HOLD_SECONDS: (i32, i32) = (0, 600);
pub const REST_SECONDS: (i32, i32) = (0, 600);
pub const TIMES_PER_DAY: (i32, i32) = (1, 10);
pub const DAYS_PER_WEEK: (i32, i32) = (1, 7);

/// The raw text of a dosage form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct DosageInput {
    #[serde(default)]
    pub sets: String,
    #[serde(default)]
    pub reps: String,
    #[serde(default)]
    pub hold_seconds: String,
    #[serde(default)]
    pub rest_seconds: String,
    #[serde(default)]
    pub side: String,
    #[serde(default)]
    pub times_per_day: String,
    #[serde(default)]
    pub days_per_week: String,
}

impl From<&Dosage> for DosageInput {
    fn from(d: &Dosage) -> Self {
        Self {
            sets: d.sets.to_string(),
            reps: d.reps.to_string(),
            hold_seconds: d.hold_seconds.to_string(),
            rest_seconds: d.rest_seconds.to_string(),
            side: d.side.as_str().to_owned(),
            times_per_day: d.times_per_day.to_string(),
            days_per_week: d.days_per_week.to_string(),
        }
    }
}

/// Parses a whole number within a range, with a message that names the field and the range.
pub fn int_in_range(raw: &str, what: &str, (low, high): (i32, i32)) -> Result<i32, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(format!("Enter {what} ({low}–{high})."));
    }
    match trimmed.parse::<i32>() {
        Ok(n) if (low..=high).contains(&n) => Ok(n),
        Ok(_) => Err(format!(
            "{} must be between {low} and {high}.",
            capitalise(what)
        )),
        Err(_) => Err(format!(
            "{} must be a whole number from {low} to {high}.",
            capitalise(what)
        )),
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl Dosage {
    /// Validates every field; errors are keyed `{prefix}sets`, `{prefix}reps`, … for the form.
    pub fn parse(
        input: &DosageInput,
        errors: &mut super::FormErrors,
        prefix: &str,
    ) -> Option<Self> {
        let field = |name: &str| format!("{prefix}{name}");
        let sets = errors.take(
            field("sets"),
            int_in_range(&input.sets, "the number of sets", SETS),
        );
        let reps = errors.take(
            field("reps"),
            int_in_range(&input.reps, "the number of repetitions", REPS),
        );
        let hold = errors.take(
            field("hold_seconds"),
            int_in_range(&input.hold_seconds, "the hold in seconds", HOLD_SECONDS),
        );
        let rest = errors.take(
            field("rest_seconds"),
            int_in_range(&input.rest_seconds, "the rest in seconds", REST_SECONDS),
        );
        let side = errors.take(field("side"), Side::parse(&input.side));
        let times = errors.take(
            field("times_per_day"),
            int_in_range(&input.times_per_day, "times per day", TIMES_PER_DAY),
        );
        let days = errors.take(
            field("days_per_week"),
            int_in_range(&input.days_per_week, "days per week", DAYS_PER_WEEK),
        );
        Some(Self {
            sets: sets?,
            reps: reps?,
            hold_seconds: hold?,
            rest_seconds: rest?,
            side: side?,
            times_per_day: times?,
            days_per_week: days?,
        })
    }

    /// The dosage in plain words for a patient, e.g.
    /// "3 sets of 10, hold 5 seconds, each side, twice a day, every day".
    pub fn plain_words(&self) -> String {
        let mut parts = vec![format!(
            "{} {} of {}",
            self.sets,
            if self.sets == 1 { "set" } else { "sets" },
            self.reps
        )];
        if self.hold_seconds > 0 {
            parts.push(format!("hold {}", duration_words(self.hold_seconds)));
        }
        if self.rest_seconds > 0 {
            let between = if self.sets > 1 { "sets" } else { "repetitions" };
            parts.push(format!(
                "rest {} between {between}",
                duration_words(self.rest_seconds)
            ));
        }
        if let Some(side) = self.side.words() {
            parts.push(side.to_owned());
        }
        parts.push(match self.times_per_day {
            1 => "once a day".to_owned(),
            2 => "twice a day".to_owned(),
            n => format!("{n} times a day"),
        });
        parts.push(match self.days_per_week {
            7 => "every day".to_owned(),
            1 => "once a week".to_owned(),
            n => format!("{n} days a week"),
        });
        parts.join(", ")
    }
}

fn duration_words(seconds: i32) -> String {
    if seconds >= 60 && seconds % 60 == 0 {
        let minutes = seconds / 60;
        format!(
            "{minutes} {}",
            if minutes == 1 { "minute" } else { "minutes" }
        )
    } else {
        format!(
            "{seconds} {}",
            if seconds == 1 { "second" } else { "seconds" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::FormErrors;

    fn dosage(
        sets: i32,
        reps: i32,
        hold: i32,
        rest: i32,
        side: Side,
        times: i32,
        days: i32,
    ) -> Dosage {
        Dosage {
            sets,
            reps,
            hold_seconds: hold,
            rest_seconds: rest,
            side,
            times_per_day: times,
            days_per_week: days,
        }
    }

    #[test]
    fn the_example_reads_as_the_clinic_writes_it() {
        let d = dosage(3, 10, 5, 0, Side::EachSide, 2, 7);
        assert_eq!(
            d.plain_words(),
            "3 sets of 10, hold 5 seconds, each side, twice a day, every day"
        );
    }

    #[test]
    fn every_side_reads_plainly() {
        let expected = [
            (Side::Both, "1 set of 5, once a day, every day"),
            (
                Side::Left,
                "1 set of 5, left side only, once a day, every day",
            ),
            (
                Side::Right,
                "1 set of 5, right side only, once a day, every day",
            ),
            (
                Side::Alternating,
                "1 set of 5, alternating sides, once a day, every day",
            ),
            (
                Side::EachSide,
                "1 set of 5, each side, once a day, every day",
            ),
        ];
        for (side, words) in expected {
            assert_eq!(dosage(1, 5, 0, 0, side, 1, 7).plain_words(), words);
        }
    }

    #[test]
    fn holds_and_rests_read_in_seconds_or_minutes() {
        let cases = [
            (0, 0, "2 sets of 8, once a day, every day"),
            (1, 0, "2 sets of 8, hold 1 second, once a day, every day"),
            (30, 0, "2 sets of 8, hold 30 seconds, once a day, every day"),
            (60, 0, "2 sets of 8, hold 1 minute, once a day, every day"),
            (90, 0, "2 sets of 8, hold 90 seconds, once a day, every day"),
            (
                120,
                30,
                "2 sets of 8, hold 2 minutes, rest 30 seconds between sets, once a day, every day",
            ),
        ];
        for (hold, rest, words) in cases {
            assert_eq!(
                dosage(2, 8, hold, rest, Side::Both, 1, 7).plain_words(),
                words
            );
        }
        assert_eq!(
            dosage(1, 4, 30, 10, Side::EachSide, 1, 7).plain_words(),
            "1 set of 4, hold 30 seconds, rest 10 seconds between repetitions, each side, once a day, every day"
        );
    }

    #[test]
    fn frequencies_read_plainly() {
        let cases = [
            (1, 7, "once a day, every day"),
            (2, 7, "twice a day, every day"),
            (3, 5, "3 times a day, 5 days a week"),
            (10, 1, "10 times a day, once a week"),
            (1, 2, "once a day, 2 days a week"),
        ];
        for (times, days, tail) in cases {
            let words = dosage(3, 10, 0, 0, Side::Both, times, days).plain_words();
            assert_eq!(words, format!("3 sets of 10, {tail}"));
        }
    }

    #[test]
    fn every_combination_names_each_part_once() {
        for side in Side::ALL {
            for hold in [0, 5, 60] {
                for times in 1..=3 {
                    for days in [1, 3, 7] {
                        let words = dosage(3, 10, hold, 0, side, times, days).plain_words();
                        assert!(words.starts_with("3 sets of 10"), "{words}");
                        assert_eq!(words.contains("hold"), hold > 0, "{words}");
                        assert_eq!(words.matches("a day").count(), 1, "{words}");
                        assert!(
                            words.ends_with("every day") || words.ends_with("a week"),
                            "{words}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn ranges_are_enforced_with_clear_messages() {
        let mut errors = FormErrors::default();
        let input = DosageInput {
            sets: "0".into(),
            reps: "abc".into(),
            hold_seconds: "601".into(),
            rest_seconds: "".into(),
            side: "up".into(),
            times_per_day: "11".into(),
            days_per_week: "8".into(),
        };
        assert_eq!(Dosage::parse(&input, &mut errors, ""), None);
        assert_eq!(
            errors.get("sets"),
            "The number of sets must be between 1 and 20."
        );
        assert_eq!(
            errors.get("reps"),
            "The number of repetitions must be a whole number from 1 to 100."
        );
        assert_eq!(
            errors.get("hold_seconds"),
            "The hold in seconds must be between 0 and 600."
        );
        assert_eq!(
            errors.get("rest_seconds"),
            "Enter the rest in seconds (0–600)."
        );
        assert!(errors.has("side"));
        assert!(errors.has("times_per_day") && errors.has("days_per_week"));

        let mut errors = FormErrors::default();
        let good = DosageInput::from(&dosage(20, 100, 600, 600, Side::Left, 10, 7));
        assert!(Dosage::parse(&good, &mut errors, "item2_").is_some());
        assert!(errors.is_empty());
        let mut errors = FormErrors::default();
        let bad = DosageInput {
            sets: "21".into(),
            ..good
        };
        assert!(Dosage::parse(&bad, &mut errors, "item2_").is_none());
        assert!(errors.has("item2_sets"));
    }
}
