//! ECharts options built on the server with charming; the browser only draws them.

use charming::{
    component::{Axis, Grid, Legend, Title},
    datatype::CompositeValue,
    element::{AxisType, LineStyle, LineStyleType, TextStyle, Tooltip, Trigger},
    series::{Bar, Line},
    Chart,
};
use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// Daily spend as bars with a trailing 7-day average line and, when given, the forecast of the
/// days still to come as a dashed line.
pub fn daily_spend(series: &[(NaiveDate, Decimal)], forecast: &[(NaiveDate, Decimal)], currency: &str) -> String {
    let labels: Vec<String> = series.iter().chain(forecast).map(|(d, _)| label(*d)).collect();
    let gap = |n: usize| std::iter::repeat_n(CompositeValue::from("-"), n);
    // Chart coordinates are floats by nature; the figures shown in tables stay exact decimals.
    let values: Vec<CompositeValue> = series.iter().map(|(_, v)| point(*v)).chain(gap(forecast.len())).collect();
    let average: Vec<CompositeValue> = (0..series.len())
        .map(|i| {
            let window = &series[i.saturating_sub(6)..=i];
            point(window.iter().map(|(_, v)| *v).sum::<Decimal>() / Decimal::from(window.len()))
        })
        .chain(gap(forecast.len()))
        .collect();
    let mut chart = base(&format!("Daily spend ({currency})"), "Day", labels, currency)
        .series(Bar::new().name("Daily spend").data(values))
        .series(Line::new().name("7-day average").show_symbol(false).data(average));
    if !forecast.is_empty() {
        let projected: Vec<CompositeValue> = gap(series.len()).chain(forecast.iter().map(|(_, v)| point(*v))).collect();
        chart = chart.series(dashed(Line::new().name("Forecast (expected per day)").data(projected)));
    }
    chart.to_string()
}

/// Limit and actual of a budget's windows, oldest first, with the variance in the tooltip's table.
pub fn budget_vs_actual(windows: &[(String, Option<Decimal>, Decimal)], unit: &str) -> String {
    let labels: Vec<String> = windows.iter().map(|(l, _, _)| l.clone()).collect();
    let limits: Vec<CompositeValue> =
        windows.iter().map(|(_, limit, _)| limit.map_or(CompositeValue::from("-"), point)).collect();
    let actual: Vec<CompositeValue> = windows.iter().map(|(_, _, a)| point(*a)).collect();
    base(&format!("Budget vs actual per window ({unit})"), "Window", labels, unit)
        .series(Bar::new().name("Actual").data(actual))
        .series(Line::new().name("Hard level").data(limits))
        .to_string()
}

/// Spend per day or week as bars with its moving average as a line.
pub fn spend_trend(
    points: &[(NaiveDate, Decimal)],
    averages: &[Option<Decimal>],
    average_label: &str,
    currency: &str,
) -> String {
    let labels: Vec<String> = points.iter().map(|(d, _)| label(*d)).collect();
    let values: Vec<CompositeValue> = points.iter().map(|(_, v)| point(*v)).collect();
    let average: Vec<CompositeValue> = averages.iter().map(|a| a.map_or(CompositeValue::from("-"), point)).collect();
    base(&format!("Spend ({currency})"), "Date", labels, currency)
        .series(Bar::new().name("Spend").data(values))
        .series(Line::new().name(average_label).show_symbol(false).data(average))
        .to_string()
}

/// Named amounts as bars, largest first (allocation, budget vs actual across budgets); a limit, when
/// given, is drawn as a marker line per bar.
pub fn ranked_bars(title: &str, rows: &[(String, Option<Decimal>, Decimal)], unit: &str) -> String {
    let labels: Vec<String> = rows.iter().map(|(name, _, _)| name.clone()).collect();
    let values: Vec<CompositeValue> = rows.iter().map(|(_, _, v)| point(*v)).collect();
    let mut chart = base(title, "", labels, unit).series(Bar::new().name("Actual").data(values));
    if rows.iter().any(|(_, limit, _)| limit.is_some()) {
        let limits: Vec<CompositeValue> =
            rows.iter().map(|(_, limit, _)| limit.map_or(CompositeValue::from("-"), point)).collect();
        chart = chart.series(Line::new().name("Limit").data(limits));
    }
    chart.to_string()
}

