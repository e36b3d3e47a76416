//! What a budget's page shows, loaded for a person who may see the budget: its current window
//! with forecast and charts, inherited preferences, alert settings, where allowance can move, and
//! its history.

mod alert_settings;
mod history;

use super::{access, budget_list, organizations, preferences, reallocation, ServiceError};
use crate::auth::Account;
use crate::backend::entities::{budget, organization};
use crate::models::{BudgetDetailView, InheritedPreference, ReallocationOptions, WindowView};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

/// The budget with this id and its organization, if `me` may see it; 404 otherwise, so a budget
/// one may not see looks like one that does not exist.
async fn visible(
    db: &impl ConnectionTrait,
    me: &Account,
    budget_id: Uuid,
) -> Result<(budget::Model, organization::Model), ServiceError> {
    let not_found = || ServiceError::not_found("that budget");
    let model = super::budgets::find(db, me.org_id, budget_id).await?.ok_or_else(not_found)?;
    if !access::may_see(db, me, &model).await? {
        return Err(not_found());
    }
    let org = organizations::organization(db, me.org_id).await?.ok_or_else(not_found)?;
    Ok((model, org))
}

/// Everything the budget's page shows.
pub async fn detail(state: &AppState, me: &Account, budget_id: Uuid) -> Result<BudgetDetailView, ServiceError> {
    let db = &state.db;
    let (model, org) = visible(db, me, budget_id).await?;
    let now = state.clock.now();
    let inherited = preferences::for_budget(db, &org, &model)
        .await?
        .into_iter()
        .map(|r| InheritedPreference {
            label: r.key.label().to_owned(),
            value: r.value,
            source: r.source.label().to_owned(),
        })
        .collect();
    let window = window_figures(db, me, &org, model.clone(), now).await?;
    let row = window.row.clone();
    let alerts = alert_settings::settings(db, &model, row.may_manage).await?;
    let history = history::entries(db, &model, org.timezone.parse().unwrap_or(chrono_tz::Tz::UTC)).await?;
    let reallocation = reallocation_options(db, me, &org, &model).await?;
    Ok(BudgetDetailView { row, window, inherited, alerts, reallocation, history })
}

/// The budget's current window figures, as the page refreshes them live.
pub async fn window(state: &AppState, me: &Account, budget_id: Uuid) -> Result<WindowView, ServiceError> {
    let (model, org) = visible(&state.db, me, budget_id).await?;
    window_figures(&state.db, me, &org, model, state.clock.now()).await
}

/// The window figures of a budget the caller has checked the account may see.
async fn window_figures(
    db: &impl ConnectionTrait,
    me: &Account,
    org: &organization::Model,
    model: budget::Model,
    now: DateTime<Utc>,
) -> Result<WindowView, ServiceError> {
    use crate::backend::queries::budget::{charted_limit, trend, windows};
    let tz: chrono_tz::Tz = org.timezone.parse().unwrap_or(chrono_tz::Tz::UTC);
    let forecast = budget_list::forecast(db, &model, tz, now).await?;
    let (kind, soft, hard) = charted_limit(&model);
    let unit = if kind == tollgate_domain::LimitKind::Cost { org.currency.clone() } else { kind.as_str().to_owned() };
    let past = windows(db, &model, tz, now).await?;
    let (actual, projected) = trend(db, &model, tz, now).await?;
    Ok(WindowView {
        row: budget_list::at_risk(budget_list::budget_row(db, me, org, model, now).await?, forecast.as_ref()),
        forecast,
        windows_chart: crate::charts::budget_vs_actual(&past, &unit),
        trend_chart: crate::charts::window_trend(&actual, &projected, soft, hard, &unit),
        unit,
        windows: past,
        trend: actual,
        trend_forecast: projected,
    })
}

/// The budgets `me` may move this one's allowance to, and the amount that needs no approver.
async fn reallocation_options(
    db: &impl ConnectionTrait,
    me: &Account,
    org: &organization::Model,
    model: &budget::Model,
) -> Result<ReallocationOptions, ServiceError> {
    let mut siblings = Vec::new();
    if access::may_manage(db, me, model).await? {
        for sibling in reallocation::siblings(db, model).await? {
            if access::may_manage(db, me, &sibling).await? {
                siblings.push((sibling.id, sibling.name));
            }
        }
    }
    Ok(ReallocationOptions {
        siblings,
        free_up_to: org.reallocate_freely_up_to.map(tollgate_domain::money::from_storage),
        currency: model.currency.clone(),
        is_admin: me.has(crate::auth::Role::Admin),
    })
}
