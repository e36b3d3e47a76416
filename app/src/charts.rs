//! ECharts options built on the server with charming; the browser only draws them.
//!
//! Charts carry no title of their own: the card around each one names it. Every meaning has one
//! colour on every chart (what was spent, its average, the forecast, the soft and the hard level).

use charming::{
    component::{Axis, Grid, Legend},
    datatype::CompositeValue,
    element::{AxisType, ItemStyle, LineStyle, LineStyleType, NameLocation, Symbol, Tooltip, Trigger},
    series::{Bar, Line},
    Chart,
};
use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// What was spent (bars and the cumulative line).
const SPENT: &str = "#1f3a5f";
/// A moving average of what was spent.
const AVERAGE: &str = "#2a8c82";
/// What is expected (always dashed).
const FORECAST: &str = "#7a4fb8";
const SOFT_LEVEL: &str = "#c27c0e";
/// The hard level, or a budget's limit.
const HARD_LEVEL: &str = "#b3261e";

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
    let mut chart = base(labels, currency)
        .series(bars("Daily spend", SPENT).data(values))
        .series(line("7-day average", AVERAGE).data(average));
    if !forecast.is_empty() {
        let projected: Vec<CompositeValue> = gap(series.len()).chain(forecast.iter().map(|(_, v)| point(*v))).collect();
        chart = chart.series(dashed("Forecast (expected per day)", FORECAST).data(projected));
    }
    finish(chart)
}

/// Limit and actual of a budget's windows, oldest first, with the variance in the tooltip's table.
pub fn budget_vs_actual(windows: &[(String, Option<Decimal>, Decimal)], unit: &str) -> String {
    let labels: Vec<String> = windows.iter().map(|(l, _, _)| l.clone()).collect();
    let limits: Vec<CompositeValue> =
        windows.iter().map(|(_, limit, _)| limit.map_or(CompositeValue::from("-"), point)).collect();
    let actual: Vec<CompositeValue> = windows.iter().map(|(_, _, a)| point(*a)).collect();
    let chart = base(labels, unit)
        .series(bars("Actual", SPENT).data(actual))
        .series(markers("Hard level", HARD_LEVEL).data(limits));
    finish(chart)
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
    let chart = base(labels, currency)
        .series(bars("Spend", SPENT).data(values))
        .series(line(average_label, AVERAGE).data(average));
    finish(chart)
}

/// Named amounts as bars, largest first (allocation, budget vs actual across budgets); a limit, when
/// given, is a marker on its own bar: the budgets are unrelated, so no line joins them.
pub fn ranked_bars(rows: &[(String, Option<Decimal>, Decimal)], unit: &str) -> String {
    let labels: Vec<String> = rows.iter().map(|(name, _, _)| name.clone()).collect();
    let values: Vec<CompositeValue> = rows.iter().map(|(_, _, v)| point(*v)).collect();
    let mut chart = base(labels, unit).series(bars("Actual", SPENT).data(values));
    if rows.iter().any(|(_, limit, _)| limit.is_some()) {
        let limits: Vec<CompositeValue> =
            rows.iter().map(|(_, limit, _)| limit.map_or(CompositeValue::from("-"), point)).collect();
        chart = chart.series(markers("Limit", HARD_LEVEL).data(limits));
    }
    finish(chart)
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
    let mut chart = base(labels, unit)
        .series(line("Spent so far", SPENT).data(spent))
        .series(dashed("Forecast", FORECAST).data(projected));
    if let Some(soft) = soft {
        chart = chart.series(line("Soft level", SOFT_LEVEL).data(flat(soft)));
    }
    if let Some(hard) = hard {
        chart = chart.series(line("Hard level", HARD_LEVEL).data(flat(hard)));
    }
    finish(chart)
}

/// Axes and layout shared by every chart. Category labels that would overlap are skipped, and the
/// grid keeps room for every label, so a phone's narrow chart shows fewer labels, never piled ones.
fn base(labels: Vec<String>, unit: &str) -> Chart {
    Chart::new()
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .legend(Legend::new().bottom(0))
        .grid(Grid::new().left(8).right(16).top(32).bottom(40).contain_label(true))
        .x_axis(Axis::new().type_(AxisType::Category).data(labels))
        .y_axis(Axis::new().type_(AxisType::Value).name(unit).name_location(NameLocation::End))
}

