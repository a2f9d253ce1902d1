//! Local time: the clinic's zone, how dates and times read on pages, sheets and exports, and
//! how a form's local wall time becomes a stored UTC instant. Instants are stored in UTC
//! (`NaiveDateTime` without a zone); everything a person reads or types is local.

use std::borrow::Borrow;
use std::fmt;

use chrono::offset::LocalResult;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetName, Tz};

/// An IANA time zone from the compiled-in zone database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(Tz);

impl Default for Zone {
    fn default() -> Self {
        Self::UTC
    }
}

/// Why a form's local time was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WallTimeError {
    /// Not a date and time at all.
    Unreadable,
    /// The clocks skipped it; the text says why.
    Skipped(String),
    /// Later than now.
    Future,
}

/// How a local wall time typed into a form maps to an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WallTime {
    pub utc: NaiveDateTime,
    /// Set when the clocks went back and the wall time happened twice: the earlier instant
    /// is taken and this says so, for the page to show.
    pub ambiguity: Option<String>,
}

impl Zone {
    pub const UTC: Zone = Zone(Tz::UTC);

    /// An exact IANA name ("Europe/London"); anything else is refused.
    pub fn parse(name: &str) -> Option<Zone> {
        name.trim().parse::<Tz>().ok().map(Zone)
    }

