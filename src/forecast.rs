//! Spend forecast to a window's end: a weekday-aware average of recent days, and when it runs out.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// How many past days the daily pattern is learned from.
pub const HISTORY_DAYS: i64 = 28;

#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    /// Expected spend at the window end (what is spent now plus what the pattern predicts).
    pub projected: Decimal,
    /// When the spend is expected to reach the hard level, if within the window.
    pub exhaustion: Option<DateTime<Utc>>,
    /// The expected cumulative spend at the end of each local day from today to the window's
    /// end; its last value is `projected`, so a chart drawn from it ends where the headline says.
    pub by_day: Vec<(NaiveDate, Decimal)>,
}

/// Expected spend of each weekday: the mean of that weekday's days in `history`, or the mean of
/// all days when a weekday has no sample. `history` holds full past days with their spend; days
/// without usage may be missing and count as zero between the first and last day given.
pub fn daily_pattern(history: &[(NaiveDate, Decimal)], today: NaiveDate) -> [Decimal; 7] {
    let first = today - Duration::days(HISTORY_DAYS);
    let mut sums = [Decimal::ZERO; 7];
    let mut counts = [0_u32; 7];
    let mut day = first;
    while day < today {
        let spend: Decimal = history.iter().filter(|(d, _)| *d == day).map(|(_, s)| *s).sum();
        let i = day.weekday().num_days_from_monday() as usize;
        sums[i] += spend;
        counts[i] += 1;
        day += Duration::days(1);
    }
    let total: Decimal = sums.iter().sum();
    let days: u32 = counts.iter().sum();
    let overall = if days == 0 { Decimal::ZERO } else { total / Decimal::from(days) };
    std::array::from_fn(|i| if counts[i] == 0 { overall } else { sums[i] / Decimal::from(counts[i]) })
}

/// The lowest and the highest spend seen on each weekday in `history` (the four same weekdays of the
/// last four weeks), the bounds of a forecast's uncertainty band. A weekday without a sample takes
/// the bounds of all days.
pub fn daily_bounds(history: &[(NaiveDate, Decimal)], today: NaiveDate) -> ([Decimal; 7], [Decimal; 7]) {
    let first = today - Duration::days(HISTORY_DAYS);
    let mut samples: [Vec<Decimal>; 7] = Default::default();
    let mut day = first;
    while day < today {
        let spend: Decimal = history.iter().filter(|(d, _)| *d == day).map(|(_, s)| *s).sum();
        samples[day.weekday().num_days_from_monday() as usize].push(spend);
        day += Duration::days(1);
    }
    let all: Vec<Decimal> = samples.iter().flatten().copied().collect();
    let bound = |values: &[Decimal], pick: fn(Decimal, Decimal) -> Decimal| {
        let values = if values.is_empty() { &all[..] } else { values };
        values.iter().copied().reduce(pick).unwrap_or(Decimal::ZERO)
    };
    (
        std::array::from_fn(|i| bound(&samples[i], Decimal::min)),
        std::array::from_fn(|i| bound(&samples[i], Decimal::max)),
    )
}

