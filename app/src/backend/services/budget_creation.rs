//! Creating budgets: the one way the wizard, templates and the REST API add budgets and who hears of them.

use super::access::{self, Acting};
use super::alerts::recipients::{self, NewRecipient};
use super::{budgets, organizations, preferences, ServiceError};
use crate::auth::Account;
use crate::backend::engine::begin_write;
use crate::backend::entities::{budget, category, creation_request, organization};
use crate::models::{AlertTargets, BudgetDefaults, BudgetInput, WizardContext};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use tollgate_domain::alerting::RecipientKind;
use uuid::Uuid;

/// A budget to create and who its alerts go to.
#[derive(Debug, Clone)]
pub struct NewBudget {
    pub input: BudgetInput,
    pub alerts: AlertTargets,
}

/// A create request's one-time key: a form's token or an API client's `Idempotency-Key`. A request
/// repeated with the same key (a reload, a second click, a client's retry) creates nothing new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestKey(String);

impl RequestKey {
    pub fn parse(given: &str) -> Result<Self, ServiceError> {
        let key = given.trim();
        if key.is_empty() || key.len() > 100 || !key.chars().all(|c| c.is_ascii_graphic()) {
            return Err(ServiceError::invalid(
                "a request key is 1 to 100 visible ASCII characters (a UUID, for example)",
            ));
        }
        Ok(RequestKey(key.to_owned()))
    }
}

/// The budgets a create request made, and whether an earlier request with the same key made them
/// (`repeated`: nothing was created now; budgets deleted since are missing).
#[derive(Debug)]
pub struct Creation {
    pub budgets: Vec<budget::Model>,
    pub repeated: bool,
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
/// Each new budget counts the usage already in its current window (`budgets::create`). With a
/// request key, only the first request with that key creates anything (see `Creation`).
pub async fn create_budgets(
    state: &AppState,
    by: Acting<'_>,
    new: &[NewBudget],
    once: Option<&RequestKey>,
) -> Result<Creation, ServiceError> {
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
    if let Some(key) = once {
        if let Some(earlier) = claim(&txn, org.id, key, now).await? {
            return Ok(Creation { budgets: earlier, repeated: true });
        }
    }
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
    if let Some(key) = once {
        let ids: Vec<Uuid> = created.iter().map(|b| b.id).collect();
        creation_request::Entity::update_many()
            .col_expr(creation_request::Column::BudgetIds, Expr::value(serde_json::json!(ids).to_string()))
            .filter(creation_request::Column::OrgId.eq(org.id))
            .filter(creation_request::Column::RequestKey.eq(&key.0))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(Creation { budgets: created, repeated: false })
}

/// Claims `key` for this request, or returns the budgets of the earlier request that claimed it.
/// Inside the write transaction: a concurrent request with the same key waits for this one's
/// commit (PostgreSQL's unique index, SQLite's write lock) and then finds its budgets.
async fn claim(
    txn: &impl ConnectionTrait,
    org_id: Uuid,
    key: &RequestKey,
    now: DateTime<Utc>,
) -> Result<Option<Vec<budget::Model>>, DbErr> {
    let row = creation_request::ActiveModel {
        org_id: Set(org_id),
        request_key: Set(key.0.clone()),
        budget_ids: Set("[]".to_owned()),
        created_at: Set(now),
    };
    let keys = [creation_request::Column::OrgId, creation_request::Column::RequestKey];
    let inserted = creation_request::Entity::insert(row)
        .on_conflict(OnConflict::columns(keys).do_nothing().to_owned())
        .exec_without_returning(txn)
        .await?;
    if inserted == 1 {
        return Ok(None);
    }
    let earlier = creation_request::Entity::find_by_id((org_id, key.0.clone())).one(txn).await?;
    let ids: Vec<Uuid> = earlier.and_then(|row| serde_json::from_str(&row.budget_ids).ok()).unwrap_or_default();
    let mut budgets = budget::Entity::find()
        .filter(budget::Column::OrgId.eq(org_id))
        .filter(budget::Column::Id.is_in(ids.clone()))
        .all(txn)
        .await?;
    budgets.sort_by_key(|b| ids.iter().position(|id| *id == b.id));
    Ok(Some(budgets))
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
        request: Uuid::now_v7(),
        targets: access::manageable_targets(db, me).await?,
        categories,
        templates: super::templates::list(db, me.org_id).await?,
        defaults: BudgetDefaults::from_resolved(&resolved),
    })
}

/// Creates the budgets a template's preview shows (`templates::preview`), with their default
/// recipients: all of them or none; once per request key.
pub async fn create_from_template(
    state: &AppState,
    me: &Account,
    template: &str,
    scopes: &[(tollgate_domain::ScopeKind, Uuid)],
    category: Option<String>,
    once: Option<&RequestKey>,
) -> Result<Creation, ServiceError> {
    let planned = super::templates::preview(&state.db, me, template, scopes, category).await?;
    let new: Vec<NewBudget> = planned
        .into_iter()
        .map(|plan| NewBudget {
            input: plan.input,
            alerts: AlertTargets { notify: plan.recipients, ..AlertTargets::default() },
        })
        .collect();
    create_budgets(state, Acting::Person(me), &new, once).await
}
