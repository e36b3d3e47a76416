//! Forecasts: each visible budget's projected usage at its window end, with the band between the
//! quietest and busiest recent days, and when it is expected to reach its hard level.

use super::{Context, Viewer};
use crate::backend::entities::budget_counter;
use crate::backend::queries::budget::{charted_limit, daily};
use crate::backend::services::ServiceError;
use crate::reports::{ColumnKind::*, ReportKind, ReportQuery, ReportView, Table, TableRow};
use chrono::Duration;
use rust_decimal::Decimal;
use sea_orm::{DatabaseConnection, EntityTrait};
use tollgate_domain::figures::exact;
use tollgate_domain::forecast::{daily_bounds, daily_pattern, forecast, HISTORY_DAYS};
use tollgate_domain::money::from_storage;
use tollgate_domain::time_face::instant_in;
use tollgate_domain::{LimitKind, Period};

pub(super) async fn run(
    db: &DatabaseConnection,
    viewer: &Viewer,
    ctx: &Context,
    query: ReportQuery,
) -> Result<ReportView, ServiceError> {
    let mut rows = Vec::new();
    let (mut at_risk, mut expected_over) = (0, 0);
    for model in viewer.budgets(db).await?.into_iter().filter(|b| b.state == "enabled") {
        let (kind, _, hard) = charted_limit(&model);
        let period: Period = model.period.parse().unwrap_or(Period::Monthly);
        let window = period.window_at(ctx.now, ctx.tz);
        let spent =
            budget_counter::Entity::find_by_id((model.id, window.start)).one(db).await?.map_or(Decimal::ZERO, |c| {
                match kind {
                    LimitKind::Cost => from_storage(c.cost_spent),
                    LimitKind::Tokens => Decimal::from(c.tokens_spent),
                    LimitKind::Operations => Decimal::from(c.operations_spent),
                }
            });
        let history = daily(db, &model, kind, ctx.today - Duration::days(HISTORY_DAYS), ctx.today).await?;
        let central = forecast(spent, hard, ctx.now, window.end, ctx.tz, &daily_pattern(&history, ctx.today));
        let (low, high) = daily_bounds(&history, ctx.today);
        let lower = forecast(spent, None, ctx.now, window.end, ctx.tz, &low).projected;
        let upper = forecast(spent, None, ctx.now, window.end, ctx.tz, &high).projected;
        let outlook = match hard {
            Some(h) if central.projected > h => "expected over",
            Some(h) if upper > h => "at risk",
            Some(_) => "on track",
            None => "no hard level",
        };
        expected_over += usize::from(outlook == "expected over");
        at_risk += usize::from(outlook == "at risk");
        let figure = |d: Decimal| if kind == LimitKind::Cost { exact(d.round_dp(2)) } else { d.round().to_string() };
        // The deciding columns first: the outlook, when the hard level is reached, the projection.
        let mut row = TableRow::new(vec![
            model.name.clone(),
            outlook.into(),
            central.exhaustion.map(|t| instant_in(ctx.tz, t)).unwrap_or_default(),
            figure(central.projected),
            hard.map(figure).unwrap_or_default(),
            figure(spent),
            figure(lower),
            figure(upper),
            (window.end - Duration::seconds(1)).with_timezone(&ctx.tz).date_naive().to_string(),
            if kind == LimitKind::Cost { model.currency.clone() } else { kind.as_str().to_owned() },
        ]);
        row.tone = match outlook {
            "expected over" => Some("over".into()),
            "at risk" => Some("risk".into()),
            "on track" => Some("under".into()),
            _ => None,
        };
        row.link = Some(format!("/budgets/{}", model.id));
        rows.push(row);
    }
    rows.sort_by(|a, b| a.cells[0].to_lowercase().cmp(&b.cells[0].to_lowercase()));
    Ok(ReportView {
        kind: ReportKind::Forecasts,
        headline: vec![
            ("Budgets forecast".into(), rows.len().to_string()),
            ("Expected over their hard level".into(), expected_over.to_string()),
            ("At risk (the busy end of the band passes it)".into(), at_risk.to_string()),
        ],
        chart: None,
        table: Table::new(
            [
                ("Budget", Text),
                ("Outlook", Text),
                ("Expected to reach the hard level", Text),
                ("Projected", Amount),
                ("Hard level", Amount),
                ("Used so far", Amount),
                ("Projected (low)", Amount),
                ("Projected (high)", Amount),
                ("Window ends", Text),
                ("Unit", Text),
            ],
            rows,
        )
        .with_verdict([1]),
        notes: vec![
            format!("Method: a weekday-aware average. For each weekday, the mean usage of that weekday over the last {HISTORY_DAYS} days (days without usage count as zero); the projection adds that expected usage for every day left in the window, pro rata for today, to what is used so far."),
            "Uncertainty band: the same projection with each remaining day at the lowest (low) and the highest (high) usage seen on that weekday in those four weeks.".into(),
            format!("Days follow the organization's time zone ({}); 23- and 25-hour days at clock changes count in proportion.", ctx.tz.name()),
        ],
        choices: Default::default(),
        inputs: Vec::new(),
        query,
    })
}