/// Projects `spent` (the window so far) to `window_end`, day by day in the organization's time zone.
pub fn forecast(
    spent: Decimal,
    hard: Option<Decimal>,
    now: DateTime<Utc>,
    window_end: DateTime<Utc>,
    tz: Tz,
    pattern: &[Decimal; 7],
) -> Forecast {
    let expected = |weekday: Weekday| pattern[weekday.num_days_from_monday() as usize].max(Decimal::ZERO);
    let mut cumulative = spent;
    let mut exhaustion = hard.filter(|h| spent >= *h).map(|_| now);
    let mut from = now;
    let mut by_day = Vec::new();
    while from < window_end {
        let local = from.with_timezone(&tz);
        let midnight = |date: NaiveDate| {
            date.and_hms_opt(0, 0, 0).and_then(|t| t.and_local_timezone(tz).earliest()).map(|t| t.with_timezone(&Utc))
        };
        let next_midnight = midnight(local.date_naive() + Duration::days(1)).unwrap_or(from + Duration::days(1));
        let this_midnight = midnight(local.date_naive()).unwrap_or(next_midnight - Duration::days(1));
        let until = next_midnight.min(window_end);
        // 23 or 25 hours on the days clocks change.
        let day_length = (next_midnight - this_midnight).num_seconds().max(1);
        let share = Decimal::from((until - from).num_seconds()) / Decimal::from(day_length);
        let step = expected(local.weekday()) * share;
        if let (None, Some(hard)) = (exhaustion, hard) {
            if step > Decimal::ZERO && cumulative + step >= hard {
                let fraction = (hard - cumulative) / step;
                let seconds = Decimal::from((until - from).num_seconds()) * fraction;
                let offset = seconds.round().to_i64().unwrap_or(0);
                exhaustion = Some(from + Duration::seconds(offset));
            }
        }
        cumulative += step;
        by_day.push((local.date_naive(), cumulative.round_dp(6)));
        from = until;
    }
    Forecast { projected: cumulative.round_dp(6), exhaustion, by_day }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rust_decimal_macros::dec;

    fn days(today: NaiveDate, spend: impl Fn(NaiveDate) -> Decimal) -> Vec<(NaiveDate, Decimal)> {
        (1..=HISTORY_DAYS).map(|back| today - Duration::days(back)).map(|d| (d, spend(d))).collect()
    }

    #[test]
    fn steady_spend_projects_a_straight_line_and_finds_the_day_it_runs_out() {
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap();
        let end = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let pattern = daily_pattern(&days(now.date_naive(), |_| dec!(10)), now.date_naive());
        let f = forecast(dec!(200), Some(dec!(300)), now, end, Tz::UTC, &pattern);
        assert_eq!(f.projected, dec!(310));
        assert_eq!(f.exhaustion, Some(Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap()));
        let first = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        assert_eq!(f.by_day.first(), Some(&(first, dec!(210))), "the end of today");
        assert_eq!(f.by_day.len(), 11);
        assert_eq!(f.by_day.last().map(|(_, v)| *v), Some(f.projected), "the path ends at the headline");
    }

    #[test]
    fn the_band_spans_the_quietest_and_busiest_of_each_weekday() {
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap();
        let end = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
        // Every day costs 10, except that one Friday cost 30 and one Sunday cost 4.
        let spend = |d: NaiveDate| match (d.weekday(), d.day()) {
            (Weekday::Fri, 13) => dec!(30),
            (Weekday::Sun, 8) => dec!(4),
            _ => dec!(10),
        };
        let history = days(now.date_naive(), spend);
        let (low, high) = daily_bounds(&history, now.date_naive());
        assert_eq!(
            (low[4], high[4], low[6], high[6], low[0], high[0]),
            (dec!(10), dec!(30), dec!(4), dec!(10), dec!(10), dec!(10))
        );
        // Friday, Saturday and Sunday remain.
        let central = forecast(dec!(100), None, now, end, Tz::UTC, &daily_pattern(&history, now.date_naive()));
        let lower = forecast(dec!(100), None, now, end, Tz::UTC, &low).projected;
        let upper = forecast(dec!(100), None, now, end, Tz::UTC, &high).projected;
        assert_eq!((lower, central.projected, upper), (dec!(124), dec!(133.5), dec!(150)));
        assert_eq!(daily_bounds(&[], now.date_naive()), ([Decimal::ZERO; 7], [Decimal::ZERO; 7]));
    }

    #[test]
    fn quiet_weekends_are_not_projected_as_busy_days() {
        // Friday noon; the window (a week) ends Monday midnight: half a Friday and a weekend remain.
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap();
        let end = Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap();
        let weekday_only = |d: NaiveDate| if d.weekday().num_days_from_monday() < 5 { dec!(100) } else { dec!(0) };
        let pattern = daily_pattern(&days(now.date_naive(), weekday_only), now.date_naive());
        let f = forecast(dec!(450), Some(dec!(600)), now, end, Tz::UTC, &pattern);
        assert_eq!(f.projected, dec!(500));
        assert_eq!(f.exhaustion, None);
    }

    #[test]
    fn a_daily_budget_forecasts_to_local_midnight() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        // 18:00 in Berlin (17:00 UTC): six hours of the local day remain.
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 17, 0, 0).unwrap();
        let end = Utc.with_ymd_and_hms(2026, 11, 27, 23, 0, 0).unwrap();
        let pattern = [dec!(24); 7];
        let f = forecast(dec!(10), Some(dec!(12)), now, end, tz, &pattern);
        assert_eq!(f.projected, dec!(16));
        assert_eq!(f.exhaustion, Some(now + Duration::hours(2)));
    }

    #[test]
    fn spent_beyond_the_hard_level_is_exhausted_now_and_no_history_means_no_growth() {
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap();
        let end = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let pattern = daily_pattern(&[], now.date_naive());
        assert_eq!(pattern, [Decimal::ZERO; 7]);
        let f = forecast(dec!(301), Some(dec!(300)), now, end, Tz::UTC, &pattern);
        assert_eq!((f.projected, f.exhaustion), (dec!(301), Some(now)));
    }
}
