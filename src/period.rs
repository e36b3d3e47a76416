//! Budget periods and their windows in an organization's time zone; a window is derived from an instant.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Period {
    Daily,
    /// ISO weeks, starting on Monday.
    Weekly,
    Monthly,
    Quarterly,
}

/// A half-open interval `[start, end)` of one period, in UTC instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Window {
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end
    }

    pub fn length(&self) -> Duration {
        self.end - self.start
    }

    /// Share of the window already elapsed at `at`, clamped to `[0, 1]`.
    pub fn elapsed_fraction(&self, at: DateTime<Utc>) -> f64 {
        let total = self.length().num_seconds().max(1) as f64;
        let done = (at - self.start).num_seconds() as f64;
        (done / total).clamp(0.0, 1.0)
    }
}

impl Period {
    pub const ALL: [Period; 4] = [Period::Daily, Period::Weekly, Period::Monthly, Period::Quarterly];

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Daily => "daily",
            Period::Weekly => "weekly",
            Period::Monthly => "monthly",
            Period::Quarterly => "quarterly",
        }
    }

    /// The window of this period that contains `at`, with boundaries at local midnight in `tz`.
    pub fn window_at(self, at: DateTime<Utc>, tz: Tz) -> Window {
        let local_date = at.with_timezone(&tz).date_naive();
        let first = self.first_day(local_date);
        let next = self.next_first_day(first);
        Window { start: start_of_day(first, tz), end: start_of_day(next, tz) }
    }

    /// The window directly before `window` (for comparisons with the previous period).
    pub fn previous(self, window: Window, tz: Tz) -> Window {
        self.window_at(window.start - Duration::seconds(1), tz)
    }

    fn first_day(self, date: NaiveDate) -> NaiveDate {
        match self {
            Period::Daily => date,
            Period::Weekly => date - Duration::days(i64::from(date.weekday().num_days_from_monday())),
            Period::Monthly => date.with_day(1).unwrap_or(date),
            Period::Quarterly => {
                let quarter_month = (date.month0() / 3) * 3 + 1;
                NaiveDate::from_ymd_opt(date.year(), quarter_month, 1).unwrap_or(date)
            }
        }
    }

    fn next_first_day(self, first: NaiveDate) -> NaiveDate {
        match self {
            Period::Daily => first + Duration::days(1),
            Period::Weekly => first + Duration::days(7),
            Period::Monthly => first + Months::new(1),
            Period::Quarterly => first + Months::new(3),
        }
    }
}

/// The first instant of a local calendar day. Where midnight does not exist (a DST jump at
/// midnight), the day starts at the first local time that does; where it occurs twice, the first.
pub fn start_of_day(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut local: NaiveDateTime = date.and_time(NaiveTime::MIN);
    // Transitions fall on quarter hours; a zone may skip a whole day (Samoa, 2011), so look two ahead.
    for _ in 0..(4 * 48) {
        if let Some(instant) = tz.from_local_datetime(&local).earliest() {
            return instant.with_timezone(&Utc);
        }
        local += Duration::minutes(15);
    }
    Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN))
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown period '{0}' (expected daily, weekly, monthly or quarterly)")]
pub struct UnknownPeriod(pub String);

