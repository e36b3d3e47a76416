//! How instants read in the organization's time zone: one policy for every page, server and browser.
//!
//! A `TimeFace` is the organization's time zone reduced to its offsets over the years a page can
//! show (ten back, five ahead), so the browser formats exactly as the server does without carrying
//! the time zone database in the hydration bundle.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetName, Tz};
use serde::{Deserialize, Serialize};

const YEARS_BACK: i64 = 10;
const MINUTE: &str = "%Y-%m-%d %H:%M";

/// An instant in `tz` as `TimeFace::instant` shows it, for messages written on the server (inbox
/// titles, emails) without working out a whole face.
pub fn instant_in(tz: Tz, at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&tz);
    format!("{} {}", local.format(MINUTE), local.offset().abbreviation().unwrap_or(""))
}
const YEARS_AHEAD: i64 = 5;

/// A window from `start` up to (not including) `end` in `tz`, as `TimeFace::window` shows it.
pub fn window_in(tz: Tz, start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    let last = (end - Duration::seconds(1)).max(start);
    format!("{} – {}", start.with_timezone(&tz).format("%Y-%m-%d"), last.with_timezone(&tz).format("%Y-%m-%d"))
}

/// An organization's time zone as offsets from given instants on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeFace {
    /// The IANA name, as the organization chose it.
    pub zone: String,
    /// (from, in seconds since 1970 UTC; offset east of UTC in seconds; abbreviation), oldest first.
    /// Before the first entry its offset applies too.
    pub spans: Vec<(i64, i32, String)>,
}

impl Default for TimeFace {
    fn default() -> Self {
        Self { zone: "UTC".into(), spans: vec![(i64::MIN, 0, "UTC".into())] }
    }
}

impl TimeFace {
    /// The face of `tz` for the years around `now`.
    pub fn of(tz: Tz, now: DateTime<Utc>) -> Self {
        let from = now - Duration::days(366 * YEARS_BACK);
        let to = now + Duration::days(366 * YEARS_AHEAD);
        let describe = |at: DateTime<Utc>| {
            let offset = tz.offset_from_utc_datetime(&at.naive_utc());
            let abbreviation = offset.abbreviation().unwrap_or("").to_owned();
            (offset.fix().local_minus_utc(), abbreviation)
        };
        let (offset, abbreviation) = describe(from);
        let mut spans = vec![(i64::MIN, offset, abbreviation)];
        // Offsets change at most a few times a year and never twice within a day: look day by day,
        // then find the second of each change between the two days.
        let mut day = from;
        while day < to {
            let next = day + Duration::days(1);
            let seen = describe(next);
            if seen.0 != spans.last().map_or(0, |s| s.1) || seen.1 != spans.last().map_or("", |s| s.2.as_str()) {
                let (mut before, mut after) = (day.timestamp(), next.timestamp());
                while after - before > 1 {
                    let middle = before + (after - before) / 2;
                    let at = DateTime::from_timestamp(middle, 0).unwrap_or(next);
                    if describe(at) == seen {
                        after = middle;
                    } else {
                        before = middle;
                    }
                }
                spans.push((after, seen.0, seen.1));
            }
            day = next;
        }
        Self { zone: tz.name().to_owned(), spans }
    }

    /// The wall-clock time at `at` and the zone's abbreviation then.
    pub fn local(&self, at: DateTime<Utc>) -> (NaiveDateTime, &str) {
        let second = at.timestamp();
        let index = self.spans.partition_point(|(from, _, _)| *from <= second).saturating_sub(1);
        let (_, offset, abbreviation) = self.spans.get(index).map_or((0, 0, "UTC"), |s| (s.0, s.1, s.2.as_str()));
        let offset = FixedOffset::east_opt(offset).unwrap_or(FixedOffset::east_opt(0).expect("zero is an offset"));
        (at.with_timezone(&offset).naive_local(), abbreviation)
    }

    /// An instant to the minute with the zone's abbreviation: `2026-12-07 18:11 CET`.
    pub fn instant(&self, at: DateTime<Utc>) -> String {
        let (local, abbreviation) = self.local(at);
        format!("{} {abbreviation}", local.format(MINUTE))
    }

    /// The local calendar day of an instant: `2026-12-07`.
    pub fn day(&self, at: DateTime<Utc>) -> String {
        self.local(at).0.format("%Y-%m-%d").to_string()
    }

    /// A window from `start` up to (not including) `end`, as the days it covers:
    /// a December window reads `2026-12-01 – 2026-12-31`.
    pub fn window(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> String {
        let last = (end - Duration::seconds(1)).max(start);
        format!("{} – {}", self.day(start), self.day(last))
    }

    /// The last day a window ending at `end` covers: `until 2026-12-31`.
    pub fn last_day(&self, end: DateTime<Utc>) -> String {
        self.day(end - Duration::seconds(1))
    }

    /// The local year and month of an instant, for labels such as a month's name.
    pub fn year_month(&self, at: DateTime<Utc>) -> (i32, u32) {
        let local = self.local(at).0;
        (local.year(), local.month())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn a_berlin_december_reads_as_its_own_days() {
        let face = TimeFace::of(chrono_tz::Europe::Berlin, at("2026-12-07T12:00:00Z"));
        // December in Berlin starts at 23:00 UTC on November 30 and ends at 23:00 UTC on December 31.
        assert_eq!(face.window(at("2026-11-30T23:00:00Z"), at("2026-12-31T23:00:00Z")), "2026-12-01 – 2026-12-31");
        assert_eq!(face.instant(at("2026-12-07T17:11:00Z")), "2026-12-07 18:11 CET");
        assert_eq!(face.instant(at("2026-07-07T17:11:00Z")), "2026-07-07 19:11 CEST");
        assert_eq!(face.last_day(at("2026-12-31T23:00:00Z")), "2026-12-31");
        assert_eq!(instant_in(chrono_tz::Europe::Berlin, at("2026-12-07T17:11:00Z")), "2026-12-07 18:11 CET");
        let december = (at("2026-11-30T23:00:00Z"), at("2026-12-31T23:00:00Z"));
        assert_eq!(window_in(chrono_tz::Europe::Berlin, december.0, december.1), face.window(december.0, december.1));
    }

    #[test]
    fn utc_is_the_default_face() {
        let face = TimeFace::default();
        assert_eq!(face.instant(at("2026-12-07T17:11:59Z")), "2026-12-07 17:11 UTC");
        assert_eq!(face.window(at("2026-12-01T00:00:00Z"), at("2027-01-01T00:00:00Z")), "2026-12-01 – 2026-12-31");
        assert_eq!(TimeFace::of(chrono_tz::UTC, at("2026-12-07T00:00:00Z")), face_named_utc());
    }

    fn face_named_utc() -> TimeFace {
        TimeFace { zone: "UTC".into(), spans: vec![(i64::MIN, 0, "UTC".into())] }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Within its years, the face agrees with the time zone database to the second.
        #[test]
        fn agrees_with_the_time_zone_database(zone in 0usize..chrono_tz::TZ_VARIANTS.len(), seconds in -300_000_000i64..150_000_000) {
            let now = at("2026-12-07T00:00:00Z");
            let tz = chrono_tz::TZ_VARIANTS[zone];
            let face = TimeFace::of(tz, now);
            let instant = now + Duration::seconds(seconds);
            let expected = instant.with_timezone(&tz);
            let (local, abbreviation) = face.local(instant);
            prop_assert_eq!(local, expected.naive_local());
            prop_assert_eq!(abbreviation, expected.offset().abbreviation().unwrap_or(""));
        }
    }
}