/// The current window day by day: cumulative actual, the forecast to the window end, and the
/// soft and hard levels as flat lines.
pub fn window_trend(
    actual: &[(NaiveDate, Decimal)],
    forecast: &[(NaiveDate, Decimal)],
    soft: Option<Decimal>,
    hard: Option<Decimal>,
    unit: &str,
) -> String {
    let labels: Vec<String> = actual.iter().chain(forecast).map(|(d, _)| label(*d)).collect();
    let n = labels.len();
    let gap = |n: usize| std::iter::repeat_n(CompositeValue::from("-"), n);
    let spent: Vec<CompositeValue> = actual.iter().map(|(_, v)| point(*v)).chain(gap(forecast.len())).collect();
    // The forecast line starts at the last actual point so the two lines join.
    let joined = actual.last().map(|(_, v)| point(*v));
    let projected: Vec<CompositeValue> =
        gap(actual.len().saturating_sub(1)).chain(joined).chain(forecast.iter().map(|(_, v)| point(*v))).collect();
    let flat = |level: Decimal| vec![point(level); n];
    let mut chart = base(&format!("Cumulative spend this window ({unit})"), "Day", labels, unit)
        .series(Line::new().name("Spent so far").data(spent))
        .series(dashed(Line::new().name("Forecast").data(projected)));
    if let Some(soft) = soft {
        chart = chart.series(Line::new().name("Soft level").show_symbol(false).data(flat(soft)));
    }
    if let Some(hard) = hard {
        chart = chart.series(Line::new().name("Hard level").show_symbol(false).data(flat(hard)));
    }
    chart.to_string()
}

fn base(title: &str, x_name: &str, labels: Vec<String>, unit: &str) -> Chart {
    Chart::new()
        .title(Title::new().text(title).left("center").text_style(TextStyle::new().font_size(13)))
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .legend(Legend::new().bottom(0))
        .grid(Grid::new().left(64).right(16).top(40).bottom(56))
        .x_axis(Axis::new().type_(AxisType::Category).name(x_name).data(labels))
        .y_axis(Axis::new().type_(AxisType::Value).name(unit))
}

fn dashed(line: Line) -> Line {
    line.show_symbol(false).line_style(LineStyle::new().type_(LineStyleType::Dashed))
}

fn label(day: NaiveDate) -> String {
    day.format("%b %d").to_string()
}

fn point(value: Decimal) -> CompositeValue {
    CompositeValue::from(plot(value))
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
            serde_json::from_str(&daily_spend(&[(d(1), dec!(2)), (d(2), dec!(4))], &[(d(3), dec!(5))], "USD")).unwrap();
        assert_eq!(json["series"][0]["type"], "bar");
        assert_eq!(json["series"][0]["data"], serde_json::json!([2.0, 4.0, "-"]));
        assert_eq!(json["series"][1]["data"], serde_json::json!([2.0, 3.0, "-"]));
        assert_eq!(json["series"][2]["data"], serde_json::json!(["-", "-", 5.0]));
        assert_eq!(json["series"][2]["lineStyle"]["type"], "dashed");
        assert_eq!(json["xAxis"]["data"][2], "Jan 03");
        assert_eq!(json["yAxis"]["name"], "USD");
        assert_eq!(json["title"][0]["text"], "Daily spend (USD)");
    }

    #[test]
    fn trend_joins_forecast_to_the_last_actual_and_draws_levels() {
        let d = |n| NaiveDate::from_ymd_opt(2026, 3, n).unwrap();
        let option =
            window_trend(&[(d(1), dec!(1)), (d(2), dec!(3))], &[(d(3), dec!(5))], Some(dec!(4)), Some(dec!(6)), "USD");
        let json: serde_json::Value = serde_json::from_str(&option).unwrap();
        assert_eq!(json["series"][0]["data"], serde_json::json!([1.0, 3.0, "-"]));
        assert_eq!(json["series"][1]["data"], serde_json::json!(["-", 3.0, 5.0]));
        assert_eq!(json["series"][2]["name"], "Soft level");
        assert_eq!(json["series"][3]["data"], serde_json::json!([6.0, 6.0, 6.0]));
    }

    #[test]
    fn budget_vs_actual_has_a_bar_and_a_level_per_window() {
        let option =
            budget_vs_actual(&[("Jan".into(), Some(dec!(10)), dec!(12)), ("Feb".into(), None, dec!(3))], "USD");
        let json: serde_json::Value = serde_json::from_str(&option).unwrap();
        assert_eq!(json["series"][0]["data"], serde_json::json!([12.0, 3.0]));
        assert_eq!(json["series"][1]["data"], serde_json::json!([10.0, "-"]));
    }
}
