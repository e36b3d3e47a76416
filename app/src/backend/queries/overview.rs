//! Loads the organization overview from the daily roll-ups per project and per model (never from
//! the ledger, nor from the finer `daily_usage`, which holds hundreds of rows per day).

use crate::backend::entities::{budget, daily_model_usage, daily_project_usage, organization, project, team};
use crate::models::{OrgOverview, Overview, SpendRow};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};
use std::collections::HashMap;
use tollgate_domain::money::from_storage;
use uuid::Uuid;

use super::sum_i64;

const TOP: usize = 5;

/// This month's spend projected to its end, and the expected spend of each day after today: the
/// weekday pattern of the last four weeks, by the same projection as a budget's forecast, so the
/// organization's monthly budget card and the overview give one figure.
fn month_forecast(
    history: &[(NaiveDate, Decimal)],
    month_to_date: Decimal,
    now: DateTime<Utc>,
    tz: Tz,
) -> (Decimal, Vec<(NaiveDate, Decimal)>) {
    use tollgate_domain::forecast::{daily_pattern, forecast};
    use tollgate_domain::Period;
    let today = now.with_timezone(&tz).date_naive();
    let pattern = daily_pattern(history, today);
    let month = Period::Monthly.window_at(now, tz);
    let projected = forecast(month_to_date, None, now, month.end, tz, &pattern).projected;
    let mut days = Vec::new();
    let mut day = today + Duration::days(1);
    while day.month() == today.month() {
        days.push((day, pattern[day.weekday().num_days_from_monday() as usize].round_dp(2)));
        day += Duration::days(1);
    }
    (projected.round_dp(2), days)
}

pub async fn load(db: &DatabaseConnection, org_id: Uuid, now: DateTime<Utc>, days: u32) -> Result<Overview, DbErr> {
    let Some(org) = organization::Entity::find_by_id(org_id).one(db).await? else {
        return Ok(Overview { organization: None });
    };
    let tz: Tz = org.timezone.parse().unwrap_or(Tz::UTC);
    let today = now.with_timezone(&tz).date_naive();
    let first_day = today - Duration::days(i64::from(days) - 1);
    // The forecast learns from four weeks whatever range the chart shows.
    let history_from = first_day.min(today - Duration::days(tollgate_domain::forecast::HISTORY_DAYS));

    let per_model_in = |from: NaiveDate| {
        daily_model_usage::Entity::find()
            .select_only()
            .filter(daily_model_usage::Column::OrgId.eq(org.id))
            .filter(daily_model_usage::Column::Day.gte(from))
            .filter(daily_model_usage::Column::Day.lte(today))
    };
    let month_start = today.with_day(1).unwrap_or(today);
    // Independent reads, run at once (SQLite serves reads from several connections).
    let (per_day, per_project, per_model, month_to_date, projects, teams, budgets) = tokio::try_join!(
        per_model_in(history_from)
            .column(daily_model_usage::Column::Day)
            .column_as(sum_i64(daily_model_usage::Column::Cost), "cost")
            .column_as(sum_i64(daily_model_usage::Column::InputTokens), "input")
            .column_as(sum_i64(daily_model_usage::Column::OutputTokens), "output")
            .group_by(daily_model_usage::Column::Day)
            .into_tuple::<(NaiveDate, i64, i64, i64)>()
            .all(db),
        daily_project_usage::Entity::find()
            .select_only()
            .filter(daily_project_usage::Column::OrgId.eq(org.id))
            .filter(daily_project_usage::Column::Day.gte(first_day))
            .filter(daily_project_usage::Column::Day.lte(today))
            .column(daily_project_usage::Column::ProjectId)
            .column_as(sum_i64(daily_project_usage::Column::Cost), "cost")
            .group_by(daily_project_usage::Column::ProjectId)
            .into_tuple::<(Uuid, i64)>()
            .all(db),
        per_model_in(first_day)
            .column(daily_model_usage::Column::Model)
            .column_as(sum_i64(daily_model_usage::Column::Cost), "cost")
            .group_by(daily_model_usage::Column::Model)
            .into_tuple::<(String, i64)>()
            .all(db),
        per_model_in(month_start)
            .column_as(sum_i64(daily_model_usage::Column::Cost), "cost")
            .into_tuple::<Option<i64>>()
            .one(db),
        project::Entity::find().filter(project::Column::OrgId.eq(org.id)).all(db),
        team::Entity::find().filter(team::Column::OrgId.eq(org.id)).count(db),
        budget::Entity::find().filter(budget::Column::OrgId.eq(org.id)).count(db),
    )?;
    let per_day: Vec<(NaiveDate, i64, i64)> =
        per_day.into_iter().map(|(day, cost, input, output)| (day, cost, input + output)).collect();
    let project_names: HashMap<Uuid, String> = projects.iter().map(|p| (p.id, p.name.clone())).collect();

    let history = fill_days(history_from, today, &per_day);
    let series: Vec<(NaiveDate, Decimal)> = history.iter().filter(|(d, _)| *d >= first_day).copied().collect();
    let per_day: Vec<(NaiveDate, i64, i64)> = per_day.into_iter().filter(|(d, ..)| *d >= first_day).collect();
    let month_to_date = from_storage(month_to_date.flatten().unwrap_or(0));
    let (month_forecast, forecast) = month_forecast(&history, month_to_date, now, tz);
    Ok(Overview {
        organization: Some(OrgOverview {
            chart: crate::charts::daily_spend(&series, &forecast, &org.currency),
            month_to_date,
            month_forecast,
            forecast: forecast.clone(),
            series: series.clone(),
            name: org.name,
            currency: org.currency,
            timezone: tz.name().to_owned(),
            teams,
            projects: projects.len() as u64,
            budgets,
            days,
            total_spend: series.iter().map(|(_, cost)| *cost).sum(),
            total_tokens: per_day.iter().map(|(_, _, tokens)| tokens).sum(),
            top_projects: top(per_project
                .into_iter()
                .map(|(id, cost)| (project_names.get(&id).cloned().unwrap_or_else(|| id.to_string()), cost))),
            top_models: top(per_model.into_iter()),
        }),
    })
}

/// One point per calendar day, zero where nothing was spent.
fn fill_days(first: NaiveDate, last: NaiveDate, per_day: &[(NaiveDate, i64, i64)]) -> Vec<(NaiveDate, Decimal)> {
    let by_day: HashMap<NaiveDate, i64> = per_day.iter().map(|(d, c, _)| (*d, *c)).collect();
    first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|d| (d, from_storage(by_day.get(&d).copied().unwrap_or(0))))
        .collect()
}

fn top(rows: impl Iterator<Item = (String, i64)>) -> Vec<SpendRow> {
    let mut rows: Vec<(String, i64)> = rows.collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    rows.into_iter().take(TOP).map(|(name, cost)| SpendRow { name, spend: from_storage(cost) }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_days_are_zero() {
        let d = |n| NaiveDate::from_ymd_opt(2026, 2, n).unwrap();
        let filled = fill_days(d(27), NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(), &[(d(28), 1_500_000_000, 10)]);
        let amounts: Vec<String> = filled.iter().map(|(_, c)| c.to_string()).collect();
        assert_eq!(amounts, ["0", "1.5", "0"]);
    }

    #[test]
    fn top_rows_are_sorted_by_spend_then_name() {
        let rows = top(vec![("b".into(), 5), ("a".into(), 5), ("c".into(), 9)].into_iter());
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["c", "a", "b"]);
    }
}
