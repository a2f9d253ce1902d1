//! How dates and times read on pages, sheets and exports.

use std::fmt;

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

/// Display adapters for a stored UTC time. Bring the trait into scope to use them in a
/// template: `{{ assessment.assessed_at.to_minute() }}`.
pub trait Shown {
    /// `2026-11-22 08:45`
    fn to_minute(&self) -> ToMinute;
    /// `2026-11-22 08:45:12`
    fn to_second(&self) -> ToSecond;
    /// `2026-11-22T08:45`, the value an `<input type="datetime-local">` takes.
    fn to_input(&self) -> ToInput;
    /// `2026-11-22T08:45:12Z`, for `<time datetime>` and exports (RFC 3339, UTC).
    fn to_utc(&self) -> ToUtc;
}

impl Shown for NaiveDateTime {
    fn to_minute(&self) -> ToMinute {
        ToMinute(*self)
    }
    fn to_second(&self) -> ToSecond {
        ToSecond(*self)
    }
    fn to_input(&self) -> ToInput {
        ToInput(*self)
    }
    fn to_utc(&self) -> ToUtc {
        ToUtc(*self)
    }
}

/// The display adapter for a calendar day that needs more than `{{ day }}`.
pub trait ShownDay {
    /// `2026-11-22 (Sun)`
    fn with_weekday(&self) -> WithWeekday;
}

impl ShownDay for NaiveDate {
    fn with_weekday(&self) -> WithWeekday {
        WithWeekday(*self)
    }
}

pub struct ToMinute(NaiveDateTime);
pub struct ToSecond(NaiveDateTime);
pub struct ToInput(NaiveDateTime);
pub struct ToUtc(NaiveDateTime);
pub struct WithWeekday(NaiveDate);

/// `YYYY-MM-DD` + `sep` + `HH:MM`, then `:SS` and `end` when `seconds` is given.
fn day_and_minute(
    f: &mut fmt::Formatter<'_>,
    at: &NaiveDateTime,
    sep: char,
    seconds: Option<&str>,
) -> fmt::Result {
    write!(
        f,
        "{:04}-{:02}-{:02}{sep}{:02}:{:02}",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute()
    )?;
    match seconds {
        Some(end) => write!(f, ":{:02}{end}", at.second()),
        None => Ok(()),
    }
}

impl fmt::Display for ToMinute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        day_and_minute(f, &self.0, ' ', None)
    }
}

impl fmt::Display for ToSecond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        day_and_minute(f, &self.0, ' ', Some(""))
    }
}

impl fmt::Display for ToInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        day_and_minute(f, &self.0, 'T', None)
    }
}

impl fmt::Display for ToUtc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        day_and_minute(f, &self.0, 'T', Some("Z"))
    }
}

impl fmt::Display for WithWeekday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.0, self.0.weekday())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_reads_as_chrono_would_write_it() {
        for at in [
            "2026-11-22 08:45:12.123456",
            "2026-01-02 03:04:05",
            "1999-12-31 23:59:59",
            "2026-11-22 00:00:00",
            "0009-03-04 05:06:07",
        ]
        .map(|text| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
                .unwrap_or_else(|e| panic!("{text}: {e}"))
        }) {
            assert_eq!(
                at.to_minute().to_string(),
                at.format("%Y-%m-%d %H:%M").to_string()
            );
            assert_eq!(
                at.to_second().to_string(),
                at.format("%Y-%m-%d %H:%M:%S").to_string()
            );
            assert_eq!(
                at.to_input().to_string(),
                at.format("%Y-%m-%dT%H:%M").to_string()
            );
            assert_eq!(
                at.to_utc().to_string(),
                at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
            );
            assert_eq!(
                at.date().with_weekday().to_string(),
                at.format("%Y-%m-%d (%a)").to_string()
            );
            assert_eq!(at.date().to_string(), at.format("%Y-%m-%d").to_string());
        }
    }

    #[test]
    fn years_beyond_four_digits_are_written_whole() {
        for (year, minute, utc, day) in [
            (
                12026,
                "12026-03-15 12:00",
                "12026-03-15T12:00:09Z",
                "+12026-03-15 (Sun)",
            ),
            (
                -44,
                "-044-03-15 12:00",
                "-044-03-15T12:00:09Z",
                "-0044-03-15 (Thu)",
            ),
        ] {
            let at = NaiveDate::from_ymd_opt(year, 3, 15)
                .and_then(|d| d.and_hms_opt(12, 0, 9))
                .unwrap_or_else(|| panic!("{year}"));
            assert_eq!(at.to_minute().to_string(), minute);
            assert_eq!(at.to_utc().to_string(), utc);
            assert_eq!(at.date().with_weekday().to_string(), day);
        }
    }
}
