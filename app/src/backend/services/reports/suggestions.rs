//! Cost-saving suggestions: cheaper models of the same provider family for the period's actual
//! usage, and budgets whose last closed windows were always far under or always over.

use super::{day_range, Context, Viewer};
use crate::backend::entities::{daily_usage, price, window_close};
use crate::backend::queries::budget::charted_limit;
use crate::backend::queries::sum_i64;
use crate::backend::services::ServiceError;
use crate::reports::ColumnKind::*;
use crate::reports::{ReportKind, ReportQuery, ReportView, Table, TableRow};
use chrono::{Datelike, Duration, NaiveTime};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::BTreeMap;
use tollgate_domain::figures::{exact, priced, whole};
use tollgate_domain::money::from_storage;
use tollgate_domain::suggestions::{
    cheaper_models, sizing, CatalogPrice, ModelUsage, Sizing, FAR_UNDER_PERCENT, WINDOWS_JUDGED,
};
use tollgate_domain::LimitKind;

pub(super) async fn run(
    db: &DatabaseConnection,
    viewer: &Viewer,
    ctx: &Context,
    mut query: ReportQuery,
) -> Result<ReportView, ServiceError> {
    // By default the last full calendar month.
    if query.get("from").is_none() && query.get("to").is_none() {
        let this_month = ctx.today.with_day(1).unwrap_or(ctx.today);
        let last_month = (this_month - Duration::days(1)).with_day(1).unwrap_or(this_month);
        query.0.insert("from".into(), last_month.to_string());
        query.0.insert("to".into(), (this_month - Duration::days(1)).to_string());
    }
    let (from, to) = day_range(&mut query, ctx.today)?;
    let used: Vec<(String, String, i64, i64, i64)> = daily_usage::Entity::find()
        .select_only()
        .column(daily_usage::Column::Provider)
        .column(daily_usage::Column::Model)
        .column_as(sum_i64(daily_usage::Column::InputTokens), "input")
        .column_as(sum_i64(daily_usage::Column::OutputTokens), "output")
        .column_as(sum_i64(daily_usage::Column::Cost), "cost")
        .filter(daily_usage::Column::OrgId.eq(ctx.org.id))
        .filter(daily_usage::Column::Day.gte(from))
        .filter(daily_usage::Column::Day.lte(to))
        .group_by(daily_usage::Column::Provider)
        .group_by(daily_usage::Column::Model)
        .into_tuple()
        .all(db)
        .await?;
    let usage: Vec<ModelUsage> = used
        .into_iter()
        .map(|(provider, model, input_tokens, output_tokens, cost)| ModelUsage {
            provider,
            model,
            input_tokens,
            output_tokens,
            cost: from_storage(cost),
        })
        .collect();
    // The catalog as it stood at the end of the period: the latest price of each model by then.
    let period_end = (to + Duration::days(1)).and_time(NaiveTime::MIN).and_utc();
    let mut latest: BTreeMap<(String, String), price::Model> = BTreeMap::new();
    for p in price::Entity::find()
        .filter(price::Column::OrgId.eq(ctx.org.id))
        .filter(price::Column::Currency.eq(ctx.org.currency.clone()))
        .filter(price::Column::EffectiveFrom.lt(period_end))
        .order_by_asc(price::Column::EffectiveFrom)
        .all(db)
        .await?
    {
        latest.insert((p.provider.clone(), p.model.clone()), p);
    }
    let catalog: Vec<CatalogPrice> = latest
        .into_values()
        .map(|p| CatalogPrice {
            provider: p.provider,
            model: p.model,
            input_per_mtok: from_storage(p.input_per_mtok),
            output_per_mtok: from_storage(p.output_per_mtok),
        })
        .collect();
    let currency = ctx.org.currency.clone();
    let swaps = cheaper_models(&usage, &catalog);
    let saving: Decimal = swaps.iter().map(|s| s.saving).sum();
    let mut rows: Vec<TableRow> = swaps
        .iter()
        .map(|s| {
            TableRow::new(vec![
                "Cheaper model".into(),
                format!("{} ({})", s.from, s.provider),
                priced(&currency, s.cost),
                format!("{} at {}", s.to, priced(&currency, s.cost_after)),
                exact(s.saving),
                "Same tokens at the cheaper model's catalog prices; check the quality fits the task first.".into(),
            ])
        })
        .collect();

    let (mut lower, mut decide) = (0, 0);
    for model in viewer.budgets(db).await? {
        let (kind, _, Some(hard)) = charted_limit(&model) else { continue };
        let closes = window_close::Entity::find()
            .filter(window_close::Column::BudgetId.eq(model.id))
            .order_by_asc(window_close::Column::WindowStart)
            .all(db)
            .await?;
        let actuals: Vec<Decimal> = closes
            .iter()
            .map(|c| match kind {
                LimitKind::Cost => from_storage(c.cost_spent),
                LimitKind::Tokens => Decimal::from(c.tokens_spent),
                LimitKind::Operations => Decimal::from(c.operations_spent),
            })
            .collect();
        let amount = |d: Decimal| match kind {
            LimitKind::Cost => priced(&currency, d),
            other => format!("{} {other}", whole(d)),
        };
        let mut row = match sizing(hard, &actuals) {
            Some(Sizing::Lower { to }) => {
                lower += 1;
                TableRow::new(vec![
                    "Lower the budget".into(),
                    model.name.clone(),
                    amount(hard),
                    amount(to),
                    String::new(),
                    format!("Under {FAR_UNDER_PERCENT}% of the hard level in each of the last {WINDOWS_JUDGED} closed windows; the suggestion is the highest of them plus 25%."),
                ])
            }
            Some(Sizing::Decide) => {
                decide += 1;
                let mut row = TableRow::new(vec![
                    "Always over".into(),
                    model.name.clone(),
                    amount(hard),
                    "raise it or cut usage".into(),
                    String::new(),
                    format!("At or over the hard level in each of the last {WINDOWS_JUDGED} closed windows: someone should decide."),
                ]);
                row.tone = Some("over".into());
                row
            }
            None => continue,
        };
        row.link = Some(format!("/budgets/{}", model.id));
        rows.push(row);
    }
    Ok(ReportView {
        kind: ReportKind::Suggestions,
        headline: vec![
            ("Possible saving from cheaper models".into(), priced(&currency, saving)),
            ("Budgets that could be lowered".into(), lower.to_string()),
            ("Budgets always over".into(), decide.to_string()),
        ],
        chart: None,
        table: Table::new(
            [
                ("Suggestion".to_owned(), Text),
                ("Subject".into(), Text),
                ("Now".into(), Text),
                ("Suggested".into(), Text),
                (format!("Saving ({currency})"), Money),
                ("Why".into(), Text),
            ],
            rows,
        ),
        notes: vec![
            format!("Model suggestions use the usage from {from} to {to} and the price catalog as it stood then; a model is compared only with models of the same provider and family (embedding models with embedding models)."),
        ],
        choices: Default::default(),
        inputs: Vec::new(),
        query,
    })
}
