//! ECharts options built on the server with charming; the browser only draws them.

use charming::{
    component::{Axis, Grid, Legend},
    element::{AxisType, Tooltip, Trigger},
    series::{Bar, Line},
    Chart,
};
use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// Daily spend as bars with a trailing 7-day average line.
pub fn daily_spend(series: &[(NaiveDate, Decimal)], currency: &str) -> String {
    let labels: Vec<String> = series.iter().map(|(d, _)| d.format("%b %d").to_string()).collect();
    // Chart coordinates are floats by nature; the figures shown in tables stay exact decimals.
    let values: Vec<f64> = series.iter().map(|(_, v)| plot(*v)).collect();
    let average: Vec<f64> = (0..series.len())
        .map(|i| {
            let window = &series[i.saturating_sub(6)..=i];
            plot(window.iter().map(|(_, v)| *v).sum::<Decimal>() / Decimal::from(window.len()))
        })
        .collect();
    Chart::new()
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .legend(Legend::new().bottom(0))
        .grid(Grid::new().left(56).right(16).top(16).bottom(56))
        .x_axis(Axis::new().type_(AxisType::Category).data(labels))
        .y_axis(Axis::new().type_(AxisType::Value).name(currency))
        .series(Bar::new().name("Daily spend").data(values))
        .series(Line::new().name("7-day average").show_symbol(false).data(average))
        .to_string()
}

fn plot(value: Decimal) -> f64 {
    value.round_dp(2).to_f64().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn option_has_bars_and_average() {
        let d = |n| NaiveDate::from_ymd_opt(2026, 1, n).unwrap();
        let json: serde_json::Value =
            serde_json::from_str(&daily_spend(&[(d(1), dec!(2)), (d(2), dec!(4))], "USD")).unwrap();
        assert_eq!(json["series"][0]["type"], "bar");
        assert_eq!(json["series"][0]["data"], serde_json::json!([2.0, 4.0]));
        assert_eq!(json["series"][1]["data"], serde_json::json!([2.0, 3.0]));
        assert_eq!(json["xAxis"]["data"][1], "Jan 02");
    }
}
