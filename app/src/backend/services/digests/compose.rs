//! Composes the digests that are due: for each subscription, the last completed week or month of
//! its scope, written once into the digest outbox (a unique key per subscription and period).

use crate::backend::entities::{
    budget, budget_counter, daily_usage, digest_send, digest_subscription, organization, project, team, user,
};
use crate::backend::queries::sum_i64;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect, Select, Set};
use std::collections::HashMap;
use tollgate_domain::money::from_storage;
use tollgate_domain::reports::Change;
use tollgate_domain::{Period, Window};
use uuid::Uuid;

/// A subscription whose last completed period has no digest yet, and where it goes.
pub struct DueDigest {
    sub: digest_subscription::Model,
    org: organization::Model,
    tz: Tz,
    period: Period,
    window: Window,
    email: String,
}

/// The digests due and not composed yet (reads only).
pub async fn due_digests(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Vec<DueDigest>, DbErr> {
    let subscriptions = digest_subscription::Entity::find().all(db).await?;
    let orgs: HashMap<Uuid, organization::Model> =
        organization::Entity::find().all(db).await?.into_iter().map(|o| (o.id, o)).collect();
    let mut due = Vec::new();
    for sub in subscriptions {
        let Some(org) = orgs.get(&sub.org_id) else { continue };
        let tz: Tz = org.timezone.parse().unwrap_or(Tz::UTC);
        let period = if sub.frequency == "monthly" { Period::Monthly } else { Period::Weekly };
        let window = period.previous(period.window_at(now, tz), tz);
        // A new subscriber gets the next complete period, not one that ended before they asked.
        if window.end <= sub.created_at {
            continue;
        }
        let first = window.start.with_timezone(&tz).date_naive();
        if digest_send::Entity::find()
            .filter(digest_send::Column::SubscriptionId.eq(sub.id))
            .filter(digest_send::Column::PeriodStart.eq(first))
            .one(db)
            .await?
            .is_some()
        {
            continue;
        }
        let Some(email) =
            user::Entity::find_by_id(sub.user_id).one(db).await?.filter(|u| u.active).and_then(|u| u.email)
        else {
            continue;
        };
        due.push(DueDigest { sub, org: org.clone(), tz, period, window, email });
    }
    Ok(due)
}

/// Composes every due digest not composed yet; returns how many this call wrote.
pub async fn compose_due(db: &DatabaseConnection, now: DateTime<Utc>, public_url: &str) -> Result<usize, DbErr> {
    let mut written = 0;
    for DueDigest { sub, org, tz, period, window, email } in due_digests(db, now).await? {
        let first = window.start.with_timezone(&tz).date_naive();
        let (subject, body) = compose(db, &org, tz, &sub, period, window, public_url, now).await?;
        let row = digest_send::ActiveModel {
            id: Set(Uuid::now_v7()),
            subscription_id: Set(sub.id),
            period_start: Set(first),
            recipient: Set(email),
            subject: Set(subject),
            body: Set(body),
            status: Set("pending".into()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            last_error: Set(None),
            created_at: Set(now),
            sent_at: Set(None),
        };
        let inserted = digest_send::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([digest_send::Column::SubscriptionId, digest_send::Column::PeriodStart])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        written += inserted as usize;
    }
    Ok(written)
}

fn in_scope(select: Select<daily_usage::Entity>, sub: &digest_subscription::Model) -> Select<daily_usage::Entity> {
    match sub.scope_kind.as_str() {
        "team" => select.filter(daily_usage::Column::TeamId.eq(sub.scope_id)),
        "project" => select.filter(daily_usage::Column::ProjectId.eq(sub.scope_id)),
        _ => select.filter(daily_usage::Column::OrgId.eq(sub.org_id)),
    }
}

async fn spend(
    db: &DatabaseConnection,
    sub: &digest_subscription::Model,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(Decimal, i64, i64), DbErr> {
    type Sums = (Option<i64>, Option<i64>, Option<i64>, Option<i64>);
    let row: Option<Sums> = in_scope(daily_usage::Entity::find(), sub)
        .select_only()
        .column_as(sum_i64(daily_usage::Column::Cost), "cost")
        .column_as(sum_i64(daily_usage::Column::InputTokens), "input")
        .column_as(sum_i64(daily_usage::Column::OutputTokens), "output")
        .column_as(sum_i64(daily_usage::Column::Operations), "operations")
        .filter(daily_usage::Column::Day.gte(from))
        .filter(daily_usage::Column::Day.lt(to))
        .into_tuple()
        .one(db)
        .await?;
    let (cost, input, output, operations) = row.unwrap_or_default();
    Ok((from_storage(cost.unwrap_or(0)), input.unwrap_or(0) + output.unwrap_or(0), operations.unwrap_or(0)))
}

async fn top(
    db: &DatabaseConnection,
    sub: &digest_subscription::Model,
    column: daily_usage::Column,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(String, i64)>, DbErr> {
    let query = in_scope(daily_usage::Entity::find(), sub)
        .select_only()
        .column(column)
        .column_as(sum_i64(daily_usage::Column::Cost), "cost")
        .filter(daily_usage::Column::Day.gte(from))
        .filter(daily_usage::Column::Day.lt(to))
        .group_by(column);
    let mut rows: Vec<(String, i64)> = if matches!(column, daily_usage::Column::ProjectId) {
        let names: HashMap<Uuid, String> = project::Entity::find()
            .filter(project::Column::OrgId.eq(sub.org_id))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
        let ids: Vec<(Uuid, i64)> = query.into_tuple().all(db).await?;
        ids.into_iter().map(|(id, c)| (names.get(&id).cloned().unwrap_or_else(|| id.to_string()), c)).collect()
    } else {
        query.into_tuple().all(db).await?
    };
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    rows.truncate(5);
    Ok(rows)
}

#[allow(clippy::too_many_arguments)]
async fn compose(
    db: &DatabaseConnection,
    org: &organization::Model,
    tz: Tz,
    sub: &digest_subscription::Model,
    period: Period,
    window: Window,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<(String, String), DbErr> {
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();
    let (first, end) = (local(window.start), local(window.end));
    let before = period.previous(window, tz);
    let scope_name = match sub.scope_kind.as_str() {
        "team" => format!(
            "team {}",
            team::Entity::find_by_id(sub.scope_id).one(db).await?.map_or_else(String::new, |t| t.name)
        ),
        "project" => format!(
            "project {}",
            project::Entity::find_by_id(sub.scope_id).one(db).await?.map_or_else(String::new, |p| p.name)
        ),
        _ => org.name.clone(),
    };
    let (cost, tokens, operations) = spend(db, sub, first, end).await?;
    let (previous, ..) = spend(db, sub, local(before.start), first).await?;
    let change = Change::between(previous, cost);
    let currency = &org.currency;
    let word = if period == Period::Monthly { "month" } else { "week" };
    let last = end - Duration::days(1);
    let mut text = format!("Tollgate {}ly digest: {scope_name}, {first} to {last}\n\n", word);
    text.push_str(&format!("Spend       {cost:.2} {currency}\n"));
    text.push_str(&format!(
        "Previous    {previous:.2} {currency} ({})\n",
        change.percent.map_or_else(|| format!("nothing the {word} before"), |p| format!("{p:+.1}% this {word}"))
    ));
    text.push_str(&format!("Tokens      {tokens}\nOperations  {operations}\n"));
    for (title, column) in
        [("Top projects", daily_usage::Column::ProjectId), ("Top models", daily_usage::Column::Model)]
    {
        if sub.scope_kind == "project" && matches!(column, daily_usage::Column::ProjectId) {
            continue;
        }
        let rows = top(db, sub, column, first, end).await?;
        if !rows.is_empty() {
            text.push_str(&format!("\n{title}\n"));
            for (name, c) in rows {
                text.push_str(&format!("  {name:<28} {:>12.2} {currency}\n", from_storage(c)));
            }
        }
    }
    let budgets = budgets_in_scope(db, sub).await?;
    if !budgets.is_empty() {
        text.push_str("\nBudgets, current window\n");
        for b in budgets {
            let window = b.period.parse::<Period>().unwrap_or(Period::Monthly).window_at(now, tz);
            let spent =
                budget_counter::Entity::find_by_id((b.id, window.start)).one(db).await?.map_or(0, |c| c.cost_spent);
            let line = match b.cost_hard {
                Some(hard) if hard > 0 => format!(
                    "{:.2} of {:.2} {currency} ({:.1}%)",
                    from_storage(spent),
                    from_storage(hard),
                    Decimal::from(spent) * Decimal::ONE_HUNDRED / Decimal::from(hard)
                ),
                _ => format!("{:.2} {currency} spent", from_storage(spent)),
            };
            text.push_str(&format!("  {:<28} {line}\n", b.name));
        }
    }
    text.push_str(&format!(
        "\nOpen in Tollgate: {public_url}/reports/allocation?from={first}&to={last}\nYou receive this because you subscribed to it in Tollgate (Reports > Email digests).\n"
    ));
    Ok((format!("Tollgate {word}ly digest: {scope_name}, {first} to {last}"), text))
}

async fn budgets_in_scope(
    db: &DatabaseConnection,
    sub: &digest_subscription::Model,
) -> Result<Vec<budget::Model>, DbErr> {
    let mut select =
        budget::Entity::find().filter(budget::Column::OrgId.eq(sub.org_id)).filter(budget::Column::State.eq("enabled"));
    select = match sub.scope_kind.as_str() {
        "organization" => select.filter(budget::Column::ScopeKind.is_in(["organization", "team"])),
        _ => select.filter(budget::Column::ScopeId.eq(sub.scope_id)),
    };
    select.all(db).await
}
