//! Timestamps read from SQLite without chrono's format-string parser.
//!
//! SQLite keeps a timestamp as text (`2026-11-22 08:45:12.123456`). Diesel reads it by
//! trying chrono format strings, parsing the format itself on every value: a case page
//! reads some sixty timestamps (one per pain score), and that parsing was a twentieth of
//! the server's time. `Stamp` reads the text diesel writes directly and hands anything
//! else to diesel's own reader, so every form diesel accepts is still accepted.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::sql_types::Timestamp;
use diesel::sqlite::{Sqlite, SqliteValue};

use super::DbBackend;

/// A `Timestamp` column's value; use it as `#[diesel(deserialize_as = Stamp)]` on a
/// `NaiveDateTime` field, or in place of `NaiveDateTime` in a loaded tuple.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, diesel::deserialize::FromSqlRow)]
pub struct Stamp(pub NaiveDateTime);

impl From<Stamp> for NaiveDateTime {
    fn from(stamp: Stamp) -> Self {
        stamp.0
    }
}

impl FromSql<Timestamp, Sqlite> for Stamp {
    fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        if let Some(at) = parse_stored(value.read_text()) {
            return Ok(Stamp(at));
        }
        <NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(Stamp)
    }
}

impl FromSql<Timestamp, Pg> for Stamp {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value).map(Stamp)
    }
}

impl FromSql<Timestamp, DbBackend> for Stamp {
    fn from_sql(
        value: <DbBackend as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        value.from_sql::<Self, Timestamp>()
    }
}

/// `YYYY-MM-DD HH:MM:SS` with an optional fraction of 1 to 9 digits: the form diesel
/// writes. Anything else (or an impossible date) is `None`.
fn parse_stored(text: &str) -> Option<NaiveDateTime> {
    let b = text.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let digits = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let nanos = match &b[19..] {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            let n = digits(20, b.len())?;
            n * 10u32.pow(9 - fraction.len() as u32)
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(digits(0, 4)?).ok()?,
        digits(5, 7)?,
        digits(8, 10)?,
    )?;
    let time =
        NaiveTime::from_hms_nano_opt(digits(11, 13)?, digits(14, 16)?, digits(17, 19)?, nanos)?;
    Some(date.and_time(time))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrono_reads(text: &str) -> Option<NaiveDateTime> {
        NaiveDateTime::parse_from_str(text, "%F %T%.f").ok()
    }

    #[test]
    fn reads_what_diesel_writes_as_chrono_does() {
        for text in [
            "2026-11-22 08:45:12",
            "2026-11-22 08:45:12.1",
            "2026-11-22 08:45:12.123456",
            "2026-11-22 08:45:12.123456789",
            "2024-02-29 23:59:59.000001",
            "0001-01-01 00:00:00",
        ] {
            assert_eq!(parse_stored(text), chrono_reads(text), "{text}");
            assert!(parse_stored(text).is_some(), "{text}");
        }
    }

    #[test]
    fn leaves_other_forms_to_diesel() {
        for text in [
            "2026-11-22T08:45:12",
            "2026-11-22 08:45",
            "2026-11-22 08:45:12Z",
            "2026-11-22 08:45:12+01:00",
            "2026-11-22 08:45:12.",
            "2026-11-22 08:45:12.1234567890",
            "2025-02-29 08:45:12",
            "2026-13-01 08:45:12",
            "2026-11-22 24:00:00",
            "2026-1a-22 08:45:12",
            "2460000.5",
            "",
        ] {
            assert_eq!(parse_stored(text), None, "{text}");
        }
    }

    #[test]
    fn reads_back_what_diesel_stored_through_either_connection() -> diesel::QueryResult<()> {
        use diesel::prelude::*;
        use diesel::{IntoSql, select};

        let written = chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
            .and_then(|d| d.and_hms_micro_opt(8, 45, 12, 123_456))
            .ok_or(diesel::result::Error::NotFound)?;
        let mut sqlite = diesel::SqliteConnection::establish(":memory:")
            .map_err(|e| diesel::result::Error::QueryBuilderError(e.into()))?;
        let native: Stamp = select(written.into_sql::<Timestamp>()).get_result(&mut sqlite)?;
        assert_eq!(native.0, written);
        let mut multi = super::super::DbConn::Sqlite(sqlite);
        let through_enum: Stamp = select(written.into_sql::<Timestamp>()).get_result(&mut multi)?;
        assert_eq!(through_enum.0, written);
        Ok(())
    }
}
