//! Allocation: spend of a date range broken down by team, project, person, category, model or
//! provider, from the daily aggregates.

use super::{day_range, options, Context, Viewer};
use crate::backend::entities::{category, daily_usage, project, team, team_member, user};
use crate::backend::queries::sum_i64;
use crate::backend::services::ServiceError;
use crate::reports::{ColumnKind::*, ReportChart, ReportKind, ReportQuery, ReportView, Table, TableRow};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use std::collections::{BTreeMap, HashMap, HashSet};
use tollgate_domain::figures::{exact, percent, priced, thousands};
use tollgate_domain::money::from_storage;
use uuid::Uuid;

const DIMENSIONS: [(&str, &str); 6] = [
    ("team", "Team"),
    ("project", "Project"),
    ("user", "Person"),
    ("category", "Category"),
    ("model", "Model"),
    ("provider", "Provider"),
];

/// One group's totals: cost (storage units), input and output tokens, operations, events, and the
/// shared cost it received (+) or gave away (−).
type Totals = (i64, i64, i64, i64, i64, i64);

pub(super) async fn run(
    db: &DatabaseConnection,
    viewer: &Viewer,
    ctx: &Context,
    mut query: ReportQuery,
) -> Result<ReportView, ServiceError> {
    let (from, to) = day_range(&mut query, ctx.today)?;
    let by = query.get("by").unwrap_or("project").to_owned();
    let Some(&(_, by_label)) = DIMENSIONS.iter().find(|(d, _)| *d == by) else {
        return Err(ServiceError::Invalid(format!(
            "'by' must be one of team, project, user, category, model, provider, not '{by}'"
        )));
    };
    query.0.insert("by".into(), by.clone());
    let attribute = matches!(by.as_str(), "project" | "team") && query.get("shared") != Some("as_recorded");
    if matches!(by.as_str(), "project" | "team") {
        query.0.insert("shared".into(), if attribute { "attributed" } else { "as_recorded" }.into());
    }
    let column = match by.as_str() {
        "team" => daily_usage::Column::TeamId,
        "project" => daily_usage::Column::ProjectId,
        "user" => daily_usage::Column::UserId,
        "category" => daily_usage::Column::CategoryId,
        "model" => daily_usage::Column::Model,
        _ => daily_usage::Column::Provider,
    };
    let grouped = daily_usage::Entity::find()
        .select_only()
        .column(column)
        .column_as(sum_i64(daily_usage::Column::Cost), "cost")
        .column_as(sum_i64(daily_usage::Column::InputTokens), "input")
        .column_as(sum_i64(daily_usage::Column::OutputTokens), "output")
        .column_as(sum_i64(daily_usage::Column::Operations), "operations")
        .column_as(sum_i64(daily_usage::Column::Events), "events")
        .filter(daily_usage::Column::OrgId.eq(ctx.org.id))
        .filter(daily_usage::Column::Day.gte(from))
        .filter(daily_usage::Column::Day.lte(to))
        .group_by(column);
    let groups: Vec<(String, Totals)> = if matches!(by.as_str(), "model" | "provider") {
        let rows: Vec<(String, i64, i64, i64, i64, i64)> = grouped.into_tuple().all(db).await?;
        rows.into_iter().map(|(k, c, i, o, p, e)| (k, (c, i, o, p, e, 0))).collect()
    } else {
        let mut rows: Vec<(Uuid, i64, i64, i64, i64, i64)> = grouped.into_tuple().all(db).await?;
        let mut change = HashMap::new();
        if attribute {
            change = super::shared::attributed(db, ctx.org.id, &by, from, to).await?;
            // A consumer on a fixed split may have spent nothing itself.
            for id in change.keys() {
                if !rows.iter().any(|r| r.0 == *id) {
                    rows.push((*id, 0, 0, 0, 0, 0));
                }
            }
        }
        let names = names(db, ctx.org.id, &by).await?;
        let visible = visible_people(db, viewer, &by).await?;
        let mut merged: BTreeMap<String, Totals> = BTreeMap::new();
        for (id, c, i, o, p, e) in rows {
            let moved = change.get(&id).copied().unwrap_or(0);
            let name = match &visible {
                Some(people) if !people.contains(&id) => "Others (not visible to you)".to_owned(),
                _ => names.get(&id).cloned().unwrap_or_else(|| id.to_string()),
            };
            let t = merged.entry(name).or_default();
            *t = (t.0 + c + moved, t.1 + i, t.2 + o, t.3 + p, t.4 + e, t.5 + moved);
        }
        merged.into_iter().collect()
    };
    let mut groups = groups;
    groups.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then_with(|| a.0.cmp(&b.0)));

    let currency = ctx.org.currency.clone();
    let total_cost: i64 = groups.iter().map(|(_, t)| t.0).sum();
    let share = |cost: i64| {
        if total_cost == 0 {
            "0.0".to_owned()
        } else {
            percent(Decimal::from(cost) * Decimal::ONE_HUNDRED / Decimal::from(total_cost))
        }
    };
    let rows = groups
        .iter()
        .map(|(name, (cost, input, output, ops, events, moved))| {
            TableRow::new(vec![
                name.clone(),
                exact(from_storage(*cost)),
                share(*cost),
                input.to_string(),
                output.to_string(),
                ops.to_string(),
                events.to_string(),
                exact(signed(*moved)),
            ])
        })
        .collect();
    let bars: Vec<(String, Option<Decimal>, Decimal)> =
        groups.iter().take(15).map(|(name, t)| (name.clone(), None, from_storage(t.0).round_dp(2))).collect();
    let totals = groups.iter().fold((0, 0, 0), |acc, (_, t)| (acc.0 + t.1 + t.2, acc.1 + t.3, acc.2 + t.4));
    let mut choices: BTreeMap<String, Vec<(String, String)>> = [("by".to_owned(), options(&DIMENSIONS))].into();
    if matches!(by.as_str(), "project" | "team") {
        let ways = options(&[("attributed", "attributed to consumers"), ("as_recorded", "as recorded")]);
        choices.insert("shared".into(), ways);
    }
    // Admins also get the form that marks projects as shared.
    if viewer.is_admin() {
        let mut projects: Vec<(String, String)> = project::Entity::find()
            .filter(project::Column::OrgId.eq(ctx.org.id))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.slug, p.name))
            .collect();
        projects.sort_by_key(|(_, name)| name.to_lowercase());
        let now: Vec<(String, String)> = crate::backend::services::shared_costs::describe(db, ctx.org.id)
            .await?
            .into_iter()
            .map(|(project, method, consumers)| (project, format!("by {method}: {consumers}")))
            .collect();
        choices.insert("entry_shared_project".into(), projects);
        choices.insert("entry_shared_now".into(), now);
    }
    Ok(ReportView {
        kind: ReportKind::Allocation,
        headline: vec![
            ("Spend".into(), priced(&currency, from_storage(total_cost))),
            ("Tokens".into(), thousands(totals.0)),
            ("Operations".into(), thousands(totals.1)),
            (format!("{by_label}s"), groups.len().to_string()),
        ],
        chart: (!bars.is_empty()).then(|| ReportChart {
            title: format!("Spend by {}", by_label.to_lowercase()),
            option: crate::charts::ranked_bars(&bars, &currency),
        }),
        table: Table::new(
            [
                (by_label.to_owned(), Text),
                (format!("Cost ({currency})"), Money),
                ("Share of cost (%)".into(), Percent),
                ("Input tokens".into(), Count),
                ("Output tokens".into(), Count),
                ("Operations".into(), Count),
                ("Events".into(), Count),
                (format!("Shared cost attributed ({currency})"), Money),
            ],
            rows,
        ),
        notes: vec![
            format!(
                "Usage recorded from {from} to {to} (days in {}), highest spend first. Reservations not yet settled are not spend.",
                ctx.tz.name()
            ),
            "By project or team, the spend of shared projects is attributed to the projects that use them (in proportion to their own spend, or by a fixed split); choose \"as recorded\" to see it where it was spent. Attribution only: budgets count spend where it was recorded.".into(),
        ],
        choices,
        inputs: Vec::new(),
        query,
    })
}