    /// The zone the server itself runs in, if the system says and chrono-tz knows it.
    pub fn of_this_server() -> Option<Zone> {
        iana_time_zone::get_timezone()
            .ok()
            .and_then(|name| Zone::parse(&name))
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// A stored UTC instant in this zone.
    pub fn local(self, utc: NaiveDateTime) -> DateTime<Tz> {
        self.0.from_utc_datetime(&utc)
    }

    /// The local calendar day a stored UTC instant falls on.
    pub fn day_of(self, utc: NaiveDateTime) -> NaiveDate {
        self.local(utc).date_naive()
    }

    /// Today, here.
    pub fn today(self) -> NaiveDate {
        self.day_of(Utc::now().naive_utc())
    }

    /// The first UTC instant of a local day (a day can start after midnight where the
    /// clocks go forward at midnight), for ranges over stored instants.
    pub fn start_of_day(self, day: NaiveDate) -> NaiveDateTime {
        let midnight = day.and_time(chrono::NaiveTime::MIN);
        // Clocks never jump by more than a day; step forward a quarter hour at a time.
        (0..=96)
            .map(|step| midnight + Duration::minutes(15 * step))
            .find_map(|wall| self.0.from_local_datetime(&wall).earliest())
            .map(|at| at.naive_utc())
            .unwrap_or(midnight)
    }

    /// A form's local wall time as a UTC instant. A time the clocks skipped is refused,
    /// saying why; a time that happened twice takes the earlier instant and says so.
    pub fn from_wall(self, wall: NaiveDateTime) -> Result<WallTime, String> {
        match self.0.from_local_datetime(&wall) {
            LocalResult::Single(at) => Ok(WallTime {
                utc: at.naive_utc(),
                ambiguity: None,
            }),
            LocalResult::Ambiguous(earlier, later) => Ok(WallTime {
                utc: earlier.naive_utc(),
                ambiguity: Some(format!(
                    "{} on {} happened twice in {} (the clocks went back from {} to {}); \
                     it is recorded as the first, {}.",
                    clock(&wall),
                    wall.date().to_day(),
                    self.name(),
                    abbreviation(&earlier),
                    abbreviation(&later),
                    earlier.naive_utc().to_minute(self),
                )),
            }),
            LocalResult::None => {
                let before = self.0.from_local_datetime(&(wall - Duration::hours(6)));
                let after = self.0.from_local_datetime(&(wall + Duration::hours(6)));
                let change = match (before.earliest(), after.latest()) {
                    (Some(b), Some(a)) => {
                        format!(" from {} to {}", abbreviation(&b), abbreviation(&a))
                    }
                    _ => String::new(),
                };
                Err(format!(
                    "There was no {} on {} in {}: the clocks went forward{change} that \
                     night. Enter the time the clock showed.",
                    clock(&wall),
                    wall.date().to_day(),
                    self.name(),
                ))
            }
        }
    }

    /// Parses an `<input type="datetime-local">` value as local wall time.
    pub fn from_input(self, text: &str) -> Result<WallTime, WallTimeError> {
        let wall = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M")
            .or_else(|_| NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M:%S"))
            .map_err(|_| WallTimeError::Unreadable)?;
        self.from_wall(wall).map_err(WallTimeError::Skipped)
    }

    /// A form's local time of something that has already happened. "Not in the future" is
    /// judged between instants, after conversion, with a few minutes' grace for clock skew.
    pub fn past_from_input(self, text: &str) -> Result<WallTime, WallTimeError> {
        let taken = self.from_input(text)?;
        if taken.utc > Utc::now().naive_utc() + Duration::minutes(10) {
            return Err(WallTimeError::Future);
        }
        Ok(taken)
    }

    /// Now as a local wall time, the value a `datetime-local` input starts with.
    pub fn now_input(self) -> String {
        Utc::now().naive_utc().to_input(self).to_string()
    }
}

fn clock(wall: &NaiveDateTime) -> String {
    wall.format("%H:%M").to_string()
}

/// "GMT", "AEDT"; a zone whose database has only a number reads "UTC+05:45".
fn abbreviation(at: &DateTime<Tz>) -> String {
    match at.offset().abbreviation() {
        Some(name) if !name.starts_with(['+', '-']) => name.to_owned(),
        _ => format!("UTC{}", at.offset().fix()),
    }
}

/// The zones a clinic chooses from, grouped by region, in the zone database's spelling.
/// Old aliases ("US/Pacific", "GB") are left out of the list but still accepted.
pub fn zone_choices() -> Vec<(&'static str, Vec<&'static str>)> {
    const REGIONS: [&str; 9] = [
        "Africa",
        "America",
        "Antarctica",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    ];
    let mut groups: Vec<(&'static str, Vec<&'static str>)> =
        REGIONS.iter().map(|region| (*region, Vec::new())).collect();
    for tz in chrono_tz::TZ_VARIANTS.iter() {
        let name = tz.name();
        let Some((region, _)) = name.split_once('/') else {
            continue;
        };
        if let Some((_, names)) = groups.iter_mut().find(|(r, _)| *r == region) {
            names.push(name);
        }
    }
    for (_, names) in &mut groups {
        names.sort_unstable();
    }
    groups.push(("Other", vec!["UTC"]));
    groups
}

/// Display adapters for a stored UTC instant. Bring the trait into scope to use them in a
/// template: `{{ assessment.assessed_at.to_minute(layout.zone) }}`.
pub trait Shown {
    /// `7 Dec 2026, 14:05 GMT`
    fn to_minute(&self, zone: impl Borrow<Zone>) -> ToMinute;
    /// `7 Dec 2026, 14:05:09 GMT`
    fn to_second(&self, zone: impl Borrow<Zone>) -> ToSecond;
    /// `2026-12-07T14:05`, local: the value an `<input type="datetime-local">` takes.
    fn to_input(&self, zone: impl Borrow<Zone>) -> ToInput;
    /// `2026-12-07T14:05:09Z`, for `<time datetime>` (RFC 3339, UTC).
    fn to_utc(&self) -> ToUtc;
    /// `2026-12-07T14:05:09+00:00`, for exports (ISO 8601 with the local offset).
    fn to_offset(&self, zone: impl Borrow<Zone>) -> ToOffset;
    /// `7 Dec 2026`: the local day the instant falls on.
    fn to_day_in(&self, zone: impl Borrow<Zone>) -> ToDay;
}

impl Shown for NaiveDateTime {
    fn to_minute(&self, zone: impl Borrow<Zone>) -> ToMinute {
        ToMinute(zone.borrow().local(*self))
    }
    fn to_second(&self, zone: impl Borrow<Zone>) -> ToSecond {
        ToSecond(zone.borrow().local(*self))
    }
    fn to_input(&self, zone: impl Borrow<Zone>) -> ToInput {
        ToInput(zone.borrow().local(*self).naive_local())
    }
    fn to_utc(&self) -> ToUtc {
        ToUtc(*self)
    }
    fn to_offset(&self, zone: impl Borrow<Zone>) -> ToOffset {
        ToOffset(zone.borrow().local(*self))
    }
    fn to_day_in(&self, zone: impl Borrow<Zone>) -> ToDay {
        ToDay(zone.borrow().day_of(*self))
    }
}

/// Display adapters for a calendar day.
pub trait ShownDay {
    /// `7 Dec 2026`
    fn to_day(&self) -> ToDay;
    /// `Mon 7 Dec 2026`
    fn with_weekday(&self) -> WithWeekday;
}

impl ShownDay for NaiveDate {
    fn to_day(&self) -> ToDay {
        ToDay(*self)
    }
    fn with_weekday(&self) -> WithWeekday {
        WithWeekday(*self)
    }
}

pub struct ToMinute(DateTime<Tz>);
pub struct ToSecond(DateTime<Tz>);
pub struct ToInput(NaiveDateTime);
pub struct ToUtc(NaiveDateTime);
pub struct ToOffset(DateTime<Tz>);
pub struct ToDay(NaiveDate);
pub struct WithWeekday(NaiveDate);

/// `7 Dec 2026`: the one way a person reads a date.
const DAY: &str = "%-d %b %Y";

impl fmt::Display for ToMinute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, {}", self.0.format(DAY), self.0.format("%H:%M"))?;
        write!(f, " {}", abbreviation(&self.0))
    }
}