impl FromStr for Period {
    type Err = UnknownPeriod;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Period::ALL.into_iter().find(|p| p.as_str() == s).ok_or_else(|| UnknownPeriod(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn daily_window_follows_local_midnight() {
        let tz: Tz = "America/New_York".parse().unwrap();
        // 03:30 UTC on 15 Jan is 22:30 on 14 Jan in New York (UTC-5).
        let w = Period::Daily.window_at(utc(2026, 1, 15, 3, 30), tz);
        assert_eq!(w.start, utc(2026, 1, 14, 5, 0));
        assert_eq!(w.end, utc(2026, 1, 15, 5, 0));
    }

    #[test]
    fn dst_days_are_23_and_25_hours_long() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let spring = Period::Daily.window_at(utc(2026, 3, 29, 12, 0), tz);
        assert_eq!(spring.length(), Duration::hours(23));
        let autumn = Period::Daily.window_at(utc(2026, 10, 25, 12, 0), tz);
        assert_eq!(autumn.length(), Duration::hours(25));
    }

    #[test]
    fn midnight_dst_gap_starts_the_day_at_the_jump() {
        // Santiago springs forward at 00:00 -> 01:00 on 2026-09-06.
        let tz: Tz = "America/Santiago".parse().unwrap();
        let w = Period::Daily.window_at(utc(2026, 9, 6, 12, 0), tz);
        assert_eq!(w.start.with_timezone(&tz).time(), NaiveTime::from_hms_opt(1, 0, 0).unwrap());
        assert_eq!(w.length(), Duration::hours(23));
    }

    #[test]
    fn weeks_start_on_monday_and_months_and_quarters_on_the_first() {
        let tz = Tz::UTC;
        let at = utc(2024, 2, 29, 18, 0); // a Thursday in a leap February
        assert_eq!(Period::Weekly.window_at(at, tz).start, utc(2024, 2, 26, 0, 0));
        let month = Period::Monthly.window_at(at, tz);
        assert_eq!((month.start, month.end), (utc(2024, 2, 1, 0, 0), utc(2024, 3, 1, 0, 0)));
        let quarter = Period::Quarterly.window_at(utc(2026, 12, 31, 23, 59), tz);
        assert_eq!((quarter.start, quarter.end), (utc(2026, 10, 1, 0, 0), utc(2027, 1, 1, 0, 0)));
    }

    #[test]
    fn previous_window_is_adjacent() {
        let tz: Tz = "Asia/Kolkata".parse().unwrap();
        let w = Period::Quarterly.window_at(utc(2026, 4, 10, 0, 0), tz);
        assert_eq!(Period::Quarterly.previous(w, tz).end, w.start);
    }

    #[test]
    fn periods_parse_from_their_names() {
        for p in Period::ALL {
            assert_eq!(p.as_str().parse::<Period>().unwrap(), p);
        }
        assert!("yearly".parse::<Period>().is_err());
    }

    fn any_period() -> impl Strategy<Value = Period> {
        prop::sample::select(Period::ALL.to_vec())
    }

    fn any_zone() -> impl Strategy<Value = Tz> {
        prop::sample::select(vec![
            Tz::UTC,
            chrono_tz::Europe::Berlin,
            chrono_tz::America::New_York,
            chrono_tz::America::Santiago,
            chrono_tz::Australia::Lord_Howe,
            chrono_tz::Asia::Kathmandu,
            chrono_tz::Pacific::Apia,
        ])
    }

    proptest! {
        #[test]
        fn window_contains_its_instant_and_tiles_time(
            secs in 946_684_800_i64..4_102_444_800_i64, period in any_period(), tz in any_zone()
        ) {
            let at = DateTime::from_timestamp(secs, 0).unwrap();
            let w = period.window_at(at, tz);
            prop_assert!(w.contains(at));
            prop_assert_eq!(period.window_at(w.start, tz), w);
            // The next window begins exactly where this one ends: no gaps, no overlaps.
            prop_assert_eq!(period.window_at(w.end, tz).start, w.end);
            prop_assert_eq!(period.previous(period.window_at(w.end, tz), tz), w);
        }

        #[test]
        fn window_lengths_are_calendar_lengths(
            secs in 946_684_800_i64..4_102_444_800_i64, period in any_period(), tz in any_zone()
        ) {
            let w = period.window_at(DateTime::from_timestamp(secs, 0).unwrap(), tz);
            let hours = w.length().num_minutes() as f64 / 60.0;
            // Samoa skipped a whole day in 2011, so a daily window can be as short as 23 h minus a day's shift.
            let (min_days, max_days) = match period {
                Period::Daily => (0.9, 1.1),
                Period::Weekly => (5.9, 7.1),
                Period::Monthly => (27.9, 31.1),
                Period::Quarterly => (88.9, 92.1),
            };
            if tz != chrono_tz::Pacific::Apia {
                prop_assert!(hours >= min_days * 24.0 - 2.0 && hours <= max_days * 24.0 + 2.0, "{hours} h");
            }
            let local_start = w.start.with_timezone(&tz);
            match period {
                Period::Weekly => prop_assert_eq!(local_start.weekday(), chrono::Weekday::Mon),
                Period::Monthly => prop_assert_eq!(local_start.day(), 1),
                Period::Quarterly => {
                    prop_assert_eq!(local_start.day(), 1);
                    prop_assert_eq!((local_start.month() - 1) % 3, 0);
                }
                Period::Daily => {}
            }
        }
    }
}