fn signed(units: i64) -> Decimal {
    if units < 0 {
        -from_storage(-units)
    } else {
        from_storage(units)
    }
}

async fn names(db: &DatabaseConnection, org_id: Uuid, by: &str) -> Result<HashMap<Uuid, String>, ServiceError> {
    Ok(match by {
        "team" => team::Entity::find()
            .filter(team::Column::OrgId.eq(org_id))
            .all(db)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect(),
        "project" => project::Entity::find()
            .filter(project::Column::OrgId.eq(org_id))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect(),
        "user" => user::Entity::find()
            .filter(user::Column::OrgId.eq(org_id))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.display_name))
            .collect(),
        _ => category::Entity::find()
            .filter(category::Column::OrgId.eq(org_id))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect(),
    })
}

/// By person, someone who is not an admin sees themselves and the members of teams they lead by
/// name; everyone else's spend is one "others" row, so the totals still add up.
async fn visible_people(
    db: &DatabaseConnection,
    viewer: &Viewer,
    by: &str,
) -> Result<Option<HashSet<Uuid>>, ServiceError> {
    let Viewer::Person(account) = viewer else { return Ok(None) };
    if by != "user" || viewer.is_admin() {
        return Ok(None);
    }
    let mut people: HashSet<Uuid> = team_member::Entity::find()
        .filter(team_member::Column::TeamId.is_in(account.leads.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    people.insert(account.id);
    Ok(Some(people))
}
