//! Civil dates and timestamps without a clock: days since the Unix epoch, UTC.

use prost_types::Timestamp;

const SECONDS_PER_DAY: i64 = 86_400;

/// A calendar date as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub i64);

impl Date {
    /// Parses "YYYY-MM-DD" strictly (a real date, four-digit year).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let number = |range: std::ops::Range<usize>| -> Option<i64> {
            let part = text.get(range)?;
            if part.bytes().all(|b| b.is_ascii_digit()) {
                part.parse().ok()
            } else {
                None
            }
        };
        let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        Some(Self(days_from_civil(year, month, day)))
    }

    /// The UTC date of a timestamp.
    #[must_use]
    pub fn of_timestamp(ts: &Timestamp) -> Self {
        Self(ts.seconds.div_euclid(SECONDS_PER_DAY))
    }

    /// (year, month, day).
    #[must_use]
    pub fn civil(self) -> (i64, i64, i64) {
        civil_from_days(self.0)
    }

    /// Seconds since the epoch at `hour_utc` on this date.
    #[must_use]
    pub fn seconds_at(self, hour_utc: i64) -> i64 {
        self.0 * SECONDS_PER_DAY + hour_utc * 3600
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's algorithms (public domain), exact over the proleptic Gregorian calendar.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = if month <= 2 {
        yoe + era * 400 + 1
    } else {
        yoe + era * 400
    };
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_through_day_numbers() {
        let date = Date::parse("2025-01-17").unwrap();
        assert_eq!(date.civil(), (2025, 1, 17));
        assert_eq!(Date::parse("1970-01-01").unwrap().0, 0);
        assert_eq!(Date::parse("2024-02-29").unwrap().civil(), (2024, 2, 29));
    }

    #[test]
    fn impossible_dates_are_refused() {
        for text in [
            "2025-02-29",
            "2025-13-01",
            "2025-1-01",
            "20250117",
            "2025-01-32",
            "abcd-01-01",
        ] {
            assert!(Date::parse(text).is_none(), "{text}");
        }
    }

    #[test]
    fn timestamp_maps_to_its_utc_date() {
        let ts = Timestamp {
            seconds: 1_737_072_000 + 3600,
            nanos: 0,
        };
        assert_eq!(Date::of_timestamp(&ts), Date::parse("2025-01-17").unwrap());
    }
}
