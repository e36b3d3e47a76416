//! Creating budgets: the one way the wizard, templates and the REST API add budgets and who hears of them.

use super::access::{self, Acting};
use super::alerts::recipients::{self, NewRecipient};
use super::{budgets, organizations, preferences, ServiceError};
use crate::auth::Account;
use crate::backend::engine::begin_write;
use crate::backend::entities::{budget, category, organization};
use crate::models::{AlertTargets, BudgetDefaults, BudgetInput, WizardContext};
use crate::state::AppState;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use tollgate_domain::alerting::RecipientKind;
use uuid::Uuid;

/// A budget to create and who its alerts go to.
#[derive(Debug, Clone)]
pub struct NewBudget {
    pub input: BudgetInput,
    pub alerts: AlertTargets,
}

/// The alert targets a budget gets when its creator names none: the organization's preference
/// (Tollgate's own default is "me, leads"), for the budget's project when it has one.
pub async fn default_alerts(
    state: &AppState,
    org: &organization::Model,
    input: &BudgetInput,
) -> Result<AlertTargets, ServiceError> {
    let project = (input.scope == tollgate_domain::ScopeKind::Project).then_some(input.scope_id).flatten();
    let resolved = preferences::resolved(&state.db, org, None, project).await?;
    Ok(AlertTargets { notify: BudgetDefaults::from_resolved(&resolved).recipients, ..AlertTargets::default() })
}

/// Creates every budget with its alert recipients in one write transaction: all of them or none.
/// Each new budget counts the usage already in its current window (`budgets::create`).
pub async fn create_budgets(
    state: &AppState,
    by: Acting<'_>,
    new: &[NewBudget],
) -> Result<Vec<budget::Model>, ServiceError> {
    // Names are resolved before the transaction, so no lookup holds the write lock.
    let mut urls = Vec::new();
    for budget in new {
        urls.extend(
            [&budget.alerts.slack, &budget.alerts.webhook].into_iter().flatten().map(|url| url.trim().to_owned()),
        );
    }
    for url in urls {
        state.outbound.check(&url).await.map_err(ServiceError::Invalid)?;
    }
    let now = state.clock.now();
    let txn = begin_write(&state.db).await?;
    let org = organizations::organization(&txn, by.org_id())
        .await?
        .ok_or_else(|| ServiceError::not_found("the organization"))?;
    let mut created = Vec::with_capacity(new.len());
    for budget in new {
        let input = &budget.input;
        by.ensure_may_manage(&txn, input.scope, input.scope_id.unwrap_or(org.id)).await?;
        let row = budgets::create(&txn, &org, input, &by.actor(), now).await?;
        recipients::add_defaults(&txn, &row, &budget.alerts.notify, by.person_id(), now).await?;
        let emails = budget.alerts.emails.iter().map(|address| (RecipientKind::Email, address));
        let urls = [(RecipientKind::Slack, &budget.alerts.slack), (RecipientKind::Webhook, &budget.alerts.webhook)];
        let urls = urls.into_iter().filter_map(|(kind, url)| url.as_ref().map(|url| (kind, url)));
        for (kind, target) in emails.chain(urls) {
            let target = target.trim();
            recipients::add(&txn, &row, NewRecipient { kind, target, min_threshold: None }, &state.outbound, now)
                .await?;
        }
        created.push(row);
    }
    txn.commit().await?;
    Ok(created)
}

/// What the wizard offers `me`: the scopes they may create budgets for, the categories, the
/// templates, and the defaults resolved for them (and for `project`, when one is chosen).
pub async fn wizard_context(
    db: &impl ConnectionTrait,
    me: &Account,
    project: Option<Uuid>,
) -> Result<WizardContext, ServiceError> {
    let org =
        organizations::organization(db, me.org_id).await?.ok_or_else(|| ServiceError::not_found("the organization"))?;
    let resolved = preferences::resolved(db, &org, Some(me.id), project).await?;
    let categories = category::Entity::find()
        .filter(category::Column::OrgId.eq(me.org_id))
        .order_by_asc(category::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.name)
        .collect();
    Ok(WizardContext {
        targets: access::manageable_targets(db, me).await?,
        categories,
        templates: super::templates::list(db, me.org_id).await?,
        defaults: BudgetDefaults::from_resolved(&resolved),
    })
}