impl fmt::Display for ToSecond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, {}", self.0.format(DAY), self.0.format("%H:%M:%S"))?;
        write!(f, " {}", abbreviation(&self.0))
    }
}

/// What a `datetime-local` input takes.
impl fmt::Display for ToInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%dT%H:%M"))
    }
}

impl fmt::Display for ToUtc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%dT%H:%M:%SZ"))
    }
}

impl fmt::Display for ToOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%dT%H:%M:%S%:z"))
    }
}

impl fmt::Display for ToDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format(DAY))
    }
}

impl fmt::Display for WithWeekday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%a %-d %b %Y"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str) -> Zone {
        Zone::parse(name).unwrap_or_else(|| panic!("{name} is in the zone database"))
    }

    fn wall(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn machine_forms_read_as_chrono_would_write_them() {
        for at in ["2026-11-22 08:45", "2026-01-02 03:04", "1999-12-31 23:59"].map(wall) {
            assert_eq!(
                at.to_utc().to_string(),
                at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
            );
            assert_eq!(
                at.to_input(Zone::UTC).to_string(),
                at.format("%Y-%m-%dT%H:%M").to_string()
            );
            assert_eq!(
                at.to_offset(zone("Australia/Adelaide")).to_string(),
                zone("Australia/Adelaide")
                    .local(at)
                    .format("%Y-%m-%dT%H:%M:%S%:z")
                    .to_string()
            );
        }
    }

    #[test]
    fn people_read_local_dates_and_times_with_the_zone() {
        let at = wall("2026-07-07 13:05");
        assert_eq!(
            at.to_minute(zone("Europe/London")).to_string(),
            "7 Jul 2026, 14:05 BST"
        );
        assert_eq!(
            wall("2026-12-07 13:05")
                .to_minute(zone("Europe/London"))
                .to_string(),
            "7 Dec 2026, 13:05 GMT"
        );
        assert_eq!(
            at.to_minute(zone("Australia/Sydney")).to_string(),
            "7 Jul 2026, 23:05 AEST"
        );
        assert_eq!(
            at.to_second(zone("America/Los_Angeles")).to_string(),
            "7 Jul 2026, 06:05:00 PDT"
        );
        assert_eq!(
            at.to_input(zone("Australia/Sydney")).to_string(),
            "2026-07-07T23:05"
        );
        assert_eq!(
            at.to_offset(zone("America/Los_Angeles")).to_string(),
            "2026-07-07T06:05:00-07:00"
        );
        assert_eq!(at.date().to_day().to_string(), "7 Jul 2026");
        assert_eq!(at.date().with_weekday().to_string(), "Tue 7 Jul 2026");
        // A zone whose database abbreviation is a number is written as an offset.
        assert_eq!(
            at.to_minute(zone("Asia/Kathmandu")).to_string(),
            "7 Jul 2026, 18:50 UTC+05:45"
        );
    }

    #[test]
    fn years_beyond_four_digits_are_written_whole() {
        let at = NaiveDate::from_ymd_opt(12026, 3, 15)
            .and_then(|d| d.and_hms_opt(12, 0, 9))
            .unwrap_or_else(|| panic!("a far year"));
        // ISO 8601's expanded form: a year past 9999 takes a sign.
        assert_eq!(at.to_utc().to_string(), "+12026-03-15T12:00:09Z");
        assert_eq!(at.date().to_day().to_string(), "15 Mar +12026");
    }

    #[test]
    fn a_skipped_wall_time_is_refused_saying_why() {
        for (name, skipped, words) in [
            ("Europe/London", "2027-03-28 01:30", "from GMT to BST"),
            ("America/New_York", "2027-03-14 02:30", "from EST to EDT"),
            (
                "Australia/Adelaide",
                "2026-10-04 02:30",
                "from ACST to ACDT",
            ),
        ] {
            let refusal = zone(name)
                .from_wall(wall(skipped))
                .expect_err("the clocks skipped this time");
            assert!(refusal.contains("clocks went forward"), "{refusal}");
            assert!(refusal.contains(words), "{name}: {refusal}");
            assert!(refusal.contains(name), "{refusal}");
        }
    }

    #[test]
    fn a_repeated_wall_time_takes_the_earlier_instant_and_says_so() {
        for (name, repeated, earlier_utc, first) in [
            (
                "Europe/London",
                "2026-10-25 01:30",
                "2026-10-25 00:30",
                "BST",
            ),
            (
                "America/New_York",
                "2026-11-01 01:30",
                "2026-11-01 05:30",
                "EDT",
            ),
            // Adelaide: half-hour offsets, +10:30 in summer and +09:30 in winter.
            (
                "Australia/Adelaide",
                "2027-04-04 02:30",
                "2027-04-03 16:00",
                "ACDT",
            ),
        ] {
            let taken = zone(name)
                .from_wall(wall(repeated))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(taken.utc, wall(earlier_utc), "{name}");
            let note = taken.ambiguity.unwrap_or_default();
            assert!(note.contains("happened twice"), "{note}");
            assert!(note.contains(first), "{name}: {note}");
        }
    }

    #[test]
    fn ordinary_wall_times_map_one_to_one() {
        let adelaide = zone("Australia/Adelaide");
        let taken = adelaide
            .from_input("2026-07-01T09:00")
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(taken.utc, wall("2026-06-30 23:30"));
        assert_eq!(taken.ambiguity, None);
        assert_eq!(taken.utc.to_input(adelaide).to_string(), "2026-07-01T09:00");
        assert_eq!(
            adelaide.from_input("yesterday"),
            Err(WallTimeError::Unreadable)
        );
    }

    #[test]
    fn local_days_follow_the_zone() {
        let sydney = zone("Australia/Sydney");
        // 23:30 and 00:30 local in summer (AEDT, +11).
        assert_eq!(
            sydney.day_of(wall("2026-12-06 12:30")),
            NaiveDate::from_ymd_opt(2026, 12, 6).unwrap_or_default()
        );
        assert_eq!(
            sydney.day_of(wall("2026-12-06 13:30")),
            NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default()
        );
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default();
        assert_eq!(sydney.start_of_day(day), wall("2026-12-06 13:00"));
        assert_eq!(Zone::UTC.start_of_day(day), wall("2026-12-07 00:00"));
    }

    #[test]
    fn only_names_in_the_zone_database_are_zones() {
        assert!(Zone::parse("Europe/London").is_some());
        assert!(Zone::parse("Mars/Olympus_Mons").is_none());
        assert!(Zone::parse("+05:00").is_none());
        let choices = zone_choices();
        let all: Vec<&str> = choices.iter().flat_map(|(_, n)| n.clone()).collect();
        assert!(all.contains(&"Australia/Adelaide"));
        assert!(all.contains(&"UTC"));
        assert!(!all.contains(&"US/Pacific"));
        assert!(all.iter().all(|name| Zone::parse(name).is_some()));
    }
}
