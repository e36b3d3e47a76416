//! Return on investment: per project and month, the cost of its usage, the value it reported
//! producing, and ROI = (value − cost) / cost.

use super::{day_range, Context, Viewer};
use crate::backend::entities::{daily_project_usage, project, project_value};
use crate::backend::queries::sum_i64;
use crate::backend::services::ServiceError;
use crate::reports::ColumnKind::*;
use crate::reports::{ReportKind, ReportQuery, ReportView, Table, TableRow};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use std::collections::{BTreeMap, HashMap};
use tollgate_domain::figures::{exact, percent, priced};
use tollgate_domain::money::from_storage;
use tollgate_domain::reports::roi_percent;
use uuid::Uuid;

fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

pub(super) async fn run(
    db: &DatabaseConnection,
    viewer: &Viewer,
    ctx: &Context,
    mut query: ReportQuery,
) -> Result<ReportView, ServiceError> {
    // By default the last six months, this one included.
    if query.get("from").is_none() {
        let mut first = month_of(ctx.today);
        for _ in 0..5 {
            first = month_of(first - chrono::Duration::days(1));
        }
        query.0.insert("from".into(), first.to_string());
    }
    let (from, to) = day_range(&mut query, ctx.today)?;
    let (first_month, last_month) = (month_of(from), month_of(to));
    let usage: Vec<(Uuid, NaiveDate, i64)> = daily_project_usage::Entity::find()
        .select_only()
        .column(daily_project_usage::Column::ProjectId)
        .column(daily_project_usage::Column::Day)
        .column_as(sum_i64(daily_project_usage::Column::Cost), "cost")
        .filter(daily_project_usage::Column::OrgId.eq(ctx.org.id))
        .filter(daily_project_usage::Column::Day.gte(first_month))
        .filter(daily_project_usage::Column::Day.lte(to))
        .group_by(daily_project_usage::Column::ProjectId)
        .group_by(daily_project_usage::Column::Day)
        .into_tuple()
        .all(db)
        .await?;
    let mut cells: BTreeMap<(Uuid, NaiveDate), (i64, Option<i64>)> = BTreeMap::new();
    for (project_id, day, cost) in usage {
        cells.entry((project_id, month_of(day))).or_default().0 += cost;
    }
    let values = project_value::Entity::find()
        .filter(project_value::Column::OrgId.eq(ctx.org.id))
        .filter(project_value::Column::Month.gte(first_month))
        .filter(project_value::Column::Month.lte(last_month))
        .all(db)
        .await?;
    for v in &values {
        cells.entry((v.project_id, v.month)).or_default().1 = Some(v.amount);
    }
    let all = project::Entity::find().filter(project::Column::OrgId.eq(ctx.org.id)).all(db).await?;
    let names: HashMap<Uuid, String> = all.iter().map(|p| (p.id, p.name.clone())).collect();
    // The value form offers the projects the viewer may record a value for (leads of their team, admins).
    let mut projects: Vec<(String, String)> =
        all.iter().filter(|p| viewer.may_manage(&[p.team_id])).map(|p| (p.slug.clone(), p.name.clone())).collect();
    projects.sort_by_key(|(_, name)| name.to_lowercase());
    let mut rows: Vec<(String, NaiveDate, Decimal, Option<Decimal>)> = cells
        .into_iter()
        .map(|((id, month), (cost, value))| {
            (
                names.get(&id).cloned().unwrap_or_else(|| id.to_string()),
                month,
                from_storage(cost),
                value.map(from_storage),
            )
        })
        .collect();
    rows.sort_by(|a, b| a.0.to_lowercase().cmp(&b.0.to_lowercase()).then(a.1.cmp(&b.1)));
    let total_cost: Decimal = rows.iter().filter(|r| r.3.is_some()).map(|r| r.2).sum();
    let total_value: Decimal = rows.iter().filter_map(|r| r.3).sum();
    let currency = ctx.org.currency.clone();
    let table_rows = rows
        .iter()
        .map(|(name, month, cost, value)| {
            let roi = value.and_then(|v| roi_percent(*cost, v));
            let mut row = TableRow::new(vec![
                name.clone(),
                month.format("%Y-%m").to_string(),
                exact(*cost),
                value.map(exact).unwrap_or_else(|| "not reported".into()),
                value.map(|v| exact(v - cost)).unwrap_or_default(),
                roi.map(percent).unwrap_or_default(),
            ]);
            row.tone = roi.map(|r| if r < Decimal::ZERO { "over".into() } else { "under".into() });
            row
        })
        .collect();
    Ok(ReportView {
        kind: ReportKind::Roi,
        headline: vec![
            ("Value reported".into(), priced(&currency, total_value)),
            ("Cost of those project-months".into(), priced(&currency, total_cost)),
            (
                "Overall ROI".into(),
                roi_percent(total_cost, total_value).map_or_else(|| "—".into(), |r| format!("{}%", percent(r))),
            ),
        ],
        chart: None,
        table: Table::new(
            [
                ("Project".to_owned(), Text),
                ("Month".into(), Text),
                (format!("Cost ({currency})"), Money),
                (format!("Value ({currency})"), Money),
                (format!("Net ({currency})"), Money),
                ("ROI (%)".into(), Percent),
            ],
            table_rows,
        )
        .with_verdict([5]),
        notes: vec![
            "ROI = (value − cost) / cost. Value is what a project's lead (or a service over POST /api/v1/projects/{id}/value) reports the project produced in a month; cost is the spend recorded for the project in that month.".into(),
            format!("Months from {first_month} to {last_month}; the overall ROI counts only months with a reported value."),
        ],
        // Projects for the page's value form.
        choices: if projects.is_empty() { Default::default() } else { [("entry_project".to_owned(), projects)].into() },
        inputs: Vec::new(),
        query,
    })
}