const MARKER_WIDTH: f64 = 28.0;

/// The chart as the browser's ECharts reads it, with two options charming 0.6 cannot set: axis
/// labels that would overlap are skipped, and markers are flat bars ([width, 3] instead of a square).
fn finish(chart: Chart) -> String {
    let mut option: serde_json::Value = serde_json::from_str(&chart.to_string()).unwrap_or_default();
    if let Some(axis) = option.get_mut("xAxis").and_then(|a| a.as_object_mut()) {
        axis.insert("axisLabel".into(), serde_json::json!({ "hideOverlap": true }));
    }
    for series in option.get_mut("series").and_then(|s| s.as_array_mut()).into_iter().flatten() {
        if series.get("symbol").and_then(|s| s.as_str()) == Some("rect") {
            series["symbolSize"] = serde_json::json!([MARKER_WIDTH, 3]);
        }
    }
    option.to_string()
}

fn bars(name: &str, colour: &str) -> Bar {
    Bar::new().name(name).item_style(ItemStyle::new().color(colour))
}

fn line(name: &str, colour: &str) -> Line {
    styled_line(name, colour, LineStyle::new().color(colour))
}

/// What is expected rather than recorded.
fn dashed(name: &str, colour: &str) -> Line {
    styled_line(name, colour, LineStyle::new().color(colour).type_(LineStyleType::Dashed))
}

fn styled_line(name: &str, colour: &str, style: LineStyle) -> Line {
    Line::new().name(name).show_symbol(false).item_style(ItemStyle::new().color(colour)).line_style(style)
}

/// A level drawn as a short flat marker on each category, with no line between categories.
fn markers(name: &str, colour: &str) -> Line {
    Line::new()
        .name(name)
        .symbol(Symbol::Rect)
        .symbol_size(MARKER_WIDTH)
        .item_style(ItemStyle::new().color(colour))
        .line_style(LineStyle::new().width(0))
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
        assert!(json.get("title").is_none(), "the card around the chart names it");
        assert_eq!(json["series"][0]["itemStyle"]["color"], SPENT);
        assert_eq!(json["series"][2]["lineStyle"]["color"], FORECAST);
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
        assert_eq!(json["series"][1]["lineStyle"]["width"], 0.0, "levels of separate windows are not joined");
        assert_eq!(json["series"][1]["symbolSize"], serde_json::json!([28.0, 3]), "a flat marker per window");
        assert_eq!(json["xAxis"]["axisLabel"]["hideOverlap"], true, "labels that would overlap are skipped");
    }

    #[test]
    fn each_meaning_has_one_colour_on_every_chart() {
        let d = |n| NaiveDate::from_ymd_opt(2026, 3, n).unwrap();
        let colours = |option: String| -> Vec<(String, String)> {
            let json: serde_json::Value = serde_json::from_str(&option).unwrap();
            json["series"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| (s["name"].as_str().unwrap().to_owned(), s["itemStyle"]["color"].as_str().unwrap().to_owned()))
                .collect()
        };
        let mut seen =
            colours(window_trend(&[(d(1), dec!(1))], &[(d(2), dec!(2))], Some(dec!(4)), Some(dec!(6)), "USD"));
        seen.extend(colours(budget_vs_actual(&[("Jan".into(), Some(dec!(10)), dec!(12))], "USD")));
        seen.extend(colours(ranked_bars(&[("a".into(), Some(dec!(10)), dec!(12))], "USD")));
        seen.extend(colours(daily_spend(&[(d(1), dec!(2))], &[(d(2), dec!(5))], "USD")));
        let colour_of = |meaning: &str| -> Vec<&str> {
            seen.iter().filter(|(name, _)| name.contains(meaning)).map(|(_, c)| c.as_str()).collect()
        };
        assert_eq!(colour_of("Hard level"), [HARD_LEVEL, HARD_LEVEL]);
        assert_eq!(colour_of("Limit"), [HARD_LEVEL]);
        assert_eq!(colour_of("Soft level"), [SOFT_LEVEL]);
        assert_eq!(colour_of("Forecast"), [FORECAST, FORECAST]);
        assert!(colour_of("Actual").iter().chain(&colour_of("Spent")).all(|c| *c == SPENT));
    }
}
